import type { NodeSecrets, OffsiteRepository } from "../../cloud-init/node-config";
import { exampleEstate, exampleEstateInput } from "../../estate/example-estate";
import { nodeRoles } from "../../estate/schema";
import { NodeContext, nodeConfiguration, nodeFqdn, seedNetwork } from "../../stacks/node-configuration";

const secrets: NodeSecrets = {
  replicationPassword: "replication-secret",
  failoverMonitorPassword: "monitor-secret",
  natsPassword: "nats-secret",
  caCertificateBase64: "Y2E=",
  nodeCertificateBase64: "Y2VydA==",
  nodePrivateKeyBase64: "a2V5",
  sshHostKeyBase64: "aG9zdA==",
  sshHostPublicKey: "ssh-ed25519 AAAAhost",
};
const offsiteBackups: OffsiteRepository = {
  endpoint: "ams3.digitaloceanspaces.com",
  region: "ams3",
  bucket: "mhc-dr-offsite-backups",
  path: "/mhc-dr",
  accessKeyId: "key-id",
  secretAccessKey: "key-secret",
  cipherPassphrase: "cipher",
  retentionDays: 90,
};
const certbotDnsToken = "certbot-dns-token";
const context: NodeContext = { peers: { primary: "203.0.113.10", standby: "198.51.100.20", witness: "198.51.100.30" }, secrets, offsiteBackups, certbotDnsToken };
const deadMansSwitchUrl = "https://hc-ping.com/0f1e2d3c";
const estate = exampleEstate("hetzner", { alerts: { ...exampleEstateInput().alerts, deadMansSwitchUrl } });

describe("nodeConfiguration", () => {
  test.each(["primary", "standby"] as const)("the %s, a data node, gets the off-site repository and no dead-man's switch", (role) => {
    const config = nodeConfiguration(estate, role, context);
    expect(config.offsiteBackups).toBe(offsiteBackups);
    expect(config.deadMansSwitchUrl).toBeUndefined();
  });

  test("the witness, which holds no data, gets the dead-man's switch and no off-site repository", () => {
    const config = nodeConfiguration(estate, "witness", context);
    expect(config.deadMansSwitchUrl).toBe(deadMansSwitchUrl);
    expect(config.offsiteBackups).toBeUndefined();
  });

  test.each(["primary", "standby"] as const)("the %s serves HTTPS for every service hostname with the certbot token; the witness gets neither", (role) => {
    expect(nodeConfiguration(estate, role, context).https).toEqual({
      hostnames: estate.hostnames.map((hostname) => `${hostname}.example.com`),
      cloudflareApiToken: certbotDnsToken,
    });
    expect(estate.hostnames.length).toBeGreaterThan(1);
    expect(nodeConfiguration(estate, "witness", context).https).toBeUndefined();
  });

  test.each(nodeRoles)("the %s is named below the estate's domain and carries the context's values", (role) => {
    const config = nodeConfiguration(estate, role, { ...context, dataDevice: "/dev/sdb" });
    expect(config).toMatchObject({ role, estateName: "mhc-dr", fqdn: `${role}.example.com`, peers: context.peers, secrets, dataDevice: "/dev/sdb" });
    expect(config.adminCidrs).toEqual(["198.51.100.0/24"]);
    expect(config.alertWebhookUrl).toBe("https://alerts.example.com/hooks/dr-estate");
  });

  test("PostgreSQL comes from the distribution when it ships the major version, from PGDG otherwise", () => {
    const ubuntu = (majorVersion: number) => exampleEstate("hetzner", { os: "ubuntu-24.04", postgres: { ...exampleEstateInput().postgres, majorVersion } });
    expect(nodeConfiguration(ubuntu(16), "standby", context).postgres).toMatchObject({ majorVersion: 16, source: "distribution", database: "mhc" });
    expect(nodeConfiguration(ubuntu(17), "standby", context).postgres).toMatchObject({ majorVersion: 17, source: "pgdg" });
  });
});

describe("nodeFqdn", () => {
  test("is the role below the domain", () => {
    expect(nodeFqdn({ domain: "dr.example.org" }, "witness")).toBe("witness.dr.example.org");
  });
});

describe("seedNetwork", () => {
  const primary = { ipv4: "203.0.113.10", ipv6: "2001:db8:10::10" };
  const network = { interface: "eno1", prefixLength: 24, ipv6PrefixLength: 64, nameservers: ["1.1.1.1"] };

  test("is none without a network block: cloud-init's own DHCP fallback", () => {
    expect(seedNetwork({ ...primary, network: undefined })).toBeUndefined();
  });

  test("is DHCP on the named interface without a gateway", () => {
    expect(seedNetwork({ ...primary, network })).toEqual({ interface: "eno1" });
  });

  test("is static with the primary's own addresses and prefixes when a gateway is given", () => {
    expect(seedNetwork({ ...primary, network: { ...network, gateway4: "203.0.113.1", gateway6: "fe80::1" } })).toEqual({
      interface: "eno1",
      static: { addresses: ["203.0.113.10/24", "2001:db8:10::10/64"], gateway4: "203.0.113.1", gateway6: "fe80::1", nameservers: ["1.1.1.1"] },
    });
  });

  test("static without an IPv6 address has the IPv4 address alone", () => {
    const seed = seedNetwork({ ipv4: "203.0.113.10", network: { ...network, prefixLength: 28, gateway4: "203.0.113.1" } });
    expect(seed?.static?.addresses).toEqual(["203.0.113.10/28"]);
    expect(seed?.static?.gateway6).toBeUndefined();
  });
});
