import { Password } from "@cdktf/provider-random/lib/password";
import { RandomProvider } from "@cdktf/provider-random/lib/provider";
import { Fn, TerraformOutput, TerraformStack, Testing } from "cdktf";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { exampleEstate } from "../../estate/example-estate";
import { runCli } from "../../review/cli";
import { isStateful } from "../../review/diff";
import { parsePlan } from "../../review/plan";
import { statefulResourceTypes } from "../../policies/prevent-destroy";
import { prices } from "../../review/prices";
import { renderReview } from "../../review/render";
import { readSynth, synthFromJson } from "../../review/synth";
import { cloudConfigFile } from "../../review/user-data";
import { synthesizeEstate } from "../../stacks/synthesize-estate";

const projectRoot = path.join(__dirname, "..", "..");
const planFixture = path.join(__dirname, "fixtures", "replace-standby.plan.txt");

/** The lines of the `## heading` section (up to the next `## `). */
function section(markdown: string, heading: string): string {
  const start = markdown.indexOf(`\n## ${heading}\n`);
  expect(start).toBeGreaterThanOrEqual(0);
  const end = markdown.indexOf("\n## ", start + 1);
  return markdown.slice(start, end < 0 ? undefined : end);
}

/** Table rows (cells trimmed) of a Markdown fragment, header and separator rows left out. */
function rows(markdown: string): string[][] {
  return markdown
    .split("\n")
    .filter((line) => line.startsWith("| ") && !line.startsWith("| ---"))
    .map((line) => line.slice(2, -2).split(" | ").map((c) => c.trim()));
}

function row(markdown: string, first: string, ...alsoContaining: string[]): string[] {
  const matches = rows(markdown).filter((r) => r[0] === first && alsoContaining.every((text) => r.join(" | ").includes(text)));
  expect(matches).toHaveLength(1);
  return matches[0];
}

const temporary: string[] = [];
function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "estate-review-"));
  temporary.push(dir);
  return dir;
}
afterAll(() => temporary.forEach((dir) => fs.rmSync(dir, { recursive: true, force: true })));

const stackDirs: Record<"hetzner" | "digitalocean", string> = {} as any;
beforeAll(() => {
  for (const flavour of ["hetzner", "digitalocean"] as const) {
    stackDirs[flavour] = synthesizeEstate(exampleEstate(flavour), tempDir());
  }
});

const expected = {
  hetzner: {
    standby: { provider: "hetzner", location: "fsn1", size: "cx33" },
    witness: { provider: "hetzner", location: "hel1", size: "cx23" },
    enforcedBy: "Hetzner Cloud firewall",
  },
  digitalocean: {
    standby: { provider: "digitalocean", location: "fra1", size: "s-2vcpu-4gb" },
    witness: { provider: "digitalocean", location: "ams3", size: "s-1vcpu-1gb" },
    enforcedBy: "DigitalOcean cloud firewall",
  },
} as const;

