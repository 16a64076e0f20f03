// The failover drill's scenarios (drill/), asserted for correctness only: timings are measured by
// `npm run drill`, never asserted here. Three nodes in network namespaces (addresses from
// 198.51.100.0/24 exist only inside them), built from the rendered cloud-init files, under a write
// load that records every acknowledged transaction.
import { primaryIsolated } from "../../drill/primary-isolated";
import {
  failoverLog,
  partition,
  plannedSwitchover,
  reinstallAndFailback,
  rejoin,
  splitBrainSamples,
  UnplannedResult,
  unplannedFailover,
  witnessRebuild,
} from "../../drill/scenarios";
import { drillLabForTests } from "../support/drill-lab";

const drill = drillLabForTests("drill", 0);
let unplanned: UnplannedResult;

test("planned switchover (estate-switchover): the standby becomes the writable primary, no acknowledged transaction is lost, replication is asynchronous again", async () => {
  const result = await plannedSwitchover(drill.context);
  expect(result.new_primary).not.toBe(result.old_primary);
  expect(result.replication_quorum_after).toEqual({ primary: false, standby: false });
  expect(result.acknowledged).toBeGreaterThan(0);
  expect(result.lost_ids).toEqual([]);
  expect(result.lost_transactions).toBe(0);
  expect(result.double_writable_samples).toBe(0);
}, 600_000);

test("unplanned: after kill -9 of the primary, the standby is promoted and only it accepts writes", async () => {
  unplanned = await unplannedFailover(drill.context);
  expect(unplanned.new_primary).not.toBe(unplanned.old_primary);
  expect(await drill.context.lab.isWritable(unplanned.new_primary)).toBe(true);
  expect(await drill.context.lab.isWritable(unplanned.old_primary)).toBe(false);
  expect(unplanned.double_writable_samples).toBe(0);
}, 600_000);

test("rejoin: the old primary comes back as a standby streaming from the new one, never accepting a write", async () => {
  const result = await rejoin(drill.context, unplanned.old_primary);
  expect(result.probes).toBeGreaterThan(0);
  expect(result.writes_accepted_on_old_primary).toBe(0);
  expect(result.in_recovery).toBe(true);
  expect(result.streaming_from_primary).toBe(true);
  expect(result.has_latest_writes).toBe(true);
  expect(result.double_writable_samples).toBe(0);
}, 600_000);

test("partition: the standby cut off from the primary (the witness sees both) is not promoted", async () => {
  // Longer than the monitor's unhealthy + demote timeouts (7 s + 6 s): a failover would have happened.
  const result = await partition(drill.context, 30);
  expect(result.promoted).toBe(false);
  expect(result.samples_not_exactly_the_primary).toBe(0);
  expect(result.primary_acks_last_10s).toBeGreaterThan(0);
  expect(result.lost_transactions).toBe(0);
}, 600_000);

test("primary isolated: cut off from the witness and the standby, it demotes itself before the standby is promoted", async () => {
  const result = await primaryIsolated(drill.context, 35);
  expect(result.promoted).not.toBe(result.isolated);
  expect(result.fenced_after_seconds).toBeLessThan(result.standby_writable_after_seconds);
  expect(result.acks_on_isolated_primary_after_promotion).toBe(0);
  expect(result.double_writable_samples).toBe(0);
  // Only what the isolated primary acknowledged around and after the cut may be missing (async replication).
  expect(result.lost_outside_isolation).toBe(0);
  expect(result.rejoined_as_secondary).toBe(true);
}, 600_000);

test("witness lost: rebuilt with an empty monitor, both nodes register again and the primary stays", async () => {
  const result = await witnessRebuild(drill.context);
  expect(result.primary_after).toBe(result.primary_before);
  expect(result.lost_transactions).toBe(0);
  expect(result.double_writable_samples).toBe(0);
}, 900_000);

test("primary lost for good: reinstalled from its seed it joins as a standby, and failback loses nothing", async () => {
  const result = await reinstallAndFailback(drill.context, "primary");
  expect(result.failover.new_primary).toBe("standby");
  expect(result.failover.double_writable_samples).toBe(0);
  expect(result.streaming_from_primary).toBe(true);
  expect(result.has_latest_writes).toBe(true);
  expect(result.failback.new_primary).toBe("primary");
  expect(result.failback.lost_transactions).toBe(0);
}, 900_000);

test("/healthz answered 200 on exactly the writable node at every observation point", () => {
  expect(drill.context.points.length).toBeGreaterThanOrEqual(8);
  for (const point of drill.context.points) {
    expect({ label: point.label, writable: point.writable.length, healthz200: point.healthz200 }).toEqual({
      label: point.label,
      writable: 1,
      healthz200: point.writable,
    });
  }
});

test("the observer never saw two writable nodes", () => {
  const result = splitBrainSamples(drill.context);
  expect(result.samples).toBeGreaterThan(100);
  expect(result.double_writable).toBe(0);
});

test("the rebuilt witness logged its promotions in an intact hash chain, posted them, and rejects a tampered copy", async () => {
  // the reinstall's failover and its failback
  const result = await failoverLog(drill.context, 2);
  expect(result.chain_intact).toBe(true);
  expect(result.promotions_logged).toBeGreaterThanOrEqual(2);
  expect(result.promotions_posted).toBe(result.promotions_logged);
  expect(result.tampered_copy_rejected).toBe(true);
}, 120_000);
