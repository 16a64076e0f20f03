import * as path from "node:path";
import { builtTools } from "../tools/built-tools";
import { readCommandLine } from "../tools/command-line";
import { FlavourValidation, flavours, validateFlavour } from "./validate-estate";

const usage = `usage: npm run validate -- [--flavour NAME]... [--out DIR]

Synthesizes the example estate per flavour (${Object.keys(flavours).join(", ")}) and runs OpenTofu on it:
init, validate, and plan -refresh=false with dummy credentials (provider API lookups answered by a
loopback stand-in). Prints one line per flavour and keeps plan.txt and plan.json (tofu show -json)
in DIR/<flavour>/. Exits 1 when any flavour fails or prints a warning, or a provider is missing.

  --flavour NAME  validate only this flavour (repeatable; default: all)
  --out DIR       where to keep the results (default: cdktf.out/validate)
  --help          this text`;

async function main(argv: string[]): Promise<number> {
  const commandLine = readCommandLine(argv, {
    name: "validate",
    help: "npm run validate -- --help",
    usage,
    options: { flavour: { type: "string", multiple: true }, out: { type: "string" } },
  });
  if (typeof commandLine === "number") {
    return commandLine;
  }
  const { values } = commandLine;
  const chosen = values.flavour ?? Object.keys(flavours);
  const unknown = chosen.filter((name) => !(name in flavours));
  if (unknown.length > 0) {
    console.error(`validate: unknown flavour ${unknown.join(", ")}; choose from ${Object.keys(flavours).join(", ")}`);
    return 2;
  }
  const tools = builtTools();
  if (tools.missingProviders.length > 0) {
    for (const missing of tools.missingProviders) {
      console.error(`validate: provider not available, nothing validated: ${missing}`);
    }
    return 1;
  }
  const outputRoot = path.resolve(values.out ?? "cdktf.out/validate");
  let failed = false;
  for (const name of chosen) {
    const result = await validateFlavour(tools, name, flavours[name].estate(), { outputRoot });
    console.log(describe(result, flavours[name].description));
    failed ||= !result.ok || result.warnings.length > 0;
  }
  return failed ? 1 : 0;
}

function describe(result: FlavourValidation, description: string): string {
  const where = path.relative(process.cwd(), result.directory) || ".";
  if (!result.ok) {
    const failedStep = result.steps.find((step) => !step.ok)!;
    const unanswered = result.unansweredApiRequests.length > 0 ? `\n  provider API requests the stand-in did not answer: ${result.unansweredApiRequests.join(", ")}` : "";
    return `${result.flavour} (${description}): FAILED at ${failedStep.command}\n${indent(failedStep.output)}${unanswered}`;
  }
  const warnings = result.warnings.length > 0 ? `\n  but with warnings:\n${indent(result.warnings.join("\n"))}` : "";
  return `${result.flavour} (${description}): Success: valid; ${result.planSummary ?? "plan ran"} (plan.txt and plan.json in ${where})${warnings}`;
}

const indent = (text: string) => text.trimEnd().split("\n").map((line) => `    ${line}`).join("\n");

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => (process.exitCode = code),
    (error) => {
      console.error(`validate: ${error instanceof Error ? error.message : String(error)}`);
      process.exitCode = 1;
    },
  );
}
