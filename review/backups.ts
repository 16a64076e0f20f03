import { EstateNode } from "./nodes";
import { cloudConfigFile, parseEnvFile } from "./user-data";

export const estateEnvPath = "/etc/dr-estate/estate.env";
export const backupsEnvPath = "/etc/dr-estate/backups.env";
export const backupCronPath = "/etc/cron.d/dr-estate-backups";

export interface RetentionRow {
  readonly setting: string;
  readonly value: string;
  /** e.g. `48 hours` for BACKUP_HOURLY_RETENTION_HOURS=48. */
  readonly meaning: string;
}

export interface CronRow {
  readonly schedule: string;
  /** `hourly at :00`, `daily 02:00 UTC`, `Sun 03:00 UTC`... (the raw schedule when not a simple one). */
  readonly when: string;
  readonly user: string;
  /** The command without its log redirection, scripts shown by file name. */
  readonly job: string;
}

export interface BackupPlan {
  /** The nodes whose user-data carries this same plan. */
  readonly nodes: string[];
  readonly retention: RetentionRow[];
  readonly schedule: CronRow[];
  readonly timeZone?: string;
}

/** Backup plans found in the nodes' user-data; nodes with identical plans are grouped. [] when none is in the synth. */
export function backupPlans(nodes: readonly EstateNode[]): BackupPlan[] {
  const found = nodes.map(backupPlanOf).filter((plan): plan is BackupPlan => plan !== undefined);
  // Nodes that run backups have the cron file; the others (the witness) may still carry the retention
  // settings in their estate.env, which says nothing about where backups run.
  const scheduled = found.filter((plan) => plan.schedule.length > 0);
  const plans: BackupPlan[] = [];
  for (const plan of scheduled.length > 0 ? scheduled : found) {
    const same = plans.find((p) => JSON.stringify({ ...p, nodes: [] }) === JSON.stringify({ ...plan, nodes: [] }));
    if (same) {
      same.nodes.push(...plan.nodes);
    } else {
      plans.push(plan);
    }
  }
  return plans;
}

function backupPlanOf(node: EstateNode): BackupPlan | undefined {
  const retention: RetentionRow[] = [];
  for (const file of [estateEnvPath, backupsEnvPath]) {
    const content = cloudConfigFile(node.userData, file);
    for (const [key, value] of content ? parseEnvFile(content) : []) {
      if (/RETENTION/.test(key)) {
        retention.push({ setting: key, value, meaning: retentionMeaning(key, value) });
      }
    }
  }
  const cron = cloudConfigFile(node.userData, backupCronPath);
  const schedule = cron ? parseCron(cron) : [];
  if (retention.length === 0 && schedule.length === 0) {
    return undefined;
  }
  const timeZone = cron ? /^(?:CRON_TZ|TZ)=(\S+)/m.exec(cron)?.[1] : undefined;
  return { nodes: [node.role], retention, schedule, timeZone };
}

/** BACKUP_DAILY_RETENTION_DAYS=30 → `daily: 30 days`. */
function retentionMeaning(key: string, value: string): string {
  const match = /^(?:BACKUP_)?(.*)_RETENTION_([A-Z]+)$/.exec(key);
  if (!match) {
    return value;
  }
  const what = match[1].toLowerCase().replace(/_/g, " ");
  return `${what}: ${value} ${match[2].toLowerCase()}`;
}

/** The job lines of a /etc/cron.d file (`m h dom mon dow user command`). */
export function parseCron(content: string): CronRow[] {
  const rows: CronRow[] = [];
  for (const raw of content.split("\n")) {
    const line = raw.trim();
    if (!line || line.startsWith("#") || /^[A-Z_]+=/.test(line)) {
      continue;
    }
    const fields = line.split(/\s+/);
    if (fields.length < 7) {
      continue;
    }
    const schedule = fields.slice(0, 5).join(" ");
    const command = fields.slice(6).join(" ").replace(/\s*>>?\s*\S+(\s+2>&1)?\s*$/, "");
    rows.push({
      schedule,
      when: describeSchedule(fields.slice(0, 5)),
      user: fields[5],
      job: command.replace(/(?:\S*\/)([^/\s]+\.sh)/g, "$1"),
    });
  }
  return rows;
}

const dayNames = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

function describeSchedule([minute, hour, dom, month, dow]: string[]): string {
  const raw = [minute, hour, dom, month, dow].join(" ");
  if (!/^\d+$/.test(minute) || dom !== "*" || month !== "*") {
    return raw;
  }
  const mm = minute.padStart(2, "0");
  if (hour === "*" && dow === "*") {
    return `hourly at :${mm}`;
  }
  const every = /^\*\/(\d+)$/.exec(hour);
  if (every && dow === "*") {
    return `every ${every[1]} hours at :${mm}`;
  }
  if (!/^\d+$/.test(hour)) {
    return raw;
  }
  const time = `${hour.padStart(2, "0")}:${mm}`;
  if (dow === "*") {
    return `daily ${time}`;
  }
  const days = dow.split(",").map((part) => {
    const [from, to] = part.split("-").map(Number);
    return to === undefined ? dayNames[from] : `${dayNames[from]}–${dayNames[to]}`;
  });
  return days.some((d) => d === undefined || d.includes("undefined")) ? raw : `${days.join(", ")} ${time}`;
}
