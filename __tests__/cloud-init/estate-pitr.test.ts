// Point-in-time recovery on demand with the shipped estate-pitr script, real PostgreSQL 15 and
// pgBackRest (the shipped configuration, repo1 on disk): rows are written, a table is wrecked at
// time T, and a restore to T minus one second (then to just before the wrecking transaction) brings
// every row back and none of the damage, in an isolated copy; the live cluster is not touched.
// Then the copy is promoted (writable, new timeline) and discarded.
import * as fs from "node:fs";
import * as path from "node:path";
import { renderCloudConfig } from "../../cloud-init";
import { backupScripts, pitrCommand } from "../../cloud-init/pieces/backups";
import { nodePaths } from "../../cloud-init/node-paths";
import { PgbackrestLab, labStanza, pgBin, run, sleep } from "../support/pgbackrest-lab";
import { renderedFile } from "../support/rendered-files";

const ports = { postgres: 15545, copy: 15546, minio: 19170 } as const;
const lab = new PgbackrestLab({ ports, bucket: "unused" });
const document = renderCloudConfig(lab.node);
const bin = lab.mkdir("root", "bin");
const pitrDir = path.join(lab.root, "pitr", "copy");
const tables = "public.plays public.ledger";

const pitr = (...args: string[]) =>
  run("sh", [path.join(bin, "estate-pitr.sh"), ...args], { ...lab.env(), DR_ESTATE_ETC: lab.dirs.etc, PGDATA: lab.dirs.data, PITR_DIR: pitrDir, PITR_PORT: String(ports.copy) });

/** The report's `key: value` lines. */
function reportOf(stdout: string): Record<string, string> {
  return Object.fromEntries(stdout.trim().split("\n").map((line) => [line.slice(0, line.indexOf(": ")), line.slice(line.indexOf(": ") + 2)]));
}

const copySql = (sql: string) =>
  lab.mustAsPostgres([`${pgBin}/psql`, "-X", "-A", "-t", "-q", "-v", "ON_ERROR_STOP=1", "-h", path.join(pitrDir, "socket"), "-p", String(ports.copy), "-d", "mhc", "-c", sql]).trim();
let wreckedAt: Date;
let wreckXid: string;
let backupLabel: string;

beforeAll(async () => {
  for (const rel of backupScripts) {
    const name = path.basename(rel);
    fs.writeFileSync(path.join(bin, name), renderedFile(document, `${nodePaths.scripts}/${name}`), { mode: 0o755 });
  }
  fs.writeFileSync(path.join(lab.dirs.etc, "estate.env"), renderedFile(document, "/etc/dr-estate/estate.env"));
  lab.writePgbackrestConf(null);
  lab.initPrimary();
  lab.psql("CREATE TABLE plays (id bigserial PRIMARY KEY, note text); CREATE TABLE ledger (id bigserial PRIMARY KEY, amount int)");
  lab.psql("INSERT INTO plays (note) SELECT md5(g::text) FROM generate_series(1, 1000) g");
  for (const step of [["stanza-create"], ["--type=full", "backup"]]) {
    const result = lab.pgbackrest(...step);
    expect([step.join(" "), result.code, result.stderr]).toEqual([step.join(" "), 0, ""]);
  }
  backupLabel = JSON.parse(lab.pgbackrest("--output=json", "info").stdout)[0].backup[0].label;
  // Written after the backup: only the archived WAL brings these back.
  lab.psql("INSERT INTO plays (note) SELECT 'after the backup ' || g FROM generate_series(1, 500) g");
  lab.psql("INSERT INTO ledger (amount) SELECT g FROM generate_series(1, 700) g");
  await sleep(2_000);
  wreckedAt = new Date(lab.psql("SELECT to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')"));
  wreckXid = lab.psql("BEGIN; UPDATE plays SET note = 'encrypted by the intruder'; DELETE FROM ledger; SELECT txid_current(); COMMIT;").split("\n")[0];
  lab.psql("INSERT INTO plays (note) VALUES ('written after the damage')");
  await lab.archiveCurrentWal();
}, 180_000);

afterAll(() => lab.stop());

const pgTime = (date: Date) => `${date.toISOString().replace("T", " ").replace(/\.\d+Z$/, "")}+00`;

