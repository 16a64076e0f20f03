// The nightly media cold copy goes off the host: the shipped media-cold-sync.sh, with the settings
// file the renderer writes, copies a media folder into a real S3 server (MinIO over TLS) through
// rclone's crypt remote. The bucket must hold neither a file's name nor its content in clear; the
// copy must restore identical, with the script and with rclone given only the passphrase; deleted
// files move to a dated folder that retention removes. A real PostgreSQL answers the script's
// "am I the primary?" question.
import { execFileSync, spawnSync } from "node:child_process";
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as Minio from "minio";
import { renderCloudConfig } from "../../cloud-init";
import { backupPaths, backupScripts } from "../../cloud-init/pieces/backups";
import { mediaTextfileMetrics } from "../../cloud-init/pieces/monitoring";
import { exampleNodeConfig } from "../support/example-node";
import { type MinioServer, startMinio } from "../support/minio-server";
import { parseCloudConfig, renderedFile } from "../support/rendered-files";

const pgBin = "/usr/lib/postgresql/15/bin";
const ports = { postgres: 15490, minio: 19130 } as const;
const credentials = { accessKey: "media-test-access", secretKey: "media-test-secret-0123456789" };
const bucket = "mhc-dr-offsite-backups";
const passphrase = "media-cipher-passphrase-0123456789abc";
const offsite = {
  endpoint: `localhost:${ports.minio}`,
  region: "us-east-1",
  bucket,
  path: "/mhc-dr",
  accessKeyId: credentials.accessKey,
  secretAccessKey: credentials.secretKey,
  cipherPassphrase: "pgbackrest-passphrase-unused-here",
  mediaCipherPassphrase: passphrase,
  retentionDays: 30,
};
const node = exampleNodeConfig("primary", {
  postgres: { majorVersion: 15, database: "mhc", synchronousReplication: false, source: "distribution" },
  alertWebhookUrl: "",
  offsiteBackups: offsite,
});
const document = renderCloudConfig(node);

let root: string;
let minio: MinioServer | undefined;
let client: Minio.Client;
let caFile: string;
const dirs = {} as Record<"etc" | "bin" | "sock" | "metrics" | "media" | "pgdata", string>;

// rclone's S3 client refuses any AWS_CA_BUNDLE (this machine's environment may set one; cron has none).
const { AWS_CA_BUNDLE: _unused, ...environment } = process.env;

function run(file: string, args: readonly string[], env: NodeJS.ProcessEnv = environment) {
  const result = spawnSync(file, args, { env, encoding: "utf8", timeout: 120_000, maxBuffer: 16 * 1024 * 1024 });
  return { code: result.status ?? 1, stdout: result.stdout ?? "", stderr: result.stderr ?? String(result.error ?? "") };
}

function asPostgres(args: readonly string[]): void {
  const result = run("runuser", ["-u", "postgres", "--", ...args]);
  if (result.code !== 0) throw new Error(`${args.join(" ")} exited ${result.code}\n${result.stdout}\n${result.stderr}`);
}

const coldSync = (...args: string[]) =>
  run(path.join(dirs.bin, "media-cold-sync.sh"), args, {
    ...environment,
    DR_ESTATE_ETC: dirs.etc,
    TEXTFILE_DIR: dirs.metrics,
    MEDIA_DIR: dirs.media,
    PGHOST: dirs.sock,
    PGPORT: String(ports.postgres),
    // MinIO's certificate is signed by the test CA: Go's TLS reads its roots from SSL_CERT_FILE.
    SSL_CERT_FILE: caFile,
  });

/** rclone with a configuration of its own: the bucket's key and the media passphrase, nothing of the script's. */
function rcloneWithPassphrase(cipherPassphrase: string, args: string[]) {
  const obscured = execFileSync("rclone", ["obscure", "-"], { input: cipherPassphrase, encoding: "utf8" }).trim();
  const config = path.join(root, `rclone-${crypto.randomUUID()}.conf`);
  fs.writeFileSync(
    config,
    [
      "[bucket]", "type = s3", "provider = Other", `endpoint = https://localhost:${ports.minio}`,
      `access_key_id = ${credentials.accessKey}`, `secret_access_key = ${credentials.secretKey}`, "",
      "[media]", "type = crypt", `remote = bucket:${bucket}/mhc-dr-media`, `password = ${obscured}`, "",
    ].join("\n"),
    { mode: 0o600 },
  );
  return run("rclone", ["--config", config, ...args], { ...environment, SSL_CERT_FILE: caFile });
}

