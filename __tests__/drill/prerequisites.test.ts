// The drill's prerequisite check (drill/prerequisites.ts) against a made-up machine: a PATH of
// stand-in programs, a passwd file, a socket folder and real loopback listeners. Needs no root.
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { checkPrerequisites, describeProblems, DRILL_PROGRAMS, PrerequisiteInputs } from "../../drill/prerequisites";

let work: string;
const listeners: net.Server[] = [];

function stubs(dir: string, names: readonly string[]): string {
  fs.mkdirSync(dir, { recursive: true });
  for (const name of names) {
    fs.writeFileSync(path.join(dir, name), "#!/bin/sh\n", { mode: 0o755 });
  }
  return dir;
}

/** A machine with everything installed, as root; the ports from a base the kernel just handed out. */
async function machine(overrides: Partial<PrerequisiteInputs> = {}): Promise<PrerequisiteInputs> {
  fs.writeFileSync(path.join(work, "passwd"), "root:x:0:0::/root:/bin/sh\npostgres:x:101:101::/var/lib/postgresql:/bin/sh\n");
  return {
    uid: 0,
    portBase: (await listen(0).then(closeAndReturnPort)) - 1,
    path: stubs(path.join(work, "bin"), DRILL_PROGRAMS.map((p) => p.program)),
    serverBinDir: stubs(path.join(work, "pgbin"), ["postgres", "pg_ctl", "initdb"]),
    passwdFile: path.join(work, "passwd"),
    socketDir: fs.mkdtempSync(path.join(work, "sockets-")),
    ...overrides,
  };
}

function listen(port: number): Promise<net.Server> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen({ host: "127.0.0.1", port }, () => resolve(server));
  });
}

async function closeAndReturnPort(server: net.Server): Promise<number> {
  const port = (server.address() as net.AddressInfo).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

const notAboutPorts = (problems: string[]) => problems.filter((p) => !p.startsWith("port "));

beforeEach(() => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), "drill-prerequisites-"));
});

afterEach(async () => {
  await Promise.all(listeners.splice(0).map((server) => new Promise((resolve) => server.close(resolve))));
  fs.rmSync(work, { recursive: true, force: true });
});

test("a machine with everything installed, as root, has nothing missing", async () => {
  expect(notAboutPorts(await checkPrerequisites(await machine()))).toEqual([]);
});

test("not root: says so and how to run it", async () => {
  const problems = notAboutPorts(await checkPrerequisites(await machine({ uid: 1000 })));
  expect(problems).toEqual([expect.stringMatching(/^not root: .*sudo npm run drill/)]);
});

test("a PATH without psql and pg_autoctl names each with its Debian package and the install command", async () => {
  const inputs = await machine();
  fs.rmSync(path.join(inputs.path, "psql"));
  fs.rmSync(path.join(inputs.path, "pg_autoctl"));
  const problems = notAboutPorts(await checkPrerequisites(inputs));
  expect(problems).toEqual([
    "missing pg_autoctl (postgresql-15-auto-failover), psql (postgresql-client-15): install with sudo apt-get install postgresql-15-auto-failover postgresql-client-15, or run .ci/install-debian-packages.sh",
  ]);
});

test("a program that is there but not executable counts as missing", async () => {
  const inputs = await machine();
  fs.chmodSync(path.join(inputs.path, "nft"), 0o644);
  expect(notAboutPorts(await checkPrerequisites(inputs))).toEqual([expect.stringMatching(/^missing nft \(nftables\): .*nftables/)]);
});

test("no PostgreSQL server programs and no postgres user: postgresql-15, once in the install command", async () => {
  const inputs = await machine({ serverBinDir: path.join(work, "nowhere") });
  fs.writeFileSync(inputs.passwdFile, "root:x:0:0::/root:/bin/sh\n");
  const problems = notAboutPorts(await checkPrerequisites(inputs));
  expect(problems).toHaveLength(1);
  expect(problems[0]).toContain(`postgres, pg_ctl, initdb in ${inputs.serverBinDir} (postgresql-15), the postgres user (postgresql-15)`);
  expect(problems[0]).toContain("sudo apt-get install postgresql-15, or");
});

test("an occupied loopback port is named with its use and its place in DRILL_PORT_BASE", async () => {
  const inputs = await machine();
  const primaryPort = inputs.portBase + 2;
  listeners.push(await listen(primaryPort));
  const problems = await checkPrerequisites(inputs);
  expect(problems).toContain(
    `port ${primaryPort} (the primary's PostgreSQL, DRILL_PORT_BASE=${inputs.portBase} + 2) is taken: something listens on 127.0.0.1:${primaryPort}; choose another DRILL_PORT_BASE`,
  );
  expect(describeProblems(problems)).toMatch(/^the drill cannot start \(nothing was started\):\n {2}- port /);
});

test("another PostgreSQL's socket lock in the shared socket folder takes the port, a stale one does not", async () => {
  const inputs = await machine();
  const monitorPort = inputs.portBase + 1;
  fs.writeFileSync(path.join(inputs.socketDir, `.s.PGSQL.${monitorPort}.lock`), `${process.pid}\n/some/pgdata\n`);
  expect(await checkPrerequisites(inputs)).toContainEqual(expect.stringMatching(new RegExp(`^port ${monitorPort} \\(the witness's PostgreSQL.*PostgreSQL \\(pid ${process.pid}\\) holds`)));
  fs.writeFileSync(path.join(inputs.socketDir, `.s.PGSQL.${monitorPort}.lock`), "999999999\n/some/pgdata\n");
  expect((await checkPrerequisites(inputs)).filter((p) => p.startsWith(`port ${monitorPort} `))).toEqual([]);
});

test("a port base whose ports do not fit is refused", async () => {
  const problems = await checkPrerequisites(await machine({ portBase: 65530 }));
  expect(problems).toEqual(["DRILL_PORT_BASE must be a whole number from 1024 to 65526, got 65530"]);
});
