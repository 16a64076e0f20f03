// The off-site repository over months: the shipped pgbackrest-backup.sh backs a real PostgreSQL 15
// up into a real S3 server (MinIO over TLS) through 18 simulated weeks, while the bucket lifecycle
// rules of the synthesized stack are applied to the bucket by simulated object age (MinIO has no
// clock to move, and refuses AbortIncompleteMultipartUpload rules: it cleans up uploads itself). Backups must
// keep running, pgBackRest's own retention must expire old sets and their WAL, and the newest
// backup must restore. A lifecycle rule that expires objects by age deletes files pgBackRest keeps
// and never rewrites (the old `retentionDays + 14` rule took the backup.history manifests from day
// 24 on) and fails this test.
import { execFileSync, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { Testing } from "cdktf";
import * as Minio from "minio";
import { renderCloudConfig } from "../../cloud-init";
import { backupScripts, pgbackrestConfig } from "../../cloud-init/pieces/backups";
import { validateEstate } from "../../estate";
import { exampleEstateInput } from "../../estate/example-estate";
import { EstateStack } from "../../stacks/estate-stack";
import { exampleNodeConfig } from "../support/example-node";
import { type MinioServer, startMinio } from "../support/minio-server";
import { renderedFile } from "../support/rendered-files";

const pgBin = "/usr/lib/postgresql/15/bin";
const ports = { primary: 15480, restored: 15481, minio: 19120 } as const;
const stanza = "mhc-dr";
const retentionDays = 7;
const weeks = 18;
const credentials = { accessKey: "offsite-test-access", secretKey: "offsite-test-secret-0123456789" };
const bucket = "mhc-dr-offsite-backups";

interface BucketRule {
  readonly enabled: boolean;
  readonly prefix?: string;
  readonly expiration?: { readonly days?: number };
  readonly noncurrent_version_expiration?: { readonly days?: number };
  readonly abort_incomplete_multipart_upload_days?: number;
}

/** The lifecycle rules the stack gives the off-site bucket, for an estate keeping `retentionDays`. */
function synthesizedBucketRules(): BucketRule[] {
  const input = exampleEstateInput() as any;
  input.backups = { ...input.backups, offsite: { provider: "digitalocean", region: "ams3", retentionDays } };
  const json = JSON.parse(Testing.synth(new EstateStack(Testing.app(), stanza, { estate: validateEstate(input, "test estate") })));
  const [resource] = Object.values(json.resource.digitalocean_spaces_bucket) as { lifecycle_rule: BucketRule[] }[];
  return resource.lifecycle_rule;
}

/** Whether a bucket rule deletes a current object of this key and age (what the provider would do). */
function expiresObject(rules: readonly BucketRule[], key: string, ageDays: number): boolean {
  return rules.some((r) => r.enabled && key.startsWith(r.prefix ?? "") && r.expiration?.days !== undefined && ageDays >= r.expiration.days);
}

const rules = synthesizedBucketRules();
const node = exampleNodeConfig("primary", {
  postgres: { majorVersion: 15, database: "mhc", synchronousReplication: false, source: "distribution" },
  alertWebhookUrl: "",
});
const document = renderCloudConfig(node);
const postgresUid = Number(execFileSync("id", ["-u", "postgres"], { encoding: "utf8" }).trim());
const postgresGid = Number(execFileSync("id", ["-g", "postgres"], { encoding: "utf8" }).trim());

let root: string;
let minio: MinioServer | undefined;
let client: Minio.Client;
const dirs = {} as Record<"etc" | "bin" | "sock" | "backups" | "metrics" | "logs", string>;
const started: string[] = [];
/** Simulated day each object of the bucket was (last) written, by key, with its ETag then. */
const written = new Map<string, { etag: string; day: number }>();
const deletedByLifecycle: string[] = [];

function mkdirFor(owner: "root" | "postgres", ...parts: string[]): string {
  const dir = path.join(root, ...parts);
  fs.mkdirSync(dir, { recursive: true, mode: 0o755 });
  if (owner === "postgres") fs.chownSync(dir, postgresUid, postgresGid);
  return dir;
}

function run(file: string, args: readonly string[], env: NodeJS.ProcessEnv = process.env) {
  const result = spawnSync(file, args, { env, encoding: "utf8", timeout: 300_000, maxBuffer: 16 * 1024 * 1024 });
  return { code: result.status ?? 1, stdout: result.stdout ?? "", stderr: result.stderr ?? String(result.error ?? "") };
}

function asPostgres(args: readonly string[]): string {
  const result = run("runuser", ["-u", "postgres", "--", ...args], { ...process.env, PGBACKREST_CONFIG: path.join(dirs.etc, "pgbackrest.conf") });
  if (result.code !== 0) throw new Error(`${args.join(" ")} exited ${result.code}\n${result.stdout}\n${result.stderr}`);
  return result.stdout;
}

const psql = (port: number, sql: string) => asPostgres([`${pgBin}/psql`, "-X", "-A", "-t", "-q", "-v", "ON_ERROR_STOP=1", "-h", dirs.sock, "-p", String(port), "-d", "mhc", "-c", sql]).trim();

function startServer(data: string, port: number): void {
  const options = `-p ${port} -k ${dirs.sock} -c listen_addresses='' -c fsync=off`;
  asPostgres([`${pgBin}/pg_ctl`, "-D", data, "-l", path.join(dirs.logs, `${path.basename(data)}.log`), "-w", "-t", "60", "-o", options, "start"]);
  started.push(data);
}

function offsiteFor(endpoint: string, secretAccessKey: string) {
  const cipherPassphrase = "offsite-test-cipher-passphrase-0123456789";
  return { endpoint, region: "us-east-1", bucket, path: `/${stanza}`, accessKeyId: credentials.accessKey, secretAccessKey, cipherPassphrase, retentionDays };
}

const backupScript = (operation: string) =>
  run(path.join(dirs.bin, "pgbackrest-backup.sh"), [operation], {
    ...process.env,
    DR_ESTATE_ETC: dirs.etc,
    BACKUP_DIR: dirs.backups,
    TEXTFILE_DIR: dirs.metrics,
    PGHOST: dirs.sock,
    PGPORT: String(ports.primary),
    PGBACKREST_CONFIG: path.join(dirs.etc, "pgbackrest.conf"),
  });

async function bucketObjects(): Promise<Minio.BucketItem[]> {
  const items: Minio.BucketItem[] = [];
  for await (const item of client.listObjectsV2(bucket, "", true)) items.push(item as Minio.BucketItem);
  return items;
}

/** Ages the bucket's objects to `day` and deletes what the synthesized rules expire. */
async function applyLifecycle(day: number): Promise<void> {
  for (const item of await bucketObjects()) {
    const name = item.name!;
    const seen = written.get(name);
    if (!seen || seen.etag !== item.etag) written.set(name, { etag: item.etag ?? "", day });
    if (expiresObject(rules, name, day - written.get(name)!.day)) {
      await client.removeObject(bucket, name);
      written.delete(name);
      deletedByLifecycle.push(`day ${day}: ${name}`);
    }
  }
}

function repoInfo() {
  return JSON.parse(asPostgres(["pgbackrest", `--stanza=${stanza}`, "--repo=2", "--output=json", "info"]))[0];
}

beforeAll(async () => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), "dr-estate-offsite-"));
  fs.chmodSync(root, 0o755);
  for (const name of ["etc", "bin", "backups", "metrics"] as const) dirs[name] = mkdirFor("root", name);
  for (const name of ["sock", "logs"] as const) dirs[name] = mkdirFor("postgres", name);
  for (const name of ["repo", "spool", "pgbackrest-log", "lock"]) mkdirFor("postgres", name);
  for (const rel of backupScripts) {
    const name = path.basename(rel);
    fs.writeFileSync(path.join(dirs.bin, name), renderedFile(document, `/usr/local/lib/dr-estate/${name}`), { mode: 0o755 });
  }
  fs.writeFileSync(path.join(dirs.etc, "estate.env"), renderedFile(document, "/etc/dr-estate/estate.env"));
  // Backups into the off-site repository only (repo1, on this disk, is not the subject).
  const backupsEnv = renderedFile(renderCloudConfig({ ...node, offsiteBackups: offsiteFor("localhost", "unused") }), "/etc/dr-estate/backups.env");
  expect(backupsEnv).toContain('PGBACKREST_REPOS="${PGBACKREST_REPOS:-1 2}"');
  fs.writeFileSync(path.join(dirs.etc, "backups.env"), backupsEnv.replace("PGBACKREST_REPOS:-1 2}", "PGBACKREST_REPOS:-2}"));

  minio = await startMinio(root, ports.minio, credentials);
  client = minio.client;
  const caFile = path.join(dirs.etc, "s3-ca.crt");
  fs.writeFileSync(caFile, minio.caPem);
  await client.makeBucket(bucket);

  const data = mkdirFor("postgres", "pg", "primary");
  asPostgres([`${pgBin}/initdb`, "-D", data, "-A", "peer", "--no-sync", "-U", "postgres"]);
  const offsite = offsiteFor("localhost", credentials.secretKey);
  const shipped = pgbackrestConfig(
    node,
    { repoPath: path.join(root, "repo"), spoolPath: path.join(root, "spool"), lockPath: path.join(root, "lock"), logPath: path.join(root, "pgbackrest-log"), pgPath: data, pgPort: ports.primary, pgSocketPath: dirs.sock },
    offsite,
  );
  // Time retention cannot run on simulated days against a real S3 server: requests are signed with
  // the wall clock, which MinIO holds to 15 minutes. With weekly fulls, 7 days of time retention
  // keeps two fulls (the newest, and the one that reaches back 7 days); expire is the same code.
  const timeRetention = `repo2-retention-full-type=time\nrepo2-retention-full=${retentionDays}\n`;
  expect(shipped).toContain(timeRetention);
  const testConfig = shipped.replace(timeRetention, "repo2-retention-full-type=count\nrepo2-retention-full=2\n").replace(
    "repo2-s3-endpoint=localhost\n",
    `repo2-s3-endpoint=localhost\nrepo2-storage-port=${ports.minio}\nrepo2-storage-ca-file=${caFile}\n`,
  );
  fs.writeFileSync(path.join(dirs.etc, "pgbackrest.conf"), testConfig, { mode: 0o644 });
  fs.writeFileSync(path.join(data, "postgresql.auto.conf"), renderedFile(document, "/etc/dr-estate/postgresql.conf.d/50-wal-archiving.conf"));
  startServer(data, ports.primary);
  asPostgres([`${pgBin}/createdb`, "-h", dirs.sock, "-p", String(ports.primary), "mhc"]);
  psql(ports.primary, "CREATE TABLE plays (id bigserial PRIMARY KEY, week int, note text)");
}, 180_000);

