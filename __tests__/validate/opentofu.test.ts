// OpenTofu itself reads the synthesized estate: init, validate and an offline plan per flavour, with
// the providers CI has (built from Go modules, or the prebuilt ones of ../shared).
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { App, LocalBackend, TerraformOutput, TerraformStack, TerraformVariable } from "cdktf";
import { terraformString } from "../../constructs/terraform-string";
import { validateEstate } from "../../estate";
import { exampleEstateInput } from "../../estate/example-estate";
import { builtTools, runTofu } from "../../tools/built-tools";
import { pinnedProviders } from "../../tools/versions";
import { flavours, validateFlavour } from "../../validate/validate-estate";

const tools = builtTools();
const outputRoot = fs.mkdtempSync(path.join(os.tmpdir(), "validate-"));
const readJson = (file: string) => JSON.parse(fs.readFileSync(file, "utf8"));

test("every provider pinned in tools/versions.env is in the mirror", () => {
  expect(tools.missingProviders).toEqual([]);
});

describe.each(Object.keys(flavours))("the %s flavour", (flavour) => {
  let result: Awaited<ReturnType<typeof validateFlavour>>;
  beforeAll(async () => {
    result = await validateFlavour(tools, flavour, flavours[flavour].estate(), { outputRoot });
  });

  test("validates and plans with no error and no warning", () => {
    const failed = result.steps.filter((step) => !step.ok).map((step) => `${step.command}:\n${step.output}`);
    expect(failed).toEqual([]);
    expect(result.steps.map((step) => step.command)).toEqual(["tofu providers lock", "tofu init", "tofu validate", "tofu plan", "tofu show", "tofu show -json"]);
    expect(result.warnings).toEqual([]);
    expect(result.unansweredApiRequests).toEqual([]);
    expect(result.planSummary).toMatch(/^Plan: \d{2} to add, 0 to change, 0 to destroy\.$/);
  });

  test("the plan pins exactly the provider versions that were validated", () => {
    const plan = readJson(path.join(result.directory, "plan.json"));
    const pinned = pinnedProviders();
    const configured = Object.values<{ name: string; version_constraint: string }>(plan.configuration.provider_config);
    expect(configured.length).toBeGreaterThanOrEqual(4);
    for (const provider of configured) {
      expect(provider.version_constraint).toBe(pinned[provider.name].version);
    }
    expect(fs.readFileSync(path.join(result.directory, "plan.txt"), "utf8")).toContain(result.planSummary!);
  });

  test("the primary's seed is a sensitive output, not a file the plan recreates", () => {
    const plan = readJson(path.join(result.directory, "plan.json"));
    expect(plan.planned_values.outputs.primary_seed.sensitive).toBe(true);
    expect(plan.resource_changes.filter((change: { type: string }) => change.type.startsWith("local_"))).toEqual([]);
  });
});

test.each([
  ["hetzner", "cx33", /Hetzner server type cx33 is deprecated or not offered in fsn1/],
  ["digitalocean", "s-2vcpu-4gb", /DigitalOcean size s-2vcpu-4gb is retired or not offered in fra1/],
])("a %s size deprecated after the estate was written fails the plan by name (%s)", async (flavour, size, message) => {
  const result = await validateFlavour(tools, `${flavour}-deprecated`, flavours[flavour].estate(), { outputRoot, deprecatedSizes: [size] });
  const plan = result.steps.find((step) => step.command === "tofu plan")!;
  expect(plan.ok).toBe(false);
  expect(plan.output.replace(/\s+/g, " ")).toMatch(message);
});

test("hostile text in the description reaches the provider literally", async () => {
  const key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGV4YW1wbGVrZXlyZXBsYWNlbWV3aXRoeW91cm93bms ops ${HOME} %{ if true }x%{ endif } $";
  const input = exampleEstateInput();
  input.ssh = { ...input.ssh, publicKeys: [key] };
  input.alerts = { webhookUrl: "https://alerts.example.com/hooks/${jndi:x}" };
  const result = await validateFlavour(tools, "hostile", validateEstate(input), { outputRoot });
  expect(result.steps.filter((step) => !step.ok).map((step) => step.output)).toEqual([]);
  const plan = readJson(path.join(result.directory, "plan.json"));
  const keys = plan.resource_changes.filter((change: { type: string }) => change.type === "hcloud_ssh_key");
  expect(keys.map((change: { change: { after: { public_key: string } } }) => change.change.after.public_key)).toEqual([key]);
});

test("terraformString text evaluates to the original, with its tokens filled in", async () => {
  const directory = fs.mkdtempSync(path.join(os.tmpdir(), "terraform-string-"));
  const app = new App({ outdir: directory });
  const stack = new TerraformStack(app, "strings");
  new LocalBackend(stack, { path: path.join(directory, "strings.tfstate") });
  const secret = new TerraformVariable(stack, "secret", { type: "string", default: "s3cr3t" }).stringValue;
  const text = (value: string) => `#!/bin/sh\nA="\${X:-${value}}" B='%{ if }' C=$${value} D=$$\${E} "quoted" back\\slash\\n ${value}`;
  new TerraformOutput(stack, "text", { value: terraformString(text(secret)) });
  app.synth();
  const stackDirectory = path.join(directory, "stacks", "strings");
  expect((await runTofu(tools, ["init", "-input=false", "-no-color"], stackDirectory)).status).toBe(0);
  const apply = await runTofu(tools, ["apply", "-auto-approve", "-input=false", "-no-color"], stackDirectory);
  expect(apply.output).toContain("Apply complete");
  const output = await runTofu(tools, ["output", "-json", "text"], stackDirectory);
  expect(JSON.parse(output.output)).toBe(text("s3cr3t"));
});
