// The nginx-rtmp piece's files as shipped, run by the real tools: nginx with Debian's RTMP module on
// loopback (ffmpeg publishes a generated stream, Node fetch plays the HLS output), healthz-update.sh
// against real PostgreSQL servers (a primary, and a streaming standby made with pg_basebackup that is
// then promoted), shellcheck on the script and systemd-analyze on its unit.
import { ChildProcess, execFileSync, spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as http from "node:http";
import * as https from "node:https";
import * as os from "node:os";
import * as path from "node:path";
import { renderCloudConfig } from "../../cloud-init";
import { NginxSettings, nginxConfigPath, nginxIncludedFiles, nodeNginxSettings, renderNginxConfig, renderNginxIncludedFiles } from "../../cloud-init/pieces/nginx-rtmp";
import { exampleNodeConfig, makeTestCertificates } from "../support/example-node";
import { fetchTrusting } from "../support/fetch-trusting";
import { writeNginxFiles } from "../support/nginx-files";
import { parseCloudConfig, renderedFile } from "../support/rendered-files";
import { waitFor } from "../../tools/wait";

const scriptPath = "/usr/local/lib/dr-estate/healthz-update.sh";
const unitPath = "/etc/systemd/system/dr-estate-healthz.service";

// This suite's loopback ports.
const httpPort = 18080;
const httpsPort = 18083;
const applicationPort = 18081;
const rtmpPort = 19350;
// The key of the stream "test": publishers use it, viewers never see it.
const testStreamKey = "testkey0123456789abcdefghijklmnop";
const primaryPgPort = 15490;
const standbyPgPort = 15491;
const unusedPgPort = 15499;

const document = renderCloudConfig(exampleNodeConfig("primary"));
const pgBin = postgresBinDirectory();
const postgresUser = { uid: Number(idOf("-u")), gid: Number(idOf("-g")) };
/** nginx's certificate on 443 here: for 127.0.0.1, from a test CA. */
const tls = makeTestCertificates();

let work: string;
let settings: NginxSettings;
let script: string;
let nginx: ChildProcess | undefined;
let ffmpeg: ChildProcess | undefined;
let loop: ChildProcess | undefined;
let application: http.Server | undefined;
const startedClusters: string[] = [];

function idOf(flag: string): string {
  return execFileSync("id", [flag, "postgres"]).toString().trim();
}

/** The newest PostgreSQL server installed from Debian's packages. */
function postgresBinDirectory(): string {
  const versions = fs
    .readdirSync("/usr/lib/postgresql")
    .filter((version) => fs.existsSync(`/usr/lib/postgresql/${version}/bin/initdb`))
    .sort((a, b) => Number(b) - Number(a));
  return `/usr/lib/postgresql/${versions[0]}/bin`;
}

/** Runs a command and returns its exit status and output, without throwing. */
function run(command: string, args: string[], options: { env?: NodeJS.ProcessEnv; uid?: number; gid?: number } = {}) {
  const result = spawnSync(command, args, { stdio: "pipe", timeout: 60_000, ...options });
  return { status: result.status, output: `${result.stdout ?? ""}${result.stderr ?? ""}` };
}

function runOrThrow(command: string, args: string[]): string {
  const result = run(command, args);
  if (result.status !== 0) {
    throw new Error(`${command} ${args.join(" ")} failed (${result.status}):\n${result.output}`);
  }
  return result.output;
}

const asPostgres = (command: string, ...args: string[]) => runOrThrow("runuser", ["-u", "postgres", "--", command, ...args]);

const url = (pathAndQuery: string) => `http://127.0.0.1:${httpPort}${pathAndQuery}`;
const httpsUrl = (pathAndQuery: string) => `https://127.0.0.1:${httpsPort}${pathAndQuery}`;
/** HLS and the application are served over HTTPS (plain HTTP redirects there). */
const fetchHttps = (pathAndQuery: string, init?: { method?: string; headers?: Record<string, string> }) => fetchTrusting(tls.caPem, httpsUrl(pathAndQuery), init);

async function healthz() {
  const response = await fetch(url("/healthz"));
  return { status: response.status, body: await response.text(), cacheControl: response.headers.get("cache-control") };
}

/** Environment of healthz-update.sh on this test's folders, connecting to the PostgreSQL at `port`. */
function healthzEnvironment(port: number, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    HOME: work,
    DR_ESTATE_ETC: path.join(work, "etc"),
    HEALTHZ_DIR: settings.healthzDirectory,
    PGHOST: path.join(work, "pg-socket"),
    PGPORT: String(port),
    // As the rendered unit sets it: the script runs as postgres and cannot read estate.env.
    NODE_FQDN: /^Environment=NODE_FQDN=(.*)$/m.exec(renderedFile(document, "/etc/systemd/system/dr-estate-healthz.service"))![1],
    ...extra,
  };
}