test("restore to T minus one second brings back every row written before T, none of the damage; the live cluster is untouched", () => {
  const target = pgTime(new Date(wreckedAt.getTime() - 1_000));
  const result = pitr("restore", "--time", target, "--tables", tables);
  expect([result.code, result.stderr.slice(-2000)]).toEqual([0, expect.any(String)]);
  const report = reportOf(result.stdout);
  expect(report.target).toBe(`time ${target}`);
  expect(report["backup set"]).toBe(`${backupLabel} (repo1)`);
  expect(report["WAL replayed to"]).toMatch(/^[0-9A-F]+\/[0-9A-F]+$/);
  expect(report["rows in public.plays"]).toBe("1500");
  expect(report["rows in public.ledger"]).toBe("700");
  expect(copySql("SELECT count(*) FROM plays WHERE note LIKE 'encrypted%' OR note = 'written after the damage'")).toBe("0");
  expect(copySql("SELECT pg_is_in_recovery()")).toBe("t");
  // Isolated: socket only, archiving off, nothing streams from it.
  expect(copySql("SELECT current_setting('listen_addresses') || '|' || current_setting('archive_mode')")).toBe("|off");
  expect(lab.psql("SELECT count(*) FROM plays WHERE note LIKE 'encrypted%'")).toBe("1500");
  expect(lab.psql("SELECT count(*) FROM ledger")).toBe("0");

  // A second restore over a copy that is there is refused, naming the way out.
  const again = pitr("restore", "--time", target);
  expect(again.code).toBe(1);
  expect(again.stderr).toContain("estate-pitr discard");
  expect(pitr("discard").code).toBe(0);
  expect(fs.existsSync(pitrDir)).toBe(false);
}, 300_000);

test("restore to just before the wrecking transaction, then promote: the copy is writable on a new timeline", () => {
  const result = pitr("restore", "--before-xid", wreckXid, "--tables", tables);
  expect([result.code, result.stderr.slice(-2000)]).toEqual([0, expect.any(String)]);
  const report = reportOf(result.stdout);
  expect(report.target).toBe(`xid ${wreckXid}`);
  expect(report["rows in public.plays"]).toBe("1500");
  expect(report["rows in public.ledger"]).toBe("700");
  expect(copySql("SELECT count(*) FROM plays WHERE note LIKE 'encrypted%'")).toBe("0");

  const promoted = pitr("promote");
  expect([promoted.code, promoted.stderr]).toEqual([0, ""]);
  expect(promoted.stdout).toMatch(/^promoted: .* is writable on timeline 2 /);
  copySql("INSERT INTO ledger (amount) VALUES (-1)");
  expect(copySql("SELECT count(*) FROM ledger")).toBe("701");
  expect(pitr("promote").stderr).toContain("promoted already");
  expect(pitr("discard").code).toBe(0);
  expect(fs.existsSync(pitrDir)).toBe(false);
}, 300_000);

test("bad input is refused with the option named", () => {
  expect(pitr("restore").stderr).toContain("restore needs --time or --before-xid");
  expect(pitr("restore", "--before-xid", "12; DROP").stderr).toContain("--before-xid must be a transaction id");
  expect(pitr("restore", "--time", "2026-01-01 00:00:00+00", "--tables", "plays;drop").stderr).toContain("--tables: 'plays;drop'");
  expect(pitr("restore", "--time", "2026-01-01 00:00:00+00", "--repo", "3").stderr).toContain("--repo must be 1");
  expect(pitr("frobnicate").code).toBe(2);
  expect(run("sh", [path.join(bin, "estate-pitr.sh"), "--help"]).stdout).toContain("estate-pitr promote");
  // The operator's command is the wrapper the node gets at /usr/local/sbin.
  const wrapper = renderedFile(document, pitrCommand);
  expect(wrapper).toContain(`exec ${nodePaths.scripts}/estate-pitr.sh "$@"`);
  fs.writeFileSync(path.join(bin, "estate-pitr"), wrapper);
  expect(run("shellcheck", [path.join(bin, "estate-pitr")])).toMatchObject({ code: 0, stdout: "" });
  expect(labStanza).toBe(lab.node.estateName);
});
