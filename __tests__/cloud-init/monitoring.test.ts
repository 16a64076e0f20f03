// Monitoring and alerts: the rules, Prometheus and Alertmanager configuration are taken from the
// rendered witness user-data AS SHIPPED and checked with promtool and amtool; the rules are run
// through `promtool test rules` (and shown to fail when a rule or threshold changes); the data
// nodes' exporter settings are run with the real exporters against a real PostgreSQL.
import { ChildProcess, spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parse, stringify } from "yaml";
import { renderCloudConfig } from "../../cloud-init";
import { backupTextfileMetrics, certificateExpiryMetric, formationTextfileMetrics, mediaTextfileMetrics, monitoringPaths, monitoringRole } from "../../cloud-init/pieces/monitoring";
import { nodePaths } from "../../cloud-init/node-paths";
import { dataNodeInboundRules, ports, witnessInboundRules } from "../../estate/firewall-rules";
import { exampleNodeConfig, makeTestCertificates } from "../support/example-node";
import { parseCloudConfig, renderedFile } from "../support/rendered-files";

const fixture = path.join(__dirname, "fixtures", "monitoring-rules.test.yml");
const rulesFileName = "dr-estate.rules.yml";
const postgresBin = "/usr/lib/postgresql/15/bin";
// This test's share of the loopback ports (19090-19099).
const postgresExporterTestPort = 19091;
const nodeExporterTestPort = 19092;

const witness = renderCloudConfig(exampleNodeConfig("witness"));
const dataNodes = { primary: renderCloudConfig(exampleNodeConfig("primary")), standby: renderCloudConfig(exampleNodeConfig("standby")) };

const tempDirs: string[] = [];
function tempDir(prefix: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `dr-estate-monitoring-${prefix}-`));
  fs.chmodSync(dir, 0o755);
  tempDirs.push(dir);
  return dir;
}

