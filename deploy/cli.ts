import * as fs from "node:fs";
import * as path from "node:path";
import { onlyStackFolder, ReviewInputError } from "../review/synth";
import { readCommandLine } from "../tools/command-line";
import { checkServerReplacements } from "./guard";
import { differingAddresses, PlanJson } from "./plan-json";
import { redactPlan } from "./redact-plan";
import { runTerraform } from "./terraform-cli";

const usage = `usage: npm run plan -- --out DIR [--read-only] [--stack DIR]
       npm run apply -- --reviewed DIR [--stack DIR]

plan   init, plan and save the plan of the synthesized estate into DIR: plan.tfplan (encrypted by
       OpenTofu when the estate's state encryption is on), plan.json (tofu show -json with every
       sensitive value and variable redacted), plan.txt, plan.log. Refuses (exit 3) a plan that destroys or replaces more than one server, unless
       ALLOW_REPLACING_SERVERS names each of them for this run. With --read-only the state is
       not locked, so read-only state credentials (CI's plan jobs) suffice.
apply  applies exactly the plan saved in DIR, after a fresh plan shows the same changes; refuses
       (exit 3) when they differ, and OpenTofu itself refuses a plan whose state has moved on.

  --stack DIR   the synthesized stack (default: the only one in cdktf.out/stacks)
  --help        this text

Runs TERRAFORM_BINARY_NAME (default: tofu, else terraform) with the credentials in the environment.`;

/** A refusal or failure the command reports in one line, with its exit status. */
class DeployError extends Error {
  constructor(
    message: string,
    readonly status = 1,
  ) {
    super(message);
  }
}

export function runDeployCli(argv: readonly string[], cwd = process.cwd()): number {
  const commandLine = readCommandLine(argv, {
    name: "deploy",
    help: "npm run plan -- --help",
    usage,
    allowPositionals: true,
    options: { out: { type: "string" }, reviewed: { type: "string" }, stack: { type: "string" }, "read-only": { type: "boolean" } },
  });
  if (typeof commandLine === "number") {
    return commandLine;
  }
  const { values, positionals } = commandLine;
  const [command, ...extra] = positionals;
  if ((command !== "plan" && command !== "apply") || extra.length > 0) {
    const wrong = command === "plan" || command === "apply" ? `unexpected argument ${extra[0]}` : command === undefined ? "plan or apply?" : `unknown command ${command}: plan or apply`;
    console.error(`deploy: ${wrong}; see npm run plan -- --help`);
    return 2;
  }
  const directory = command === "plan" ? values.out : values.reviewed;
  if (directory === undefined) {
    console.error(`deploy: ${command} needs ${command === "plan" ? "--out DIR" : "--reviewed DIR"}\n${usage}`);
    return 2;
  }
  try {
    const stack = values.stack ? path.resolve(cwd, values.stack) : onlyStackFolder(path.resolve(cwd, "cdktf.out/stacks"));
    if (command === "plan") {
      savePlan(stack, path.resolve(cwd, directory), "plan", { lock: !values["read-only"] });
      console.log(`plan saved in ${directory}`);
    } else {
      applyReviewed(stack, path.resolve(cwd, directory));
    }
    return 0;
  } catch (error) {
    if (error instanceof DeployError || error instanceof ReviewInputError) {
      console.error(`deploy: ${error.message}`);
      return error instanceof DeployError ? error.status : 1;
    }
    throw error;
  }
}

/** init, plan -out, show -json and show into `directory`; the guard runs on the result. */
function savePlan(stack: string, directory: string, name: string, { lock = true } = {}): PlanJson {
  fs.mkdirSync(directory, { recursive: true });
  const file = (extension: string) => path.join(directory, `${name}.${extension}`);
  must(runTerraform(["init", "-input=false", "-no-color"], stack, { echo: true }), "init");
  const plan = runTerraform(["plan", "-input=false", "-no-color", ...(lock ? [] : ["-lock=false"]), `-out=${file("tfplan")}`], stack, { echo: true });
  fs.writeFileSync(file("log"), plan.stdout + plan.stderr);
  must(plan, "plan");
  const json = JSON.stringify(redactPlan(JSON.parse(must(runTerraform(["show", "-json", file("tfplan")], stack), "show -json").stdout)));
  fs.writeFileSync(file("json"), json);
  fs.writeFileSync(file("txt"), must(runTerraform(["show", "-no-color", file("tfplan")], stack), "show").stdout);
  const parsed = JSON.parse(json) as PlanJson;
  const refusal = checkServerReplacements(parsed, allowedReplacements());
  if (refusal) {
    throw new DeployError(refusal, 3);
  }
  return parsed;
}

function applyReviewed(stack: string, directory: string): void {
  const reviewedFile = path.join(directory, "plan.json");
  if (!fs.existsSync(reviewedFile) || !fs.existsSync(path.join(directory, "plan.tfplan"))) {
    throw new DeployError(`no reviewed plan in ${directory} (plan.tfplan and plan.json, from npm run plan)`);
  }
  const reviewed = JSON.parse(fs.readFileSync(reviewedFile, "utf8")) as PlanJson;
  const fresh = savePlan(stack, directory, "fresh");
  const differing = differingAddresses(reviewed, fresh);
  if (differing.length > 0) {
    throw new DeployError(`the estate has changed since the plan was reviewed (${differing.join(", ")}); nothing applied: plan and review again`, 3);
  }
  must(runTerraform(["apply", "-input=false", "-no-color", path.join(directory, "plan.tfplan")], stack, { echo: true }), "apply");
}

function allowedReplacements(): string[] {
  return (process.env.ALLOW_REPLACING_SERVERS ?? "").split(",").map((address) => address.trim()).filter(Boolean);
}

function must<T extends { status: number; stderr: string }>(result: T, step: string): T {
  if (result.status !== 0) {
    const detail = result.stderr.trim().split("\n").slice(-20).join("\n");
    throw new DeployError(`${step} failed${detail ? `:\n${detail}` : ""}`);
  }
  return result;
}

if (require.main === module) {
  process.exitCode = runDeployCli(process.argv.slice(2));
}
