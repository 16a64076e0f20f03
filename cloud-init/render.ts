import { AssembleOptions, assembleCloudConfig, CloudConfigPart } from "./cloud-config";
import type { NodeConfig, NodeRole } from "./node-config";
import { backups } from "./pieces/backups";
import { estateSettings } from "./pieces/estate-settings";
import { failover } from "./pieces/failover";
import { hardening } from "./pieces/hardening";
import { hostFirewall } from "./pieces/host-firewall";
import { monitoring } from "./pieces/monitoring";
import { nats } from "./pieces/nats";
import { nginxRtmp } from "./pieces/nginx-rtmp";
import { postgres } from "./pieces/postgres";

/** What each role runs, in the order cloud-init should set it up. */
const piecesByRole: Record<NodeRole, ReadonlyArray<(node: NodeConfig) => CloudConfigPart>> = {
  primary: [estateSettings, hardening, hostFirewall, postgres, failover, backups, nats, nginxRtmp, monitoring],
  standby: [estateSettings, hardening, hostFirewall, postgres, failover, backups, nats, nginxRtmp, monitoring],
  witness: [estateSettings, hardening, hostFirewall, postgres, failover, monitoring],
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

function shortHostname(fqdn: string): string {
  return fqdn.split(".")[0];
}
