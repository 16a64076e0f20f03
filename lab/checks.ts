// What the lab checks on booted nodes, from outside: inside a container through nsenter, or from
// the client namespace as an application or an operator would.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { bundleFromDocument } from "../converge/bundle";
import type { NodeRole } from "../estate";
import { failoverPaths } from "../cloud-init/pieces/failover";
import type { Lab } from "./lab";
import { labAddresses } from "./lab-estate";
import { rtmpPublishFiles } from "../cloud-init/pieces/nginx-rtmp";

export interface Check {
  readonly name: string;
  readonly ok: boolean;
  readonly detail: string;
}

const check = (name: string, ok: boolean, detail: string): Check => ({ name, ok, detail });

/** Units that failed on a node, and the units its document enables that are not active. */
export function unitChecks(lab: Lab, role: NodeRole): Check[] {
  const container = lab.containers[role];
  const failed = container.run("systemctl", ["--failed", "--no-legend", "--plain"]).stdout.trim();
  // For the report: why each failed, in its last journal lines.
  const why = failed
    .split("\n")
    .filter(Boolean)
    .map((line) => line.split(/\s+/)[0])
    .map((unit) => `${unit}: ${container.run("journalctl", ["-u", unit, "-n", "3", "--no-pager", "-o", "cat"]).stdout.trim().replace(/\n/g, " / ")}`)
    .join("; ");
  const units = bundleFromDocument(lab.nodes[role].document).units;
  const inactive = units.filter((unit) => container.run("systemctl", ["is-active", "-q", unit]).status !== 0);
  return [
    check(`${role}: no failed unit`, failed === "", why || "none"),
    check(`${role}: every unit its document enables is active`, inactive.length === 0, inactive.length ? `inactive: ${inactive.join(", ")}` : `${units.length} active`),
  ];
}

/** The formation as the witness's monitor sees it: node name to reported state. */
export function formation(lab: Lab): Record<string, string> {
  const { pgdata } = failoverPaths(lab.estate);
  const result = lab.containers.witness.run("runuser", ["-u", "postgres", "--", "pg_autoctl", "show", "state", "--pgdata", pgdata, "--json"]);
  if (result.status !== 0) return {};
  const nodes = JSON.parse(result.stdout) as { nodename: string; current_group_state: string; assigned_group_state: string }[];
  // A node in transition (reported and assigned states differ) reads as "reported -> assigned".
  return Object.fromEntries(
    nodes.map((node) => [node.nodename, node.current_group_state === node.assigned_group_state ? node.current_group_state : `${node.current_group_state} -> ${node.assigned_group_state}`]),
  );
}

export function sql(lab: Lab, role: NodeRole, query: string, database = "postgres"): string {
  return lab.containers[role].run("runuser", ["-u", "postgres", "--", "psql", "-XAtq", "-h", "/var/run/postgresql", "-d", database, "-c", query]).stdout.trim();
}

export function formationChecks(lab: Lab): Check[] {
  const states = formation(lab);
  const streaming = sql(lab, "primary", "select state from pg_stat_replication");
  return [
    check("formation: monitor on the witness, primary `primary`, standby `secondary`", states.primary === "primary" && states.standby === "secondary", JSON.stringify(states)),
    check("formation: the standby streams from the primary", streaming === "streaming", streaming || "no replication connection"),
  ];
}

/** HTTP status of a URL, fetched from the client namespace. */
export function httpStatus(lab: Lab, url: string, curlOptions: readonly string[] = []): string {
  return lab.client("curl", ["-s", ...curlOptions, "-o", "/dev/null", "-m", "5", "-w", "%{http_code}", url]).stdout.trim();
}

export function healthzChecks(lab: Lab): Check[] {
  const primary = httpStatus(lab, `http://${labAddresses.primary}/healthz`);
  const standby = httpStatus(lab, `http://${labAddresses.standby}/healthz`);
  return [check("/healthz: 200 on the primary only", primary === "200" && standby === "503", `primary ${primary}, standby ${standby}`)];
}

/**
 * ffmpeg in the client publishes 12 s of a test stream to the primary with the stream's key (read
 * from the node's key list); nginx must serve HLS for it under the stream's public name.
 */
