// The lab's stack: the estate's own secrets, certificates, SSH host keys and node documents, made by
// Terraform exactly as EstateStack makes them, for nodes at the lab's fixed addresses instead of
// cloud servers. Applied with OpenTofu (random and tls need no cloud), its `nodes` output is what
// the lab boots and what npm run converge reads, as in production.
import { RandomProvider } from "@cdktf/provider-random/lib/provider";
import { TlsProvider } from "@cdktf/provider-tls/lib/provider";
import { LocalBackend, TerraformStack, Token } from "cdktf";
import { Construct } from "constructs";
import { NodeRole, PeerAddresses, renderCloudConfig } from "../cloud-init";
import { ConvergeTarget, EstateNodesOutput } from "../constructs/estate-nodes-output";
import { EstateSecrets } from "../constructs/estate-secrets";
import { StreamKeys } from "../constructs/stream-keys";
import { terraformString } from "../constructs/terraform-string";
import { dataNodeInboundRules, Estate, hostCidr, nodeRoles } from "../estate";
import { nodeConfiguration, nodeFqdn } from "../stacks/node-configuration";
import { pinProviderVersions } from "../stacks/provider-versions";

export interface LabStackProps {
  readonly estate: Estate;
  /** Each node's address on the lab network. */
  readonly addresses: PeerAddresses;
  /** Hosts the primary's firewall lets in like the estate's own nodes (the lab's application). */
  readonly trustedClients: readonly string[];
  /** Where OpenTofu keeps the lab's state. */
  readonly statePath: string;
}

export class LabStack extends TerraformStack {
  constructor(scope: Construct, id: string, { estate, addresses, trustedClients, statePath }: LabStackProps) {
    super(scope, id);
    new LocalBackend(this, { path: statePath });
    new RandomProvider(this, "random");
    new TlsProvider(this, "tls");
    const secrets = new EstateSecrets(this, "secrets", { estateName: estate.name });
    const streamKeys = new StreamKeys(this, "streams", { streams: estate.streams });
    const nodes = {} as Record<NodeRole, ConvergeTarget>;
    for (const role of nodeRoles) {
      const nodeSecrets = secrets.nodeSecrets(role, nodeFqdn(estate, role), addresses[role]);
      const peers = [...nodeRoles.filter((other) => other !== "primary").map((other) => addresses[other]), ...trustedClients].map(hostCidr);
      const config = nodeConfiguration(estate, role, {
        peers: addresses,
        secrets: nodeSecrets,
        streamKeys: streamKeys.keys,
        // No Cloudflare in the lab: certbot's first try fails like a node's that cannot reach the CA,
        // and the data nodes serve their placeholder certificate.
        certbotDnsToken: "lab-has-no-cloudflare-token",
        // The primary's own firewall, as in production; the lab's cloud nodes have no provider firewall.
        hostFirewallRules: role === "primary" ? dataNodeInboundRules({ adminCidrs: estate.ssh.adminCidrs, estatePeers: peers, otherDataNode: hostCidr(addresses.standby) }) : undefined,
      });
      const document = renderCloudConfig(config, { isDeployTimeValue: (text) => Token.isUnresolved(text) });
      nodes[role] = { address: addresses[role], document: terraformString(document), hostPublicKey: nodeSecrets.sshHostPublicKey };
    }
    new EstateNodesOutput(this, "nodes", { nodes });
    pinProviderVersions(this);
  }
}
