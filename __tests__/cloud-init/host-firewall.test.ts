// Every node's host firewall: /etc/nftables.conf as the rendered user-data ships it, checked by nft,
// loaded into network namespaces of its own and probed with real TCP connections, inbound and to the
// metadata address.
import { ChildProcess, execFileSync, spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { renderCloudConfig } from "../../cloud-init";
import { hostFirewall, metadataServiceAddress } from "../../cloud-init/pieces/host-firewall";
import { dataNodeInboundRules, FirewallRule, nodeRoles } from "../../estate";
import { exampleNodeConfig } from "../support/example-node";
import { parseCloudConfig, renderedFile } from "../support/rendered-files";

const confPath = "/etc/nftables.conf";
// Example estate: admin network 198.51.100.0/24, estate peers 198.51.100.20/32 and 198.51.100.30/32.
const adminCidr = "198.51.100.0/24";

const ip = (...args: string[]) => execFileSync("ip", args, { stdio: "pipe" }).toString();
const inNamespace = (namespace: string, ...command: string[]) =>
  execFileSync("ip", ["netns", "exec", namespace, ...command], { stdio: "pipe" }).toString();

// Whether this machine lets us make network namespaces (root with CAP_SYS_ADMIN); probed once.
const probeNamespace = `drtest-fw-${process.pid}-probe`;
const namespacesWork = spawnSync("ip", ["netns", "add", probeNamespace]).status === 0;
if (namespacesWork) {
  spawnSync("ip", ["netns", "del", probeNamespace]);
} else if (!process.env.CI) {
  console.warn("host-firewall: network namespaces are not available here; the load and connection tests are skipped");
}
// CI runs as root and must prove the rules with real connections: there a failing probe fails the tests.
const itWithNamespaces = namespacesWork || process.env.CI ? it : it.skip;

let workDir: string;
let shippedConf: string;
let shippedConfPath: string;

beforeAll(() => {
  workDir = fs.mkdtempSync(path.join(os.tmpdir(), "dr-estate-fw-"));
  shippedConf = renderedFile(renderCloudConfig(exampleNodeConfig("primary")), confPath);
  shippedConfPath = path.join(workDir, "nftables.conf");
  fs.writeFileSync(shippedConfPath, shippedConf);
});

afterAll(() => {
  fs.rmSync(workDir, { recursive: true, force: true });
});

describe("host firewall piece", () => {
  it("ships nftables, the rendered ruleset and enables the service on every node", () => {
    for (const role of nodeRoles) {
      const node = parseCloudConfig(renderCloudConfig(exampleNodeConfig(role)));
      expect(node.packages).toContain("nftables");
      expect(node.runcmd).toContain("systemctl enable --now nftables");
      expect(node.write_files.map((file) => file.path)).toContain(confPath);
    }
    expect(shippedConf).not.toMatch(/\{\{/);
    // A node given no rules (the lab's containers) gets no firewall at all.
    expect(hostFirewall(exampleNodeConfig("standby", { hostFirewallRules: undefined }))).toEqual({});
  });

  it.each(nodeRoles)("the %s's ruleset passes nft's own check (nft -c -f)", (role) => {
    const file = path.join(workDir, `${role}.conf`);
    fs.writeFileSync(file, renderedFile(renderCloudConfig(exampleNodeConfig(role)), confPath));
    const check = spawnSync("nft", ["-c", "-f", file], { encoding: "utf8" });
    expect(check.stderr).toBe("");
    expect(check.status).toBe(0);
  });

  it("gives the witness SSH from the admin network and the monitor's port from the data nodes, nothing public", () => {
    const witness = renderedFile(renderCloudConfig(exampleNodeConfig("witness")), confPath);
    const accepts = witness.split("\n").filter((line) => / tcp dport \d+ accept/.test(line)).map((line) => line.trim());
    expect(accepts).toEqual([
      'ip saddr { 198.51.100.0/24 } tcp dport 22 accept comment "SSH from admin networks"',
      'ip saddr { 203.0.113.10/32, 198.51.100.20/32 } tcp dport 5432 accept comment "pg_auto_failover monitor from the data nodes"',
    ]);
  });

  it("writes rulesets nft accepts when sources repeat or overlap, or use IPv6", () => {
    const rules: FirewallRule[] = [
      { description: "SSH", protocol: "tcp", port: 22, sources: ["10.0.0.0/8", "10.1.0.0/16", "2001:db8::/32", "2001:db8:1::/48"] },
      { description: "PostgreSQL", protocol: "tcp", port: 5432, sources: ["198.51.100.20/32", "198.51.100.20/32", "2001:db8::7"] },
      { description: "HTTP over IPv6 only", protocol: "tcp", port: 80, sources: ["::/0"] },
      { description: "QUIC over IPv4 only", protocol: "udp", port: 443, sources: ["0.0.0.0/0"] },
    ];
    const conf = renderedFile(renderCloudConfig(exampleNodeConfig("primary", { hostFirewallRules: rules })), confPath);
    expect(conf).toContain("ip6 saddr { 2001:db8::/32, 2001:db8:1::/48 } tcp dport 22 accept");
    expect(conf).toContain("meta nfproto ipv6 tcp dport 80 accept");
    expect(conf).toContain("meta nfproto ipv4 udp dport 443 accept");
    const file = path.join(workDir, "variants.conf");
    fs.writeFileSync(file, conf);
    const check = spawnSync("nft", ["-c", "-f", file], { encoding: "utf8" });
    expect(check.stderr).toBe("");
    expect(check.status).toBe(0);
  });

  it("refuses to write a rule that opens SSH, PostgreSQL or NATS to the world", () => {
    const hostile = (port: number, sources: string[]): FirewallRule[] => [
      { description: "HTTP", protocol: "tcp", port: 80, sources: ["0.0.0.0/0", "::/0"] },
      { description: "hostile", protocol: "tcp", port, sources },
    ];
    for (const port of [22, 5432, 4222, 6222]) {
      for (const sources of [["0.0.0.0/0"], ["::/0"], ["198.51.100.20/32", "0.0.0.0/0"], ["0::/0"]]) {
        const node = exampleNodeConfig("primary", { hostFirewallRules: hostile(port, sources) });
        expect(() => renderCloudConfig(node)).toThrow(/opens .* \(port \d+\) to/);
      }
    }
    // The same ports from estate peers are fine, and so is the world on a public port.
    const fine = exampleNodeConfig("primary", { hostFirewallRules: hostile(5432, ["198.51.100.20/32", "2001:db8::7/128"]) });
    expect(() => renderCloudConfig(fine)).not.toThrow();
  });

  it("refuses sources that are not addresses (no nft syntax smuggled into the ruleset)", () => {
    for (const source of ["198.51.100.0/24 } accept; #", "any", "198.51.100.0/33", "2001:db8::/129", ""]) {
      const node = exampleNodeConfig("primary", {
        hostFirewallRules: [{ description: "bad", protocol: "tcp", port: 80, sources: [source] }],
      });
      expect(() => renderCloudConfig(node)).toThrow(/not an IPv4 or IPv6 address/);
    }
  });

  it("places Terraform tokens for the peers' addresses as IPv4 sources", () => {
    const rules = dataNodeInboundRules({ adminCidrs: [adminCidr], estatePeers: ["${TfToken[TOKEN.42]}/32"], otherDataNode: "${TfToken[TOKEN.42]}/32" });
    const conf = renderedFile(renderCloudConfig(exampleNodeConfig("primary", { hostFirewallRules: rules })), confPath);
    expect(conf).toContain('ip saddr { ${TfToken[TOKEN.42]}/32 } tcp dport 5432 accept');
  });
});

describe("host firewall loaded into a network namespace", () => {
  const server = `drtest-fw-${process.pid}-srv`;
  const client = `drtest-fw-${process.pid}-cli`;
  const listeners: ChildProcess[] = [];
  // Addresses exist only inside the two namespaces this test creates.
  const serverAddresses = ["198.51.100.10/24", "192.0.2.10/24", "2001:db8::10/64"];
  const clientAddresses = ["198.51.100.20/24", "198.51.100.99/24", "192.0.2.7/24", "2001:db8::7/64"];
  const probePorts = [22, 80, 443, 1935, 5432, 4222, 15460];
  let ruleset: string;

  beforeAll(async () => {
    if (!namespacesWork) {
      return;
    }
    ip("netns", "add", server);
    ip("netns", "add", client);
    ip("link", "add", "drfw-srv", "netns", server, "type", "veth", "peer", "name", "drfw-cli", "netns", client);
    for (const [namespace, link, addresses] of [
      [server, "drfw-srv", serverAddresses],
      [client, "drfw-cli", clientAddresses],
    ] as const) {
      inNamespace(namespace, "ip", "link", "set", "lo", "up");
      for (const address of addresses) {
        // nodad: the IPv6 address is usable at once instead of after duplicate address detection.
        inNamespace(namespace, "ip", "address", "add", address, "dev", link, ...(address.includes(":") ? ["nodad"] : []));
      }
      inNamespace(namespace, "ip", "link", "set", link, "up");
    }
    inNamespace(server, "nft", "-f", shippedConfPath);
    ruleset = inNamespace(server, "nft", "list", "ruleset");

    // One listener per probed port, inside the server namespace (its own port space).
    for (const port of probePorts) {
      listeners.push(await listen(server, port, "::"));
    }
  });

  afterAll(() => {
    for (const listener of listeners) {
      listener.kill("SIGKILL");
    }
    for (const namespace of [server, client]) {
      spawnSync("ip", ["netns", "del", namespace]);
    }
  });

  itWithNamespaces("loads for real, with SSH only from the admin network and the other data node, PostgreSQL only from the peers", () => {
    const input = ruleset.slice(ruleset.indexOf("chain input {"), ruleset.indexOf("chain forward {"));
    expect(input).toMatch(/type filter hook input priority filter; policy drop;/);
    const lineFor = (port: number) => input.split("\n").filter((line) => line.includes(`tcp dport ${port} `));
    // The standby (198.51.100.20) lies inside the example's admin network: nft merges it away.
    expect(lineFor(22)).toEqual([expect.stringMatching(new RegExp(`^\\s*ip saddr \\{ ${adminCidr.replace(/\./g, "\\.")}(, 198\\.51\\.100\\.20)? \\} tcp dport 22 accept`))]);
    const postgres = lineFor(5432);
    expect(postgres).toHaveLength(1);
    expect(postgres[0]).toMatch(/^\s*ip saddr \{ 198\.51\.100\.20, 198\.51\.100\.30 \} tcp dport 5432 accept/);
    for (const port of [80, 443, 1935]) {
      expect(lineFor(port)).toEqual([expect.stringMatching(new RegExp(`^\\s*tcp dport ${port} accept`))]);
    }
  });

  itWithNamespaces("lets a peer reach PostgreSQL and keeps everyone else out", async () => {
    // Peer 198.51.100.20, a host of the admin network 198.51.100.99, and 192.0.2.7 / 2001:db8::7 from
    // the rest of the internet.
    const probes: Array<[string, string, number, boolean]> = [
      ["198.51.100.20", "198.51.100.10", 5432, true],
      ["198.51.100.99", "198.51.100.10", 5432, false],
      ["192.0.2.7", "192.0.2.10", 5432, false],
      ["2001:db8::7", "2001:db8::10", 5432, false],
      ["198.51.100.20", "198.51.100.10", 4222, true],
      ["192.0.2.7", "192.0.2.10", 4222, false],
      ["198.51.100.99", "198.51.100.10", 22, true],
      ["192.0.2.7", "192.0.2.10", 22, false],
      ["2001:db8::7", "2001:db8::10", 22, false],
      ["192.0.2.7", "192.0.2.10", 80, true],
      ["192.0.2.7", "192.0.2.10", 443, true],
      ["2001:db8::7", "2001:db8::10", 1935, true],
      ["198.51.100.20", "198.51.100.10", 15460, false],
    ];
    const results = await Promise.all(probes.map(([from, to, port]) => connectFrom(client, from, to, port)));
    expect(results).toEqual(probes.map(([from, to, port, open]) => `${from} -> ${to}:${port} ${open ? "open" : "blocked"}`));
  });
});

describe("the metadata address behind a cloud node's firewall", () => {
  // The metadata service stands in as a listener on its address in a namespace of its own, linked to
  // the node's namespace; 127.0.0.1 is the control that the node's other non-root traffic still flows.
  const node = `drtest-md-${process.pid}-node`;
  const metadataService = `drtest-md-${process.pid}-svc`;
  const listeners: ChildProcess[] = [];
  const nobody = 65534;

  beforeAll(async () => {
    if (!namespacesWork) {
      return;
    }
    const witnessConf = path.join(workDir, "metadata-witness.conf");
    fs.writeFileSync(witnessConf, renderedFile(renderCloudConfig(exampleNodeConfig("witness")), confPath));
    ip("netns", "add", node);
    ip("netns", "add", metadataService);
    ip("link", "add", "drmd-node", "netns", node, "type", "veth", "peer", "name", "drmd-svc", "netns", metadataService);
    for (const [namespace, link, address] of [
      [node, "drmd-node", "169.254.0.2/16"],
      [metadataService, "drmd-svc", `${metadataServiceAddress}/16`],
    ] as const) {
      inNamespace(namespace, "ip", "link", "set", "lo", "up");
      inNamespace(namespace, "ip", "address", "add", address, "dev", link);
      inNamespace(namespace, "ip", "link", "set", link, "up");
    }
    inNamespace(node, "nft", "-f", witnessConf);
    listeners.push(await listen(metadataService, 80, "0.0.0.0"), await listen(node, 80, "127.0.0.1"));
  });

  afterAll(() => {
    for (const listener of listeners) {
      listener.kill("SIGKILL");
    }
    for (const namespace of [node, metadataService]) {
      spawnSync("ip", ["netns", "del", namespace]);
    }
  });

  itWithNamespaces("refuses every user but root, at once", async () => {
    const metadata = { host: metadataServiceAddress, port: 80 };
    const results = await Promise.all([
      connect(node, metadata),
      connect(node, metadata, nobody),
      connect(node, { host: "127.0.0.1", port: 80 }, nobody),
    ]);
    expect(results).toEqual(["open", expect.stringMatching(/^error (ECONNREFUSED|EHOSTUNREACH|ENETUNREACH|EACCES)$/), "open"]);
  });
});

/** A TCP server in `namespace` that answers "open" to every connection, once it listens. */
async function listen(namespace: string, port: number, host: string): Promise<ChildProcess> {
  const listener = spawn(
    "ip",
    ["netns", "exec", namespace, process.execPath, "-e",
      `require("net").createServer((s) => s.end("open\\n")).listen(${port}, ${JSON.stringify(host)}, () => console.log("listening"))`],
    { stdio: ["ignore", "pipe", "inherit"] },
  );
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`listener on ${port} did not start`)), 10000);
    listener.stdout!.once("data", () => { clearTimeout(timer); resolve(); });
    listener.once("exit", (code) => { clearTimeout(timer); reject(new Error(`listener on ${port} exited ${code}`)); });
  });
  return listener;
}

