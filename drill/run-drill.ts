// `npm run drill`: builds the estate's witness, primary and standby on this machine (one network
// namespace each) from the rendered cloud-init documents, puts a write load on it, runs the
// failover scenarios, prints a Markdown table and writes drill-report.json at the project root.
// Needs root (network namespaces, runuser), PostgreSQL 15 and pg_auto_failover (Debian packages):
// drill/prerequisites.ts checks them, and the ports, before anything starts.
//
//   DRILL_WRITE_RATE        transactions per second of the load (default 100; 0: as fast as it goes)
//   DRILL_PARTITION_SECONDS how long the standby stays cut off (default 65)
//   DRILL_PORT_BASE         PostgreSQL ports are base+1..3, the alert webhook base+9 (default 47300)
//   DRILL_KEEP=1            keep the temp folder (logs, data directories) for inspection
//   DRILL_FLAKY_WAN_SECONDS how long the flaky-WAN scenario lasts (default 600; 0 leaves it out)
//   DRILL_FLAKY_WAN_LOSS_PERCENT packets lost between the sites during it (default 3)
//   DRILL_FLAKY_WAN_BLACKOUT_SECONDS shortest-longest blackout (default 1-4)
//   DRILL_SEED              seeds the flaky WAN's blackout schedule (default: from the clock)
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { readCommandLine } from "../tools/command-line";
import { DrillLab } from "./drill-lab";
import { DEFAULT_PORT_BASE } from "./lab/layout";
import { checkPrerequisites, defaultInputs, describeProblems } from "./prerequisites";
import { LARGEST_BLACKOUT, LargestBlackoutResult, largestBlackout } from "./largest-blackout";
import { primaryIsolated } from "./primary-isolated";
import { FLAKY_WAN, FlakyWanOptions, FlakyWanRuns, flakyWan, repeatFlakyWan } from "./flaky-wan";
import { repeatableScenarios, RepeatedRuns, repeatScenario } from "./repeated-runs";
import {
  DrillContext,
  failoverLog,
  monitorSettings,
  observe,
  partition,
  plannedSwitchover,
  postmasterOnlyKill,
  reinstallAndFailback,
  witnessRebuild,
  rejoin,
  splitBrainSamples,
  startDrill,
  unplannedFailover,
} from "./scenarios";
import { MediaResult, mediaScenario } from "./media";
import { CorruptionResult, corruption } from "./corruption";

const log = (line: string) => console.error(`[drill ${new Date().toISOString().slice(11, 19)}] ${line}`);

const reportPath = path.join(__dirname, "..", "drill-report.json");

const MEDIA = "media";
const CORRUPTION = "corruption";
const scenarioNames = [...Object.keys(repeatableScenarios), FLAKY_WAN, LARGEST_BLACKOUT, MEDIA, CORRUPTION];

const usage = `usage: sudo npm run drill [-- --scenario NAME --runs N] [--help]

Builds witness, primary and standby in network namespaces from the rendered files, runs the
failover scenarios under a write load, prints a table and writes drill-report.json (about 4
minutes). Settings from the environment: DRILL_WRITE_RATE (default 100 per second),
DRILL_PARTITION_SECONDS (65), DRILL_PORT_BASE (47300), DRILL_KEEP=1 to keep the work folder,
DRILL_FLAKY_WAN_SECONDS (600; 0 leaves the flaky WAN out), DRILL_FLAKY_WAN_LOSS_PERCENT (3),
DRILL_FLAKY_WAN_BLACKOUT_SECONDS (1-4), DRILL_SEED (the flaky WAN's blackout schedule; default
from the clock).

  --scenario NAME   run only NAME (${scenarioNames.join(", ")}), --runs times in one drill,
                    and merge into drill-report.json: min/median/max under "repeated", the
                    flaky WAN's runs under "flaky_wan"; largest-blackout cuts the primary off
                    for 4, 6, 8... s until one cut changes hands, once, under "largest_blackout";
                    media replicates uploads, fails over and rejoins, once, under "media";
                    corruption (WAL archived to pgBackRest) wrecks a table and restores to just
                    before with estate-pitr, once, under "corruption"
  --runs N          1 to 20 (default 3)`;

