// `npm run drill -- --scenario NAME --runs N`: one scenario N times in one drill, for timing figures
// that come from the same formation and load (min, median, max), with every run kept.
import { DrillContext, plannedSwitchover, postmasterOnlyKill, rejoin, unplannedFailover } from "./scenarios";

interface Run {
  readonly rto_seconds: number;
  readonly lost_transactions: number;
  readonly double_writable_samples: number;
}

/** Each scenario leaves a healthy formation behind, so the next run starts like the first. */
export const repeatableScenarios: Record<string, (context: DrillContext) => Promise<Run>> = {
  planned: plannedSwitchover,
  unplanned: async (context) => {
    const result = await unplannedFailover(context);
    await rejoin(context, result.old_primary);
    return result;
  },
  "postmaster-only": postmasterOnlyKill,
};

export interface Spread {
  readonly min: number;
  readonly median: number;
  readonly max: number;
}

/** min, median (the mean of the middle two for an even count) and max of `values`. */
export function spread(values: readonly number[]): Spread {
  if (values.length === 0) {
    throw new Error("no values");
  }
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
  return { min: sorted[0], median: Math.round(median * 100) / 100, max: sorted[sorted.length - 1] };
}

export interface RepeatedRuns {
  readonly scenario: string;
  readonly runs: Run[];
  readonly rto_seconds: Spread;
  readonly lost_transactions: number;
  readonly double_writable_samples: number;
}

export async function repeatScenario(context: DrillContext, scenario: string, count: number): Promise<RepeatedRuns> {
  const runOnce = repeatableScenarios[scenario];
  const runs: Run[] = [];
  for (let index = 1; index <= count; index++) {
    const run = await runOnce(context);
    context.log(`${scenario} run ${index}/${count}: ${run.rto_seconds} s, ${run.lost_transactions} lost`);
    runs.push(run);
  }
  return {
    scenario,
    runs,
    rto_seconds: spread(runs.map((run) => run.rto_seconds)),
    lost_transactions: runs.reduce((sum, run) => sum + run.lost_transactions, 0),
    double_writable_samples: runs.reduce((sum, run) => sum + run.double_writable_samples, 0),
  };
}
