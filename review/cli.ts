import * as fs from "node:fs";
import * as path from "node:path";
import { parsePlan } from "./plan";
import { renderReview } from "./render";
import { onlyStackFolder, readSynth, ReviewInputError } from "./synth";

const usage = "usage: npm run review -- [--stack DIR_OR_JSON] [--plan FILE] [--base DIR_OR_JSON] [--out FILE]";

export interface CliOptions {
  stack?: string;
  plan?: string;
  base?: string;
  out?: string;
}

export function parseArguments(argv: readonly string[]): CliOptions {
  const options: CliOptions = {};
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].split(/=(.*)/s, 2);
    const key = { "--stack": "stack", "--plan": "plan", "--base": "base", "--out": "out" }[flag] as keyof CliOptions | undefined;
    if (!key) {
      throw new ReviewInputError(`unknown argument ${argv[i]}\n${usage}`);
    }
    const value = inline ?? argv[++i];
    if (value === undefined || value === "") {
      throw new ReviewInputError(`${flag} needs a value\n${usage}`);
    }
    options[key] = value;
  }
  return options;
}

export interface CliOutput {
  out(text: string): void;
  err(text: string): void;
}

const processOutput: CliOutput = {
  out: (text) => {
    process.stdout.write(text);
  },
  err: (text) => {
    process.stderr.write(text);
  },
};

/** Runs the review; returns the exit status (0, or 2 for bad input: a missing file, an unknown option). */
export function runCli(argv: readonly string[], cwd = process.cwd(), io: CliOutput = processOutput): number {
  try {
    const options = parseArguments(argv);
    const resolve = (p: string) => path.resolve(cwd, p);
    const stack = options.stack ? resolve(options.stack) : onlyStackFolder(resolve("cdktf.out/stacks"), "stack");
    const current = readSynth(stack, "stack");
    const base = options.base ? readSynth(resolve(options.base), "base stack") : undefined;
    let plan;
    if (options.plan) {
      const planFile = resolve(options.plan);
      if (!fs.existsSync(planFile) || !fs.statSync(planFile).isFile()) {
        throw new ReviewInputError(`plan file not found: ${planFile}`);
      }
      plan = parsePlan(fs.readFileSync(planFile, "utf8"));
    }
    const markdown = renderReview({ current, base, plan, planFile: options.plan });
    if (options.out) {
      fs.writeFileSync(resolve(options.out), markdown);
      io.err(`review written to ${options.out}\n`);
    } else {
      io.out(markdown);
    }
    return 0;
  } catch (error) {
    if (error instanceof ReviewInputError) {
      io.err(`review: ${error.message}\n`);
      return 2;
    }
    throw error;
  }
}

if (require.main === module) {
  process.exitCode = runCli(process.argv.slice(2));
}
