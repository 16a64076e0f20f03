// The backups piece's files as shipped, run by the real tools against a real local PostgreSQL 15:
// pg_dump per schedule with retention and metrics, the restore test of the newest dump (good,
// truncated, corrupted), the no-op on a server in recovery, pgBackRest WAL archiving and a
// point-in-time restore into a new data directory, media sync, ZFS snapshots (fake zfs), the cron
// file's syntax and shellcheck.
import { execFile, execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as http from "node:http";
import * as os from "node:os";
import * as path from "node:path";
import { renderCloudConfig } from "../../cloud-init";
import { backupPaths, backups, backupScripts, pgbackrestConfig } from "../../cloud-init/pieces/backups";
import { exampleNodeConfig } from "../support/example-node";
import { parseCloudConfig, renderedFile } from "../support/rendered-files";

const pgBin = "/usr/lib/postgresql/15/bin";
const ports = { primary: 15470, restored: 15471, standby: 15472, verifyScratch: 15473 } as const;
const webhookPort = 18470;
const scriptsDir = "/usr/local/lib/dr-estate";

const node = exampleNodeConfig("primary", {
  postgres: { majorVersion: 15, database: "mhc", synchronousReplication: false, source: "distribution" },
  alertWebhookUrl: `http://127.0.0.1:${webhookPort}/hooks/backups`,
});
const document = renderCloudConfig(node);
const postgresUid = Number(execFileSync("id", ["-u", "postgres"], { encoding: "utf8" }).trim());
const postgresGid = Number(execFileSync("id", ["-g", "postgres"], { encoding: "utf8" }).trim());

let root: string;
const dirs = {} as Record<"etc" | "etcNoWebhook" | "bin" | "sock" | "data" | "backups" | "metrics" | "repo" | "spool" | "pglog" | "lock" | "logs", string>;
const started: string[] = [];
let webhook: http.Server;
const alerts: string[] = [];

interface Result {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a command asynchronously (the webhook listener lives in this process) and never throws. */
function run(file: string, args: readonly string[], env: NodeJS.ProcessEnv = process.env, timeout = 120000): Promise<Result> {
  return new Promise((resolve) => {
    execFile(file, args, { env, encoding: "utf8", timeout, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === "number" ? error.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

async function mustRun(file: string, args: readonly string[], env?: NodeJS.ProcessEnv): Promise<string> {
  const result = await run(file, args, env);
  if (result.code !== 0) {
    throw new Error(`${file} ${args.join(" ")} exited ${result.code}\n${result.stdout}\n${result.stderr}`);
  }
  return result.stdout;
}

const asPostgres = (args: readonly string[], env?: NodeJS.ProcessEnv) => mustRun("runuser", ["-u", "postgres", "--", ...args], env);

/** The environment the shipped scripts run with: test folders instead of the production ones. */
function scriptEnv(port: number, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return {
    ...process.env,
    DR_ESTATE_ETC: dirs.etc,
    BACKUP_DIR: dirs.backups,
    TEXTFILE_DIR: dirs.metrics,
    PGHOST: dirs.sock,
    PGPORT: String(port),
    PGBACKREST_CONFIG: path.join(dirs.etc, "pgbackrest.conf"),
    BACKUP_VERIFY_SCRATCH_DIR: scratchDir(),
    BACKUP_VERIFY_PORT: String(ports.verifyScratch),
    ...extra,
  };
}

/** Where verify-latest-backup.sh makes its scratch cluster (inside a folder postgres can enter). */
const scratchDir = () => path.join(root, "verify-scratch", "cluster");

const script = (name: string, args: readonly string[], env: NodeJS.ProcessEnv) => run(path.join(dirs.bin, name), args, env);

async function psql(port: number, database: string, sql: string): Promise<string> {
  const out = await asPostgres([`${pgBin}/psql`, "-X", "-A", "-t", "-q", "-v", "ON_ERROR_STOP=1", "-h", dirs.sock, "-p", String(port), "-d", database, "-c", sql]);
  return out.trim();
}

function mkdirFor(owner: "root" | "postgres", ...parts: string[]): string {
  const dir = path.join(root, ...parts);
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  if (owner === "postgres") fs.chownSync(dir, postgresUid, postgresGid);
  return dir;
}

async function initdb(name: string): Promise<string> {
  const data = mkdirFor("postgres", "pg", name);
  await asPostgres([`${pgBin}/initdb`, "-D", data, "-A", "peer", "--no-sync", "-U", "postgres"]);
  return data;
}

async function startServer(data: string, port: number, env: NodeJS.ProcessEnv = {}): Promise<void> {
  const options = `-p ${port} -k ${dirs.sock} -c listen_addresses='' -c fsync=off`;
  await mustRun("runuser", ["-u", "postgres", "--", `${pgBin}/pg_ctl`, "-D", data, "-l", path.join(dirs.logs, `${path.basename(data)}.log`), "-w", "-t", "60", "-o", options, "start"], {
    ...process.env,
    PGBACKREST_CONFIG: path.join(dirs.etc, "pgbackrest.conf"),
    ...env,
  });
  started.push(data);
}

async function waitFor(what: string, check: () => Promise<boolean>, seconds = 60): Promise<void> {
  const deadline = Date.now() + seconds * 1000;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`timed out waiting for ${what}`);
}

function metrics(name: string): string {
  return fs.readFileSync(path.join(dirs.metrics, `${name}.prom`), "utf8");
}

function metricValue(text: string, metric: string): number {
  const line = text.split("\n").find((l) => l.startsWith(metric + " ") || l.startsWith(metric + "{"));
  if (!line) throw new Error(`no ${metric} in\n${text}`);
  return Number(line.split(" ").pop());
}

function dumpsOf(schedule: string): string[] {
  return fs.readdirSync(path.join(dirs.backups, schedule)).sort();
}

beforeAll(async () => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), "dr-estate-backups-"));
  fs.chmodSync(root, 0o755);
  dirs.etc = mkdirFor("root", "etc");
  fs.chmodSync(dirs.etc, 0o755);
  dirs.bin = mkdirFor("root", "bin");
  fs.chmodSync(dirs.bin, 0o755);
  dirs.sock = mkdirFor("postgres", "sock");
  dirs.backups = mkdirFor("root", "backups");
  dirs.metrics = mkdirFor("root", "metrics");
  dirs.repo = mkdirFor("postgres", "repo");
  dirs.spool = mkdirFor("postgres", "spool");
  dirs.pglog = mkdirFor("postgres", "pgbackrest-log");
  dirs.lock = mkdirFor("postgres", "lock");
  dirs.logs = mkdirFor("postgres", "logs");
  fs.mkdirSync(path.join(root, "pg"), { mode: 0o755 });
  fs.mkdirSync(path.join(root, "verify-scratch"), { mode: 0o755 });

  // The files as shipped: scripts and settings from the rendered primary document.
  for (const rel of backupScripts) {
    const name = path.basename(rel);
    fs.writeFileSync(path.join(dirs.bin, name), renderedFile(document, `${scriptsDir}/${name}`), { mode: 0o755 });
  }
  for (const name of ["estate.env", "backups.env"]) {
    fs.writeFileSync(path.join(dirs.etc, name), renderedFile(document, `/etc/dr-estate/${name}`), { mode: 0o644 });
  }
  // The same settings from a node rendered with no alert webhook (posting is skipped).
  dirs.etcNoWebhook = mkdirFor("root", "etc-no-webhook");
  fs.chmodSync(dirs.etcNoWebhook, 0o755);
  const noWebhook = renderCloudConfig({ ...node, alertWebhookUrl: "" });
  for (const name of ["estate.env", "backups.env"]) {
    fs.writeFileSync(path.join(dirs.etcNoWebhook, name), renderedFile(noWebhook, `/etc/dr-estate/${name}`), { mode: 0o644 });
  }
  const confD = mkdirFor("root", "etc", "postgresql.conf.d");
  fs.chmodSync(confD, 0o755);
  fs.writeFileSync(path.join(confD, "50-wal-archiving.conf"), renderedFile(document, backupPaths.walArchivingConf), { mode: 0o644 });

  webhook = http.createServer((request, response) => {
    let body = "";
    request.on("data", (chunk) => (body += chunk));
    request.on("end", () => {
      alerts.push(body);
      response.end("ok");
    });
  });
  await new Promise<void>((resolve, reject) => {
    webhook.once("error", reject);
    webhook.listen(webhookPort, "127.0.0.1", resolve);
  });

  // The test's pgBackRest config, rendered from the shipped template with this suite's paths.
  dirs.data = await initdb("primary");
  fs.writeFileSync(
    path.join(dirs.etc, "pgbackrest.conf"),
    pgbackrestConfig(node, {
      repoPath: dirs.repo,
      spoolPath: dirs.spool,
      lockPath: dirs.lock,
      logPath: dirs.pglog,
      pgPath: dirs.data,
      pgPort: ports.primary,
      pgSocketPath: dirs.sock,
    }),
    { mode: 0o644 },
  );
  // The shipped enable-wal-archiving.sh includes the conf.d folder while the cluster is down...
  const enable = await script("enable-wal-archiving.sh", [], scriptEnv(ports.primary, { PGDATA: dirs.data, PG_CONF_D: confD }));
  expect(enable.code).toBe(0);
  expect(enable.stderr).toContain("PostgreSQL is not running");
  await startServer(dirs.data, ports.primary);
  await psql(ports.primary, "postgres", "CREATE DATABASE mhc");
  await psql(
    ports.primary,
    "mhc",
    `CREATE TABLE artists (id int PRIMARY KEY, name text);
     CREATE TABLE songs (id int PRIMARY KEY, artist_id int REFERENCES artists, title text);
     CREATE TABLE plays (id bigserial PRIMARY KEY, song_id int REFERENCES songs, played_at timestamptz DEFAULT now(), note text);
     CREATE TABLE refunds (id int);
     INSERT INTO artists SELECT g, 'artist ' || g FROM generate_series(1, 50) g;
     INSERT INTO songs SELECT g, 1 + g % 50, md5(g::text) FROM generate_series(1, 500) g;
     INSERT INTO plays (song_id, note) SELECT 1 + g % 500, md5(g::text) || md5((g * 7)::text) FROM generate_series(1, 30000) g;`,
  );
  // ...and, run again on the running primary, creates the stanza and passes `pgbackrest check`.
  const enableAgain = await script("enable-wal-archiving.sh", [], scriptEnv(ports.primary, { PGDATA: dirs.data, PG_CONF_D: confD }));
  expect(enableAgain.stderr).toContain("WAL archiving to stanza mhc-dr works");
  expect(enableAgain.code).toBe(0);
});

afterAll(async () => {
  for (const data of started.reverse()) {
    await run("runuser", ["-u", "postgres", "--", `${pgBin}/pg_ctl`, "-D", data, "-m", "immediate", "-w", "-t", "30", "stop"]);
  }
  if (webhook?.listening) {
    webhook.closeAllConnections();
    await new Promise((resolve) => webhook.close(resolve));
  }
  if (root) fs.rmSync(root, { recursive: true, force: true });
});

describe("what the document ships", () => {
  test("both data nodes carry the backup scripts, the cron file and the pgBackRest config; the witness does not", () => {
    for (const role of ["primary", "standby"] as const) {
      const doc = renderCloudConfig(exampleNodeConfig(role));
      const paths = parseCloudConfig(doc).write_files.map((f) => f.path);
      expect(paths).toEqual(expect.arrayContaining([backupPaths.cronFile, backupPaths.pgbackrestConf, `${scriptsDir}/pg-dump-backup.sh`]));
    }
    const witness = parseCloudConfig(renderCloudConfig(exampleNodeConfig("witness"))).write_files.map((f) => f.path);
    expect(witness).not.toContain(backupPaths.cronFile);
  });

  test("the PostgreSQL settings archive through pgBackRest every 5 minutes at most", () => {
    const conf = renderedFile(document, backupPaths.walArchivingConf);
    expect(conf).toMatch(/^archive_mode = on$/m);
    expect(conf).toMatch(/^wal_level = replica$/m);
    expect(conf).toContain("archive_command = 'pgbackrest --stanza=mhc-dr archive-push %p'");
    expect(Number(/^archive_timeout = (\d+)$/m.exec(conf)![1])).toBeLessThanOrEqual(300);
  });

  test("pgbackrest.conf: async archive, zstd, time-based retention; repo2 only with an off-site bucket, encrypted", async () => {
    const plain = renderedFile(document, backupPaths.pgbackrestConf);
    expect(plain).toMatch(/^\[mhc-dr\]$/m);
    expect(plain).toMatch(/^archive-async=y$/m);
    expect(plain).toMatch(/^archive-push-queue-max=2GiB$/m);
    expect(plain).toMatch(/^compress-type=zst$/m);
    expect(plain).toMatch(/^repo1-retention-full-type=time$/m);
    expect(plain).toMatch(/^repo1-retention-full=30$/m);
    expect(plain).not.toMatch(/^repo2-/m);

    const offsite = backups(node, {
      offsite: {
        endpoint: "s3.example.com",
        region: "eu-central",
        bucket: "mhc-dr-backups",
        path: "/mhc-dr",
        accessKeyId: "AKIAEXAMPLE",
        secretAccessKey: "secretexample",
        cipherPassphrase: "passphraseexample0123456789",
        retentionDays: 90,
      },
    });
    const conf = offsite.writeFiles!.find((f) => f.path === backupPaths.pgbackrestConf)!.content;
    expect(conf).toMatch(/^repo2-type=s3$/m);
    expect(conf).toMatch(/^repo2-cipher-type=aes-256-cbc$/m);
    expect(conf).toMatch(/^repo2-retention-full=90$/m);
    expect(offsite.writeFiles!.find((f) => f.path === backupPaths.settingsFile)!.content).toContain('PGBACKREST_REPOS="${PGBACKREST_REPOS:-1 2}"');
    // pgBackRest itself parses it: every option is known (reading repo1 only, no network).
    const file = path.join(root, "offsite-pgbackrest.conf");
    fs.writeFileSync(file, conf, { mode: 0o644 });
    const info = await run("runuser", ["-u", "postgres", "--", "pgbackrest", `--config=${file}`, `--repo1-path=${dirs.repo}`, `--log-path=${dirs.pglog}`, `--lock-path=${dirs.lock}`, "--stanza=mhc-dr", "--repo=1", "info"]);
    expect(info.stdout + info.stderr).not.toMatch(/invalid|WARN:|ERROR:/);
    expect(info.code).toBe(0);
  });

  test("shellcheck passes on every script as shipped", async () => {
    const names = backupScripts.map((rel) => path.basename(rel));
    const result = await run("sh", ["-c", `cd '${dirs.bin}' && shellcheck -x ${names.join(" ")}`]);
    expect(result.stdout + result.stderr).toBe("");
    expect(result.code).toBe(0);
  });

  test("the cron file is valid (5 fields + user), UTC, and names only shipped scripts with valid arguments", () => {
    const cron = renderedFile(document, backupPaths.cronFile);
    expect(cron.endsWith("\n")).toBe(true);
    const shipped = new Map(parseCloudConfig(document).write_files.map((f) => [f.path, f]));
    const ranges: Array<[number, number]> = [[0, 59], [0, 23], [1, 31], [1, 12], [0, 7]];
    const validField = (field: string, [min, max]: [number, number]) =>
      field.split(",").every((part) => {
        const match = /^(\*|(\d+)(?:-(\d+))?)(?:\/(\d+))?$/.exec(part);
        if (!match) return false;
        const [, , from, to, step] = match;
        const inRange = (n?: string) => n === undefined || (Number(n) >= min && Number(n) <= max);
        return inRange(from) && inRange(to) && (to === undefined || Number(from) <= Number(to)) && (step === undefined || Number(step) > 0);
      });
    const allowedArgs: Record<string, string[]> = {
      "pg-dump-backup.sh": ["hourly", "daily", "weekly"],
      "pgbackrest-backup.sh": ["full", "diff", "incr", "check", "verify"],
      "verify-latest-backup.sh": [],
      "media-cold-sync.sh": [],
      "zfs-snapshots.sh": [],
    };
    const jobs: string[] = [];
    for (const line of cron.split("\n")) {
      if (line.trim() === "" || line.trimStart().startsWith("#")) continue;
      if (/^[A-Z_]+=/.test(line)) continue;
      const fields = line.trim().split(/\s+/);
      expect(fields.length).toBeGreaterThanOrEqual(7);
      fields.slice(0, 5).forEach((field, i) => expect([line, validField(field, ranges[i])]).toEqual([line, true]));
      expect(fields[5]).toBe("root");
      expect(line).not.toContain("%");
      const command = fields[6];
      const file = shipped.get(command);
      expect([command, file?.permissions]).toEqual([command, "0755"]);
      const name = path.basename(command);
      const args = fields.slice(7, fields.indexOf(">>"));
      expect(args.every((a) => allowedArgs[name]?.includes(a))).toBe(true);
      jobs.push(`${fields.slice(0, 5).join(" ")} ${name} ${args.join(" ")}`.trim());
    }
    expect(cron).toMatch(/^CRON_TZ=UTC$/m);
    expect(jobs).toEqual(
      expect.arrayContaining([
        "0 * * * * pg-dump-backup.sh hourly",
        "0 2 * * * pg-dump-backup.sh daily",
        "0 3 * * 0 pg-dump-backup.sh weekly",
        "0 4 * * * verify-latest-backup.sh",
        "0 */6 * * * zfs-snapshots.sh",
        "0 1 * * 0 pgbackrest-backup.sh full",
        "0 1 * * 1-6 pgbackrest-backup.sh diff",
        "30 * * * * pgbackrest-backup.sh incr",
        "0 5 * * * pgbackrest-backup.sh check",
      ]),
    );
    expect(jobs.some((j) => j.endsWith("media-cold-sync.sh"))).toBe(true);
  });
});

describe("pg_dump backups on the primary", () => {
  test("each schedule's dump is a valid custom-format archive, old dumps are pruned, fresh ones kept, metrics written", async () => {
    const old = { hourly: "3 days ago", daily: "31 days ago", weekly: "13 weeks ago" };
    const keep = { hourly: "47 hours ago", daily: "29 days ago", weekly: "11 weeks ago" };
    for (const schedule of ["hourly", "daily", "weekly"] as const) {
      const dir = mkdirFor("root", "backups", schedule);
      const oldFile = path.join(dir, `mhc-${schedule}-20000101T000000Z.dump`);
      const keptFile = path.join(dir, `mhc-${schedule}-20000102T000000Z.dump`);
      fs.writeFileSync(oldFile, "old");
      fs.writeFileSync(keptFile, "kept");
      execFileSync("touch", ["-d", old[schedule], oldFile]);
      execFileSync("touch", ["-d", keep[schedule], keptFile]);

      const before = Math.floor(Date.now() / 1000);
      const result = await script("pg-dump-backup.sh", [schedule], scriptEnv(ports.primary));
      expect(result.stderr).toContain(`pruned ${oldFile}`);
      expect(result.code).toBe(0);

      const files = dumpsOf(schedule);
      expect(files).not.toContain(path.basename(oldFile));
      expect(files).toContain(path.basename(keptFile));
      const fresh = files.filter((f) => /^mhc-[a-z]+-\d{8}T\d{6}Z\.dump$/.test(f) && !f.startsWith(`mhc-${schedule}-2000`));
      expect(fresh).toHaveLength(1);
      expect(fresh[0]).toMatch(new RegExp(`^mhc-${schedule}-\\d{8}T\\d{6}Z\\.dump$`));
      expect(files.filter((f) => f.startsWith("."))).toEqual([]);
      const list = await mustRun(`${pgBin}/pg_restore`, ["--list", path.join(dir, fresh[0])]);
      expect(list).toMatch(/TABLE public songs/);
      expect(list).toMatch(/TABLE DATA public plays/);

      const text = metrics(`dr_estate_backup_${schedule}`);
      const stamp = metricValue(text, `dr_estate_backup_last_success_timestamp_seconds{schedule="${schedule}"}`);
      expect(stamp).toBeGreaterThanOrEqual(before);
      expect(stamp).toBeLessThanOrEqual(Math.floor(Date.now() / 1000));
    }
    expect((await script("pg-dump-backup.sh", ["monthly"], scriptEnv(ports.primary))).code).toBe(64);
  });

  describe("verify-latest-backup.sh", () => {
    // Nothing of a verification lands in the live cluster, and its scratch cluster is gone after it.
    const verificationDatabases = async () => {
      const live = await psql(ports.primary, "postgres", "SELECT count(*) FROM pg_database WHERE datname LIKE 'dr_estate_verify%'");
      return fs.existsSync(scratchDir()) ? `${live} and a scratch cluster left behind` : live;
    };
    const liveRowsWritten = () => psql(ports.primary, "postgres", "SELECT sum(tup_inserted) FROM pg_stat_database");

    test("passes on a good dump restored into a scratch cluster: metric 1, the live cluster untouched, nothing left, no alert", async () => {
      alerts.length = 0;
      const writtenBefore = Number(await liveRowsWritten());
      const result = await script("verify-latest-backup.sh", [], scriptEnv(ports.primary));
      expect(result.stderr).toContain(`scratch cluster at ${scratchDir()}/data, port ${ports.verifyScratch}`);
      expect(result.stderr).toMatch(/table public\.plays: 30000 rows/);
      expect(result.stderr).toContain("passed");
      expect(result.code).toBe(0);
      const text = metrics("dr_estate_backup_verification");
      expect(metricValue(text, "dr_estate_backup_verification_success")).toBe(1);
      expect(metricValue(text, "dr_estate_backup_verification_timestamp_seconds")).toBeGreaterThan(0);
      expect(metricValue(metrics("dr_estate_backup_verification_skipped"), "dr_estate_backup_verification_skipped")).toBe(0);
      expect(await verificationDatabases()).toBe("0");
      // Restoring the dump's 30,550 rows into the live cluster would count here (a few catalogue rows may).
      expect(Number(await liveRowsWritten()) - writtenBefore).toBeLessThan(1000);
      expect(alerts).toEqual([]);
    });

    test("skips with metric 1 and an alert when the disk has no room for the restore, and leaves nothing", async () => {
      alerts.length = 0;
      const before = metrics("dr_estate_backup_verification");
      // The real free space of the scratch folder's filesystem, against a need made larger than it.
      const result = await script("verify-latest-backup.sh", [], scriptEnv(ports.primary, { BACKUP_VERIFY_SPACE_FACTOR: "100000000" }));
      expect(result.stderr).toMatch(/SKIPPED: restoring .* needs \d+ KiB free in .*verify-scratch, it has \d+ KiB/);
      expect(result.code).toBe(0);
      expect(metricValue(metrics("dr_estate_backup_verification_skipped"), "dr_estate_backup_verification_skipped")).toBe(1);
      expect(metrics("dr_estate_backup_verification")).toBe(before);
      expect(await verificationDatabases()).toBe("0");
      expect(alerts).toHaveLength(1);
      expect(JSON.parse(alerts[0]).text).toContain("backup verification skipped");
    });

    test("refuses a scratch folder that would hold the live cluster", async () => {
      const result = await script("verify-latest-backup.sh", [], scriptEnv(ports.primary, { BACKUP_VERIFY_SCRATCH_DIR: path.dirname(dirs.data), PGDATA: dirs.data }));
      expect(result.stderr).toContain("holds the live cluster");
      expect(result.code).not.toBe(0);
      expect(fs.existsSync(path.join(dirs.data, "PG_VERSION"))).toBe(true);
    });

    test("the table list and the rows requirement are enforced; no alert is posted without a webhook URL", async () => {
      alerts.length = 0;
      const missing = await script("verify-latest-backup.sh", [], scriptEnv(ports.primary, { BACKUP_VERIFY_TABLES: "public.songs,public.no_such_table", DR_ESTATE_ETC: dirs.etcNoWebhook }));
      expect(missing.stderr).toContain("table public.no_such_table is missing");
      expect(missing.stderr).toContain("ALERT_WEBHOOK_URL is empty");
      expect(missing.code).not.toBe(0);
      const empty = await script("verify-latest-backup.sh", [], scriptEnv(ports.primary, { BACKUP_VERIFY_TABLES: "songs refunds", BACKUP_VERIFY_REQUIRE_ROWS: "yes", DR_ESTATE_ETC: dirs.etcNoWebhook }));
      expect(empty.stderr).toContain("table refunds is empty");
      expect(empty.code).not.toBe(0);
      const listed = await script("verify-latest-backup.sh", [], scriptEnv(ports.primary, { BACKUP_VERIFY_TABLES: "songs public.plays", BACKUP_VERIFY_REQUIRE_ROWS: "yes" }));
      expect(listed.code).toBe(0);
      expect(await verificationDatabases()).toBe("0");
      expect(alerts).toEqual([]);
    });

    async function expectFailureOn(damage: (good: Buffer) => Buffer, label: string) {
      const dir = path.join(dirs.backups, "hourly");
      const good = dumpsOf("hourly").filter((f) => !f.startsWith("mhc-hourly-2000")).pop()!;
      const bad = path.join(dir, `mhc-hourly-29990101T000000Z-${label}.dump`);
      fs.writeFileSync(bad, damage(fs.readFileSync(path.join(dir, good))));
      execFileSync("touch", ["-d", "+1 minute", bad]); // the newest dump
      alerts.length = 0;
      try {
        const result = await script("verify-latest-backup.sh", [], scriptEnv(ports.primary));
        expect(result.stderr).toContain(`verifying ${bad}`);
        expect(result.stderr).toContain("FAILED");
        expect(result.code).not.toBe(0);
        const text = metrics("dr_estate_backup_verification");
        expect(metricValue(text, "dr_estate_backup_verification_success")).toBe(0);
        expect(alerts).toHaveLength(1);
        const alert = JSON.parse(alerts[0]);
        expect(alert).toMatchObject({ estate: "mhc-dr", source: "verify-latest-backup", severity: "critical" });
        expect(alert.text).toContain("backup verification failed");
        expect(await verificationDatabases()).toBe("0");
      } finally {
        fs.rmSync(bad);
      }
    }

    test("fails non-zero with metric 0 and an alert on a truncated dump", async () => {
      await expectFailureOn((good) => good.subarray(0, Math.floor(good.length * 0.6)), "truncated");
    });

    test("fails non-zero with metric 0 and an alert on a corrupted dump", async () => {
      await expectFailureOn((good) => {
        const bad = Buffer.from(good);
        const start = Math.floor(bad.length * 0.5);
        for (let i = start; i < start + 4096 && i < bad.length; i++) bad[i] = (i * 37) & 0xff;
        return bad;
      }, "corrupted");
    });
  });
});

describe("on a server in recovery (a standby)", () => {
  test("the dump, verification and pgBackRest jobs log that they skip and do nothing", async () => {
    const data = await initdb("standby");
    fs.writeFileSync(path.join(data, "standby.signal"), "");
    fs.chownSync(path.join(data, "standby.signal"), postgresUid, postgresGid);
    await startServer(data, ports.standby);
    expect(await psql(ports.standby, "postgres", "SELECT pg_is_in_recovery()")).toBe("t");

    const standbyBackups = mkdirFor("root", "standby-backups");
    const standbyMetrics = mkdirFor("root", "standby-metrics");
    const env = scriptEnv(ports.standby, { BACKUP_DIR: standbyBackups, TEXTFILE_DIR: standbyMetrics });
    for (const [name, args] of [["pg-dump-backup.sh", ["hourly"]], ["verify-latest-backup.sh", []], ["pgbackrest-backup.sh", ["incr"]]] as const) {
      const result = await script(name, args, env);
      expect(result.stderr).toMatch(/in recovery \(standby\): skipping/);
      expect(result.code).toBe(0);
    }
    expect(fs.readdirSync(standbyBackups)).toEqual([]);
    expect(fs.readdirSync(standbyMetrics)).toEqual([]);
  });
});

describe("pgBackRest point-in-time recovery", () => {
  test("a row inserted after the full backup is back after restoring into a new data directory", async () => {
    const full = await script("pgbackrest-backup.sh", ["full"], scriptEnv(ports.primary));
    expect(full.code).toBe(0);
    expect(metricValue(metrics("dr_estate_pgbackrest_full"), 'dr_estate_pgbackrest_last_success_timestamp_seconds{operation="full"}')).toBeGreaterThan(0);
    const info = await asPostgres(["pgbackrest", "--stanza=mhc-dr", "--output=json", "info"], scriptEnv(ports.primary));
    expect(JSON.parse(info)[0].backup.map((b: { type: string }) => b.type)).toContain("full");

    await psql(ports.primary, "mhc", "INSERT INTO songs VALUES (100001, 1, 'recorded after the base backup')");
    const segment = await psql(ports.primary, "postgres", "SELECT pg_walfile_name(pg_switch_wal())");
    await waitFor(`archiving of ${segment}`, async () => {
      const archived = await psql(ports.primary, "postgres", "SELECT coalesce(last_archived_wal, '') FROM pg_stat_archiver");
      return archived >= segment;
    });
    // The daily `check` job works against the live archive too.
    expect((await script("pgbackrest-backup.sh", ["check"], scriptEnv(ports.primary))).code).toBe(0);
    expect(metricValue(metrics("dr_estate_pgbackrest_check_result"), 'dr_estate_pgbackrest_last_run_success{operation="check"}')).toBe(1);

    // Lose the primary, restore into a new data directory to the end of the archive.
    await run("runuser", ["-u", "postgres", "--", `${pgBin}/pg_ctl`, "-D", dirs.data, "-m", "immediate", "-w", "stop"]);
    started.splice(started.indexOf(dirs.data), 1);
    const restored = mkdirFor("postgres", "pg", "restored");
    await asPostgres(["pgbackrest", "--stanza=mhc-dr", `--pg1-path=${restored}`, "--archive-mode=off", "restore"], scriptEnv(ports.restored));
    await startServer(restored, ports.restored, { PGBACKREST_PG1_PATH: restored });
    await waitFor("the restored cluster to finish recovery", async () => {
      const state = await run("runuser", ["-u", "postgres", "--", `${pgBin}/psql`, "-X", "-A", "-t", "-h", dirs.sock, "-p", String(ports.restored), "-d", "postgres", "-c", "SELECT pg_is_in_recovery()"]);
      return state.code === 0 && state.stdout.trim() === "f";
    }, 90);
    expect(await psql(ports.restored, "mhc", "SELECT title FROM songs WHERE id = 100001")).toBe("recorded after the base backup");
    expect(await psql(ports.restored, "mhc", "SELECT count(*) FROM plays")).toBe("30000");
  });
});

describe("media and ZFS", () => {
  test("media-cold-sync.sh without an off-site bucket says so and copies nothing to this disk (media-cold-copy.test.ts has the bucket)", async () => {
    const media = mkdirFor("root", "media");
    fs.writeFileSync(path.join(media, "song.flac"), "audio");
    const before = fs.readdirSync(root).sort();
    const result = await script("media-cold-sync.sh", [], scriptEnv(ports.primary, { MEDIA_DIR: media, DR_ESTATE_ETC: dirs.etcNoWebhook }));
    expect([result.code, result.stderr]).toEqual([0, expect.stringContaining("no off-site bucket for the media")]);
    expect(fs.readdirSync(root).sort()).toEqual(before);
    expect(fs.existsSync(path.join(dirs.metrics, "dr_estate_media_sync.prom"))).toBe(false);
  });

  test("zfs-snapshots.sh logs and exits 0 with no dataset configured (the shipped default)", async () => {
    const result = await script("zfs-snapshots.sh", [], scriptEnv(ports.primary));
    expect(result.stderr).toContain("no ZFS dataset configured");
    expect(result.code).toBe(0);
  });

  test("zfs-snapshots.sh snapshots the dataset and destroys only its own snapshots older than 14 days", async () => {
    const fakeBin = mkdirFor("root", "fake-zfs");
    const calls = path.join(fakeBin, "calls.log");
    const now = Math.floor(Date.now() / 1000);
    const listing = [
      `tank/media@dr-estate-old\t${now - 20 * 86400}`,
      `tank/media@dr-estate-recent\t${now - 2 * 86400}`,
      `tank/media@manual-keep\t${now - 60 * 86400}`,
    ].join("\n");
    fs.writeFileSync(path.join(fakeBin, "listing"), listing + "\n");
    fs.writeFileSync(
      path.join(fakeBin, "zfs"),
      `#!/bin/sh\necho "$*" >> '${calls}'\nif [ "$1" = list ]; then cat '${path.join(fakeBin, "listing")}'; fi\n`,
      { mode: 0o755 },
    );
    const env = scriptEnv(ports.primary, { ZFS_DATASET: "tank/media", PATH: `${fakeBin}:${process.env.PATH}` });
    const result = await script("zfs-snapshots.sh", [], env);
    expect(result.code).toBe(0);
    const log = fs.readFileSync(calls, "utf8").trim().split("\n");
    expect(log[0]).toMatch(/^snapshot tank\/media@dr-estate-\d{8}T\d{6}Z$/);
    expect(log).toContain("list -H -p -t snapshot -o name,creation -d 1 tank/media");
    expect(log.filter((l) => l.startsWith("destroy"))).toEqual(["destroy tank/media@dr-estate-old"]);
    expect(metricValue(metrics("dr_estate_zfs_snapshot"), "dr_estate_zfs_snapshot_last_success_timestamp_seconds")).toBeGreaterThan(0);
  });
});