afterAll(async () => {
  for (const data of started.reverse()) run("runuser", ["-u", "postgres", "--", `${pgBin}/pg_ctl`, "-D", data, "-m", "immediate", "-w", "stop"]);
  await minio?.stop();
  if (root) fs.rmSync(root, { recursive: true, force: true });
});

test(`${weeks} weeks of weekly full and mid-week diff backups keep running and expiring; the newest restores`, async () => {
  const fulls: string[] = [];
  for (let week = 0; week < weeks; week++) {
    for (const [offset, type] of [[0, "full"], [3, "diff"]] as const) {
      await applyLifecycle(week * 7 + offset);
      psql(ports.primary, `INSERT INTO plays (week, note) SELECT ${week}, md5(g::text) FROM generate_series(1, 200) g`);
      const result = backupScript(type);
      expect([week, type, result.code, result.code === 0 ? "" : result.stderr.slice(-1500)]).toEqual([week, type, 0, ""]);
    }
    fulls.push(repoInfo().backup.filter((b: { type: string }) => b.type === "full").pop().label);
  }
  expect(deletedByLifecycle).toEqual([]);

  const info = repoInfo();
  const kept = info.backup as { label: string; type: string; prior: string | null; archive: { start: string } }[];
  expect(kept.filter((b) => b.type === "full").map((b) => b.label)).toEqual(fulls.slice(-2));
  expect(kept.filter((b) => b.type === "diff").every((b) => fulls.slice(-2).includes(b.prior!))).toBe(true);
  expect(kept).toHaveLength(4);
  // WAL older than the oldest kept full went with it.
  const archive = info.archive[0];
  expect(archive.min >= kept[0].archive.start).toBe(true);

  // The bucket holds the info files and exactly the kept sets, nothing older.
  const names = (await bucketObjects()).map((o) => o.name!);
  for (const file of ["archive.info", "archive.info.copy"]) expect(names).toContain(`${stanza}/archive/${stanza}/${file}`);
  for (const file of ["backup.info", "backup.info.copy"]) expect(names).toContain(`${stanza}/backup/${stanza}/${file}`);
  const setsInBucket = new Set(names.map((n) => /^[^/]+\/backup\/[^/]+\/(\d{8}-\d{6}F(?:_\d{8}-\d{6}[DI])?)\//.exec(n)?.[1]).filter(Boolean));
  expect([...setsInBucket].sort()).toEqual(kept.map((b) => b.label).sort());

  // The newest backup and the WAL archived after it restore from the bucket alone.
  psql(ports.primary, `INSERT INTO plays (week, note) VALUES (${weeks}, 'after the last backup')`);
  const segment = psql(ports.primary, "SELECT pg_walfile_name(pg_switch_wal())");
  let deadline = Date.now() + 60_000;
  while (psql(ports.primary, "SELECT coalesce(last_archived_wal, '') FROM pg_stat_archiver") < segment) {
    if (Date.now() > deadline) throw new Error(`${segment} was not archived within 60 s`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  const expectedRows = Number(psql(ports.primary, "SELECT count(*) FROM plays"));
  const restored = mkdirFor("postgres", "pg", "restored");
  fs.chmodSync(restored, 0o700);
  asPostgres(["pgbackrest", `--stanza=${stanza}`, "--repo=2", `--pg1-path=${restored}`, "--archive-mode=off", "restore"]);
  startServer(restored, ports.restored);
  deadline = Date.now() + 90_000;
  while (run("runuser", ["-u", "postgres", "--", `${pgBin}/psql`, "-X", "-A", "-t", "-h", dirs.sock, "-p", String(ports.restored), "-d", "mhc", "-c", "SELECT pg_is_in_recovery()"]).stdout.trim() !== "f") {
    if (Date.now() > deadline) throw new Error("the restored cluster did not finish recovery");
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  expect(Number(psql(ports.restored, "SELECT count(DISTINCT week) FROM plays"))).toBe(weeks + 1);
  expect(Number(psql(ports.restored, "SELECT count(*) FROM plays"))).toBe(expectedRows);
}, 900_000);

test("the failure an age rule causes: without archive.info the next backup fails loudly", async () => {
  // What the old `retentionDays + 14` expiration did on day 21 with 7 days of retention.
  const ageRule: BucketRule[] = [{ enabled: true, expiration: { days: retentionDays + 14 } }];
  expect(expiresObject(ageRule, `${stanza}/archive/${stanza}/archive.info`, 21)).toBe(true);
  for (const file of ["archive.info", "archive.info.copy"]) await client.removeObject(bucket, `${stanza}/archive/${stanza}/${file}`);
  const result = backupScript("diff");
  expect(result.stderr).toMatch(/archive\.info/);
  expect(result.stderr).toContain("FAILED: pgbackrest");
  expect(result.code).not.toBe(0);
  const runResult = fs.readFileSync(path.join(dirs.metrics, "dr_estate_pgbackrest_diff_result.prom"), "utf8");
  expect(runResult).toContain('dr_estate_pgbackrest_last_run_success{operation="diff"} 0\n');
});
