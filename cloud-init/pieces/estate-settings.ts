import type { CloudConfigPart } from "../cloud-config";
import type { NodeConfig, NodeRole } from "../node-config";

import { nodePaths } from "../node-paths";
import { shellAssignments } from "../shell-quote";

const settingsDirectory = nodePaths.settings;

/** The secrets each role's scripts read from secrets.env; a role gets only these. */
export const secretsByRole: Record<NodeRole, ReadonlyArray<"REPLICATION_PASSWORD" | "FAILOVER_MONITOR_PASSWORD" | "NATS_PASSWORD">> = {
  primary: ["REPLICATION_PASSWORD", "FAILOVER_MONITOR_PASSWORD", "NATS_PASSWORD"],
  standby: ["REPLICATION_PASSWORD", "FAILOVER_MONITOR_PASSWORD", "NATS_PASSWORD"],
  // The monitor sets its autoctl_node password; it never replicates and runs no NATS.
  witness: ["FAILOVER_MONITOR_PASSWORD"],
};

/**
 * The node's settings as shell-sourceable files: every script on the node reads these instead of
 * having values baked in, so the scripts are the same files that are tested locally.
 */
export function estateSettings(node: NodeConfig): CloudConfigPart {
  const settings: Record<string, string | number> = {
    ESTATE_NAME: node.estateName,
    NODE_ROLE: node.role,
    NODE_FQDN: node.fqdn,
    PRIMARY_IPV4: node.peers.primary,
    STANDBY_IPV4: node.peers.standby,
    WITNESS_IPV4: node.peers.witness,
    ADMIN_CIDRS: node.adminCidrs.join(" "),
    PG_MAJOR: node.postgres.majorVersion,
    PG_SOURCE: node.postgres.source,
    PG_DATABASE: node.postgres.database,
    PG_SYNCHRONOUS_REPLICATION: String(node.postgres.synchronousReplication),
    BACKUP_HOURLY_RETENTION_HOURS: node.backups.hourlyRetentionHours,
    BACKUP_DAILY_RETENTION_DAYS: node.backups.dailyRetentionDays,
    BACKUP_WEEKLY_RETENTION_WEEKS: node.backups.weeklyRetentionWeeks,
    ALERT_WEBHOOK_URL: node.alertWebhookUrl,
    ALERT_WEBHOOK_CA_FILE: node.alertWebhookCaCertificate ? nodePaths.alertWebhookCa : "",
  };
  const allSecrets = {
    REPLICATION_PASSWORD: node.secrets.replicationPassword,
    FAILOVER_MONITOR_PASSWORD: node.secrets.failoverMonitorPassword,
    NATS_PASSWORD: node.secrets.natsPassword,
  };
  const secrets = Object.fromEntries(secretsByRole[node.role].map((name) => [name, allSecrets[name]]));
  return {
    writeFiles: [
      // Root's alone: the webhook URL may carry a token. Scripts that run as another user
      // (healthz-update.sh) get what they need from their unit instead.
      { path: `${settingsDirectory}/estate.env`, content: shellAssignments(settings), permissions: "0600" },
      { path: `${settingsDirectory}/secrets.env`, content: shellAssignments(secrets), permissions: "0600" },
      { path: `${settingsDirectory}/tls/ca.crt`, content: node.secrets.caCertificateBase64, encoding: "b64", permissions: "0644" },
      { path: `${settingsDirectory}/tls/node.crt`, content: node.secrets.nodeCertificateBase64, encoding: "b64", permissions: "0644" },
      { path: `${settingsDirectory}/tls/node.key`, content: node.secrets.nodePrivateKeyBase64, encoding: "b64", permissions: "0600" },
      { path: nodePaths.sshHostKey, content: node.secrets.sshHostKeyBase64, encoding: "b64", permissions: "0600" },
      { path: `${nodePaths.sshHostKey}.pub`, content: `${node.secrets.sshHostPublicKey}\n`, permissions: "0644" },
      ...(node.alertWebhookCaCertificate ? [{ path: nodePaths.alertWebhookCa, content: node.alertWebhookCaCertificate, permissions: "0644" }] : []),
    ],
  };
}
