import { PrimaryIp } from "../../.gen/providers/hcloud/primary-ip";
import { Volume } from "../../.gen/providers/hcloud/volume";
import type { CloudNodeProps } from "../../constructs/cloud-node";
import { HetznerNode } from "../../constructs/hetzner-node";
import type { FirewallRule } from "../../estate/firewall-rules";
import { onlyResource, synthScope } from "../support/synth-scope";

const props: CloudNodeProps = { name: "dr-lab-standby", location: "nbg1", size: "cx33", dataVolumeSizeGb: 40, sshKeyIds: ["key-1", "key-2"], image: "debian-12" };
const rules: FirewallRule[] = [
  { description: "SSH from admin networks", protocol: "tcp", port: 22, sources: ["198.51.100.0/24"] },
  { description: "NATS cluster", protocol: "tcp", port: 6222, sources: ["203.0.113.10/32", "192.0.2.7/32"] },
];

function synthesizeNode(nodeProps: CloudNodeProps) {
  return synthScope((scope, expose) => {
    const node = new HetznerNode(scope, "standby", nodeProps);
    node.setUserData("#cloud-config\nruncmd: [echo ${PG_MAJOR}]\n");
    node.setInboundRules(rules);
    expose({ publicIpv4: node.publicIpv4, dataDevice: node.dataDevice ?? "none", userData: node.userData });
  });
}

describe("HetznerNode", () => {
  const { synthesized, json, exposed } = synthesizeNode(props);
  const primaryIp = onlyResource(json, "hcloud_primary_ip");
  const server = onlyResource(json, "hcloud_server");
  const volume = onlyResource(json, "hcloud_volume");

  test("reserves a primary IP in the location that outlives the server", () => {
    expect(synthesized).toHaveResourceWithProperties(PrimaryIp, { name: "dr-lab-standby-ipv4", type: "ipv4", location: "nbg1", auto_delete: false, lifecycle: { prevent_destroy: true } });
    expect(exposed.publicIpv4).toBe(primaryIp.ref("ip_address"));
    expect(server.attributes.public_net).toEqual([{ ipv4_enabled: true, ipv4: primaryIp.ref("id"), ipv6_enabled: true }]);
  });

  test("creates the server with the props, its user-data compressed from the one local that holds it", () => {
    expect(server.attributes).toMatchObject({ name: "dr-lab-standby", server_type: "cx33", image: "debian-12", location: "nbg1", ssh_keys: ["key-1", "key-2"] });
    expect(server.attributes.user_data).toBe(`\${base64gzip(${exposed.userData.slice(2, -1)})}`);
    expect(Object.values(json.locals ?? {})).toEqual(["#cloud-config\nruncmd: [echo $${PG_MAJOR}]\n"]);
  });

  test("never replaces the server for a later change of user-data, image or keys", () => {
    expect(server.attributes.lifecycle.ignore_changes).toEqual(["user_data", "image", "ssh_keys"]);
  });

  test("fails the plan when the server type is deprecated or not offered in the location", () => {
    const [serverTypeId] = Object.keys(json.data?.hcloud_server_type ?? {});
    expect(json.data?.hcloud_server_type[serverTypeId]).toEqual({ name: "cx33" });
    const [precondition] = server.attributes.lifecycle.precondition;
    expect(precondition.condition).toContain(`data.hcloud_server_type.${serverTypeId}.locations`);
    expect(precondition.condition).toContain('"nbg1"');
    expect(precondition.error_message).toMatch(/cx33 is deprecated or not offered in nbg1/);
  });

  test("keeps PostgreSQL on a protected volume, attached without automount, named by its id", () => {
    expect(synthesized).toHaveResourceWithProperties(Volume, { name: "dr-lab-standby-pgdata", location: "nbg1", size: 40, format: "ext4", lifecycle: { prevent_destroy: true } });
    expect(onlyResource(json, "hcloud_volume_attachment").attributes).toEqual({ server_id: server.ref("id"), volume_id: volume.ref("id"), automount: false });
    expect(exposed.dataDevice).toBe(`/dev/disk/by-id/scsi-0HC_Volume_${volume.ref("id")}`);
  });

  test("puts the server behind a firewall with exactly the inbound rules given", () => {
    expect(onlyResource(json, "hcloud_firewall").attributes).toEqual({
      name: "dr-lab-standby-firewall",
      rule: [
        { direction: "in", description: "SSH from admin networks", protocol: "tcp", port: "22", source_ips: ["198.51.100.0/24"] },
        { direction: "in", description: "NATS cluster", protocol: "tcp", port: "6222", source_ips: ["203.0.113.10/32", "192.0.2.7/32"] },
      ],
      apply_to: [{ server: server.ref("id") }],
    });
  });

  test("has no volume, attachment or data device without a data volume size", () => {
    const { json: witness, exposed: witnessValues } = synthesizeNode({ ...props, dataVolumeSizeGb: undefined });
    expect(witness.resource.hcloud_volume).toBeUndefined();
    expect(witness.resource.hcloud_volume_attachment).toBeUndefined();
    expect(witnessValues.dataDevice).toBe("none");
  });
});
