import { execFileSync, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { primarySeedOutput } from "../constructs/primary-node";
import { runTerraform } from "../deploy/terraform-cli";

/** The seed's files, as the stack's `primary_seed` output holds them (network-config only when the description sets one). */
export type SeedFiles = Record<"user-data" | "meta-data", string> & { readonly "network-config"?: string };

const requiredFiles = ["user-data", "meta-data"] as const;

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
  const missing = requiredFiles.filter((name) => typeof seed?.[name] !== "string");
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
  const files = Object.entries(seed).filter((entry): entry is [string, string] => typeof entry[1] === "string");
  for (const [name, content] of files) {
    place(name, (temporary) => fs.writeFileSync(temporary, content, { mode: 0o600 }), name === "user-data" ? 0o600 : 0o644);
  }
  // A seed without network-config must not keep one from an earlier run.
  if (seed["network-config"] === undefined) {
    fs.rmSync(path.join(directory, "network-config"), { force: true });
  }
  if (spawnSync("cloud-localds", ["--help"], { stdio: "ignore" }).status === 0) {
    const file = (name: string) => path.join(directory, name);
    const network = seed["network-config"] === undefined ? [] : ["--network-config", file("network-config")];
    place("seed.iso", (temporary) => {
      execFileSync("cloud-localds", [...network, temporary, file("user-data"), file("meta-data")], { stdio: "pipe" });
    }, 0o600);
  }
  return written;
}
