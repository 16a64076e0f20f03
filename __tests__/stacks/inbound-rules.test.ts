import { ports } from "../../estate/firewall-rules";
import { inboundRulesByRole } from "../../stacks/inbound-rules";

const adminCidrs = ["198.51.100.0/24"];
const rules = inboundRulesByRole(adminCidrs, { primary: "203.0.113.10", standby: "192.0.2.20", witness: "192.0.2.30" });
const sourcesOf = (role: keyof typeof rules, port: number) => rules[role].find((rule) => rule.port === port)?.sources;

describe("inboundRulesByRole", () => {
  test.each([
    ["primary", ["192.0.2.20/32", "192.0.2.30/32"], [...adminCidrs, "192.0.2.20/32"]],
    ["standby", ["203.0.113.10/32", "192.0.2.30/32"], [...adminCidrs, "203.0.113.10/32"]],
    ["witness", ["203.0.113.10/32", "192.0.2.20/32"], adminCidrs],
  ] as const)("the %s takes PostgreSQL from the two other nodes alone, SSH from the admin networks (and the other data node)", (role, others, ssh) => {
    expect(sourcesOf(role, ports.postgres)).toEqual(others);
    expect(sourcesOf(role, ports.ssh)).toEqual(ssh);
  });

  test("the data nodes serve HTTP and RTMP to everyone and NATS to the estate; the witness serves neither", () => {
    for (const role of ["primary", "standby"] as const) {
      expect(sourcesOf(role, ports.http)).toEqual(["0.0.0.0/0", "::/0"]);
      expect(sourcesOf(role, ports.rtmp)).toEqual(["0.0.0.0/0", "::/0"]);
      expect(sourcesOf(role, ports.nats)).toEqual(sourcesOf(role, ports.postgres));
    }
    expect(rules.witness.map((rule) => rule.port)).not.toEqual(expect.arrayContaining([ports.http]));
    expect(rules.witness.map((rule) => rule.port)).not.toContain(ports.rtmp);
  });
});
