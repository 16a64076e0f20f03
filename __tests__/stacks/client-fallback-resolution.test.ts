// The clients' DNS fallback used as the README shows it, by real resolvers: the rendered hosts file
// as /etc/hosts in a mount namespace of its own (glibc's getent, curl), and the JSON document's
// first address through `curl --resolve`. The nodes' addresses are loopback ones here.
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { ClientFallbackInput, clientFallbackDocument, clientFallbackHostsFile } from "../../estate/client-fallback";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "client-fallback-"));
let server: http.Server;
let port: number;
beforeAll(async () => {
  // Only the standby (127.0.0.2) answers; nothing listens on the primary's 127.0.0.1 at this port.
  server = http.createServer((_request, response) => response.end("served by the standby\n"));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.2", resolve));
  port = (server.address() as AddressInfo).port;
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  fs.rmSync(dir, { recursive: true, force: true });
});

const input = (lastKnownPrimary: "primary" | "standby"): ClientFallbackInput => ({
  domain: "example.com",
  hostnames: ["api", "cdn"],
  lastKnownPrimary,
  addresses: { primary: "127.0.0.1", standby: "127.0.0.2" },
});

/** Runs a program without blocking this process, whose HTTP server must answer meanwhile. */
function run(program: string, args: string[]): Promise<{ status: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(program, args, { encoding: "utf8" }, (error, stdout, stderr) => resolve({ status: error ? Number(error.code ?? 1) : 0, stdout, stderr }));
  });
}

/** `script` run by sh in a mount namespace whose /etc/hosts is the rendered snippet. */
async function withHostsFile(hostsFile: string, script: string): Promise<string> {
  const file = path.join(dir, "hosts");
  fs.writeFileSync(file, hostsFile);
  const result = await run("unshare", ["--mount", "--propagation", "private", "sh", "-ec", `mount --bind "$0" /etc/hosts\n${script}`, file]);
  expect(result.stderr).toBe("");
  expect(result.status).toBe(0);
  return result.stdout;
}

// getaddrinfo sorts what the hosts file gives (RFC 6724; here rule 9 prefers 127.0.0.1, the source
// address itself), so the order is the file's only for gethostbyname and the JSON document's users.
test("glibc resolves each service name from the hosts snippet to both data nodes", async () => {
  const out = await withHostsFile(clientFallbackHostsFile(input("standby")), "getent ahostsv4 api.example.com; getent ahostsv4 cdn.example.com");
  const addresses = out.split("\n").filter((line) => line.includes("STREAM")).map((line) => line.split(/\s+/)[0]);
  expect(addresses.sort()).toEqual(["127.0.0.1", "127.0.0.1", "127.0.0.2", "127.0.0.2"]);
});

test.each([
  ["primary", "127.0.0.1 127.0.0.2"],
  ["standby", "127.0.0.2 127.0.0.1"],
] as const)("gethostbyname keeps the hosts snippet's order: the last known primary (%s) first", async (lastKnownPrimary, order) => {
  const out = await withHostsFile(clientFallbackHostsFile(input(lastKnownPrimary)), "getent hosts api.example.com");
  expect(out.trim().split("\n").map((line) => line.split(/\s+/)[0]).join(" ")).toBe(order);
});

test("curl reaches the standby through the hosts snippet when the last known primary does not answer", async () => {
  const out = await withHostsFile(clientFallbackHostsFile(input("primary")), `curl -sS --max-time 10 http://api.example.com:${port}/`);
  expect(out).toBe("served by the standby\n");
});

test("curl --resolve with the JSON document's first address for the name, as a client library would", async () => {
  const file = path.join(dir, "client-fallback.json");
  fs.writeFileSync(file, JSON.stringify(clientFallbackDocument(input("standby"))));
  const script = `address=$(jq -r '.hosts["cdn.example.com"][0]' "$0")\ncurl -sS --max-time 10 --resolve "cdn.example.com:${port}:$address" "http://cdn.example.com:${port}/"`;
  const result = await run("sh", ["-ec", script, file]);
  expect(result.stderr).toBe("");
  expect(result.stdout).toBe("served by the standby\n");
});