async function main(): Promise<number> {
  const commandLine = readCommandLine(process.argv.slice(2), {
    name: "drill",
    help: "npm run drill -- --help",
    usage,
    options: { scenario: { type: "string" }, runs: { type: "string" } },
  });
  if (typeof commandLine === "number") {
    return commandLine;
  }
  const { scenario, runs = "3" } = commandLine.values;
  const runCount = Number(runs);
  if (scenario !== undefined && !scenarioNames.includes(scenario)) {
    console.error(`drill: --scenario ${scenario} is not one of ${scenarioNames.join(", ")}; see npm run drill -- --help`);
    return 2;
  }
  if (!Number.isInteger(runCount) || runCount < 1 || runCount > 20) {
    console.error(`drill: --runs must be a whole number from 1 to 20, got ${runs}; see npm run drill -- --help`);
    return 2;
  }
  const flaky = flakyWanOptions();
  if (typeof flaky === "string") {
    console.error(`drill: ${flaky}; see npm run drill -- --help`);
    return 2;
  }
  const portBase = Number(process.env.DRILL_PORT_BASE ?? DEFAULT_PORT_BASE);
  const problems = await checkPrerequisites(defaultInputs(portBase));
  if (problems.length > 0) {
    console.error(`drill: ${describeProblems(problems)}`);
    return 1;
  }
  const writeRate = Number(process.env.DRILL_WRITE_RATE ?? 100);
  const holdSeconds = Number(process.env.DRILL_PARTITION_SECONDS ?? 65);
  const lab = new DrillLab({ portBase, log, walArchiving: scenario === CORRUPTION });
  const cleanup = () => lab.cleanup(process.env.DRILL_KEEP === "1");
  process.on("exit", cleanup);
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    process.on(signal, () => {
      log(`${signal}: cleaning up`);
      cleanup();
      process.exit(130);
    });
  }
  if (process.env.DRILL_KEEP === "1") {
    log(`work folder: ${lab.root}`);
  }

  const started = Date.now();
  await lab.build();
  log(`formation built in ${Math.round((Date.now() - started) / 1000)} s`);
  const settings = await monitorSettings(lab);
  const context: DrillContext = await startDrill(lab, log, writeRate);
  if (scenario === FLAKY_WAN) {
    if (flaky.seconds === 0) {
      throw new Error("--scenario flaky-wan with DRILL_FLAKY_WAN_SECONDS=0 has nothing to run");
    }
    return runAlone(context, (c) => repeatFlakyWan(c, runCount, flaky), reportFlakyWan);
  }
  if (scenario === LARGEST_BLACKOUT) {
    return runAlone(context, largestBlackout, reportLargestBlackout);
  }
  if (scenario === CORRUPTION) {
    return runAlone(context, corruption, reportCorruption);
  }
  if (scenario === MEDIA) {
    return runAlone(context, mediaScenario, reportMedia);
  }
  if (scenario !== undefined) {
    return runAlone(context, (c) => repeatScenario(c, scenario, runCount), reportRepeated);
  }

  const planned = await plannedSwitchover(context);
  log(`planned: writable new primary after ${planned.rto_seconds} s, ${planned.lost_transactions} lost`);
  const postmasterOnly = await postmasterOnlyKill(context);
  log(`postmaster-only: failed over: ${postmasterOnly.failed_over}, writes back after ${postmasterOnly.rto_seconds} s, ${postmasterOnly.lost_transactions} lost`);
  const unplanned = await unplannedFailover(context);
  log(`unplanned: RTO ${unplanned.rto_seconds} s, ${unplanned.lost_transactions} lost`);
  const rejoined = await rejoin(context, unplanned.old_primary);
  log(`rejoin: ok ${rejoined.ok}, secondary after ${rejoined.seconds_to_secondary} s, ${rejoined.writes_accepted_on_old_primary} writes accepted on the old primary`);
  const cut = await partition(context, holdSeconds);
  log(`partition: promoted ${cut.promoted}`);
  const isolated = await primaryIsolated(context);
  log(`primary isolated: fenced after ${isolated.fenced_after_seconds} s, ${isolated.promoted} writable after ${isolated.standby_writable_after_seconds} s`);
  const wan = flaky.seconds > 0 ? await flakyWan(context, flaky) : undefined;
  if (wan) {
    log(`flaky WAN: ${wan.failovers} failovers, ${wan.write_errors} write errors, longest write gap ${wan.max_write_gap_seconds} s`);
  }
  const rebuilt = await witnessRebuild(context);
  log(`witness rebuild: ok ${rebuilt.ok}, healthy after ${rebuilt.seconds_to_healthy} s, write outage ${rebuilt.write_outage_seconds} s`);
  const reinstalled = await reinstallAndFailback(context, "primary");
  log(`reinstall: ok ${reinstalled.ok}, standby after ${reinstalled.seconds_to_secondary} s, failback lost ${reinstalled.failback.lost_transactions}`);
  // The rebuilt witness's log holds the reinstall's failover and the failback.
  const eventLog = await failoverLog(context, 2);
  log(`failover log: ${eventLog.entries} entries, chain intact ${eventLog.chain_intact}, ${eventLog.promotions_logged} promotions logged, ${eventLog.promotions_posted} posted`);
  const media = await mediaScenario(context);
  log(`media: ok ${media.ok}, small files p99 ${media.small_files.p99_seconds} s, all uploads older than ${media.failover.all_present_older_than_seconds} s on the new primary`);
  await observe(context, "end of drill");
  await context.writer.stop();
  await context.observer.stop();

  const splitBrain = splitBrainSamples(context);
  const healthz = {
    points: context.points,
    ok: context.points.every((p) => p.ok),
  };
  const report = {
    generated_at: new Date().toISOString(),
    machine: { cpus: os.cpus().length, memory_gb: Math.round(os.totalmem() / 2 ** 30) },
    setup: {
      postgres_major: 15,
      replication: "asynchronous",
      write_rate_per_second: writeRate === 0 ? "unlimited" : writeRate,
      acknowledged_writes: context.writer.events.filter((e) => e.e === "ack").length,
      monitor_settings: settings,
      note: "unplanned = the node is gone: its keeper tree and postmaster are SIGKILLed and not restarted (systemd's Restart=always would restart a killed keeper on a live host)",
    },
    planned,
    unplanned,
    unplanned_postmaster_only: postmasterOnly,
    rejoin: rejoined,
    partition: cut,
    primary_isolated: isolated,
    ...(wan ? { flaky_wan: wan } : {}),
    witness_rebuild: rebuilt,
    reinstall: reinstalled,
    healthz,
    split_brain: splitBrain,
    failover_log: eventLog,
    media,
  };
  fs.writeFileSync(reportPath, JSON.stringify(report, null, 2) + "\n");

  const yes = (ok: boolean) => (ok ? "pass" : "FAIL");
  const rows = [
    ["planned switchover", yes(planned.lost_transactions === 0 && planned.new_primary !== planned.old_primary), `${planned.rto_seconds} s`, planned.lost_transactions, `${planned.old_primary} -> ${planned.new_primary}; write gap ${planned.write_gap_seconds} s`],
    ["unplanned (kill -9 keeper tree + postmaster)", yes(unplanned.double_writable_samples === 0), `${unplanned.rto_seconds} s`, unplanned.lost_transactions, `${unplanned.old_primary} -> ${unplanned.new_primary}; async replication`],
    ["unplanned variant: kill -9 postmaster only", yes(postmasterOnly.double_writable_samples === 0), `${postmasterOnly.rto_seconds} s`, postmasterOnly.lost_transactions, postmasterOnly.failed_over ? `failed over to ${postmasterOnly.new_primary}` : `no failover: the keeper restarted PostgreSQL on ${postmasterOnly.old_primary}`],
    ["partition (standby cut off from primary)", yes(!cut.promoted && cut.primary_acks_last_10s > 0), "-", cut.lost_transactions, `held ${cut.held_seconds} s; promoted: ${cut.promoted}; primary writes during: ${cut.primary_acks_during_partition}; max write gap ${cut.max_write_gap_seconds} s`],
    [
      "primary isolated (cut off from witness and standby, clients still reach it)",
      yes(isolated.ok),
      `${isolated.rto_seconds} s`,
      isolated.lost_transactions,
      `fenced itself after ${isolated.fenced_after_seconds} s, ${isolated.promoted} writable after ${isolated.standby_writable_after_seconds} s; ${isolated.acks_on_isolated_primary_after_promotion} writes on the old primary after that; lost: what it acknowledged after the cut (async)`,
    ],
    ...(wan
      ? [[`flaky WAN (${wan.blackout_range_seconds.join("-")} s blackouts, ${wan.loss_percent} % loss)`, yes(wan.ok), "-", wan.lost_transactions, `${wan.seconds} s, ${flakyWanNotes(wan)}`]]
      : []),
    ["rejoin (old primary restarted)", yes(rejoined.ok), `${rejoined.seconds_to_secondary} s to secondary`, "-", `${rejoined.writes_accepted_on_old_primary} of ${rejoined.probes} probe writes accepted on the old primary; pg_rewind in log: ${rejoined.pg_rewind_in_keeper_log}`],
    ["witness lost and rebuilt (empty monitor)", yes(rebuilt.ok), "-", rebuilt.lost_transactions, `formation healthy after ${rebuilt.seconds_to_healthy} s, primary kept (${rebuilt.primary_after}); longest write outage ${rebuilt.write_outage_seconds} s`],
    ["primary lost, reinstalled from its seed, failback", yes(reinstalled.ok), `${reinstalled.failover.rto_seconds} s`, reinstalled.failover.lost_transactions + reinstalled.failback.lost_transactions, `standby again after ${reinstalled.seconds_to_secondary} s; failback switchover ${reinstalled.failback.rto_seconds} s, ${reinstalled.failback.lost_transactions} lost`],
    ["/healthz", yes(healthz.ok), "-", "-", `${context.points.filter((p) => p.ok).length}/${context.points.length} observation points: 200 on exactly the writable node`],
    ["failover event log (witness)", yes(eventLog.ok), "-", "-", `${eventLog.entries} entries, chain intact: ${eventLog.chain_intact}; ${eventLog.promotions_logged} promotions logged, ${eventLog.promotions_posted} posted to the webhook; tampered copy rejected: ${eventLog.tampered_copy_rejected}`],
    ["media (uploads through a failover and a rejoin)", yes(media.ok), "-", "-", mediaNotes(media)],
    ["split brain (observer, every 250 ms)", yes(splitBrain.double_writable === 0), "-", "-", `${splitBrain.double_writable} of ${splitBrain.samples} samples with two writable nodes`],
  ];
  const table = [
    "| scenario | result | RTO | lost acknowledged tx | notes |",
    "| --- | --- | --- | --- | --- |",
    ...rows.map((row) => `| ${row.join(" | ")} |`),
  ].join("\n");
  console.log(`\n## Failover drill (${report.generated_at})\n\n${table}\n\nReport: ${reportPath}`);
  const failed = rows.some((row) => row[1] === "FAIL");
  return failed ? 1 : 0;
}

