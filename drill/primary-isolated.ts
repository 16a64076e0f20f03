// The fencing order, measured: the primary loses both other sites (the witness and the standby)
// while its clients still reach it. Its keeper must demote it before the monitor may promote the
// standby, so no write is ever acknowledged by two primaries. Writes the isolated primary
// acknowledged after the cut never reached the standby (asynchronous replication): they are counted,
// not hidden, and are the price of asynchronous commits (README, "Failover").
import { sleep, waitFor } from "../tools/wait";
import { DataRole } from "./lab/layout";
import { acks, doubleWritable, DrillContext, lostOn, observe, samples, seconds, settle, waitForStreaming } from "./scenarios";

export interface PrimaryIsolatedResult {
  readonly ok: boolean;
  readonly isolated: DataRole;
  readonly promoted: DataRole;
  readonly held_seconds: number;
  /** Cut to the isolated primary's last acknowledged write or writable sample: when it fenced itself. */
  readonly fenced_after_seconds: number;
  /** Cut to the first sample with the other node writable. */
  readonly standby_writable_after_seconds: number;
  /** Cut to the first write acknowledged by the new primary. */
  readonly rto_seconds: number;
  /** Writes the isolated primary acknowledged once the other node was writable: must be 0. */
  readonly acks_on_isolated_primary_after_promotion: number;
  readonly double_writable_samples: number;
  readonly acknowledged_by_isolated_primary_after_cut: number;
  readonly acknowledged: number;
  /** Acknowledged writes the new primary does not hold. */
  readonly lost_transactions: number;
  /** Lost writes that the isolated primary did not acknowledge within the second before the cut or after it: must be 0. */
  readonly lost_outside_isolation: number;
  readonly rejoined_as_secondary: boolean;
  readonly seconds_to_healthy_after_heal: number;
  readonly monitor_events: string[];
}

/** Cuts the primary off from the witness and the standby for `holdSeconds` (at least until the standby is writable), then heals. */
export async function primaryIsolated(context: DrillContext, holdSeconds = 45): Promise<PrimaryIsolatedResult> {
  const { lab, log, writer } = context;
  const before = await lab.waitForHealthyFormation(180);
  await observe(context, "primary isolated: before");
  const isolated = before.primary;
  const promoted = before.secondary;
  // The keeper only counts down once it has seen its standby during the outage (README, "Failover").
  await waitForStreaming(context, isolated);
  const cut = Date.now();
  log(`primary isolated: ${isolated} drops all traffic to/from the witness and ${promoted}; its clients still reach it`);
  await lab.partition(isolated, "witness", promoted);
  let healed = false;
  try {
    const writableAt = await waitFor(`${promoted} to become writable`, 180, async () =>
      samples(context, cut).find((e) => (e.w as string[]).includes(promoted))?.t,
    );
    await sleep(Math.max(0, cut + holdSeconds * 1000 - Date.now()));
    await observe(context, "primary isolated: end of the cut");
    const end = Date.now();
    await lab.heal(isolated);
    healed = true;
    log("primary isolated: healed");
    const after = await lab.waitForHealthyFormation(240);
    const healthyAt = Date.now();
    const settled = await settle(context, after.primary);
    const isolatedAcks = acks(writer, cut, end).filter((e) => e.n === isolated);
    const isolatedWritable = samples(context, cut, end).filter((e) => (e.w as string[]).includes(isolated));
    const fencedAt = Math.max(cut, ...isolatedAcks.map((e) => e.t), ...isolatedWritable.map((e) => e.t));
    const firstOnNew = acks(writer, cut).find((e) => e.n === promoted);
    const { acknowledged, lost } = await lostOn(context, promoted, settled);
    const expectedLoss = new Set(acks(writer, cut - 1000, end).filter((e) => e.n === isolated).map((e) => e.id as number));
    await observe(context, "primary isolated: after healing");
    const result = {
      isolated,
      promoted,
      held_seconds: seconds(end - cut),
      fenced_after_seconds: seconds(fencedAt - cut),
      standby_writable_after_seconds: seconds(writableAt - cut),
      rto_seconds: seconds((firstOnNew?.t ?? end) - cut),
      acks_on_isolated_primary_after_promotion: isolatedAcks.filter((e) => e.t >= writableAt).length,
      double_writable_samples: doubleWritable(context, cut),
      acknowledged_by_isolated_primary_after_cut: isolatedAcks.length,
      acknowledged,
      lost_transactions: lost.length,
      lost_outside_isolation: lost.filter((id) => !expectedLoss.has(id)).length,
      rejoined_as_secondary: after.primary === promoted && after.secondary === isolated,
      seconds_to_healthy_after_heal: seconds(healthyAt - end),
      monitor_events: await lab.monitorEvents(cut),
    };
    const ok =
      result.acks_on_isolated_primary_after_promotion === 0 &&
      result.double_writable_samples === 0 &&
      result.lost_outside_isolation === 0 &&
      fencedAt < writableAt &&
      result.rejoined_as_secondary;
    return { ok, ...result };
  } finally {
    if (!healed) {
      await lab.heal(isolated).catch(() => undefined);
    }
  }
}
