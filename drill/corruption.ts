// The corruption scenario (`npm run drill -- --scenario corruption`, a lab that archives WAL): under
// the write load a table is wrecked at time T (the intruder's UPDATE and DELETE, which streaming
// replication copies to the standby at once); the shipped estate-pitr restores the primary's cluster
// as it was at T minus one second into an isolated copy. Every row acknowledged before that target
// must be in the copy and none of the damage. Then the runbook's copy-back: the copy promoted, the
// table dumped from it and restored into the live primary, from which the standby streams it.
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { sleep, waitFor } from "../tools/wait";
import { DATABASE, DataRole, SOCKET_DIR } from "./lab/layout";
import { pitrCopyDir } from "./lab/wal-archive";
import { acks, DrillContext, seconds } from "./scenarios";

export interface CorruptionResult {
  readonly ok: boolean;
  readonly backup_seconds: number;
  readonly wrecked_at: string;
  readonly target: string;
  /** estate-pitr restore, from the command to the copy paused at the target with its report. */
  readonly restore_seconds: number;
  readonly report: Record<string, string>;
  readonly rows_in_copy: number;
  readonly acknowledged_before_target: number;
  readonly missing_in_copy: number;
  /** Rows of the copy that carry the intruder's change, or ids acknowledged after T: must be 0. */
  readonly damaged_rows_in_copy: number;
  readonly rows_after_wreck_in_copy: number;
  readonly standby_wrecked_too: boolean;
  /** The runbook's copy-back: pg_dump of the table from the promoted copy, the wrecked one moved aside, pg_restore. */
  readonly copy_back_seconds: number;
  /** Every row acknowledged before the target back in the live table, without the damage, on each node. */
  readonly table_restored_on: { readonly primary: boolean; readonly standby: boolean };
}

const intruderMark = "encrypted by the intruder";

/** The ids in drill_writes and how many rows carry the intruder's mark, as `query` (one server) answers. */
async function tableState(query: (sql: string) => Promise<string>): Promise<{ ids: Set<number>; damaged: number }> {
  const ids = new Set((await query("select id from drill_writes")).split("\n").filter(Boolean).map(Number));
  const damaged = Number(await query(`select count(*) from drill_writes where node = '${intruderMark}'`));
  return { ids, damaged };
}

const pgTime = (ms: number) => `${new Date(ms).toISOString().replace("T", " ").replace(/\.\d+Z$/, "")}+00`;

