import type { CloudConfigPart, WriteFile } from "../cloud-config";
import { readCloudInitFile, renderTemplate } from "../files";
import type { NodeConfig } from "../node-config";
import { installScript, nodePaths, operatorCommand, operatorCommandPath } from "../node-paths";

/** Where pg_auto_failover keeps each node's PostgreSQL data and TLS files (on the data volume when there is one). */
export function failoverPaths(node: { readonly postgres: Pick<NodeConfig["postgres"], "majorVersion"> }) {
  return {
    pgdata: `/var/lib/postgresql/${node.postgres.majorVersion}/estate`,
    tlsDir: "/var/lib/postgresql/estate-tls",
    pgBin: `/usr/lib/postgresql/${node.postgres.majorVersion}/bin`,
  };
}

/** The monitor's failover timing (health checks, unhealthy and demote timeouts), included by its postgresql.conf. */
export const monitorTimingPath = `${nodePaths.settings}/pgautofailover-monitor.conf`;

/** The operator's planned switchover, on the witness: loses no acknowledged write (estate-switchover.sh). */
export const switchoverCommand = operatorCommandPath("estate-switchover");

/** The data nodes' replication timeouts that let a cut-off primary demote itself before the monitor promotes. */
export const fencingConfPath = `${nodePaths.postgresConfD}/40-fencing.conf`;
/** The data nodes' kernel setting that bounds a standby's reconnection attempt after a cut. */
export const replicationSysctlPath = "/etc/sysctl.d/60-dr-estate-replication.conf";

/**
 * pg_auto_failover: the monitor on the witness, a keeper on each data node. The keeper owns
 * PostgreSQL (no distribution cluster is created), so a node only ever runs PostgreSQL in the role
 * the monitor assigns it: an old primary comes back as a standby, rewound, never writable on its own.
 */
export function failover(node: NodeConfig): CloudConfigPart {
  const paths = failoverPaths(node);
  const initScript = node.role === "witness" ? "failover/monitor-init.sh" : "failover/node-init.sh";
  const unit = renderTemplate("failover/pgautofailover.service", { role: node.role, ...paths });
  const roleFiles: WriteFile[] = node.role === "witness" ? witnessFiles() : dataNodeFiles();
  return {
    // curl posts the failover events to the webhook.
    packages: node.role === "witness" ? ["curl"] : [],
    writeFiles: [
      installScript("failover/failover-lib.sh"),
      installScript(initScript),
      ...roleFiles,
      { path: "/etc/systemd/system/pgautofailover.service", content: unit, permissions: "0644" },
    ],
    runcmd: [
      ...(node.role === "witness" ? [] : [`sysctl -p ${replicationSysctlPath}`]),
      `${nodePaths.scripts}/${initScript.split("/")[1]}`,
      "systemctl daemon-reload",
      "systemctl enable --now pgautofailover.service",
      ...(node.role === "witness" ? ["systemctl enable --now dr-estate-failover-events.timer"] : []),
    ],
  };
}

function dataNodeFiles(): WriteFile[] {
  return [
    installScript("failover/register-with-new-monitor.sh"),
    { path: fencingConfPath, content: readCloudInitFile("failover/postgresql-fencing.conf"), permissions: "0644" },
    { path: replicationSysctlPath, content: readCloudInitFile("failover/sysctl-replication.conf"), permissions: "0644" },
  ];
}

/** The monitor's timing, the failover event log (recorder, its timer), the formation metrics and the switchover command, all read from the monitor. */
function witnessFiles(): WriteFile[] {
  const unit = (name: string, content: string): WriteFile => ({ path: `/etc/systemd/system/${name}`, content, permissions: "0644" });
  return [
    { path: monitorTimingPath, content: readCloudInitFile("failover/pgautofailover-monitor.conf"), permissions: "0644" },
    installScript("failover/failover-events.sh"),
    installScript("failover/formation-metrics.sh"),
    installScript("failover/estate-switchover.sh"),
    operatorCommand("estate-switchover", "estate-switchover.sh"),
    unit(
      "dr-estate-failover-events.service",
      renderTemplate("failover/dr-estate-failover-events.service", { scriptsDirectory: nodePaths.scripts, textfileDirectory: nodePaths.textfileMetrics }),
    ),
    unit("dr-estate-failover-events.timer", readCloudInitFile("failover/dr-estate-failover-events.timer")),
  ];
}
