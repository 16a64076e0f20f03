// The largest blackout the estate rides through: the primary is cut off from the witness and the
// standby at once (its clients still reach it) for longer and longer, healed each time, until a cut
// makes the database change hands, by the keeper demoting its primary or the monitor promoting
// the standby. Every shorter cut was ridden through; the README quotes the figure.
import { sleep } from "../tools/wait";
import { DrillContext, longestWriteGap, seconds, waitForStreaming } from "./scenarios";

export const LARGEST_BLACKOUT = "largest-blackout";

export interface BlackoutStep {
  readonly seconds: number;
  /** Nothing changed hands: the same primary, no demotion or promotion in the monitor's events. */
  readonly ridden: boolean;
  readonly max_write_gap_seconds: number;
  readonly monitor_events: string[];
}

export interface LargestBlackoutResult {
  readonly steps: BlackoutStep[];
  /** The longest cut ridden through before the first that was not (0: none was). */
  readonly largest_ridden_seconds: number;
  /** The shortest cut that made the database change hands; undefined when every cut was ridden. */
  readonly first_not_ridden_seconds?: number;
}

/** How long after healing a cut the drill waits for a decision the cut set off to show. */
const settleSeconds = 30;
const handOver = /-> (draining|demote_timeout|demoted|prepare_promotion|stop_replication|wait_primary)$/;

export async function largestBlackout(context: DrillContext, lengths: readonly number[] = [4, 6, 8, 10, 12, 14, 16, 20]): Promise<LargestBlackoutResult> {
  const { lab, log } = context;
  const steps: BlackoutStep[] = [];
  for (const length of lengths) {
    const before = await lab.waitForHealthyFormation(240);
    await waitForStreaming(context, before.primary);
    const start = Date.now();
    log(`largest blackout: ${before.primary} cut off from the witness and ${before.secondary} for ${length} s`);
    await lab.partition(before.primary, "witness", before.secondary);
    try {
      await sleep(length * 1000);
    } finally {
      await lab.heal(before.primary);
    }
    await sleep(settleSeconds * 1000);
    const events = (await lab.monitorEvents(start)).filter((event) => handOver.test(event));
    const after = await lab.waitForHealthyFormation(240);
    const ridden = events.length === 0 && after.primary === before.primary;
    const step = { seconds: length, ridden, max_write_gap_seconds: seconds(longestWriteGap(context, start, Date.now())), monitor_events: events };
    log(`largest blackout: ${length} s ${ridden ? "ridden through" : `changed hands (${events.join("; ")})`}, longest write gap ${step.max_write_gap_seconds} s`);
    steps.push(step);
    if (!ridden) {
      break;
    }
  }
  // The ladder stops at the first cut not ridden through: every step before it was.
  const firstNot = steps.find((step) => !step.ridden);
  const lastRidden = steps.filter((step) => step.ridden).pop();
  return {
    steps,
    largest_ridden_seconds: lastRidden?.seconds ?? 0,
    ...(firstNot ? { first_not_ridden_seconds: firstNot.seconds } : {}),
  };
}