describe.each(["hetzner", "digitalocean"] as const)("the review of the example estate (%s flavour)", (flavour) => {
  let markdown: string;
  beforeAll(() => {
    markdown = renderReview({ current: readSynth(stackDirs[flavour]) });
  });

  test("lists every node with its provider, location, size and readable addresses", () => {
    const nodes = section(markdown, "Nodes");
    expect(rows(nodes).map((r) => r[0])).toEqual(["Role", "primary", "standby", "witness"]);
    const [, provider, , size, addresses] = row(nodes, "primary");
    expect([provider, size]).toEqual(["bare metal", "bare metal"]);
    expect(addresses).toBe("203.0.113.10, 2001:db8:10::10");
    for (const role of ["standby", "witness"] as const) {
      const [, rowProvider, location, rowSize, rowAddresses, dnsNames] = row(nodes, role);
      expect({ provider: rowProvider, location, size: rowSize }).toEqual(expected[flavour][role]);
      expect(rowAddresses).toBe(`reserved IP of ${role}`);
      expect(dnsNames).toBe(`${role}.example.com`);
    }
    expect(row(nodes, "standby")[6]).toBe("100 GB");
    expect(markdown).not.toContain("${");
  });

  test("shows the DNS records with TTL 60 and each load balancer's failover order: primary, then standby", () => {
    const dns = section(markdown, "DNS and failover");
    expect(row(dns, "primary.example.com", "| A |")).toEqual(["primary.example.com", "A", "203.0.113.10", "60", "no"]);
    expect(row(dns, "primary.example.com", "AAAA")).toEqual(["primary.example.com", "AAAA", "2001:db8:10::10", "60", "no"]);
    expect(row(dns, "standby.example.com")).toEqual(["standby.example.com", "A", "reserved IP of standby", "60", "no"]);
    expect(row(dns, "witness.example.com")).toEqual(["witness.example.com", "A", "reserved IP of witness", "60", "no"]);
    for (const hostname of ["api", "stream", "cdn"]) {
      const [, ttl, steering, order, fallback] = row(dns, `${hostname}.example.com`);
      expect([ttl, steering]).toEqual(["60", "off"]);
      expect(order).toBe("1. example-com-primary (primary 203.0.113.10) → 2. example-com-standby (standby reserved IP of standby)");
      expect(fallback).toBe("example-com-standby (standby reserved IP of standby)");
    }
    expect(row(dns, "dns/healthz-monitor")).toEqual(["dns/healthz-monitor", "http", "/healthz", "80", "60", "5", "2", "200"]);
  });

  test("shows each node's inbound firewall rules, the primary's from its nftables ruleset", () => {
    const firewall = section(markdown, "Firewall (inbound)");
    const perNode = (role: string) => {
      const start = firewall.indexOf(`### ${role}\n`);
      expect(start).toBeGreaterThanOrEqual(0);
      const end = firewall.indexOf("\n### ", start + 1);
      return rows(firewall.slice(start, end < 0 ? undefined : end)).slice(1);
    };
    const byPort = (rules: string[][]) => new Map(rules.map((r) => [r[2], r]));

    const standby = byPort(perNode("standby"));
    expect([...standby.keys()].sort()).toEqual(["1935", "22", "4222", "443", "5432", "6222", "80", "9100", "9187"]);
    expect(standby.get("22")!.slice(0, 4)).toEqual([expected[flavour].enforcedBy, "tcp", "22", "198.51.100.0/24"]);
    expect(standby.get("443")![3]).toBe("anywhere (IPv4), anywhere (IPv6)");
    expect(standby.get("5432")![3]).toMatch(/^203\.0\.113\.10\/32, reserved IP of witness\/32/);

    const witness = byPort(perNode("witness"));
    expect([...witness.keys()].sort()).toEqual(["22", "5432", "9090"]);
    expect(witness.get("5432")![3]).toMatch(/^203\.0\.113\.10\/32, reserved IP of standby\/32/);
    expect(witness.get("9090")![3]).toBe("198.51.100.0/24");

    const primary = byPort(perNode("primary"));
    expect(primary.get("22")!.slice(0, 4)).toEqual(["host nftables", "tcp", "22", "198.51.100.0/24"]);
    expect(primary.get("80")![3]).toBe("anywhere");
    expect(primary.get("5432")![3]).toContain("reserved IP of standby/32");
    expect(primary.get("5432")![3]).toContain("reserved IP of witness/32");
    // SSH, PostgreSQL and NATS are never shown open to the world on any node.
    for (const rules of [standby, witness, primary]) {
      for (const port of ["22", "5432", "4222", "6222"]) {
        expect(rules.get(port)?.[3] ?? "").not.toMatch(/anywhere/);
      }
    }
  });

  test("shows the backup retention and schedule the data nodes' user-data installs", () => {
    const backups = section(markdown, "Backups");
    expect(backups).toContain("### On primary, standby\n");
    expect(backups).toMatch(/Retention: hourly: 48 hours; daily: 30 days; weekly: 12 weeks; zfs snapshot: 14 days\./);
    expect(row(backups, "hourly at :00")).toEqual(["hourly at :00", "`0 * * * *`", "root", "`pg-dump-backup.sh hourly`"]);
    expect(row(backups, "daily 02:00")[3]).toBe("`pg-dump-backup.sh daily`");
    expect(row(backups, "Sun 03:00")[3]).toBe("`pg-dump-backup.sh weekly`");
    expect(backups).not.toContain("not in this synth");
  });

  test("estimates the monthly cost from the price table", () => {
    const cost = section(markdown, "Estimated monthly cost");
    const provider = flavour;
    const table = prices[provider];
    const servers = table.servers as Record<string, number>;
    const standbySize = expected[flavour].standby.size;
    const witnessSize = expected[flavour].witness.size;
    const ipPrice = flavour === "hetzner" ? prices.hetzner.reservedIpv4 : prices.digitalocean.reservedIpv4;
    const cloudTotal = servers[standbySize] + servers[witnessSize] + 100 * table.volumePerGb + 2 * ipPrice;
    expect(cloudTotal).toBeGreaterThan(0);
    const amount = (text: string) => Number(/[\d.]+/.exec(text.replace(/\*/g, ""))![0]);
    expect(amount(row(cost, `**${provider} total**`)[4])).toBeCloseTo(cloudTotal, 2);
    expect(amount(row(cost, "**cloudflare total**")[4])).toBeCloseTo(prices.cloudflare.loadBalancingBase, 2);
    expect(amount(row(cost, provider, `standby server ${standbySize}`)[4])).toBeCloseTo(servers[standbySize], 2);
    expect(amount(row(cost, provider, "standby volume")[4])).toBeCloseTo(100 * table.volumePerGb, 2);
    expect(cost).toContain(`**Estimated total: `);
    expect(cost).toMatch(/Estimated list prices per month as of \d{4}-\d{2}-\d{2}/);
  });

  test("draws the estate as a Mermaid flowchart", () => {
    const diagram = /```mermaid\n([\s\S]*?)\n```/.exec(markdown);
    expect(diagram).not.toBeNull();
    const lines = diagram![1].split("\n").map((l) => l.trim());
    expect(lines[0]).toBe("flowchart LR");
    expect(lines).toContain(`node_standby["standby<br/>${flavour} ${expected[flavour].standby.location} ${expected[flavour].standby.size}"]`);
    expect(lines).toContain(`lb0 -->|"1. example-com-primary"| node_primary`);
    expect(lines).toContain(`lb0 -->|"2. example-com-standby"| node_standby`);
    expect(lines).toContain(`node_primary ==>|"PostgreSQL replication"| node_standby`);
    expect(lines).toContain(`node_witness -. "monitors" .-> node_primary`);
    expect(lines).toContain(`node_witness -. "monitors" .-> node_standby`);
  });

  test("with no base or plan there is no CAUTION block and the review says so", () => {
    expect(markdown).not.toContain("[!CAUTION]");
    expect(section(markdown, "Changes")).toContain("No plan or base synth given");
  });
});

