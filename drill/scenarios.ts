// The failover drill's scenarios, shared by `npm run drill` (drill/run-drill.ts, which reports the
// numbers) and the test suite (__tests__/drill/failover-drill.test.ts, which asserts correctness).
// Each scenario starts from a healthy primary/secondary formation and measures with the write load's
// own acknowledgements: an id counts as acknowledged once its INSERT (autocommit, so its COMMIT)
// returned to the client; lost = acknowledged ids missing on the primary afterwards.
import * as fs from "node:fs";
import * as path from "node:path";
import { sleep, waitFor } from "../tools/wait";
import { DrillLab } from "./drill-lab";
import { DataRole, DATA_ROLES } from "./lab/layout";
import { LoadEvent, LoadProcess } from "./lab/load-process";

export interface ObservationPoint {
  readonly label: string;
  readonly at: number;
  /** Data nodes that answered `not pg_is_in_recovery()` = true. */
  readonly writable: DataRole[];
  /** Data nodes whose healthz-update.sh left the 200 marker. */
  readonly healthz200: DataRole[];
  readonly healthzReasons: Partial<Record<DataRole, string>>;
  /** Exactly one writable node, and /healthz 200 on that node only. */
  readonly ok: boolean;
}

export interface DrillContext {
  readonly lab: DrillLab;
  readonly writer: LoadProcess;
  readonly observer: LoadProcess;
  readonly points: ObservationPoint[];
  readonly log: (line: string) => void;
  /** Acknowledgements up to this time were already checked by an earlier scenario. */
  accountedUntil: number;
}

export const acks = (writer: LoadProcess, from: number, to = Infinity) => writer.events.filter((e) => e.e === "ack" && e.t >= from && e.t <= to);
export const seconds = (ms: number) => Math.round(ms / 10) / 100;
const other = (role: DataRole): DataRole => (role === "primary" ? "standby" : "primary");

/** Starts the load and the writable-node observer, once the formation is up. */
export async function startDrill(lab: DrillLab, log: (line: string) => void, writeRate: number): Promise<DrillContext> {
  const writer = lab.startLoad("write", { rate: writeRate });
  const observer = lab.startLoad("observe", { intervalMs: 250 });
  await waitFor("the write load's first acknowledgement", 60, async () => (acks(writer, 0).length > 0 ? true : undefined));
  await waitFor("the observer's first sample", 60, async () => (observer.events.length > 0 ? true : undefined));
  return { lab, writer, observer, points: [], log, accountedUntil: 0 };
}

/** Which node is writable, and what /healthz says on each data node, right now. */
export async function observe(context: DrillContext, label: string): Promise<ObservationPoint> {
  const { lab } = context;
  const at = Date.now();
  const writable: DataRole[] = [];
  for (const role of DATA_ROLES) {
    if (await lab.isWritable(role)) {
      writable.push(role);
    }
  }
  const healthz200: DataRole[] = [];
  const healthzReasons: Partial<Record<DataRole, string>> = {};
  for (const role of DATA_ROLES) {
    const answer = await lab.healthz(role);
    healthzReasons[role] = answer.text;
    if (answer.ok) {
      healthz200.push(role);
    }
  }
  const ok = writable.length === 1 && healthz200.length === 1 && healthz200[0] === writable[0];
  const point = { label, at, writable, healthz200, healthzReasons, ok };
  context.points.push(point);
  context.log(`${label}: writable [${writable}], /healthz 200 on [${healthz200}]${ok ? "" : "  <-- NOT OK"}`);
  return point;
}

/** Observer samples (every 250 ms, all data nodes asked in parallel) in a window. */
export function samples(context: DrillContext, from: number, to = Infinity): LoadEvent[] {
  return context.observer.events.filter((e) => e.e === "observe" && e.t >= from && e.t <= to);
}

export function doubleWritable(context: DrillContext, from: number, to = Infinity): number {
  return samples(context, from, to).filter((e) => (e.w as string[]).length > 1).length;
}

/**
 * Acknowledged ids the node does not hold, among those acknowledged since the previous scenario's
 * check and up to `to`: each loss is counted once, by the scenario that caused it.
 */
