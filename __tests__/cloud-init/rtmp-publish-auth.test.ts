// RTMP publish authentication as the rendered user-data ships it: nginx with the RTMP module in a
// network namespace of its own (the node), ffmpeg publishing and playing from a second namespace (the
// internet) and from the node itself. Only the stream's key publishes, HLS names only the stream, and
// RTMP play works on the node alone.
import { ChildProcess, execFileSync, spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { renderCloudConfig } from "../../cloud-init";
import { nginxConfigPath, rtmpPublishFiles } from "../../cloud-init/pieces/nginx-rtmp";
import { exampleNodeConfig } from "../support/example-node";
import { parseCloudConfig, renderedFile } from "../support/rendered-files";
import { waitFor } from "../../tools/wait";

const node = exampleNodeConfig("standby");
const document = renderCloudConfig(node);
const stream = node.streamKeys![0];
const server = `drtest-rtmp-${process.pid}-node`;
const client = `drtest-rtmp-${process.pid}-net`;
const nodeAddress = "192.0.2.10";
const namespacesWork = spawnSync("ip", ["netns", "add", server]).status === 0;
const itWithNamespaces = namespacesWork || process.env.CI ? it : it.skip;

let work: string;
let hlsDirectory: string;
let nginx: ChildProcess | undefined;
const running: ChildProcess[] = [];

const inNamespace = (namespace: string, ...command: string[]) => execFileSync("ip", ["netns", "exec", namespace, ...command], { encoding: "utf8" });

/** ffmpeg publishing a test picture and tone to `url` from `namespace` for `seconds`. */
function publish(namespace: string, url: string, seconds: number): ChildProcess {
  const ffmpeg = spawn("ip", ["netns", "exec", namespace, "ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin", "-re",
    "-f", "lavfi", "-i", "testsrc=size=320x240:rate=25", "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=44100",
    "-t", String(seconds), "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-g", "25", "-c:a", "aac",
    "-f", "flv", url], { stdio: ["ignore", "ignore", "pipe"] });
  running.push(ffmpeg);
  return ffmpeg;
}

function exitOf(child: ChildProcess, seconds: number): Promise<number | string> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => { child.kill("SIGKILL"); resolve("still running"); }, seconds * 1000);
    child.once("exit", (code) => { clearTimeout(timer); resolve(code ?? "killed"); });
  });
}

/** Whether ffmpeg in `namespace` can read one second of `url` (RTMP play). */
function canPlay(namespace: string, url: string): boolean {
  const result = spawnSync("ip", ["netns", "exec", namespace, "ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin",
    "-rw_timeout", "5000000", "-i", url, "-t", "1", "-f", "null", "-"], { timeout: 20_000 });
  return result.status === 0;
}

beforeAll(async () => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), "dr-estate-rtmp-auth-"));
  fs.chmodSync(work, 0o755);
  hlsDirectory = path.join(work, "hls");
  fs.mkdirSync(hlsDirectory);
  fs.mkdirSync(path.join(work, "temp"));
  fs.chownSync(hlsDirectory, Number(execFileSync("id", ["-u", "www-data"]).toString()), 0);
  // The shipped RTMP block (its own port space in the namespace: 1935, the check on 127.0.0.1) and
  // the shipped check and key list; the rest of nginx.conf (HTTPS, the application) is not its business.
  const shipped = renderedFile(document, nginxConfigPath);
  const rtmpBlock = /^rtmp \{[\s\S]*?^\}$/m.exec(shipped)![0].replace(/hls_path [^;]+;/, `hls_path ${hlsDirectory};`);
  fs.writeFileSync(path.join(work, "nginx.conf"), [
    /^load_module .*$/m.exec(shipped)![0],
    "user www-data;",
    "worker_processes 1;",
    `pid ${work}/nginx.pid;`,
    `error_log ${work}/error.log info;`,
    "events { worker_connections 64; }",
    rtmpBlock,
    `http { access_log off; client_body_temp_path ${work}/temp; proxy_temp_path ${work}/temp; fastcgi_temp_path ${work}/temp; uwsgi_temp_path ${work}/temp; scgi_temp_path ${work}/temp; include ${rtmpPublishFiles.check}; }`,
  ].join("\n"));
  for (const name of Object.values(rtmpPublishFiles)) {
    fs.writeFileSync(path.join(work, name), renderedFile(document, `/etc/nginx/${name}`));
  }
  if (!namespacesWork) {
    return;
  }
  execFileSync("ip", ["netns", "add", client]);
  execFileSync("ip", ["link", "add", "drrtmp-node", "netns", server, "type", "veth", "peer", "name", "drrtmp-net", "netns", client]);
  for (const [namespace, link, address] of [[server, "drrtmp-node", `${nodeAddress}/24`], [client, "drrtmp-net", "192.0.2.7/24"]]) {
    inNamespace(namespace, "ip", "link", "set", "lo", "up");
    inNamespace(namespace, "ip", "address", "add", address, "dev", link);
    inNamespace(namespace, "ip", "link", "set", link, "up");
  }
  nginx = spawn("ip", ["netns", "exec", server, "nginx", "-p", work, "-c", path.join(work, "nginx.conf"), "-g", "daemon off;"], { stdio: ["ignore", "ignore", "inherit"] });
  await waitFor("nginx to listen for RTMP", 20, async () => (/:1935\b/.test(inNamespace(server, "ss", "-ltn")) ? true : undefined));
}, 60_000);