/** One run of the shipped healthz-update.sh as the postgres user, as its systemd unit runs it. */
function updateHealthz(port: number, extra: Record<string, string> = {}) {
  const result = run(script, [], { env: healthzEnvironment(port, extra), ...postgresUser });
  expect(result.status).toBe(0);
  return result.output;
}

function startCluster(directory: string, port: number) {
  asPostgres(
    `${pgBin}/pg_ctl`, "start", "-w", "-t", "60", "-D", directory, "-l", path.join(work, "pg-logs", `${path.basename(directory)}.log`),
    "-o", `-c port=${port} -c listen_addresses=127.0.0.1 -c unix_socket_directories=${path.join(work, "pg-socket")}`,
  );
  startedClusters.push(directory);
}

async function waitForExit(child: ChildProcess, seconds: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) {
    return;
  }
  await new Promise<void>((resolve) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      resolve();
    }, seconds * 1000);
    child.once("exit", () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

beforeAll(async () => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), "dr-estate-nginx-"));
  fs.chmodSync(work, 0o755); // nginx's workers (www-data) and postgres reach their folders inside
  settings = {
    httpListen: `127.0.0.1:${httpPort}`,
    httpsListen: `127.0.0.1:${httpsPort}`,
    tlsCertificate: path.join(work, "tls", "fullchain.pem"),
    tlsCertificateKey: path.join(work, "tls", "privkey.pem"),
    acmeChallengeDirectory: path.join(work, "acme-challenge"),
    rtmpListen: `127.0.0.1:${rtmpPort}`,
    hlsDirectory: path.join(work, "hls"),
    healthzDirectory: path.join(work, "healthz"),
    applicationAddress: `127.0.0.1:${applicationPort}`,
    pidFile: path.join(work, "nginx.pid"),
    logDirectory: path.join(work, "logs"),
    tempDirectory: path.join(work, "temp"),
  };
  for (const folder of ["hls", "healthz", "logs", "temp", "etc", "bin", "pg-socket", "pg-logs", "tls", "acme-challenge"]) {
    fs.mkdirSync(path.join(work, folder), { mode: 0o755 });
  }
  fs.chownSync(settings.hlsDirectory, Number(execFileSync("id", ["-u", "www-data"]).toString()), 0);
  for (const folder of ["healthz", "pg-socket", "pg-logs"]) {
    fs.chownSync(path.join(work, folder), postgresUser.uid, postgresUser.gid);
  }
  fs.writeFileSync(settings.tlsCertificate, tls.certificatePem);
  fs.writeFileSync(settings.tlsCertificateKey, tls.privateKeyPem, { mode: 0o600 });
  script = path.join(work, "bin", "healthz-update.sh");
  fs.writeFileSync(script, renderedFile(document, scriptPath), { mode: 0o755 });

  // The application nginx proxies to: echoes what it received.
  application = http.createServer((request, response) => {
    response.setHeader("content-type", "application/json");
    response.end(JSON.stringify({ url: request.url, forwardedFor: request.headers["x-forwarded-for"], host: request.headers.host }));
  });
  await new Promise<void>((resolve) => application!.listen(applicationPort, "127.0.0.1", resolve));

  // Real PostgreSQL: a primary, and a streaming standby cloned from it.
  const primary = path.join(work, "pg-primary");
  const standby = path.join(work, "pg-standby");
  for (const cluster of [primary, standby]) {
    fs.mkdirSync(cluster, { mode: 0o700 });
    fs.chownSync(cluster, postgresUser.uid, postgresUser.gid);
  }
  asPostgres(`${pgBin}/initdb`, "-D", primary, "-U", "postgres", "--auth-local=peer", "--auth-host=scram-sha-256", "--no-sync");
  startCluster(primary, primaryPgPort);
  asPostgres(`${pgBin}/pg_basebackup`, "-D", standby, "-R", "-X", "stream", "-h", path.join(work, "pg-socket"), "-p", String(primaryPgPort), "-U", "postgres");
  startCluster(standby, standbyPgPort);
});

