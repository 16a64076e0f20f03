// Measures how long synthesizing the example estate takes for each standby provider, the number
// reviewers wait on in every `cdktf diff`. Each run is a fresh Node process (as `cdktf synth` runs
// the app), so module loading counts; the median of several runs is written to bench/results/.
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { readCommandLine } from "../tools/command-line";

const usage = `usage: npm run bench [-- --help]

Measures how long synthesizing the example estate takes for each standby provider (hetzner,
digitalocean): one fresh Node process per run, the median of BENCH_RUNS runs (default 7) against a
target of 3 s, written to bench/results/synth-time.json.`;

const commandLine = readCommandLine(process.argv.slice(2), { name: "bench", help: "npm run bench -- --help", usage, options: {} });
if (typeof commandLine === "number") {
  process.exit(commandLine);
}

const runs = Number(process.env.BENCH_RUNS ?? 7);
const targetSeconds = 3;
const root = path.join(__dirname, "..");

function synthSeconds(provider: string): number {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), "bench-synth-"));
  const started = process.hrtime.bigint();
  execFileSync(process.execPath, [require.resolve("ts-node/dist/bin.js"), "--transpile-only", "bench/synth-once.ts", provider, outdir], {
    cwd: root,
    stdio: "inherit",
  });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  fs.rmSync(outdir, { recursive: true, force: true });
  return seconds;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

const results = (["hetzner", "digitalocean"] as const).map((provider) => {
  synthSeconds(provider); // warm the file cache; not counted
  const samples = Array.from({ length: runs }, () => synthSeconds(provider));
  const medianSeconds = median(samples);
  console.log(`${provider}: median ${medianSeconds.toFixed(2)} s over ${runs} runs (target <= ${targetSeconds} s)`);
  return { provider, runs, medianSeconds, samples, withinTarget: medianSeconds <= targetSeconds };
});

const resultsDirectory = path.join(root, "bench", "results");
fs.mkdirSync(resultsDirectory, { recursive: true });
const report = { benchmark: "synth-time", targetSeconds, cpus: os.cpus().length, node: process.version, measuredAt: new Date().toISOString(), results };
fs.writeFileSync(path.join(resultsDirectory, "synth-time.json"), JSON.stringify(report, null, 2) + "\n");
console.log(`written to bench/results/synth-time.json`);
