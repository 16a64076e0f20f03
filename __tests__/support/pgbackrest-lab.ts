// A primary's backup setup on this machine for the tests that need the real thing: PostgreSQL 15
// clusters, the shipped pgbackrest.conf (repo1 on disk, repo2 in MinIO over TLS) and the shipped
// WAL archiving settings. Everything lives in one temporary directory; stop() removes it.
import { type ChildProcess, execFileSync, spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as https from "node:https";
import * as os from "node:os";
import * as path from "node:path";
import * as Minio from "minio";
import { renderCloudConfig } from "../../cloud-init";
import type { NodeConfig, OffsiteRepository } from "../../cloud-init/node-config";
import { pgbackrestConfig } from "../../cloud-init/pieces/backups";
import { builtTools } from "../../tools/built-tools";
import { exampleNodeConfig, makeTestCertificates } from "./example-node";
import { renderedFile } from "./rendered-files";

export const pgBin = "/usr/lib/postgresql/15/bin";
export const labStanza = "mhc-dr";
export const minioRoot = { accessKey: "lab-root-access", secretKey: "lab-root-secret-0123456789" };

export interface RunResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export function run(file: string, args: readonly string[], env: NodeJS.ProcessEnv = process.env): RunResult {
  const result = spawnSync(file, args, { env, encoding: "utf8", timeout: 300_000, maxBuffer: 16 * 1024 * 1024 });
  return { code: result.status ?? 1, stdout: result.stdout ?? "", stderr: result.stderr ?? String(result.error ?? "") };
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `check` every 250 ms until it returns a value other than undefined, or fails naming `what`. */
export async function waitFor<T>(what: string, timeoutMs: number, check: () => T | undefined | Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs / 1000} s`);
    await sleep(250);
  }
}

export interface LabOptions {
  /** Ports: the primary's PostgreSQL, and MinIO's S3 API (its console takes the next one). */
  readonly ports: { readonly postgres: number; readonly minio: number };
  readonly bucket: string;
  /** Replaces lines of the shipped pgbackrest.conf (each `from` must be there). */
  readonly configEdits?: readonly { readonly from: string; readonly to: string }[];
  /** initdb options, such as --wal-segsize=1. */
  readonly initdbOptions?: readonly string[];
}

/** A primary with the shipped backup settings and an off-site repository in MinIO. */
export class PgbackrestLab {
  readonly root: string;
  readonly node: NodeConfig;
  readonly dirs: Record<"etc" | "sock" | "logs" | "repo" | "spool" | "pgbackrestLog" | "lock" | "data", string>;
  readonly configFile: string;
  readonly caPem: string;
  client!: Minio.Client;
  private minio?: ChildProcess;
  private readonly started: string[] = [];
  private readonly uid = Number(execFileSync("id", ["-u", "postgres"], { encoding: "utf8" }).trim());
  private readonly gid = Number(execFileSync("id", ["-g", "postgres"], { encoding: "utf8" }).trim());

  constructor(readonly options: LabOptions) {
    this.root = fs.mkdtempSync(path.join(os.tmpdir(), "dr-estate-pgbackrest-lab-"));
    fs.chmodSync(this.root, 0o755);
    this.node = exampleNodeConfig("primary", {
      postgres: { majorVersion: 15, database: "mhc", synchronousReplication: false, source: "distribution" },
      alertWebhookUrl: "",
    });
    this.dirs = {
      etc: this.mkdir("root", "etc"),
      sock: this.mkdir("postgres", "sock"),
      logs: this.mkdir("postgres", "logs"),
      repo: this.mkdir("postgres", "repo"),
      spool: this.mkdir("postgres", "spool"),
      pgbackrestLog: this.mkdir("postgres", "pgbackrest-log"),
      lock: this.mkdir("postgres", "lock"),
      data: path.join(this.root, "pg", "primary"),
    };
    this.configFile = path.join(this.dirs.etc, "pgbackrest.conf");
    const tls = makeTestCertificates();
    this.caPem = tls.caPem;
    const certs = this.mkdir("root", "minio-certs");
    fs.writeFileSync(path.join(certs, "public.crt"), tls.certificatePem);
    fs.writeFileSync(path.join(certs, "private.key"), tls.privateKeyPem);
    fs.writeFileSync(path.join(this.dirs.etc, "s3-ca.crt"), tls.caPem);
  }

  /** A directory under the lab's root, owned by root or postgres. */
  mkdir(owner: "root" | "postgres", ...parts: string[]): string {
    const dir = path.join(this.root, ...parts);
    fs.mkdirSync(dir, { recursive: true, mode: 0o755 });
    if (owner === "postgres") fs.chownSync(dir, this.uid, this.gid);
    return dir;
  }

  /** The off-site repository as the stack hands it to the nodes, for this MinIO. */
  offsite(accessKeyId = minioRoot.accessKey, secretAccessKey = minioRoot.secretKey): OffsiteRepository {
    return {
      endpoint: "localhost",
      region: "us-east-1",
      bucket: this.options.bucket,
      path: `/${labStanza}`,
      accessKeyId,
      secretAccessKey,
      cipherPassphrase: "lab-cipher-passphrase-0123456789",
      retentionDays: 90,
    };
  }

  /**
   * The shipped pgbackrest.conf for this lab (pgBackRest checks DNS names: the endpoint is
   * localhost); with `offsite` null, repo1 alone.
   */
  pgbackrestConf(offsite: OffsiteRepository | null = this.offsite()): string {
    let config = pgbackrestConfig(
      this.node,
      { repoPath: this.dirs.repo, spoolPath: this.dirs.spool, lockPath: this.dirs.lock, logPath: this.dirs.pgbackrestLog, pgPath: this.dirs.data, pgPort: this.options.ports.postgres, pgSocketPath: this.dirs.sock },
      offsite ?? undefined,
    );
    const storage = `repo2-s3-endpoint=localhost\nrepo2-storage-port=${this.options.ports.minio}\nrepo2-storage-ca-file=${path.join(this.dirs.etc, "s3-ca.crt")}\n`;
    const edits = [...(offsite ? [{ from: "repo2-s3-endpoint=localhost\n", to: storage }] : []), ...(this.options.configEdits ?? [])];
    for (const { from, to } of edits) {
      if (!config.includes(from)) throw new Error(`the shipped pgbackrest.conf has no ${JSON.stringify(from)}`);
      config = config.replace(from, to);
    }
    return config;
  }

  writePgbackrestConf(offsite?: OffsiteRepository | null): void {
    fs.writeFileSync(this.configFile, this.pgbackrestConf(offsite), { mode: 0o644 });
  }

  async startMinio(): Promise<void> {
    const port = this.options.ports.minio;
    this.minio = spawn(
      builtTools().bin("minio"),
      ["server", path.join(this.root, "minio-data"), "--certs-dir", path.join(this.root, "minio-certs"), "--address", `localhost:${port}`, "--console-address", `localhost:${port + 1}`, "--quiet"],
      { env: { ...process.env, MINIO_ROOT_USER: minioRoot.accessKey, MINIO_ROOT_PASSWORD: minioRoot.secretKey, MINIO_BROWSER: "off" }, stdio: "ignore" },
    );
    this.client = this.s3Client(minioRoot);
    await waitFor("MinIO answering", 60_000, () => this.client.listBuckets().then(() => true, () => undefined));
  }

  async stopMinio(): Promise<void> {
    const minio = this.minio;
    if (!minio || minio.exitCode !== null || minio.signalCode !== null) return;
    const exited = new Promise((resolve) => minio.on("exit", resolve));
    minio.kill("SIGTERM");
    await exited;
  }

  s3Client(credentials: { accessKey: string; secretKey: string; sessionToken?: string }): Minio.Client {
    return new Minio.Client({ endPoint: "localhost", port: this.options.ports.minio, useSSL: true, transportAgent: new https.Agent({ ca: this.caPem }), ...credentials });
  }

  /** The environment pgBackRest and the shipped scripts run with in the lab. */
  env(): NodeJS.ProcessEnv {
    return { ...process.env, PGBACKREST_CONFIG: this.configFile, PGHOST: this.dirs.sock, PGPORT: String(this.options.ports.postgres) };
  }

  asPostgres(args: readonly string[]): RunResult {
    return run("runuser", ["-u", "postgres", "--", ...args], this.env());
  }

  /** asPostgres that throws with the output when the command fails. */
  mustAsPostgres(args: readonly string[]): string {
    const result = this.asPostgres(args);
    if (result.code !== 0) throw new Error(`${args.join(" ")} exited ${result.code}\n${result.stdout}\n${result.stderr}`);
    return result.stdout;
  }

  psql(sql: string, port = this.options.ports.postgres, database = "mhc"): string {
    return this.mustAsPostgres([`${pgBin}/psql`, "-X", "-A", "-t", "-q", "-v", "ON_ERROR_STOP=1", "-h", this.dirs.sock, "-p", String(port), "-d", database, "-c", sql]).trim();
  }

  pgbackrest(...args: string[]): RunResult {
    return this.asPostgres(["pgbackrest", `--stanza=${labStanza}`, ...args]);
  }

  /** initdb with the shipped WAL archiving settings, start, and the `mhc` database. */
  initPrimary(): void {
    this.mkdir("postgres", "pg", "primary");
    this.mustAsPostgres([`${pgBin}/initdb`, "-D", this.dirs.data, "-A", "peer", "--no-sync", "-U", "postgres", ...(this.options.initdbOptions ?? [])]);
    const archiving = renderedFile(renderCloudConfig(this.node), "/etc/dr-estate/postgresql.conf.d/50-wal-archiving.conf");
    fs.appendFileSync(path.join(this.dirs.data, "postgresql.auto.conf"), archiving);
    this.startCluster(this.dirs.data, this.options.ports.postgres);
    this.mustAsPostgres([`${pgBin}/createdb`, "-h", this.dirs.sock, "-p", String(this.options.ports.postgres), "mhc"]);
  }

  startCluster(data: string, port: number, extraOptions = ""): void {
    const options = `-p ${port} -k ${this.dirs.sock} -c listen_addresses='' -c fsync=off ${extraOptions}`;
    this.mustAsPostgres([`${pgBin}/pg_ctl`, "-D", data, "-l", path.join(this.dirs.logs, `${path.basename(data)}.log`), "-w", "-t", "60", "-o", options, "start"]);
    if (!this.started.includes(data)) this.started.push(data);
  }

  stopCluster(data: string): void {
    this.asPostgres([`${pgBin}/pg_ctl`, "-D", data, "-m", "immediate", "-w", "stop"]);
    this.started.splice(this.started.indexOf(data), 1);
  }

  /** Switches to a new WAL segment and waits until PostgreSQL has had it archived. */
  async archiveCurrentWal(): Promise<string> {
    const segment = this.psql("SELECT pg_walfile_name(pg_switch_wal())");
    await waitFor(`${segment} archived`, 60_000, () => (this.psql("SELECT coalesce(last_archived_wal, '') FROM pg_stat_archiver") >= segment ? true : undefined));
    return segment;
  }

  async stop(): Promise<void> {
    for (const data of [...this.started].reverse()) this.stopCluster(data);
    await this.stopMinio();
    fs.rmSync(this.root, { recursive: true, force: true });
  }
}