export function rtmpCheck(lab: Lab): Check {
  const keyList = lab.containers.primary.sh(`cat /etc/nginx/${rtmpPublishFiles.streamKeys}`);
  const [, key, name] = /^"([^"]+)" "([^"]+)";/m.exec(keyList) ?? [];
  if (!key) {
    return check("RTMP publish to the primary produces HLS", false, "no stream key on the primary");
  }
  const publish = lab.client("ffmpeg", [
    "-hide_banner", "-loglevel", "error", "-nostdin", "-re",
    "-f", "lavfi", "-i", "testsrc=size=320x240:rate=25", "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=44100",
    "-t", "12", "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-g", "25", "-c:a", "aac",
    "-f", "flv", `rtmp://${labAddresses.primary}/live/${key}`,
  ], { timeoutMs: 60_000 });
  // HLS is served over HTTPS; the lab has no CA to reach, so the node serves its self-signed placeholder.
  const playlist = lab.client("curl", ["-sk", "-m", "5", `https://${labAddresses.primary}/hls/${name}.m3u8`]).stdout;
  const segment = playlist.split("\n").find((line) => line.endsWith(".ts"));
  const segmentStatus = segment ? httpStatus(lab, `https://${labAddresses.primary}/hls/${segment}`, ["-k"]) : "none";
  return check("RTMP publish to the primary produces HLS", publish.status === 0 && playlist.startsWith("#EXTM3U") && segmentStatus === "200", `ffmpeg exit ${publish.status}${publish.stderr ? ` (${publish.stderr.trim()})` : ""}, playlist ${playlist ? "served" : "missing"}, segment ${segmentStatus}`);
}

/** An authenticated NATS publish (TLS, the estate's user and password) from the client, and a bad password refused. */
export function natsCheck(lab: Lab): Check {
  const password = /NATS_PASSWORD='([^']*)'/.exec(lab.containers.primary.sh("cat /etc/dr-estate/secrets.env"))?.[1] ?? "";
  const ca = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "lab-nats-")), "ca.crt");
  fs.writeFileSync(ca, lab.containers.primary.sh("cat /etc/dr-estate/tls/ca.crt"));
  // The certificate is checked against the node's address (its IP SAN), as the estate's clients do.
  const script = `
    const { connect } = require(${JSON.stringify(require.resolve("nats"))});
    const attempt = (pass) => connect({ servers: "nats://${labAddresses.primary}:4222", user: "estate", pass, tls: { caFile: ${JSON.stringify(ca)}, host: "${labAddresses.primary}" }, timeout: 5000 })
      .then(async (nc) => { nc.publish("lab.check", "hello"); await nc.flush(); await nc.close(); return "ok"; }, (e) => "refused: " + e.message);
    Promise.all([attempt(process.argv[1]), attempt("wrong")]).then((r) => console.log(JSON.stringify(r)));`;
  const result = lab.client(process.execPath, ["-e", script, password], { timeoutMs: 30_000 });
  const [good, bad] = result.stdout.trim() ? (JSON.parse(result.stdout) as string[]) : ["no result", result.stderr];
  return check("NATS accepts an authenticated publish and refuses a wrong password", good === "ok" && bad.startsWith("refused"), `right password: ${good}; wrong: ${bad}`);
}

/** The backup cron file, and one pg_dump and one pgBackRest full backup run by the shipped scripts. */
export function backupChecks(lab: Lab): Check[] {
  const primary = lab.containers.primary;
  const cron = primary.run("test", ["-s", "/etc/cron.d/dr-estate-backups"]).status === 0;
  const dump = primary.run("/usr/local/lib/dr-estate/pg-dump-backup.sh", ["hourly"], { timeoutMs: 300_000 });
  const full = primary.run("/usr/local/lib/dr-estate/pgbackrest-backup.sh", ["full"], { timeoutMs: 600_000 });
  return [
    check("backups: the cron file is installed", cron, "/etc/cron.d/dr-estate-backups"),
    check("backups: a pg_dump run succeeds", dump.status === 0, `exit ${dump.status} ${dump.stderr.trim().split("\n").pop() ?? ""}`),
    check("backups: a pgBackRest full backup succeeds", full.status === 0, `exit ${full.status} ${full.stderr.trim().split("\n").pop() ?? ""}`),
  ];
}

/** The primary's nftables ruleset is loaded and refuses the node exporter port to the internet, not to the witness. */
export function firewallCheck(lab: Lab): Check {
  const loaded = lab.containers.primary.run("nft", ["list", "ruleset"]).stdout.includes("dport 9100");
  const fromOutsider = lab.runIn("outsider", "curl", ["-s", "-o", "/dev/null", "-m", "5", "-w", "%{http_code}", `http://${labAddresses.primary}:9100/metrics`]).stdout.trim();
  const fromWitness = lab.containers.witness.run("curl", ["-s", "-o", "/dev/null", "-m", "5", "-w", "%{http_code}", `http://${labAddresses.primary}:9100/metrics`]).stdout.trim();
  return check("host firewall: loaded, port 9100 refused to the internet, open to the witness", loaded && fromOutsider === "000" && fromWitness === "200", `ruleset ${loaded ? "loaded" : "missing"}; outsider ${fromOutsider}, witness ${fromWitness}`);
}
