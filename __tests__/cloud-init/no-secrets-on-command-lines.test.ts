// No password on a command line (readable by every user in /proc/PID/cmdline) or in a child's
// environment: the rendered scripts are searched for the estate's secret values and for command-line
// password patterns, and the failover scripts run against recording stand-ins for psql, pg_ctl and
// pg_autoctl, whose arguments and environment must hold no secret. Runs as root (runuser, chown).
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { decodeWriteFile, NodeRole, nodePaths, renderCloudConfig } from "../../cloud-init";
import { exampleNodeConfig } from "../support/example-node";
import { parseCloudConfig } from "../support/rendered-files";

const roles: NodeRole[] = ["primary", "standby", "witness"];
const secrets = Object.values(exampleNodeConfig("primary").secrets).filter((value) => /password/.test(value));

/** Patterns that put a password on a command line: libpq's variable, psql variables, a URI with a password, pg_autoctl's setting. */
const commandLinePatterns = [/PGPASSWORD=/, /-v\s+password=/, /replication\.password/, /:\/\/[^\s/@:]+:[^\s/@]+@/, /--password[= ]/];

/** A shell script without the bodies of its here-documents (stdin or a file, never a command line). */
function withoutHereDocuments(script: string): string {
  const kept: string[] = [];
  let delimiter: string | undefined;
  for (const line of script.split("\n")) {
    if (delimiter !== undefined) {
      if (line.trim() === delimiter) delimiter = undefined;
      continue;
    }
    kept.push(line);
    delimiter = /<<-?\s*['"]?(\w+)['"]?/.exec(line)?.[1];
  }
  return kept.join("\n");
}

describe.each(roles)("the %s's document", (role) => {
  const document = parseCloudConfig(renderCloudConfig(exampleNodeConfig(role)));
  const files = document.write_files.map((file) => ({ path: file.path, text: decodeWriteFile(file) }));

  test("holds the secret values in secrets.env alone: no script, unit or command has one", () => {
    const holding = files.filter((file) => secrets.some((secret) => file.text.includes(secret))).map((file) => file.path);
    expect(holding).toEqual([`${nodePaths.settings}/secrets.env`]);
    expect(document.runcmd.join("\n")).not.toMatch(new RegExp(secrets.join("|")));
  });

  test("has no script or unit that puts a password on a command line", () => {
    const scripts = files.filter((file) => file.path.startsWith(`${nodePaths.scripts}/`) || file.path.startsWith("/etc/systemd/"));
    expect(scripts.length).toBeGreaterThan(3);
    const found = scripts.flatMap((file) =>
      withoutHereDocuments(file.text)
        .split("\n")
        .filter((line) => !line.trim().startsWith("#") && commandLinePatterns.some((pattern) => pattern.test(line)))
        .map((line) => `${file.path}: ${line.trim()}`),
    );
    expect(found).toEqual([]);
  });
});

test("the patterns find what the old scripts did (the check can fail)", () => {
  const old = [
    'as_postgres env PGPASSWORD="$REPLICATION_PASSWORD" pg_autoctl create postgres',
    'psql -v role="$2" -v password="$3" <<SQL',
    'pg_autoctl config set replication.password "$REPLICATION_PASSWORD"',
    'echo "postgres://autoctl_node:${FAILOVER_MONITOR_PASSWORD}@${monitor_host}:5432/pg_auto_failover"',
  ];
  for (const line of old) {
    expect(commandLinePatterns.some((pattern) => pattern.test(withoutHereDocuments(line)))).toBe(true);
  }
});

describe("the failover scripts, run against recording stand-ins", () => {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "no-secrets-argv-"));
  const bin = path.join(work, "bin");
  const record = path.join(work, "record");
  fs.mkdirSync(bin);
  fs.mkdirSync(record);
  fs.chmodSync(work, 0o755);
  fs.chmodSync(record, 0o777);
  // Each stand-in records its arguments, environment and standard input, answers "1" (a reachable
  // monitor with a primary), and for `create` makes the files pg_autoctl would.
  const standIn = `#!/bin/sh
n=$(mktemp "${record}/call.XXXXXX")
{ echo "argv: $(basename "$0") $*"; env | sed 's/^/env: /'; } > "$n"
[ -t 0 ] || sed 's/^/stdin: /' >> "$n"
case "$*" in
  create*)
    for d in "$@"; do case $prev in --pgdata) pgdata=$d ;; esac; prev=$d; done
    : > "$pgdata/PG_VERSION"; : > "$pgdata/postgresql.conf"; : > "$pgdata/pg_hba.conf"; : > "$pgdata/pg_ident.conf" ;;
  *"config get"*) echo 198.51.100.10; exit 0 ;;
esac
echo 1
`;
  for (const name of ["psql", "pg_ctl", "pg_autoctl"]) {
    fs.writeFileSync(path.join(bin, name), standIn, { mode: 0o755 });
  }

  /** Installs a role's rendered settings and scripts under `work/ROLE`, runs SCRIPT there, and returns every recorded call. */
  function runScript(role: NodeRole, script: string, done: string): string {
    const document = parseCloudConfig(renderCloudConfig(exampleNodeConfig(role)));
    const node = path.join(work, role);
    const etc = path.join(node, "etc");
    fs.mkdirSync(path.join(etc, "tls"), { recursive: true });
    fs.chmodSync(node, 0o755);
    for (const file of document.write_files) {
      const target = file.path.startsWith(`${nodePaths.settings}/`)
        ? path.join(etc, path.relative(nodePaths.settings, file.path))
        : file.path.startsWith(`${nodePaths.scripts}/`)
          ? path.join(node, path.basename(file.path))
          : undefined;
      if (target && !file.path.includes("/ssh/")) {
        fs.mkdirSync(path.dirname(target), { recursive: true });
        fs.writeFileSync(target, decodeWriteFile(file), { mode: parseInt(file.permissions ?? "0644", 8) });
      }
    }
    for (const call of fs.readdirSync(record)) fs.rmSync(path.join(record, call));
    const environment = {
      PATH: `${bin}:${process.env.PATH}`,
      DR_ESTATE_ETC: etc,
      PG_BIN: bin,
      PGAF_PGDATA: path.join(node, "pg", "estate"),
      PGAF_TLS_DIR: path.join(node, "tls"),
      PG_CONF_D: path.join(node, "conf.d"),
      NODE_ADDRESS: "198.51.100.10",
      JOIN_WAIT_SECONDS: "5",
    };
    const result = spawnSync("sh", [path.join(node, script)], { env: environment, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
    expect(result.stderr).toContain(done);
    expect(result.status).toBe(0);
    return fs.readdirSync(record).map((call) => fs.readFileSync(path.join(record, call), "utf8")).join("\n");
  }

  const uid = process.getuid?.();
  const asRoot = uid === 0 ? test : test.skip;

  asRoot.each([
    ["primary", "node-init.sh", "joined the formation"],
    ["witness", "monitor-init.sh", "monitor initialised"],
    ["primary", "register-with-new-monitor.sh", "its keeper reports to it"],
  ] as [NodeRole, string, string][])("%s: %s passes no secret in any argument or environment, only on standard input", (role, script, done) => {
    const calls = runScript(role, script, done);
    const exposed = calls.split("\n").filter((line) => !line.startsWith("stdin: ") && secrets.some((secret) => line.includes(secret)));
    expect(exposed).toEqual([]);
    expect(calls).toMatch(/argv: pg_autoctl (create|enable)/);
    if (script !== "register-with-new-monitor.sh") {
      // The role's password did reach PostgreSQL: on psql's standard input.
      const password = role === "witness" ? exampleNodeConfig(role).secrets.failoverMonitorPassword : exampleNodeConfig(role).secrets.replicationPassword;
      expect(calls).toContain(`stdin: \\set password '${password}'`);
    }
  });

  asRoot("a data node's pgpass file holds both passwords, readable by postgres alone", () => {
    runScript("standby", "node-init.sh", "joined the formation");
    const pgpass = path.join(work, "standby", "tls", "pgpass");
    const { secrets: values } = exampleNodeConfig("standby");
    expect(fs.readFileSync(pgpass, "utf8")).toBe(
      `*:*:pg_auto_failover:autoctl_node:${values.failoverMonitorPassword}\n*:*:*:pgautofailover_replicator:${values.replicationPassword}\n`,
    );
    const stat = fs.statSync(pgpass);
    expect(stat.mode & 0o777).toBe(0o600);
    expect(stat.uid).toBe(Number(spawnSync("id", ["-u", "postgres"], { encoding: "utf8" }).stdout.trim()));
  });
});
