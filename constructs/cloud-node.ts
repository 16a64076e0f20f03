import type { FirewallRule } from "../estate/firewall-rules";

/** What the estate needs of a server on any cloud provider, whichever variant builds it. */
export interface CloudNode {
  /**
   * Reserved public IPv4 that survives a rebuild of the server: what peers connect to, and the only
   * address its outgoing connections come from, so peers' allow-lists name nothing a rebuild changes.
   */
  readonly publicIpv4: string;
  /**
   * Whether the server must route its outgoing traffic through the reserved IP itself (DigitalOcean
   * sends from the droplet's own address otherwise); Hetzner's primary IP is the server's own.
   */
  readonly egressThroughReservedIp: boolean;
  /**
   * Whether the provider takes the user-data compressed as a whole (Hetzner); otherwise the
   * renderer compresses each file to stay within the provider's user-data limit.
   */
  readonly compressesUserData: boolean;
  /** Block device of the data volume, when the node has one. */
  readonly dataDevice?: string;
  /**
   * Creates the server and its attachments; call once, after every node's address exists. Returns
   * a reference to the document as Terraform holds it (the same text `npm run converge` delivers).
   */
  launchServer(userData: string): string;
  /** Puts the server behind the provider's firewall; call once, after every node is launched. */
  applyFirewall(inboundRules: readonly FirewallRule[]): void;
}

export interface CloudNodeProps {
  /** Server name at the provider, such as mhc-dr-standby. */
  readonly name: string;
  readonly location: string;
  readonly size: string;
  /** Size of a separate data volume for PostgreSQL. Default: no data volume. */
  readonly dataVolumeSizeGb?: number;
  /** Ids of the SSH keys already registered with the provider. */
  readonly sshKeyIds: string[];
  /** The provider's image name, such as ubuntu-24.04. */
  readonly image: string;
}


/**
 * Server attributes that only matter when a server is created: cloud-init reads user-data once, at
 * first boot, and a change to any of these would make the provider replace the running server.
 * Later changes reach running nodes through `npm run converge`; replacing a server is a deliberate
 * `tofu apply -replace=ADDRESS`.
 */
export const firstBootOnlyAttributes = ["user_data", "image", "ssh_keys"];
