// Media replication between the data nodes with the real programs: the shipped media-replicate.sh
// pushes with rsync over SSH to a real sshd on loopback whose authorized_keys line is the rendered
// one (rrsync confined to the receiver's media folder). A real PostgreSQL answers "am I the primary?".
// Lag figures go to bench/results/media-replication.json, not into assertions.
import { ChildProcess, execFileSync, spawn, spawnSync } from "node:child_process";
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { renderCloudConfig } from "../../cloud-init";
import { backupScripts } from "../../cloud-init/pieces/backups";
import { mediaReplicationPaths, receiverAuthorizedKey } from "../../cloud-init/pieces/media-replication";
import { mediaTextfileMetrics } from "../../cloud-init/pieces/monitoring";
import { exampleNodeConfig } from "../support/example-node";
import { parseCloudConfig, renderedFile } from "../support/rendered-files";

const pgBin = "/usr/lib/postgresql/15/bin";
const ports = { postgres: 15495, sshd: 22495 } as const;
let root: string;
let sshd: ChildProcess;
const dirs = {} as Record<"etc" | "bin" | "sock" | "metrics" | "sender" | "receiver" | "outside" | "pgdata" | "replication", string>;

function run(file: string, args: readonly string[], env: NodeJS.ProcessEnv = process.env) {
  const result = spawnSync(file, args, { env, encoding: "utf8", timeout: 300_000, maxBuffer: 16 * 1024 * 1024 });
  return { code: result.status ?? 1, stdout: result.stdout ?? "", stderr: result.stderr ?? String(result.error ?? "") };
}
const asPostgres = (args: string[]) => {
  const result = run("runuser", ["-u", "postgres", "--", ...args]);
  if (result.code !== 0) throw new Error(`${args.join(" ")}: ${result.stderr}`);
};

const push = () =>
  run(path.join(dirs.bin, "media-replicate.sh"), [], {
    ...process.env,
    DR_ESTATE_ETC: dirs.etc,
    TEXTFILE_DIR: dirs.metrics,
    MEDIA_DIR: dirs.sender,
    MEDIA_REPLICATION_DIR: dirs.replication,
    MEDIA_PEER_PORT: String(ports.sshd),
    // The test's sshd logs in root (forced-commands-only): the node's media-replica user does not exist here.
    MEDIA_PEER_USER: "root",
    PGHOST: dirs.sock,
    PGPORT: String(ports.postgres),
  });

const document = renderCloudConfig(exampleNodeConfig("primary", {
  postgres: { majorVersion: 15, database: "mhc", synchronousReplication: false, source: "distribution" },
  alertWebhookUrl: "",
  mediaReplication: { privateKeyBase64: "S0VZ", peerPublicKey: "ssh-ed25519 AAAAPEER peer", peerAddress: "127.0.0.1", peerHostPublicKey: "ssh-ed25519 AAAAHOST" },
}));

beforeAll(async () => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), "dr-estate-media-replication-"));
  fs.chmodSync(root, 0o755);
  for (const name of Object.keys({ etc: 0, bin: 0, sock: 0, metrics: 0, sender: 0, receiver: 0, outside: 0, pgdata: 0, replication: 0 }) as (keyof typeof dirs)[]) {
    dirs[name] = path.join(root, name);
    fs.mkdirSync(dirs[name], { mode: 0o755 });
  }
  execFileSync("chown", ["postgres:postgres", dirs.sock, dirs.pgdata]);
  for (const rel of [...backupScripts, "media/media-replicate.sh"]) {
    const name = path.basename(rel);
    fs.writeFileSync(path.join(dirs.bin, name), renderedFile(document, `/usr/local/lib/dr-estate/${name}`), { mode: 0o755 });
  }
  for (const file of ["estate.env", "backups.env"]) fs.writeFileSync(path.join(dirs.etc, file), renderedFile(document, `/etc/dr-estate/${file}`));

  // The sender's key pair and the receiver's host key, as Terraform would make them.
  const key = path.join(dirs.replication, "id_ed25519");
  execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-f", key, "-N", ""]);
  const hostKey = path.join(root, "host_key");
  execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-f", hostKey, "-N", ""]);
  fs.writeFileSync(path.join(dirs.replication, "known_hosts"), `[127.0.0.1]:${ports.sshd} ${fs.readFileSync(`${hostKey}.pub`, "utf8")}`);
  fs.writeFileSync(path.join(dirs.replication, "peer.env"), "MEDIA_PEER_ADDRESS='127.0.0.1'\n");
  const authorizedKeys = path.join(root, "authorized_keys");
  fs.writeFileSync(authorizedKeys, receiverAuthorizedKey(fs.readFileSync(`${key}.pub`, "utf8").trim(), dirs.receiver), { mode: 0o600 });

  if (!fs.existsSync("/run/sshd")) fs.mkdirSync("/run/sshd", { mode: 0o755 });
  const config = path.join(root, "sshd_config");
  fs.writeFileSync(config, [
    `Port ${ports.sshd}`, "ListenAddress 127.0.0.1", `HostKey ${hostKey}`, `AuthorizedKeysFile ${authorizedKeys}`,
    "PermitRootLogin forced-commands-only", "PasswordAuthentication no", "KbdInteractiveAuthentication no", "UsePAM no", `PidFile ${root}/sshd.pid`, "StrictModes no", "",
  ].join("\n"));
  sshd = spawn("/usr/sbin/sshd", ["-D", "-e", "-f", config], { stdio: "ignore" });
  await new Promise((resolve) => setTimeout(resolve, 1000));

  asPostgres([`${pgBin}/initdb`, "-D", dirs.pgdata, "-A", "peer", "--no-sync", "-U", "postgres"]);
  asPostgres([`${pgBin}/pg_ctl`, "-D", dirs.pgdata, "-l", path.join(dirs.pgdata, "log"), "-w", "-o", `-p ${ports.postgres} -k ${dirs.sock} -c listen_addresses='' -c fsync=off`, "start"]);
}, 120_000);

