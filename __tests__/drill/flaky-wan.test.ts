// The flaky-WAN scenario (drill/flaky-wan.ts), briefly: blackouts of 1-4 s between the primary and
// the witness and between the primary and the standby, and packet loss between the sites, under the
// write load. Nothing may fail over, and the faults must really have dropped packets. Timings are
// measured by `npm run drill -- --scenario flaky-wan`, never asserted here.
import { FlakyWanResult, flakyWan } from "../../drill/flaky-wan";
import { drillLabForTests } from "../support/drill-lab";

let result: FlakyWanResult;
// Ten above the failover drill's ports (base+1..3, base+9), so both labs can exist at once.
drillLabForTests("flaky-wan", 10, async (context) => {
  result = await flakyWan(context, { seconds: 75, lossPercent: 3, seed: Date.now() % 2 ** 31 });
  process.stderr.write(`[flaky-wan] ${JSON.stringify({ ...result, monitor_events: result.monitor_events.length })}\n`);
});

test("the faults were applied: blackouts on both links, and the blackout and loss rules dropped packets", () => {
  for (const link of [`${result.primary_before}-witness`, `${result.primary_before}-${result.primary_before === "primary" ? "standby" : "primary"}`]) {
    expect({ link, count: result.blackouts[link].count > 0 }).toEqual({ link, count: true });
  }
  for (const [namespace, dropped] of Object.entries(result.dropped_packets)) {
    expect({ namespace, loss: dropped.loss > 0 }).toEqual({ namespace, loss: true });
  }
  expect(result.dropped_packets[result.primary_before].blackout).toBeGreaterThan(0);
});

test("no failover: the primary stays, nothing acknowledged is lost, never two writable nodes", () => {
  expect(result.monitor_events.filter((event) => /prepare_promotion|stop_replication|wait_primary -> primary/.test(event))).toEqual([]);
  expect(result.failovers).toBe(0);
  expect(result.primary_after).toBe(result.primary_before);
  expect(result.acknowledged).toBeGreaterThan(0);
  expect(result.lost_transactions).toBe(0);
  expect(result.double_writable_samples).toBe(0);
});
