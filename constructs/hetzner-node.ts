import { Fn, Token } from "cdktf";
import { Construct } from "constructs";
import { DataHcloudServerType } from "../.gen/providers/hcloud/data-hcloud-server-type";
import { Firewall } from "../.gen/providers/hcloud/firewall";
import { PrimaryIp } from "../.gen/providers/hcloud/primary-ip";
import { Server } from "../.gen/providers/hcloud/server";
import { SshKey } from "../.gen/providers/hcloud/ssh-key";
import { Volume } from "../.gen/providers/hcloud/volume";
import { VolumeAttachment } from "../.gen/providers/hcloud/volume-attachment";
import { FirewallRule } from "../estate/firewall-rules";
import { CloudNode, CloudNodeProps, firstBootOnlyAttributes } from "./cloud-node";
import { terraformString } from "./terraform-string";

/** A node on Hetzner Cloud: server, primary IP kept across rebuilds, optional data volume, cloud firewall. */
export class HetznerNode extends CloudNode {
  readonly publicIpv4: string;
  readonly compressesUserData = true;
  readonly egressThroughReservedIp = false;
  readonly dataDevice?: string;
  private readonly server: Server;

  constructor(
    scope: Construct,
    id: string,
    private readonly props: CloudNodeProps,
  ) {
    super(scope, id);
    const primaryIp = new PrimaryIp(this, "primary-ip", {
      name: `${props.name}-ipv4`,
      type: "ipv4",
      location: props.location,
      // Kept when the server is replaced, so DNS, pools and peers' allow-lists stay right.
      autoDelete: false,
      lifecycle: { preventDestroy: true },
    });
    this.publicIpv4 = primaryIp.ipAddress;
    const volume =
      props.dataVolumeSizeGb === undefined
        ? undefined
        : new Volume(this, "data-volume", {
            name: `${props.name}-pgdata`,
            location: props.location,
            size: props.dataVolumeSizeGb,
            format: "ext4",
            lifecycle: { preventDestroy: true },
          });
    this.dataDevice = volume && `/dev/disk/by-id/scsi-0HC_Volume_${volume.id}`;
    const serverType = new DataHcloudServerType(this, "server-type", { name: props.size });
    this.server = new Server(this, "server", {
      name: props.name,
      serverType: props.size,
      image: props.image,
      location: props.location,
      sshKeys: props.sshKeyIds,
      // Hetzner caps user-data at 32 KiB and its cloud-init datasource base64-decodes (and then
      // gunzips) what it receives, so the document travels compressed; Terraform compresses it
      // at apply time, once the secrets are filled in. (A local holds the document: Terraform
      // functions cannot take a literal with double quotes.)
      userData: Fn.base64gzip(this.userData),
      publicNet: [{ ipv4Enabled: true, ipv4: Token.asNumber(primaryIp.id), ipv6Enabled: true }],
      shutdownBeforeDeletion: true,
      lifecycle: {
        ignoreChanges: firstBootOnlyAttributes,
        // Checked at every plan: a deprecation fails the pull request, not the rebuild during an outage.
        precondition: [
          {
            condition: `\${contains([for location in ${serverType.fqn}.locations : location.name if !location.is_deprecated], "${props.location}")}`,
            errorMessage: `Hetzner server type ${props.size} is deprecated or not offered in ${props.location}; choose a current type (hcloud server-type list) for ${props.name} before it ever has to be rebuilt`,
          },
        ],
      },
    });
    if (volume) {
      new VolumeAttachment(this, "data-volume-attachment", {
        serverId: Token.asNumber(this.server.id),
        volumeId: Token.asNumber(volume.id),
        automount: false,
      });
    }
  }

  protected createFirewall(inboundRules: readonly FirewallRule[]): void {
    new Firewall(this, "firewall", {
      name: `${this.props.name}-firewall`,
      rule: inboundRules.map((rule) => ({
        direction: "in",
        description: rule.description,
        protocol: rule.protocol,
        port: String(rule.port),
        sourceIps: [...rule.sources],
      })),
      applyTo: [{ server: Token.asNumber(this.server.id) }],
    });
  }
}

/** Registers the operators' keys once per Hetzner project (Hetzner refuses the same key twice). */
export function registerHetznerSshKeys(scope: Construct, estateName: string, publicKeys: readonly string[]): string[] {
  return publicKeys.map((publicKey, index) => new SshKey(scope, `hetzner-ssh-key-${index}`, { name: `${estateName}-${index}`, publicKey: terraformString(publicKey) }).id);
}