afterAll(async () => {
  for (const child of [loop, ffmpeg]) {
    if (child) {
      child.kill("SIGTERM");
      await waitForExit(child, 10);
    }
  }
  if (nginx) {
    nginx.kill("SIGQUIT");
    await waitForExit(nginx, 10);
  }
  for (const cluster of startedClusters) {
    run("runuser", ["-u", "postgres", "--", `${pgBin}/pg_ctl`, "stop", "-m", "fast", "-w", "-D", cluster]);
  }
  await new Promise<void>((resolve) => (application ? application.close(() => resolve()) : resolve()));
  fs.rmSync(work, { recursive: true, force: true });
});

describe("the files the piece ships", () => {
  test("the primary and the standby get nginx with the RTMP module; the witness does not", () => {
    expect(parseCloudConfig(document).packages).toEqual(expect.arrayContaining(["nginx", "libnginx-mod-rtmp"]));
    expect(parseCloudConfig(renderCloudConfig(exampleNodeConfig("standby"))).packages).toContain("libnginx-mod-rtmp");
    expect(parseCloudConfig(renderCloudConfig(exampleNodeConfig("witness"))).packages ?? []).not.toContain("libnginx-mod-rtmp");
  });

  test("nginx.conf as shipped is the template this suite runs, filled with the node's ports and paths", () => {
    const shipped = renderedFile(document, nginxConfigPath);
    expect(shipped).toBe(renderNginxConfig(nodeNginxSettings));
    for (const name of nginxIncludedFiles) {
      expect(renderedFile(document, `/etc/nginx/${name}`)).toBe(renderNginxIncludedFiles(nodeNginxSettings)[name]);
      expect(shipped + renderedFile(document, "/etc/nginx/dr-estate/servers.conf")).toContain(`include ${name};`);
    }
    expect(shipped).toContain("load_module /usr/lib/nginx/modules/ngx_rtmp_module.so;");
    expect(shipped).toMatch(/listen 1935;[\s\S]*application hls \{[^}]*hls on;\s*hls_path \/var\/lib\/dr-estate\/hls;\s*hls_fragment 10s;\s*hls_playlist_length 30s;/);
    expect(renderedFile(document, "/etc/nginx/dr-estate/servers.conf")).toContain("listen 80 default_server;");
    expect(renderedFile(document, "/etc/nginx/dr-estate/servers.conf")).toContain("listen 443 ssl http2 default_server;");
    expect(shipped).toContain("server 127.0.0.1:3000;");
    // Written after the packages, so nginx's own postinst never starts on it before the module exists.
    expect(parseCloudConfig(document).write_files.find((file) => file.path === nginxConfigPath)?.defer).toBe(true);
  });

  test("healthz-update.sh passes shellcheck", () => {
    const result = run("shellcheck", ["--severity=style", script]);
    expect(result.output).toBe("");
    expect(result.status).toBe(0);
  });

  test("the healthz unit passes systemd-analyze verify and runs the shipped script as postgres", () => {
    const unit = renderedFile(document, unitPath);
    expect(unit).toContain("User=postgres");
    expect(unit).toContain("RuntimeDirectory=dr-estate/healthz");
    expect(unit).toContain(`HEALTHZ_DIR=${nodeNginxSettings.healthzDirectory}`);
    const unitDirectory = fs.mkdtempSync(path.join(work, "unit-"));
    const unitFile = path.join(unitDirectory, "dr-estate-healthz.service");
    // Point the unit at this suite's copy of the script: the node's path does not exist here.
    fs.writeFileSync(unitFile, unit.replace(scriptPath, script));
    const result = run("systemd-analyze", ["verify", unitFile]);
    expect(result.output).toBe("");
    expect(result.status).toBe(0);
    fs.writeFileSync(unitFile, unit.replace(scriptPath, path.join(work, "missing.sh")));
    expect(run("systemd-analyze", ["verify", unitFile]).status).not.toBe(0);
  });
});

