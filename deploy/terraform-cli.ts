import { spawnSync } from "node:child_process";

/** The Terraform CLI the deploy path runs: TERRAFORM_BINARY_NAME as cdktf reads it, else tofu, else terraform. */
export function terraformBinary(env = process.env): string {
  if (env.TERRAFORM_BINARY_NAME) {
    return env.TERRAFORM_BINARY_NAME;
  }
  return spawnSync("tofu", ["version"], { stdio: "ignore" }).status === 0 ? "tofu" : "terraform";
}

export interface CommandResult {
  readonly status: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the CLI in `directory`; its output is returned (and, with `echo`, shown as it comes). */
export function runTerraform(args: readonly string[], directory: string, options: { echo?: boolean; binary?: string } = {}): CommandResult {
  const binary = options.binary ?? terraformBinary();
  const result = spawnSync(binary, [`-chdir=${directory}`, ...args], {
    encoding: "utf8",
    env: { ...process.env, TF_IN_AUTOMATION: "1" },
    stdio: ["ignore", "pipe", "pipe"],
    maxBuffer: 512 * 1024 * 1024,
  });
  if (result.error) {
    return { status: 127, stdout: "", stderr: `cannot run ${binary}: ${result.error.message} (set TERRAFORM_BINARY_NAME)\n` };
  }
  if (options.echo) {
    process.stdout.write(result.stdout);
    process.stderr.write(result.stderr);
  }
  return { status: result.status ?? 1, stdout: result.stdout, stderr: result.stderr };
}