describe("the semantic diff against a base synth", () => {
  test("a new synth without the standby volume flags the volume loudly at the top", () => {
    const base = readSynth(stackDirs.hetzner);
    const json = JSON.parse(JSON.stringify(base.json));
    const [volumeName] = Object.keys(json.resource.hcloud_volume);
    delete json.resource.hcloud_volume;
    const markdown = renderReview({ current: synthFromJson(json, "modified.json"), base });

    const caution = markdown.split("\n## ")[0];
    expect(caution).toContain("> [!CAUTION]");
    expect(caution).toContain(`> - \`hcloud_volume.${volumeName}\` (standby/data-volume): **destroyed** (synth diff)`);
    expect(caution).toContain("**1 stateful resource will be destroyed or replaced.**");
    const changes = section(markdown, "Changes");
    expect(row(changes, "DESTROY", "hcloud_volume.")).toEqual(["DESTROY", `\`hcloud_volume.${volumeName}\``, "standby/data-volume", "removed from the synth"]);
    expect(rows(changes).filter((r) => r[0] !== "Action")).toHaveLength(1);
  });

  test("a changed server is reported with what changed, and no stateful resource is flagged", () => {
    const base = readSynth(stackDirs.digitalocean);
    const json = JSON.parse(JSON.stringify(base.json));
    const [witnessName] = Object.keys(json.resource.digitalocean_droplet).filter((n) => n.startsWith("witness"));
    json.resource.digitalocean_droplet[witnessName].size = "s-2vcpu-2gb";
    const markdown = renderReview({ current: synthFromJson(json, "modified.json"), base });
    expect(markdown).not.toContain("[!CAUTION]");
    expect(row(section(markdown, "Changes"), "change in place")).toEqual([
      "change in place", `\`digitalocean_droplet.${witnessName}\``, "witness/server", "size",
    ]);
  });

  test("a changed cloud-init file on a Hetzner server shows as a replacement naming the file", () => {
    const base = readSynth(stackDirs.hetzner);
    const json = JSON.parse(JSON.stringify(base.json));
    const [standbyName] = Object.keys(json.resource.hcloud_server).filter((n) => n.startsWith("standby"));
    const server = json.resource.hcloud_server[standbyName];
    // The document is in a local when the server compresses it at apply time (${base64gzip(local.x)}).
    const local = /local\.([\w-]+)/.exec(server.user_data)?.[1];
    const holder = local ? json.locals : server;
    const key = local ?? "user_data";
    expect(holder[key]).toContain("PG_DATABASE='mhc'");
    holder[key] = holder[key].replace("PG_DATABASE='mhc'", "PG_DATABASE='mhc2'");
    const markdown = renderReview({ current: synthFromJson(json, "modified.json"), base });
    expect(row(section(markdown, "Changes"), "REPLACE")).toEqual([
      "REPLACE", `\`hcloud_server.${standbyName}\``, "standby/server", "user_data: changes /etc/dr-estate/estate.env (forces replacement)",
    ]);
    expect(markdown).not.toContain("[!CAUTION]");
  });

  test("an identical base shows no changes", () => {
    const markdown = renderReview({ current: readSynth(stackDirs.hetzner), base: readSynth(stackDirs.hetzner) });
    expect(section(markdown, "Changes")).toContain("No resource changes.");
    expect(markdown).not.toContain("[!CAUTION]");
  });
});

