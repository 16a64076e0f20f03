import type { CloudConfigPart, WriteFile } from "../cloud-config";
import { readCloudInitFile, renderTemplate } from "../files";
import type { NodeConfig } from "../node-config";
import { installScript, nodePaths } from "../node-paths";
import { ports } from "../../estate/firewall-rules";

/**
 * Metrics the backup scripts write into the node exporter's textfile collector directory
 * (nodePaths.textfileMetrics), read by the StaleBackup and BackupVerificationFailed rules.
 * This is the one list of their names; the monitoring test checks the rules file uses exactly these.
 */
export const backupTextfileMetrics = {
  /** Unix time of the newest successful backup, one series per `schedule` label: hourly, daily, weekly. */
  lastSuccessTimestamp: "dr_estate_backup_last_success_timestamp_seconds",
  /** 1 when the last verification of the backups succeeded, 0 when it failed. */
  verificationSuccess: "dr_estate_backup_verification_success",
  /** Unix time of the last verification run. */
  verificationTimestamp: "dr_estate_backup_verification_timestamp_seconds",
  /** 1 when the last verification was skipped for lack of disk space for its scratch cluster. */
  verificationSkipped: "dr_estate_backup_verification_skipped",
  /** Unix time of the last successful pgBackRest job, one series per `operation`: full, diff, incr, check, verify. */
  pgbackrestLastSuccessTimestamp: "dr_estate_pgbackrest_last_success_timestamp_seconds",
  /** 1 when the last pgBackRest job of each `operation` succeeded, 0 when it failed. */
  pgbackrestLastRunSuccess: "dr_estate_pgbackrest_last_run_success",
} as const;

/**
 * The gauges the witness's formation-metrics.sh publishes from its pg_auto_failover monitor, read by
 * FormationWithoutHealthySecondary and FailoverHappened.
 */
export const formationTextfileMetrics = {
  /** Nodes the monitor finds healthy and settled in the secondary state. */
  healthySecondaries: "dr_estate_formation_healthy_secondaries",
  /** Unix time the monitor last assigned a node prepare_promotion (failover or switchover); 0 when never. */
  lastPromotionTimestamp: "dr_estate_formation_last_promotion_timestamp_seconds",
} as const;

/** The gauges of the media copies, read by MediaReplicationStale and MediaColdCopyStale. */
export const mediaTextfileMetrics = {
  /** Unix time of media-replicate.sh's last successful push to the other data node. */
  replicationLastSuccessTimestamp: "dr_estate_media_replication_last_success_timestamp_seconds",
  /** Unix time of media-cold-sync.sh's last successful copy to the off-site bucket. */
  coldCopyLastSuccessTimestamp: "dr_estate_media_sync_last_success_timestamp_seconds",
} as const;

/** The gauge certificate-expiry.sh publishes, one series per `certificate` label (node, ca); read by NodeCertificateExpiresSoon. */
export const certificateExpiryMetric = "dr_estate_certificate_expiry_timestamp_seconds";

/** Where the monitoring files land on the nodes. */
export const monitoringPaths = {
  rules: "/etc/prometheus/rules/dr-estate.rules.yml",
  prometheusConfig: "/etc/prometheus/prometheus.yml",
  alertmanagerConfig: "/etc/prometheus/alertmanager.yml",
  postgresExporterQueries: "/etc/prometheus/postgres-exporter-queries.yaml",
  defaults: {
    prometheus: "/etc/default/prometheus",
    alertmanager: "/etc/default/prometheus-alertmanager",
    nodeExporter: "/etc/default/prometheus-node-exporter",
    postgresExporter: "/etc/default/prometheus-postgres-exporter",
  },
} as const;

/** The PostgreSQL role postgres_exporter logs in as, over the local socket. */
export const monitoringRole = "prometheus";
export const alertmanagerPort = 9093;

/**
 * Data nodes run the node exporter and postgres_exporter; the witness runs Prometheus with the
 * estate's alert rules, Alertmanager sending to the estate's webhook, and a loopback node exporter.
 * The configuration files are written before the packages install (cloud-init installs with
 * --force-confold), so every service starts with them.
 */
export function monitoring(node: NodeConfig): CloudConfigPart {
  const role = node.role === "witness" ? witnessMonitoring(node) : dataNodeMonitoring();
  const expiry = certificateExpiry();
  return {
    packages: role.packages,
    writeFiles: [...(role.writeFiles ?? []), ...(expiry.writeFiles ?? [])],
    runcmd: [...(role.runcmd ?? []), ...(expiry.runcmd ?? [])],
  };
}

