// Day-2 change on a running formation under a write load: a new admin network, an operator's SSH
// key removed, every node certificate renewed and a new alert webhook, deployed with OpenTofu and
// brought to the three nodes by `npm run converge` (the witness, the standby, then the primary).
// Nothing may fail over, no acknowledged write may be lost, PostgreSQL must not restart on the
// primary, and every node must be seen using the new settings.
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import type { NodeRole } from "../estate";
import { nodeRoles } from "../estate";
import type { NodeResult } from "../converge/converge";
import type { LoadProcess } from "../drill/lab/load-process";
import { Check, formation, sql } from "./checks";
import { lostWrites, startWriter } from "./first-boot";
import { Lab, sleep } from "./lab";
import { labAdminCidr, labAddresses } from "./lab-estate";

export interface ConvergeReport {
  readonly seconds: number;
  readonly nodes: NodeResult[];
  readonly failovers: number;
  readonly writes: { readonly acknowledged: number; readonly lost: number; readonly longest_gap_seconds: number };
  readonly checks: Check[];
  readonly ok: boolean;
}

const newAdminCidr = "192.0.2.0/24";
const newWebhookPath = "/hooks/dr-estate-changed";

/** The serial of the certificate a TLS server presents; NATS first sends its INFO line in the clear. */
function presentedSerial(lab: Lab, address: string, port: number, protocol: "postgres" | "nats"): string {
  const script = `
    const net = require("node:net"), tls = require("node:tls");
    const socket = net.connect(${port}, ${JSON.stringify(address)});
    const upgrade = () => {
      const secure = tls.connect({ socket, rejectUnauthorized: false }, () => { console.log(secure.getPeerCertificate().serialNumber); process.exit(0); });
      secure.on("error", (e) => { console.error(e.message); process.exit(1); });
    };
    ${protocol === "postgres"
      ? 'socket.on("connect", () => { const b = Buffer.alloc(8); b.writeInt32BE(8, 0); b.writeInt32BE(80877103, 4); socket.write(b); }); socket.once("data", (d) => d.toString() === "S" ? upgrade() : process.exit(1));'
      : 'socket.once("data", (d) => d.toString().startsWith("INFO") ? upgrade() : process.exit(1));'}
    setTimeout(() => process.exit(2), 10000);`;
  return lab.client(process.execPath, ["-e", script]).stdout.trim().toUpperCase();
}

const fileSerial = (lab: Lab, role: NodeRole, file: string) =>
  lab.containers[role].sh(`openssl x509 -noout -serial -in ${file}`).trim().replace("serial=", "").toUpperCase();

/** Whether `key` logs in as ops on `role` (ssh from the client namespace, host key pinned from the state). */
function logsIn(lab: Lab, role: NodeRole, key: string): boolean {
  const knownHosts = path.join(lab.work, "known_hosts");
  fs.writeFileSync(knownHosts, nodeRoles.map((r) => `${lab.nodes[r].address} ${lab.nodes[r].hostPublicKey}\n`).join(""));
  const result = lab.client("ssh", ["-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=yes", "-o", `UserKnownHostsFile=${knownHosts}`, "-o", "IdentitiesOnly=yes", "-i", key, `ops@${labAddresses[role]}`, "true"]);
  return result.status === 0;
}

/**
 * Alertmanager on the witness delivers an alert to the webhook at `webhookPath`: one is posted to
 * its API, and the lab's receiver must get it there (group_wait is 30 s).
 */
async function alertReachesWebhook(lab: Lab, webhook: LoadProcess, webhookPath: string): Promise<boolean> {
  const alert = JSON.stringify([{ labels: { alertname: "LabConvergeCheck", severity: "critical", node: "witness" }, annotations: { summary: "lab check" } }]);
  lab.containers.witness.run("curl", ["-s", "-m", "5", "-X", "POST", "-H", "Content-Type: application/json", "--data", alert, "http://127.0.0.1:9093/api/v2/alerts"]);
  const deadline = Date.now() + 90_000;
  while (Date.now() < deadline) {
    if (webhook.events.some((event) => event.path === webhookPath && String(event.body).includes("LabConvergeCheck"))) return true;
    await sleep(2000);
  }
  return false;
}

