// WAL archiving in the lab, for the corruption scenario: each data node's rendered pgbackrest.conf
// with its paths under the node's folder (repo1 on the node's own "disk"), the rendered
// 50-wal-archiving.conf in its conf.d before node-init.sh runs, and estate-pitr.sh beside its library.
import { execFile, execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { promisify } from "node:util";
import { renderedFileOf } from "../../cloud-init/cloud-config";
import { nodePaths } from "../../cloud-init/node-paths";
import { NodeRuntime, SOCKET_DIR } from "./layout";
import { copyRenderedFile } from "./node-files";
import { assignments } from "./node-scripts";

/** Where a data node's pgBackRest keeps its configuration, repository and working files in the lab. */
export function walArchivePaths(node: NodeRuntime) {
  const dir = path.join(node.dir, "pgbackrest");
  return { dir, config: path.join(dir, "pgbackrest.conf"), repo: path.join(dir, "repo"), spool: path.join(dir, "spool"), lock: path.join(dir, "lock"), log: path.join(dir, "log") };
}

export function installWalArchiving(node: NodeRuntime): void {
  const paths = walArchivePaths(node);
  for (const dir of [paths.dir, paths.repo, paths.spool, paths.lock, paths.log]) {
    fs.mkdirSync(dir, { recursive: true, mode: 0o750 });
  }
  execFileSync("chown", ["-R", "postgres:postgres", paths.dir]);
  const relocated: Record<string, string> = {
    "repo1-path": paths.repo,
    "spool-path": paths.spool,
    "lock-path": paths.lock,
    "log-path": paths.log,
    "pg1-path": node.pgdata,
    "pg1-port": String(node.port),
    "pg1-socket-path": SOCKET_DIR,
  };
  let config = renderedFileOf(node.document, "/etc/pgbackrest/pgbackrest.conf").content;
  for (const [key, value] of Object.entries(relocated)) {
    const line = new RegExp(`^${key}=.*$`, "m");
    if (!line.test(config)) {
      throw new Error(`the rendered pgbackrest.conf has no ${key}=`);
    }
    config = config.replace(line, `${key}=${value}`);
  }
  fs.writeFileSync(paths.config, config, { mode: 0o644 });
  const archiving = "postgresql.conf.d/50-wal-archiving.conf";
  copyRenderedFile(node, `${nodePaths.settings}/${archiving}`, path.join(node.etc, archiving));
  for (const name of ["backup-lib.sh", "estate-pitr.sh"]) {
    copyRenderedFile(node, `${nodePaths.scripts}/${name}`, path.join(node.lib, name));
  }
}

const run = promisify(execFile);

/** The estate's stanza: the section of the rendered pgbackrest.conf that is not [global]. */
function stanzaOf(node: NodeRuntime): string {
  const stanza = /^\[(?!global\])([^\]]+)\]$/m.exec(fs.readFileSync(walArchivePaths(node).config, "utf8"));
  if (!stanza) throw new Error(`${node.role}: no stanza section in the lab's pgbackrest.conf`);
  return stanza[1];
}

/** pgBackRest on the node, as postgres, with the node's configuration. */
export async function pgbackrest(node: NodeRuntime, ...args: string[]): Promise<string> {
  const { stdout } = await run(
    "ip",
    ["netns", "exec", node.namespace, "runuser", "-u", "postgres", "--", "env", `PGBACKREST_CONFIG=${walArchivePaths(node).config}`, "pgbackrest", `--stanza=${stanzaOf(node)}`, ...args],
    { timeout: 300_000, maxBuffer: 16 * 1024 * 1024 },
  );
  return stdout;
}

/** The node's estate-pitr.sh, as root, the copy under the node's folder on `port`. */
export async function estatePitr(node: NodeRuntime, port: number, ...args: string[]): Promise<{ ok: boolean; stdout: string; stderr: string }> {
  const environment = {
    DR_ESTATE_ETC: node.etc,
    PGBACKREST_CONFIG: walArchivePaths(node).config,
    PGDATA: node.pgdata,
    PGHOST: SOCKET_DIR,
    PGPORT: String(node.port),
    PITR_DIR: pitrCopyDir(node),
    PITR_PORT: String(port),
  };
  try {
    const { stdout, stderr } = await run("ip", ["netns", "exec", node.namespace, "env", ...assignments(environment), path.join(node.lib, "estate-pitr.sh"), ...args], {
      timeout: 600_000,
      maxBuffer: 16 * 1024 * 1024,
    });
    return { ok: true, stdout, stderr };
  } catch (error) {
    const e = error as { stdout?: string; stderr?: string; message: string };
    return { ok: false, stdout: e.stdout ?? "", stderr: e.stderr ?? e.message };
  }
}

export const pitrCopyDir = (node: NodeRuntime) => path.join(node.dir, "pitr", "copy");