/** Runs one scenario under the load, stops the load, and reports the result (its exit code). */
async function runAlone<T>(context: DrillContext, scenario: (context: DrillContext) => Promise<T>, report: (result: T) => number): Promise<number> {
  const result = await scenario(context);
  await context.writer.stop();
  await context.observer.stop();
  return report(result);
}

/** The flaky WAN's settings from the environment, or what is wrong with them. */
function flakyWanOptions(): FlakyWanOptions | string {
  const seconds = Number(process.env.DRILL_FLAKY_WAN_SECONDS ?? 600);
  const lossPercent = Number(process.env.DRILL_FLAKY_WAN_LOSS_PERCENT ?? 3);
  const seed = Number(process.env.DRILL_SEED ?? Date.now() % 2 ** 31);
  if (!Number.isInteger(seconds) || seconds < 0) {
    return `DRILL_FLAKY_WAN_SECONDS must be a whole number of seconds, got ${process.env.DRILL_FLAKY_WAN_SECONDS}`;
  }
  if (!Number.isInteger(lossPercent) || lossPercent < 0 || lossPercent > 100) {
    return `DRILL_FLAKY_WAN_LOSS_PERCENT must be a whole number from 0 to 100, got ${process.env.DRILL_FLAKY_WAN_LOSS_PERCENT}`;
  }
  if (!Number.isInteger(seed)) {
    return `DRILL_SEED must be a whole number, got ${process.env.DRILL_SEED}`;
  }
  const blackout = (process.env.DRILL_FLAKY_WAN_BLACKOUT_SECONDS ?? "1-4").split("-").map(Number);
  if (blackout.length !== 2 || !blackout.every((n) => Number.isFinite(n) && n > 0) || blackout[0] > blackout[1]) {
    return `DRILL_FLAKY_WAN_BLACKOUT_SECONDS must be SHORTEST-LONGEST in seconds (e.g. 1-4), got ${process.env.DRILL_FLAKY_WAN_BLACKOUT_SECONDS}`;
  }
  return { seconds, lossPercent, seed, blackoutSeconds: [blackout[0], blackout[1]] };
}