export async function lostOn(context: DrillContext, role: DataRole, to: number): Promise<{ acknowledged: number; lost: number[] }> {
  const acknowledged = acks(context.writer, context.accountedUntil + 1, to).map((e) => e.id as number);
  context.accountedUntil = to;
  const stored = await context.lab.storedIds(role);
  return { acknowledged: acknowledged.length, lost: acknowledged.filter((id) => !stored.has(id)) };
}

async function firstAckOn(context: DrillContext, role: DataRole | undefined, after: number, timeoutSeconds: number): Promise<LoadEvent> {
  return waitFor(`a write acknowledged by ${role ?? "any node"}`, timeoutSeconds, async () =>
    context.writer.events.find((e) => e.e === "ack" && e.t > after && (role === undefined || e.n === role)),
  );
}

function lastAckBefore(context: DrillContext, before: number): LoadEvent | undefined {
  return acks(context.writer, 0, before).pop();
}

/** The longest time without an acknowledged write in [from, to]: the write outage. */
export function longestWriteGap(context: DrillContext, from: number, to: number): number {
  const times = [from, ...acks(context.writer, from, to).map((e) => e.t), to];
  return Math.max(...times.slice(1).map((t, i) => t - times[i]));
}

/** Whether the standby streams from the other node and has replayed the latest acknowledged write (each waited for up to 60 s). */
async function followsPrimary(context: DrillContext, standby: DataRole): Promise<{ streaming: boolean; hasLatest: boolean }> {
  const { lab } = context;
  const streaming = await waitFor(`${standby} to stream from ${other(standby)}`, 60, async () =>
    Number(await lab.sql(other(standby), "select count(*) from pg_stat_replication where state = 'streaming'")) === 1 ? true : undefined,
  ).catch(() => false);
  const latest = acks(context.writer, 0).pop()!.id as number;
  const hasLatest = await waitFor(`${standby} to replay the latest writes`, 60, async () =>
    (await lab.storedIds(standby)).has(latest) ? true : undefined,
  ).catch(() => false);
  return { streaming, hasLatest };
}

/** Waits until `primary` has one standby streaming from it. */
export async function waitForStreaming(context: DrillContext, primary: DataRole): Promise<void> {
  await waitFor(`${other(primary)} to stream from ${primary}`, 60, async () =>
    Number(await context.lab.sql(primary, "select count(*) from pg_stat_replication where state = 'streaming'")) === 1 ? true : undefined,
  );
}

/** Lets the writer settle on the new primary, so the acknowledgements compared are complete. */
export async function settle(context: DrillContext, role: DataRole): Promise<number> {
  const now = Date.now();
  await firstAckOn(context, role, now, 60);
  return Date.now();
}

// ------------------------------------------------------------------ 1. planned switchover

export interface PlannedResult {
  readonly old_primary: DataRole;
  readonly new_primary: DataRole;
  readonly rto_seconds: number;
  readonly write_gap_seconds: number;
  readonly acknowledged: number;
  readonly lost_transactions: number;
  readonly lost_ids: number[];
  readonly double_writable_samples: number;
  /** Each node's place in the write quorum once estate-switchover is done: `false` for an asynchronous estate. */
  readonly replication_quorum_after: Record<string, boolean>;
  /** estate-switchover, start to the old primary settled as the secondary. */
  readonly switchover_command_seconds: number;
  readonly switchover_output: string[];
  readonly monitor_events: string[];
}

