// The estate the lab builds: the example estate on Debian 12 (PostgreSQL 15 from the distribution,
// the only release our package mirror carries), its nodes at fixed addresses of a private network.
import type { PeerAddresses } from "../cloud-init";
import { renderNoCloudMetaData, renderNoCloudNetworkConfig } from "../cloud-init";
import type { Estate, NodeRole } from "../estate";
import { exampleEstate, exampleEstateInput } from "../estate/example-estate";
import { nodeFqdn, seedNetwork } from "../stacks/node-configuration";
import type { Seed } from "./container";

/**
 * The nodes, the client (the operator's machine and the application: the lab lets it in where the
 * estate lets its peers in) and an outsider (the internet, for what the firewall must refuse).
 */
export const labAddresses: PeerAddresses & { readonly client: string; readonly outsider: string } = {
  primary: "198.51.100.10",
  standby: "198.51.100.20",
  witness: "198.51.100.30",
  client: "198.51.100.40",
  outsider: "198.51.100.50",
};
export const labPrefixLength = 24;
export const labAdminCidr = "198.51.100.0/24";

/** What a lab run may change in the description (day-2 changes, in the converge scenario). */
export interface LabSettings {
  readonly sshPublicKeys: readonly string[];
  readonly adminCidrs?: readonly string[];
  readonly webhookUrl?: string;
  /** The lab webhook's CA (its receiver has a certificate of the lab's own). */
  readonly webhookCaCertificate?: string;
}

export function labEstate(settings: LabSettings): Estate {
  const example = exampleEstateInput();
  return exampleEstate("hetzner", {
    os: "debian-12",
    primary: {
      ipv4: labAddresses.primary,
      location: "lab",
      network: { interface: "eth0", gateway4: "198.51.100.1", prefixLength: labPrefixLength, nameservers: ["198.51.100.1"] },
    },
    postgres: { ...example.postgres, majorVersion: 15 },
    ssh: { publicKeys: [...settings.sshPublicKeys], adminCidrs: [...(settings.adminCidrs ?? [labAdminCidr])] },
    alerts: { webhookUrl: settings.webhookUrl ?? `https://${labAddresses.client}/hooks/dr-estate`, webhookCaCertificate: settings.webhookCaCertificate },
  });
}

/** A node's NoCloud seed: its document, and meta-data and network-config as the primary's seed has them. */
export function labSeed(estate: Estate, role: NodeRole, document: string, instance = 1): Seed {
  const metaData = renderNoCloudMetaData({ estateName: estate.name, fqdn: nodeFqdn(estate, role) });
  return {
    userData: document,
    // A new instance-id is a reinstall: cloud-init runs the whole document again.
    metaData: metaData.replace(/^instance-id: (.*)$/m, `instance-id: $1-${instance}`),
    networkConfig: renderNoCloudNetworkConfig(seedNetwork({ ipv4: labAddresses[role], network: estate.primary.network })!),
  };
}
