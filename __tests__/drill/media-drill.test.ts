// The media scenario (drill/media.ts) in the drill lab: uploads on the primary reach the standby
// through the shipped media-replicate.sh over a real sshd, survive an unplanned failover, and after
// the rejoin flow the other way without losing what only the old primary had. Lag figures are
// measured by `npm run drill -- --scenario media`, never asserted here.
import { MediaResult, mediaScenario } from "../../drill/media";
import { drillLabForTests } from "../support/drill-lab";

let result: MediaResult;
// Twenty above the failover drill's ports (the flaky-WAN drill takes +10), so the labs can coexist.
drillLabForTests("media", 20, async (context) => {
  result = await mediaScenario(context);
  process.stderr.write(`[media] ${JSON.stringify(result)}\n`);
});

test("every upload written on the primary reaches the standby, small and large", () => {
  expect([result.small_files.count, result.large_files.count]).toEqual([1000, 10]);
  expect([result.small_files.arrived, result.large_files.arrived]).toEqual([1000, 10]);
});

test("after the unplanned failover the new primary holds every upload older than one push interval and one push", () => {
  expect(result.failover.new_primary).not.toBe(result.failover.old_primary);
  expect(result.failover.acknowledged_before_loss).toBeGreaterThan(0);
  expect(result.failover.all_present_older_than_seconds).toBeLessThanOrEqual(2 * result.timer_interval_seconds);
});

test("after the rejoin the new primary pushes to the old one, and nothing newer is lost on either side", () => {
  expect(result.after_rejoin.pushed_by).toBe(result.failover.new_primary);
  expect(result.after_rejoin.arrived).toBe(result.after_rejoin.files);
  expect(result.after_rejoin.only_on_old_primary_kept).toBe(result.after_rejoin.only_on_old_primary);
  expect(result.after_rejoin.new_primary_files_intact).toBe(true);
  expect(result.ok).toBe(true);
});
