import { TerraformLocal } from "cdktf";
import { Construct } from "constructs";
import type { FirewallRule } from "../estate/firewall-rules";
import { terraformString } from "./terraform-string";

/**
 * What the estate needs of a server on any cloud provider, whichever variant builds it. The
 * constructor creates the server with its reserved address; its #cloud-config and its firewall
 * rules name the other nodes' addresses, so they come later, in either order, through
 * `setUserData` and `setInboundRules`. A node that never gets either fails synth, naming it.
 */
export abstract class CloudNode extends Construct {
  /**
   * Reserved public IPv4 that survives a rebuild of the server: what peers connect to, and the only
   * address its outgoing connections come from, so peers' allow-lists name nothing a rebuild changes.
   */
  abstract readonly publicIpv4: string;
  /**
   * Whether the server must route its outgoing traffic through the reserved IP itself (DigitalOcean
   * sends from the droplet's own address otherwise); Hetzner's primary IP is the server's own.
   */
  abstract readonly egressThroughReservedIp: boolean;
  /**
   * Whether the provider takes the user-data compressed as a whole (Hetzner); otherwise the
   * renderer compresses each file to stay within the provider's user-data limit.
   */
  abstract readonly compressesUserData: boolean;
  /** Block device of the data volume, when the node has one. */
  abstract readonly dataDevice?: string;
  /**
   * Reference to the node's #cloud-config as Terraform holds it (the same text `npm run converge`
   * delivers). A local holds it, so the server and the estate's outputs read the one copy.
   */
  readonly userData: string;
  private readonly document: TerraformLocal;
  private hasUserData = false;
  private hasFirewall = false;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    this.document = new TerraformLocal(this, "user-data", undefined);
    this.userData = this.document.asString;
    this.node.addValidation({
      validate: () => [
        ...(this.hasUserData ? [] : ["has no user-data: setUserData() was never called with its #cloud-config, so the server would boot unconfigured"]),
        ...(this.hasFirewall ? [] : ["has no firewall: setInboundRules() was never called, so nothing would filter the server's inbound traffic"]),
      ],
    });
  }

  /** The node's whole #cloud-config; once. */
  setUserData(document: string): void {
    if (this.hasUserData) {
      throw new Error(`${this.node.path}: setUserData() was already called; a node has one #cloud-config`);
    }
    this.hasUserData = true;
    this.document.expression = terraformString(document);
  }

  /** Puts the server behind the provider's firewall with these inbound rules; once. */
  setInboundRules(rules: readonly FirewallRule[]): void {
    if (this.hasFirewall) {
      throw new Error(`${this.node.path}: setInboundRules() was already called; a node has one firewall`);
    }
    this.hasFirewall = true;
    this.createFirewall(rules);
  }

  protected abstract createFirewall(rules: readonly FirewallRule[]): void;
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