/** Every node publishes when its certificates expire; the witness's Prometheus scrapes all three. */
function certificateExpiry(): CloudConfigPart {
  const script = installScript("monitoring/certificate-expiry.sh");
  return {
    writeFiles: [
      script,
      file("/etc/systemd/system/dr-estate-certificate-expiry.service", renderTemplate("monitoring/dr-estate-certificate-expiry.service", { script: script.path, textfileDirectory: nodePaths.textfileMetrics })),
      file("/etc/systemd/system/dr-estate-certificate-expiry.timer", readCloudInitFile("monitoring/dr-estate-certificate-expiry.timer")),
    ],
    runcmd: [`install -d -m 0755 ${nodePaths.textfileMetrics}`, "systemctl daemon-reload", "systemctl enable --now dr-estate-certificate-expiry.timer"],
  };
}

function dataNodeMonitoring(): CloudConfigPart {
  const ensureRole = installScript("monitoring/ensure-monitoring-role.sh");
  return {
    packages: ["prometheus-node-exporter", "prometheus-postgres-exporter"],
    writeFiles: [
      nodeExporterDefaults(`:${ports.nodeExporter}`),
      file(monitoringPaths.postgresExporterQueries, readCloudInitFile("monitoring/postgres-exporter-queries.yaml")),
      {
        // As the package keeps it (its postinst makes it the exporter's, 0640): written after the
        // package made the user, then the exporter restarts with it (runcmd).
        ...file(
          monitoringPaths.defaults.postgresExporter,
          renderTemplate("monitoring/prometheus-postgres-exporter.default", {
            monitoringRole,
            postgresPort: ports.postgres,
            postgresExporterPort: ports.postgresExporter,
            queriesPath: monitoringPaths.postgresExporterQueries,
          }),
        ),
        permissions: "0640",
        owner: "prometheus:prometheus",
        defer: true,
      },
      ensureRole,
      file("/etc/systemd/system/dr-estate-monitoring-role.service", renderTemplate("monitoring/dr-estate-monitoring-role.service", { ensureRoleScript: ensureRole.path })),
      file("/etc/systemd/system/dr-estate-monitoring-role.timer", readCloudInitFile("monitoring/dr-estate-monitoring-role.timer")),
    ],
    runcmd: ["systemctl daemon-reload", "systemctl enable --now dr-estate-monitoring-role.timer", "systemctl restart prometheus-postgres-exporter"],
  };
}

function witnessMonitoring(node: NodeConfig): CloudConfigPart {
  return {
    packages: ["prometheus", "prometheus-alertmanager", "prometheus-node-exporter"],
    writeFiles: [
      nodeExporterDefaults(`127.0.0.1:${ports.nodeExporter}`),
      file(monitoringPaths.rules, readCloudInitFile("monitoring/dr-estate.rules.yml")),
      file(
        monitoringPaths.prometheusConfig,
        renderTemplate("monitoring/prometheus.yml", {
          estateName: node.estateName,
          rulesPath: monitoringPaths.rules,
          prometheusPort: ports.prometheus,
          alertmanagerPort,
          nodeExporterPort: ports.nodeExporter,
          postgresExporterPort: ports.postgresExporter,
          primaryIpv4: node.peers.primary,
          standbyIpv4: node.peers.standby,
        }),
      ),
      file(monitoringPaths.defaults.prometheus, renderTemplate("monitoring/prometheus.default", { prometheusPort: ports.prometheus })),
      {
        ...file(
          monitoringPaths.alertmanagerConfig,
          // JSON quoting is valid YAML and keeps any URL (or Terraform token) one scalar.
          renderTemplate("monitoring/alertmanager.yml", {
            alertWebhookUrl: JSON.stringify(node.alertWebhookUrl),
            // A private CA of the webhook's, as the scripts' curl gets it.
            webhookTlsConfig: node.alertWebhookCaCertificate ? `\n        http_config:\n          tls_config:\n            ca_file: ${nodePaths.alertWebhookCa}` : "",
            // Without a URL the receiver has no configuration: Alertmanager drops the Watchdog.
            deadMansSwitchConfig: node.deadMansSwitchUrl
              ? `\n    webhook_configs:\n      - url: ${JSON.stringify(node.deadMansSwitchUrl)}\n        send_resolved: false`
              : "",
          }),
        ),
        // The webhook URL may carry a token: readable by Alertmanager's group only. Deferred until
        // the package has made that group; Alertmanager restarts with it below.
        permissions: "0640",
        owner: "root:prometheus",
        defer: true,
      },
      file(monitoringPaths.defaults.alertmanager, renderTemplate("monitoring/prometheus-alertmanager.default", { alertmanagerPort })),
    ],
    runcmd: ["systemctl restart prometheus-alertmanager"],
  };
}

function nodeExporterDefaults(listenAddress: string): WriteFile {
  return file(
    monitoringPaths.defaults.nodeExporter,
    renderTemplate("monitoring/prometheus-node-exporter.default", { listenAddress, textfileDirectory: nodePaths.textfileMetrics }),
  );
}

function file(path: string, content: string): WriteFile {
  return { path, content, permissions: "0644" };
}
