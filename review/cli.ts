import * as fs from "node:fs";
import * as path from "node:path";
import { CommandLineError, parseCommandLine } from "../tools/command-line";
import { parsePlanJson, PlanReport } from "./plan-json";
import { githubCommentLimit, renderReview } from "./render";
import { onlyStackFolder, readSynth, ReviewInputError, Synth } from "./synth";

export const usage = `usage: npm run review -- [options]

Writes the pull-request comment (Markdown) that reviews the synthesized estate and its plan.

  --stack DIR_OR_JSON   the synth to review: a cdk.tf.json, its stack folder, or a cdktf.out
                        folder with one stack (default: the one stack under cdktf.out/stacks)
  --plan-json FILE      the plan: the output of \`tofu show -json PLANFILE\`; the changes, the
                        danger notice and the counts come from it
  --plan-text FILE      the human plan text, shown (trimmed to fit) at the end
  --base DIR_OR_JSON    the base branch's synth, for the synth-to-synth diff and the cost change
  --failed WHAT --log FILE
                        a workflow step failed (e.g. synth, plan): the comment opens with it and
                        the tail of its log, and inputs the step left missing are skipped
  --max-chars N         the comment's size limit (default ${githubCommentLimit}, GitHub's)
  --out FILE            write the comment to FILE instead of stdout
  --help                print this and exit

Exits 0, or 2 with a one-line message for bad input (a missing file, an unknown option).`;

const help = "see npm run review -- --help";

export interface CliOptions {
  stack?: string;
  planJson?: string;
  planText?: string;
  base?: string;
  failed?: string;
  log?: string;
  maxChars: number;
  out?: string;
  help: boolean;
}

export function parseArguments(argv: readonly string[]): CliOptions {
  const { values } = inReviewTerms(() =>
    parseCommandLine(argv, {
      name: "review",
      help: "npm run review -- --help",
      options: {
        stack: { type: "string" },
        "plan-json": { type: "string" },
        "plan-text": { type: "string" },
        base: { type: "string" },
        failed: { type: "string" },
        log: { type: "string" },
        "max-chars": { type: "string" },
        out: { type: "string" },
      },
      renamed: { "--plan": "the plan is now --plan-json FILE (tofu show -json) and --plan-text FILE" },
    }),
  );
  if ((values.failed === undefined) !== (values.log === undefined)) {
    throw new ReviewInputError(`--failed and --log go together: --failed STEP --log FILE; ${help}`);
  }
  if (typeof values.failed === "string" && !/^[A-Za-z0-9][\w .-]*$/.test(values.failed)) {
    throw new ReviewInputError(`--failed names a workflow step, e.g. synth or plan (got ${JSON.stringify(values.failed)})`);
  }
  let maxChars = githubCommentLimit;
  if (values["max-chars"] !== undefined) {
    maxChars = Number(values["max-chars"]);
    if (!/^\d+$/.test(values["max-chars"]) || maxChars < 1000) {
      throw new ReviewInputError(`--max-chars needs a whole number of at least 1000 (got ${values["max-chars"]})`);
    }
  }
  return {
    stack: values.stack,
    planJson: values["plan-json"],
    planText: values["plan-text"],
    base: values.base,
    failed: values.failed,
    log: values.log,
    maxChars,
    out: values.out,
    help: values.help === true,
  };
}

/** A bad command line as the review's input error (exit 2). */
function inReviewTerms<T>(parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    throw error instanceof CommandLineError ? new ReviewInputError(error.message) : error;
  }
}

export interface CliOutput {
  out(text: string): void;
  err(text: string): void;
}

export interface CliContext {
  readonly cwd?: string;
  readonly io?: CliOutput;
  /** Today, for the stale-price warning. */
  readonly now?: Date;
  /** GITHUB_SERVER_URL, GITHUB_REPOSITORY and GITHUB_RUN_ID give the run whose `plan` artifact is linked. */
  readonly env?: NodeJS.ProcessEnv;
}

const processOutput: CliOutput = {
  out: (text) => {
    process.stdout.write(text);
  },
  err: (text) => {
    process.stderr.write(text);
  },
};

function readFile(file: string, what: string): string {
  if (!fs.existsSync(file) || !fs.statSync(file).isFile()) {
    throw new ReviewInputError(`${what} not found: ${file}`);
  }
  return fs.readFileSync(file, "utf8");
}

/** Runs the review; returns the exit status (0, or 2 for bad input: a missing file, an unknown option). */
export function runCli(argv: readonly string[], context: CliContext = {}): number {
  const { cwd = process.cwd(), io = processOutput, now = new Date(), env = process.env } = context;
  try {
    const options = parseArguments(argv);
    if (options.help) {
      io.out(`${usage}\n`);
      return 0;
    }
    const resolve = (p: string) => path.resolve(cwd, p);
    const failure = options.failed ? { step: options.failed, log: readFile(resolve(options.log!), "log file"), logFile: options.log } : undefined;
    // After a failed step some inputs may never have been written: those are noted, not fatal.
    const unavailable: string[] = [];
    const tolerate = <T>(read: () => T): T | undefined => {
      try {
        return read();
      } catch (error) {
        if (failure && error instanceof ReviewInputError) {
          unavailable.push(error.message);
          return undefined;
        }
        throw error;
      }
    };
    const current: Synth | undefined = tolerate(() =>
      readSynth(options.stack ? resolve(options.stack) : onlyStackFolder(resolve("cdktf.out/stacks"), "stack"), "stack"),
    );
    const base = options.base ? tolerate(() => readSynth(resolve(options.base!), "base stack")) : undefined;
    const plan: PlanReport | undefined = options.planJson
      ? tolerate(() => parsePlanJson(readFile(resolve(options.planJson!), "plan JSON"), options.planJson))
      : undefined;
    const planText = options.planText ? tolerate(() => readFile(resolve(options.planText!), "plan text")) : undefined;
    const runUrl = env.GITHUB_SERVER_URL && env.GITHUB_REPOSITORY && env.GITHUB_RUN_ID
      ? `${env.GITHUB_SERVER_URL}/${env.GITHUB_REPOSITORY}/actions/runs/${env.GITHUB_RUN_ID}`
      : undefined;
    const markdown = renderReview({
      current,
      base,
      plan,
      planFile: plan ? options.planJson : undefined,
      planText,
      planTextFile: planText === undefined ? undefined : options.planText,
      failure,
      unavailable,
      maxChars: options.maxChars,
      now,
      runUrl,
    });
    if (options.out) {
      fs.writeFileSync(resolve(options.out), markdown);
      io.err(`review written to ${options.out} (${markdown.length} characters)\n`);
    } else {
      io.out(markdown);
    }
    return 0;
  } catch (error) {
    if (error instanceof ReviewInputError) {
      io.err(`review: ${error.message.split("\n")[0]}\n`);
      return 2;
    }
    throw error;
  }
}

if (require.main === module) {
  process.exitCode = runCli(process.argv.slice(2));
}
