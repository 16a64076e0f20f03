// The node's own scripts from its #cloud-config, run in its namespace with its paths and ports
// relocated under the node's folder: the init scripts, healthz-update.sh, failover-events.sh and
// estate-switchover.sh.
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { promisify } from "node:util";
import { NodeRuntime, SOCKET_DIR } from "./layout";

const run = promisify(execFile);

/** The environment overrides that put a node's paths and port under its folder. */
function scriptEnvironment(node: NodeRuntime, monitorPort: number): Record<string, string> {
  return {
    DR_ESTATE_ETC: node.etc,
    PGAF_PGDATA: node.pgdata,
    PGAF_PORT: String(node.port),
    PGAF_TLS_DIR: node.tlsDir,
    MONITOR_PORT: String(monitorPort),
    JOIN_WAIT_SECONDS: "120",
    ...node.xdg,
  };
}

/** NAME=value words for `env`. */
export const assignments = (environment: Record<string, string>) => Object.entries(environment).map(([k, v]) => `${k}=${v}`);

/** Runs an init script of the node (its stderr kept in <script>.log); throws with its last lines. */
export async function runInit(node: NodeRuntime, script: string, monitorPort: number): Promise<void> {
  const logFile = path.join(node.dir, `${script}.log`);
  try {
    const { stderr } = await run("ip", ["netns", "exec", node.namespace, "env", ...assignments(scriptEnvironment(node, monitorPort)), path.join(node.lib, script)], {
      timeout: 240_000,
      maxBuffer: 64 * 1024 * 1024,
    });
    fs.writeFileSync(logFile, stderr);
  } catch (error) {
    const e = error as { stderr?: string; message: string };
    fs.writeFileSync(logFile, e.stderr ?? "");
    throw new Error(`${node.role}: ${script} failed: ${e.message.split("\n")[0]}\n${(e.stderr ?? "").split("\n").slice(-15).join("\n")}`);
  }
}

/** Runs the node's healthz-update.sh once; ok when it left the 200 marker. */
export async function healthz(node: NodeRuntime): Promise<{ ok: boolean; text: string }> {
  const environment = {
    DR_ESTATE_ETC: node.etc,
    HEALTHZ_DIR: node.healthzDir,
    HEALTHZ_DATA_DIR: node.pgdata,
    PGHOST: SOCKET_DIR,
    PGPORT: String(node.port),
  };
  await run("ip", ["netns", "exec", node.namespace, "runuser", "-u", "postgres", "--", "env", ...assignments(environment), path.join(node.lib, "healthz-update.sh")], {
    timeout: 15_000,
  });
  const marker = path.join(node.healthzDir, "writable-primary");
  const reason = path.join(node.healthzDir, "reason");
  if (fs.existsSync(marker)) {
    return { ok: true, text: fs.readFileSync(marker, "utf8").trim() };
  }
  return { ok: false, text: fs.existsSync(reason) ? fs.readFileSync(reason, "utf8").trim() : "no marker" };
}

export const failoverEventsDir = (witness: NodeRuntime) => path.join(witness.dir, "failover-events");

/** Runs the witness's failover-events.sh (record or verify) as its timer would. */
export async function failoverEvents(witness: NodeRuntime, command: "record" | "verify", file?: string): Promise<{ ok: boolean; output: string; log: string }> {
  const eventsDir = failoverEventsDir(witness);
  const result = await runOnWitness(witness, "failover-events.sh", [command, ...(file ? [file] : [])], { FAILOVER_EVENTS_DIR: eventsDir });
  return { ...result, log: path.join(eventsDir, "events.log") };
}

/** Runs the witness's estate-switchover.sh as the operator would. */
export function switchover(witness: NodeRuntime): Promise<{ ok: boolean; output: string }> {
  return runOnWitness(witness, "estate-switchover.sh", [], {});
}

async function runOnWitness(witness: NodeRuntime, script: string, args: string[], extra: Record<string, string>): Promise<{ ok: boolean; output: string }> {
  const environment = assignments({ ...scriptEnvironment(witness, witness.port), ...extra });
  try {
    const { stdout, stderr } = await run("ip", ["netns", "exec", witness.namespace, "env", ...environment, path.join(witness.lib, script), ...args], { timeout: 180_000 });
    return { ok: true, output: stdout + stderr };
  } catch (error) {
    const e = error as { stdout?: string; stderr?: string; message: string };
    return { ok: false, output: `${e.stdout ?? ""}${e.stderr ?? e.message}` };
  }
}