/** drill-report.json as read, changed by `merge`, and written back: a single-scenario run keeps the full drill's figures. */
function mergeIntoReport(merge: (report: Record<string, any>) => void): void {
  const report = fs.existsSync(reportPath) ? JSON.parse(fs.readFileSync(reportPath, "utf8")) : {};
  merge(report);
  fs.writeFileSync(reportPath, JSON.stringify(report, null, 2) + "\n");
}

function flakyWanNotes(run: { failovers: number; write_errors: number; max_write_gap_seconds: number; blackouts: Record<string, { count: number; longest_seconds: number }> }): string {
  const blackouts = Object.entries(run.blackouts).map(([link, b]) => `${link} ${b.count} (longest ${b.longest_seconds} s)`);
  return `failovers ${run.failovers}; blackouts ${blackouts.join(", ")}; write errors ${run.write_errors}; longest write gap ${run.max_write_gap_seconds} s`;
}

/** Merges the runs into drill-report.json under `flaky_wan`, prints their table; fails on a failover, a lost write or split brain. */
function reportFlakyWan(runs: FlakyWanRuns): number {
  mergeIntoReport((report) => {
    report.flaky_wan = { generated_at: new Date().toISOString(), ...runs };
  });
  console.log(
    [
      "\n| flaky WAN run | seconds | seed | result | lost | notes |",
      "| --- | --- | --- | --- | --- | --- |",
      ...runs.runs.map((run, i) => `| ${i + 1} | ${run.seconds} | ${run.seed} | ${run.ok ? "pass" : "FAIL"} | ${run.lost_transactions} | ${flakyWanNotes(run)} |`),
      `\nReport: ${reportPath} (flaky_wan)`,
    ].join("\n"),
  );
  return runs.ok ? 0 : 1;
}

