import { execFileSync, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { primarySeedOutput } from "../constructs/primary-node";
import { runTerraform } from "../deploy/terraform-cli";

/** The seed's files, as the stack's `primary_seed` output holds them. */
export type SeedFiles = Record<"user-data" | "meta-data" | "network-config", string>;

const seedFileNames = ["user-data", "meta-data", "network-config"] as const;

/** A problem the command reports in one line with exit status 1 (no state, no output, bad arguments). */
export class SeedError extends Error {}

/** The seed from the deployed state of the stack in `stackDirectory` (initialised by `cdktf deploy`). */
export function readDeployedSeed(stackDirectory: string): SeedFiles {
  const result = runTerraform(["output", "-no-color", "-json", primarySeedOutput], stackDirectory);
  if (result.status !== 0) {
    const reason = result.stderr.replace(/[│╷╵]/g, "").split("\n").map((line) => line.trim()).filter(Boolean).join(" ");
    throw new SeedError(`no deployed seed in ${stackDirectory}: ${reason || "the output command failed"} (run \`cdktf deploy\` first)`);
  }
  // CLI configuration warnings can precede the JSON on stdout.
  const seed = JSON.parse(result.stdout.slice(Math.max(0, result.stdout.search(/^(\{|null)/m)))) as Partial<SeedFiles> | null;
  const missing = seedFileNames.filter((name) => typeof seed?.[name] !== "string");
  if (missing.length > 0) {
    throw new SeedError(`the state's ${primarySeedOutput} output has no ${missing.join(", ")}: deploy the current estate first`);
  }
  return seed as SeedFiles;
}

/**
 * Writes the seed into `directory` (created 0700): user-data 0600 (it holds the node's key and the
 * estate's passwords), meta-data and network-config 0644, and seed.iso (0600) when cloud-localds
 * is installed. Each file is written beside its final name and renamed, so a failure never leaves
 * a half-written seed. Returns the files written.
 */
export function writeSeed(seed: SeedFiles, directory: string): string[] {
  fs.mkdirSync(directory, { recursive: true, mode: 0o700 });
  const written: string[] = [];
  const place = (name: string, write: (temporary: string) => void, mode: number) => {
    const final = path.join(directory, name);
    const temporary = path.join(directory, `.${name}.partial`);
    try {
      write(temporary);
      fs.chmodSync(temporary, mode);
      fs.renameSync(temporary, final);
    } finally {
      fs.rmSync(temporary, { force: true });
    }
    written.push(final);
  };
  for (const name of seedFileNames) {
    place(name, (temporary) => fs.writeFileSync(temporary, seed[name], { mode: 0o600 }), name === "user-data" ? 0o600 : 0o644);
  }
  if (spawnSync("cloud-localds", ["--help"], { stdio: "ignore" }).status === 0) {
    const file = (name: string) => path.join(directory, name);
    place("seed.iso", (temporary) => {
      execFileSync("cloud-localds", ["--network-config", file("network-config"), temporary, file("user-data"), file("meta-data")], { stdio: "pipe" });
    }, 0o600);
  }
  return written;
}