test("the review's stateful types are the PreventDestroy policy's list, nothing else", () => {
  expect(statefulResourceTypes).toEqual(expect.arrayContaining(["hcloud_volume", "hcloud_floating_ip", "digitalocean_spaces_bucket"]));
  for (const type of statefulResourceTypes) {
    expect(isStateful(type)).toBe(true);
  }
  for (const type of ["hcloud_server", "digitalocean_droplet", "aws_s3_bucket", "cloudflare_dns_record"]) {
    expect(isStateful(type)).toBe(false);
  }
});

describe("the plan text", () => {
  const text = fs.readFileSync(planFixture, "utf8");

  test("is parsed into actions and the summary line", () => {
    const plan = parsePlan(text);
    expect(plan.summary).toEqual({ add: 2, change: 1, destroy: 3, import: 0 });
    expect(plan.changes.map((c) => [c.action, c.address])).toEqual([
      ["create", "cloudflare_dns_record.dns_standby-aaaa_1A2B3C4D"],
      ["update", "hcloud_firewall.standby_firewall_DAEE12C6"],
      ["replace", "hcloud_server.standby_server_1C807198"],
      ["destroy", "hcloud_volume.standby_data-volume_FD7F7F75"],
      ["destroy", "hcloud_volume_attachment.standby_data-volume-attachment_BC894870"],
    ]);
    expect(plan.changes[2].forcedBy).toEqual(["location", "user_data"]);
  });

  test("cdktf diff's stack-name prefix and colours do not hide the changes", () => {
    const prefixed = text.split("\n").map((line) => `mhc-dr  \u001b[1m${line}\u001b[0m`).join("\n");
    expect(parsePlan(prefixed)).toEqual(parsePlan(text));
  });

  test("a destroyed volume is flagged loudly; the replaced server is listed as replaced", () => {
    const markdown = renderReview({ current: readSynth(stackDirs.hetzner), plan: parsePlan(text), planFile: "plan.txt" });
    const caution = markdown.split("\n## ")[0];
    expect(caution).toContain("> [!CAUTION]");
    expect(caution).toContain("> - `hcloud_volume.standby_data-volume_FD7F7F75` (standby/data-volume): **destroyed** (plan)");
    expect(caution).not.toContain("hcloud_server");
    const changes = section(markdown, "Changes");
    expect(changes).toContain("**Plan: 2 to add, 1 to change, 3 to destroy.**");
    expect(row(changes, "REPLACE")).toEqual([
      "REPLACE", "`hcloud_server.standby_server_1C807198`", "standby/server", "location forces replacement; user_data forces replacement",
    ]);
    expect(row(changes, "add")[1]).toBe("`cloudflare_dns_record.dns_standby-aaaa_1A2B3C4D`");
    expect(row(changes, "change in place")[1]).toBe("`hcloud_firewall.standby_firewall_DAEE12C6`");
  });

  test("a replaced reserved IP is flagged as well", () => {
    const plan = parsePlan("  # hcloud_primary_ip.standby_primary-ip_135A952D must be replaced\n-/+ resource \"hcloud_primary_ip\" \"x\" {\n      ~ location = \"fsn1\" -> \"nbg1\" # forces replacement\n    }\n\nPlan: 1 to add, 0 to change, 1 to destroy.\n");
    const markdown = renderReview({ current: readSynth(stackDirs.hetzner), plan });
    expect(markdown.split("\n## ")[0]).toContain("`hcloud_primary_ip.standby_primary-ip_135A952D` (standby/primary-ip): **replaced** (plan): location forces replacement");
  });
});

