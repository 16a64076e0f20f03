// The flaky-WAN scenario: for a while, under the write load, the links between the sites misbehave
// as real WANs do, and nothing may fail over. In the primary's namespace: random blackouts of 1-4 s
// at random intervals towards the witness and towards the standby (each link on its own schedule,
// so they sometimes overlap), and a few percent of packets to and from both lost at random; in the
// standby's namespace the same loss towards the witness. nftables does both (the kernel here has no
// netem). Latency is not added: see the README (The drill).
import type { NodeRole } from "../cloud-init/node-config";
import { sleep } from "../tools/wait";
import { DataRole } from "./lab/layout";
import { DrillContext, doubleWritable, longestWriteGap, lostOn, observe, seconds, settle } from "./scenarios";

export const FLAKY_WAN = "flaky-wan";

export interface FlakyWanOptions {
  /** How long the WAN is flaky. */
  readonly seconds: number;
  readonly lossPercent: number;
  /** Seeds the blackout schedule, so a run can be repeated. */
  readonly seed: number;
  readonly blackoutSeconds?: readonly [number, number];
  readonly gapSeconds?: readonly [number, number];
}

interface Blackout {
  readonly link: string;
  readonly at: number;
  readonly seconds: number;
}

export interface FlakyWanResult {
  readonly ok: boolean;
  readonly seconds: number;
  readonly blackout_range_seconds: readonly [number, number];
  readonly seed: number;
  readonly loss_percent: number;
  readonly primary_before: DataRole;
  readonly primary_after: DataRole;
  /** Promotions the monitor started (a node sent to prepare_promotion), and a change of primary. */
  readonly failovers: number;
  readonly write_errors: number;
  readonly write_error_messages: Record<string, number>;
  readonly max_write_gap_seconds: number;
  readonly acknowledged: number;
  readonly lost_transactions: number;
  readonly double_writable_samples: number;
  readonly blackouts: Record<string, { readonly count: number; readonly longest_seconds: number; readonly total_seconds: number }>;
  /** Packets the rules dropped, by namespace and rule: proof the faults were applied. */
  readonly dropped_packets: Record<string, { readonly blackout: number; readonly loss: number }>;
  /** The longest stretch the monitor's health checks held each node unhealthy (sampled every second). */
  readonly longest_unhealthy_seconds: Record<string, number>;
  /** The longest the monitor went without a report from each node's keeper (sampled every second). */
  readonly longest_report_gap_seconds: Record<string, number>;
  readonly states_seen: Record<string, string[]>;
  readonly monitor_events: string[];
}

/** mulberry32: a small seeded generator, uniform in [0, 1). */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

/** Blackouts of the link primary<->peer until `until`: a random gap, then a random blackout that ends before `until`. */
async function blackoutLink(context: DrillContext, primary: DataRole, peer: NodeRole, until: number, next: () => number, options: FlakyWanOptions, record: Blackout[]): Promise<void> {
  const [shortest, longest] = options.blackoutSeconds ?? [1, 4];
  const [minGap, maxGap] = options.gapSeconds ?? [3, 20];
  const link = `${primary}-${peer}`;
  for (;;) {
    await sleep((minGap + next() * (maxGap - minGap)) * 1000);
    const ms = Math.round((shortest + next() * (longest - shortest)) * 1000);
    if (Date.now() + ms > until) {
      return;
    }
    record.push({ link, at: Date.now(), seconds: ms / 1000 });
    await context.lab.blackout(primary, peer, ms);
    await sleep(ms);
  }
}

/** Monitor states and health of each data node every second until `until`. */
async function watchMonitor(
  context: DrillContext,
  until: number,
): Promise<{ states: Record<string, Set<string>>; longestUnhealthy: Record<string, number>; longestReportGap: Record<string, number> }> {
  const states: Record<string, Set<string>> = {};
  const longestUnhealthy: Record<string, number> = {};
  const longestReportGap: Record<string, number> = {};
  const unhealthySince: Record<string, number | undefined> = {};
  while (Date.now() < until) {
    const now = Date.now();
    for (const node of await context.lab.monitorNodes().catch(() => [])) {
      states[node.name] ??= new Set();
      states[node.name].add(`${node.reported}/${node.goal}`);
      longestReportGap[node.name] = Math.max(longestReportGap[node.name] ?? 0, node.reportAge);
      if (node.health === 0) {
        unhealthySince[node.name] ??= now;
        longestUnhealthy[node.name] = Math.max(longestUnhealthy[node.name] ?? 0, seconds(now - unhealthySince[node.name]!));
      } else {
        unhealthySince[node.name] = undefined;
        longestUnhealthy[node.name] ??= 0;
      }
    }
    await sleep(1000);
  }
  return { states, longestUnhealthy, longestReportGap };
}

