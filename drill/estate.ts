// Builds the estate's three nodes on this machine, each in its own network namespace, from the
// very files the renderer puts in each node's #cloud-config: estate.env, secrets.env, the TLS files,
// the failover scripts and the pgautofailover.service unit (whose User=, WorkingDirectory=,
// Environment= and ExecStart= are used to start `pg_autoctl run` the way systemd would).
//
// Network: a bridge in namespace <id>-net; one veth pair per node (namespaces <id>-primary,
// <id>-standby, <id>-witness, <id>-client); addresses from 198.51.100.0/24 on the namespaced
// interfaces only. Nothing is configured in the root namespace.
import { ChildProcess, execFile, execFileSync, spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { createInterface } from "node:readline";
import { promisify } from "node:util";
import type { NodeRole } from "../cloud-init/node-config";
import { nodePaths } from "../cloud-init/node-paths";
import { failoverPaths, monitorTimingPath } from "../cloud-init/pieces/failover";
import { renderedFileOf } from "../cloud-init/cloud-config";
import { renderCloudConfig } from "../cloud-init/render";
import { exampleNodeConfig } from "../tools/example-node-config";
import { makeTestCertificatesFor } from "../tools/test-certificates";
import { sleep, waitFor } from "../tools/wait";
import { parseServiceUnit, ServiceUnit } from "./service-unit";

const run = promisify(execFile);

export const PG_MAJOR = 15;
export const DATABASE = "mhc";
export const ROLES: readonly NodeRole[] = ["witness", "primary", "standby"];
export type DataRole = "primary" | "standby";
export const DATA_ROLES: readonly DataRole[] = ["primary", "standby"];

export const ADDRESSES = { primary: "198.51.100.10", standby: "198.51.100.20", witness: "198.51.100.30", client: "198.51.100.40" };
const SOCKET_DIR = "/var/run/postgresql";
const UNIT_PATH = "/etc/systemd/system/pgautofailover.service";

export interface DrillOptions {
  /** Ports are base+1 (monitor), base+2 (primary), base+3 (standby): unix sockets are shared between namespaces. */
  readonly portBase?: number;
  readonly log?: (line: string) => void;
}

export interface NodeRuntime {
  readonly role: NodeRole;
  readonly namespace: string;
  readonly address: string;
  readonly port: number;
  readonly dir: string;
  readonly etc: string;
  readonly lib: string;
  readonly pgdata: string;
  readonly tlsDir: string;
  readonly healthzDir: string;
  readonly xdg: Record<string, string>;
  readonly document: string;
  readonly unit: ServiceUnit;
  keeper?: ChildProcess;
}

export interface MonitorNode {
  readonly name: string;
  readonly reported: string;
  readonly goal: string;
  readonly health: number;
}

export interface LoadEvent {
  readonly t: number;
  readonly e: string;
  readonly [key: string]: unknown;
}

/** A client program (drill/load.ts) running in the client namespace. */
export class LoadProcess {
  readonly events: LoadEvent[] = [];
  private exited = false;
  constructor(readonly mode: string, private readonly child: ChildProcess) {
    createInterface({ input: child.stdout! }).on("line", (line) => {
      try {
        this.events.push(JSON.parse(line) as LoadEvent);
      } catch {
        // not an event
      }
    });
    child.on("exit", () => (this.exited = true));
  }
  async stop(): Promise<void> {
    if (this.exited) {
      return;
    }
    const exited = new Promise((resolve) => this.child.once("exit", resolve));
    this.child.kill("SIGTERM");
    await Promise.race([exited, sleep(3000)]);
    this.killNow();
  }
  killNow(): void {
    if (!this.exited) {
      this.child.kill("SIGKILL");
    }
  }
}

export class DrillEstate {
  readonly id = `drill-${process.pid}`;
  readonly root: string;
  readonly nodes: Record<NodeRole, NodeRuntime>;
  readonly writerUser = "drill_writer";
  readonly writerPassword = randomBytes(12).toString("hex");
  /** Loopback port of the alert webhook receiver in the witness's namespace. */
  readonly webhookPort: number;
  webhook?: LoadProcess;
  private readonly loads = new Set<LoadProcess>();
  private readonly namespaces: string[];
  private cleaned = false;
  private readonly log: (line: string) => void;

  constructor(options: DrillOptions = {}) {
    this.log = options.log ?? ((line) => console.error(`[drill] ${line}`));
    this.namespaces = ["net", "primary", "standby", "witness", "client"].map((n) => `${this.id}-${n}`);
    this.root = fs.mkdtempSync(path.join(os.tmpdir(), `${this.id}-`));
    try {
      fs.chmodSync(this.root, 0o755);
      const base = options.portBase ?? 47300;
      this.webhookPort = base + 9;
      const ports: Record<NodeRole, number> = { witness: base + 1, primary: base + 2, standby: base + 3 };
      const certificates = makeTestCertificatesFor(
        { primary: ADDRESSES.primary, standby: ADDRESSES.standby, witness: ADDRESSES.witness },
        { directory: path.join(this.root, "ca") },
      );
      const nodes = {} as Record<NodeRole, NodeRuntime>;
      for (const role of ROLES) {
        const config = exampleNodeConfig(
          role,
          {
            postgres: { majorVersion: PG_MAJOR, database: DATABASE, synchronousReplication: false, source: "distribution" },
            peers: { primary: ADDRESSES.primary, standby: ADDRESSES.standby, witness: ADDRESSES.witness },
            // The drill's receiver listens in the witness's namespace: only the witness posts during the drill.
            alertWebhookUrl: `http://127.0.0.1:${this.webhookPort}/hooks/dr-estate`,
          },
          certificates[role],
        );
        const document = renderCloudConfig(config);
        const dir = path.join(this.root, role);
        const xdgRoot = path.join(dir, "xdg");
        nodes[role] = {
          role,
          namespace: `${this.id}-${role}`,
          address: ADDRESSES[role],
          port: ports[role],
          dir,
          etc: path.join(dir, "etc"),
          lib: path.join(dir, "lib"),
          // pg_autoctl keeps base backups next to PGDATA (its parent/backup): the parent must be the
          // postgres user's, as /var/lib/postgresql/15 is on a server.
          pgdata: path.join(dir, "pg", "data"),
          tlsDir: path.join(dir, "tls"),
          healthzDir: path.join(dir, "healthz"),
          xdg: {
            XDG_CONFIG_HOME: path.join(xdgRoot, "config"),
            XDG_DATA_HOME: path.join(xdgRoot, "data"),
            XDG_RUNTIME_DIR: path.join(xdgRoot, "run"),
          },
          document,
          unit: parseServiceUnit(renderedFileOf(document, UNIT_PATH).content),
        };
      }
      this.nodes = nodes;
    } catch (error) {
      fs.rmSync(this.root, { recursive: true, force: true });
      throw error;
    }
  }

  // ---------------------------------------------------------------- building

  /** Files, network, monitor, primary, standby, then the load's role and tables. */
  async build(): Promise<void> {
    for (const role of ROLES) {
      this.installFiles(this.nodes[role]);
    }
    await this.buildNetwork();
    this.webhook = this.startProgram(this.nodes.witness.namespace, "webhook", { port: this.webhookPort });
    const witness = this.nodes.witness;
    this.log("witness: monitor-init.sh");
    await this.initAndStart(witness, "monitor-init.sh");
    await waitFor("the monitor to answer", 60, async () => ((await this.monitorSql("select 1")) === "1" ? true : undefined));

    this.log("primary: node-init.sh");
    await this.initAndStart(this.nodes.primary, "node-init.sh");
    await waitFor("the primary to reach single", 120, async () => {
      const node = (await this.monitorNodes()).find((n) => n.name === "primary");
      return node?.reported === "single" ? true : undefined;
    });

    this.log("standby: node-init.sh");
    await this.initAndStart(this.nodes.standby, "node-init.sh");
    const roles = await this.waitForHealthyFormation(180);
    if (roles.primary !== "primary") {
      throw new Error(`the formation came up with ${roles.primary} as primary`);
    }
    await this.sql("standby", "select pg_reload_conf()");

    this.log("primary: the load's role and tables");
    await this.sql(
      "primary",
      `create role ${this.writerUser} login password '${this.writerPassword}';
       create table drill_writes (id bigint primary key, node text not null, at timestamptz not null default clock_timestamp());
       create table drill_probe (n bigserial primary key, node text not null, at timestamptz not null default clock_timestamp());
       grant select, insert on drill_writes, drill_probe to ${this.writerUser};
       grant usage on sequence drill_probe_n_seq to ${this.writerUser};`,
      DATABASE,
    );
  }

  /** Writes what the node's #cloud-config writes, under the node's folder instead of /. */
  private installFiles(node: NodeRuntime): void {
    fs.mkdirSync(path.join(node.etc, "tls"), { recursive: true, mode: 0o755 });
    fs.mkdirSync(node.lib, { recursive: true, mode: 0o755 });
    fs.chmodSync(node.dir, 0o755);
    const copy = (from: string, to: string) => {
      const file = renderedFileOf(node.document, from);
      fs.writeFileSync(to, file.content, { mode: file.mode });
      fs.chmodSync(to, file.mode);
    };
    const settings = ["estate.env", "secrets.env", "tls/ca.crt", "tls/node.crt", "tls/node.key"];
    if (node.role === "witness") {
      settings.push(path.basename(monitorTimingPath));
    }
    for (const name of settings) {
      copy(`${nodePaths.settings}/${name}`, path.join(node.etc, name));
    }
    const scripts = node.role === "witness" ? ["failover-lib.sh", "monitor-init.sh", "failover-events.sh"] : ["failover-lib.sh", "node-init.sh", "register-with-new-monitor.sh", "healthz-update.sh"];
    for (const name of scripts) {
      copy(`${nodePaths.scripts}/${name}`, path.join(node.lib, name));
    }
    const postgresOwned = [...Object.values(node.xdg), node.healthzDir, path.dirname(node.pgdata)];
    for (const dir of postgresOwned) {
      fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    }
    execFileSync("chown", ["-R", "postgres:postgres", path.join(node.dir, "xdg"), ...postgresOwned]);
  }

  private async buildNetwork(): Promise<void> {
    const net = `${this.id}-net`;
    for (const ns of this.namespaces) {
      await run("ip", ["netns", "add", ns]);
      await run("ip", ["-n", ns, "link", "set", "lo", "up"]);
    }
    await run("ip", ["-n", net, "link", "add", "br0", "type", "bridge"]);
    await run("ip", ["-n", net, "link", "set", "br0", "up"]);
    for (const [name, address] of Object.entries(ADDRESSES)) {
      const ns = `${this.id}-${name}`;
      const outer = `v-${name}`;
      await run("ip", ["-n", net, "link", "add", outer, "type", "veth", "peer", "name", "eth0", "netns", ns]);
      await run("ip", ["-n", net, "link", "set", outer, "master", "br0", "up"]);
      await run("ip", ["-n", ns, "addr", "add", `${address}/24`, "dev", "eth0"]);
      await run("ip", ["-n", ns, "link", "set", "eth0", "up"]);
    }
  }

  /** The environment overrides that put a node's paths and port under its folder. */
  private scriptEnvironment(node: NodeRuntime): Record<string, string> {
    return {
      DR_ESTATE_ETC: node.etc,
      PGAF_PGDATA: node.pgdata,
      PGAF_PORT: String(node.port),
      PGAF_TLS_DIR: node.tlsDir,
      MONITOR_PORT: String(this.nodes.witness.port),
      JOIN_WAIT_SECONDS: "120",
      ...node.xdg,
    };
  }

  private async runInit(node: NodeRuntime, script: string): Promise<void> {
    const environment = Object.entries(this.scriptEnvironment(node)).map(([k, v]) => `${k}=${v}`);
    const logFile = path.join(node.dir, `${script}.log`);
    try {
      const { stderr } = await run("ip", ["netns", "exec", node.namespace, "env", ...environment, path.join(node.lib, script)], {
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

  /**
   * TEST-ONLY tweaks, never shipped: pg_autoctl sizes shared_buffers from the machine's RAM (GBs),
   * too much for three servers on one small machine; keep some WAL for a standby that lags; let the
   * drill's load client (in the client namespace) log in over TLS with a password.
   */
  private testOnlyTuning(node: NodeRuntime): void {
    const conf = path.join(node.pgdata, "postgresql.conf");
    if (!fs.readFileSync(conf, "utf8").includes("# drill (test only)")) {
      fs.appendFileSync(conf, "# drill (test only): small memory on a shared test machine\nshared_buffers = 128MB\nwal_keep_size = 256MB\n");
    }
    if (node.role !== "witness") {
      const hba = path.join(node.pgdata, "pg_hba.conf");
      const line = `hostssl ${DATABASE} ${this.writerUser} ${ADDRESSES.client}/32 scram-sha-256 # drill (test only): load client`;
      const text = fs.readFileSync(hba, "utf8");
      if (!text.includes(line)) {
        fs.writeFileSync(hba, `${line}\n${text}`);
      }
    }
  }

  /**
   * The runbook for a data node lost for good: a new disk (its data, keeper state and files are
   * gone), the dead node removed from the monitor, then the node's seed run again (node-init.sh),
   * which clones the current primary and joins as a standby.
   */
  async reinstall(role: DataRole): Promise<void> {
    const node = this.nodes[role];
    if (node.keeper) {
      throw new Error(`${role} is still running: kill it first`);
    }
    this.blank(node);
    await this.monitorSql(`select pgautofailover.remove_node('${node.address}', ${node.port}, true)`);
    this.log(`${role}: removed from the monitor; node-init.sh on a blank node`);
    await this.initAndStart(node, "node-init.sh");
  }

  /**
   * The runbook for a lost witness: a new server whose monitor starts empty, then each data node
   * (the primary first) registers with the new monitor while it keeps running.
   */
  async rebuildWitness(primary: DataRole): Promise<void> {
    const witness = this.nodes.witness;
    await this.killNode("witness");
    this.blank(witness);
    this.log("witness: monitor-init.sh on a blank server");
    await this.initAndStart(witness, "monitor-init.sh");
    await waitFor("the new monitor to answer", 60, async () => ((await this.monitorSql("select 1")) === "1" ? true : undefined));
    for (const role of [primary, primary === "primary" ? "standby" : "primary"] as const) {
      this.log(`${role}: register-with-new-monitor.sh (its keeper keeps running)`);
      await this.runInit(this.nodes[role], "register-with-new-monitor.sh");
    }
  }

  /** A new disk: everything the node had is gone, and its cloud-init files are written again. */
  private blank(node: NodeRuntime): void {
    // The failover event log is append-only where the filesystem allows it.
    spawnSync("chattr", ["-R", "-a", node.dir]);
    fs.rmSync(node.dir, { recursive: true, force: true });
    this.installFiles(node);
  }

  /** What the node's runcmd does: its init script, then the pgautofailover service. */
  private async initAndStart(node: NodeRuntime, script: string): Promise<void> {
    await this.runInit(node, script);
    this.testOnlyTuning(node);
    this.startKeeper(node.role);
  }

  // ---------------------------------------------------------------- processes

  /**
   * How the rendered unit runs its command in the node: its User= and Environment= (server paths
   * relocated under the node's folder), as `ip netns exec` + `runuser` + `env -i` arguments.
   */
  private asUnit(role: NodeRole): { prefix: string[]; relocate: (value: string) => string } {
    const node = this.nodes[role];
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
    };
    const prefix = ["netns", "exec", node.namespace, "runuser", "-u", user, "--", "env", "-i", ...Object.entries(environment).map(([k, v]) => `${k}=${v}`)];
    return { prefix, relocate };
  }

  /** Starts `pg_autoctl run` as the rendered unit says: its User, WorkingDirectory, Environment and ExecStart. */
  startKeeper(role: NodeRole): void {
    const node = this.nodes[role];
    const { prefix, relocate } = this.asUnit(role);
    const log = fs.openSync(path.join(node.dir, "keeper.log"), "a");
    const child = spawn(
      "ip",
      [...prefix, ...node.unit.execStart.map(relocate)],
      { cwd: node.unit.workingDirectory ?? "/", detached: true, stdio: ["ignore", log, log] },
    );
    fs.closeSync(log);
    child.on("error", (error) => this.log(`${role}: keeper did not start: ${error.message}`));
    node.keeper = child;
  }

  /** A process and all its descendants. */
  private processTree(rootPid: number): number[] {
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

  postmasterPid(role: NodeRole): number | undefined {
    try {
      const pid = Number(fs.readFileSync(path.join(this.nodes[role].pgdata, "postmaster.pid"), "utf8").split("\n")[0]);
      return pid > 0 && alive(pid) ? pid : undefined;
    } catch {
      return undefined;
    }
  }

  /** Every process of the node: its keeper's tree (pg_autoctl run, its services) and PostgreSQL's. */
  private nodeProcesses(role: NodeRole): Set<number> {
    const node = this.nodes[role];
    const pids = new Set(node.keeper?.pid ? this.processTree(node.keeper.pid) : []);
    const postmaster = this.postmasterPid(role);
    if (postmaster && isPostgresOf(postmaster, node.pgdata)) {
      this.processTree(postmaster).forEach((pid) => pids.add(pid));
    }
    return pids;
  }

  /** SIGKILLs the keeper's whole process tree and PostgreSQL at once: the node is gone. Returns the kill time. */
  async killNode(role: NodeRole): Promise<number> {
    const pids = this.nodeProcesses(role);
    const at = Date.now();
    for (const pid of pids) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        // already gone
      }
    }
    await waitFor(`${role}'s processes to die`, 20, async () => ([...pids].every((pid) => !alive(pid)) ? true : undefined), 50);
    this.nodes[role].keeper = undefined;
    return at;
  }

  /** SIGKILLs only the postmaster (the keeper stays, and restarts it). Returns the kill time. */
  killPostmaster(role: NodeRole): number {
    const pid = this.postmasterPid(role);
    if (!pid) {
      throw new Error(`${role} has no running postmaster`);
    }
    const at = Date.now();
    process.kill(pid, "SIGKILL");
    return at;
  }

  // ---------------------------------------------------------------- SQL and state

  /** psql over the node's unix socket as the postgres user (peer authentication). */
  async sql(role: NodeRole, query: string, database = "postgres"): Promise<string> {
    const node = this.nodes[role];
    const { stdout } = await run(
      "ip",
      ["netns", "exec", node.namespace, "runuser", "-u", "postgres", "--", "psql", "-X", "-h", SOCKET_DIR, "-p", String(node.port), "-d", database, "-v", "ON_ERROR_STOP=1", "-AtqF", "|", "-c", query],
      { timeout: 15_000, env: { ...process.env, PGCONNECT_TIMEOUT: "3" }, maxBuffer: 64 * 1024 * 1024 },
    );
    return stdout.trim();
  }

  monitorSql(query: string): Promise<string> {
    return this.sql("witness", query, "pg_auto_failover");
  }

  async monitorNodes(): Promise<MonitorNode[]> {
    const out = await this.monitorSql("select nodename, reportedstate, goalstate, health from pgautofailover.node order by nodeid");
    return out
      .split("\n")
      .filter(Boolean)
      .map((line) => {
        const [name, reported, goal, health] = line.split("|");
        return { name, reported, goal, health: Number(health) };
      });
  }

  /** The monitor's event log since `sinceMs` (epoch ms). */
  async monitorEvents(sinceMs: number): Promise<string[]> {
    const since = new Date(sinceMs).toISOString();
    const out = await this.monitorSql(
      `select to_char(eventtime at time zone 'UTC', 'HH24:MI:SS.MS') || ' ' || nodename || ': ' || reportedstate || ' -> ' || goalstate
         from pgautofailover.event where eventtime >= '${since}'::timestamptz order by eventid`,
    );
    return out.split("\n").filter(Boolean);
  }

  /** Waits until the monitor shows one primary and one secondary, both settled. */
  async waitForHealthyFormation(seconds: number): Promise<{ primary: DataRole; secondary: DataRole }> {
    return waitFor(
      "a healthy primary/secondary formation",
      seconds,
      async () => {
        const nodes = await this.monitorNodes();
        const primary = nodes.find((n) => n.reported === "primary" && n.goal === "primary");
        const secondary = nodes.find((n) => n.reported === "secondary" && n.goal === "secondary");
        return nodes.length === 2 && primary && secondary ? { primary: primary.name as DataRole, secondary: secondary.name as DataRole } : undefined;
      },
      500,
    );
  }

  /** Whether the node's PostgreSQL accepts writes: up, not in recovery, not read-only (asked over its socket). */
  async isWritable(role: DataRole): Promise<boolean> {
    try {
      return (await this.sql(role, "select not pg_is_in_recovery() and current_setting('default_transaction_read_only') = 'off'")) === "t";
    } catch {
      return false;
    }
  }

  /** The ids in drill_writes on a node. */
  async storedIds(role: DataRole): Promise<Set<number>> {
    const out = await this.sql(role, "select id from drill_writes", DATABASE);
    return new Set(out.split("\n").filter(Boolean).map(Number));
  }

  // ---------------------------------------------------------------- faults

  /** In `role`'s namespace, drops all traffic to and from `peer`'s address (nftables). */
  async partition(role: DataRole, peer: NodeRole): Promise<void> {
    const address = this.nodes[peer].address;
    const rules = `table inet drill_partition {
  chain input { type filter hook input priority -10; policy accept; ip saddr ${address} drop; }
  chain output { type filter hook output priority -10; policy accept; ip daddr ${address} drop; }
}\n`;
    const file = path.join(this.root, `partition-${role}.nft`);
    fs.writeFileSync(file, rules);
    await run("ip", ["netns", "exec", this.nodes[role].namespace, "nft", "-f", file]);
  }

  async heal(role: DataRole): Promise<void> {
    await run("ip", ["netns", "exec", this.nodes[role].namespace, "nft", "delete", "table", "inet", "drill_partition"]);
  }

  // ---------------------------------------------------------------- /healthz

  /** Runs the node's healthz-update.sh once, in its namespace; ok when it left the 200 marker. */
  async healthz(role: DataRole): Promise<{ ok: boolean; text: string }> {
    const node = this.nodes[role];
    const environment = {
      DR_ESTATE_ETC: node.etc,
      HEALTHZ_DIR: node.healthzDir,
      HEALTHZ_DATA_DIR: node.pgdata,
      PGHOST: SOCKET_DIR,
      PGPORT: String(node.port),
    };
    await run(
      "ip",
      ["netns", "exec", node.namespace, "runuser", "-u", "postgres", "--", "env", ...Object.entries(environment).map(([k, v]) => `${k}=${v}`), path.join(node.lib, "healthz-update.sh")],
      { timeout: 15_000 },
    );
    const marker = path.join(node.healthzDir, "writable-primary");
    const reason = path.join(node.healthzDir, "reason");
    if (fs.existsSync(marker)) {
      return { ok: true, text: fs.readFileSync(marker, "utf8").trim() };
    }
    return { ok: false, text: fs.existsSync(reason) ? fs.readFileSync(reason, "utf8").trim() : "no marker" };
  }

  // ---------------------------------------------------------------- load

  /** Starts drill/load.ts in the client namespace. */
  startLoad(mode: "write" | "probe" | "observe", extra: Record<string, unknown> = {}): LoadProcess {
    return this.startProgram(`${this.id}-client`, mode, {
      nodes: DATA_ROLES.map((role) => ({ name: role, host: this.nodes[role].address, port: this.nodes[role].port })),
      user: this.writerUser,
      password: this.writerPassword,
      database: DATABASE,
      ...extra,
    });
  }

  private startProgram(namespace: string, mode: string, options: Record<string, unknown>): LoadProcess {
    const child = spawn(
      "ip",
      ["netns", "exec", namespace, process.execPath, "-r", "ts-node/register/transpile-only", path.join(__dirname, "load.ts"), mode, JSON.stringify(options)],
      { cwd: path.join(__dirname, ".."), stdio: ["ignore", "pipe", "inherit"] },
    );
    const load = new LoadProcess(mode, child);
    this.loads.add(load);
    return load;
  }

  // ---------------------------------------------------------------- failover event log

  /** Runs the witness's failover-events.sh (record, then verify) as its timer would. */
  async failoverEvents(command: "record" | "verify", file?: string): Promise<{ ok: boolean; output: string; log: string }> {
    const witness = this.nodes.witness;
    const eventsDir = path.join(witness.dir, "failover-events");
    const environment = Object.entries({ ...this.scriptEnvironment(witness), FAILOVER_EVENTS_DIR: eventsDir }).map(([k, v]) => `${k}=${v}`);
    const args = ["netns", "exec", witness.namespace, "env", ...environment, path.join(witness.lib, "failover-events.sh"), command, ...(file ? [file] : [])];
    const log = path.join(eventsDir, "events.log");
    try {
      const { stdout, stderr } = await run("ip", args, { timeout: 60_000 });
      return { ok: true, output: stdout + stderr, log };
    } catch (error) {
      const e = error as { stdout?: string; stderr?: string; message: string };
      return { ok: false, output: `${e.stdout ?? ""}${e.stderr ?? e.message}`, log };
    }
  }

  // ---------------------------------------------------------------- cleanup

  /** Synchronous and idempotent: usable from exit and signal handlers. */
  cleanup(keepFiles = false): void {
    if (this.cleaned) {
      return;
    }
    this.cleaned = true;
    this.loads.forEach((load) => load.killNow());
    const pids = new Set<number>();
    for (const role of ROLES) {
      this.nodeProcesses(role).forEach((pid) => pids.add(pid));
    }
    // Anything else still inside the drill's namespaces (a script, psql, the load).
    for (const ns of this.namespaces) {
      try {
        execFileSync("ip", ["netns", "pids", ns], { stdio: "pipe" }).toString().split("\n").filter(Boolean).forEach((pid) => pids.add(Number(pid)));
      } catch {
        // never created
      }
    }
    for (const pid of pids) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        // gone
      }
    }
    const deadline = Date.now() + 10_000;
    while ([...pids].some(alive) && Date.now() < deadline) {
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 50);
    }
    for (const role of ROLES) {
      // A PostgreSQL killed with -9 leaves its socket and lock file behind.
      const port = this.nodes[role].port;
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
    for (const ns of this.namespaces) {
      try {
        execFileSync("ip", ["netns", "del", ns], { stdio: "pipe" });
      } catch {
        // never created
      }
    }
    if (!keepFiles) {
      // The event log is append-only where the filesystem allows it.
      spawnSync("chattr", ["-a", path.join(this.nodes.witness.dir, "failover-events", "events.log")]);
      fs.rmSync(this.root, { recursive: true, force: true });
    }
  }
}

function alive(pid: number): boolean {
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