export async function plannedSwitchover(context: DrillContext): Promise<PlannedResult> {
  const { lab, log } = context;
  const before = await lab.waitForHealthyFormation(180);
  await observe(context, "planned: before");
  const start = Date.now();
  log(`planned: estate-switchover on the witness (primary is ${before.primary})`);
  const switched = await lab.switchover();
  const commandDone = Date.now();
  for (const line of switched.output.trim().split("\n")) log(`planned: ${line}`);
  if (!switched.ok) throw new Error(`planned: estate-switchover failed:\n${switched.output}`);
  const quorum = await lab.monitorSql("select nodename || '|' || replicationquorum from pgautofailover.node order by nodeid");
  const first = await firstAckOn(context, before.secondary, start, 90);
  const after = await lab.waitForHealthyFormation(180);
  const end = await settle(context, after.primary);
  const last = lastAckBefore(context, first.t - 1);
  const { acknowledged, lost } = await lostOn(context, after.primary, end);
  await observe(context, "planned: after");
  return {
    old_primary: before.primary,
    new_primary: after.primary,
    rto_seconds: seconds(first.t - start),
    write_gap_seconds: seconds(first.t - (last?.t ?? start)),
    acknowledged,
    lost_transactions: lost.length,
    lost_ids: lost.slice(0, 20),
    double_writable_samples: doubleWritable(context, start),
    switchover_command_seconds: seconds(commandDone - start),
    switchover_output: switched.output.trim().split("\n"),
    replication_quorum_after: Object.fromEntries(quorum.split("\n").map((line) => [line.split("|")[0], line.endsWith("|t")])),
    monitor_events: await lab.monitorEvents(start),
  };
}

// ------------------------------------------------------------------ 2. unplanned

export interface UnplannedResult {
  readonly killed: string;
  readonly old_primary: DataRole;
  readonly new_primary: DataRole;
  readonly failed_over: boolean;
  /** Unplanned: kill to the first acknowledged write on the promoted node. Postmaster only: the longest write outage after the kill. */
  readonly rto_seconds: number;
  readonly acknowledged: number;
  readonly lost_transactions: number;
  readonly lost_ids: number[];
  readonly double_writable_samples: number;
  readonly monitor_events: string[];
}

/** SIGKILL of the postmaster only: the keeper (pg_autoctl) survives and restarts PostgreSQL. */
export async function postmasterOnlyKill(context: DrillContext): Promise<UnplannedResult> {
  const { lab, log } = context;
  const before = await lab.waitForHealthyFormation(180);
  await observe(context, "postmaster-only: before");
  log(`postmaster-only: kill -9 the postmaster of ${before.primary} (its keeper keeps running)`);
  const killedAt = lab.killPostmaster(before.primary);
  // Either the keeper restarts PostgreSQL or the monitor fails over: give the monitor time to decide
  // (longer than its unhealthy timeout) before judging which node ended up primary.
  await sleep(20_000);
  const after = await lab.waitForHealthyFormation(180);
  const end = await settle(context, after.primary);
  const { acknowledged, lost } = await lostOn(context, after.primary, end);
  await observe(context, "postmaster-only: after");
  return {
    killed: `postmaster of ${before.primary}`,
    old_primary: before.primary,
    new_primary: after.primary,
    failed_over: after.primary !== before.primary,
    rto_seconds: seconds(longestWriteGap(context, killedAt, end)),
    acknowledged,
    lost_transactions: lost.length,
    lost_ids: lost.slice(0, 20),
    double_writable_samples: doubleWritable(context, killedAt),
    monitor_events: await lab.monitorEvents(killedAt),
  };
}

/**
 * SIGKILL of the primary's keeper tree and postmaster at once: the node is gone (not restarted).
 * `onLoss` runs right after the kill, for what else dies with the machine (the media scenario's push).
 */
export async function unplannedFailover(context: DrillContext, onLoss?: () => void): Promise<UnplannedResult> {
  const { lab, log } = context;
  const before = await lab.waitForHealthyFormation(180);
  await observe(context, "unplanned: before");
  log(`unplanned: kill -9 ${before.primary}'s pg_autoctl process tree and postmaster`);
  const killedAt = await lab.killNode(before.primary);
  onLoss?.();
  const first = await firstAckOn(context, before.secondary, killedAt, 240);
  log(`unplanned: first write on ${before.secondary} ${seconds(first.t - killedAt)} s after the kill`);
  const end = await settle(context, before.secondary);
  const { acknowledged, lost } = await lostOn(context, before.secondary, end);
  await observe(context, "unplanned: after failover (old primary down)");
  return {
    killed: `pg_autoctl tree and postmaster of ${before.primary}`,
    old_primary: before.primary,
    new_primary: before.secondary,
    failed_over: true,
    rto_seconds: seconds(first.t - killedAt),
    acknowledged,
    lost_transactions: lost.length,
    lost_ids: lost.slice(0, 20),
    double_writable_samples: doubleWritable(context, killedAt),
    monitor_events: await lab.monitorEvents(killedAt),
  };
}

