// Day-2 changes planned by OpenTofu itself against the state of a deployed estate (made offline,
// validate/deployed-state.ts): the servers stay, what changed is updated, and without the servers'
// ignore_changes the same change would replace them. Every plan is -refresh=false; the only API
// calls, the server-type and size lookups, go to the loopback stand-in.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { EstateInput } from "../../estate";
import { exampleEstate, exampleEstateInput } from "../../estate/example-estate";
import { serverResourceTypes } from "../../policies/first-boot-only";
import { parsePlanJson, PlanReport } from "../../review/plan-json";
import { builtTools } from "../../tools/built-tools";
import { DeployedState, deployedState, readPlan, withoutServerIgnoreChanges } from "../../validate/deployed-state";
import { timestamp } from "../../validate/dummy-values";
import { TerraformState } from "../../validate/prior-state";
import { FlavourValidation, validateFlavour } from "../../validate/validate-estate";

type Flavour = "hetzner" | "digitalocean";

const tools = builtTools();
const outputRoot = fs.mkdtempSync(path.join(os.tmpdir(), "day-two-"));
const base = exampleEstateInput();
const stayingKey = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHJlcGxhY2VtZW50a2V5Zm9ydGhlb3BlcmF0b3JzMDEy ops2@example.com";
const offsite = (flavour: Flavour, retentionDays?: number) =>
  flavour === "digitalocean" ? { offsite: { provider: "digitalocean" as const, region: "ams3" as const, ...(retentionDays ? { retentionDays } : {}) } } : {};

/** As deployed: the example (DigitalOcean with its off-site bucket), with a second operator's key. */
const deployed = (flavour: Flavour): Partial<EstateInput> => ({
  ssh: { ...base.ssh, publicKeys: [...base.ssh.publicKeys, stayingKey] },
  backups: { ...base.backups, ...offsite(flavour) },
});

/** What an operator changes on day 2: the alert webhook, one more admin network, the first key removed, retention. */
const dayTwo = (flavour: Flavour): Partial<EstateInput> => ({
  alerts: { webhookUrl: "https://alerts.example.com/hooks/rotated" },
  ssh: { ...base.ssh, publicKeys: [stayingKey], adminCidrs: [...base.ssh.adminCidrs, "203.0.113.128/25"] },
  backups: { ...base.backups, dailyRetentionDays: 45, ...offsite(flavour, 120) },
});

/** The state with the standby's node certificate in its last 90 days, so the plan renews it (early_renewal_hours). */
function standbyCertificateDue(state: TerraformState): TerraformState {
  const copy: TerraformState = structuredClone(state);
  const certificate = copy.resources.find((r) => r.type === "tls_locally_signed_cert" && r.name.startsWith("secrets_standby-certificate"))!;
  certificate.instances[0].attributes.validity_end_time = timestamp(new Date(Date.now() + 30 * 24 * 3_600_000));
  return copy;
}

const report = (result: FlavourValidation): PlanReport => parsePlanJson(fs.readFileSync(path.join(result.directory, "plan.json"), "utf8"));
/** `hcloud_firewall.standby_firewall update`: the address without cdktf's hash, and the action. */
const described = (plan: PlanReport) => plan.changes.map((c) => `${c.address.replace(/_[0-9A-F]{8}$/, "")} ${c.action}`).sort();
const failures = (result: FlavourValidation) => result.steps.filter((step) => !step.ok).map((step) => `${step.command}:\n${step.output}`);

describe.each(["hetzner", "digitalocean"] as const)("day 2 on the %s flavour", (flavour) => {
  let settled: DeployedState;
  let kept: FlavourValidation;
  let unguarded: FlavourValidation;
  beforeAll(async () => {
    settled = await deployedState(tools, `${flavour}-deployed`, exampleEstate(flavour, deployed(flavour)), { outputRoot });
    const priorState = standbyCertificateDue(settled.state);
    const estate = exampleEstate(flavour, dayTwo(flavour));
    kept = await validateFlavour(tools, `${flavour}-day-two`, estate, { outputRoot, priorState });
    unguarded = await validateFlavour(tools, `${flavour}-day-two-unguarded`, estate, { outputRoot, priorState, amendConfiguration: withoutServerIgnoreChanges });
  }, 30 * 60 * 1000);

  test("the deployed state holds every resource, and planning the deployed estate again changes nothing", () => {
    // With the servers' ignore_changes lifted: with it, a plan can only change less.
    expect(settled.confirmation.planSummary).toMatch(/^No changes\. /);
    expect(settled.confirmation.warnings).toEqual([]);
    expect(settled.confirmation.unansweredApiRequests).toEqual([]);
    const types = settled.state.resources.map((r) => r.type);
    expect(types).toEqual(expect.arrayContaining(["tls_locally_signed_cert", "random_password", "cloudflare_load_balancer"]));
    expect(types.filter((type) => serverResourceTypes.includes(type))).toHaveLength(2);
  });

  test("the day-2 plan replaces no server", () => {
    expect(failures(kept)).toEqual([]);
    expect(kept.warnings).toEqual([]);
    expect(kept.unansweredApiRequests).toEqual([]);
    const servers = readPlan(kept).resource_changes.filter((rc: { type: string }) => serverResourceTypes.includes(rc.type));
    expect(servers).toHaveLength(2);
    for (const server of servers) {
      expect({ [server.address]: server.change.actions }).toEqual({ [server.address]: ["no-op"] });
    }
  });

  test("the day-2 plan changes what the day-2 change is about", () => {
    expect(kept.planSummary).toMatch(/^Plan: \d+ to add, [1-9]\d* to change, [1-9]\d* to destroy\.$/);
    const keys = flavour === "hetzner" ? "hcloud_ssh_key.hetzner-ssh-key" : "digitalocean_ssh_key.digitalocean-ssh-key";
    const firewalls = flavour === "hetzner" ? "hcloud_firewall" : "digitalocean_firewall";
    expect(described(report(kept))).toEqual(
      [
        // The admin network reaches the cloud firewalls.
        `${firewalls}.standby_firewall update`,
        `${firewalls}.witness_firewall update`,
        // The removed key is deleted; the remaining one moves to the first slot.
        `${keys}-0 replace`,
        `${keys}-1 destroy`,
        // The certificate in its last 90 days is renewed.
        "tls_locally_signed_cert.secrets_standby-certificate replace",
      ].sort(),
    );
    // The webhook, the retentions, the keys and the certificate reach the documents: converge delivers them.
    expect(readPlan(kept).output_changes.nodes.actions).toEqual(["update"]);
  });

  test("without ignore_changes the same change would replace every server, forced by its user-data", () => {
    expect(failures(unguarded)).toEqual([]);
    const servers = report(unguarded).changes.filter((c) => serverResourceTypes.includes(c.type));
    expect(servers).toHaveLength(2);
    for (const server of servers) {
      expect(server.action).toBe("replace");
      expect(server.forcedBy).toContain("user_data");
    }
    // The witness keeps its certificate, so its new document is known: a different one, not only one pending a certificate.
    const witness = readPlan(unguarded).resource_changes.find((rc: { type: string; name: string }) => serverResourceTypes.includes(rc.type) && rc.name.startsWith("witness_server")).change;
    expect(witness.after_unknown.user_data).toBeUndefined();
    expect(typeof witness.after.user_data).toBe("string");
    expect(witness.after.user_data).not.toBe(witness.before.user_data);
  });
});