export async function corruption(context: DrillContext): Promise<CorruptionResult> {
  const { lab, log, writer } = context;
  const { primary, secondary } = await lab.waitForHealthyFormation(180);
  log(`corruption: stanza and a full backup of ${primary}`);
  const backupStarted = Date.now();
  await lab.pgbackrest(primary, "stanza-create");
  await lab.pgbackrest(primary, "--type=full", "backup");
  const backupSeconds = seconds(Date.now() - backupStarted);
  // Written after the backup: only the archived WAL brings these back.
  await sleep(10_000);
  const wreckedAt = Date.now();
  log(`corruption: the intruder rewrites and deletes drill_writes on ${primary}`);
  await lab.sql(primary, `begin; update drill_writes set node = '${intruderMark}'; delete from drill_writes where id % 3 = 0; commit`, DATABASE);
  await sleep(3_000);
  const standbyWrecked = (await tableState((sql) => lab.sql(secondary, sql, DATABASE))).damaged > 0;
  // The segment holding T must be in the archive before the restore can reach T.
  // pg_switch_wal returns the end of the segment it closed (plus one): that segment's name.
  const segment = await lab.sql(primary, "select pg_walfile_name(pg_switch_wal())");
  await waitFor("the WAL segment with the damage in the archive", 120, async () => {
    const archived = await lab.sql(primary, "select coalesce(last_archived_wal, '') from pg_stat_archiver");
    return archived >= segment ? true : undefined;
  });

  const target = pgTime(wreckedAt - 1_000);
  const targetMs = Date.parse(target.replace(" ", "T").replace("+00", "Z"));
  log(`corruption: estate-pitr restore --time '${target}'`);
  const restoreStarted = Date.now();
  const restored = await lab.estatePitr(primary, "restore", "--time", target, "--tables", "public.drill_writes");
  const restoreSeconds = seconds(Date.now() - restoreStarted);
  if (!restored.ok) {
    throw new Error(`corruption: estate-pitr restore failed:\n${restored.stderr.slice(-3000)}`);
  }
  const report = Object.fromEntries(
    restored.stdout.trim().split("\n").map((line) => [line.slice(0, line.indexOf(": ")), line.slice(line.indexOf(": ") + 2)]),
  );
  const copy = (sql: string) => lab.sqlOnSocket(primary, `${pitrCopyDir(lab.nodes[primary])}/socket`, lab.pitrPort, sql, DATABASE);
  const { ids, damaged } = await tableState(copy);
  const before = acks(writer, 0, targetMs).map((e) => e.id as number);
  const afterWreck = acks(writer, wreckedAt).map((e) => e.id as number).filter((id) => ids.has(id)).length;
  const missing = before.filter((id) => !ids.has(id)).length;

  // The runbook's next steps: promote the copy, and bring the good table back into the live primary
  // (the standby receives it by streaming).
  log("corruption: estate-pitr promote, then the table copied back into the live primary");
  const promoted = await lab.estatePitr(primary, "promote");
  if (!promoted.ok) {
    throw new Error(`corruption: estate-pitr promote failed:\n${promoted.stderr}`);
  }
  const copyBackStarted = Date.now();
  const dumpDir = path.join(lab.nodes[primary].dir, "copy-back");
  fs.mkdirSync(dumpDir, { recursive: true, mode: 0o700 });
  execFileSync("chown", ["postgres:postgres", dumpDir]);
  const dump = path.join(dumpDir, "drill_writes.dump");
  await lab.asPostgres(primary, "pg_dump", "-h", `${pitrCopyDir(lab.nodes[primary])}/socket`, "-p", String(lab.pitrPort), "-d", DATABASE, "-Fc", "-t", "public.drill_writes", "-f", dump);
  // Set aside in a schema of its own: a renamed table keeps its index names, and the restored
  // table's primary key would collide with them.
  await lab.sql(primary, "create schema if not exists wrecked; alter table public.drill_writes set schema wrecked", DATABASE);
  await lab.asPostgres(primary, "pg_restore", "-h", SOCKET_DIR, "-p", String(lab.nodes[primary].port), "-d", DATABASE, dump);
  const copyBackSeconds = seconds(Date.now() - copyBackStarted);
  await sleep(2_000);
  const backIn = async (role: DataRole) => {
    const live = await tableState((sql) => lab.sql(role, sql, DATABASE));
    return before.every((id) => live.ids.has(id)) && live.damaged === 0;
  };
  const restoredLive = { primary: await backIn(primary), standby: await backIn(secondary) };
  const discarded = await lab.estatePitr(primary, "discard");
  if (!discarded.ok) {
    throw new Error(`corruption: estate-pitr discard failed:\n${discarded.stderr}`);
  }
  // The live table is wrecked on purpose: later checks count only what is acknowledged from here.
  context.accountedUntil = Date.now();
  return {
    ok: missing === 0 && damaged === 0 && afterWreck === 0 && before.length > 0 && restoredLive.primary && restoredLive.standby,
    backup_seconds: backupSeconds,
    wrecked_at: new Date(wreckedAt).toISOString(),
    target,
    restore_seconds: restoreSeconds,
    report,
    rows_in_copy: ids.size,
    acknowledged_before_target: before.length,
    missing_in_copy: missing,
    damaged_rows_in_copy: damaged,
    rows_after_wreck_in_copy: afterWreck,
    standby_wrecked_too: standbyWrecked,
    copy_back_seconds: copyBackSeconds,
    table_restored_on: restoredLive,
  };
}
