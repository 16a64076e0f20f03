import * as path from "node:path";
import { onlyStackFolder, ReviewInputError } from "../review/synth";
import { readCommandLine } from "../tools/command-line";
import { readDeployedSeed, SeedError, writeSeed } from "./write-seed";

const usage = `usage: npm run seed -- --out DIR [--stack DIR]

Writes the bare-metal primary's NoCloud seed (user-data, meta-data, network-config when the description sets one, and seed.iso
when cloud-localds is installed) from the deployed state's sensitive primary_seed output.

  --out DIR     folder to write the seed into (created with mode 0700)
  --stack DIR   the synthesized stack whose state to read (default: the only stack in cdktf.out/stacks)
  --help        this text

Reads state with TERRAFORM_BINARY_NAME (default: tofu, else terraform), in the folder cdktf deploy used.`;

export function runSeedCli(argv: readonly string[], cwd = process.cwd()): number {
  const commandLine = readCommandLine(argv, { name: "seed", help: "npm run seed -- --help", usage, options: { out: { type: "string" }, stack: { type: "string" } } });
  if (typeof commandLine === "number") {
    return commandLine;
  }
  const { values } = commandLine;
  if (!values.out) {
    console.error(`seed: --out is required\n${usage}`);
    return 2;
  }
  try {
    const stack = values.stack ? path.resolve(cwd, values.stack) : onlyStackFolder(path.resolve(cwd, "cdktf.out/stacks"));
    const written = writeSeed(readDeployedSeed(stack), path.resolve(cwd, values.out));
    console.log(`seed written: ${written.join(", ")}\nKeep it as secret as a password file: it holds the primary's key and the estate's passwords.`);
    return 0;
  } catch (error) {
    if (error instanceof SeedError || error instanceof ReviewInputError) {
      console.error(`seed: ${error.message}`);
      return 1;
    }
    throw error;
  }
}

if (require.main === module) {
  process.exitCode = runSeedCli(process.argv.slice(2));
}