async function bucketObjects(prefix: string): Promise<{ name: string; content: Buffer }[]> {
  const objects: { name: string; content: Buffer }[] = [];
  for await (const item of client.listObjectsV2(bucket, prefix, true)) {
    const name = (item as Minio.BucketItem).name!;
    const chunks: Buffer[] = [];
    for await (const chunk of await client.getObject(bucket, name)) chunks.push(chunk as Buffer);
    objects.push({ name, content: Buffer.concat(chunks) });
  }
  return objects;
}

/** Every file below `dir` with the SHA-256 of its content, by relative path. */
function tree(dir: string): Record<string, string> {
  const files: Record<string, string> = {};
  for (const entry of fs.readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const full = path.join(entry.parentPath, entry.name);
    files[path.relative(dir, full)] = crypto.createHash("sha256").update(fs.readFileSync(full)).digest("hex");
  }
  return files;
}

const plaintextMarker = "PLAINTEXT-MEDIA-MARKER";
const mediaFiles: Record<string, Buffer> = {
  "artist-one/first-song.flac": Buffer.from(`${plaintextMarker} first song `.repeat(200)),
  "artist-one/cover.jpg": crypto.randomBytes(300_000),
  "uploads/2026/12/lecture-recording.mp4": Buffer.concat([Buffer.from(plaintextMarker), crypto.randomBytes(2_000_000)]),
  "readme.txt": Buffer.from(`${plaintextMarker}\n`),
};

beforeAll(async () => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), "dr-estate-media-cold-"));
  fs.chmodSync(root, 0o755);
  for (const name of ["etc", "bin", "sock", "metrics", "media", "pgdata"] as const) {
    dirs[name] = path.join(root, name);
    fs.mkdirSync(dirs[name], { mode: 0o755 });
  }
  execFileSync("chown", ["postgres:postgres", dirs.sock, dirs.pgdata]);
  for (const rel of backupScripts) {
    const name = path.basename(rel);
    fs.writeFileSync(path.join(dirs.bin, name), renderedFile(document, `/usr/local/lib/dr-estate/${name}`), { mode: 0o755 });
  }
  for (const file of ["estate.env", "backups.env", path.basename(backupPaths.mediaOffsiteSettings)]) {
    fs.writeFileSync(path.join(dirs.etc, file), renderedFile(document, `/etc/dr-estate/${file}`));
  }

  minio = await startMinio(root, ports.minio, credentials);
  client = minio.client;
  caFile = path.join(root, "s3-ca.crt");
  fs.writeFileSync(caFile, minio.caPem);
  await client.makeBucket(bucket);

  asPostgres([`${pgBin}/initdb`, "-D", dirs.pgdata, "-A", "peer", "--no-sync", "-U", "postgres"]);
  asPostgres([`${pgBin}/pg_ctl`, "-D", dirs.pgdata, "-l", path.join(dirs.pgdata, "log"), "-w", "-o", `-p ${ports.postgres} -k ${dirs.sock} -c listen_addresses='' -c fsync=off`, "start"]);

  for (const [name, content] of Object.entries(mediaFiles)) {
    fs.mkdirSync(path.dirname(path.join(dirs.media, name)), { recursive: true });
    fs.writeFileSync(path.join(dirs.media, name), content);
  }
}, 120_000);

afterAll(async () => {
  if (dirs.pgdata) run("runuser", ["-u", "postgres", "--", `${pgBin}/pg_ctl`, "-D", dirs.pgdata, "-m", "immediate", "-w", "stop"]);
  await minio?.stop();
  if (root) fs.rmSync(root, { recursive: true, force: true });
});

test("the renderer writes the media's off-site settings root-only, beside pgBackRest's folder in the bucket", () => {
  const settings = renderedFile(document, backupPaths.mediaOffsiteSettings);
  expect(settings).toContain(`MEDIA_CIPHER_PASSPHRASE='${passphrase}'`);
  expect(settings).toContain("MEDIA_OFFSITE_PATH='mhc-dr-media'");
  const file = parseCloudConfig(document).write_files.find((f) => f.path === backupPaths.mediaOffsiteSettings);
  expect([file?.permissions, file?.owner ?? "root:root"]).toEqual(["0600", "root:root"]);
  expect(renderCloudConfig({ ...node, offsiteBackups: undefined })).not.toContain(backupPaths.mediaOffsiteSettings);
});

