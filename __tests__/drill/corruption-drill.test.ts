// The corruption scenario (drill/corruption.ts) in a drill lab that archives WAL with the shipped
// pgBackRest settings: a table wrecked under the write load, and the shipped estate-pitr restoring
// the primary as it was one second before. Times are measured by `npm run drill -- --scenario
// corruption`, never asserted here.
import { CorruptionResult, corruption } from "../../drill/corruption";
import { drillLabForTests } from "../support/drill-lab";

let result: CorruptionResult;
// Thirty above the failover drill's ports (flaky WAN +10, media +20), so the labs can coexist.
drillLabForTests(
  "corruption",
  30,
  async (context) => {
    result = await corruption(context);
    process.stderr.write(`[corruption] ${JSON.stringify(result)}\n`);
  },
  { walArchiving: true },
);

test("streaming replication copied the damage to the standby: only point-in-time recovery helps", () => {
  expect(result.standby_wrecked_too).toBe(true);
});

test("the copy restored to one second before the damage holds every row acknowledged before then, and none of the damage", () => {
  expect(result.acknowledged_before_target).toBeGreaterThan(0);
  expect(result.missing_in_copy).toBe(0);
  expect(result.damaged_rows_in_copy).toBe(0);
  expect(result.rows_after_wreck_in_copy).toBe(0);
  expect(result.report.target).toBe(`time ${result.target}`);
  expect(result.ok).toBe(true);
});

test("the runbook's copy-back (promote the copy, dump the table, move the wrecked one aside, restore) brings every row back on the primary and, by streaming, on the standby", () => {
  expect(result.table_restored_on).toEqual({ primary: true, standby: true });
});
