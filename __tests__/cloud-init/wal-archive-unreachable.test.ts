// The off-site repository becomes unreachable (MinIO stopped) while a real PostgreSQL 15 archives
// WAL through the shipped pgBackRest configuration (async archive-push, both repositories). The
// shipped postgres_exporter queries are scraped by a real Prometheus that loads the shipped rule
// file, so the alert conditions are the shipped rules evaluated on real values. Past
// archive-push-queue-max (4 MiB here instead of 2 GiB, with 1 MiB WAL segments) pgBackRest drops the
// waiting WAL and says so, and the WAL waiting on the primary's disk stays bounded.
import { type ChildProcess, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { renderCloudConfig } from "../../cloud-init";
import { monitoringPaths } from "../../cloud-init/pieces/monitoring";
import { exampleNodeConfig } from "../support/example-node";
import { PgbackrestLab, sleep, waitFor } from "../support/pgbackrest-lab";
import { renderedFile } from "../support/rendered-files";

const ports = { postgres: 15530, minio: 19140, exporter: 19150, prometheus: 19151 } as const;
const queueMaxMiB = 4;
const lab = new PgbackrestLab({
  ports,
  bucket: "mhc-dr-offsite-backups",
  // io-timeout 5 s instead of 60: each push to the stopped MinIO gives up sooner, so the test
  // waits minutes, not a quarter of an hour, for pgBackRest's next look at the queue.
  configEdits: [{ from: "archive-push-queue-max=2GiB\n", to: `archive-push-queue-max=${queueMaxMiB}MiB\nio-timeout=5\n` }],
  initdbOptions: ["--wal-segsize=1"],
});
const children: ChildProcess[] = [];

const daemonLogs: string[] = [];

function startDaemon(binary: string, args: string[], user: "postgres" | "prometheus", env: NodeJS.ProcessEnv = {}): ChildProcess {
  const child = spawn("runuser", ["-u", user, "--", binary, ...args], { cwd: lab.root, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  const name = path.basename(binary);
  child.stdout?.on("data", (d) => daemonLogs.push(`${name}: ${d}`));
  child.stderr?.on("data", (d) => daemonLogs.push(`${name}: ${d}`));
  children.push(child);
  return child;
}

interface Alert {
  labels: Record<string, string>;
  state: string;
}

async function prometheus(api: string): Promise<any> {
  const response = await fetch(`http://127.0.0.1:${ports.prometheus}/api/v1/${api}`);
  const body = (await response.json()) as { status: string; data: any };
  if (body.status !== "success") throw new Error(`Prometheus ${api}: ${JSON.stringify(body)}`);
  return body.data;
}

/** The value Prometheus holds now for `query` (one series), or undefined. */
async function instant(query: string): Promise<number | undefined> {
  const data = await prometheus(`query?query=${encodeURIComponent(query)}`);
  return data.result.length === 1 ? Number(data.result[0].value[1]) : undefined;
}

async function alertState(name: string): Promise<string | undefined> {
  const data = (await prometheus("alerts")) as { alerts: Alert[] };
  return data.alerts.find((a) => a.labels.alertname === name && a.labels.node === "primary")?.state;
}

const readyCount = () => Number(lab.psql("SELECT count(*) FROM pg_ls_archive_statusdir() WHERE name LIKE '%.ready'"));

/** Writes about a segment of WAL and switches to the next, `count` times. */
function writeSegments(count: number): void {
  for (let i = 0; i < count; i++) {
    lab.psql("INSERT INTO filler SELECT g, repeat(md5(g::text), 8) FROM generate_series(1, 3000) g");
    lab.psql("SELECT pg_switch_wal()");
  }
}

beforeAll(async () => {
  await lab.startMinio();
  await lab.client.makeBucket(lab.options.bucket);
  lab.writePgbackrestConf();
  lab.initPrimary();
  lab.psql("CREATE TABLE filler (id int, note text)");
  const created = lab.pgbackrest("stanza-create");
  expect([created.code, created.stderr]).toEqual([0, ""]);
  // The WAL of initdb and createdb waited for the stanza (and past 4 MiB was dropped): let it drain.
  await waitFor("the setup's WAL archived or dropped", 120_000, () => (readyCount() === 0 ? true : undefined));
  const check = lab.pgbackrest("check");
  expect([check.code, check.stderr]).toEqual([0, ""]);
  lab.psql("SELECT pg_stat_reset_shared('archiver')");

  const witness = renderCloudConfig(exampleNodeConfig("witness"));
  const queries = path.join(lab.root, "queries.yaml");
  fs.writeFileSync(queries, renderedFile(renderCloudConfig(lab.node), monitoringPaths.postgresExporterQueries), { mode: 0o644 });
  const dsn = `user=postgres host=${lab.dirs.sock} port=${ports.postgres} dbname=postgres sslmode=disable`;
  startDaemon("/usr/bin/prometheus-postgres-exporter", [`--web.listen-address=127.0.0.1:${ports.exporter}`, `--extend.query-path=${queries}`], "postgres", { DATA_SOURCE_NAME: dsn });

  const promDir = lab.mkdir("root", "prometheus");
  fs.writeFileSync(path.join(promDir, "dr-estate.rules.yml"), renderedFile(witness, monitoringPaths.rules));
  fs.writeFileSync(
    path.join(promDir, "prometheus.yml"),
    [
      "global: { scrape_interval: 2s, evaluation_interval: 2s }",
      "rule_files: [dr-estate.rules.yml]",
      "scrape_configs:",
      "  - job_name: postgres",
      `    static_configs: [{ targets: ["127.0.0.1:${ports.exporter}"], labels: { node: primary } }]`,
      "",
    ].join("\n"),
  );
  const tsdb = lab.mkdir("root", "prometheus", "data");
  fs.chmodSync(tsdb, 0o777);
  startDaemon("/usr/bin/prometheus", [`--config.file=${path.join(promDir, "prometheus.yml")}`, `--storage.tsdb.path=${tsdb}`, `--web.listen-address=127.0.0.1:${ports.prometheus}`], "prometheus");
  await waitFor("Prometheus scraping the exporter", 60_000, async () => {
    try {
      return (await instant('pg_wal_archive_failed_count{node="primary"}')) === 0 ? true : undefined;
    } catch {
      return undefined;
    }
  }).catch((error) => {
    throw new Error(`${error.message}\n${daemonLogs.join("").slice(-3000)}`);
  });
}, 180_000);

afterAll(async () => {
  for (const child of children) {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGTERM");
      await exited;
    }
  }
  await lab.stop();
});

test("with the off-site repository unreachable, the shipped WAL archiving alerts' conditions hold on real values", async () => {
  expect(await alertState("WALArchivingFailing")).toBeUndefined();
  await lab.stopMinio();
  writeSegments(2);

  // archive_command fails (pgBackRest cannot reach repo2) and pg_stat_archiver counts it.
  await waitFor("archive failures counted", 180_000, () => (Number(lab.psql("SELECT failed_count FROM pg_stat_archiver")) >= 2 ? true : undefined));
  expect(readyCount()).toBeGreaterThanOrEqual(2);
  // The shipped rule's condition holds: the alert is pending (its `for: 10m` has not run out).
  expect(await waitFor("WALArchivingFailing pending", 120_000, () => alertState("WALArchivingFailing"))).toBe("pending");
  expect(await instant('rate(pg_wal_archive_failed_count{node="primary"}[5m]) > 0')).toBeGreaterThan(0);

  // The oldest waiting segment ages in real time...
  const firstAge = await waitFor("the oldest segment's age", 30_000, () => instant('pg_wal_archive_oldest_ready_age_seconds{node="primary"}'));
  await sleep(6_000);
  const laterAge = await waitFor("a later scrape", 30_000, async () => {
    const age = await instant('pg_wal_archive_oldest_ready_age_seconds{node="primary"}');
    return age !== undefined && age > firstAge ? age : undefined;
  });
  expect(laterAge).toBeGreaterThanOrEqual(firstAge + 4);
  // ...and once it has waited 16 minutes (its .ready file dated back: the clock cannot be moved),
  // the shipped WALArchiveBehind rule is pending too.
  const statusDir = path.join(lab.dirs.data, "pg_wal", "archive_status");
  const oldest = fs.readdirSync(statusDir).filter((f) => f.endsWith(".ready")).sort()[0];
  const sixteenMinutesAgo = new Date(Date.now() - 16 * 60_000);
  fs.utimesSync(path.join(statusDir, oldest), sixteenMinutesAgo, sixteenMinutesAgo);
  expect(await waitFor("WALArchiveBehind pending", 60_000, () => alertState("WALArchiveBehind"))).toBe("pending");
}, 600_000);

test(`past archive-push-queue-max (${queueMaxMiB} MiB) pgBackRest drops the waiting WAL and says so; the queue stays capped`, async () => {
  const archivedBefore = lab.psql("SELECT coalesce(last_archived_wal, '') FROM pg_stat_archiver");
  const serverLogFile = path.join(lab.dirs.logs, "primary.log");
  const logBefore = fs.statSync(serverLogFile).size;
  writeSegments(queueMaxMiB + 3);
  // PostgreSQL is told the dropped segments are archived: they stop waiting on its disk.
  await waitFor("the queue dropped", 360_000, () => (readyCount() <= queueMaxMiB && lab.psql("SELECT coalesce(last_archived_wal, '') FROM pg_stat_archiver") > archivedBefore ? true : undefined));
  const serverLog = fs.readFileSync(serverLogFile, "utf8").slice(logBefore);
  expect(serverLog).toContain("archive-push command end: aborted with exception");
  expect(serverLog).toMatch(new RegExp(`WARN: dropped WAL file '[0-9A-F]{24}' because archive queue exceeded ${queueMaxMiB}MB`));
  // Segments still waiting are at most the cap (in 1 MiB segments), whatever was written.
  for (let i = 0; i < 10; i++) {
    expect(readyCount()).toBeLessThanOrEqual(queueMaxMiB + 1);
    await sleep(500);
  }

  // Once the repository is back, archiving resumes and `pgbackrest check` passes again.
  await lab.startMinio();
  const check = lab.pgbackrest("check");
  expect([check.code, check.stderr]).toEqual([0, ""]);
  lab.psql("SELECT pg_stat_reset_shared('archiver')");
  const segment = await lab.archiveCurrentWal();
  expect(segment > archivedBefore).toBe(true);
}, 600_000);
