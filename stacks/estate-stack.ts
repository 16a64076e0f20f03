import { CloudflareProvider } from "@cdktf/provider-cloudflare/lib/provider";
import { RandomProvider } from "@cdktf/provider-random/lib/provider";
import { TlsProvider } from "@cdktf/provider-tls/lib/provider";
import { TerraformOutput, TerraformStack, Token } from "cdktf";
import { Construct } from "constructs";
import { NodeConfig, NodeRole, NodeSecrets, renderCloudConfig, renderNoCloudMetaData, renderNoCloudNetworkConfig, SeedNetwork } from "../cloud-init";
import { NodeContext, nodeConfiguration, nodeFqdn, seedNetwork } from "./node-configuration";
import { CloudNode } from "../constructs/cloud-node";
import { ClientFallbackOutput } from "../constructs/client-fallback-output";
import { cloudVariants } from "../constructs/cloud-variants";
import { EstateSecrets } from "../constructs/estate-secrets";
import { FailoverDns } from "../constructs/failover-dns";
import { HetznerOffsiteBackups } from "../constructs/hetzner-offsite-backups";
import { OffsiteBackups } from "../constructs/offsite-backups";
import { ConvergeTarget, EstateNodesOutput } from "../constructs/estate-nodes-output";
import { PrimaryNode } from "../constructs/primary-node";
import { CloudProvider, dataNodeInboundRules, Estate, FirewallRule, hostCidr, nodeRoles, serverImages, witnessInboundRules } from "../estate";
import { addEstatePolicies } from "../policies";
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
    new RandomProvider(this, "random");
    new TlsProvider(this, "tls");
    new CloudflareProvider(this, "cloudflare");

    const serverProviders = [...new Set<CloudProvider>([estate.standby.provider, estate.witness.provider])];
    const offsite = estate.backups.offsite;
    // A Hetzner bucket is made in the console: the off-site copy needs a provider only on Spaces.
    for (const provider of new Set([...serverProviders, ...(offsite?.provider === "digitalocean" ? [offsite.provider] : [])])) {
      cloudVariants[provider].configureProvider(this);
    }
    const sshKeyIds = new Map<CloudProvider, string[]>();
    for (const provider of serverProviders) {
      sshKeyIds.set(provider, cloudVariants[provider].registerSshKeys(this, estate.name, estate.ssh.publicKeys));
    }

    const secrets = new EstateSecrets(this, "secrets", { estateName: estate.name });
    const offsiteBackups =
      offsite?.provider === "digitalocean"
        ? new OffsiteBackups(this, "offsite-backups", {
            estateName: estate.name,
            region: offsite.region,
            retentionDays: offsite.retentionDays,
            cipherPassphrase: secrets.backupCipherPassphrase,
          })
        : offsite?.provider === "hetzner"
          ? new HetznerOffsiteBackups(this, "offsite-backups", {
              estateName: estate.name,
              region: offsite.region,
              bucket: offsite.bucket,
              endpoint: offsite.endpoint,
              retentionDays: offsite.retentionDays,
              cipherPassphrase: secrets.backupCipherPassphrase,
            })
          : undefined;
    const standby = cloudVariants[estate.standby.provider].createNode(this, "standby", {
      name: `${estate.name}-standby`,
      location: estate.standby.location,
      size: estate.standby.size,
      dataVolumeSizeGb: estate.standby.volumeSizeGb,
      sshKeyIds: sshKeyIds.get(estate.standby.provider)!,
      image: serverImages[estate.standby.provider][estate.os],
    });
    const witness = cloudVariants[estate.witness.provider].createNode(this, "witness", {
      name: `${estate.name}-witness`,
      location: estate.witness.location,
      size: estate.witness.size,
      sshKeyIds: sshKeyIds.get(estate.witness.provider)!,
      image: serverImages[estate.witness.provider][estate.os],
    });

    const peers = { primary: estate.primary.ipv4, standby: standby.publicIpv4, witness: witness.publicIpv4 };
    const nodeSecrets = Object.fromEntries(nodeRoles.map((role) => [role, secrets.nodeSecrets(role, nodeFqdn(estate, role), peers[role])])) as Record<NodeRole, NodeSecrets>;
    const nodeConfig = (role: NodeRole, context: Pick<NodeContext, "dataDevice" | "hostFirewallRules" | "egressThroughReservedIp"> = {}): NodeConfig =>
      nodeConfiguration(estate, role, { peers, secrets: nodeSecrets[role], offsiteBackups: offsiteBackups?.repository, ...context });
    const render = (config: NodeConfig, compressFiles: boolean) =>
      renderCloudConfig(config, { compressFiles, isDeployTimeValue: (text) => Token.isUnresolved(text) });

    // Every node sends from its reserved address alone, so each allow-list names only the peers'
    // reserved addresses: they exist before any server does (no server's user-data waits for
    // another server) and they survive a rebuild. Provider and host firewalls get the same rules.
    const adminCidrs = estate.ssh.adminCidrs;
    const peersOf = (role: NodeRole) => nodeRoles.filter((other) => other !== role).map((other) => hostCidr(peers[other]));
    const inboundRules: Record<NodeRole, FirewallRule[]> = {
      primary: dataNodeInboundRules({ adminCidrs, estatePeers: peersOf("primary") }),
      standby: dataNodeInboundRules({ adminCidrs, estatePeers: peersOf("standby") }),
      witness: witnessInboundRules({ adminCidrs, estatePeers: peersOf("witness") }),
    };
    const cloudNodeConfig = (role: "standby" | "witness", node: CloudNode) =>
      nodeConfig(role, { dataDevice: node.dataDevice, hostFirewallRules: inboundRules[role], egressThroughReservedIp: node.egressThroughReservedIp });
    const standbyDocument = standby.launchServer(render(cloudNodeConfig("standby", standby), !standby.compressesUserData));
    const witnessDocument = witness.launchServer(render(cloudNodeConfig("witness", witness), !witness.compressesUserData));
    const primaryConfig = nodeConfig("primary", { hostFirewallRules: inboundRules.primary });
    const primary = new PrimaryNode(this, "primary", {
      seed: {
        // The seed has no size limit: plain files, readable by the operator who installs it.
        "user-data": render(primaryConfig, false),
        "meta-data": renderNoCloudMetaData(primaryConfig),
        ...seedNetworkConfig(seedNetwork(estate.primary)),
      },
    });
    const documents: Record<NodeRole, string> = { primary: primary.userData, standby: standbyDocument, witness: witnessDocument };
    standby.applyFirewall(inboundRules.standby);
    witness.applyFirewall(inboundRules.witness);
    new EstateNodesOutput(this, "nodes", {
      nodes: Object.fromEntries(
        nodeRoles.map((role) => [role, { address: peers[role], document: documents[role], hostPublicKey: nodeSecrets[role].sshHostPublicKey }]),
      ) as Record<NodeRole, ConvergeTarget>,
    });

    new FailoverDns(this, "dns", {
      domain: estate.domain,
      zoneId: estate.cloudflare.zoneId,
      accountId: estate.cloudflare.accountId,
      ttl: estate.dns.ttl,
      healthCheckIntervalSeconds: estate.dns.healthCheckIntervalSeconds,
      nodes: [
        { name: "primary", ipv4: estate.primary.ipv4, ipv6: estate.primary.ipv6 },
        { name: "standby", ipv4: standby.publicIpv4 },
        { name: "witness", ipv4: witness.publicIpv4 },
      ],
      serviceHostnames: estate.hostnames,
      primaryIpv4: estate.primary.ipv4,
      standbyIpv4: standby.publicIpv4,
    });

    new ClientFallbackOutput(this, "client-fallback", {
      domain: estate.domain,
      hostnames: estate.hostnames,
      lastKnownPrimary: estate.dns.lastKnownPrimary,
      addresses: { primary: estate.primary.ipv4, standby: standby.publicIpv4 },
    });
    new TerraformOutput(this, "standby-ipv4", { value: standby.publicIpv4 });
    new TerraformOutput(this, "witness-ipv4", { value: witness.publicIpv4 });
    new TerraformOutput(this, "database-url", {
      description: "libpq URL naming both data nodes; target_session_attrs picks whichever is writable",
      value: `postgresql://primary.${estate.domain}:5432,standby.${estate.domain}:5432/${estate.postgres.database}?target_session_attrs=read-write&sslmode=verify-full`,
    });
    new TerraformOutput(this, "ca-certificate", { value: secrets.caCertificatePem, sensitive: true });

    pinProviderVersions(this);
    addEstatePolicies(this);
  }
}

/** The seed's network-config file, when the description gives the primary's network. */
function seedNetworkConfig(network: SeedNetwork | undefined): { "network-config"?: string } {
  return network ? { "network-config": renderNoCloudNetworkConfig(network) } : {};
}