export async function convergeUnderLoad(lab: Lab, webhook: LoadProcess, log: (line: string) => void): Promise<ConvergeReport> {
  const writer = startWriter(lab);
  await sleep(3000);
  const startTime = sql(lab, "primary", "select pg_postmaster_start_time()");
  const formationBefore = formation(lab);
  const [, removedKey] = lab.keys;
  const removedKeyLoggedInBefore = logsIn(lab, "standby", removedKey);
  const certificates = lab.stateAddresses(/^tls_locally_signed_cert\./);

  log(`deploying the change: admin network ${newAdminCidr}, one SSH key removed, ${certificates.length} certificates renewed, a new webhook`);
  await lab.deploy(
    { sshPublicKeys: [lab.publicKeys[0]], adminCidrs: [labAdminCidr, newAdminCidr], webhookUrl: `https://${labAddresses.client}${newWebhookPath}` },
    certificates,
  );
  log("npm run converge, from the operator's side (the client namespace)");
  const reportFile = path.join(lab.work, "converge-report.json");
  const started = Date.now();
  const status = await new Promise<number>((resolve) => {
    const child = spawn(
      "ip",
      ["netns", "exec", lab.network!.namespaces.client, process.execPath, "-r", "ts-node/register/transpile-only", path.join(__dirname, "..", "converge", "cli.ts"),
        "--stack", path.join(lab.work, "cdktf.out", "stacks", "lab"), "--identity", lab.keys[0], "--report", reportFile],
      { cwd: path.join(__dirname, ".."), stdio: ["ignore", "inherit", "inherit"], env: { ...process.env, TERRAFORM_BINARY_NAME: lab.tools.tofu } },
    );
    child.on("close", (code) => resolve(code ?? 1));
  });
  const seconds = Math.round((Date.now() - started) / 100) / 10;
  await sleep(5000);
  await writer.stop();
  const nodes = fs.existsSync(reportFile) ? (JSON.parse(fs.readFileSync(reportFile, "utf8")) as NodeResult[]) : [];

  const acks = writer.events.filter((event) => event.e === "ack").map((event) => event.t);
  const longestGap = acks.slice(1).reduce((gap, t, i) => Math.max(gap, t - acks[i]), 0) / 1000;
  const failovers = writer.events.filter((event) => event.e === "connected").length - 1;
  const writes = { ...lostWrites(lab, writer), longest_gap_seconds: longestGap };
  const alerted = await alertReachesWebhook(lab, webhook, newWebhookPath);
  const ruleset = lab.containers.primary.run("nft", ["list", "ruleset"]).stdout;
  const serials = (role: NodeRole) => ({
    file: fileSerial(lab, role, "/etc/dr-estate/tls/node.crt"),
    volume: fileSerial(lab, role, "/var/lib/postgresql/estate-tls/node.crt"),
    postgres: presentedSerial(lab, labAddresses[role], 5432, "postgres"),
  });
  const served = Object.fromEntries(nodeRoles.map((role) => [role, serials(role)])) as Record<NodeRole, ReturnType<typeof serials>>;
  const nats = presentedSerial(lab, labAddresses.primary, 4222, "nats");
  const renewed = nodeRoles.every((role) => served[role].file === served[role].volume && served[role].file === served[role].postgres);
  const check = (name: string, ok: boolean, detail: string): Check => ({ name, ok, detail });
  const checks = [
    check("converge: finished on all three nodes", status === 0 && nodes.length === 3, `exit ${status}; ${nodes.map((n) => `${n.role} ${n.seconds} s, ${n.changed.length} files, ${n.actions.join(" ") || "no action"}`).join("; ")}`),
    check("converge: nodes in turn, witness, standby, then primary", nodes.map((n) => n.role).join(",") === "witness,standby,primary", nodes.map((n) => n.role).join(", ")),
    check("converge: no failover, no acknowledged write lost", failovers === 0 && writes.lost === 0 && JSON.stringify(formation(lab)) === JSON.stringify(formationBefore), `${failovers} failovers, ${writes.lost} of ${writes.acknowledged} lost, longest write gap ${longestGap} s`),
    check("converge: PostgreSQL on the primary was not restarted", sql(lab, "primary", "select pg_postmaster_start_time()") === startTime, `started ${startTime}`),
    check("converge: PostgreSQL serves the renewed certificate on every node, its volume copy refreshed", renewed && nodes.length === 3, JSON.stringify(served)),
    check("converge: NATS serves the renewed certificate", nats === served.primary.file, `NATS ${nats}, file ${served.primary.file}`),
    check("converge: Alertmanager sends to the new webhook", alerted, alerted ? `an alert posted to Alertmanager arrived at ${newWebhookPath}` : "no alert arrived there"),
    check("converge: the primary's firewall admits the new admin network", ruleset.includes(newAdminCidr), ruleset.includes(newAdminCidr) ? newAdminCidr : "missing"),
    check("converge: the removed SSH key no longer logs in, the kept one does", removedKeyLoggedInBefore && nodeRoles.every((role) => !logsIn(lab, role, removedKey) && logsIn(lab, role, lab.keys[0])), `before: ${removedKeyLoggedInBefore ? "logged in" : "refused"}`),
    check("converge: a second run changes nothing", nodes.length === 3 && secondRunIsEmpty(lab), "dry run"),
  ];
  return { seconds, nodes, failovers, writes, checks, ok: checks.every((c) => c.ok) };
}

function secondRunIsEmpty(lab: Lab): boolean {
  const result = lab.client(process.execPath, ["-r", "ts-node/register/transpile-only", path.join(__dirname, "..", "converge", "cli.ts"), "--stack", path.join(lab.work, "cdktf.out", "stacks", "lab"), "--identity", lab.keys[0], "--dry-run", "--report", path.join(lab.work, "second-run.json")], { timeoutMs: 300_000 });
  if (result.status !== 0) return false;
  const second = JSON.parse(fs.readFileSync(path.join(lab.work, "second-run.json"), "utf8")) as NodeResult[];
  return second.every((node) => node.changed.length === 0);
}