afterAll(() => {
  if (dirs.pgdata) run("runuser", ["-u", "postgres", "--", `${pgBin}/pg_ctl`, "-D", dirs.pgdata, "-m", "immediate", "-w", "stop"]);
  sshd?.kill();
  if (root) fs.rmSync(root, { recursive: true, force: true });
});

const write = (dir: string, name: string, content: string | Buffer, mtime?: Date) => {
  fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
  fs.writeFileSync(path.join(dir, name), content);
  if (mtime) fs.utimesSync(path.join(dir, name), mtime, mtime);
};

test("the data nodes' documents carry the replication; the witness's does not; the script passes shellcheck", () => {
  const files = parseCloudConfig(document).write_files.map((f) => f.path);
  expect(files).toEqual(expect.arrayContaining(["/usr/local/lib/dr-estate/media-replicate.sh", `${mediaReplicationPaths.receiverHome}/.ssh/authorized_keys`, "/etc/systemd/system/dr-estate-media-replication.timer"]));
  expect(renderedFile(document, `${mediaReplicationPaths.receiverHome}/.ssh/authorized_keys`)).toBe('restrict,command="/usr/bin/rrsync /srv/media" ssh-ed25519 AAAAPEER peer\n');
  expect(renderCloudConfig(exampleNodeConfig("witness"))).not.toContain("media-replicate");
  expect(run("sh", ["-c", `cd '${dirs.bin}' && shellcheck -x media-replicate.sh`])).toMatchObject({ code: 0, stdout: "" });
});

test("a push copies the primary's media to the peer", () => {
  write(dirs.sender, "artist/song.flac", "audio");
  write(dirs.sender, "uploads/video.mp4", crypto.randomBytes(100_000));
  const result = push();
  expect([result.code, result.stderr]).toEqual([0, ""]);
  expect(fs.readFileSync(path.join(dirs.receiver, "artist/song.flac"), "utf8")).toBe("audio");
  expect(fs.readFileSync(path.join(dirs.receiver, "uploads/video.mp4"))).toEqual(fs.readFileSync(path.join(dirs.sender, "uploads/video.mp4")));
  // The gauge MediaReplicationStale reads, in the file node-exporter's textfile collector picks up.
  expect(fs.readFileSync(path.join(dirs.metrics, "dr_estate_media_replication.prom"), "utf8")).toMatch(new RegExp(`^${mediaTextfileMetrics.replicationLastSuccessTimestamp} \\d+$`, "m"));
});

test("the peer's key cannot write outside the receiver's media folder (rrsync)", () => {
  const ssh = ["-i", path.join(dirs.replication, "id_ed25519"), "-p", String(ports.sshd), "-o", `UserKnownHostsFile=${path.join(dirs.replication, "known_hosts")}`, "-o", "BatchMode=yes"];
  const upward = run("rsync", ["-rlt", "-e", `ssh ${ssh.join(" ")}`, path.join(dirs.sender, "artist/song.flac"), `root@127.0.0.1:../outside/`]);
  expect(upward.code).not.toBe(0);
  const absolute = run("rsync", ["-rlt", "-e", `ssh ${ssh.join(" ")}`, path.join(dirs.sender, "artist/song.flac"), `root@127.0.0.1:${dirs.outside}/`]);
  expect(fs.readdirSync(dirs.outside)).toEqual([]);
  expect(fs.existsSync(path.join(dirs.receiver, dirs.outside, "song.flac")) || absolute.code !== 0).toBe(true);
  const shell = run("ssh", [...ssh, "root@127.0.0.1", `touch ${dirs.outside}/owned`]);
  expect(shell.code).not.toBe(0);
  expect(fs.readdirSync(dirs.outside)).toEqual([]);
});

