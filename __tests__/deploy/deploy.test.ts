// The deploy path with OpenTofu on a small real stack (random provider, local state): a saved,
// reviewed plan is applied as it is, and refused once the estate has moved on. The server guard is
// checked on the example estate's real plan JSON, edited to replace servers.
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { Password } from "@cdktf/provider-random/lib/password";
import { RandomProvider } from "@cdktf/provider-random/lib/provider";
import { App, LocalBackend, TerraformOutput, TerraformStack, TerraformVariable } from "cdktf";
import { runDeployCli } from "../../deploy/cli";
import { checkServerReplacements } from "../../deploy/guard";
import { differingAddresses, PlanJson } from "../../deploy/plan-json";
import { pinProviderVersions } from "../../stacks/provider-versions";
import { builtTools } from "../../tools/built-tools";
import { flavours, validateFlavour } from "../../validate/validate-estate";

const tools = builtTools();
const work = fs.mkdtempSync(path.join(os.tmpdir(), "deploy-"));
const passphrase = "state passphrase never in a plan file";

/** Synthesizes the small stack with the given passwords into work/cdktf.out, state kept in work/. */
function synthesize(passwords: string[]): string {
  const app = new App({ outdir: path.join(work, "cdktf.out") });
  const stack = new TerraformStack(app, "small");
  new LocalBackend(stack, { path: path.join(work, "small.tfstate") });
  new RandomProvider(stack, "random");
  new TerraformVariable(stack, "passphrase", { type: "string", sensitive: true });
  for (const name of passwords) {
    new TerraformOutput(stack, name, { value: new Password(stack, `${name}-password`, { length: 16 }).result, sensitive: true });
  }
  pinProviderVersions(stack);
  app.synth();
  return path.join(work, "cdktf.out", "stacks", "small");
}

function quietly<T>(run: () => T): { result: T; errors: string } {
  const errors: string[] = [];
  const spies = [
    jest.spyOn(console, "error").mockImplementation((text: string) => void errors.push(text)),
    jest.spyOn(console, "log").mockImplementation(() => undefined),
    jest.spyOn(process.stdout, "write").mockImplementation(() => true),
    jest.spyOn(process.stderr, "write").mockImplementation(() => true),
  ];
  try {
    return { result: run(), errors: errors.join("\n") };
  } finally {
    spies.forEach((spy) => spy.mockRestore());
  }
}

beforeAll(() => {
  process.env.TERRAFORM_BINARY_NAME = tools.tofu;
  process.env.TF_CLI_CONFIG_FILE = tools.tofuEnvironment.TF_CLI_CONFIG_FILE;
  process.env.TF_VAR_passphrase = passphrase;
});

test("applies exactly the reviewed plan, and refuses one the estate has moved past", () => {
  const stack = synthesize(["first"]);
  const reviewed = path.join(work, "reviewed");
  expect(quietly(() => runDeployCli(["plan", "--out", reviewed, "--stack", stack])).result).toBe(0);
  expect(fs.readdirSync(reviewed).sort()).toEqual(["plan.json", "plan.log", "plan.tfplan", "plan.txt"]);
  const plan = JSON.parse(fs.readFileSync(path.join(reviewed, "plan.json"), "utf8")) as PlanJson;
  expect(plan.resource_changes!.map((change) => `${change.address} ${change.change.actions.join("+")}`)).toEqual([
    expect.stringMatching(/^random_password\.first-password.* create$/),
  ]);
  expect(quietly(() => runDeployCli(["apply", "--reviewed", reviewed, "--stack", stack])).result).toBe(0);
  const state = JSON.parse(fs.readFileSync(path.join(work, "small.tfstate"), "utf8"));
  expect(state.resources.map((resource: { type: string }) => resource.type)).toEqual(["random_password"]);

  // A second change is reviewed, then someone else's change lands first: the reviewed plan is stale.
  const second = path.join(work, "second");
  synthesize(["first", "second"]);
  expect(quietly(() => runDeployCli(["plan", "--out", second, "--stack", stack])).result).toBe(0);
  // The kept plan JSON (an artifact reviewers download) holds neither the state's secrets nor the variables.
  const kept = fs.readFileSync(path.join(second, "plan.json"), "utf8");
  const secrets = state.resources.flatMap((resource: { instances: { attributes: { result: string } }[] }) => resource.instances.map((i) => i.attributes.result));
  expect(secrets).toHaveLength(1);
  for (const secret of [...secrets, passphrase]) {
    expect(kept).not.toContain(JSON.stringify(secret).slice(1, -1));
  }
  expect(JSON.parse(kept).prior_state.values.outputs.first.value).toMatch(/^\(sensitive sha256:[0-9a-f]{16}\)$/);
  synthesize(["first", "third"]);
  const refused = quietly(() => runDeployCli(["apply", "--reviewed", second, "--stack", stack]));
  expect(refused.result).toBe(3);
  expect(refused.errors).toMatch(/changed since the plan was reviewed \(random_password\.second-password.*random_password\.third-password.*\); nothing applied/);
  const after = JSON.parse(fs.readFileSync(path.join(work, "small.tfstate"), "utf8"));
  expect(after.serial).toBe(state.serial);
});