describe("robustness", () => {
  test("reads user-data that Terraform compresses at apply time (${base64gzip(...)}) and gz+b64 files", () => {
    const stack = new TerraformStack(Testing.app(), "user-data");
    new RandomProvider(stack, "random");
    const password = new Password(stack, "password", { length: 8 });
    const cron = "0 2 * * * root /usr/local/lib/dr-estate/pg-dump-backup.sh daily >> /var/log/x.log 2>&1\n";
    const document = [
      "#cloud-config",
      "write_files:",
      "  - path: /etc/dr-estate/estate.env",
      "    content: |",
      `      NODE_ROLE='standby'`,
      `      REPLICATION_PASSWORD='${password.result}'`,
      "      BACKUP_DAILY_RETENTION_DAYS='30'",
      "  - path: /etc/cron.d/dr-estate-backups",
      "    encoding: gz+b64",
      `    content: ${require("node:zlib").gzipSync(cron).toString("base64")}`,
      "",
    ].join("\n");
    new TerraformOutput(stack, "user-data", { value: Fn.base64gzip(document) });
    const synthesized = JSON.parse(Testing.synth(stack)).output["user-data"].value as string;
    expect(synthesized.startsWith("${base64gzip(")).toBe(true);
    expect(cloudConfigFile(synthesized, "/etc/dr-estate/estate.env")).toBe(
      "NODE_ROLE='standby'\nREPLICATION_PASSWORD='${random_password.password.result}'\nBACKUP_DAILY_RETENTION_DAYS='30'\n",
    );
    expect(cloudConfigFile(synthesized, "/etc/cron.d/dr-estate-backups")).toBe(cron);
  });

  test("a synth whose user-data has no backup files says the backups are not in this synth", () => {
    const json = JSON.parse(JSON.stringify(readSynth(stackDirs.hetzner).json));
    for (const server of Object.values<any>(json.resource.hcloud_server)) {
      server.user_data = "#cloud-config\nhostname: x\n";
    }
    json.output.primary_seed.value["user-data"] = "#cloud-config\nhostname: x\n";
    const markdown = renderReview({ current: synthFromJson(json, "stripped.json") });
    expect(section(markdown, "Backups")).toContain("Backup schedule and retention: not in this synth.");
    // Roles still come from the construct paths when the user-data says nothing.
    expect(rows(section(markdown, "Nodes")).map((r) => r[0])).toEqual(["Role", "primary", "standby", "witness"]);
  });
});