/**
 * A TCP connection from `from` to `to`:`port`, made inside the client namespace. A dropped SYN never
 * gets an answer, so "blocked" is a connect that has not completed within a bounded wait.
 */
async function connectFrom(namespace: string, from: string, to: string, port: number): Promise<string> {
  return `${from} -> ${to}:${port} ${await connect(namespace, { host: to, port, localAddress: from })}`;
}

/** "open", "blocked" or "error CODE": a TCP connection inside `namespace`, made as `uid` when given. */
function connect(namespace: string, target: { host: string; port: number; localAddress?: string }, uid?: number): Promise<string> {
  const script = `
    ${uid === undefined ? "" : `process.setgid(${uid}); process.setuid(${uid});`}
    const socket = require("net").connect(${JSON.stringify(target)});
    const timer = setTimeout(() => { console.log("blocked"); process.exit(0); }, 3000);
    socket.on("data", (data) => { console.log(String(data).trim()); clearTimeout(timer); socket.destroy(); });
    socket.on("error", (error) => { console.log("error " + error.code); clearTimeout(timer); });`;
  return new Promise((resolve, reject) => {
    const child = spawn("ip", ["netns", "exec", namespace, process.execPath, "-e", script], { stdio: ["ignore", "pipe", "inherit"] });
    let output = "";
    child.stdout!.on("data", (chunk) => (output += chunk));
    child.once("error", reject);
    child.once("exit", () => resolve(output.trim()));
  });
}
