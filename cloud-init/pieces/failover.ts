import type { CloudConfigPart } from "../cloud-config";
import { renderTemplate } from "../files";
import type { NodeConfig } from "../node-config";
import { installScript, nodePaths } from "../node-paths";

/** Where pg_auto_failover keeps each node's PostgreSQL data and TLS files (on the data volume when there is one). */
export function failoverPaths(node: Pick<NodeConfig, "postgres">) {
  return {
    pgdata: `/var/lib/postgresql/${node.postgres.majorVersion}/estate`,
    tlsDir: "/var/lib/postgresql/estate-tls",
    pgBin: `/usr/lib/postgresql/${node.postgres.majorVersion}/bin`,
  };
}

/**
 * pg_auto_failover: the monitor on the witness, a keeper on each data node. The keeper owns
 * PostgreSQL (no distribution cluster is created), so a node only ever runs PostgreSQL in the role
 * the monitor assigns it: an old primary comes back as a standby, rewound, never writable on its own.
 */
export function failover(node: NodeConfig): CloudConfigPart {
  const paths = failoverPaths(node);
  const initScript = node.role === "witness" ? "failover/monitor-init.sh" : "failover/node-init.sh";
  const unit = renderTemplate("failover/pgautofailover.service", { role: node.role, ...paths });
  return {
    writeFiles: [
      installScript("failover/failover-lib.sh"),
      installScript(initScript),
      { path: "/etc/systemd/system/pgautofailover.service", content: unit, permissions: "0644" },
    ],
    runcmd: [
      `${nodePaths.scripts}/${initScript.split("/")[1]}`,
      "systemctl daemon-reload",
      "systemctl enable --now pgautofailover.service",
    ],
  };
}
