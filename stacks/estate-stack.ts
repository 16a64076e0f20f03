import { TerraformOutput, TerraformStack } from "cdktf";
import { Construct } from "constructs";
import type { MediaReplicationSettings, OffsiteRepository, PeerAddresses } from "../cloud-init";
import { CertbotDnsToken } from "../constructs/certbot-dns-token";
import { ClientFallbackOutput } from "../constructs/client-fallback-output";
import { EstateNodesOutput } from "../constructs/estate-nodes-output";
import { EstateSecrets } from "../constructs/estate-secrets";
import { FailoverDns, FailoverDnsProps } from "../constructs/failover-dns";
import { HetznerOffsiteBackups } from "../constructs/hetzner-offsite-backups";
import { OffsiteBackups } from "../constructs/offsite-backups";
import { PrimaryNode } from "../constructs/primary-node";
import { StreamKeys } from "../constructs/stream-keys";
import { Estate, NodeRole, nodeRoles } from "../estate";
import { addEstatePolicies } from "../policies";
import { cloudRoles, createCloudNodes } from "./cloud-nodes";
import { configureProviders } from "./estate-providers";
import { addEstateOutputs } from "./estate-outputs";
import { inboundRulesByRole } from "./inbound-rules";
import { primarySeed, renderUserData } from "./node-documents";
import { NodeContext, nodeConfiguration, nodeFqdn } from "./node-configuration";
import { pinProviderVersions } from "./provider-versions";
import { configureStateBackend } from "./state-backend";

export interface EstateStackProps {
  /** The validated estate description. */
  readonly estate: Estate;
}

/**
 * The whole disaster-recovery estate: the bare-metal primary's seed, the warm standby and the witness
 * on their cloud providers, the secrets they share, and failover DNS in front of them.
 */
export class EstateStack extends TerraformStack {
  constructor(scope: Construct, id: string, { estate }: EstateStackProps) {
    super(scope, id);
    configureStateBackend(this, estate.name, estate.state);
    configureProviders(this, estate);
    const secrets = new EstateSecrets(this, "secrets", { estateName: estate.name });
    const streamKeys = new StreamKeys(this, "streams", { streams: estate.streams });
    const certbotDnsToken = new CertbotDnsToken(this, "certbot-dns-token", { estateName: estate.name, ...estate.cloudflare });
    const offsiteBackups = offsiteRepository(this, estate, secrets);
    const cloudNodes = createCloudNodes(this, estate);

    const peers: PeerAddresses = { primary: estate.primary.ipv4, standby: cloudNodes.standby.publicIpv4, witness: cloudNodes.witness.publicIpv4 };
    const inboundRules = inboundRulesByRole(estate.ssh.adminCidrs, peers);
    const nodeSecrets = byRole((role) => secrets.nodeSecrets(role, nodeFqdn(estate, role), peers[role]));
    const mediaPeer = (role: "primary" | "standby") => ({ address: peers[role], hostPublicKey: nodeSecrets[role].sshHostPublicKey });
    const mediaReplication: Partial<Record<NodeRole, MediaReplicationSettings>> = secrets.mediaReplication({ primary: mediaPeer("primary"), standby: mediaPeer("standby") });
    const nodeConfig = (role: NodeRole, context: Pick<NodeContext, "dataDevice" | "egressThroughReservedIp"> = {}) =>
      nodeConfiguration(estate, role, {
        peers,
        secrets: nodeSecrets[role],
        mediaReplication: mediaReplication[role],
        offsiteBackups,
        streamKeys: streamKeys.keys,
        certbotDnsToken: certbotDnsToken.value,
        hostFirewallRules: inboundRules[role],
        ...context,
      });

    for (const role of cloudRoles) {
      const node = cloudNodes[role];
      const config = nodeConfig(role, { dataDevice: node.dataDevice, egressThroughReservedIp: node.egressThroughReservedIp });
      node.setUserData(renderUserData(config, !node.compressesUserData));
      node.setInboundRules(inboundRules[role]);
    }
    const primary = new PrimaryNode(this, "primary", { seed: primarySeed(nodeConfig("primary"), estate.primary) });

    const documents: Record<NodeRole, string> = { primary: primary.userData, standby: cloudNodes.standby.userData, witness: cloudNodes.witness.userData };
    new EstateNodesOutput(this, "nodes", {
      nodes: byRole((role) => ({ address: peers[role], document: documents[role], hostPublicKey: nodeSecrets[role].sshHostPublicKey })),
    });
    new FailoverDns(this, "dns", failoverDnsProps(estate, peers));
    new ClientFallbackOutput(this, "client-fallback", {
      domain: estate.domain,
      hostnames: estate.hostnames,
      lastKnownPrimary: estate.dns.lastKnownPrimary,
      addresses: { primary: peers.primary, standby: peers.standby },
    });
    addEstateOutputs(this, estate, peers, secrets.caCertificatePem);
    new TerraformOutput(this, "stream-keys", {
      description: "Publishing key of each stream: rtmp://<node>/live/<key>; viewers see only the name",
      value: streamKeys.byName,
      sensitive: true,
    });

    pinProviderVersions(this);
    addEstatePolicies(this);
  }
}

/** One value per node role. */
function byRole<T>(make: (role: NodeRole) => T): Record<NodeRole, T> {
  return Object.fromEntries(nodeRoles.map((role) => [role, make(role)])) as Record<NodeRole, T>;
}

/**
 * The data nodes' off-site pgBackRest repository, when the description asks for one: a Spaces
 * bucket this stack creates, or a Hetzner Object Storage bucket the operator made in the console.
 */
function offsiteRepository(stack: Construct, estate: Estate, secrets: EstateSecrets): OffsiteRepository | undefined {
  const offsite = estate.backups.offsite;
  if (offsite === undefined) {
    return undefined;
  }
  const common = { estateName: estate.name, region: offsite.region, retentionDays: offsite.retentionDays, cipherPassphrase: secrets.backupCipherPassphrase, mediaCipherPassphrase: secrets.mediaCipherPassphrase };
  return offsite.provider === "digitalocean"
    ? new OffsiteBackups(stack, "offsite-backups", common).repository
    : new HetznerOffsiteBackups(stack, "offsite-backups", { ...common, bucket: offsite.bucket, endpoint: offsite.endpoint }).repository;
}

/** A record per node, and the service hostnames behind the data nodes' /healthz. */
function failoverDnsProps(estate: Estate, peers: PeerAddresses): FailoverDnsProps {
  return {
    domain: estate.domain,
    zoneId: estate.cloudflare.zoneId,
    accountId: estate.cloudflare.accountId,
    ttl: estate.dns.ttl,
    healthCheckIntervalSeconds: estate.dns.healthCheckIntervalSeconds,
    nodes: [
      { name: "primary", ipv4: peers.primary, ipv6: estate.primary.ipv6 },
      { name: "standby", ipv4: peers.standby },
      { name: "witness", ipv4: peers.witness },
    ],
    serviceHostnames: estate.hostnames,
    primaryIpv4: peers.primary,
    standbyIpv4: peers.standby,
  };
}
