// Every command the README names answers --help with its usage (exit 0) and refuses an unknown
// option in one line (exit 2), through its npm script, before it builds or needs anything.
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";

const projectRoot = path.join(__dirname, "..", "..");

/** `npm run synth` is cdktf's own CLI (`cdktf synth --help`); every other command is ours. */
const notOurs = ["synth"];

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
  seconds: number;
}

function npmRun(script: string, args: string[]): Promise<Run> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn("npm", ["run", "--silent", script, "--", ...args], { cwd: projectRoot, env: { ...process.env, CHECKPOINT_DISABLE: "1" } });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk) => (stdout += chunk));
    child.stderr.on("data", (chunk) => (stderr += chunk));
    child.on("error", reject);
    child.on("close", (status) => resolve({ status, stdout, stderr, seconds: (Date.now() - started) / 1000 }));
  });
}

/** Runs the jobs a few at a time: each is a Node process loading TypeScript, on a small machine. */
async function inPool<T>(jobs: (() => Promise<T>)[], size: number): Promise<T[]> {
  const results: T[] = new Array(jobs.length);
  let next = 0;
  const worker = async () => {
    while (next < jobs.length) {
      const index = next++;
      results[index] = await jobs[index]();
    }
  };
  await Promise.all(Array.from({ length: size }, worker));
  return results;
}

const readme = fs.readFileSync(path.join(projectRoot, "README.md"), "utf8");
const scripts = Object.keys(JSON.parse(fs.readFileSync(path.join(projectRoot, "package.json"), "utf8")).scripts as Record<string, string>);
const commands = [...new Set([...readme.matchAll(/npm run ([\w:-]+)/g)].map((match) => match[1]))].filter((name) => !notOurs.includes(name)).sort();

test("the README's commands are npm scripts", () => {
  expect(commands.length).toBeGreaterThanOrEqual(10);
  expect(commands.filter((name) => !scripts.includes(name))).toEqual([]);
});

test("each answers --help with its usage and refuses an unknown option", async () => {
  const runs = await inPool(
    commands.flatMap((name) => [() => npmRun(name, ["--help"]), () => npmRun(name, ["--no-such-option"])]),
    2,
  );
  commands.forEach((name, index) => {
    const [help, unknown] = [runs[2 * index], runs[2 * index + 1]];
    expect({ name, status: help.status, stderr: help.stderr }).toEqual({ name, status: 0, stderr: "" });
    expect(help.stdout).toMatch(/^usage: (sudo )?npm run /);
    expect(help.stdout).toContain("--help");
    expect({ name, status: unknown.status, stdout: unknown.stdout }).toEqual({ name, status: 2, stdout: "" });
    expect(unknown.stderr).toMatch(/^[\w-]+: unknown option --no-such-option; see npm run [\w-]+ -- --help\n$/);
  });
}, 300000);
