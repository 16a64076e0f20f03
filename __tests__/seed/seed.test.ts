// `npm run seed` against a real state: OpenTofu applies a stack holding the same primary_seed output
// the estate has (sensitive, an object of the three files), and the command writes it out.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { App, LocalBackend, TerraformOutput, TerraformStack } from "cdktf";
import { PrimaryNode } from "../../constructs/primary-node";
import { runSeedCli } from "../../seed/cli";
import { builtTools, runTofu } from "../../tools/built-tools";

const tools = builtTools();
const seed = {
  "user-data": "#cloud-config\nhostname: primary\nwrite_files:\n  - path: /etc/x\n    content: ${HOME} stays literal\n",
  "meta-data": "instance-id: mhc-dr-primary\nlocal-hostname: primary\n",
  "network-config": "version: 2\nethernets:\n  eno1:\n    dhcp4: true\n",
};

async function deployedStack(withSeed: boolean): Promise<string> {
  const directory = fs.mkdtempSync(path.join(os.tmpdir(), "seed-state-"));
  const app = new App({ outdir: directory });
  const stack = new TerraformStack(app, "seeded");
  new LocalBackend(stack, { path: path.join(directory, "seeded.tfstate") });
  if (withSeed) {
    new PrimaryNode(stack, "primary", { seed });
  } else {
    new TerraformOutput(stack, "other", { value: "no seed here" });
  }
  app.synth();
  const stackDirectory = path.join(directory, "stacks", "seeded");
  for (const args of [["init", "-input=false"], ["apply", "-auto-approve", "-input=false"]]) {
    const result = await runTofu(tools, [...args, "-no-color"], stackDirectory);
    expect(result.status).toBe(0);
  }
  return stackDirectory;
}

beforeAll(() => {
  process.env.TERRAFORM_BINARY_NAME = tools.tofu;
});

test("writes user-data, meta-data, network-config and seed.iso from the deployed state", async () => {
  const stack = await deployedStack(true);
  const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "seed-out-")), "primary-seed");
  expect(runSeedCli(["--out", out, "--stack", stack])).toBe(0);
  for (const [name, content] of Object.entries(seed)) {
    expect(fs.readFileSync(path.join(out, name), "utf8")).toBe(content);
  }
  const mode = (name: string) => fs.statSync(path.join(out, name)).mode & 0o777;
  expect([mode("user-data"), mode("meta-data"), mode("network-config"), mode("seed.iso"), fs.statSync(out).mode & 0o777]).toEqual([0o600, 0o644, 0o644, 0o600, 0o700]);
  // ISO 9660 primary volume descriptor at sector 16, named cidata as NoCloud requires.
  const iso = fs.readFileSync(path.join(out, "seed.iso"));
  expect(iso.subarray(0x8001, 0x8006).toString()).toBe("CD001");
  expect(iso.subarray(0x8028, 0x8028 + 6).toString()).toBe("cidata");
  expect(fs.readdirSync(out).sort()).toEqual(["meta-data", "network-config", "seed.iso", "user-data"]);
});

test("refuses with a clear message and writes nothing when the state has no seed", async () => {
  const stack = await deployedStack(false);
  const out = path.join(os.tmpdir(), `seed-none-${process.pid}`);
  const errors: string[] = [];
  const spy = jest.spyOn(console, "error").mockImplementation((text: string) => void errors.push(text));
  try {
    expect(runSeedCli(["--out", out, "--stack", stack])).toBe(1);
  } finally {
    spy.mockRestore();
  }
  expect(errors.join("\n")).toMatch(/no deployed seed in .*primary_seed.*run `cdktf deploy` first/s);
  expect(fs.existsSync(out)).toBe(false);
});

test("answers --help and refuses a missing --out", () => {
  const log = jest.spyOn(console, "log").mockImplementation(() => undefined);
  const error = jest.spyOn(console, "error").mockImplementation(() => undefined);
  try {
    expect(runSeedCli(["--help"])).toBe(0);
    expect(log.mock.calls.flat().join("")).toMatch(/usage: npm run seed -- --out DIR/);
    expect(runSeedCli([])).toBe(2);
    expect(error.mock.calls.flat().join("")).toMatch(/--out is required/);
  } finally {
    log.mockRestore();
    error.mockRestore();
  }
});
