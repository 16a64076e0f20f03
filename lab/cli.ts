import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { readCommandLine } from "../tools/command-line";
import type { Check } from "./checks";
import { convergeUnderLoad, ConvergeReport } from "./converge-drill";
import { firstBoot, FirstBootReport } from "./first-boot";
import { Lab } from "./lab";

const usage = `usage: sudo npm run first-boot -- [--converge] [--keep] [--report FILE]

Builds the estate from nothing on this machine: OpenTofu applies the lab stack (the estate's own
secrets and documents, at private addresses), and witness, primary and standby boot as Debian 12
containers (systemd-nspawn) from their NoCloud seeds alone. Checks every node from outside, boots
the standby a second time, and rebuilds it from its seed with and without its data.

  --converge     then change the estate (admin network, SSH key, certificates, webhook) and
                 apply it with npm run converge under a write load
  --keep         leave the lab running at the end (for a look inside; remove it by hand)
  --report FILE  where to merge the results (default: drill-report.json, keys first_boot and converge)
  --help         this text

Needs root, and the Debian packages systemd-container, mmdebstrap, apt-utils, ffmpeg, curl and
openssh-client (.ci/install-debian-packages.sh). The first run builds the image (a few minutes).`;

const prerequisites = ["systemd-nspawn", "mmdebstrap", "apt-ftparchive", "ffmpeg", "curl", "ssh", "nsenter", "openssl"];

async function main(argv: string[]): Promise<number> {
  const commandLine = readCommandLine(argv, {
    name: "first-boot",
    help: "npm run first-boot -- --help",
    usage,
    options: { converge: { type: "boolean" }, keep: { type: "boolean" }, report: { type: "string" } },
  });
  if (typeof commandLine === "number") {
    return commandLine;
  }
  const { values } = commandLine;
  const missing = prerequisites.filter((tool) => spawnSync("sh", ["-c", `command -v ${tool}`]).status !== 0);
  if (process.getuid?.() !== 0 || missing.length > 0) {
    console.error(`first-boot: ${process.getuid?.() !== 0 ? "run as root (network namespaces, containers)" : `missing ${missing.join(", ")}: run .ci/install-debian-packages.sh`}`);
    return 1;
  }
  const log = (line: string) => console.error(`[lab] ${line}`);
  const lab = new Lab();
  const cleanUp = () => (values.keep ? log(`kept: ${lab.work}`) : lab.destroy());
  process.once("SIGINT", () => void Promise.resolve(cleanUp()).then(() => process.exit(130)));
  try {
    const report = await runLab(lab, { converge: values.converge ?? false, log });
    const reportPath = path.resolve(values.report ?? path.join(__dirname, "..", "drill-report.json"));
    const existing = fs.existsSync(reportPath) ? JSON.parse(fs.readFileSync(reportPath, "utf8")) : {};
    fs.writeFileSync(reportPath, JSON.stringify({ ...existing, ...report }, null, 2) + "\n");
    console.log(table(report));
    console.log(`\nReport: ${reportPath}`);
    return report.first_boot.ok && (report.converge?.ok ?? true) ? 0 : 1;
  } finally {
    await cleanUp();
  }
}

export async function runLab(lab: Lab, options: { converge: boolean; log: (line: string) => void }): Promise<{ first_boot: FirstBootReport; converge?: ConvergeReport }> {
  options.log(`OpenTofu applies the lab stack in ${lab.work}`);
  await lab.deploy();
  options.log("the image (cached after the first build), the network");
  lab.prepare();
  const webhook = lab.startProgram("lab/webhook-receiver.ts", [path.join(lab.webhookCertificates.directory, "webhook.crt"), path.join(lab.webhookCertificates.directory, "webhook.key"), "443"]);
  const first_boot = await firstBoot(lab, options.log);
  const converge = options.converge ? await convergeUnderLoad(lab, webhook, options.log) : undefined;
  return { first_boot, ...(converge ? { converge } : {}) };
}

function table(report: { first_boot: FirstBootReport; converge?: ConvergeReport }): string {
  const boot = report.first_boot;
  const rows: Check[] = [
    ...Object.values(boot.nodes).flatMap((node) => node.checks),
    ...boot.estate,
    ...boot.second_boot.checks,
    ...boot.rebuild_with_volume.checks,
    ...boot.rebuild_without_volume.checks,
    { name: "no acknowledged write lost across the rebuilds", ok: boot.writes.lost === 0, detail: `${boot.writes.lost} of ${boot.writes.acknowledged} lost` },
    ...(report.converge?.checks ?? []),
  ];
  const times = Object.entries(boot.nodes).map(([role, node]) => `${role} ${node.cloud_init.seconds} s`).join(", ");
  return [
    `\n## First boot (cloud-init done: ${times}; standby secondary again after ${boot.rebuild_with_volume.seconds_to_secondary} s with its data, ${boot.rebuild_without_volume.seconds_to_secondary} s without)\n`,
    "| check | result | detail |",
    "| --- | --- | --- |",
    ...rows.map((row) => `| ${row.name} | ${row.ok ? "pass" : "FAIL"} | ${row.detail.replace(/\|/g, "\\|").replace(/\n/g, " ")} |`),
  ].join("\n");
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error) => {
      console.error(`first-boot failed: ${error instanceof Error ? error.stack ?? error.message : String(error)}`);
      process.exit(1);
    },
  );
}