test("a newer file on the peer is not overwritten by an older one; a deleted file lands in the peer's trash", () => {
  write(dirs.sender, "artist/cover.jpg", "old cover", new Date("2026-01-01T00:00:00Z"));
  write(dirs.receiver, "artist/cover.jpg", "new cover, written on the peer", new Date("2026-06-01T00:00:00Z"));
  fs.rmSync(path.join(dirs.sender, "artist/song.flac"));
  expect(push().code).toBe(0);
  expect(fs.readFileSync(path.join(dirs.receiver, "artist/cover.jpg"), "utf8")).toBe("new cover, written on the peer");
  expect(fs.existsSync(path.join(dirs.receiver, "artist/song.flac"))).toBe(false);
  const day = new Date().toISOString().slice(0, 10);
  expect(fs.readFileSync(path.join(dirs.receiver, ".media-trash", day, "artist/song.flac"), "utf8")).toBe("audio");
});

test("trash past its retention is removed; a node in recovery does not push", () => {
  const old = path.join(dirs.sender, ".media-trash", "2020-01-01");
  write(old, "gone.flac", "x");
  fs.utimesSync(old, new Date("2020-01-02"), new Date("2020-01-02"));
  write(dirs.sender, "after-demotion.flac", "never pushed");
  fs.writeFileSync(path.join(dirs.pgdata, "standby.signal"), "");
  asPostgres([`${pgBin}/pg_ctl`, "-D", dirs.pgdata, "-l", path.join(dirs.pgdata, "log"), "-w", "restart"]);
  const result = push();
  expect([result.code, result.stderr]).toEqual([0, expect.stringContaining("skipping the media push")]);
  expect(fs.existsSync(old)).toBe(false);
  expect(fs.existsSync(path.join(dirs.receiver, "after-demotion.flac"))).toBe(false);
  fs.rmSync(path.join(dirs.pgdata, "standby.signal"));
  asPostgres([`${pgBin}/pg_ctl`, "-D", dirs.pgdata, "-l", path.join(dirs.pgdata, "log"), "-w", "restart"]);
});

test("lag of a push: 1,000 small files and 10 large ones (figures written to bench/results, not asserted)", () => {
  const figures: Record<string, number[]> = { smallFilesPushSeconds: [], largeFilesPushSeconds: [] };
  for (let round = 0; round < 3; round++) {
    for (let i = 0; i < 1000; i++) write(dirs.sender, `bench-small-${round}/${i}.json`, crypto.randomBytes(2048));
    let started = process.hrtime.bigint();
    expect(push().code).toBe(0);
    figures.smallFilesPushSeconds.push(Number(process.hrtime.bigint() - started) / 1e9);
    expect(fs.readdirSync(path.join(dirs.receiver, `bench-small-${round}`))).toHaveLength(1000);
    for (let i = 0; i < 10; i++) write(dirs.sender, `bench-large-${round}/${i}.mp4`, crypto.randomBytes(20 * 1024 * 1024));
    started = process.hrtime.bigint();
    expect(push().code).toBe(0);
    figures.largeFilesPushSeconds.push(Number(process.hrtime.bigint() - started) / 1e9);
    expect(fs.readdirSync(path.join(dirs.receiver, `bench-large-${round}`))).toHaveLength(10);
    fs.rmSync(path.join(dirs.sender, `bench-large-${round}`), { recursive: true });
  }
  const results = path.join(__dirname, "..", "..", "bench", "results", "media-replication.json");
  fs.mkdirSync(path.dirname(results), { recursive: true });
  fs.writeFileSync(results, `${JSON.stringify({
    measuredAt: new Date().toISOString(),
    where: "loopback sshd on this machine, two busy cores shared with other jobs; no WAN latency or bandwidth limit",
    timerIntervalSeconds: 10,
    smallFiles: { count: 1000, bytesEach: 2048, pushSeconds: figures.smallFilesPushSeconds.map((s) => Number(s.toFixed(2))) },
    largeFiles: { count: 10, bytesEach: 20 * 1024 * 1024, pushSeconds: figures.largeFilesPushSeconds.map((s) => Number(s.toFixed(2))) },
    lagBoundSeconds: "a file written just after a push starts waits up to the timer interval plus one push",
  }, null, 2)}\n`);
}, 600_000);
