// What the drill needs before it builds anything: root, the programs of the Debian packages it runs
// (the drill starts no NATS or NGINX: only what is listed here), and its ports free.
// Every problem is reported at once, with the package to install or the port that is taken.
import * as fs from "node:fs";
import * as net from "node:net";
import * as path from "node:path";
import { labPorts, PG_MAJOR, SOCKET_DIR } from "./lab/layout";

/** Programs looked up on PATH, with the Debian package that installs each. */
export const DRILL_PROGRAMS: readonly { readonly program: string; readonly debianPackage: string }[] = [
  { program: "ip", debianPackage: "iproute2" },
  { program: "nft", debianPackage: "nftables" },
  { program: "runuser", debianPackage: "util-linux" },
  { program: "pg_autoctl", debianPackage: `postgresql-${PG_MAJOR}-auto-failover` },
  { program: "psql", debianPackage: `postgresql-client-${PG_MAJOR}` },
  { program: "openssl", debianPackage: "openssl" },
  { program: "curl", debianPackage: "curl" },
  // The media replication between the data nodes: keys, the receiving sshd, the push and its confinement.
  { program: "ssh-keygen", debianPackage: "openssh-client" },
  { program: "sshd", debianPackage: "openssh-server" },
  { program: "rsync", debianPackage: "rsync" },
  { program: "rrsync", debianPackage: "rsync" },
  // The corruption scenario's WAL archive and point-in-time recovery.
  { program: "pgbackrest", debianPackage: "pgbackrest" },
];
/** PostgreSQL's server programs, which are not on PATH. */
const SERVER_PROGRAMS = ["postgres", "pg_ctl", "initdb"];
const SERVER_PACKAGE = `postgresql-${PG_MAJOR}`;

export interface PrerequisiteInputs {
  readonly uid: number;
  readonly portBase: number;
  /** Where programs are looked up (PATH). */
  readonly path: string;
  readonly serverBinDir: string;
  readonly passwdFile: string;
  /** PostgreSQL's unix sockets: shared by every namespace, so another lab's PostgreSQL on a port shows here. */
  readonly socketDir: string;
}

export function defaultInputs(portBase: number): PrerequisiteInputs {
  return {
    uid: process.getuid?.() ?? -1,
    portBase,
    path: process.env.PATH ?? "",
    serverBinDir: `/usr/lib/postgresql/${PG_MAJOR}/bin`,
    passwdFile: "/etc/passwd",
    socketDir: SOCKET_DIR,
  };
}

function isExecutable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

const onPath = (program: string, searchPath: string) => searchPath.split(":").some((dir) => dir !== "" && isExecutable(path.join(dir, program)));

/** Why nothing can listen on 127.0.0.1:port here, or undefined when it is free. */
function loopbackPortTaken(port: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once("error", (error: NodeJS.ErrnoException) => resolve(error.code === "EADDRINUSE" ? `something listens on 127.0.0.1:${port}` : `127.0.0.1:${port}: ${error.code ?? error.message}`));
    server.listen({ host: "127.0.0.1", port, exclusive: true }, () => server.close(() => resolve(undefined)));
  });
}

/** A live PostgreSQL's socket lock for the port (its first line is the owner's pid). */
function socketTaken(socketDir: string, port: number): string | undefined {
  const lock = path.join(socketDir, `.s.PGSQL.${port}.lock`);
  let owner = 0;
  try {
    owner = Number(fs.readFileSync(lock, "utf8").split("\n")[0]);
  } catch {
    return undefined;
  }
  return owner > 0 && fs.existsSync(`/proc/${owner}`) ? `PostgreSQL (pid ${owner}) holds ${lock}` : undefined;
}

/** Every unmet prerequisite, one line each; empty when the drill can start. */
export async function checkPrerequisites(inputs: PrerequisiteInputs): Promise<string[]> {
  const problems: string[] = [];
  if (inputs.uid !== 0) {
    problems.push("not root: the drill creates network namespaces and runs PostgreSQL as the postgres user (sudo npm run drill)");
  }
  const missing = DRILL_PROGRAMS.filter(({ program }) => !onPath(program, inputs.path)).map(({ program, debianPackage }) => ({ what: program, debianPackage }));
  const missingServer = SERVER_PROGRAMS.filter((program) => !isExecutable(path.join(inputs.serverBinDir, program)));
  if (missingServer.length > 0) {
    missing.push({ what: `${missingServer.join(", ")} in ${inputs.serverBinDir}`, debianPackage: SERVER_PACKAGE });
  }
  const passwd = fs.existsSync(inputs.passwdFile) ? fs.readFileSync(inputs.passwdFile, "utf8") : "";
  if (!passwd.split("\n").some((line) => line.startsWith("postgres:"))) {
    missing.push({ what: "the postgres user", debianPackage: SERVER_PACKAGE });
  }
  if (missing.length > 0) {
    const packages = [...new Set(missing.map((m) => m.debianPackage))];
    problems.push(
      `missing ${missing.map((m) => `${m.what} (${m.debianPackage})`).join(", ")}: install with sudo apt-get install ${packages.join(" ")}, or run .ci/install-debian-packages.sh`,
    );
  }
  const base = inputs.portBase;
  const ports = labPorts(base);
  if (!Number.isInteger(base) || base < 1024 || ports.webhook > 65535) {
    problems.push(`DRILL_PORT_BASE must be a whole number from 1024 to ${65535 - (ports.webhook - base)}, got ${base}`);
    return problems;
  }
  const uses = [
    ...Object.entries(ports.postgres).map(([role, port]) => ({ port, what: `the ${role}'s PostgreSQL`, socket: true })),
    { port: ports.webhook, what: "the alert webhook", socket: false },
  ];
  for (const use of uses) {
    const taken = (use.socket ? socketTaken(inputs.socketDir, use.port) : undefined) ?? (await loopbackPortTaken(use.port));
    if (taken) {
      problems.push(`port ${use.port} (${use.what}, DRILL_PORT_BASE=${base} + ${use.port - base}) is taken: ${taken}; choose another DRILL_PORT_BASE`);
    }
  }
  return problems;
}

export function describeProblems(problems: readonly string[]): string {
  return `the drill cannot start (nothing was started):\n${problems.map((p) => `  - ${p}`).join("\n")}`;
}

/** For the drill's tests: throws the whole list when this machine cannot run a lab at `portBase`. */
export async function requirePrerequisites(portBase: number): Promise<void> {
  const problems = await checkPrerequisites(defaultInputs(portBase));
  if (problems.length > 0) {
    throw new Error(describeProblems(problems));
  }
}
