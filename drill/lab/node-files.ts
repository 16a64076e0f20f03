// What a node's #cloud-config writes, installed under the node's folder instead of /, and the
// test-only PostgreSQL settings the lab adds after the node's init script.
import { execFileSync, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { renderedFileOf } from "../../cloud-init/cloud-config";
import { nodePaths } from "../../cloud-init/node-paths";
import { fencingConfPath, monitorTimingPath, replicationSysctlPath } from "../../cloud-init/pieces/failover";
import { ADDRESSES, DATABASE, NodeRuntime } from "./layout";

/** The file the node's #cloud-config writes at `from`, written at `to` with its mode (folders made). */
export function copyRenderedFile(node: NodeRuntime, from: string, to: string): void {
  const file = renderedFileOf(node.document, from);
  fs.mkdirSync(path.dirname(to), { recursive: true, mode: 0o755 });
  fs.writeFileSync(to, file.content, { mode: file.mode });
  fs.chmodSync(to, file.mode);
}

export function installFiles(node: NodeRuntime): void {
  fs.mkdirSync(path.join(node.etc, "tls"), { recursive: true, mode: 0o755 });
  fs.mkdirSync(node.lib, { recursive: true, mode: 0o755 });
  fs.chmodSync(node.dir, 0o755);
  const copy = (from: string, to: string) => copyRenderedFile(node, from, to);
  const settings = ["estate.env", "secrets.env", "tls/ca.crt", "tls/node.crt", "tls/node.key"];
  if (node.role === "witness") {
    settings.push(path.basename(monitorTimingPath));
  } else {
    settings.push(path.relative(nodePaths.settings, fencingConfPath));
  }
  for (const name of settings) {
    copy(`${nodePaths.settings}/${name}`, path.join(node.etc, name));
  }
  const scripts = node.role === "witness" ? ["failover-lib.sh", "monitor-init.sh", "failover-events.sh", "estate-switchover.sh"] : ["failover-lib.sh", "node-init.sh", "register-with-new-monitor.sh", "healthz-update.sh"];
  for (const name of scripts) {
    copy(`${nodePaths.scripts}/${name}`, path.join(node.lib, name));
  }
  const postgresOwned = [...Object.values(node.xdg), node.healthzDir, path.dirname(node.pgdata)];
  for (const dir of postgresOwned) {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  }
  execFileSync("chown", ["-R", "postgres:postgres", path.join(node.dir, "xdg"), ...postgresOwned]);
}

/** The data node's sysctl file, as its runcmd applies it, applied in the node's namespace. */
export function applySysctl(node: NodeRuntime): void {
  if (node.role === "witness") {
    return;
  }
  const file = path.join(node.dir, path.basename(replicationSysctlPath));
  fs.writeFileSync(file, renderedFileOf(node.document, replicationSysctlPath).content);
  execFileSync("ip", ["netns", "exec", node.namespace, "sysctl", "-q", "-p", file]);
}

/** A new disk: everything the node had is gone, and its cloud-init files are written again. */
export function blankNode(node: NodeRuntime): void {
  // The failover event log is append-only where the filesystem allows it.
  spawnSync("chattr", ["-R", "-a", node.dir]);
  fs.rmSync(node.dir, { recursive: true, force: true });
  installFiles(node);
}

/**
 * TEST-ONLY tweaks, never shipped: pg_autoctl sizes shared_buffers from the machine's RAM (GBs),
 * too much for three servers on one small machine; keep some WAL for a standby that lags; let the
 * drill's load client (in the client namespace) log in over TLS with a password.
 */
export function testOnlyTuning(node: NodeRuntime, writerUser: string): void {
  const conf = path.join(node.pgdata, "postgresql.conf");
  if (!fs.readFileSync(conf, "utf8").includes("# drill (test only)")) {
    fs.appendFileSync(conf, "# drill (test only): small memory on a shared test machine\nshared_buffers = 128MB\nwal_keep_size = 256MB\n");
  }
  if (node.role !== "witness") {
    const hba = path.join(node.pgdata, "pg_hba.conf");
    const line = `hostssl ${DATABASE} ${writerUser} ${ADDRESSES.client}/32 scram-sha-256 # drill (test only): load client`;
    const text = fs.readFileSync(hba, "utf8");
    if (!text.includes(line)) {
      fs.writeFileSync(hba, `${line}\n${text}`);
    }
  }
}
