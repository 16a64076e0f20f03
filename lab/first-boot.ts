// First boot, proven: the three nodes booted from nothing but their seeds, checked from outside;
// a second boot of the standby; the standby rebuilt from its seed with its data kept (the volume's
// case) and without it (the lost-volume case, after the runbook's remove_node), under a write load.
import type { NodeRole } from "../estate";
import { nodeRoles } from "../estate";
import { parseCloudConfig } from "../cloud-init/cloud-config";
import { failoverPaths } from "../cloud-init/pieces/failover";
import type { LoadProcess } from "../drill/lab/load-process";
import {
  backupChecks,
  Check,
  firewallCheck,
  formation,
  formationChecks,
  healthzChecks,
  httpStatus,
  natsCheck,
  rtmpCheck,
  sql,
  unitChecks,
} from "./checks";
import { CloudInitResult, Lab, sleep } from "./lab";
import { labAddresses } from "./lab-estate";

export interface NodeBoot {
  readonly cloud_init: CloudInitResult;
  readonly checks: Check[];
}

export interface Rebuild {
  readonly cloud_init: CloudInitResult;
  /** From the container's boot until the monitor reported it `secondary` again. */
  readonly seconds_to_secondary: number;
  readonly checks: Check[];
}

export interface FirstBootReport {
  readonly nodes: Record<NodeRole, NodeBoot>;
  readonly estate: Check[];
  readonly second_boot: { readonly cloud_init: CloudInitResult; readonly checks: Check[] };
  readonly rebuild_with_volume: Rebuild;
  readonly rebuild_without_volume: Rebuild;
  readonly writes: { readonly acknowledged: number; readonly lost: number };
  readonly ok: boolean;
}

export const labWriter = { user: "lab_writer", password: "labwriterpassword0123456789", database: "mhc" };

/** Polls `probe` until it returns a value, at most `seconds`. */
async function until<T>(seconds: number, probe: () => T | undefined): Promise<T | undefined> {
  const deadline = Date.now() + seconds * 1000;
  for (;;) {
    const value = probe();
    if (value !== undefined || Date.now() > deadline) return value;
    await sleep(1000);
  }
}

const settled = (lab: Lab, seconds: number) =>
  until(seconds, () => {
    const states = formation(lab);
    return states.primary === "primary" && states.standby === "secondary" ? states : undefined;
  });

/** The test's own client: a role, a table and pg_hba lines for the client namespace (test only). */
export function prepareWriter(lab: Lab): void {
  sql(lab, "primary", `create role ${labWriter.user} login password '${labWriter.password}'`);
  sql(lab, "primary", `create table drill_writes (id bigint primary key, node text not null, at timestamptz not null default clock_timestamp()); grant select, insert on drill_writes to ${labWriter.user}`, labWriter.database);
  for (const role of ["primary", "standby"] as const) {
    allowWriter(lab, role);
  }
}

function allowWriter(lab: Lab, role: NodeRole): void {
  const { pgdata } = failoverPaths(lab.estate);
  const line = `hostssl ${labWriter.database} ${labWriter.user} ${labAddresses.client}/32 scram-sha-256 # lab (test only): load client`;
  lab.containers[role].sh(`grep -qF '${line}' ${pgdata}/pg_hba.conf || sed -i '1i ${line}' ${pgdata}/pg_hba.conf; runuser -u postgres -- psql -XAtq -h /var/run/postgresql -c 'select pg_reload_conf()' >/dev/null`);
}

/** The write load, its ids after those already in the table. */
export function startWriter(lab: Lab): LoadProcess {
  const nodes = (["primary", "standby"] as const).map((role) => ({ name: role, host: labAddresses[role], port: 5432 }));
  const startId = Number(sql(lab, "primary", "select coalesce(max(id), 0) from drill_writes", labWriter.database));
  return lab.startProgram("drill/load.ts", ["write", JSON.stringify({ nodes, ...labWriter, rate: 50, startId })], "write");
}

/** Acknowledged ids missing from the current primary's table. */
export function lostWrites(lab: Lab, writer: LoadProcess): { acknowledged: number; lost: number } {
  const acknowledged = writer.events.filter((event) => event.e === "ack").map((event) => Number(event.id));
  const stored = new Set(sql(lab, "primary", "select id from drill_writes", labWriter.database).split("\n").map(Number));
  return { acknowledged: acknowledged.length, lost: acknowledged.filter((id) => !stored.has(id)).length };
}

