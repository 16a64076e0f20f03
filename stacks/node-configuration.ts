import type { FirewallRule } from "../estate/firewall-rules";
import { postgresSource } from "../estate/provider-catalog";
import type { Estate } from "../estate/schema";
import type { MediaReplicationSettings, NodeConfig, NodeRole, NodeSecrets, OffsiteRepository, PeerAddresses, StreamKey } from "../cloud-init/node-config";
import type { SeedNetwork } from "../cloud-init/render";

/** What a node's configuration needs beyond the estate description: values Terraform makes. */
export interface NodeContext {
  /** Addresses the nodes reach each other at. */
  readonly peers: PeerAddresses;
  readonly secrets: NodeSecrets;
  /** The data nodes' off-site pgBackRest repository, when the estate has one. */
  readonly offsiteBackups?: OffsiteRepository;
  /** The data nodes' media replication keys and peer. */
  readonly mediaReplication?: MediaReplicationSettings;
  /** The key of each stream the data nodes accept. */
  readonly streamKeys?: readonly StreamKey[];
  /** Block device of a separate PostgreSQL data volume. */
  readonly dataDevice?: string;
  /** The Cloudflare token the data nodes' certbot edits the zone's DNS records with (DNS-01). */
  readonly certbotDnsToken: string;
  /** Rules of the node's own firewall. */
  readonly hostFirewallRules?: readonly FirewallRule[];
  /** Whether the node must route its outgoing traffic through its reserved IP (DigitalOcean). */
  readonly egressThroughReservedIp?: boolean;
}

/** The renderer's view of one node: the description's settings for `role` and the context's values. */
export function nodeConfiguration(estate: Estate, role: NodeRole, context: NodeContext): NodeConfig {
  return {
    role,
    estateName: estate.name,
    fqdn: nodeFqdn(estate, role),
    peers: context.peers,
    adminCidrs: estate.ssh.adminCidrs,
    sshPublicKeys: estate.ssh.publicKeys,
    postgres: { ...estate.postgres, source: postgresSource(estate.os, estate.postgres.majorVersion)! },
    backups: estate.backups,
    alertWebhookUrl: estate.alerts.webhookUrl,
    alertWebhookCaCertificate: estate.alerts.webhookCaCertificate,
    deadMansSwitchUrl: role === "witness" ? estate.alerts.deadMansSwitchUrl : undefined,
    offsiteBackups: role === "witness" ? undefined : context.offsiteBackups,
    streamKeys: role === "witness" ? undefined : context.streamKeys,
    secrets: context.secrets,
    mediaReplication: role === "witness" ? undefined : context.mediaReplication,
    dataDevice: context.dataDevice,
    hostFirewallRules: context.hostFirewallRules,
    https: role === "witness" ? undefined : { hostnames: serviceFqdns(estate), cloudflareApiToken: context.certbotDnsToken },
    egressThroughReservedIp: context.egressThroughReservedIp,
  };
}

/** The service hostnames below the estate's domain, such as api.example.com: what the HTTPS certificate names. */
export function serviceFqdns(estate: Pick<Estate, "domain" | "hostnames">): string[] {
  return estate.hostnames.map((hostname) => `${hostname}.${estate.domain}`);
}

export function nodeFqdn(estate: Pick<Estate, "domain">, role: NodeRole): string {
  return `${role}.${estate.domain}`;
}

/**
 * The first-boot network of a node installed from a seed: static on `network.interface` when the
 * description names a gateway, DHCP on it otherwise; none (cloud-init's own DHCP fallback) without
 * a network block.
 */
export function seedNetwork({ ipv4, ipv6, network }: Pick<Estate["primary"], "ipv4" | "ipv6" | "network">): SeedNetwork | undefined {
  if (network === undefined) {
    return undefined;
  }
  if (network.gateway4 === undefined) {
    return { interface: network.interface };
  }
  const ipv6Addresses = ipv6 === undefined ? [] : [`${ipv6}/${network.ipv6PrefixLength}`];
  return {
    interface: network.interface,
    static: {
      addresses: [`${ipv4}/${network.prefixLength}`, ...ipv6Addresses],
      gateway4: network.gateway4,
      gateway6: network.gateway6,
      nameservers: network.nameservers,
    },
  };
}
