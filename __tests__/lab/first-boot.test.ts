// The rendered seeds build a working estate from nothing, and a day-2 change reaches it without a
// failover: npm run first-boot -- --converge, as a test. Three Debian 12 containers with systemd as
// PID 1 boot from their NoCloud seeds (made by OpenTofu from the lab stack), are checked from outside,
// rebuilt from their seeds, and converged under a write load. Needs root; 15-25 minutes (cloud-init alone takes 4-7 minutes per node on two cores).
import type { Check } from "../../lab/checks";
import { runLab } from "../../lab/cli";
import type { ConvergeReport } from "../../lab/converge-drill";
import type { FirstBootReport } from "../../lab/first-boot";
import { Lab } from "../../lab/lab";

jest.setTimeout(60 * 60 * 1000);

const lab = new Lab();
let report: { first_boot: FirstBootReport; converge?: ConvergeReport };

beforeAll(async () => {
  report = await runLab(lab, { converge: true, log: (line) => process.stderr.write(`[lab] ${line}\n`) });
});

afterAll(() => lab.destroy());

const failing = (checks: readonly Check[]) => checks.filter((check) => !check.ok);

test("cloud-init runs each node's whole document without an error, and every unit it enables is active", () => {
  for (const node of Object.values(report.first_boot.nodes)) {
    expect(node.cloud_init).toMatchObject({ status: "done", errors: [] });
    expect(failing(node.checks)).toEqual([]);
  }
});

test("the formation forms by itself and the estate serves: healthz, RTMP to HLS, NATS, backups, the host firewall", () => {
  expect(report.first_boot.estate.length).toBeGreaterThanOrEqual(9);
  expect(failing(report.first_boot.estate)).toEqual([]);
});

test("a second boot is clean and changes nothing", () => {
  expect(failing(report.first_boot.second_boot.checks)).toEqual([]);
});

test("the standby rebuilt from its seed comes back as secondary, with its data and without, losing no acknowledged write", () => {
  expect(failing([...report.first_boot.rebuild_with_volume.checks, ...report.first_boot.rebuild_without_volume.checks])).toEqual([]);
  expect(report.first_boot.writes.acknowledged).toBeGreaterThan(100);
  expect(report.first_boot.writes.lost).toBe(0);
});

test("a day-2 change reaches all three nodes through converge: no failover, no write lost, every new setting in use", () => {
  expect(report.converge!.checks.length).toBe(10);
  expect(failing(report.converge!.checks)).toEqual([]);
  expect(report.converge!.failovers).toBe(0);
  expect(report.converge!.writes.lost).toBe(0);
});