/** Hashes of every file the document writes, as the node holds them now. */
function writtenFiles(lab: Lab, role: NodeRole): string {
  const paths = parseCloudConfig(lab.nodes[role].document).write_files.map((file) => file.path);
  return lab.containers[role].run("sha256sum", paths).stdout;
}

async function rebuildStandby(lab: Lab, keepData: boolean, instance: number): Promise<Rebuild> {
  const standby = lab.containers.standby;
  await standby.kill();
  if (!keepData) {
    // The runbook: remove the dead node from the monitor so the new standby registers afresh.
    lab.containers.witness.sh(
      `runuser -u postgres -- psql -XAtq -h /var/run/postgresql -d pg_auto_failover -c "select pgautofailover.remove_node('${labAddresses.standby}', 5432, true)"`,
    );
  }
  await lab.install("standby", instance, { keepData });
  const cloudInit = await lab.cloudInit("standby");
  if (!keepData) allowWriter(lab, "standby");
  const states = await settled(lab, 300);
  const seconds = Math.round((Date.now() - standby.bootedAt!) / 1000);
  return {
    cloud_init: cloudInit,
    seconds_to_secondary: seconds,
    checks: [
      { name: `standby rebuilt ${keepData ? "with its data kept" : "without its data"}: secondary again`, ok: states !== undefined, detail: JSON.stringify(formation(lab)) },
      ...unitChecks(lab, "standby"),
    ],
  };
}

export async function firstBoot(lab: Lab, log: (line: string) => void): Promise<FirstBootReport> {
  log("booting witness, primary and standby from their seeds");
  await Promise.all(nodeRoles.map((role) => lab.install(role)));
  const results = Object.fromEntries(await Promise.all(nodeRoles.map(async (role) => [role, await lab.cloudInit(role)] as const))) as Record<NodeRole, CloudInitResult>;
  for (const role of nodeRoles) log(`${role}: cloud-init ${results[role].status} after ${results[role].seconds} s`);
  await settled(lab, 180);
  await until(30, () => (httpStatus(lab, `http://${labAddresses.primary}/healthz`) === "200" ? true : undefined));
  const nodes = Object.fromEntries(
    nodeRoles.map((role) => [
      role,
      { cloud_init: results[role], checks: [{ name: `${role}: cloud-init done without errors`, ok: results[role].status === "done", detail: results[role].errors.join("; ") || "no errors" }, ...unitChecks(lab, role)] },
    ]),
  ) as Record<NodeRole, NodeBoot>;
  log("checking the estate from outside");
  const estate = [...formationChecks(lab), ...healthzChecks(lab), rtmpCheck(lab), natsCheck(lab), ...backupChecks(lab), firewallCheck(lab)];

  prepareWriter(lab);
  const writer = startWriter(lab);
  await until(30, () => (writer.events.some((event) => event.e === "ack") ? true : undefined));

  log("second boot of the standby");
  const before = writtenFiles(lab, "standby");
  await lab.containers.standby.stop();
  await lab.containers.standby.boot();
  const secondCloudInit = await lab.cloudInit("standby");
  await settled(lab, 180);
  const second_boot = {
    cloud_init: secondCloudInit,
    checks: [
      { name: "second boot: cloud-init done, the files of the document unchanged", ok: secondCloudInit.status === "done" && writtenFiles(lab, "standby") === before, detail: secondCloudInit.errors.join("; ") || "no errors" },
      ...unitChecks(lab, "standby"),
    ],
  };

  log("standby rebuilt from its seed, data kept");
  const rebuild_with_volume = await rebuildStandby(lab, true, 2);
  log(`standby secondary again after ${rebuild_with_volume.seconds_to_secondary} s; rebuilt without its data`);
  const rebuild_without_volume = await rebuildStandby(lab, false, 3);
  log(`standby secondary again after ${rebuild_without_volume.seconds_to_secondary} s`);
  await sleep(2000);
  await writer.stop();
  const writes = lostWrites(lab, writer);
  const all = [...Object.values(nodes).flatMap((node) => node.checks), ...estate, ...second_boot.checks, ...rebuild_with_volume.checks, ...rebuild_without_volume.checks];
  return { nodes, estate, second_boot, rebuild_with_volume, rebuild_without_volume, writes, ok: all.every((c) => c.ok) && writes.lost === 0 && writes.acknowledged > 0 };
}