test("a read-only plan (CI's plan jobs) takes no lock, so read-only state credentials suffice", () => {
  const stack = synthesize(["first"]);
  const state = path.join(work, "small.tfstate");
  expect(quietly(() => runDeployCli(["plan", "--out", path.join(work, "ro-setup"), "--stack", stack])).result).toBe(0);
  expect(quietly(() => runDeployCli(["apply", "--reviewed", path.join(work, "ro-setup"), "--stack", stack])).result).toBe(0);
  // An immutable state file stands for credentials that cannot write: locking it fails.
  execFileSync("chattr", ["+i", state]);
  try {
    const locking = quietly(() => runDeployCli(["plan", "--out", path.join(work, "ro-locking"), "--stack", stack]));
    expect(locking.result).toBe(1);
    expect(locking.errors).toMatch(/state lock/);
    expect(quietly(() => runDeployCli(["plan", "--read-only", "--out", path.join(work, "ro"), "--stack", stack])).result).toBe(0);
  } finally {
    execFileSync("chattr", ["-i", state]);
  }
});

test("plan and apply answer --help, and say what is missing", () => {
  expect(quietly(() => runDeployCli(["--help"])).result).toBe(0);
  const missing = quietly(() => runDeployCli(["apply", "--stack", work]));
  expect(missing.result).toBe(2);
  expect(missing.errors).toMatch(/apply needs --reviewed/);
});

describe("the server guard, on the example estate's real plan", () => {
  let plan: PlanJson;
  beforeAll(async () => {
    const result = await validateFlavour(tools, "hetzner", flavours.hetzner.estate(), { outputRoot: path.join(work, "validate") });
    plan = JSON.parse(fs.readFileSync(path.join(result.directory, "plan.json"), "utf8"));
  });
  const replacing = (plan: PlanJson, types: string[]): PlanJson => ({
    ...plan,
    resource_changes: plan.resource_changes!.map((change) =>
      types.some((prefix) => change.address.startsWith(prefix)) ? { ...change, change: { ...change.change, actions: ["delete", "create"] } } : change,
    ),
  });
  const addresses = (prefix: string) => plan.resource_changes!.filter((change) => change.address.startsWith(prefix)).map((change) => change.address);

  test("lets a plan create both servers, or replace one", () => {
    expect(checkServerReplacements(plan)).toBeUndefined();
    expect(checkServerReplacements(replacing(plan, ["hcloud_server.standby"]))).toBeUndefined();
  });

  test("refuses to replace the standby and the witness together, naming both", () => {
    const both = replacing(plan, ["hcloud_server.standby", "hcloud_server.witness"]);
    const refusal = checkServerReplacements(both)!;
    expect(refusal).toContain(`replaces 2 servers at once: ${[...addresses("hcloud_server.standby"), ...addresses("hcloud_server.witness")].join(", ")}`);
    expect(checkServerReplacements(both, addresses("hcloud_server."))).toBeUndefined();
    expect(checkServerReplacements(both, addresses("hcloud_server.standby"))).toBe(refusal);
  });

  test("two plans of the same changes compare equal; a different one names what differs", () => {
    expect(differingAddresses(plan, JSON.parse(JSON.stringify(plan)))).toEqual([]);
    expect(differingAddresses(plan, replacing(plan, ["hcloud_server.witness"]))).toEqual(addresses("hcloud_server.witness"));
  });
});
