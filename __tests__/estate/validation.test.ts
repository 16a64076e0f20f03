import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { stringify } from "yaml";
import { EstateInput, EstateValidationError, loadEstateFile, validateEstate } from "../../estate";
import { exampleEstateFile, exampleEstateInput } from "../../estate/example-estate";

type Mutation = (estate: EstateInput & Record<string, unknown>) => void;

/** Validates the example estate changed by `mutate` and returns the problems found. */
function problemsAfter(mutate: Mutation) {
  const estate = exampleEstateInput() as EstateInput & Record<string, unknown>;
  mutate(estate);
  try {
    validateEstate(estate, "test estate");
  } catch (error) {
    expect(error).toBeInstanceOf(EstateValidationError);
    return (error as EstateValidationError).problems;
  }
  throw new Error("the estate was accepted");
}

describe("estate description validation", () => {
  test("the example estate is valid and gets its defaults", () => {
    const estate = loadEstateFile(exampleEstateFile);
    expect(estate.standby.provider).toBe("hetzner");
    expect(estate.dns.ttl).toBe(60);
    expect(estate.postgres.majorVersion).toBe(16);
  });

  const badInputs: Array<[string, Mutation, string, RegExp]> = [
    ["a private primary address", (e) => (e.primary.ipv4 = "10.1.2.3"), "primary.ipv4", /public IPv4/],
    ["a malformed primary address", (e) => (e.primary.ipv4 = "203.0.113.300"), "primary.ipv4", /IPv4 address/],
    ["a link-local IPv6", (e) => (e.primary.ipv6 = "fe80::1"), "primary.ipv6", /global IPv6/],
    ["an unknown standby provider", (e) => ((e.standby as Record<string, unknown>).provider = "aws"), "standby.provider", /hetzner, digitalocean/],
    ["an unknown standby location", (e) => (e.standby.location = "mars1"), "standby.location", /unknown hetzner location; allowed: fsn1/],
    ["a DigitalOcean region for a Hetzner server", (e) => (e.witness.location = "fra1"), "witness.location", /unknown hetzner location/],
    ["a malformed server size", (e) => (e.standby.size = "huge"), "standby.size", /hetzner server size/],
    ["a server type Hetzner no longer sells", (e) => (e.witness.size = "cx22"), "witness.size", /cx22 can no longer be ordered from hetzner.*use cx23/],
    ["a gateway outside the primary's subnet", (e) => (e.primary.network = { interface: "eno1", gateway4: "198.51.100.1" }), "primary.network.gateway4", /inside 203\.0\.113\.10\/24/],
    ["a static IPv6 gateway without an IPv4 one", (e) => (e.primary.network = { interface: "eno1", gateway6: "fe80::1" }), "primary.network.gateway4", /required with gateway6/],
    ["an interface glob on Debian 12, whose cloud-init matches by name only", (e) => Object.assign(e, { os: "debian-12", postgres: { ...e.postgres, majorVersion: 15 }, primary: { ...e.primary, network: { interface: "en*" } } }), "primary.network.interface", /own name on debian-12/],
    ["a malformed seed interface", (e) => (e.primary.network = { interface: "eth 0" }), "primary.network.interface", /interface name such as eno1/],
    ["a DNS TTL above 60 s", (e) => (e.dns = { ...e.dns, ttl: 300 }), "dns.ttl", /at most 60/],
    ["a DNS TTL below 30 s", (e) => (e.dns = { ...e.dns, ttl: 5 }), "dns.ttl", /at least 30/],
    ["no SSH keys", (e) => (e.ssh.publicKeys = []), "ssh.publicKeys", /at least one SSH public key/],
    ["a key that is not an OpenSSH public key", (e) => (e.ssh.publicKeys = ["-----BEGIN OPENSSH PRIVATE KEY-----"]), "ssh.publicKeys.0", /OpenSSH public key/],
    ["a world-open admin CIDR", (e) => (e.ssh.adminCidrs = ["0.0.0.0/0"]), "ssh.adminCidrs.0", /whole internet/],
    ["a world-open IPv6 admin CIDR", (e) => (e.ssh.adminCidrs = ["::/0"]), "ssh.adminCidrs.0", /whole internet/],
    ["a too broad admin CIDR", (e) => (e.ssh.adminCidrs = ["10.0.0.0/4"]), "ssh.adminCidrs.0", /too broad/],
    ["duplicate hostnames", (e) => (e.hostnames = ["api", "stream", "api"]), "hostnames.2", /listed twice/],
    ["a hostname taken by a node record", (e) => (e.hostnames = ["api", "standby"]), "hostnames.1", /reserved for a node record/],
    ["an invalid hostname label", (e) => (e.hostnames = ["API_1"]), "hostnames.0", /DNS label/],
    ["no hostnames", (e) => (e.hostnames = []), "hostnames", /at least one service hostname/],
    ["the witness beside the standby", (e) => (e.witness = { ...e.witness, location: e.standby.location }), "witness.location", /third failure domain/],
    ["an unsupported PostgreSQL version", (e) => (e.postgres = { ...e.postgres, majorVersion: 9 }), "postgres.majorVersion", /PostgreSQL 9 is not packaged for ubuntu-24\.04; it ships 16, and the PostgreSQL project's repository builds 14, 15, 16, 17/],
    ["a PostgreSQL version neither Debian 12 nor PGDG packages", (e) => Object.assign(e, { os: "debian-12", postgres: { ...e.postgres, majorVersion: 13 } }), "postgres.majorVersion", /not packaged for debian-12; it ships 15/],
    ["an unknown operating system", (e) => Object.assign(e, { os: "centos-7" }), "os", /must be one of: ubuntu-24\.04, debian-12/],
    ["a plain-http webhook", (e) => (e.alerts.webhookUrl = "http://alerts.example.com/hook"), "alerts.webhookUrl", /https/],
    ["a plain-http dead-man's switch", (e) => (e.alerts.deadMansSwitchUrl = "http://hc-ping.com/uuid"), "alerts.deadMansSwitchUrl", /^must be an https:\/\/ URL: the ping address your dead-man's-switch service gives you$/],
    ["a dead-man's switch that is not a URL", (e) => (e.alerts.deadMansSwitchUrl = "hc-ping.com/uuid"), "alerts.deadMansSwitchUrl", /https:\/\/ URL/],
    ["a zero retention", (e) => (e.backups = { ...e.backups, dailyRetentionDays: 0 }), "backups.dailyRetentionDays", /.+/],
    ["a bad Cloudflare zone id", (e) => (e.cloudflare.zoneId = "zone-1"), "cloudflare.zoneId", /32-character/],
    ["an unknown field (a typo)", (e) => (e.standby = { ...e.standby, volumeSize: 50 } as never), "standby", /unknown field\(s\) volumeSize/],
    ["a missing domain", (e) => delete (e as Record<string, unknown>).domain, "domain", /is required/],
    ["a bad estate name", (e) => (e.name = "My Estate"), "name", /a-z, 0-9/],
    ["a number given as text", (e) => (e.standby = { ...e.standby, volumeSizeGb: "100" as never }), "standby.volumeSizeGb", /^must be a number, got string "100"$/],
    ["a list where a mapping belongs", (e) => (e.ssh = [] as never), "ssh", /^must be an object, got a list$/],
  ];

  test.each(badInputs)("rejects %s, naming the field and what is allowed", (_label, mutate, field, message) => {
    const problems = problemsAfter(mutate);
    const problem = problems.find((p) => p.field === field);
    expect(problem).toBeDefined();
    expect(problem!.message).toMatch(message);
  });

  test("reports every problem at once, not just the first", () => {
    const problems = problemsAfter((e) => {
      e.primary.ipv4 = "127.0.0.1";
      e.standby.location = "nowhere";
      e.ssh.publicKeys = [];
    });
    expect(problems.map((p) => p.field)).toEqual(expect.arrayContaining(["primary.ipv4", "standby.location", "ssh.publicKeys"]));
  });

  test("unparseable YAML is reported with the file name", () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "estate-")), "broken.yaml");
    fs.writeFileSync(file, "name: [unclosed\n");
    expect(() => loadEstateFile(file)).toThrow(/broken\.yaml is not a valid estate description:\n.*not valid YAML/s);
  });

  test("an empty file is said to be empty", () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "estate-")), "empty.yaml");
    fs.writeFileSync(file, "# nothing yet\n");
    expect(() => loadEstateFile(file)).toThrow(/empty\.yaml is not a valid estate description:\n  - \(top level\): is empty: describe the estate/);
  });

  test("a YAML alias bomb is refused as invalid YAML, with the file named and no stack trace", () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "estate-")), "bomb.yaml");
    const levels = ["a: &a [x, x, x, x, x, x, x, x, x]"];
    for (let level = 1; level < 9; level++) {
      levels.push(`${String.fromCharCode(97 + level)}: &${String.fromCharCode(97 + level)} [${Array(9).fill(`*${String.fromCharCode(96 + level)}`).join(", ")}]`);
    }
    fs.writeFileSync(file, levels.join("\n") + "\n");
    let message = "";
    try {
      loadEstateFile(file);
    } catch (error) {
      expect(error).toBeInstanceOf(EstateValidationError);
      message = (error as Error).message;
    }
    expect(message).toMatch(/^.*bomb\.yaml is not a valid estate description:\n  - \(top level\): is not valid YAML: /);
    expect(message).not.toMatch(/\n\s+at /);
  });
});

describe("synthesizing a bad estate", () => {
  test("exits non-zero, names the field, and writes nothing to the output folder", () => {
    const directory = fs.mkdtempSync(path.join(os.tmpdir(), "estate-"));
    const estateFile = path.join(directory, "estate.yaml");
    const outdir = path.join(directory, "cdktf.out");
    const estate = exampleEstateInput();
    estate.standby.location = "atlantis";
    fs.writeFileSync(estateFile, stringify(estate));

    let failure: { status: number; stderr: string } | undefined;
    try {
      execFileSync("npx", ["ts-node", "--transpile-only", "main.ts"], {
        cwd: path.join(__dirname, "..", ".."),
        env: { ...process.env, ESTATE_FILE: estateFile, CDKTF_OUTDIR: outdir },
        stdio: "pipe",
      });
    } catch (error) {
      const { status, stderr } = error as { status: number; stderr: Buffer };
      failure = { status, stderr: stderr.toString() };
    }
    expect(failure?.status).toBe(1);
    expect(failure?.stderr).toMatch(/standby\.location: unknown hetzner location; allowed: /);
    expect(fs.existsSync(outdir)).toBe(false);
  });
});
