import { ReservedIp } from "@cdktf/provider-digitalocean/lib/reserved-ip";
import { Volume } from "@cdktf/provider-digitalocean/lib/volume";
import type { CloudNodeProps } from "../../constructs/cloud-node";
import { DigitalOceanNode } from "../../constructs/digitalocean-node";
import type { FirewallRule } from "../../estate/firewall-rules";
import { onlyResource, synthScope } from "../support/synth-scope";

const props: CloudNodeProps = { name: "dr-lab-standby", location: "lon1", size: "s-2vcpu-4gb", dataVolumeSizeGb: 60, sshKeyIds: ["key-1"], image: "ubuntu-24-04-x64" };
const rules: FirewallRule[] = [
  { description: "SSH from admin networks", protocol: "tcp", port: 22, sources: ["198.51.100.0/24"] },
  { description: "PostgreSQL from estate nodes", protocol: "tcp", port: 5432, sources: ["203.0.113.10/32"] },
];

function synthesizeNode(nodeProps: CloudNodeProps) {
  return synthScope((scope, expose) => {
    const node = new DigitalOceanNode(scope, "standby", nodeProps);
    node.setInboundRules(rules);
    node.setUserData("#cloud-config\nruncmd: [echo %{not a directive}]\n");
    expose({ publicIpv4: node.publicIpv4, dataDevice: node.dataDevice ?? "none", userData: node.userData, egress: node.egressThroughReservedIp });
  });
}

describe("DigitalOceanNode", () => {
  const { synthesized, json, exposed } = synthesizeNode(props);
  const reservedIp = onlyResource(json, "digitalocean_reserved_ip");
  const droplet = onlyResource(json, "digitalocean_droplet");

  test("reserves an IP in the region, assigns it to the droplet and sends from it", () => {
    expect(synthesized).toHaveResourceWithProperties(ReservedIp, { region: "lon1", lifecycle: { prevent_destroy: true } });
    expect(exposed.publicIpv4).toBe(reservedIp.ref("ip_address"));
    expect(onlyResource(json, "digitalocean_reserved_ip_assignment").attributes).toEqual({ ip_address: reservedIp.ref("ip_address"), droplet_id: droplet.ref("id") });
    // The droplet's own address changes with each rebuild: cloud-init routes outgoing traffic through the reserved IP.
    expect(exposed.egress).toBe(true);
  });

  test("creates the droplet with the props and the user-data of the one local that holds it, uncompressed", () => {
    expect(droplet.attributes).toMatchObject({ name: "dr-lab-standby", region: "lon1", size: "s-2vcpu-4gb", image: "ubuntu-24-04-x64", ssh_keys: ["key-1"], ipv6: true });
    expect(droplet.attributes.user_data).toBe(exposed.userData);
    expect(Object.values(json.locals ?? {})).toEqual(["#cloud-config\nruncmd: [echo %%{not a directive}]\n"]);
    expect(droplet.attributes.lifecycle.ignore_changes).toEqual(["user_data", "image", "ssh_keys"]);
  });

  test("fails the plan when the size is retired or not offered in the region", () => {
    const [sizesId] = Object.keys(json.data?.digitalocean_sizes ?? {});
    expect(json.data?.digitalocean_sizes[sizesId]).toEqual({ filter: [{ key: "slug", values: ["s-2vcpu-4gb"] }] });
    const [precondition] = droplet.attributes.lifecycle.precondition;
    expect(precondition.condition).toContain(`data.digitalocean_sizes.${sizesId}.sizes`);
    expect(precondition.condition).toContain('"lon1"');
    expect(precondition.error_message).toMatch(/s-2vcpu-4gb is retired or not offered in lon1/);
  });

  test("keeps PostgreSQL on a protected volume attached at creation, named by its label path", () => {
    expect(synthesized).toHaveResourceWithProperties(Volume, { name: "dr-lab-standby-pgdata", region: "lon1", size: 60, initial_filesystem_type: "ext4", lifecycle: { prevent_destroy: true } });
    expect(droplet.attributes.volume_ids).toEqual([onlyResource(json, "digitalocean_volume").ref("id")]);
    expect(exposed.dataDevice).toBe("/dev/disk/by-id/scsi-0DO_Volume_dr-lab-standby-pgdata");
  });

  test("puts the droplet behind a firewall with the inbound rules given and every outbound port open", () => {
    const firewall = onlyResource(json, "digitalocean_firewall").attributes;
    expect(firewall).toMatchObject({ name: "dr-lab-standby-firewall", droplet_ids: [droplet.ref("id")] });
    expect(firewall.inbound_rule).toEqual([
      { protocol: "tcp", port_range: "22", source_addresses: ["198.51.100.0/24"] },
      { protocol: "tcp", port_range: "5432", source_addresses: ["203.0.113.10/32"] },
    ]);
    // Without outbound rules a DigitalOcean firewall drops every outgoing packet.
    expect(firewall.outbound_rule.map((rule: { protocol: string }) => rule.protocol)).toEqual(["tcp", "udp", "icmp"]);
  });

  test("has no volume or data device without a data volume size", () => {
    const { json: witness, exposed: witnessValues } = synthesizeNode({ ...props, dataVolumeSizeGb: undefined });
    expect(witness.resource.digitalocean_volume).toBeUndefined();
    expect(onlyResource(witness, "digitalocean_droplet").attributes.volume_ids).toBeUndefined();
    expect(witnessValues.dataDevice).toBe("none");
  });
});