afterAll(() => {
  for (const child of [...running, nginx]) {
    child?.kill("SIGKILL");
  }
  spawnSync("ip", ["netns", "del", server]);
  spawnSync("ip", ["netns", "del", client]);
  fs.rmSync(work, { recursive: true, force: true });
});

it("ships the key list for root alone, and the check logs no query", () => {
  expect(renderedFile(document, `/etc/nginx/${rtmpPublishFiles.streamKeys}`)).toBe(`"${stream.key}" "${stream.name}";\n`);
  expect(parseCloudConfig(document).write_files.find((file) => file.path === `/etc/nginx/${rtmpPublishFiles.streamKeys}`)?.permissions).toBe("0600");
  expect(renderedFile(document, `/etc/nginx/${rtmpPublishFiles.check}`)).toMatch(/access_log off;/);
});

itWithNamespaces("refuses a publisher without the stream's key, or straight into the HLS application", async () => {
  const wrongKey = publish(client, `rtmp://${nodeAddress}/live/${stream.key.slice(0, -1)}x`, 5);
  const byName = publish(client, `rtmp://${nodeAddress}/live/${stream.name}`, 5);
  const intoHls = publish(client, `rtmp://${nodeAddress}/hls/${stream.name}`, 5);
  const exits = await Promise.all([exitOf(wrongKey, 15), exitOf(byName, 15), exitOf(intoHls, 15)]);
  expect(exits.map((code) => typeof code === "number" && code !== 0)).toEqual([true, true, true]);
  expect(fs.readdirSync(hlsDirectory)).toEqual([]);
}, 60_000);

itWithNamespaces("turns the right key into HLS under the stream's name alone; RTMP play only on the node", async () => {
  const publisher = publish(client, `rtmp://${nodeAddress}/live/${stream.key}`, 25);
  const playlist = path.join(hlsDirectory, `${stream.name}.m3u8`);
  await waitFor("the stream's playlist to list a segment", 40, async () => (fs.existsSync(playlist) && /\.ts$/m.test(fs.readFileSync(playlist, "utf8")) ? true : undefined));

  const files = fs.readdirSync(hlsDirectory);
  expect(files.every((file) => file.startsWith(`${stream.name}`))).toBe(true);
  const leaks = files.filter((file) => file.includes(stream.key) || fs.readFileSync(path.join(hlsDirectory, file)).includes(stream.key));
  expect(leaks).toEqual([]);

  expect({
    "hls from the internet": canPlay(client, `rtmp://${nodeAddress}/hls/${stream.name}`),
    "live from the internet": canPlay(client, `rtmp://${nodeAddress}/live/${stream.key}`),
    "hls on the node": canPlay(server, `rtmp://127.0.0.1/hls/${stream.name}`),
  }).toEqual({ "hls from the internet": false, "live from the internet": false, "hls on the node": true });
  expect(await exitOf(publisher, 40)).toBe(0);
}, 120_000);
