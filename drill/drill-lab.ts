// The drill lab: the estate's three nodes built on this machine, each in its own network namespace,
// from the very files the renderer puts in each node's #cloud-config (estate.env, secrets.env, the
// TLS files, the failover scripts, and the pgautofailover.service unit whose User=,
// WorkingDirectory=, Environment= and ExecStart= start `pg_autoctl run` the way systemd would).
// A thin front over drill/lab/: layout, network, node files and scripts, processes, monitor
// queries, faults and the load programs.
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { spawnSync } from "node:child_process";
import type { NodeRole } from "../cloud-init/node-config";
import { waitFor } from "../tools/wait";
import * as faults from "./lab/faults";
import { DATA_ROLES, DATABASE, DataRole, DEFAULT_PORT_BASE, labPorts, layOutNodes, NodeRuntime, ROLES } from "./lab/layout";
import { LoadProcess, startLoadProgram } from "./lab/load-process";
import * as queries from "./lab/monitor-queries";
import { buildNetwork, deleteNamespaces, namespacePids } from "./lab/network";
import { applySysctl, blankNode, installFiles, testOnlyTuning } from "./lab/node-files";
import { failoverEvents, failoverEventsDir, healthz, runInit, switchover } from "./lab/node-scripts";
import { estatePitr, installWalArchiving, pgbackrest } from "./lab/wal-archive";
import { killAllNow, killNode, nodeProcesses, postmasterPid, removeStaleSocket, startKeeper } from "./lab/processes";

export interface DrillLabOptions {
  /** See labPorts: unix sockets are shared between namespaces, so two labs need different bases. */
  readonly portBase?: number;
  readonly log?: (line: string) => void;
  /** WAL archiving to pgBackRest on the data nodes (the corruption scenario); off by default. */
  readonly walArchiving?: boolean;
}

export class DrillLab {
  readonly id = `drill-${process.pid}`;
  readonly root: string;
  readonly nodes: Record<NodeRole, NodeRuntime>;
  readonly writerUser = "drill_writer";
  readonly writerPassword = randomBytes(12).toString("hex");
  /** Loopback port of the alert webhook receiver in the witness's namespace. */
  readonly webhookPort: number;
  /** Loopback port of estate-pitr's isolated copy (its socket only). */
  readonly pitrPort: number;
  webhook?: LoadProcess;
  private readonly loads = new Set<LoadProcess>();
  private cleaned = false;
  private readonly log: (line: string) => void;
  private readonly walArchiving: boolean;

  constructor(options: DrillLabOptions = {}) {
    this.walArchiving = options.walArchiving ?? false;
    this.log = options.log ?? ((line) => console.error(`[drill] ${line}`));
    this.root = fs.mkdtempSync(path.join(os.tmpdir(), `${this.id}-`));
    try {
      fs.chmodSync(this.root, 0o755);
      const base = options.portBase ?? DEFAULT_PORT_BASE;
      this.webhookPort = labPorts(base).webhook;
      this.pitrPort = base + 5;
      this.nodes = layOutNodes(this.id, this.root, base);
    } catch (error) {
      fs.rmSync(this.root, { recursive: true, force: true });
      throw error;
    }
  }

  /** Files, network, monitor, primary, standby, then the load's role and tables. */
  async build(): Promise<void> {
    for (const role of ROLES) {
      installFiles(this.nodes[role]);
    }
    if (this.walArchiving) {
      DATA_ROLES.forEach((role) => installWalArchiving(this.nodes[role]));
    }
    await buildNetwork(this.id);
    for (const role of ROLES) {
      applySysctl(this.nodes[role]);
    }
    this.webhook = this.startProgram(this.nodes.witness.namespace, "webhook", { port: this.webhookPort });
    this.log("witness: monitor-init.sh");
    await this.initAndStart(this.nodes.witness, "monitor-init.sh");
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

  /** What the node's runcmd does: its init script, then the pgautofailover service. */
  private async initAndStart(node: NodeRuntime, script: string): Promise<void> {
    await runInit(node, script, this.nodes.witness.port);
    testOnlyTuning(node, this.writerUser);
    this.startKeeper(node.role);
  }

  // ---------------------------------------------------------------- runbooks

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
    blankNode(node);
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
    blankNode(witness);
    this.log("witness: monitor-init.sh on a blank server");
    await this.initAndStart(witness, "monitor-init.sh");
    await waitFor("the new monitor to answer", 60, async () => ((await this.monitorSql("select 1")) === "1" ? true : undefined));
    for (const role of [primary, primary === "primary" ? "standby" : "primary"] as const) {
      this.log(`${role}: register-with-new-monitor.sh (its keeper keeps running)`);
      await runInit(this.nodes[role], "register-with-new-monitor.sh", witness.port);
    }
  }

  // ---------------------------------------------------------------- processes

  startKeeper(role: NodeRole): void {
    this.nodes[role].keeper = startKeeper(this.nodes[role], this.log);
  }

  /** SIGKILLs the keeper's whole process tree and PostgreSQL at once: the node is gone. Returns the kill time. */
  killNode(role: NodeRole): Promise<number> {
    return killNode(this.nodes[role]);
  }