/** Merges the ladder into drill-report.json under `largest_blackout` and prints it; fails when no cut was ridden through. */
function reportLargestBlackout(result: LargestBlackoutResult): number {
  mergeIntoReport((report) => {
    report.largest_blackout = { generated_at: new Date().toISOString(), ...result };
  });
  console.log(
    [
      "\n| primary cut off for | result | longest write gap |",
      "| --- | --- | --- |",
      ...result.steps.map((step) => `| ${step.seconds} s | ${step.ridden ? "ridden through" : "changed hands"} | ${step.max_write_gap_seconds} s |`),
      `\nLargest blackout ridden through: ${result.largest_ridden_seconds} s. Report: ${reportPath} (largest_blackout)`,
    ].join("\n"),
  );
  return result.largest_ridden_seconds > 0 ? 0 : 1;
}

/** The point-in-time recovery, under `corruption`; fails on a row missing in the copy or damage in it. */
function reportCorruption(result: CorruptionResult): number {
  return reportOnce("corruption", "corruption (table wrecked at T, restored to T - 1 s)", result, [
    ["full backup before the damage", `${result.backup_seconds} s`],
    [`estate-pitr restore to ${result.target}`, `${result.restore_seconds} s (${result.report["backup set"] ?? "?"}, WAL to ${result.report["WAL replayed to"] ?? "?"})`],
    ["rows acknowledged before the target", `${result.acknowledged_before_target}, ${result.missing_in_copy} missing in the copy (${result.rows_in_copy} rows in it)`],
    ["damage in the copy", `${result.damaged_rows_in_copy} rewritten rows, ${result.rows_after_wreck_in_copy} rows written after T; the standby had the damage too: ${result.standby_wrecked_too}`],
    ["the table copied back into the live primary", `${result.copy_back_seconds} s; every row back, no damage: primary ${result.table_restored_on.primary}, standby ${result.table_restored_on.standby}`],
  ]);
}

