// Every command the README names answers --help with its usage (exit 0) and refuses an unknown
// option in one line (exit 2), through its npm script, before it builds or needs anything.
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";

const projectRoot = path.join(__dirname, "..", "..");

/** Scripts that are a tool's own CLI, with its own --help: cdktf synth, tsc, biome and jest. */
const notOurs = ["synth", "typecheck", "lint", "test:unit"];

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

function npmRun(script: string, args: string[]): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn("npm", ["run", "--silent", script, "--", ...args], { cwd: projectRoot, env: { ...process.env, CHECKPOINT_DISABLE: "1" } });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk) => (stdout += chunk));
    child.stderr.on("data", (chunk) => (stderr += chunk));
    child.on("error", reject);
    child.on("close", (status) => resolve({ status, stdout, stderr }));
  });
}

const readme = fs.readFileSync(path.join(projectRoot, "README.md"), "utf8");
const scripts = Object.keys(JSON.parse(fs.readFileSync(path.join(projectRoot, "package.json"), "utf8")).scripts as Record<string, string>);
const commands = [...new Set([...readme.matchAll(/npm run ([\w:-]+)/g)].map((match) => match[1]))].filter((name) => !notOurs.includes(name)).sort();

test("the README's commands are npm scripts", () => {
  expect(commands.length).toBeGreaterThanOrEqual(10);
  expect(commands.filter((name) => !scripts.includes(name))).toEqual([]);
});

// One command at a time, its two runs side by side: each is a Node process loading TypeScript.
test.each(commands)("npm run %s answers --help with its usage and refuses an unknown option", async (name) => {
  const [help, unknown] = await Promise.all([npmRun(name, ["--help"]), npmRun(name, ["--no-such-option"])]);
  expect({ status: help.status, stderr: help.stderr }).toEqual({ status: 0, stderr: "" });
  expect(help.stdout).toMatch(/^usage: (sudo )?npm run /);
  expect(help.stdout).toContain("--help");
  expect({ status: unknown.status, stdout: unknown.stdout }).toEqual({ status: 2, stdout: "" });
  expect(unknown.stderr).toMatch(/^[\w-]+: unknown option --no-such-option; see npm run [\w-]+ -- --help\n$/);
}, 120000);
