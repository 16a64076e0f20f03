import { TerraformStack, Testing } from "cdktf";
import type { CloudNode } from "../../constructs/cloud-node";
import { cloudVariants } from "../../constructs/cloud-variants";
import type { FirewallRule } from "../../estate/firewall-rules";

const rules: FirewallRule[] = [{ description: "SSH from admin networks", protocol: "tcp", port: 22, sources: ["198.51.100.0/24"] }];

describe.each(Object.entries(cloudVariants))("a %s node", (_provider, variant) => {
  /** The node in a stack of its own, given what `configure` gives it; synth runs the validations as `cdktf synth` does. */
  function synthesize(configure: (node: CloudNode) => void): () => string {
    const stack = new TerraformStack(Testing.app(), "estate");
    variant.configureProvider(stack);
    configure(variant.createNode(stack, "witness", { name: "dr-lab-witness", location: "hel1", size: "small", sshKeyIds: [], image: "debian-12" }));
    return () => Testing.synth(stack, true);
  }

  test("synthesizes with its user-data and firewall given in either order", () => {
    const userDataFirst = synthesize((node) => {
      node.setUserData("#cloud-config\n");
      node.setInboundRules(rules);
    });
    const firewallFirst = synthesize((node) => {
      node.setInboundRules(rules);
      node.setUserData("#cloud-config\n");
    });
    expect(firewallFirst()).toEqual(userDataFirst());
  });

  test("without user-data fails synth, naming the node", () => {
    const synth = synthesize((node) => node.setInboundRules(rules));
    expect(synth).toThrow(/\[estate\/witness\] has no user-data: setUserData\(\) was never called/);
    expect(synth).not.toThrow(/has no firewall/);
  });

  test("without a firewall fails synth, naming the node", () => {
    const synth = synthesize((node) => node.setUserData("#cloud-config\n"));
    expect(synth).toThrow(/\[estate\/witness\] has no firewall: setInboundRules\(\) was never called/);
    expect(synth).not.toThrow(/has no user-data/);
  });

  test("refuses a second document or a second firewall", () => {
    synthesize((node) => {
      node.setUserData("#cloud-config\n");
      node.setInboundRules(rules);
      expect(() => node.setUserData("#cloud-config\n")).toThrow("estate/witness: setUserData() was already called; a node has one #cloud-config");
      expect(() => node.setInboundRules(rules)).toThrow("estate/witness: setInboundRules() was already called; a node has one firewall");
    });
  });
});