describe("nginx on the shipped template", () => {
  test("nginx -t accepts it, and refuses it without the RTMP module (the check can fail)", () => {
    const config = writeNginxFiles(work, settings, { streams: [{ name: "test", key: testStreamKey }] });
    const result = run("nginx", ["-t", "-p", work, "-c", config]);
    expect(result.output).toContain("test is successful");
    expect(result.status).toBe(0);

    const brokenDirectory = path.join(work, "without-rtmp");
    fs.mkdirSync(brokenDirectory);
    const broken = writeNginxFiles(brokenDirectory, settings, { mainConfig: renderNginxConfig(settings).replace(/^load_module .*$/m, "") });
    const refused = run("nginx", ["-t", "-p", work, "-c", broken]);
    expect(refused.output).toMatch(/unknown directive "rtmp"/);
    expect(refused.status).not.toBe(0);
  });

  test("starts as root with www-data workers and proxies the application", async () => {
    const config = path.join(work, "nginx.conf");
    nginx = spawn("nginx", ["-p", work, "-c", config, "-g", "daemon off;"], { stdio: ["ignore", "ignore", "pipe"] });
    let errors = "";
    nginx.stderr!.on("data", (chunk) => (errors += chunk));
    await waitFor(`nginx to answer (stderr: ${errors})`, 20, async () => ((await fetch(url("/healthz"))).status > 0 ? true : undefined));

    // node:https rather than fetch, which does not let a caller set Host.
    const proxied = await new Promise<{ status?: number; body: string }>((resolve, reject) => {
      const request = https.get(httpsUrl("/streams/42?view=full"), { ca: tls.caPem, servername: "localhost", headers: { host: "stream.example.com" } }, (response) => {
        let body = "";
        response.on("data", (chunk) => (body += chunk));
        response.on("end", () => resolve({ status: response.statusCode, body }));
      });
      request.on("error", reject);
    });
    expect(proxied.status).toBe(200);
    expect(JSON.parse(proxied.body)).toEqual({ url: "/streams/42?view=full", forwardedFor: "127.0.0.1", host: "stream.example.com" });
    const workers = runOrThrow("ps", ["-o", "user=", "--ppid", String(nginx.pid)]).trim().split("\n");
    expect(workers).toContain("www-data");
  });

  test("a stream published over RTMP is served as HLS with the right types, CORS and caching", async () => {
    ffmpeg = spawn("ffmpeg", [
      "-hide_banner", "-loglevel", "error", "-nostdin", "-re",
      "-f", "lavfi", "-i", "testsrc=size=320x240:rate=25",
      "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=44100",
      // 12 s: the first 10 s fragment closes at the keyframe after 10 s, then the playlist lists it.
      "-t", "12", "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-g", "25", "-c:a", "aac",
      "-f", "flv", `rtmp://127.0.0.1:${rtmpPort}/live/${testStreamKey}`,
    ], { stdio: ["ignore", "ignore", "pipe"] });
    let ffmpegErrors = "";
    ffmpeg.stderr!.on("data", (chunk) => (ffmpegErrors += chunk));

    const playlist = await waitFor(`a playlist with a segment (ffmpeg: ${ffmpegErrors})`, 60, async () => {
      const response = await fetchHttps("/hls/test.m3u8");
      const text = await response.text();
      return response.status === 200 && /\.ts$/m.test(text) ? { response, text } : undefined;
    });
    expect(playlist.text.startsWith("#EXTM3U")).toBe(true);
    expect(playlist.response.headers.get("content-type")).toBe("application/vnd.apple.mpegurl");
    expect(playlist.response.headers.get("access-control-allow-origin")).toBe("*");
    expect(playlist.response.headers.get("cache-control")).toBe("no-cache");

    const segmentName = playlist.text.split("\n").find((line) => line.endsWith(".ts"))!;
    const segment = await fetchHttps(`/hls/${segmentName}`);
    expect(segment.status).toBe(200);
    expect(segment.headers.get("content-type")).toBe("video/mp2t");
    expect(segment.headers.get("access-control-allow-origin")).toBe("*");
    expect(segment.headers.get("cache-control")).toMatch(/max-age=\d+/);
    const bytes = Buffer.from(await segment.arrayBuffer());
    expect(bytes.length).toBeGreaterThan(1000);
    expect(bytes[0]).toBe(0x47); // MPEG-TS sync byte
    expect(bytes[188]).toBe(0x47);

    const preflight = await fetchHttps(`/hls/${segmentName}`, {
      method: "OPTIONS",
      headers: { origin: "https://player.example.com", "access-control-request-method": "GET", "access-control-request-headers": "range" },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get("access-control-allow-origin")).toBe("*");
    expect(preflight.headers.get("access-control-allow-headers")).toMatch(/range/i);

    expect((await fetchHttps("/hls/missing.m3u8")).status).toBe(404);
    await waitForExit(ffmpeg, 30);
    expect(ffmpeg.exitCode).toBe(0);
  });
});

describe("/healthz follows the database", () => {
  test("is 503 before any health check ran", async () => {
    const answer = await healthz();
    expect(answer.status).toBe(503);
    expect(answer.body).toMatch(/no health check result/);
    expect(answer.cacheControl).toBe("no-store");
  });

  test("is 200 on the writable primary", async () => {
    updateHealthz(primaryPgPort);
    const answer = await healthz();
    expect(answer.body).toMatch(/^ok: writable primary \(node primary\.example\.com\)$/m);
    expect(answer.status).toBe(200);
    expect(answer.cacheControl).toBe("no-store");
  });

  test("is 503 on a primary fenced read-only", async () => {
    const psql = (sql: string) => asPostgres(`${pgBin}/psql`, "-X", "-h", path.join(work, "pg-socket"), "-p", String(primaryPgPort), "-c", sql);
    psql("alter system set default_transaction_read_only = on");
    psql("select pg_reload_conf()");
    try {
      await waitFor("the read-only setting to apply", 10, async () => {
        updateHealthz(primaryPgPort);
        return (await healthz()).status === 503 ? true : undefined;
      });
      expect((await healthz()).body).toMatch(/^unavailable: PostgreSQL is read-only/);
    } finally {
      psql("alter system reset default_transaction_read_only");
      psql("select pg_reload_conf()");
    }
  });

  test("stays 200 on a writable primary whose disks are full: that is the HighDiskUsage alert, not a DNS move", async () => {
    // A df that reports every filesystem 100 % used, first on the PATH, and the old limit setting at 0 %.
    const fakeBin = path.join(work, "full-disk-bin");
    fs.mkdirSync(fakeBin, { recursive: true, mode: 0o755 });
    fs.writeFileSync(path.join(fakeBin, "df"), "#!/bin/sh\necho 'Filesystem 1024-blocks Used Available Capacity Mounted on'\necho \"/dev/full 1000 1000 0 100% $2\"\n", { mode: 0o755 });
    expect(run(path.join(fakeBin, "df"), ["-P", "/"]).output).toContain("100%");
    updateHealthz(primaryPgPort, { PATH: `${fakeBin}:${process.env.PATH}`, HEALTHZ_MAX_DISK_USED_PERCENT: "0" });
    const answer = await healthz();
    expect(answer.body).toMatch(/^ok: writable primary \(node primary\.example\.com\)$/m);
    expect(answer.status).toBe(200);
    const rules = renderedFile(renderCloudConfig(exampleNodeConfig("witness")), "/etc/prometheus/rules/dr-estate.rules.yml");
    expect(rules).toContain("- alert: HighDiskUsage");
  });

  test("is 503 on a streaming standby", async () => {
    updateHealthz(primaryPgPort);
    expect((await healthz()).status).toBe(200);
    updateHealthz(standbyPgPort);
    const answer = await healthz();
    expect(answer.status).toBe(503);
    expect(answer.body).toMatch(/^unavailable: PostgreSQL is a standby \(in recovery\)/);
  });

  test("is 503 when PostgreSQL does not answer", async () => {
    updateHealthz(primaryPgPort);
    expect((await healthz()).status).toBe(200);
    updateHealthz(unusedPgPort);
    const answer = await healthz();
    expect(answer.status).toBe(503);
    expect(answer.body).toMatch(/^unavailable: PostgreSQL is not reachable/);
  });

  test("turns 200 on the standby once it is promoted", async () => {
    asPostgres(`${pgBin}/pg_ctl`, "promote", "-w", "-t", "60", "-D", path.join(work, "pg-standby"));
    updateHealthz(standbyPgPort);
    const answer = await healthz();
    expect(answer.body).toMatch(/^ok: writable primary/);
    expect(answer.status).toBe(200);
  });

  test("the --loop mode keeps it current and leaves no 200 behind when stopped", async () => {
    updateHealthz(unusedPgPort);
    expect((await healthz()).status).toBe(503);
    loop = spawn(script, ["--loop"], {
      env: healthzEnvironment(primaryPgPort, { HEALTHZ_INTERVAL_SECONDS: "1" }),
      stdio: "ignore",
      ...postgresUser,
    });
    await waitFor("the loop to report the primary", 20, async () => ((await healthz()).status === 200 ? true : undefined));

    loop.kill("SIGTERM");
    await waitForExit(loop, 10);
    expect(loop.exitCode).toBe(0);
    const answer = await healthz();
    expect(answer.status).toBe(503);
    expect(answer.body).toMatch(/no health check result/);
    expect(fs.readdirSync(settings.healthzDirectory)).toEqual([]);
  });
});