describe("the command line", () => {
  test("writes the review to --out, reading the default stack folder under cdktf.out", () => {
    const cwd = tempDir();
    fs.cpSync(path.dirname(stackDirs.digitalocean), path.join(cwd, "cdktf.out", "stacks"), { recursive: true });
    const messages: string[] = [];
    const status = runCli(["--out", "review.md", "--plan", planFixture], cwd, { out: (s) => messages.push(s), err: (s) => messages.push(s) });
    expect(status).toBe(0);
    const markdown = fs.readFileSync(path.join(cwd, "review.md"), "utf8");
    expect(row(section(markdown, "Nodes"), "standby").slice(1, 4)).toEqual(["digitalocean", "fra1", "s-2vcpu-4gb"]);
    expect(markdown).toContain("**Plan: 2 to add, 1 to change, 3 to destroy.**");
  });

  test("names the missing file and exits 2 (npm run review, as shipped)", () => {
    const missing = path.join(tempDir(), "no-such-plan.txt");
    const result = spawnSync("npm", ["run", "--silent", "review", "--", "--stack", stackDirs.hetzner, "--plan", missing], {
      cwd: projectRoot,
      encoding: "utf8",
      timeout: 120000,
    });
    expect(result.status).toBe(2);
    expect(result.stderr).toContain(`plan file not found: ${missing}`);

    const cwd = tempDir();
    const messages: string[] = [];
    const io = { out: () => undefined, err: (s: string) => messages.push(s) };
    expect(runCli(["--stack", "nowhere.json"], cwd, io)).toBe(2);
    expect(messages.pop()).toBe(`review: stack not found: ${path.join(cwd, "nowhere.json")}\n`);
    expect(runCli(["--stack", stackDirs.hetzner, "--base", "main.json"], cwd, io)).toBe(2);
    expect(messages.pop()).toBe(`review: base stack not found: ${path.join(cwd, "main.json")}\n`);
    expect(runCli([], cwd, io)).toBe(2);
    expect(messages.pop()).toContain(`stack not found: ${path.join(cwd, "cdktf.out", "stacks")}`);
    expect(runCli(["--colour"], cwd, io)).toBe(2);
    expect(messages.pop()).toContain("unknown argument --colour");
  });

  test("prints the review on stdout through npm run review", () => {
    const result = spawnSync("npm", ["run", "--silent", "review", "--", "--stack", path.join(stackDirs.hetzner, "cdk.tf.json")], {
      cwd: projectRoot,
      encoding: "utf8",
      timeout: 120000,
    });
    expect(result.status).toBe(0);
    expect(result.stdout.startsWith("# Estate review: mhc-dr\n")).toBe(true);
    expect(row(section(result.stdout, "Nodes"), "witness").slice(1, 4)).toEqual(["hetzner", "hel1", "cx23"]);
  });
});
