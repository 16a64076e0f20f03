// `npm run drill -- --scenario NAME --runs N`: the figures it reports, and the arguments it refuses
// before building anything (the runs themselves need root and a drill: sudo npm run drill -- ...).
import { spawnSync } from "node:child_process";
import * as path from "node:path";
import { repeatableScenarios, spread } from "../../drill/repeated-runs";

test("min, median and max of the runs; the median of an even count is the mean of the middle two", () => {
  expect(spread([7.1, 2.8, 4.0])).toEqual({ min: 2.8, median: 4.0, max: 7.1 });
  expect(spread([3, 1, 4, 2])).toEqual({ min: 1, median: 2.5, max: 4 });
  expect(() => spread([])).toThrow(/no values/);
});

test("the repeatable scenarios are the timed ones", () => {
  expect(Object.keys(repeatableScenarios)).toEqual(["planned", "unplanned", "postmaster-only"]);
});

test.each([
  [["--scenario", "partition"], /--scenario partition is not one of planned, unplanned, postmaster-only, flaky-wan/],
  [["--scenario", "planned", "--runs", "0"], /--runs must be a whole number from 1 to 20, got 0/],
  [["--scenario", "planned", "--runs", "2.5"], /--runs must be a whole number from 1 to 20, got 2\.5/],
])("refuses %j with a message and exit 2", (args, message) => {
  const result = spawnSync("npx", ["ts-node", "--transpile-only", path.join(__dirname, "../../drill/run-drill.ts"), ...args], { encoding: "utf8" });
  expect(result.stderr).toMatch(message);
  expect(result.status).toBe(2);
});

test("refuses a flaky WAN loss that is not a percentage, with a message and exit 2", () => {
  const result = spawnSync("npx", ["ts-node", "--transpile-only", path.join(__dirname, "../../drill/run-drill.ts"), "--scenario", "flaky-wan"], {
    encoding: "utf8",
    env: { ...process.env, DRILL_FLAKY_WAN_LOSS_PERCENT: "120" },
  });
  expect(result.stderr).toMatch(/DRILL_FLAKY_WAN_LOSS_PERCENT must be a whole number from 0 to 100, got 120/);
  expect(result.status).toBe(2);
});
