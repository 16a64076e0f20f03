// DigitalOcean's reserved-IP egress as the rendered user-data ships it, run in a network namespace of
// its own (a droplet's default route and anchor address) against a stand-in for the metadata service.
import { ChildProcess, execFileSync, spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { nodePaths, renderCloudConfig } from "../../cloud-init";
import { exampleNodeConfig } from "../support/example-node";
import { parseCloudConfig, renderedFile } from "../support/rendered-files";

const scriptPath = `${nodePaths.scripts}/reserved-ip-egress.sh`;
const document = renderCloudConfig(exampleNodeConfig("standby", { egressThroughReservedIp: true }));
const droplet = `drtest-egress-${process.pid}`;
const metadataPort = 18169;
const namespacesWork = spawnSync("ip", ["netns", "add", droplet]).status === 0;
const itWithNamespaces = namespacesWork || process.env.CI ? it : it.skip;

let work: string;
let metadata: ChildProcess | undefined;
const inDroplet = (...command: string[]) => execFileSync("ip", ["netns", "exec", droplet, ...command], { encoding: "utf8" });

/** The droplet's metadata as the stand-in serves it: the reserved IP's state and the anchor address. */
function serveMetadata(active: boolean): Promise<ChildProcess> {
  const answers = {
    "/metadata/v1/reserved_ip/ipv4/active": String(active),
    "/metadata/v1/interfaces/public/0/anchor_ipv4/address": "10.19.0.5",
    "/metadata/v1/interfaces/public/0/anchor_ipv4/gateway": "10.19.0.1",
  };
  const server = spawn("ip", ["netns", "exec", droplet, process.execPath, "-e",
    `const answers = ${JSON.stringify(answers)};
     require("http").createServer((request, response) => {
       if (!(request.url in answers)) { response.statusCode = 404; return response.end(); }
       response.end(answers[request.url]);
     }).listen(${metadataPort}, "127.0.0.1", () => console.log("listening"));`], { stdio: ["ignore", "pipe", "inherit"] });
  return new Promise((resolve, reject) => {
    server.stdout!.once("data", () => resolve(server));
    server.once("exit", (code) => reject(new Error(`metadata stand-in exited ${code}`)));
  });
}

function runScript(waitSeconds = "0") {
  const result = spawnSync("ip", ["netns", "exec", droplet, "sh", path.join(work, "reserved-ip-egress.sh"), waitSeconds], {
    encoding: "utf8",
    env: { PATH: process.env.PATH, METADATA_URL: `http://127.0.0.1:${metadataPort}/metadata/v1` },
  });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

const routes = () => inDroplet("ip", "-4", "route", "show").trim().split("\n").map((line) => line.trim()).sort();

beforeAll(() => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), "dr-estate-egress-"));
  fs.writeFileSync(path.join(work, "reserved-ip-egress.sh"), renderedFile(document, scriptPath));
  if (!namespacesWork) {
    return;
  }
  // A droplet's public interface: its own address and gateway, and the anchor address beside them.
  inDroplet("ip", "link", "set", "lo", "up");
  inDroplet("ip", "link", "add", "eth0", "type", "veth", "peer", "name", "gw0");
  inDroplet("ip", "address", "add", "192.0.2.10/24", "dev", "eth0");
  inDroplet("ip", "address", "add", "10.19.0.5/16", "dev", "eth0");
  inDroplet("ip", "link", "set", "eth0", "up");
  inDroplet("ip", "link", "set", "gw0", "up");
  inDroplet("ip", "route", "add", "default", "via", "192.0.2.1", "dev", "eth0", "onlink");
});

afterEach(() => {
  metadata?.kill("SIGKILL");
  metadata = undefined;
});

afterAll(() => {
  spawnSync("ip", ["netns", "del", droplet]);
  fs.rmSync(work, { recursive: true, force: true });
});

it("runs at first boot, waiting for the reserved IP, and again from a timer", () => {
  const runcmd: string[] = parseCloudConfig(document).runcmd;
  expect(runcmd).toContain(`${scriptPath} 600`);
  expect(runcmd).toContain("systemctl enable --now dr-estate-reserved-ip-egress.timer");
  const plain = parseCloudConfig(renderCloudConfig(exampleNodeConfig("standby")));
  expect(plain.write_files.map((file) => file.path)).not.toContain(scriptPath);
});

itWithNamespaces("keeps the droplet's own route while no reserved IP is assigned", async () => {
  metadata = await serveMetadata(false);
  const before = routes();
  const result = runScript();
  expect(result).toEqual({ status: 0, output: expect.stringContaining("no reserved IP assigned yet") });
  expect(routes()).toEqual(before);
});

itWithNamespaces("routes through the anchor gateway from the anchor address once it is, keeping the metadata path", async () => {
  metadata = await serveMetadata(true);
  expect(runScript().status).toBe(0);
  expect(routes()).toEqual(expect.arrayContaining([
    "default via 10.19.0.1 dev eth0 src 10.19.0.5",
    "169.254.169.254 via 192.0.2.1 dev eth0",
  ]));
  expect(inDroplet("ip", "-4", "route", "get", "198.51.100.7")).toMatch(/via 10\.19\.0\.1 dev eth0 src 10\.19\.0\.5/);
  // A second run (the timer's) changes nothing.
  const settled = routes();
  expect(runScript()).toEqual({ status: 0, output: "" });
  expect(routes()).toEqual(settled);
});