  /** SIGKILLs only the postmaster (the keeper stays, and restarts it). Returns the kill time. */
  killPostmaster(role: NodeRole): number {
    const pid = postmasterPid(this.nodes[role]);
    if (!pid) {
      throw new Error(`${role} has no running postmaster`);
    }
    const at = Date.now();
    process.kill(pid, "SIGKILL");
    return at;
  }

  // ---------------------------------------------------------------- SQL and state

  /** psql over the node's unix socket as the postgres user (peer authentication). */
  sql(role: NodeRole, query: string, database = "postgres"): Promise<string> {
    return queries.sql(this.nodes[role], query, database);
  }

  /** A PostgreSQL client program (pg_dump, pg_restore) in the node's namespace, as postgres. */
  asPostgres(role: NodeRole, program: string, ...args: string[]): Promise<string> {
    return queries.asPostgres(this.nodes[role], program, ...args);
  }

  /** SQL in the node's namespace against another PostgreSQL of it (estate-pitr's copy). */
  sqlOnSocket(role: NodeRole, socketDir: string, port: number, query: string, database = "postgres"): Promise<string> {
    return queries.sqlOnSocket(this.nodes[role], socketDir, port, query, database);
  }

  monitorSql(query: string): Promise<string> {
    return queries.monitorSql(this.nodes.witness, query);
  }

  monitorNodes(): Promise<queries.MonitorNode[]> {
    return queries.monitorNodes(this.nodes.witness);
  }

  /** The monitor's event log since `sinceMs` (epoch ms). */
  monitorEvents(sinceMs: number): Promise<string[]> {
    return queries.monitorEvents(this.nodes.witness, sinceMs);
  }

  waitForHealthyFormation(seconds: number): Promise<{ primary: DataRole; secondary: DataRole }> {
    return queries.waitForHealthyFormation(this.nodes.witness, seconds);
  }

  isWritable(role: DataRole): Promise<boolean> {
    return queries.isWritable(this.nodes[role]);
  }

  storedIds(role: DataRole): Promise<Set<number>> {
    return queries.storedIds(this.nodes[role], DATABASE);
  }

  // ---------------------------------------------------------------- faults

  /** In `role`'s namespace, drops all traffic to and from each peer's address. */
  partition(role: DataRole, ...peers: NodeRole[]): Promise<void> {
    return faults.partition(this.nodes[role], peers.map((peer) => this.nodes[peer].address), this.root);
  }

  heal(role: DataRole): Promise<void> {
    return faults.heal(this.nodes[role]);
  }

  /** A few percent of `role`'s packets to and from `peers` lost, and blackouts made possible (see blackout). */
  flakyWan(role: DataRole, peers: readonly NodeRole[], lossPercent: number): Promise<void> {
    return faults.applyFlakyWan(this.nodes[role], peers.map((peer) => this.nodes[peer].address), lossPercent, this.root);
  }

  /** Drops all traffic between `role` and `peer` for `ms`; needs flakyWan on `role` first. */
  blackout(role: DataRole, peer: NodeRole, ms: number): Promise<void> {
    return faults.blackout(this.nodes[role], this.nodes[peer].address, ms);
  }

  flakyWanDrops(role: DataRole): Promise<{ blackout: number; loss: number }> {
    return faults.flakyWanDrops(this.nodes[role]);
  }

  calmWan(role: DataRole): Promise<void> {
    return faults.removeFlakyWan(this.nodes[role]);
  }

  // ---------------------------------------------------------------- node scripts

  healthz(role: DataRole): Promise<{ ok: boolean; text: string }> {
    return healthz(this.nodes[role]);
  }

  failoverEvents(command: "record" | "verify", file?: string): Promise<{ ok: boolean; output: string; log: string }> {
    return failoverEvents(this.nodes.witness, command, file);
  }

  /** pgBackRest on a data node (a lab built with walArchiving). */
  pgbackrest(role: DataRole, ...args: string[]): Promise<string> {
    return pgbackrest(this.nodes[role], ...args);
  }

  /** estate-pitr on a data node, its copy on port base+5 (a lab built with walArchiving). */
  estatePitr(role: DataRole, ...args: string[]): Promise<{ ok: boolean; stdout: string; stderr: string }> {
    return estatePitr(this.nodes[role], this.pitrPort, ...args);
  }

  /** The operator's planned switchover: the witness's estate-switchover.sh. */
  switchover(): Promise<{ ok: boolean; output: string }> {
    return switchover(this.nodes.witness);
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
    const load = startLoadProgram(namespace, mode, options);
    this.loads.add(load);
    return load;
  }

  // ---------------------------------------------------------------- cleanup

  /** Synchronous and idempotent: usable from exit and signal handlers. */
  cleanup(keepFiles = false): void {
    if (this.cleaned) {
      return;
    }
    this.cleaned = true;
    this.loads.forEach((load) => load.killNow());
    const pids = new Set<number>(namespacePids(this.id));
    for (const role of ROLES) {
      nodeProcesses(this.nodes[role]).forEach((pid) => pids.add(pid));
    }
    killAllNow(pids);
    for (const role of ROLES) {
      removeStaleSocket(this.nodes[role].port);
    }
    deleteNamespaces(this.id);
    if (!keepFiles) {
      // The event log is append-only where the filesystem allows it.
      spawnSync("chattr", ["-a", path.join(failoverEventsDir(this.nodes.witness), "events.log")]);
      fs.rmSync(this.root, { recursive: true, force: true });
    }
  }
}