// ------------------------------------------------------------------ 4. rejoin

export interface RejoinResult {
  readonly ok: boolean;
  readonly node: DataRole;
  readonly following: DataRole;
  readonly seconds_to_secondary: number;
  readonly probes: number;
  readonly writes_accepted_on_old_primary: number;
  readonly in_recovery: boolean;
  readonly streaming_from_primary: boolean;
  readonly has_latest_writes: boolean;
  readonly pg_rewind_in_keeper_log: boolean;
  readonly double_writable_samples: number;
}

/** Restarts the old primary's keeper; it must come back as a secondary, never writable in between. */
export async function rejoin(context: DrillContext, oldPrimary: DataRole): Promise<RejoinResult> {
  const { lab, log } = context;
  const newPrimary = other(oldPrimary);
  const probe = lab.startLoad("probe", { node: oldPrimary, intervalMs: 200 });
  await waitFor("the probe's first attempt", 60, async () => (probe.events.length > 0 ? true : undefined));
  const start = Date.now();
  log(`rejoin: restarting ${oldPrimary}'s keeper, probing it for writes every 200 ms`);
  lab.startKeeper(oldPrimary);
  const after = await lab.waitForHealthyFormation(240);
  const secondaryAt = Date.now();
  const inRecovery = (await lab.sql(oldPrimary, "select pg_is_in_recovery()")) === "t";
  const { streaming, hasLatest } = await followsPrimary(context, oldPrimary);
  await sleep(1000);
  await probe.stop();
  const accepted = probe.events.filter((e) => e.e === "probe" && e.ok === true).length;
  const keeperLog = fs.readFileSync(path.join(lab.nodes[oldPrimary].dir, "keeper.log"), "utf8");
  await observe(context, "rejoin: after");
  const ok = after.primary === newPrimary && after.secondary === oldPrimary && inRecovery && streaming && hasLatest && accepted === 0;
  return {
    ok,
    node: oldPrimary,
    following: newPrimary,
    seconds_to_secondary: seconds(secondaryAt - start),
    probes: probe.events.filter((e) => e.e === "probe").length,
    writes_accepted_on_old_primary: accepted,
    in_recovery: inRecovery,
    streaming_from_primary: streaming,
    has_latest_writes: hasLatest,
    pg_rewind_in_keeper_log: /pg_rewind/.test(keeperLog),
    double_writable_samples: doubleWritable(context, start),
  };
}

// ------------------------------------------------------------------ 3. partition

export interface PartitionResult {
  readonly promoted: boolean;
  readonly cut_off: DataRole;
  readonly from: DataRole;
  readonly held_seconds: number;
  readonly observer_samples: number;
  readonly samples_not_exactly_the_primary: number;
  readonly standby_states_seen: string[];
  readonly primary_acks_during_partition: number;
  readonly primary_acks_last_10s: number;
  readonly max_write_gap_seconds: number;
  readonly acknowledged: number;
  readonly lost_transactions: number;
  readonly seconds_to_healthy_after_heal: number;
  readonly monitor_events: string[];
}

