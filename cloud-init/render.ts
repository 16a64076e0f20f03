import { stringify } from "yaml";
import { worldIpv4, worldIpv6 } from "../estate/firewall-rules";
import { AssembleOptions, assembleCloudConfig, CloudConfigPart } from "./cloud-config";
import type { NodeConfig, NodeRole } from "./node-config";
import { backups } from "./pieces/backups";
import { estateSettings } from "./pieces/estate-settings";
import { failover } from "./pieces/failover";
import { hardening } from "./pieces/hardening";
import { hostFirewall } from "./pieces/host-firewall";
import { mediaReplication } from "./pieces/media-replication";
import { httpsCertificate } from "./pieces/https-certificate";
import { monitoring } from "./pieces/monitoring";
import { nats } from "./pieces/nats";
import { nginxRtmp } from "./pieces/nginx-rtmp";
import { postgres } from "./pieces/postgres";
import { reservedIpEgress } from "./pieces/reserved-ip-egress";

/** What each role runs, in the order cloud-init should set it up. */
const piecesByRole: Record<NodeRole, ReadonlyArray<(node: NodeConfig) => CloudConfigPart>> = {
  primary: [estateSettings, hardening, hostFirewall, reservedIpEgress, postgres, failover, backups, mediaReplication, nats, httpsCertificate, nginxRtmp, monitoring],
  standby: [estateSettings, hardening, hostFirewall, reservedIpEgress, postgres, failover, backups, mediaReplication, nats, httpsCertificate, nginxRtmp, monitoring],
  witness: [estateSettings, hardening, hostFirewall, reservedIpEgress, postgres, failover, monitoring],
};

/** Renders the #cloud-config user-data of one node of the estate. */
export function renderCloudConfig(node: NodeConfig, options: AssembleOptions = {}): string {
  const parts = piecesByRole[node.role].map((piece) => piece(node));
  return assembleCloudConfig({ hostname: shortHostname(node.fqdn), fqdn: node.fqdn, sshPublicKeys: node.sshPublicKeys }, parts, options);
}

/** NoCloud meta-data for a node installed from a seed (the bare-metal primary). */
export function renderNoCloudMetaData(node: Pick<NodeConfig, "estateName" | "fqdn">): string {
  const hostname = shortHostname(node.fqdn);
  return `instance-id: ${node.estateName}-${hostname}\nlocal-hostname: ${hostname}\n`;
}

/** How a node installed from a seed reaches the network on its first boot. */
export interface SeedNetwork {
  /** Interface name, such as eno1, or a glob such as en* (netplan's `match.name`; Ubuntu only). */
  readonly interface: string;
  /** Static addressing; none: DHCP. */
  readonly static?: {
    readonly addresses: readonly string[];
    readonly gateway4?: string;
    readonly gateway6?: string;
    readonly nameservers: readonly string[];
  };
}

/** NoCloud network-config (netplan version 2) for a node installed from a seed. */
export function renderNoCloudNetworkConfig(network: SeedNetwork): string {
  const gateways = [network.static?.gateway4, network.static?.gateway6].filter((gateway): gateway is string => gateway !== undefined);
  const addressing = network.static
    ? {
        addresses: [...network.static.addresses],
        // 0.0.0.0/0 and ::/0 rather than `default`, which Debian 12's cloud-init (22.4) refuses.
        ...(gateways.length > 0 ? { routes: gateways.map((via) => ({ to: via.includes(":") ? worldIpv6 : worldIpv4, via })) } : {}),
        nameservers: { addresses: [...network.static.nameservers] },
      }
    : { dhcp4: true };
  // A plain name is the entry's key: Debian 12's cloud-init matches networkd files by that key alone.
  const ethernet = /[*?]/.test(network.interface) ? { uplink: { match: { name: network.interface }, ...addressing } } : { [network.interface]: addressing };
  return stringify({ version: 2, ethernets: ethernet });
}

function shortHostname(fqdn: string): string {
  return fqdn.split(".")[0];
}