test("the copy lands in the bucket encrypted: no file name, folder name or content in clear", async () => {
  const result = coldSync();
  expect([result.code, result.stderr]).toEqual([0, expect.stringContaining("copied:")]);
  const objects = await bucketObjects("mhc-dr-media/");
  expect(objects).toHaveLength(Object.keys(mediaFiles).length);
  for (const { name, content } of objects) {
    for (const word of ["artist", "song", "flac", "cover", "uploads", "2026", "lecture", "readme", "current"]) {
      expect([name, name.includes(word)]).toEqual([name, false]);
    }
    expect([name, content.includes(plaintextMarker)]).toEqual([name, false]);
    // rclone crypt's file header, then ciphertext.
    expect(content.subarray(0, 8).toString()).toBe("RCLONE\u0000\u0000");
  }
  expect((await bucketObjects("")).every(({ name }) => name.startsWith("mhc-dr-media/"))).toBe(true);
  expect(fs.readFileSync(path.join(dirs.metrics, "dr_estate_media_sync.prom"), "utf8")).toMatch(new RegExp(`^${mediaTextfileMetrics.coldCopyLastSuccessTimestamp} \\d+$`, "m"));
});

test("restores identical, with the script and with rclone given only the passphrase; a wrong passphrase reads nothing", () => {
  const byScript = path.join(root, "restored-by-script");
  expect(coldSync("restore", byScript).code).toBe(0);
  expect(tree(byScript)).toEqual(tree(dirs.media));

  const byRclone = path.join(root, "restored-by-rclone");
  expect(rcloneWithPassphrase(passphrase, ["copy", "media:current", byRclone]).code).toBe(0);
  expect(tree(byRclone)).toEqual(tree(dirs.media));

  const wrong = rcloneWithPassphrase("not-the-passphrase-0123456789", ["lsf", "-R", "media:current"]);
  expect(wrong.stdout).toBe("");
});

test("a deleted or changed file moves to deleted/DAY in the bucket, and retention removes days past it", async () => {
  const today = new Date().toISOString().slice(0, 10);
  const expired = "2020-01-01";
  const seeded = path.join(root, "expired-day");
  fs.mkdirSync(seeded);
  fs.writeFileSync(path.join(seeded, "old-delete.flac"), "gone long ago");
  expect(rcloneWithPassphrase(passphrase, ["copy", seeded, `media:deleted/${expired}`]).code).toBe(0);

  fs.rmSync(path.join(dirs.media, "artist-one", "first-song.flac"));
  fs.writeFileSync(path.join(dirs.media, "readme.txt"), "rewritten\n");
  const result = coldSync();
  expect([result.code, result.stderr]).toEqual([0, expect.stringContaining(`removing the files deleted on ${expired}`)]);

  const listing = (remote: string) => rcloneWithPassphrase(passphrase, ["lsf", "-R", "--files-only", remote]).stdout.trim().split("\n").sort();
  expect(listing("media:deleted")).toEqual([`${today}/artist-one/first-song.flac`, `${today}/readme.txt`]);
  expect(listing("media:current")).toEqual(["artist-one/cover.jpg", "readme.txt", "uploads/2026/12/lecture-recording.mp4"]);
  const restored = path.join(root, "restored-after-delete");
  expect(coldSync("restore", restored).code).toBe(0);
  expect(tree(restored)).toEqual(tree(dirs.media));
});

test("refuses to sync an empty media folder over the copy (an unmounted volume), and leaves the copy whole", async () => {
  const before = (await bucketObjects("mhc-dr-media/")).map((o) => o.name).sort();
  const mounted = `${dirs.media}.mounted`;
  fs.renameSync(dirs.media, mounted);
  fs.mkdirSync(dirs.media);
  try {
    const refused = coldSync();
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain("refusing to sync over it");
    expect((await bucketObjects("mhc-dr-media/")).map((o) => o.name).sort()).toEqual(before);
  } finally {
    fs.rmdirSync(dirs.media);
    fs.renameSync(mounted, dirs.media);
  }
});

test("a node whose PostgreSQL is in recovery does not copy", () => {
  fs.writeFileSync(path.join(dirs.pgdata, "standby.signal"), "");
  asPostgres([`${pgBin}/pg_ctl`, "-D", dirs.pgdata, "-l", path.join(dirs.pgdata, "log"), "-w", "restart"]);
  const result = coldSync();
  expect([result.code, result.stderr]).toEqual([0, expect.stringContaining("skipping the media cold copy")]);
  expect(result.stderr).not.toContain("copying");
});
