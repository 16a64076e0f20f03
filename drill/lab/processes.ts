// The lab's processes: each node's keeper (`pg_autoctl run`) started as its rendered unit says, found
// again through /proc (its whole tree and its PostgreSQL), and killed.
import { ChildProcess, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { failoverPaths } from "../../cloud-init/pieces/failover";
import { waitFor } from "../../tools/wait";
import { NodeRuntime, PG_MAJOR, SOCKET_DIR } from "./layout";
import { assignments } from "./node-scripts";
import { walArchivePaths } from "./wal-archive";

/**
 * How the rendered unit runs its command in the node: its User= and Environment= (server paths
 * relocated under the node's folder), as `ip netns exec` + `runuser` + `env -i` arguments.
 */
function asUnit(node: NodeRuntime): { prefix: string[]; relocate: (value: string) => string } {
  const production = failoverPaths({ postgres: { majorVersion: PG_MAJOR } });
  const relocate = (value: string) => value.split(production.pgdata).join(node.pgdata).split(production.tlsDir).join(node.tlsDir);
  const user = node.unit.user ?? "root";
  const environment = {
    // What systemd sets for a service with User=.
    HOME: "/var/lib/postgresql",
    USER: user,
    LOGNAME: user,
    ...Object.fromEntries(Object.entries(node.unit.environment).map(([k, v]) => [k, relocate(v)])),
    ...node.xdg,
    // The corruption scenario's lab archives WAL: archive_command finds the node's relocated config.
    ...(fs.existsSync(walArchivePaths(node).config) ? { PGBACKREST_CONFIG: walArchivePaths(node).config } : {}),
  };
  const prefix = ["netns", "exec", node.namespace, "runuser", "-u", user, "--", "env", "-i", ...assignments(environment)];
  return { prefix, relocate };
}

/** Starts `pg_autoctl run` as the rendered unit says: its User, WorkingDirectory, Environment and ExecStart. */
export function startKeeper(node: NodeRuntime, log: (line: string) => void): ChildProcess {
  const { prefix, relocate } = asUnit(node);
  const logFile = fs.openSync(path.join(node.dir, "keeper.log"), "a");
  const child = spawn("ip", [...prefix, ...node.unit.execStart.map(relocate)], {
    cwd: node.unit.workingDirectory ?? "/",
    detached: true,
    stdio: ["ignore", logFile, logFile],
  });
  fs.closeSync(logFile);
  child.on("error", (error) => log(`${node.role}: keeper did not start: ${error.message}`));
  return child;
}

export function alive(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return false;
  }
}

function isPostgresOf(pid: number, pgdata: string): boolean {
  try {
    return fs.readlinkSync(`/proc/${pid}/cwd`) === pgdata || fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").includes(pgdata);
  } catch {
    return false;
  }
}

/** A process and all its descendants. */
function processTree(rootPid: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) {
      continue;
    }
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
    } catch {
      // gone
    }
  }
  const tree: number[] = [];
  const visit = (pid: number) => {
    tree.push(pid);
    (children.get(pid) ?? []).forEach(visit);
  };
  visit(rootPid);
  return tree;
}

export function postmasterPid(node: NodeRuntime): number | undefined {
  try {
    const pid = Number(fs.readFileSync(path.join(node.pgdata, "postmaster.pid"), "utf8").split("\n")[0]);
    return pid > 0 && alive(pid) ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** Every process of the node: its keeper's tree (pg_autoctl run, its services) and PostgreSQL's. */
export function nodeProcesses(node: NodeRuntime): Set<number> {
  const pids = new Set(node.keeper?.pid ? processTree(node.keeper.pid) : []);
  const postmaster = postmasterPid(node);
  if (postmaster && isPostgresOf(postmaster, node.pgdata)) {
    processTree(postmaster).forEach((pid) => pids.add(pid));
  }
  return pids;
}

function killAll(pids: Iterable<number>): void {
  for (const pid of pids) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // already gone
    }
  }
}

/** SIGKILLs the keeper's whole process tree and PostgreSQL at once: the node is gone. Returns the kill time. */
export async function killNode(node: NodeRuntime): Promise<number> {
  const pids = nodeProcesses(node);
  const at = Date.now();
  killAll(pids);
  await waitFor(`${node.role}'s processes to die`, 20, async () => ([...pids].every((pid) => !alive(pid)) ? true : undefined), 50);
  node.keeper = undefined;
  return at;
}

/** Synchronous, for exit and signal handlers: SIGKILLs `pids` and waits up to 10 s for them to die. */
export function killAllNow(pids: Set<number>): void {
  killAll(pids);
  const deadline = Date.now() + 10_000;
  while ([...pids].some(alive) && Date.now() < deadline) {
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 50);
  }
}

/** A PostgreSQL killed with -9 leaves its socket and lock file behind: removed unless a live process owns them. */
export function removeStaleSocket(port: number): void {
  const lock = path.join(SOCKET_DIR, `.s.PGSQL.${port}.lock`);
  let owner = 0;
  try {
    owner = Number(fs.readFileSync(lock, "utf8").split("\n")[0]);
  } catch {
    // no lock file
  }
  if (!owner || !alive(owner)) {
    fs.rmSync(path.join(SOCKET_DIR, `.s.PGSQL.${port}`), { force: true });
    fs.rmSync(lock, { force: true });
  }
}
