// The NATS piece's files as shipped, run by the real tools: shellcheck on the credentials script,
// systemd-analyze on the drop-in, nats-server on the config (primary and standby on loopback forming
// their cluster route), and a nats.js client for TLS, login and the route.
import { ChildProcess, spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { connect, NatsConnection, StringCodec } from "nats";
import { renderCloudConfig } from "../../cloud-init";
import { natsDirectory } from "../../cloud-init/pieces/nats";
import type { NodeRole } from "../../cloud-init";
import { exampleNodeConfig, makeTestCertificates, TestCertificates } from "../support/example-node";
import { parseCloudConfig, renderedFile } from "../support/rendered-files";
import { waitFor } from "../../tools/wait";

const configPath = `${natsDirectory}/nats-server.conf`;
const scriptPath = "/usr/local/lib/dr-estate/nats-credentials.sh";
const dropInPath = "/etc/systemd/system/nats-server.service.d/dr-estate.conf";

/** This suite's loopback ports (client, cluster, monitoring) for each role. */
interface ServerPorts {
  readonly client: number;
  readonly cluster: number;
  readonly monitoring: number;
}
const testPorts = {
  primary: { client: 14222, cluster: 16222, monitoring: 18222 },
  standby: { client: 14223, cluster: 16223, monitoring: 18223 },
} as const;
type ServerRole = keyof typeof testPorts;
const peerOf: Record<ServerRole, ServerRole> = { primary: "standby", standby: "primary" };

let certificates: TestCertificates;
let workDirectory: string;
const documents = {} as Record<ServerRole, string>;
const password = exampleNodeConfig("primary").secrets.natsPassword;

beforeAll(() => {
  certificates = makeTestCertificates();
  workDirectory = fs.mkdtempSync(path.join(os.tmpdir(), "dr-estate-nats-"));
  for (const role of ["primary", "standby"] as const) {
    documents[role] = renderCloudConfig(exampleNodeConfig(role, {}, certificates));
  }
});

afterAll(() => {
  fs.rmSync(workDirectory, { recursive: true, force: true });
  fs.rmSync(certificates.directory, { recursive: true, force: true });
});

/** Writes the settings files estate-settings rendered for `role` into a folder of its own (DR_ESTATE_ETC). */
function writeSettings(role: ServerRole, folder: string = role): string {
  const etc = path.join(workDirectory, folder, "etc");
  fs.mkdirSync(path.join(etc, "tls"), { recursive: true });
  for (const name of ["estate.env", "secrets.env", "tls/ca.crt", "tls/node.crt", "tls/node.key"]) {
    fs.writeFileSync(path.join(etc, name), renderedFile(documents[role], `/etc/dr-estate/${name}`), { mode: 0o600 });
  }
  // The test certificate is for 127.0.0.1: the peers are on loopback here.
  const envFile = path.join(etc, "estate.env");
  fs.writeFileSync(envFile, fs.readFileSync(envFile, "utf8").replace(/^(PRIMARY|STANDBY|WITNESS)_IPV4=.*$/gm, "$1_IPV4='127.0.0.1'"));
  return etc;
}

/** The shipped script, written out executable. */
function shippedScript(): string {
  const file = path.join(workDirectory, "nats-credentials.sh");
  fs.writeFileSync(file, renderedFile(documents.primary, scriptPath), { mode: 0o755 });
  return file;
}

/** Runs the shipped credentials script for `role` the way the drop-in does (as root), against test paths. */
function runCredentialsScript(etc: string, role: ServerRole) {
  return spawnSync(shippedScript(), [], {
    encoding: "utf8",
    env: { ...process.env, DR_ESTATE_ETC: etc, NATS_ROUTE_PORT: String(testPorts[peerOf[role]].cluster) },
  });
}

/** The shipped config of `role` with this suite's paths and loopback ports filled in. */
function testConfig(role: ServerRole, etc: string, ports: ServerPorts = testPorts[role]): string {
  return renderedFile(documents[role], configPath)
    .replaceAll(`${natsDirectory}/`, `${etc}/nats/`)
    .replaceAll("/etc/dr-estate/", `${etc}/`)
    .replace('listen: "0.0.0.0:4222"', `listen: "127.0.0.1:${ports.client}"`)
    .replace('listen: "0.0.0.0:6222"', `listen: "127.0.0.1:${ports.cluster}"`)
    .replace('http: "127.0.0.1:8222"', `http: "127.0.0.1:${ports.monitoring}"`);
}

async function monitoring(role: ServerRole | ServerPorts, endpoint: string): Promise<Record<string, any>> {
  const port = typeof role === "string" ? testPorts[role].monitoring : role.monitoring;
  const response = await fetch(`http://127.0.0.1:${port}/${endpoint}`);
  if (!response.ok) {
    throw new Error(`${endpoint} answered ${response.status}`);
  }
  return (await response.json()) as Record<string, any>;
}

describe("the rendered NATS piece", () => {
  it.each(["primary", "standby"] as NodeRole[])("the %s installs nats-server with its config, script and drop-in", (role) => {
    const document = renderCloudConfig(exampleNodeConfig(role));
    const parsed = parseCloudConfig(document);
    expect(parsed.packages).toContain("nats-server");
    const files = new Map(parsed.write_files.map((file) => [file.path, file]));
    expect(files.get(configPath)?.permissions).toBe("0644");
    expect(files.get(scriptPath)?.permissions).toBe("0755");
    expect(files.get(dropInPath)?.permissions).toBe("0644");
    expect(parsed.runcmd).toContain("systemctl restart nats-server");
  });

  it("the witness runs no NATS server", () => {
    const parsed = parseCloudConfig(renderCloudConfig(exampleNodeConfig("witness")));
    expect(parsed.packages ?? []).not.toContain("nats-server");
    expect(parsed.write_files.map((file) => file.path)).not.toContain(configPath);
  });

  it("puts the password nowhere but the 0600 secrets.env: the config is world-readable", () => {
    const document = renderCloudConfig(exampleNodeConfig("primary"));
    expect(renderedFile(document, configPath)).not.toContain(password);
    expect(document.split(password)).toHaveLength(2);
    expect(parseCloudConfig(document).write_files.find((file) => file.path === "/etc/dr-estate/secrets.env")?.permissions).toBe("0600");
  });

  it("binds monitoring to loopback and clients and routes to every interface, as shipped", () => {
    const config = renderedFile(documents.primary, configPath);
    expect(config).toMatch(/^http: "127\.0\.0\.1:8222"$/m);
    expect(config).toMatch(/^listen: "0\.0\.0\.0:4222"$/m);
    expect(config).toMatch(/^  listen: "0\.0\.0\.0:6222"$/m);
    expect(config).not.toMatch(/^\s*jetstream/m);
  });

  it("ships a credentials script that passes shellcheck", () => {
    const result = spawnSync("shellcheck", [shippedScript()], { encoding: "utf8" });
    expect(result.stdout + result.stderr).toBe("");
    expect(result.status).toBe(0);
  });

  it("ships a drop-in that systemd accepts on top of the package's unit", () => {
    // The package's own unit plus the shipped drop-in, in a unit folder systemd-analyze is pointed at;
    // the script path is filled with the shipped script so ExecStartPre's "executable?" check is real.
    const unitDirectory = path.join(workDirectory, "units");
    fs.mkdirSync(path.join(unitDirectory, "nats-server.service.d"), { recursive: true });
    fs.copyFileSync("/lib/systemd/system/nats-server.service", path.join(unitDirectory, "nats-server.service"));
    const dropIn = renderedFile(documents.primary, dropInPath);
    expect(dropIn).toContain(`ExecStartPre=+${scriptPath}`);
    expect(dropIn).toMatch(/^ExecStart=$/m);
    expect(dropIn).toContain(`ExecStart=/usr/sbin/nats-server -c ${configPath}`);
    fs.writeFileSync(path.join(unitDirectory, "nats-server.service.d", "dr-estate.conf"), dropIn.replace(scriptPath, shippedScript()));
    const result = spawnSync("systemd-analyze", ["verify", "nats-server.service"], {
      encoding: "utf8",
      env: { ...process.env, SYSTEMD_UNIT_PATH: `${unitDirectory}:` },
    });
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
  });

  it("the credentials script refuses a password it would have to escape, and the witness role", () => {
    const etc = writeSettings("primary");
    fs.writeFileSync(path.join(etc, "secrets.env"), "NATS_PASSWORD='bad\"password'\n");
    const badPassword = runCredentialsScript(etc, "primary");
    expect(badPassword.status).not.toBe(0);
    expect(badPassword.stderr).toContain("letters and digits");

    const witnessEtc = writeSettings("standby");
    const envFile = path.join(witnessEtc, "estate.env");
    fs.writeFileSync(envFile, fs.readFileSync(envFile, "utf8").replace(/^NODE_ROLE=.*$/m, "NODE_ROLE='witness'"));
    const witness = runCredentialsScript(witnessEtc, "standby");
    expect(witness.status).not.toBe(0);
    expect(witness.stderr).toContain("runs no NATS server");
  });
});

describe("primary and standby nats-servers from the shipped files", () => {
  const servers: ChildProcess[] = [];
  const connections: NatsConnection[] = [];
  const logs: Record<string, string> = {};
  const configFiles = {} as Record<ServerRole, string>;

  function startServer(name: string, configFile: string): void {
    logs[name] = "";
    const server = spawn("nats-server", ["-c", configFile], { stdio: ["ignore", "pipe", "pipe"] });
    server.stdout!.on("data", (chunk) => (logs[name] += chunk));
    server.stderr!.on("data", (chunk) => (logs[name] += chunk));
    servers.push(server);
  }

  beforeAll(() => {
    for (const role of ["primary", "standby"] as const) {
      const etc = writeSettings(role);
      const script = runCredentialsScript(etc, role);
      if (script.status !== 0) {
        throw new Error(`nats-credentials.sh failed for ${role}: ${script.stderr}`);
      }
      configFiles[role] = path.join(etc, "nats", "nats-server.conf");
      fs.writeFileSync(configFiles[role], testConfig(role, etc));
    }
    for (const role of ["primary", "standby"] as const) {
      startServer(role, configFiles[role]);
    }
  });

  afterAll(async () => {
    await Promise.allSettled(connections.map((connection) => connection.close()));
    await Promise.all(
      servers.map(
        (server) =>
          new Promise<void>((resolve) => {
            if (server.exitCode !== null || server.signalCode !== null) {
              return resolve();
            }
            const timer = setTimeout(() => server.kill("SIGKILL"), 5000);
            server.once("exit", () => {
              clearTimeout(timer);
              resolve();
            });
            server.kill("SIGTERM");
          }),
      ),
    );
  });

  it("the script hands nats the password and key in files only root and the nats group can read", () => {
    for (const role of ["primary", "standby"] as const) {
      const natsDir = path.dirname(configFiles[role]);
      for (const name of ["credentials.conf", "node.key"]) {
        const stat = fs.statSync(path.join(natsDir, name));
        expect({ name, mode: (stat.mode & 0o777).toString(8) }).toEqual({ name, mode: "640" });
        const natsGroup = spawnSync("getent", ["group", "nats"], { encoding: "utf8" }).stdout.split(":")[2];
        expect(String(stat.gid)).toBe(natsGroup);
      }
      const credentials = fs.readFileSync(path.join(natsDir, "credentials.conf"), "utf8");
      expect(credentials).toContain(`nats-route://estate-route:${password}@127.0.0.1:${testPorts[peerOf[role]].cluster}`);
    }
  });

  it("nats-server -t accepts both configs", () => {
    for (const role of ["primary", "standby"] as const) {
      const result = spawnSync("nats-server", ["-c", configFiles[role], "-t"], { encoding: "utf8" });
      expect(result.stderr + result.stdout).toContain("is valid");
      expect(result.status).toBe(0);
    }
  });

  it("both servers start, serve /varz on 127.0.0.1 and form the TLS cluster route", async () => {
    for (const role of ["primary", "standby"] as const) {
      const varz = await waitFor(`${role} /varz`, 15, () => monitoring(role, "varz")).catch((error) => {
        throw new Error(`${error}\n${role} log:\n${logs[role]}`);
      });
      expect(varz.http_host).toBe("127.0.0.1");
      expect(varz.auth_required).toBe(true);
      expect(varz.tls_required).toBe(true);
      expect(varz.tls_verify ?? false).toBe(false);
      expect(varz.cluster.tls_required).toBe(true);
      expect(varz.cluster.tls_verify).toBe(true);
      expect(varz.jetstream?.config).toBeUndefined();
      const routez = await waitFor(`${role}'s route`, 15, async () => {
        const answer = await monitoring(role, "routez");
        return answer.num_routes >= 1 ? answer : undefined;
      }).catch((error) => {
        throw new Error(`${error}\n${role} log:\n${logs[role]}`);
      });
      expect(routez.routes[0].remote_id).toBeDefined();
    }
  });

  it("a client logged in on the standby receives what a client publishes on the primary, over TLS", async () => {
    const tls = { ca: certificates.caPem };
    const subscriber = await connect({ servers: `127.0.0.1:${testPorts.standby.client}`, tls, user: "estate", pass: password });
    connections.push(subscriber);
    const publisher = await connect({ servers: `127.0.0.1:${testPorts.primary.client}`, tls, user: "estate", pass: password });
    connections.push(publisher);
    expect(subscriber.info?.tls_required).toBe(true);

    const codec = StringCodec();
    const subject = "streams.drill.chat";
    const subscription = subscriber.subscribe(subject, { max: 1 });
    await subscriber.flush();
    const received = (async () => {
      for await (const message of subscription) {
        return codec.decode(message.data);
      }
      return undefined;
    })();
    // The subscription reaches the primary over the route asynchronously: publish until it arrives.
    let delivered: string | undefined;
    received.then((text) => (delivered = text));
    await waitFor("the message across the route", 15, async () => {
      publisher.publish(subject, codec.encode("hello from the primary"));
      await publisher.flush();
      await new Promise((resolve) => setTimeout(resolve, 50));
      return delivered;
    });
    expect(delivered).toBe("hello from the primary");
  });

  it.each([
    ["a wrong route password", { client: 14224, cluster: 16224, monitoring: 18224 }],
    ["a certificate from another CA", { client: 14225, cluster: 16225, monitoring: 18225 }],
  ])("refuses a cluster route from a server with %s", async (label, ports) => {
    await waitFor("the primary's route to the standby", 15, async () => ((await monitoring("primary", "routez")).num_routes >= 1 ? true : undefined));
    // A server set up like the standby but for one flaw, soliciting a route to the primary.
    const etc = writeSettings("standby", `rogue-${ports.cluster}`);
    if (label.includes("another CA")) {
      const other = makeTestCertificates();
      fs.writeFileSync(path.join(etc, "tls", "node.crt"), other.certificatePem);
      fs.writeFileSync(path.join(etc, "tls", "node.key"), other.privateKeyPem);
      fs.rmSync(other.directory, { recursive: true, force: true });
    }
    const script = spawnSync(shippedScript(), [], {
      encoding: "utf8",
      env: { ...process.env, DR_ESTATE_ETC: etc, NATS_ROUTE_PORT: String(testPorts.primary.cluster) },
    });
    expect(script.status).toBe(0);
    if (label.includes("password")) {
      const credentials = path.join(etc, "nats", "credentials.conf");
      fs.writeFileSync(credentials, fs.readFileSync(credentials, "utf8").replaceAll(password, "wrongpassword0123456789"));
    }
    const configFile = path.join(etc, "nats", "nats-server.conf");
    fs.writeFileSync(configFile, testConfig("standby", etc, ports).replace('server_name: "standby.', 'server_name: "rogue.'));
    const name = `rogue ${ports.cluster}`;
    startServer(name, configFile);

    const refusal = label.includes("password") ? /authori[sz]ation (violation|error)|authentication error/i : /certificate|x509|tls/i;
    await waitFor(`the primary refusing the ${name} route`, 15, async () =>
      logs.primary.split("\n").some((line) => line.includes(" - rid:") && refusal.test(line)) ? true : undefined,
    ).catch((error) => {
      throw new Error(`${error}\nprimary log:\n${logs.primary}\n${name} log:\n${logs[name]}`);
    });
    expect((await monitoring(ports, "routez")).num_routes).toBe(0);
    const primaryRoutes = await monitoring("primary", "routez");
    expect(primaryRoutes.num_routes).toBe(1);
    expect(primaryRoutes.routes[0].remote_id).toBe((await monitoring("standby", "varz")).server_id);
  });

  it.each([
    ["no credentials", {}],
    ["a wrong password", { user: "estate", pass: "wrongpassword" }],
  ])("refuses a client with %s", async (_label, credentials) => {
    const attempt = connect({
      servers: `127.0.0.1:${testPorts.primary.client}`,
      tls: { ca: certificates.caPem },
      reconnect: false,
      maxReconnectAttempts: 0,
      ...credentials,
    });
    await expect(attempt).rejects.toMatchObject({ code: "AUTHORIZATION_VIOLATION" });
  });

  it("refuses a client that does not speak TLS", async () => {
    // nats.js upgrades to TLS by itself when the server asks for it, so speak the protocol by hand:
    // read INFO, then log in correctly but in plain text; the server must hang up without a PONG.
    const socket = net.connect(testPorts.primary.client, "127.0.0.1");
    let received = "";
    socket.on("data", (chunk) => {
      received += chunk.toString("utf8");
      if (received.startsWith("INFO ") && received.includes("\r\n") && !socket.destroyed && socket.writable) {
        socket.write(`CONNECT ${JSON.stringify({ user: "estate", pass: password, verbose: false, tls_required: false })}\r\nPING\r\n`);
      }
    });
    const closed = new Promise<void>((resolve) => socket.on("close", () => resolve()));
    socket.on("error", () => undefined);
    const timer = setTimeout(() => socket.destroy(new Error("still open")), 10000);
    await closed;
    clearTimeout(timer);
    const info = JSON.parse(received.slice("INFO ".length, received.indexOf("\r\n")));
    expect(info.tls_required).toBe(true);
    expect(received).not.toContain("PONG");
  });
});
