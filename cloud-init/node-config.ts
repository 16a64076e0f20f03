// What the renderer needs to know about one node. Values may be cdktf tokens (plain strings at
// render time that Terraform fills in at apply time); the renderer only places them, never parses them.
import type { FirewallRule } from "../estate/firewall-rules";
import type { NodeRole } from "../estate/schema";

export type { NodeRole };

/** Reserved public IPv4 of each node: what the nodes connect to each other at. */
export interface PeerAddresses {
  readonly primary: string;
  readonly standby: string;
  readonly witness: string;
}

export interface NodeSecrets {
  /** Password of the `replicator` role used by streaming replication. */
  readonly replicationPassword: string;
  /** Password of the pg_auto_failover monitor's `autoctl_node` role. */
  readonly failoverMonitorPassword: string;
  /** Password NATS clients of the estate authenticate with. */
  readonly natsPassword: string;
  /** PEM files, base64-encoded so multi-line values survive YAML at apply time. */
  readonly caCertificateBase64: string;
  readonly nodeCertificateBase64: string;
  readonly nodePrivateKeyBase64: string;
  /** The node's SSH host key (OpenSSH private key, base64), pinned in the operators' known_hosts. */
  readonly sshHostKeyBase64: string;
  /** Its public half, one `ssh-ed25519 ...` line. */
  readonly sshHostPublicKey: string;
}

export interface PostgresSettings {
  readonly majorVersion: number;
  /** Where the packages come from: the operating system's own, or the PostgreSQL project's repository. */
  readonly source: "distribution" | "pgdg";
  readonly database: string;
  readonly synchronousReplication: boolean;
}

export interface BackupRetention {
  readonly hourlyRetentionHours: number;
  readonly dailyRetentionDays: number;
  readonly weeklyRetentionWeeks: number;
}

/** An S3-compatible bucket that receives an encrypted copy of the pgBackRest repository (repo2). */
export interface OffsiteRepository {
  readonly endpoint: string;
  readonly region: string;
  readonly bucket: string;
  /** Folder inside the bucket, such as /mhc-dr. */
  readonly path: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  /** Passphrase of the repository's aes-256-cbc cipher. */
  readonly cipherPassphrase: string;
  /** Passphrase of the media cold copy's rclone crypt remote in the same bucket. Default: no media copy. */
  readonly mediaCipherPassphrase?: string;
  readonly retentionDays: number;
}

/** The data nodes' HTTPS: the names their certificate covers and how certbot proves the zone is ours. */
export interface HttpsSettings {
  /** Fully qualified service hostnames, such as api.example.com; certbot's certificate names them all. */
  readonly hostnames: readonly string[];
  /** Cloudflare API token allowed to edit the DNS records of the estate's zone and nothing else (DNS-01). */
  readonly cloudflareApiToken: string;
}

/** What a data node needs to push its media to the other data node, and to receive the other's. */
export interface MediaReplicationSettings {
  /** This node's ED25519 key (OpenSSH private key, base64) that logs in to the peer. */
  readonly privateKeyBase64: string;
  /** The peer's public key, allowed to push here through rrsync only. */
  readonly peerPublicKey: string;
  readonly peerAddress: string;
  /** The peer's SSH host key line, pinned in known_hosts. */
  readonly peerHostPublicKey: string;
}

export interface NodeConfig {
  readonly role: NodeRole;
  readonly estateName: string;
  /** Fully qualified host name, such as standby.example.com. */
  readonly fqdn: string;
  readonly peers: PeerAddresses;
  readonly adminCidrs: readonly string[];
  readonly sshPublicKeys: readonly string[];
  readonly postgres: PostgresSettings;
  readonly backups: BackupRetention;
  readonly alertWebhookUrl: string;
  /** PEM of a private CA the webhook's certificate is signed by. Default: the system's CAs. */
  readonly alertWebhookCaCertificate?: string;
  /** The dead-man's-switch service Alertmanager pings with the Watchdog alert. Default: none. */
  readonly deadMansSwitchUrl?: string;
  /**
   * Block device that holds PostgreSQL's data, attached by the cloud provider.
   * Default: none, data stays on the root disk (the bare-metal primary's RAID).
   */
  readonly dataDevice?: string;
  readonly secrets: NodeSecrets;
  /**
   * Inbound rules the node's own firewall enforces: on a cloud node the same as its provider
   * firewall's. Default: no host firewall (the lab's containers).
   */
  readonly hostFirewallRules?: readonly FirewallRule[];
  /**
   * Route outgoing IPv4 through the reserved IP (DigitalOcean, where a droplet otherwise sends from
   * its own address). Default: no, the node already sends from its reserved address (Hetzner).
   */
  readonly egressThroughReservedIp?: boolean;
  /** Off-site pgBackRest repository for the data nodes. Default: none, backups stay on the node. */
  readonly offsiteBackups?: OffsiteRepository;
  /** Media pushed to and received from the other data node. Default: none (the witness, and the lab). */
  readonly mediaReplication?: MediaReplicationSettings;
  /** HTTPS on 443 with an ACME certificate: every data node has it, the witness does not. */
  readonly https?: HttpsSettings;
}