interface RunResult {
  readonly status: number | null;
  readonly output: string;
}
function run(command: string, args: readonly string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): RunResult {
  const result = spawnSync(command, args, { cwd: options.cwd, env: options.env ?? process.env, encoding: "utf8", timeout: 60_000 });
  if (result.error) {
    throw result.error;
  }
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

/** The words of ARGS and the other variables of a shipped /etc/default file, as sh reads them. */
function sourceDefaults(content: string): { args: string[]; vars: Record<string, string> } {
  const dir = tempDir("defaults");
  const file = path.join(dir, "defaults");
  fs.writeFileSync(file, content);
  const out = run("sh", ["-c", '. "$1"; printf "DSN=%s\\n" "${DATA_SOURCE_NAME-}"; for a in $ARGS; do printf "ARG=%s\\n" "$a"; done', "sh", file]);
  expect(out.status).toBe(0);
  const lines = out.output.trimEnd().split("\n");
  return {
    args: lines.filter((l) => l.startsWith("ARG=")).map((l) => l.slice(4)),
    vars: { DATA_SOURCE_NAME: lines.find((l) => l.startsWith("DSN="))!.slice(4) },
  };
}

function flagValue(args: readonly string[], flag: string): string | undefined {
  const found = args.find((a) => a.startsWith(`${flag}=`));
  return found === undefined ? undefined : found.slice(flag.length + 1);
}

interface Rule {
  alert: string;
  expr: string;
  for?: string;
}
const shippedRules = () => renderedFile(witness, monitoringPaths.rules);
const rulesOf = (rulesYaml: string): Rule[] => (parse(rulesYaml) as { groups: { rules: Rule[] }[] }).groups.flatMap((g) => g.rules);

interface FixtureTest {
  name: string;
  alert_rule_test: { alertname: string; exp_alerts: unknown[] }[];
}
const fixtureTests = (): FixtureTest[] => parse(fs.readFileSync(fixture, "utf8")).tests;

/**
 * Runs `promtool test rules` against the given rules file content: with the whole fixture, or with
 * only its tests that expect something of `alert` (a full run takes about 25 s: one per mutant is too slow).
 */
function promtoolTestRules(rulesYaml: string, alert?: string): RunResult {
  const dir = tempDir("rules");
  fs.writeFileSync(path.join(dir, rulesFileName), rulesYaml);
  const whole = parse(fs.readFileSync(fixture, "utf8"));
  const tests = alert === undefined ? whole.tests : (whole.tests as FixtureTest[]).filter((t) => t.alert_rule_test.some((c) => c.alertname === alert));
  expect(tests.length).toBeGreaterThan(0);
  fs.writeFileSync(path.join(dir, "rules.test.yml"), stringify({ ...whole, tests }));
  return run("promtool", ["test", "rules", "rules.test.yml"], { cwd: dir });
}

afterAll(() => {
  for (const dir of tempDirs) {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

describe("witness: Prometheus, rules and Alertmanager as shipped", () => {
  it("installs Prometheus, Alertmanager and a node exporter, and no PostgreSQL exporter", () => {
    const doc = parseCloudConfig(witness);
    expect(doc.packages).toEqual(expect.arrayContaining(["prometheus", "prometheus-alertmanager", "prometheus-node-exporter"]));
    expect(doc.packages).not.toContain("prometheus-postgres-exporter");
    expect(doc.write_files.map((f) => f.path)).not.toContain(monitoringPaths.defaults.postgresExporter);
  });

  it("passes promtool check rules with the eighteen alerts", () => {
    const dir = tempDir("check-rules");
    fs.writeFileSync(path.join(dir, rulesFileName), shippedRules());
    const result = run("promtool", ["check", "rules", rulesFileName], { cwd: dir });
    expect(result.output).toContain("SUCCESS: 18 rules found");
    expect(result.status).toBe(0);
    expect(rulesOf(shippedRules()).map((r) => r.alert).sort()).toEqual([
      "BackupVerificationFailed", "BackupVerificationSkipped", "FailoverHappened", "FormationWithoutHealthySecondary", "HighDiskUsage", "HighReplicationLag", "HttpsCertificateExpiresSoon",
      "MediaColdCopyStale", "MediaReplicationStale", "MonitoringTargetDown", "NodeCertificateExpiresSoon", "PgBackRestCheckFailed", "PostgreSQLDown", "StaleBackup", "StalePgBackRestBackup", "WALArchiveBehind",
      "WALArchivingFailing", "Watchdog",
    ]);
  });

  it("passes promtool check config, rule file included", () => {
    const dir = tempDir("check-config");
    const rulesPath = path.join(dir, rulesFileName);
    fs.writeFileSync(rulesPath, shippedRules());
    const shipped = renderedFile(witness, monitoringPaths.prometheusConfig);
    expect(shipped).toContain(`  - ${monitoringPaths.rules}\n`);
    // Only the rule file's location changes: it must resolve on this machine.
    fs.writeFileSync(path.join(dir, "prometheus.yml"), shipped.replace(`  - ${monitoringPaths.rules}\n`, `  - ${rulesPath}\n`));
    const result = run("promtool", ["check", "config", "prometheus.yml"], { cwd: dir });
    expect(result.output).toContain(`SUCCESS: ${rulesOf(shippedRules()).length} rules found`);
    expect(result.status).toBe(0);
  });

  it("scrapes both data nodes' exporters at their addresses, and the witness itself", () => {
    const config = parse(renderedFile(witness, monitoringPaths.prometheusConfig));
    const node = exampleNodeConfig("witness");
    const targets = (job: string): string[] =>
      config.scrape_configs.find((s: { job_name: string }) => s.job_name === job).static_configs.flatMap((c: { targets: string[] }) => c.targets);
    expect(targets("node")).toEqual([`${node.peers.primary}:9100`, `${node.peers.standby}:9100`, "127.0.0.1:9100"]);
    expect(targets("postgres")).toEqual([`${node.peers.primary}:9187`, `${node.peers.standby}:9187`]);
    expect(targets("prometheus")).toEqual([`127.0.0.1:${ports.prometheus}`]);
    expect(config.alerting.alertmanagers[0].static_configs[0].targets).toEqual(["127.0.0.1:9093"]);
    expect(config.rule_files).toEqual([monitoringPaths.rules]);
    expect(config.global.external_labels).toEqual({ estate: node.estateName });
  });

  it("passes amtool check-config and sends to the estate's webhook", () => {
    const dir = tempDir("amtool");
    const shipped = renderedFile(witness, monitoringPaths.alertmanagerConfig);
    fs.writeFileSync(path.join(dir, "alertmanager.yml"), shipped);
    const result = run("amtool", ["check-config", "alertmanager.yml"], { cwd: dir });
    expect(result.output).toContain("SUCCESS");
    expect(result.status).toBe(0);
    const config = parse(shipped);
    expect(config.receivers).toEqual([
      { name: "estate-webhook", webhook_configs: [{ url: exampleNodeConfig("witness").alertWebhookUrl, send_resolved: true }] },
      { name: "dead-mans-switch" },
    ]);
    expect(config.route).toMatchObject({ receiver: "estate-webhook", group_by: ["alertname", "node"], group_wait: "30s", group_interval: "5m", repeat_interval: "4h" });
  });

  it("keeps a webhook URL with YAML-significant characters intact", () => {
    const url = "https://hooks.example.com/a: b/#frag?x='1'&y=\"2\"";
    const doc = renderCloudConfig(exampleNodeConfig("witness", { alertWebhookUrl: url }));
    const dir = tempDir("amtool-url");
    fs.writeFileSync(path.join(dir, "alertmanager.yml"), renderedFile(doc, monitoringPaths.alertmanagerConfig));
    expect(run("amtool", ["check-config", "alertmanager.yml"], { cwd: dir }).status).toBe(0);
    expect(parse(renderedFile(doc, monitoringPaths.alertmanagerConfig)).receivers[0].webhook_configs[0].url).toBe(url);
  });

  it("routes the Watchdog to the dead-man's-switch service every minute, and every other alert to the webhook", () => {
    const url = "https://hc-ping.com/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0";
    const doc = renderCloudConfig(exampleNodeConfig("witness", { deadMansSwitchUrl: url }));
    const dir = tempDir("amtool-routes");
    const shipped = renderedFile(doc, monitoringPaths.alertmanagerConfig);
    fs.writeFileSync(path.join(dir, "alertmanager.yml"), shipped);
    expect(run("amtool", ["check-config", "alertmanager.yml"], { cwd: dir }).status).toBe(0);
    const receiverOf = (...labels: string[]) => {
      const result = run("amtool", ["config", "routes", "test", "--config.file=alertmanager.yml", ...labels], { cwd: dir });
      expect(result.status).toBe(0);
      // The receiver's name on stdout; amtool warns on stderr that --config.file overrides the URL.
      return result.output.split("\n")[0].trim();
    };
    expect(receiverOf("alertname=Watchdog", "severity=none")).toBe("dead-mans-switch");
    expect(receiverOf("alertname=PostgreSQLDown", "severity=critical", "node=primary")).toBe("estate-webhook");
    expect(receiverOf("alertname=FailoverHappened", "severity=warning")).toBe("estate-webhook");
    const config = parse(shipped);
    expect(config.receivers.find((r: { name: string }) => r.name === "dead-mans-switch")).toEqual({ name: "dead-mans-switch", webhook_configs: [{ url, send_resolved: false }] });
    expect(config.route.routes[0]).toMatchObject({ receiver: "dead-mans-switch", repeat_interval: "1m", group_interval: "1m" });
    // The Watchdog never reaches the estate's webhook, with a dead-man's switch or without one.
    for (const rendered of [shipped, renderedFile(witness, monitoringPaths.alertmanagerConfig)]) {
      fs.writeFileSync(path.join(dir, "alertmanager.yml"), rendered);
      expect(receiverOf("alertname=Watchdog", "severity=critical")).toBe("dead-mans-switch");
    }
  });

  it("Prometheus, Alertmanager and the node exporter listen on loopback only; the witness's firewall opens none of their ports", () => {
    const opened = witnessInboundRules({ adminCidrs: ["198.51.100.0/24"], estatePeers: ["203.0.113.10/32"] }).map((r) => r.port);
    expect(opened.sort()).toEqual([ports.ssh, ports.postgres].sort());
    const expected: Record<string, string> = {
      [monitoringPaths.defaults.prometheus]: `127.0.0.1:${ports.prometheus}`,
      [monitoringPaths.defaults.alertmanager]: "127.0.0.1:9093",
      [monitoringPaths.defaults.nodeExporter]: `127.0.0.1:${ports.nodeExporter}`,
    };
    for (const [file, address] of Object.entries(expected)) {
      const { args } = sourceDefaults(renderedFile(witness, file));
      expect({ file, address: flagValue(args, "--web.listen-address") }).toEqual({ file, address });
    }
    // No Alertmanager cluster (gossip) port either.
    expect(flagValue(sourceDefaults(renderedFile(witness, monitoringPaths.defaults.alertmanager)).args, "--cluster.listen-address")).toBe("");
  });
});

describe("alert rules under promtool test rules", () => {
  it("fire and stay quiet as the fixture expects", () => {
    const result = promtoolTestRules(shippedRules());
    expect(result.output).toContain("SUCCESS");
    expect(result.status).toBe(0);
  });

  it("the fixture has a firing and a quiet case for every alert of the rules file", () => {
    const cases = fixtureTests().flatMap((t) => t.alert_rule_test);
    for (const { alert } of rulesOf(shippedRules())) {
      const mine = cases.filter((c) => c.alertname === alert);
      // The Watchdog is the one alert that must never be quiet.
      expect({ alert, fires: mine.some((c) => c.exp_alerts.length > 0), quiet: mine.some((c) => c.exp_alerts.length === 0) }).toEqual({
        alert,
        fires: true,
        quiet: alert !== "Watchdog",
      });
    }
  });

  // Each mutant is still a valid rules file; the fixture must catch it.
  const mutants: Array<[string, Mutation]> = [
    ...removed("PostgreSQLDown", "HighReplicationLag", "HighDiskUsage", "StaleBackup", "BackupVerificationFailed"),
    ["PostgreSQLDown without the unreachable-exporter case", edit("PostgreSQLDown", (e) => e.replace(' or up{job="postgres"} == 0', ""))],
    ["PostgreSQLDown for 3m", withFor("PostgreSQLDown", "3m")],
    ["replication lag threshold 100 s", edit("HighReplicationLag", (e) => e.replace("> 60", "> 100"))],
    ["replication lag threshold 20 s", edit("HighReplicationLag", (e) => e.replace("> 60", "> 20"))],
    ["replication lag from pg_replication_lag only", edit("HighReplicationLag", (e) => e.replace("(pg_replication_lag_seconds or pg_replication_lag)", "pg_replication_lag"))],
    ["disk threshold 96 %", edit("HighDiskUsage", (e) => e.replace("> 90", "> 96"))],
    ["disk threshold 80 %", edit("HighDiskUsage", (e) => e.replace("> 90", "> 80"))],
    ["disk alert on tmpfs too", edit("HighDiskUsage", (e) => e.replaceAll("tmpfs|ramfs|", "ramfs|"))],
    ["stale backup after 2 h", edit("StaleBackup", (e) => e.replace("> 3600", "> 7200"))],
    ["stale backup after 30 min", edit("StaleBackup", (e) => e.replace("> 3600", "> 1800"))],
    ["stale backup without the absent case", edit("StaleBackup", (e) => e.replace(/\s*or absent\(.*\)/, ""))],
    ["verification alert on success", edit("BackupVerificationFailed", (e) => e.replace("== 0", "== 1"))],
    ["certificate alert 10 days before expiry", edit("NodeCertificateExpiresSoon", (e) => e.replace("30 * 86400", "10 * 86400"))],
    ["certificate alert 60 days before expiry", edit("NodeCertificateExpiresSoon", (e) => e.replace("30 * 86400", "60 * 86400"))],
    ["node certificate alert on the HTTPS certificate too", edit("NodeCertificateExpiresSoon", (e) => e.replace('{certificate!="https"}', ""))],
    ...removed("HttpsCertificateExpiresSoon"),
    ["HTTPS certificate alert 7 days before expiry", edit("HttpsCertificateExpiresSoon", (e) => e.replace("14 * 86400", "7 * 86400"))],
    ["HTTPS certificate alert 30 days before expiry", edit("HttpsCertificateExpiresSoon", (e) => e.replace("14 * 86400", "30 * 86400"))],
    ...removed("NodeCertificateExpiresSoon"),
    ["verification skipped alert on a run that was not skipped", edit("BackupVerificationSkipped", (e) => e.replace("== 1", "== 0"))],
    ...removed("BackupVerificationSkipped", "WALArchivingFailing", "WALArchiveBehind", "StalePgBackRestBackup", "PgBackRestCheckFailed"),
    ["WAL archiving alert after 1 minute of failures", withFor("WALArchivingFailing", "1m")],
    ["WAL archiving alert after 20 minutes of failures", withFor("WALArchivingFailing", "20m")],
    ["archive behind after 5 minutes", edit("WALArchiveBehind", (e) => e.replace("> 900", "> 300"))],
    ["archive behind after 30 minutes", edit("WALArchiveBehind", (e) => e.replace("> 900", "> 1800"))],
    ["stale pgBackRest backup after 2 h", edit("StalePgBackRestBackup", (e) => e.replaceAll("6 * 3600", "2 * 3600"))],
    ["stale pgBackRest backup after 12 h", edit("StalePgBackRestBackup", (e) => e.replaceAll("6 * 3600", "12 * 3600"))],
    ["stale pgBackRest backup counting check jobs", edit("StalePgBackRestBackup", (e) => e.replaceAll('"full|diff|incr"', '"full|diff|incr|check"'))],
    ["stale pgBackRest backup without the absent case", edit("StalePgBackRestBackup", (e) => e.replace(/\s*or absent\(.*\)/, ""))],
    ["check alert on success", edit("PgBackRestCheckFailed", (e) => e.replace("== 0", "== 1"))],
    ["check alert on every operation", edit("PgBackRestCheckFailed", (e) => e.replace('{operation=~"check|verify"}', ""))],
    ...removed("Watchdog", "FormationWithoutHealthySecondary", "FailoverHappened", "MonitoringTargetDown"),
    ["Watchdog only while Prometheus scrapes itself", edit("Watchdog", () => 'up{job="prometheus"} == 1')],
    ["Watchdog after 5 minutes", withFor("Watchdog", "5m")],
    ["no healthy secondary after 10 minutes", withFor("FormationWithoutHealthySecondary", "10m")],
    ["no healthy secondary after 1 minute", withFor("FormationWithoutHealthySecondary", "1m")],
    ["no healthy secondary without the absent case", edit("FormationWithoutHealthySecondary", (e) => e.replace(/\s*or absent\([^)]*\)/, ""))],
    ["no healthy secondary without the stale-report case", edit("FormationWithoutHealthySecondary", (e) => e.replace(/\s*or time\(\).*$/, ""))],
    ["stale formation report after 10 minutes", edit("FormationWithoutHealthySecondary", (e) => e.replace("> 120", "> 600"))],
    ["stale report read from any textfile", edit("FormationWithoutHealthySecondary", (e) => e.replace('{file=~"(.*/)?formation.prom"}', ""))],
    ["failover alert for 2 hours", edit("FailoverHappened", (e) => e.replace("< 3600", "< 7200"))],
    ["failover alert for 10 minutes", edit("FailoverHappened", (e) => e.replace("< 3600", "< 600"))],
    ["failover alert when nothing was ever promoted", edit("FailoverHappened", (e) => e.replace(/\s*and .*$/, ""))],
    ["target down after 10 minutes", withFor("MonitoringTargetDown", "10m")],
    ["target down for Prometheus only", edit("MonitoringTargetDown", (e) => e.replace("prometheus|alertmanager", "prometheus"))],
    ["target down for every job", edit("MonitoringTargetDown", (e) => e.replace('{job=~"prometheus|alertmanager"}', ""))],
    ...removed("MediaReplicationStale", "MediaColdCopyStale"),
    ["media replication stale after 30 minutes", edit("MediaReplicationStale", (e) => e.replace("> 300", "> 1800"))],
    ["media replication stale after 1 minute", edit("MediaReplicationStale", (e) => e.replace("> 300", "> 60"))],
    ["media replication judged by its oldest push", edit("MediaReplicationStale", (e) => e.replace("max(", "min("))],
    ["media cold copy stale after 50 hours", edit("MediaColdCopyStale", (e) => e.replace("26 * 3600", "50 * 3600"))],
    ["media cold copy stale after 20 hours", edit("MediaColdCopyStale", (e) => e.replace("26 * 3600", "20 * 3600"))],
  ];
  it.each(mutants)("fail when the rules are changed: %s (the alert's own fixture tests catch it)", (_name, mutation) => {
    const original = parse(shippedRules());
    const mutated = { groups: [{ ...original.groups[0], rules: mutation.change(original.groups[0].rules) }] };
    const mutatedYaml = stringify(mutated);
    expect(mutatedYaml).not.toEqual(stringify(original));
    const dir = tempDir("mutant");
    fs.writeFileSync(path.join(dir, rulesFileName), mutatedYaml);
    expect(run("promtool", ["check", "rules", rulesFileName], { cwd: dir }).status).toBe(0);
    const result = promtoolTestRules(mutatedYaml, mutation.alert);
    expect(result.output).toContain("FAILED");
    expect(result.status).not.toBe(0);
  });

  it("read the textfile metrics by the names listed in monitoring.ts", () => {
    const rules = shippedRules();
    const named = new Set(rulesOf(rules).map((r) => r.expr).join("\n").match(/\bdr_estate_[a-z_]+\b/g));
    expect([...named].sort()).toEqual(
      [
        backupTextfileMetrics.lastSuccessTimestamp,
        backupTextfileMetrics.verificationSuccess,
        backupTextfileMetrics.verificationSkipped,
        backupTextfileMetrics.pgbackrestLastSuccessTimestamp,
        backupTextfileMetrics.pgbackrestLastRunSuccess,
        certificateExpiryMetric,
        formationTextfileMetrics.healthySecondaries,
        formationTextfileMetrics.lastPromotionTimestamp,
        mediaTextfileMetrics.replicationLastSuccessTimestamp,
        mediaTextfileMetrics.coldCopyLastSuccessTimestamp,
      ].sort(),
    );
  });
});

/** A change to the shipped rules that the promtool fixture must catch: the alert it touches and the change. */
interface Mutation {
  readonly alert: string;
  readonly change: (rules: Rule[]) => Rule[];
}

/** The rules with `alert`'s expression changed. */
function edit(alert: string, change: (expr: string) => string): Mutation {
  return { alert, change: (rules) => rules.map((r) => (r.alert === alert ? { ...r, expr: change(r.expr) } : r)) };
}

/** One mutant per alert: the rules without it. */
function removed(...alerts: string[]): Array<[string, Mutation]> {
  return alerts.map((alert) => [`${alert} removed`, { alert, change: (rules) => rules.filter((r) => r.alert !== alert) }]);
}

/** The rules with `alert` pending for `duration` before it fires. */
function withFor(alert: string, duration: string): Mutation {
  return { alert, change: (rules) => rules.map((r) => (r.alert === alert ? { ...r, for: duration } : r)) };
}

describe("data nodes: exporters", () => {
  it.each(Object.entries(dataNodes))("%s installs both exporters on their standard ports, and no Prometheus", (_role, doc) => {
    const parsed = parseCloudConfig(doc);
    expect(parsed.packages).toEqual(expect.arrayContaining(["prometheus-node-exporter", "prometheus-postgres-exporter"]));
    expect(parsed.packages).not.toContain("prometheus");
    expect(parsed.packages).not.toContain("prometheus-alertmanager");

    const nodeExporter = sourceDefaults(renderedFile(doc, monitoringPaths.defaults.nodeExporter)).args;
    expect(flagValue(nodeExporter, "--web.listen-address")).toBe(":9100");
    expect(flagValue(nodeExporter, "--collector.textfile.directory")).toBe(nodePaths.textfileMetrics);

    const postgresExporter = sourceDefaults(renderedFile(doc, monitoringPaths.defaults.postgresExporter));
    expect(flagValue(postgresExporter.args, "--web.listen-address")).toBe(":9187");
    expect(flagValue(postgresExporter.args, "--extend.query-path")).toBe(monitoringPaths.postgresExporterQueries);
    expect(postgresExporter.vars.DATA_SOURCE_NAME).toBe(`user=${monitoringRole} host=/run/postgresql port=5432 dbname=postgres sslmode=disable`);
    expect(parsed.runcmd).toContain("systemctl enable --now dr-estate-monitoring-role.timer");
    expect(renderedFile(doc, "/etc/systemd/system/dr-estate-monitoring-role.service")).toContain(
      `ExecStart=${nodePaths.scripts}/ensure-monitoring-role.sh\n`,
    );
  });

  it("opens the exporter ports to the estate's nodes only", () => {
    const rules = dataNodeInboundRules({ adminCidrs: ["198.51.100.0/24"], estatePeers: ["198.51.100.30/32"], otherDataNode: "198.51.100.20/32" });
    for (const port of [9100, 9187]) {
      expect(rules.filter((r) => r.port === port).map((r) => r.sources)).toEqual([["198.51.100.30/32"]]);
    }
  });

  it("ships ensure-monitoring-role.sh clean under shellcheck", () => {
    const dir = tempDir("shellcheck");
    fs.writeFileSync(path.join(dir, "ensure-monitoring-role.sh"), renderedFile(dataNodes.primary, `${nodePaths.scripts}/ensure-monitoring-role.sh`));
    const result = run("shellcheck", ["ensure-monitoring-role.sh"], { cwd: dir });
    expect(result.output).toBe("");
    expect(result.status).toBe(0);
  });
});

describe("data nodes: the shipped exporter settings against a real PostgreSQL", () => {
  const doc = dataNodes.primary;
  let dir: string;
  let socketDir: string;
  let etcDir: string;
  let textfileDir: string;
  const children: ChildProcess[] = [];
  const scraped: string[] = [];
  let postgresStarted = false;

  const asPostgres = (...args: string[]) => run("runuser", ["-u", "postgres", "--", ...args], { cwd: dir });
  const roleEnv = () => ({ ...process.env, DR_ESTATE_ETC: etcDir, PGHOST: socketDir, PGPORT: "5432" });
  const ensureRole = () => run("sh", [path.join(dir, "ensure-monitoring-role.sh")], { cwd: dir, env: roleEnv() });

  beforeAll(() => {
    dir = tempDir("pg");
    socketDir = path.join(dir, "socket");
    etcDir = path.join(dir, "etc");
    textfileDir = path.join(dir, "textfile");
    for (const d of [socketDir, etcDir, textfileDir]) {
      fs.mkdirSync(d, { mode: 0o755 });
    }
    fs.chownSync(dir, uid("postgres"), 0);
    fs.chownSync(socketDir, uid("postgres"), 0);
    fs.writeFileSync(path.join(etcDir, "estate.env"), renderedFile(doc, `${nodePaths.settings}/estate.env`));
    fs.writeFileSync(path.join(dir, "ensure-monitoring-role.sh"), renderedFile(doc, `${nodePaths.scripts}/ensure-monitoring-role.sh`), { mode: 0o755 });
    fs.writeFileSync(path.join(dir, "queries.yaml"), renderedFile(doc, monitoringPaths.postgresExporterQueries), { mode: 0o644 });
    const init = asPostgres(`${postgresBin}/initdb`, "-D", path.join(dir, "data"), "-U", "postgres", "--auth-local=peer", "--auth-host=reject");
    expect(init.status).toBe(0);
  });

  afterAll(async () => {
    await Promise.all(children.map(stop));
    if (postgresStarted) {
      asPostgres(`${postgresBin}/pg_ctl`, "-D", path.join(dir, "data"), "-m", "immediate", "-w", "stop");
    }
  });

  it("ensure-monitoring-role.sh waits quietly while PostgreSQL is not up yet", () => {
    const result = ensureRole();
    expect(result.output).toContain("not accepting connections yet");
    expect(result.status).toBe(0);
  });

  it("ensure-monitoring-role.sh creates the role with pg_monitor, idempotently", () => {
    const start = asPostgres(
      `${postgresBin}/pg_ctl`, "-D", path.join(dir, "data"), "-l", path.join(dir, "postgres.log"), "-w", "-t", "60",
      "-o", `-c listen_addresses='' -c unix_socket_directories='${socketDir}' -c port=5432`, "start",
    );
    expect(start.status).toBe(0);
    postgresStarted = true;
    for (let i = 0; i < 2; i += 1) {
      const result = ensureRole();
      expect(result.output).toContain(`role ${monitoringRole} has pg_monitor`);
      expect(result.status).toBe(0);
    }
    const check = asPostgres(
      "psql", "-X", "-t", "-A", "-h", socketDir, "-d", "postgres", "-c",
      `SELECT rolcanlogin, rolsuper, pg_has_role('${monitoringRole}', 'pg_monitor', 'MEMBER') FROM pg_roles WHERE rolname = '${monitoringRole}'`,
    );
    expect(check.output.trim()).toBe("t|f|t");
  });

  it("postgres_exporter with the shipped settings, as the prometheus user over the socket, reports pg_up 1 and the lag", async () => {
    const { args, vars } = sourceDefaults(renderedFile(doc, monitoringPaths.defaults.postgresExporter));
    const dsn = vars.DATA_SOURCE_NAME.replace("host=/run/postgresql", `host=${socketDir}`);
    expect(dsn).not.toEqual(vars.DATA_SOURCE_NAME);
    const localArgs = args.map((a) =>
      a.startsWith("--web.listen-address=") ? `--web.listen-address=127.0.0.1:${postgresExporterTestPort}`
        : a.startsWith("--extend.query-path=") ? `--extend.query-path=${path.join(dir, "queries.yaml")}` : a,
    );
    children.push(start("/usr/bin/prometheus-postgres-exporter", localArgs, { DATA_SOURCE_NAME: dsn }));
    const metrics = await scrapeUntil(postgresExporterTestPort, (m) => /^pg_up 1$/m.test(m) && /^pg_replication_lag\b/m.test(m));
    expect(sample(metrics, "pg_up")).toBe(1);
    expect(metrics).toMatch(/^pg_replication_lag(\{[^}]*\})? 0$/m);
    // The WAL archive query as the monitoring role reads it (archive_mode is off here: nothing waits).
    expect(metrics).toMatch(/^pg_wal_archive_failed_count(\{[^}]*\})? 0$/m);
    expect(metrics).toMatch(/^pg_wal_archive_oldest_ready_age_seconds(\{[^}]*\})? 0$/m);
    scraped.push(metrics);
  });

  it("the node exporter with the shipped settings reads the backup metrics from the textfile directory", async () => {
    const { args } = sourceDefaults(renderedFile(doc, monitoringPaths.defaults.nodeExporter));
    const now = Math.floor(Date.now() / 1000);
    fs.writeFileSync(
      path.join(textfileDir, "dr_estate_backup.prom"),
      [
        `# TYPE ${backupTextfileMetrics.lastSuccessTimestamp} gauge`,
        ...["hourly", "daily", "weekly"].map((s) => `${backupTextfileMetrics.lastSuccessTimestamp}{schedule="${s}"} ${now}`),
        `# TYPE ${backupTextfileMetrics.verificationSuccess} gauge`,
        `${backupTextfileMetrics.verificationSuccess} 1`,
        `# TYPE ${backupTextfileMetrics.verificationTimestamp} gauge`,
        `${backupTextfileMetrics.verificationTimestamp} ${now}`,
        `# TYPE ${backupTextfileMetrics.verificationSkipped} gauge`,
        `${backupTextfileMetrics.verificationSkipped} 0`,
        `# TYPE ${backupTextfileMetrics.pgbackrestLastSuccessTimestamp} gauge`,
        `${backupTextfileMetrics.pgbackrestLastSuccessTimestamp}{operation="incr"} ${now}`,
        `# TYPE ${backupTextfileMetrics.pgbackrestLastRunSuccess} gauge`,
        `${backupTextfileMetrics.pgbackrestLastRunSuccess}{operation="check"} 1`,
        "",
      ].join("\n"),
      { mode: 0o644 },
    );
    // The certificate gauge as the shipped script publishes it, from certificates made for the test.
    const script = path.join(tempDir("expiry-script"), "certificate-expiry.sh");
    fs.writeFileSync(script, renderedFile(doc, `${nodePaths.scripts}/certificate-expiry.sh`));
    expect(run("sh", [script], { env: { ...process.env, CERTIFICATE_DIR: makeTestCertificates().directory, TEXTFILE_DIR: textfileDir } }).status).toBe(0);
    const localArgs = args.map((a) =>
      a.startsWith("--web.listen-address=") ? `--web.listen-address=127.0.0.1:${nodeExporterTestPort}`
        : a.startsWith("--collector.textfile.directory=") ? `--collector.textfile.directory=${textfileDir}` : a,
    );
    expect(localArgs).not.toEqual(args);
    children.push(start("/usr/bin/prometheus-node-exporter", localArgs, {}));
    const metrics = await scrapeUntil(nodeExporterTestPort, (m) => m.includes(backupTextfileMetrics.verificationSuccess) && m.includes(certificateExpiryMetric));
    expect(sample(metrics, "node_textfile_scrape_error")).toBe(0);
    expect(sample(metrics, `${certificateExpiryMetric}{certificate="node"}`)).toBeGreaterThan(now);
    expect(sample(metrics, `${backupTextfileMetrics.lastSuccessTimestamp}{schedule="hourly"}`)).toBe(now);
    expect(sample(metrics, backupTextfileMetrics.verificationSuccess)).toBe(1);
    expect(metrics).toMatch(/^node_filesystem_avail_bytes\{/m);
    scraped.push(metrics);
  });

  it("every metric the rules read is one these exporters export (the lag under either exporter version's name)", () => {
    expect(scraped).toHaveLength(2);
    const exported = new Set(scraped.join("\n").split("\n").filter((l) => l && !l.startsWith("#")).map((l) => l.split(/[{ ]/)[0]));
    const exprs = rulesOf(shippedRules()).map((r) => r.expr).join("\n");
    const read = new Set(exprs.match(/\b(?:pg|node|dr_estate)_[a-z_]+\b/g));
    // Scrape health comes from Prometheus itself; pg_replication_lag_seconds is the 0.13+ name; the
    // formation metrics come from the witness's monitor (failover-events.test.ts runs that script), the
    // media metrics from the media scripts (media-replication.test.ts and media-cold-copy.test.ts run them).
    const elsewhere = new Set<string>(["pg_replication_lag_seconds", ...Object.values(formationTextfileMetrics), ...Object.values(mediaTextfileMetrics)]);
    const missing = [...read].filter((name) => !exported.has(name) && !elsewhere.has(name));
    expect(missing).toEqual([]);
    expect(read.has("pg_replication_lag")).toBe(true);
  });

  function start(binary: string, args: string[], env: Record<string, string>): ChildProcess {
    // As the packaged units run them: as the `prometheus` user (which the packages create).
    const child = spawn(binary, args, {
      cwd: dir,
      env: { PATH: process.env.PATH ?? "/usr/bin:/bin", ...env },
      stdio: ["ignore", "pipe", "pipe"],
      uid: uid("prometheus"),
      gid: gid("prometheus"),
    });
    let log = "";
    child.stdout?.on("data", (d) => (log += d));
    child.stderr?.on("data", (d) => (log += d));
    (child as ChildProcess & { log: () => string }).log = () => log;
    return child;
  }

  async function scrapeUntil(port: number, ready: (metrics: string) => boolean): Promise<string> {
    const deadline = Date.now() + 30_000;
    let last = "";
    while (Date.now() < deadline) {
      try {
        const response = await fetch(`http://127.0.0.1:${port}/metrics`);
        last = await response.text();
        if (response.ok && ready(last)) {
          return last;
        }
      } catch {
        // not listening yet
      }
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    const logs = children.map((c) => (c as ChildProcess & { log?: () => string }).log?.() ?? "").join("\n");
    throw new Error(`no ready metrics on 127.0.0.1:${port} within 30 s; last scrape:\n${last.slice(0, 2000)}\nlogs:\n${logs}`);
  }
});

/** The value of the one sample whose name and labels are written exactly as given. */
function sample(metrics: string, series: string): number | undefined {
  const line = metrics.split("\n").find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

function uid(user: string): number {
  return Number(run("id", ["-u", user]).output.trim());
}

function gid(user: string): number {
  return Number(run("id", ["-g", user]).output.trim());
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) {
    return;
  }
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.kill("SIGTERM");
  const timer = new Promise<void>((resolve) => setTimeout(resolve, 10_000).unref());
  await Promise.race([exited, timer]);
  if (child.exitCode === null && child.signalCode === null) {
    child.kill("SIGKILL");
    await exited;
  }
}

describe("every node: when its certificates expire", () => {
  const script = `${nodePaths.scripts}/certificate-expiry.sh`;

  it.each([["witness", witness], ...Object.entries(dataNodes)])("%s runs certificate-expiry.sh from a timer", (_role, doc) => {
    const parsed = parseCloudConfig(doc);
    expect(parsed.write_files.map((f) => f.path)).toEqual(expect.arrayContaining([script, "/etc/systemd/system/dr-estate-certificate-expiry.timer"]));
    expect(parsed.runcmd).toContain("systemctl enable --now dr-estate-certificate-expiry.timer");
    expect(renderedFile(doc, "/etc/systemd/system/dr-estate-certificate-expiry.service")).toContain(`ExecStart=${script}`);
  });

  it("publishes each certificate's notAfter, and 0 for one it cannot read, in a format promtool accepts", () => {
    const certificates = makeTestCertificates();
    const textfiles = tempDir("textfile");
    const file = path.join(tempDir("script"), "certificate-expiry.sh");
    fs.writeFileSync(file, renderedFile(witness, script));
    const publish = (tlsDir: string) => {
      const result = run("sh", [file], { env: { ...process.env, CERTIFICATE_DIR: tlsDir, TEXTFILE_DIR: textfiles } });
      expect(result.output).toBe("");
      return fs.readFileSync(path.join(textfiles, "certificate-expiry.prom"), "utf8");
    };
    const notAfter = (name: string) =>
      Math.round(new Date(run("openssl", ["x509", "-noout", "-enddate", "-in", path.join(certificates.directory, name)]).output.trim().replace("notAfter=", "")).getTime() / 1000);
    const metrics = publish(certificates.directory);
    expect(metrics).toContain(`${certificateExpiryMetric}{certificate="node"} ${notAfter("node.crt")}\n`);
    expect(metrics).toContain(`${certificateExpiryMetric}{certificate="ca"} ${notAfter("ca.crt")}\n`);
    const check = spawnSync("promtool", ["check", "metrics"], { input: metrics, encoding: "utf8" });
    expect(check.stdout + check.stderr).toBe("");
    expect(check.status).toBe(0);
    expect(publish(tempDir("no-tls"))).toContain(`${certificateExpiryMetric}{certificate="node"} 0\n`);
    expect(fs.readdirSync(textfiles)).toEqual(["certificate-expiry.prom"]);
  });

  it("certificate-expiry.sh passes shellcheck", () => {
    const file = path.join(tempDir("shellcheck"), "certificate-expiry.sh");
    fs.writeFileSync(file, renderedFile(witness, script));
    const result = run("shellcheck", ["--severity=style", file]);
    expect(result.output).toBe("");
    expect(result.status).toBe(0);
  });
});