/** Cuts the standby off from the primary (nftables in its namespace); the witness still sees both. */
export async function partition(context: DrillContext, holdSeconds: number): Promise<PartitionResult> {
  const { lab, log } = context;
  const before = await lab.waitForHealthyFormation(180);
  await observe(context, "partition: before");
  const start = Date.now();
  log(`partition: ${before.secondary} drops all traffic to/from ${before.primary} for ${holdSeconds} s`);
  await lab.partition(before.secondary, before.primary);
  const states = new Set<string>();
  let healed = false;
  try {
    const until = start + holdSeconds * 1000;
    let midpointDone = false;
    while (Date.now() < until) {
      const node = (await lab.monitorNodes()).find((n) => n.name === before.secondary);
      if (node) {
        states.add(`${node.reported}/${node.goal}`);
      }
      if (!midpointDone && Date.now() > start + (holdSeconds * 1000) / 2) {
        midpointDone = true;
        await observe(context, "partition: during");
      }
      await sleep(1000);
    }
    await observe(context, "partition: end of the cut");
    const end = Date.now();
    await lab.heal(before.secondary);
    healed = true;
    log("partition: healed");
    const during = samples(context, start, end);
    const duringAcks = acks(context.writer, start, end);
    const after = await lab.waitForHealthyFormation(240);
    const healthyAt = Date.now();
    const settled = await settle(context, after.primary);
    const { acknowledged, lost } = await lostOn(context, after.primary, settled);
    await observe(context, "partition: after healing");
    const standbyPromotionStates = ["prepare_promotion", "stop_replication", "wait_primary", "primary"];
    const promoted =
      after.primary !== before.primary ||
      during.some((e) => (e.w as string[]).includes(before.secondary)) ||
      [...states].some((s) => standbyPromotionStates.some((p) => s.split("/").includes(p)));
    return {
      promoted,
      cut_off: before.secondary,
      from: before.primary,
      held_seconds: seconds(end - start),
      observer_samples: during.length,
      samples_not_exactly_the_primary: during.filter((e) => (e.w as string[]).join() !== before.primary).length,
      standby_states_seen: [...states],
      primary_acks_during_partition: duringAcks.filter((e) => e.n === before.primary).length,
      primary_acks_last_10s: acks(context.writer, end - 10_000, end).filter((e) => e.n === before.primary).length,
      max_write_gap_seconds: seconds(longestWriteGap(context, start, end)),
      acknowledged,
      lost_transactions: lost.length,
      seconds_to_healthy_after_heal: seconds(healthyAt - end),
      monitor_events: await lab.monitorEvents(start),
    };
  } finally {
    if (!healed) {
      await lab.heal(before.secondary).catch(() => undefined);
    }
  }
}

/** Observer samples over the whole drill with more than one writable node (split brain): must be 0. */
export function splitBrainSamples(context: DrillContext): { samples: number; double_writable: number } {
  const all = samples(context, 0);
  return { samples: all.length, double_writable: all.filter((e) => (e.w as string[]).length > 1).length };
}

export async function monitorSettings(lab: DrillLab): Promise<Record<string, string>> {
  const out = await lab.monitorSql("select name, setting from pg_settings where name like 'pgautofailover.%' order by name");
  return Object.fromEntries(out.split("\n").filter(Boolean).map((line) => line.split("|") as [string, string]));
}

// ------------------------------------------------------------------ witness rebuild

export interface WitnessRebuildResult {
  readonly ok: boolean;
  readonly primary_before: DataRole;
  readonly primary_after: DataRole;
  readonly seconds_to_healthy: number;
  readonly write_outage_seconds: number;
  readonly acknowledged: number;
  readonly lost_transactions: number;
  readonly double_writable_samples: number;
}

/** The witness is lost and rebuilt with an empty monitor; both data nodes register with it again. */
export async function witnessRebuild(context: DrillContext): Promise<WitnessRebuildResult> {
  const { lab, log } = context;
  const before = await lab.waitForHealthyFormation(180);
  await observe(context, "witness rebuild: before");
  // The witness's timer recorded and posted the old monitor's events before it died.
  await lab.failoverEvents("record");
  const start = Date.now();
  await lab.rebuildWitness(before.primary);
  const after = await lab.waitForHealthyFormation(300);
  const healthyAt = Date.now();
  const end = await settle(context, after.primary);
  const { acknowledged, lost } = await lostOn(context, after.primary, end);
  await observe(context, "witness rebuild: after");
  log(`witness rebuild: formation healthy again after ${seconds(healthyAt - start)} s, primary ${after.primary}`);
  const result = {
    primary_before: before.primary,
    primary_after: after.primary,
    seconds_to_healthy: seconds(healthyAt - start),
    write_outage_seconds: seconds(longestWriteGap(context, start, end)),
    acknowledged,
    lost_transactions: lost.length,
    double_writable_samples: doubleWritable(context, start),
  };
  return { ok: after.primary === before.primary && lost.length === 0 && result.double_writable_samples === 0, ...result };
}

// ------------------------------------------------------------------ reinstall and failback

export interface ReinstallResult {
  readonly ok: boolean;
  readonly node: DataRole;
  readonly failover: UnplannedResult;
  readonly seconds_to_secondary: number;
  readonly streaming_from_primary: boolean;
  readonly has_latest_writes: boolean;
  readonly failback: PlannedResult;
}

