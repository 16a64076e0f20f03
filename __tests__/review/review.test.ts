import { Password } from "@cdktf/provider-random/lib/password";
import { RandomProvider } from "@cdktf/provider-random/lib/provider";
import { Fn, TerraformOutput, TerraformStack, Testing } from "cdktf";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { exampleEstate } from "../../estate/example-estate";
import { statefulResourceTypes } from "../../policies/prevent-destroy";
import { runCli, usage } from "../../review/cli";
import { isStateful } from "../../review/diff";
import { parsePlanJson, PlanReport } from "../../review/plan-json";
import { prices, pricesAreStale, pricesTakenOn } from "../../review/prices";
import { commentMarker, renderReview } from "../../review/render";
import { readSynth, ReviewInputError, Synth, synthFromJson } from "../../review/synth";
import { cloudConfigFile } from "../../review/user-data";
import { synthesizeEstate } from "../../stacks/synthesize-estate";

const projectRoot = path.join(__dirname, "..", "..");
const fixtures = path.join(__dirname, "fixtures");
const fixture = (name: string) => path.join(fixtures, name);
const fixtureText = (name: string) => fs.readFileSync(fixture(name), "utf8");
const fixtureJson = (name: string) => JSON.parse(fixtureText(name));

/** The lines of the `## heading` section, up to the next `## ` (or `until`). */
function section(markdown: string, heading: string, until = "\n## "): string {
  const start = markdown.indexOf(`\n## ${heading}\n`);
  expect(start).toBeGreaterThanOrEqual(0);
  const end = markdown.indexOf(until, start + 1);
  return markdown.slice(start, end < 0 ? undefined : end);
}

/** The body of the collapsed block whose summary starts with `title`. */
function folded(markdown: string, title: string): string {
  const start = markdown.indexOf(`<details><summary><b>${title}`);
  expect(start).toBeGreaterThanOrEqual(0);
  const end = markdown.indexOf("\n</details>", start);
  expect(end).toBeGreaterThan(start);
  return markdown.slice(start, end);
}