function summarize(blackouts: readonly Blackout[], links: readonly string[]): FlakyWanResult["blackouts"] {
  return Object.fromEntries(
    links.map((link) => {
      const mine = blackouts.filter((b) => b.link === link).map((b) => b.seconds);
      return [link, { count: mine.length, longest_seconds: Math.max(0, ...mine), total_seconds: Math.round(mine.reduce((a, b) => a + b, 0) * 100) / 100 }];
    }),
  );
}

export async function flakyWan(context: DrillContext, options: FlakyWanOptions): Promise<FlakyWanResult> {
  const { lab, log } = context;
  const before = await lab.waitForHealthyFormation(180);
  await observe(context, "flaky WAN: before");
  const primary = before.primary;
  const standby = before.secondary;
  const start = Date.now();
  const until = start + options.seconds * 1000;
  const [shortest, longest] = options.blackoutSeconds ?? [1, 4];
  log(`flaky WAN: ${options.seconds} s of ${shortest}-${longest} s blackouts ${primary}<->witness and ${primary}<->${standby}, ${options.lossPercent} % loss between the sites (seed ${options.seed})`);
  await lab.flakyWan(primary, ["witness", standby], options.lossPercent);
  await lab.flakyWan(standby, ["witness"], options.lossPercent);
  const blackouts: Blackout[] = [];
  let dropped: FlakyWanResult["dropped_packets"];
  let watched: Awaited<ReturnType<typeof watchMonitor>>;
  try {
    [watched] = await Promise.all([
      watchMonitor(context, until),
      blackoutLink(context, primary, "witness", until, random(options.seed), options, blackouts),
      blackoutLink(context, primary, standby, until, random(options.seed ^ 0x5bd1e995), options, blackouts),
      sleep(options.seconds * 500).then(() => observe(context, "flaky WAN: during")),
    ]);
    dropped = { [primary]: await lab.flakyWanDrops(primary), [standby]: await lab.flakyWanDrops(standby) };
  } finally {
    await lab.calmWan(primary).catch(() => undefined);
    await lab.calmWan(standby).catch(() => undefined);
  }
  const end = Date.now();
  log(`flaky WAN: calm again; ${blackouts.length} blackouts`);
  const after = await lab.waitForHealthyFormation(240);
  const settled = await settle(context, after.primary);
  const { acknowledged, lost } = await lostOn(context, after.primary, settled);
  await observe(context, "flaky WAN: after");
  const events = await lab.monitorEvents(start);
  const promotions = events.filter((event) => / -> prepare_promotion$/.test(event)).length;
  const failovers = Math.max(promotions, after.primary === primary ? 0 : 1);
  const errors = context.writer.events.filter((e) => e.e === "error" && e.t >= start && e.t <= end);
  const messages: Record<string, number> = {};
  for (const error of errors) {
    messages[String(error.m)] = (messages[String(error.m)] ?? 0) + 1;
  }
  const double = doubleWritable(context, start);
  return {
    ok: failovers === 0 && lost.length === 0 && double === 0,
    seconds: seconds(end - start),
    blackout_range_seconds: options.blackoutSeconds ?? [1, 4],
    seed: options.seed,
    loss_percent: options.lossPercent,
    primary_before: primary,
    primary_after: after.primary,
    failovers,
    write_errors: errors.length,
    write_error_messages: messages,
    max_write_gap_seconds: seconds(longestWriteGap(context, start, end)),
    acknowledged,
    lost_transactions: lost.length,
    double_writable_samples: double,
    blackouts: summarize(blackouts, [`${primary}-witness`, `${primary}-${standby}`]),
    dropped_packets: dropped,
    longest_unhealthy_seconds: watched.longestUnhealthy,
    longest_report_gap_seconds: watched.longestReportGap,
    states_seen: Object.fromEntries(Object.entries(watched.states).map(([name, set]) => [name, [...set]])),
    monitor_events: events,
  };
}

export interface FlakyWanRuns {
  readonly runs: FlakyWanResult[];
  readonly failovers: number;
  readonly write_errors: number;
  readonly max_write_gap_seconds: number;
  readonly lost_transactions: number;
  readonly ok: boolean;
}

/** `count` runs, each with its own seed (seed, seed+1, ...). */
export async function repeatFlakyWan(context: DrillContext, count: number, options: FlakyWanOptions): Promise<FlakyWanRuns> {
  const runs: FlakyWanResult[] = [];
  for (let index = 0; index < count; index++) {
    const run = await flakyWan(context, { ...options, seed: options.seed + index });
    context.log(`flaky WAN run ${index + 1}/${count}: ${run.failovers} failovers, ${run.write_errors} write errors, longest write gap ${run.max_write_gap_seconds} s`);
    runs.push(run);
  }
  return {
    runs,
    failovers: runs.reduce((sum, run) => sum + run.failovers, 0),
    write_errors: runs.reduce((sum, run) => sum + run.write_errors, 0),
    max_write_gap_seconds: Math.max(...runs.map((run) => run.max_write_gap_seconds)),
    lost_transactions: runs.reduce((sum, run) => sum + run.lost_transactions, 0),
    ok: runs.every((run) => run.ok),
  };
}