/**
 * The worst day for `role`: it dies (kill -9, never restarted), the other node takes over, the
 * machine is reinstalled from its seed and joins as a standby, then a planned switchover fails back.
 */
export async function reinstallAndFailback(context: DrillContext, role: DataRole): Promise<ReinstallResult> {
  const { lab, log } = context;
  const formation = await lab.waitForHealthyFormation(180);
  if (formation.primary !== role) {
    log(`reinstall: switching over to ${role} first`);
    await plannedSwitchover(context);
  }
  const failover = await unplannedFailover(context);
  log(`reinstall: ${role} lost; RTO ${failover.rto_seconds} s, ${failover.lost_transactions} lost; reinstalling it from its seed`);
  const start = Date.now();
  await lab.reinstall(role);
  const after = await lab.waitForHealthyFormation(300);
  const secondaryAt = Date.now();
  const { streaming, hasLatest } = await followsPrimary(context, role);
  await observe(context, "reinstall: rejoined as standby");
  log(`reinstall: ${role} is a streaming standby after ${seconds(secondaryAt - start)} s; failing back`);
  const failback = await plannedSwitchover(context);
  const ok = after.secondary === role && streaming && hasLatest && failback.new_primary === role && failback.lost_transactions === 0;
  return {
    ok,
    node: role,
    failover,
    seconds_to_secondary: seconds(secondaryAt - start),
    streaming_from_primary: streaming,
    has_latest_writes: hasLatest,
    failback,
  };
}

// ------------------------------------------------------------------ failover event log

export interface FailoverLogResult {
  readonly ok: boolean;
  readonly entries: number;
  readonly chain_intact: boolean;
  readonly verify_output: string;
  /** Promotions (a node sent to wait_primary) in the log, and in what reached the webhook. */
  readonly promotions_logged: number;
  readonly promotions_posted: number;
  readonly tampered_copy_rejected: boolean;
}

/** Records the monitor's events on the witness as its timer does, verifies the chain and a tampered copy. */
export async function failoverLog(context: DrillContext, expectedPromotions: number): Promise<FailoverLogResult> {
  const { lab, log } = context;
  const recorded = await lab.failoverEvents("record");
  if (!recorded.ok) {
    log(`failover log: record failed: ${recorded.output.trim()}`);
  }
  const verified = await lab.failoverEvents("verify");
  const lines = fs.existsSync(recorded.log) ? fs.readFileSync(recorded.log, "utf8").split("\n").filter(Boolean) : [];
  type Event = { eventid: number; time: string; goal?: string };
  const isPromotion = (event: Event) => event.goal === "wait_primary";
  const key = (event: Event) => `${event.eventid} ${event.time}`;
  const logged = lines.map((line) => JSON.parse(line.split("\t")[3]) as Event);
  const promotionsLogged = logged.filter(isPromotion).length;
  await waitFor("the webhook to receive the events", 10, async () => (lab.webhook!.events.length > 0 ? true : undefined)).catch(() => false);
  // What reached the webhook from this log (a rebuilt witness starts a new log; the old one's events were posted before).
  const inLog = new Set(logged.map(key));
  const posted = lab.webhook!.events.flatMap((e) => (e.body as { events?: Event[] }).events ?? []).filter((event) => inLog.has(key(event)));
  const tampered = path.join(path.dirname(recorded.log), "tampered.log");
  fs.writeFileSync(tampered, lines.map((line, i) => (i === 1 ? line.replace('"node" : "', '"node" : "x') : line)).join("\n") + "\n");
  const tamperedResult = await lab.failoverEvents("verify", tampered);
  const tamperedAsExpected = /line 2 .*altered/.test(tamperedResult.output);
  const result = {
    entries: lines.length,
    chain_intact: verified.ok,
    verify_output: verified.output.trim(),
    promotions_logged: promotionsLogged,
    promotions_posted: posted.filter(isPromotion).length,
    tampered_copy_rejected: !tamperedResult.ok && tamperedAsExpected,
  };
  return { ok: result.chain_intact && result.tampered_copy_rejected && promotionsLogged >= expectedPromotions && result.promotions_posted === promotionsLogged, ...result };
}
