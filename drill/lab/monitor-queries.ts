// SQL against the lab's nodes over their unix sockets (as postgres, peer authentication): the
// monitor's view of the formation and events, and what a data node holds.
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { waitFor } from "../../tools/wait";
import { DataRole, NodeRuntime, SOCKET_DIR } from "./layout";

const run = promisify(execFile);

export interface MonitorNode {
  readonly name: string;
  readonly reported: string;
  readonly goal: string;
  readonly health: number;
  /** Seconds since the node's keeper last reported to the monitor. */
  readonly reportAge: number;
}

export function sql(node: NodeRuntime, query: string, database = "postgres"): Promise<string> {
  return sqlOnSocket(node, SOCKET_DIR, node.port, query, database);
}

/** A PostgreSQL client program in the node's namespace, as postgres; its stdout. */
export async function asPostgres(node: NodeRuntime, program: string, ...args: string[]): Promise<string> {
  const { stdout } = await run("ip", ["netns", "exec", node.namespace, "runuser", "-u", "postgres", "--", program, ...args], { timeout: 300_000, maxBuffer: 64 * 1024 * 1024 });
  return stdout;
}

/** SQL in the node's namespace against the PostgreSQL whose socket is in `socketDir` on `port`. */
export async function sqlOnSocket(node: NodeRuntime, socketDir: string, port: number, query: string, database = "postgres"): Promise<string> {
  const { stdout } = await run(
    "ip",
    ["netns", "exec", node.namespace, "runuser", "-u", "postgres", "--", "psql", "-X", "-h", socketDir, "-p", String(port), "-d", database, "-v", "ON_ERROR_STOP=1", "-AtqF", "|", "-c", query],
    { timeout: 15_000, env: { ...process.env, PGCONNECT_TIMEOUT: "3" }, maxBuffer: 64 * 1024 * 1024 },
  );
  return stdout.trim();
}

export function monitorSql(witness: NodeRuntime, query: string): Promise<string> {
  return sql(witness, query, "pg_auto_failover");
}

export async function monitorNodes(witness: NodeRuntime): Promise<MonitorNode[]> {
  const out = await monitorSql(
    witness,
    "select nodename, reportedstate, goalstate, health, round(extract(epoch from now() - reporttime)::numeric, 2) from pgautofailover.node order by nodeid",
  );
  return out
    .split("\n")
    .filter(Boolean)
    .map((line) => {
      const [name, reported, goal, health, reportAge] = line.split("|");
      return { name, reported, goal, health: Number(health), reportAge: Number(reportAge) };
    });
}

/** The monitor's event log since `sinceMs` (epoch ms). */
export async function monitorEvents(witness: NodeRuntime, sinceMs: number): Promise<string[]> {
  const since = new Date(sinceMs).toISOString();
  const out = await monitorSql(
    witness,
    `select to_char(eventtime at time zone 'UTC', 'HH24:MI:SS.MS') || ' ' || nodename || ': ' || reportedstate || ' -> ' || goalstate
       from pgautofailover.event where eventtime >= '${since}'::timestamptz order by eventid`,
  );
  return out.split("\n").filter(Boolean);
}

/** Waits until the monitor shows one primary and one secondary, both settled and healthy (what estate-switchover requires). */
export async function waitForHealthyFormation(witness: NodeRuntime, seconds: number): Promise<{ primary: DataRole; secondary: DataRole }> {
  return waitFor(
    "a healthy primary/secondary formation",
    seconds,
    async () => {
      const nodes = await monitorNodes(witness);
      const primary = nodes.find((n) => n.reported === "primary" && n.goal === "primary" && n.health === 1);
      const secondary = nodes.find((n) => n.reported === "secondary" && n.goal === "secondary" && n.health === 1);
      return nodes.length === 2 && primary && secondary ? { primary: primary.name as DataRole, secondary: secondary.name as DataRole } : undefined;
    },
    500,
  );
}

/** Whether the node's PostgreSQL accepts writes: up, not in recovery, not read-only. */
export async function isWritable(node: NodeRuntime): Promise<boolean> {
  try {
    return (await sql(node, "select not pg_is_in_recovery() and current_setting('default_transaction_read_only') = 'off'")) === "t";
  } catch {
    return false;
  }
}

/** The ids in drill_writes on a node. */
export async function storedIds(node: NodeRuntime, database: string): Promise<Set<number>> {
  const out = await sql(node, "select id from drill_writes", database);
  return new Set(out.split("\n").filter(Boolean).map(Number));
}