/** Merges a scenario run once into drill-report.json under `key`, prints its table and the verdict. */
function reportOnce(key: string, title: string, result: { readonly ok: boolean }, rows: readonly [string, string][]): number {
  mergeIntoReport((report) => {
    report[key] = { generated_at: new Date().toISOString(), ...result };
  });
  console.log(
    [`\n| ${title} | result |`, "| --- | --- |", ...rows.map(([what, value]) => `| ${what} | ${value} |`), `\n${result.ok ? "pass" : "FAIL"}. Report: ${reportPath} (${key})`].join("\n"),
  );
  return result.ok ? 0 : 1;
}

function mediaNotes(result: MediaResult): string {
  const { small_files: small, large_files: large, failover, after_rejoin: rejoined } = result;
  return `lag p50/p99 ${small.p50_seconds}/${small.p99_seconds} s (${small.count} small), ${large.p50_seconds}/${large.p99_seconds} s (${large.count} large); after the failover every upload older than ${failover.all_present_older_than_seconds} s on ${failover.new_primary}; after the rejoin ${rejoined.arrived}/${rejoined.files} pushed back, ${rejoined.only_on_old_primary_kept}/${rejoined.only_on_old_primary} unpushed kept`;
}

/** The media figures, under `media`; fails when a file went missing. */
function reportMedia(result: MediaResult): number {
  const { small_files: small, large_files: large, failover, after_rejoin: rejoined } = result;
  return reportOnce("media", `media (push every ${result.timer_interval_seconds} s)`, result, [
    [`${small.count} files of ${small.bytes_each} B, lag to the standby`, `p50 ${small.p50_seconds} s, p99 ${small.p99_seconds} s, max ${small.max_seconds} s`],
    [`${large.count} files of ${large.bytes_each / 1024 / 1024} MiB, lag`, `p50 ${large.p50_seconds} s, p99 ${large.p99_seconds} s, max ${large.max_seconds} s`],
    ["after the unplanned failover", `${failover.new_primary} holds ${failover.on_new_primary} of ${failover.acknowledged_before_loss} uploads; all older than ${failover.all_present_older_than_seconds} s`],
    [
      `after the rejoin, ${rejoined.pushed_by} pushes`,
      `${rejoined.arrived} of ${rejoined.files} arrived (max ${rejoined.max_lag_seconds} s); ${rejoined.only_on_old_primary_kept} of ${rejoined.only_on_old_primary} unpushed files kept on the old primary; new primary's files intact: ${rejoined.new_primary_files_intact}`,
    ],
  ]);
}

/** Merges the runs into drill-report.json under `repeated`, prints their table; fails on a lost write or split brain. */
function reportRepeated(repeated: RepeatedRuns): number {
  mergeIntoReport((report) => {
    report.repeated = { ...report.repeated, [repeated.scenario]: { generated_at: new Date().toISOString(), ...repeated } };
  });
  const { min, median, max } = repeated.rto_seconds;
  const ok = repeated.lost_transactions === 0 && repeated.double_writable_samples === 0;
  console.log(
    [
      `\n| scenario | runs | RTO min | median | max | lost | two writable |`,
      "| --- | --- | --- | --- | --- | --- | --- |",
      `| ${repeated.scenario} | ${repeated.runs.map((run) => run.rto_seconds).join(", ")} | ${min} s | ${median} s | ${max} s | ${repeated.lost_transactions} | ${repeated.double_writable_samples} |`,
      `\nReport: ${reportPath} (repeated.${repeated.scenario})`,
    ].join("\n"),
  );
  return ok ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error) => {
    log(`drill failed: ${error instanceof Error ? error.stack ?? error.message : String(error)}`);
    process.exit(1);
  },
);
