import { DataDigitaloceanSizes } from "@cdktf/provider-digitalocean/lib/data-digitalocean-sizes";
import { Droplet } from "@cdktf/provider-digitalocean/lib/droplet";
import { Firewall } from "@cdktf/provider-digitalocean/lib/firewall";
import { ReservedIp } from "@cdktf/provider-digitalocean/lib/reserved-ip";
import { ReservedIpAssignment } from "@cdktf/provider-digitalocean/lib/reserved-ip-assignment";
import { SshKey } from "@cdktf/provider-digitalocean/lib/ssh-key";
import { Volume } from "@cdktf/provider-digitalocean/lib/volume";
import { Token } from "cdktf";
import { Construct } from "constructs";
import { FirewallRule, worldIpv4, worldIpv6 } from "../estate/firewall-rules";
import { CloudNode, CloudNodeProps, firstBootOnlyAttributes } from "./cloud-node";
import { terraformString } from "./terraform-string";

const everywhere = [worldIpv4, worldIpv6];

/** A node on DigitalOcean: droplet, reserved IP, optional data volume and a cloud firewall. */
export class DigitalOceanNode extends CloudNode {
  readonly publicIpv4: string;
  readonly compressesUserData = false;
  /** The droplet's own address changes with every rebuild; cloud-init routes through the reserved IP. */
  readonly egressThroughReservedIp = true;
  readonly dataDevice?: string;
  private readonly droplet: Droplet;

  constructor(
    scope: Construct,
    id: string,
    private readonly props: CloudNodeProps,
  ) {
    super(scope, id);
    const reservedIp = new ReservedIp(this, "reserved-ip", {
      region: props.location,
      lifecycle: { preventDestroy: true },
    });
    this.publicIpv4 = reservedIp.ipAddress;
    const volumeName = `${props.name}-pgdata`;
    const volume =
      props.dataVolumeSizeGb === undefined
        ? undefined
        : new Volume(this, "data-volume", {
            name: volumeName,
            region: props.location,
            size: props.dataVolumeSizeGb,
            initialFilesystemType: "ext4",
            initialFilesystemLabel: "pgdata",
            description: "PostgreSQL data; survives server rebuilds",
            lifecycle: { preventDestroy: true },
          });
    this.dataDevice = volume && `/dev/disk/by-id/scsi-0DO_Volume_${volumeName}`;
    const size = new DataDigitaloceanSizes(this, "size", { filter: [{ key: "slug", values: [props.size] }] });
    // Attached at creation (volume_ids) so the data volume is there when cloud-init first runs.
    this.droplet = new Droplet(this, "server", {
      name: props.name,
      region: props.location,
      size: props.size,
      image: props.image,
      sshKeys: props.sshKeyIds,
      userData: this.userData,
      volumeIds: volume ? [volume.id] : undefined,
      ipv6: true,
      monitoring: true,
      gracefulShutdown: true,
      lifecycle: {
        ignoreChanges: firstBootOnlyAttributes,
        // Checked at every plan: a retired size fails the pull request, not the rebuild during an outage.
        precondition: [
          {
            condition: `\${contains(flatten([for size in ${size.fqn}.sizes : size.regions if size.available]), "${props.location}")}`,
            errorMessage: `DigitalOcean size ${props.size} is retired or not offered in ${props.location}; choose a current size (doctl compute size list) for ${props.name} before it ever has to be rebuilt`,
          },
        ],
      },
    });
    new ReservedIpAssignment(this, "reserved-ip-assignment", {
      ipAddress: reservedIp.ipAddress,
      dropletId: Token.asNumber(this.droplet.id),
    });
  }

  protected createFirewall(inboundRules: readonly FirewallRule[]): void {
    new Firewall(this, "firewall", {
      name: `${this.props.name}-firewall`,
      dropletIds: [Token.asNumber(this.droplet.id)],
      inboundRule: inboundRules.map((rule) => ({
        protocol: rule.protocol,
        portRange: String(rule.port),
        sourceAddresses: [...rule.sources],
      })),
      // A DigitalOcean firewall without outbound rules drops all outgoing traffic.
      outboundRule: [
        { protocol: "tcp", portRange: "1-65535", destinationAddresses: everywhere },
        { protocol: "udp", portRange: "1-65535", destinationAddresses: everywhere },
        { protocol: "icmp", destinationAddresses: everywhere },
      ],
    });
  }
}

/** Registers the operators' keys once per DigitalOcean account (DigitalOcean refuses the same key twice). */
export function registerDigitalOceanSshKeys(scope: Construct, estateName: string, publicKeys: readonly string[]): string[] {
  return publicKeys.map((publicKey, index) => new SshKey(scope, `digitalocean-ssh-key-${index}`, { name: `${estateName}-${index}`, publicKey: terraformString(publicKey) }).id);
}