/** Everything before the first collapsed block: what a reviewer sees without a click. */
function openPart(markdown: string): string {
  const first = markdown.indexOf("<details>");
  return first < 0 ? markdown : markdown.slice(0, first);
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

/** A copy of a synth with `edit` applied to its JSON. */
function edited(synth: Synth, edit: (json: any) => void): Synth {
  const json = JSON.parse(JSON.stringify(synth.json));
  edit(json);
  return synthFromJson(json, "modified.json");
}

/** A plan JSON from a fixture with `edit` applied (the edited variants below say what they change). */
function editedPlan(name: string, edit: (json: any) => void): PlanReport {
  const json = fixtureJson(name);
  edit(json);
  return parsePlanJson(JSON.stringify(json), name);
}

const stackDirs: Record<"hetzner" | "digitalocean" | "digitaloceanOffsite", string> = {} as any;
beforeAll(() => {
  stackDirs.hetzner = synthesizeEstate(exampleEstate("hetzner"), tempDir());
  stackDirs.digitalocean = synthesizeEstate(exampleEstate("digitalocean"), tempDir());
  // As npm run validate synthesizes it: the off-site backups in a Spaces bucket.
  stackDirs.digitaloceanOffsite = synthesizeEstate(
    exampleEstate("digitalocean", { backups: { offsite: { provider: "digitalocean", region: "ams3" } } as any }),
    tempDir(),
  );
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

  test("starts with the marker the workflow finds its comment by, and folds the inventory", () => {
    expect(markdown.split("\n")[0]).toBe(commentMarker);
    const open = openPart(markdown);
    expect(open).toContain("\n## Changes\n");
    expect(open).toContain("\n## Estimated monthly cost\n");
    expect(open).not.toContain("| Role |");
    for (const title of ["Nodes", "DNS and failover", "Firewall (inbound)", "Backups", "Cost breakdown", "Diagram"]) {
      expect(folded(markdown, title)).toContain(`<details><summary><b>${title}</b></summary>\n\n`);
    }
  });

  test("lists every node with its provider, location, size and readable addresses", () => {
    const nodes = folded(markdown, "Nodes");
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
    const dns = folded(markdown, "DNS and failover");
    expect(row(dns, "primary.example.com", "| A |")).toEqual(["primary.example.com", "A", "203.0.113.10", "60", "no"]);
    expect(row(dns, "primary.example.com", "AAAA")).toEqual(["primary.example.com", "AAAA", "2001:db8:10::10", "60", "no"]);
    expect(row(dns, "standby.example.com")).toEqual(["standby.example.com", "A", "reserved IP of standby", "60", "no"]);
    expect(row(dns, "witness.example.com")).toEqual(["witness.example.com", "A", "reserved IP of witness", "60", "no"]);
    for (const hostname of ["api", "stream", "cdn"]) {
      const [, ttl, steering, order, fallback] = row(dns, `${hostname}.example.com`);
      expect([ttl, steering]).toEqual(["60", "off"]);
      expect(order).toBe("1. example-com-primary (primary 203.0.113.10) → 2. example-com-standby (standby reserved IP of standby)");
      expect(fallback).toBe("example-com-primary (primary 203.0.113.10)");
    }
    expect(row(dns, "dns/healthz-monitor")).toEqual(["dns/healthz-monitor", "http", "/healthz", "80", "60", "5", "2", "200"]);
  });

  test("shows each node's inbound firewall rules, the host firewalls' from their nftables rulesets", () => {
    const firewall = folded(markdown, "Firewall (inbound)");
    const perNode = (role: string) => {
      const start = firewall.indexOf(`### ${role}\n`);
      expect(start).toBeGreaterThanOrEqual(0);
      const end = firewall.indexOf("\n### ", start + 1);
      return rows(firewall.slice(start, end < 0 ? undefined : end)).slice(1);
    };
    const byPort = (rules: string[][], enforcedBy?: string) =>
      new Map(rules.filter((r) => enforcedBy === undefined || r[0] === enforcedBy).map((r) => [r[2], r]));

    const standby = byPort(perNode("standby"), expected[flavour].enforcedBy);
    expect([...standby.keys()].sort()).toEqual(["1935", "22", "4222", "443", "5432", "6222", "80", "9100", "9187"]);
    expect(standby.get("22")!.slice(0, 4)).toEqual([expected[flavour].enforcedBy, "tcp", "22", "198.51.100.0/24, 203.0.113.10/32"]);
    expect(standby.get("443")![3]).toBe("anywhere (IPv4), anywhere (IPv6)");
    expect(standby.get("5432")![3]).toMatch(/^203\.0\.113\.10\/32, reserved IP of witness\/32/);

    // The cloud nodes' own nftables rules repeat their provider firewall's.
    const standbyHost = byPort(perNode("standby"), "host nftables");
    expect([...standbyHost.keys()].sort()).toEqual([...standby.keys()].sort());
    expect(standbyHost.get("5432")![3]).toBe(standby.get("5432")![3]);

    const witness = byPort(perNode("witness"), expected[flavour].enforcedBy);
    expect([...byPort(perNode("witness"), "host nftables").keys()].sort()).toEqual(["22", "5432"]);
    // Prometheus and Alertmanager listen on loopback: no port of theirs is open.
    expect([...witness.keys()].sort()).toEqual(["22", "5432"]);
    expect(witness.get("5432")![3]).toMatch(/^203\.0\.113\.10\/32, reserved IP of standby\/32/);

    // The primary's rules come from the nftables file its seed (the primary_seed output) writes.
    const primary = byPort(perNode("primary"));
    expect(primary.get("22")!.slice(0, 4)).toEqual(["host nftables", "tcp", "22", "198.51.100.0/24, reserved IP of standby/32"]);
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

  test("shows the backup retention and schedule the data nodes' user-data installs, template escapes undone", () => {
    const backups = folded(markdown, "Backups");
    expect(backups).toContain("### On primary, standby\n");
    expect(backups).toMatch(/Retention: hourly: 48 hours; daily: 30 days; weekly: 12 weeks; zfs snapshot: 14 days\./);
    expect(row(backups, "hourly at :00")).toEqual(["hourly at :00", "`0 * * * *`", "root", "`pg-dump-backup.sh hourly`"]);
    expect(row(backups, "daily 02:00")[3]).toBe("`pg-dump-backup.sh daily`");
    expect(row(backups, "Sun 03:00")[3]).toBe("`pg-dump-backup.sh weekly`");
    expect(backups).not.toContain("not in this synth");
    expect(backups).not.toContain("$${");
  });

  test("estimates the monthly cost from the price table: the total in the open, the breakdown folded", () => {
    const table = prices[flavour];
    const servers = table.servers as Record<string, number>;
    const standbySize = expected[flavour].standby.size;
    const witnessSize = expected[flavour].witness.size;
    const ipPrice = flavour === "hetzner" ? prices.hetzner.reservedIpv4 : prices.digitalocean.reservedIpv4;
    const cloudTotal = servers[standbySize] + servers[witnessSize] + 100 * table.volumePerGb + 2 * ipPrice;
    expect(servers[standbySize]).toBeGreaterThan(0);
    expect(servers[witnessSize]).toBeGreaterThan(0);
    const amount = (text: string) => Number(/[\d.]+/.exec(text.replace(/\*/g, ""))![0]);

    const breakdown = folded(markdown, "Cost breakdown");
    expect(amount(row(breakdown, `**${flavour} total**`)[4])).toBeCloseTo(cloudTotal, 2);
    expect(amount(row(breakdown, "**cloudflare total**")[4])).toBeCloseTo(prices.cloudflare.loadBalancingBase, 2);
    expect(amount(row(breakdown, flavour, `standby server ${standbySize}`)[4])).toBeCloseTo(servers[standbySize], 2);
    expect(amount(row(breakdown, flavour, "standby volume")[4])).toBeCloseTo(100 * table.volumePerGb, 2);
    expect(breakdown).toMatch(/Estimated list prices per month as of \d{4}-\d{2}-\d{2}/);

    const cost = section(markdown, "Estimated monthly cost", "<details>");
    const expectedTotal = flavour === "hetzner" ? `EUR ${cloudTotal.toFixed(2)} + USD 5.00` : `USD ${(cloudTotal + 5).toFixed(2)}`;
    expect(cost).toContain(`**Estimated total: ${expectedTotal} per month.**`);
  });

  test("draws the estate as a Mermaid flowchart", () => {
    const diagram = /```mermaid\n([\s\S]*?)\n```/.exec(folded(markdown, "Diagram"));
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
    const [volumeName] = Object.keys(base.json.resource.hcloud_volume);
    const markdown = renderReview({ current: edited(base, (json) => delete json.resource.hcloud_volume), base });

    const caution = markdown.split("\n## ")[0];
    expect(caution).toContain("> [!CAUTION]");
    expect(caution).toContain(`> - \`hcloud_volume.${volumeName}\` (standby/data-volume): **destroyed** (synth diff)`);
    expect(caution).toContain("**1 stateful resource will be destroyed or replaced.**");
    const changes = section(markdown, "Changes");
    expect(row(changes, "DESTROY", "hcloud_volume.")).toEqual(["DESTROY", `\`hcloud_volume.${volumeName}\``, "standby/data-volume", "removed from the synth"]);
    expect(rows(changes).filter((r) => r[0] !== "Action")).toHaveLength(1);
  });

  test("a changed server is reported with what changed, and nothing is flagged", () => {
    const base = readSynth(stackDirs.digitalocean);
    const [witnessName] = Object.keys(base.json.resource.digitalocean_droplet).filter((n) => n.startsWith("witness"));
    const markdown = renderReview({ current: edited(base, (json) => (json.resource.digitalocean_droplet[witnessName].size = "s-2vcpu-2gb")), base });
    expect(markdown).not.toContain("[!CAUTION]");
    expect(row(section(markdown, "Changes"), "change in place")).toEqual([
      "change in place", `\`digitalocean_droplet.${witnessName}\``, "witness/server", "size",
    ]);
  });

  test("a changed cloud-init file on a server is named, and shown as ignored: servers ignore user_data after creation", () => {
    const base = readSynth(stackDirs.hetzner);
    const [standbyName] = Object.keys(base.json.resource.hcloud_server).filter((n) => n.startsWith("standby"));
    const current = edited(base, (json) => {
      const server = json.resource.hcloud_server[standbyName];
      expect(server.lifecycle.ignore_changes).toContain("user_data");
      // The document is in a local when the server compresses it at apply time (${base64gzip(local.x)}).
      const local = /local\.([\w-]+)/.exec(server.user_data)?.[1];
      const holder = local ? json.locals : server;
      const key = local ?? "user_data";
      expect(holder[key]).toContain("PG_DATABASE='mhc'");
      holder[key] = holder[key].replace("PG_DATABASE='mhc'", "PG_DATABASE='mhc2'");
    });
    const markdown = renderReview({ current, base });
    expect(row(section(markdown, "Changes"), "no change (ignored)")).toEqual([
      "no change (ignored)", `\`hcloud_server.${standbyName}\``, "standby/server",
      "user_data: changes /etc/dr-estate/estate.env (ignored after creation: applies only when it is rebuilt)",
    ]);
    expect(markdown).not.toContain("[!CAUTION]");
  });

  test("a server moved to another location is flagged as a server that will be replaced", () => {
    const base = readSynth(stackDirs.hetzner);
    const [standbyName] = Object.keys(base.json.resource.hcloud_server).filter((n) => n.startsWith("standby"));
    const markdown = renderReview({ current: edited(base, (json) => (json.resource.hcloud_server[standbyName].location = "nbg1")), base });
    const caution = markdown.split("\n## ")[0];
    expect(caution).toContain("**1 server will be destroyed or replaced.**");
    expect(caution).toContain(`> - \`hcloud_server.${standbyName}\` (standby/server): **replaced** (synth diff): location (forces replacement)`);
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

describe("the plan JSON", () => {
  test("a real plan (OpenTofu 1.12.6, the Hetzner example, all creates) counts as its plan text does", () => {
    const plan = parsePlanJson(fixtureText("hetzner-create.plan.json"));
    const textLine = /^Plan: .*$/m.exec(fixtureText("hetzner-create.plan.txt"))![0];
    expect(textLine).toBe("Plan: 34 to add, 0 to change, 0 to destroy.");
    expect(plan.summary).toEqual({ add: 34, change: 0, destroy: 0, import: 0, forget: 0 });
    expect(plan.errored).toBe(false);
    expect(plan.toolVersion).toBe("1.12.6");

    const markdown = renderReview({ current: readSynth(stackDirs.hetzner), plan, planFile: "plan.json" });
    const changes = section(markdown, "Changes");
    expect(changes).toContain(`**${textLine}**`);
    expect(rows(changes).filter((r) => r[0] === "add")).toHaveLength(34);
    expect(row(changes, "add", "hcloud_volume.")).toEqual(["add", "`hcloud_volume.standby_data-volume_FD7F7F75`", "standby/data-volume", ""]);
    expect(markdown).not.toContain("[!CAUTION]");
  });

  test("reads actions, replacement order, action_reason, replace_paths and what an update changes", () => {
    // hetzner-replace-standby.plan.json is derived from the real plan; see fixtures/README.md.
    const plan = parsePlanJson(fixtureText("hetzner-replace-standby.plan.json"));
    expect(plan.summary).toEqual({ add: 3, change: 2, destroy: 4, import: 0, forget: 0 });
    const byAddress = new Map(plan.changes.map((c) => [c.address, c]));
    expect(plan.changes.map((c) => c.action).sort()).toEqual(["create", "destroy", "destroy", "move", "replace", "replace", "update", "update"]);
    expect(byAddress.get("hcloud_server.standby_server_1C807198")).toMatchObject({
      action: "replace", replaceOrder: "destroy first", reason: "cannot be updated in place", forcedBy: ["location"],
    });
    expect(byAddress.get("hcloud_primary_ip.witness_primary-ip_E9F68DB5")).toMatchObject({ action: "replace", replaceOrder: "create first" });
    expect(byAddress.get("hcloud_volume.standby_data-volume_FD7F7F75")).toMatchObject({ action: "destroy", reason: "removed from the configuration" });
    expect(byAddress.get("hcloud_server.witness_server_1D45C1A2")!.changed).toEqual(['server_type: "cx23" → "cx33"']);
    expect(byAddress.get("hcloud_firewall.standby_firewall_DAEE12C6")!.changed).toEqual(["rule"]);
    expect(byAddress.get("hcloud_ssh_key.ops-ssh-key-0")).toMatchObject({ action: "move", reason: "moved from hcloud_ssh_key.hetzner-ssh-key-0" });
    // The no-op password and the data-source read are not changes.
    expect([...byAddress.keys()].some((a) => a.startsWith("random_password.") || a.startsWith("data."))).toBe(false);
  });

  test("flags the destroyed volume and the replaced reserved IP and server at the top; the table says why", () => {
    const plan = parsePlanJson(fixtureText("hetzner-replace-standby.plan.json"));
    const markdown = renderReview({ current: readSynth(stackDirs.hetzner), plan, planFile: "plan.json" });
    const caution = markdown.split("\n## ")[0];
    expect(caution).toContain("**2 stateful resources and 1 server will be destroyed or replaced.**");
    expect(caution).toContain("> - `hcloud_volume.standby_data-volume_FD7F7F75` (standby/data-volume): **destroyed** (plan): removed from the configuration");
    expect(caution).toContain("> - `hcloud_primary_ip.witness_primary-ip_E9F68DB5` (witness/primary-ip): **replaced** (plan): create first; cannot be updated in place; forced by location");
    expect(caution).toContain("> - `hcloud_server.standby_server_1C807198` (standby/server): **replaced** (plan): destroy first; cannot be updated in place; forced by location");
    expect(caution).not.toContain("volume_attachment");
    expect(caution).not.toContain("witness_server");

    const changes = section(markdown, "Changes");
    expect(changes).toContain("**Plan: 3 to add, 2 to change, 4 to destroy.**");
    expect(changes).toContain("2 DESTROY, 2 REPLACE, 2 change in place, 1 add, 1 move.");
    // Destroyed and replaced resources come first.
    expect(rows(changes).slice(1, 5).map((r) => r[0])).toEqual(["DESTROY", "DESTROY", "REPLACE", "REPLACE"]);
    expect(row(changes, "change in place", "witness")).toEqual([
      "change in place", "`hcloud_server.witness_server_1D45C1A2`", "witness/server", 'server_type: "cx23" → "cx33"',
    ]);
    expect(row(changes, "move")).toEqual(["move", "`hcloud_ssh_key.ops-ssh-key-0`", "", "moved from hcloud_ssh_key.hetzner-ssh-key-0"]);
  });

  test("on DigitalOcean, a replaced droplet and a destroyed Spaces bucket are flagged; sensitive values never shown", () => {
    // Derived from the real DigitalOcean plan: the estate is deployed, the standby droplet moves
    // region (replaced), the off-site bucket is removed, the Spaces key's secret changes.
    const plan = editedPlan("digitalocean-create.plan.json", (json) => {
      const rc = (prefix: string) => json.resource_changes.find((c: any) => c.address.startsWith(prefix));
      const droplet = rc("digitalocean_droplet.standby");
      droplet.change.actions = ["delete", "create"];
      droplet.change.before = { ...droplet.change.after, id: "412345678", region: "fra1", user_data: "old" };
      droplet.change.after = { ...droplet.change.after, region: "ams3" };
      droplet.change.before_sensitive = { user_data: true };
      droplet.change.replace_paths = [["region"]];
      droplet.action_reason = "replace_because_cannot_update";
      const bucket = rc("digitalocean_spaces_bucket.");
      bucket.change.actions = ["delete"];
      bucket.change.before = bucket.change.after;
      bucket.change.after = null;
      bucket.action_reason = "delete_because_no_resource_config";
      const key = rc("digitalocean_spaces_key.");
      key.change.actions = ["update"];
      key.change.before = { ...key.change.after, secret_key: "s3cr3t-before" };
      key.change.after = { ...key.change.after, secret_key: "s3cr3t-after" };
      key.change.after_unknown = {};
      key.change.before_sensitive = { secret_key: true };
      key.change.after_sensitive = { secret_key: true };
      for (const other of json.resource_changes.filter((c: any) => ![droplet, bucket, key].includes(c))) {
        other.change.actions = ["no-op"];
      }
    });
    expect(plan.summary).toEqual({ add: 1, change: 1, destroy: 2, import: 0, forget: 0 });
    const markdown = renderReview({ current: readSynth(stackDirs.digitaloceanOffsite), plan });
    const caution = markdown.split("\n## ")[0];
    expect(caution).toContain("**1 stateful resource and 1 server will be destroyed or replaced.**");
    expect(caution).toMatch(/`digitalocean_droplet\.standby_server_1C807198` \(standby\/server\): \*\*replaced\*\* \(plan\): destroy first; cannot be updated in place; forced by region/);
    expect(caution).toMatch(/`digitalocean_spaces_bucket\.offsite-backups_bucket_4041A9F7` \(offsite-backups\/bucket\): \*\*destroyed\*\*/);
    expect(row(section(markdown, "Changes"), "change in place")[3]).toBe("secret_key (sensitive)");
    expect(markdown).not.toContain("s3cr3t");
  });

  test("errored: true is reported as a failed plan, first", () => {
    // hetzner-errored.plan.json: the real plan's DNS records, with errored set (see fixtures/README.md).
    const plan = parsePlanJson(fixtureText("hetzner-errored.plan.json"));
    expect(plan.errored).toBe(true);
    const markdown = renderReview({ current: readSynth(stackDirs.hetzner), plan, planFile: "plan.json" });
    const lines = markdown.split("\n");
    expect(lines[0]).toBe(commentMarker);
    expect(lines[1]).toBe("**The plan failed:** `plan.json` says `errored: true`. The changes below are only those OpenTofu planned before the error; the rest of the estate was not planned, so nothing here says it is safe.");
    expect(section(markdown, "Changes")).toContain("**Plan: 4 to add, 0 to change, 0 to destroy.**");
  });

  test("a plan with nothing to do says so", () => {
    const plan = editedPlan("hetzner-create.plan.json", (json) => json.resource_changes.forEach((c: any) => (c.change.actions = ["no-op"])));
    expect(plan.changes).toEqual([]);
    const changes = section(renderReview({ current: readSynth(stackDirs.hetzner), plan }), "Changes");
    expect(changes).toContain("**No changes.** The infrastructure matches the configuration.");
    expect(rows(changes)).toEqual([]);
  });

  test("refuses what is not a plan in JSON", () => {
    const refusal = (text: string) => {
      try {
        parsePlanJson(text, "plan.json");
      } catch (error) {
        expect(error).toBeInstanceOf(ReviewInputError);
        return (error as Error).message;
      }
      throw new Error("accepted");
    };
    expect(refusal("Plan: 1 to add")).toMatch(/^plan JSON is not valid JSON: plan\.json/);
    expect(refusal(JSON.stringify(readSynth(stackDirs.hetzner).json))).toBe("not a plan in JSON (the output of tofu show -json PLANFILE): plan.json");
    expect(refusal(JSON.stringify({ format_version: "2.0", resource_changes: [] }))).toBe("plan JSON format_version 2.0 is not supported (1.x is): plan.json");
    expect(refusal(JSON.stringify({ format_version: "1.2", resource_changes: {} }))).toBe("plan JSON resource_changes is not a list: plan.json");
  });
});

describe("the cost", () => {
  test("with a base: this pull request's cost, the base's and the change per currency, in the open", () => {
    const current = readSynth(stackDirs.digitalocean);
    const [witnessName] = Object.keys(current.json.resource.digitalocean_droplet).filter((n) => n.startsWith("witness"));
    const base = edited(current, (json) => (json.resource.digitalocean_droplet[witnessName].size = "s-2vcpu-2gb"));
    const cost = section(openPart(renderReview({ current, base })), "Estimated monthly cost");
    const servers = prices.digitalocean.servers as Record<string, number>;
    const total = 24 + 6 + 100 * prices.digitalocean.volumePerGb + prices.cloudflare.loadBalancingBase;
    expect(servers["s-1vcpu-1gb"]).toBe(6);
    expect(row(cost, "This pull request")).toEqual(["This pull request", `USD ${total.toFixed(2)}`]);
    expect(row(cost, "Base")).toEqual(["Base", `USD ${(total - 6 + servers["s-2vcpu-2gb"]).toFixed(2)}`]);
    expect(row(cost, "**Change**")).toEqual(["**Change**", `**USD -${(servers["s-2vcpu-2gb"] - 6).toFixed(2)}**`]);
  });

  test("a size no longer in the price table is named and left out of the base's total", () => {
    const current = readSynth(stackDirs.hetzner);
    const [standbyName] = Object.keys(current.json.resource.hcloud_server).filter((n) => n.startsWith("standby"));
    const base = edited(current, (json) => (json.resource.hcloud_server[standbyName].server_type = "cx32"));
    const cost = section(openPart(renderReview({ current, base })), "Estimated monthly cost");
    expect(cost).toContain("Not in the price table (left out of the base's total): standby server cx32.");
    expect(row(cost, "**Change**")[1]).toBe(`**EUR +${prices.hetzner.servers.cx33.toFixed(2)}**`);
    expect(row(cost, "**Change**")[2]).toBe("**USD ±0.00**");
  });

  test("a Spaces bucket costs the Spaces subscription, once however many buckets there are", () => {
    const synth = readSynth(stackDirs.digitaloceanOffsite);
    const twoBuckets = edited(synth, (json) => {
      const [name] = Object.keys(json.resource.digitalocean_spaces_bucket);
      json.resource.digitalocean_spaces_bucket[`${name}-2`] = { ...json.resource.digitalocean_spaces_bucket[name], name: "second" };
    });
    for (const [estate, buckets] of [[synth, "1 bucket"], [twoBuckets, "2 buckets"]] as const) {
      const breakdown = folded(renderReview({ current: estate }), "Cost breakdown");
      const spaces = rows(breakdown).filter((r) => r[1].startsWith("Spaces subscription"));
      expect(spaces).toEqual([["digitalocean", `Spaces subscription (${buckets}; includes 250 GiB)`, "1 subscription", "USD 5.00", "USD 5.00"]]);
    }
  });

  test("warns in the open when the prices are more than six months old (the clock is injectable)", () => {
    const taken = new Date(`${pricesTakenOn}T00:00:00Z`);
    const months = (n: number) => new Date(Date.UTC(taken.getUTCFullYear(), taken.getUTCMonth() + n, taken.getUTCDate()));
    expect(pricesAreStale(months(5))).toBe(false);
    expect(pricesAreStale(months(7))).toBe(true);
    const current = readSynth(stackDirs.hetzner);
    const stale = openPart(renderReview({ current, now: months(7) }));
    expect(section(stale, "Estimated monthly cost")).toContain(`> The prices in \`review/prices.ts\` were taken on ${pricesTakenOn}, more than six months ago`);
    expect(renderReview({ current, now: months(5) })).not.toContain("more than six months ago");
  });
});

describe("the comment's size", () => {
  const hugePlanText = (lines: number) => Array.from({ length: lines }, (_, i) => `  # hcloud_volume.v${i} will be destroyed\n  - resource "hcloud_volume" "v${i}" {}`).join("\n");

  test("the example plans fit whole", () => {
    for (const [flavour, plan] of [["hetzner", "hetzner-create.plan.json"], ["digitalocean", "digitalocean-create.plan.json"]] as const) {
      const markdown = renderReview({
        current: readSynth(stackDirs[flavour]), plan: parsePlanJson(fixtureText(plan)), planText: fixtureText("hetzner-create.plan.txt"), planTextFile: "plan.txt",
      });
      expect(markdown.length).toBeLessThan(30000);
      expect(markdown).not.toMatch(/trimmed|left out|Showing \d+ of/);
      expect(folded(markdown, "Plan text")).toContain(fixtureText("hetzner-create.plan.txt").trimEnd());
    }
  });

  test("a long plan text is trimmed to what fits, last, with a note saying how much and where the rest is", () => {
    const text = hugePlanText(5000);
    const markdown = renderReview({
      current: readSynth(stackDirs.hetzner), plan: parsePlanJson(fixtureText("hetzner-create.plan.json")), planText: text, planTextFile: "plan.txt",
      runUrl: "https://github.com/o/r/actions/runs/7",
    });
    expect(markdown.length).toBeLessThanOrEqual(65536);
    expect(markdown.length).toBeGreaterThan(60000);
    const block = folded(markdown, "Plan text");
    expect(block).toContain("<b>Plan text (<code>plan.txt</code>): trimmed</b>");
    const note = /_Trimmed to fit GitHub's 65,536-character limit: the first (\d+) of 10000 lines are shown, ([\d,]+) characters are cut from the end\. The full plan is the `plan` artifact of \[this workflow run\]\(https:\/\/github\.com\/o\/r\/actions\/runs\/7\)\._/.exec(block);
    expect(note).not.toBeNull();
    const excerpt = /```text\n([\s\S]*)\n```/.exec(block)![1];
    expect(text.startsWith(excerpt)).toBe(true);
    expect(excerpt.split("\n")).toHaveLength(Number(note![1]));
    expect(Number(note![2].replace(/,/g, ""))).toBe(text.length - excerpt.length);
    // The plan text is the last thing in the comment; the changes and the inventory are whole.
    expect(markdown.trimEnd().endsWith("</details>")).toBe(true);
    expect(markdown.lastIndexOf("<details>")).toBe(markdown.indexOf("<details><summary><b>Plan text"));
    expect(section(markdown, "Changes")).not.toContain("Showing");
    expect(folded(markdown, "Nodes")).toContain("| standby |");
  });

  test("a synthetic huge plan: the plan text goes, then the changes table is trimmed, dangerous changes first", () => {
    // 3,000 changes derived from the real plan: new DNS records, and every 100th a destroyed volume.
    const plan = editedPlan("hetzner-create.plan.json", (json) => {
      const record = json.resource_changes.find((c: any) => c.type === "cloudflare_dns_record");
      const volume = json.resource_changes.find((c: any) => c.type === "hcloud_volume");
      json.resource_changes = Array.from({ length: 3000 }, (_, i) => {
        const template = JSON.parse(JSON.stringify(i % 100 === 0 ? volume : record));
        template.address = `${template.type}.generated_${String(i).padStart(4, "0")}`;
        if (i % 100 === 0) {
          template.change.actions = ["delete"];
          template.change.before = template.change.after;
          template.change.after = null;
        }
        return template;
      });
    });
    const markdown = renderReview({
      current: readSynth(stackDirs.hetzner), plan, planText: hugePlanText(20000), planTextFile: "plan.txt",
      failure: { step: "apply", log: "Error: boom\n" },
    });
    expect(markdown.length).toBeLessThanOrEqual(65536);
    expect(markdown.split("\n")[0]).toBe(commentMarker);
    expect(markdown.split("\n")[1]).toMatch(/^\*\*The `apply` step failed\.\*\*/);
    expect(markdown).toContain("**30 stateful resources will be destroyed or replaced.**");
    const changes = section(markdown, "Changes");
    expect(changes).toContain("**Plan: 2970 to add, 0 to change, 30 to destroy.**");
    const shown = rows(changes).slice(1);
    expect(shown.length).toBeGreaterThan(100);
    expect(shown.length).toBeLessThan(3000);
    expect(shown.slice(0, 30).every((r) => r[0] === "DESTROY")).toBe(true);
    expect(changes).toContain(`_Showing ${shown.length} of 3000 changes (destroyed and replaced first) to fit GitHub's 65,536-character limit; the full plan is the \`plan\` artifact of this pull request's workflow run._`);
    expect(folded(markdown, "Plan text")).toContain("does not fit in GitHub's 65,536-character limit; the full plan is the `plan` artifact");
    expect(openPart(markdown)).toContain("## Estimated monthly cost");
  });

  test("--max-chars holds for any limit the CLI accepts", () => {
    for (const maxChars of [1000, 4000, 12000]) {
      const markdown = renderReview({
        current: readSynth(stackDirs.hetzner), plan: parsePlanJson(fixtureText("hetzner-replace-standby.plan.json")),
        planText: hugePlanText(100), maxChars,
      });
      expect(markdown.length).toBeLessThanOrEqual(maxChars);
      expect(markdown.split("\n")[0]).toBe(commentMarker);
    }
  });
});

describe("a failed workflow step", () => {
  test("when the synth failed: the failure and the log's tail first, the rest skipped gracefully", () => {
    const cwd = tempDir();
    const log = Array.from({ length: 500 }, (_, i) => `line ${i + 1}`).join("\n") + "\n\u001b[31mError: stack failed\u001b[0m\n```\n";
    fs.writeFileSync(path.join(cwd, "synth.log"), log);
    const out: string[] = [];
    const status = runCli(["--failed", "synth", "--log", "synth.log", "--plan-json", "plan.json"], { cwd, io: { out: (s) => out.push(s), err: (s) => out.push(s) } });
    expect(status).toBe(0);
    const markdown = out.join("");
    const lines = markdown.split("\n");
    expect(lines.slice(0, 3)).toEqual([
      commentMarker,
      "**The `synth` step failed.** What follows is what could still be reviewed; these are the last 60 lines of `synth.log` (the workflow run has the whole log):",
      "",
    ]);
    // The log's own ``` does not end the code block.
    expect(lines[3]).toBe("````text");
    expect(lines[4]).toBe("line 443");
    expect(markdown).toContain("Error: stack failed\n```\n````\n");
    expect(markdown).not.toContain("\u001b[");
    expect(markdown).toContain(`Not available: stack not found: ${path.join(cwd, "cdktf.out", "stacks")}`);
    expect(markdown).toContain(`Not available: plan JSON not found: ${path.join(cwd, "plan.json")}.`);
    expect(section(markdown, "Changes")).toContain("No plan to review.");
    expect(markdown).not.toContain("<details>");
  });

  test("when the plan failed: the failure comes before everything, and the estate is still reviewed", () => {
    const markdown = renderReview({ current: readSynth(stackDirs.hetzner), failure: { step: "plan", log: "Error: Invalid provider configuration\n", logFile: "plan.log" } });
    const lines = markdown.split("\n");
    expect(lines[1]).toBe("**The `plan` step failed.** What follows is what could still be reviewed; this is the last line of `plan.log` (the workflow run has the whole log):");
    expect(markdown.indexOf("Error: Invalid provider configuration")).toBeLessThan(markdown.indexOf("# Estate review: mhc-dr"));
    expect(folded(markdown, "Nodes")).toContain("| standby |");
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
    const stripped = edited(readSynth(stackDirs.hetzner), (json) => {
      for (const server of Object.values<any>(json.resource.hcloud_server)) {
        server.user_data = "#cloud-config\nhostname: x\n";
      }
      json.output.primary_seed.value["user-data"] = "#cloud-config\nhostname: x\n";
    });
    const markdown = renderReview({ current: stripped });
    expect(folded(markdown, "Backups")).toContain("Backup schedule and retention: not in this synth.");
    // Roles still come from the construct paths when the user-data says nothing.
    expect(rows(folded(markdown, "Nodes")).map((r) => r[0])).toEqual(["Role", "primary", "standby", "witness"]);
  });
});

describe("the command line", () => {
  const quiet = () => {
    const messages: string[] = [];
    return { messages, io: { out: (s: string) => messages.push(s), err: (s: string) => messages.push(s) } };
  };

  test("writes the review to --out from the plan JSON and text, reading the default stack folder under cdktf.out", () => {
    const cwd = tempDir();
    fs.cpSync(path.dirname(stackDirs.digitalocean), path.join(cwd, "cdktf.out", "stacks"), { recursive: true });
    const { io } = quiet();
    const status = runCli(
      ["--out", "review.md", "--plan-json", fixture("digitalocean-create.plan.json"), "--plan-text", fixture("hetzner-create.plan.txt"), "--base", path.dirname(path.dirname(stackDirs.digitalocean))],
      { cwd, io, env: { GITHUB_SERVER_URL: "https://github.com", GITHUB_REPOSITORY: "o/r", GITHUB_RUN_ID: "42" } },
    );
    expect(status).toBe(0);
    const markdown = fs.readFileSync(path.join(cwd, "review.md"), "utf8");
    expect(markdown.split("\n")[0]).toBe(commentMarker);
    expect(row(folded(markdown, "Nodes"), "standby").slice(1, 4)).toEqual(["digitalocean", "fra1", "s-2vcpu-4gb"]);
    expect(markdown).toContain("**Plan: 12 to add, 0 to change, 0 to destroy.**");
    expect(folded(markdown, "Against the base synth (0 resources differ)")).toContain("No resource changes.");
    expect(row(section(markdown, "Estimated monthly cost", "<details>"), "**Change**")).toEqual(["**Change**", "**USD ±0.00**"]);
    expect(folded(markdown, "Plan text")).toContain("Plan: 34 to add");
  });

  test("links the workflow run's plan artifact when GitHub Actions says which run it is", () => {
    const cwd = tempDir();
    fs.writeFileSync(path.join(cwd, "plan.txt"), "x\n".repeat(40000));
    const { messages, io } = quiet();
    const env = { GITHUB_SERVER_URL: "https://github.com", GITHUB_REPOSITORY: "o/r", GITHUB_RUN_ID: "42" };
    expect(runCli(["--stack", stackDirs.hetzner, "--plan-text", "plan.txt", "--max-chars", "20000"], { cwd, io, env })).toBe(0);
    const markdown = messages.join("");
    expect(markdown.length).toBeLessThanOrEqual(20000);
    expect(markdown).toContain("The full plan is the `plan` artifact of [this workflow run](https://github.com/o/r/actions/runs/42)._");
  });

  test("bad input exits 2 with a one-line message naming what is wrong", () => {
    const cwd = tempDir();
    const cases: [string[], string][] = [
      [["--stack", "nowhere.json"], `review: stack not found: ${path.join(cwd, "nowhere.json")}`],
      [["--stack", stackDirs.hetzner, "--base", "main.json"], `review: base stack not found: ${path.join(cwd, "main.json")}`],
      [[], `review: stack not found: ${path.join(cwd, "cdktf.out", "stacks")} (run \`npm run synth\` first, or pass --stack)`],
      [["--stack", stackDirs.hetzner, "--plan-json", "plan.json"], `review: plan JSON not found: ${path.join(cwd, "plan.json")}`],
      [["--stack", stackDirs.hetzner, "--plan-json", fixture("hetzner-create.plan.txt")], `review: plan JSON is not valid JSON: ${fixture("hetzner-create.plan.txt")}`],
      [["--stack", stackDirs.hetzner, "--plan-text", "plan.txt"], `review: plan text not found: ${path.join(cwd, "plan.txt")}`],
      [["--colour"], "review: unknown option --colour; see npm run review -- --help"],
      [["--plan", "plan.txt"], "review: unknown option --plan: the plan is now --plan-json FILE (tofu show -json) and --plan-text FILE; see npm run review -- --help"],
      [["--stack"], "review: --stack needs a value; see npm run review -- --help"],
      [["--out="], "review: --out needs a value; see npm run review -- --help"],
      [["plan.json"], "review: unexpected argument plan.json; see npm run review -- --help"],
      [["--failed", "plan"], "review: --failed and --log go together: --failed STEP --log FILE; see npm run review -- --help"],
      [["--failed", "plan", "--log", "plan.log"], `review: log file not found: ${path.join(cwd, "plan.log")}`],
      [["--max-chars", "lots"], "review: --max-chars needs a whole number of at least 1000 (got lots)"],
      [["--max-chars", "999"], "review: --max-chars needs a whole number of at least 1000 (got 999)"],
    ];
    for (const [argv, message] of cases) {
      const { messages, io } = quiet();
      expect([argv, runCli(argv, { cwd, io })]).toEqual([argv, 2]);
      expect(messages).toHaveLength(1);
      expect(messages[0].split("\n")).toHaveLength(2); // one line and its newline
      expect(messages[0]).toMatch(new RegExp(`^${message.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}`));
    }
  });

  test("npm run review -- --help prints the usage and exits 0", () => {
    const result = spawnSync("npm", ["run", "--silent", "review", "--", "--help"], { cwd: projectRoot, encoding: "utf8", timeout: 120000 });
    expect(result.status).toBe(0);
    expect(result.stdout).toBe(`${usage}\n`);
    expect(usage).toMatch(/^usage: npm run review -- \[options\]/);
    for (const option of ["--stack", "--plan-json", "--plan-text", "--base", "--failed WHAT --log FILE", "--max-chars", "--out", "--help"]) {
      expect(usage).toContain(option);
    }
  });

  test("prints the review on stdout through npm run review", () => {
    const ok = spawnSync("npm", ["run", "--silent", "review", "--", "--stack", path.join(stackDirs.hetzner, "cdk.tf.json"), "--plan-json", fixture("hetzner-replace-standby.plan.json")], {
      cwd: projectRoot,
      encoding: "utf8",
      timeout: 120000,
    });
    expect(ok.status).toBe(0);
    expect(ok.stdout.startsWith(`${commentMarker}\n`)).toBe(true);
    expect(ok.stdout).toContain("**Plan: 3 to add, 2 to change, 4 to destroy.**");
    expect(row(folded(ok.stdout, "Nodes"), "witness").slice(1, 4)).toEqual(["hetzner", "hel1", "cx23"]);
  });
});
