import { execFileSync, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";

/** The Go-built tools of tools/build-terraform-tools.sh: tofu and the test tools, and the provider mirror. */
export interface BuiltTools {
  readonly directory: string;
  readonly tofu: string;
  bin(name: string): string;
  /** Providers pinned in versions.env that could not be had, each with the reason. */
  readonly missingProviders: string[];
  /** Environment for tofu: the mirror's CLI config, no checkpoint calls, automation output. */
  readonly tofuEnvironment: Record<string, string>;
}

/**
 * Builds the tools, or finds them in the cache (a moment once built). `.ci/run` builds them before
 * the tests; a cold build takes 15-25 minutes on two cores.
 */
export function builtTools(): BuiltTools {
  const script = path.join(__dirname, "build-terraform-tools.sh");
  const output = execFileSync("bash", [script], { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"], timeout: 60 * 60 * 1000 });
  const directory = output.trim().split("\n").pop()!;
  const missingFile = path.join(directory, "missing-providers.txt");
  const bin = (name: string) => path.join(directory, "bin", name);
  return {
    directory,
    tofu: bin("tofu"),
    bin,
    missingProviders: fs.existsSync(missingFile) ? fs.readFileSync(missingFile, "utf8").split("\n").filter(Boolean) : [],
    tofuEnvironment: { TF_CLI_CONFIG_FILE: path.join(directory, "tofu.rc"), TF_IN_AUTOMATION: "1", CHECKPOINT_DISABLE: "1" },
  };
}

/** Result of one tofu command: its exit status and everything it printed. */
export interface TofuResult {
  readonly status: number;
  readonly output: string;
}

/** Runs tofu in `cwd` without blocking: a loopback server of the same process may have to answer it. */
export function runTofu(tools: BuiltTools, args: readonly string[], cwd: string, env: Record<string, string> = {}): Promise<TofuResult> {
  return new Promise((resolve) => {
    const child = spawn(tools.tofu, ["-chdir=" + cwd, ...args], { env: { ...process.env, ...tools.tofuEnvironment, ...env }, stdio: ["ignore", "pipe", "pipe"] });
    const chunks: Buffer[] = [];
    child.stdout.on("data", (chunk: Buffer) => chunks.push(chunk));
    child.stderr.on("data", (chunk: Buffer) => chunks.push(chunk));
    child.on("error", (error) => resolve({ status: 127, output: `cannot run ${tools.tofu}: ${error.message}` }));
    child.on("close", (status) => resolve({ status: status ?? 1, output: Buffer.concat(chunks).toString("utf8") }));
  });
}
