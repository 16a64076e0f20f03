import type { CloudConfigPart, WriteFile } from "../cloud-config";
import { readCloudInitFile, renderTemplate } from "../files";
import { failoverPaths } from "./failover";
import type { NodeConfig, OffsiteRepository } from "../node-config";
import { installScript, nodePaths, operatorCommand, operatorCommandPath } from "../node-paths";
import { shellAssignments } from "../shell-quote";

/** Backup settings that NodeConfig does not carry (yet); every one has a default. */
export interface BackupsOptions {
  /** Tables the restore test must find and read; empty: every table the dump holds. */
  readonly verifyTables?: readonly string[];
  /** The restore test also requires each checked table to hold rows. */
  readonly verifyRequireRows?: boolean;
  readonly mediaDirectory?: string;
  /** ZFS dataset to snapshot every 6 hours; none: the snapshot job logs and does nothing. */
  readonly zfsDataset?: string;
  readonly zfsSnapshotRetentionDays?: number;
  /** Off-site pgBackRest repository. Default: the node's `offsiteBackups`; none: no repo2 block. */
  readonly offsite?: OffsiteRepository;
}

/** Where the pieces of the backup setup live on a node. */
export const backupPaths = {
  cronFile: "/etc/cron.d/dr-estate-backups",
  settingsFile: `${nodePaths.settings}/backups.env`,
  mediaOffsiteSettings: `${nodePaths.settings}/media-offsite.env`,
  walArchivingConf: `${nodePaths.postgresConfD}/50-wal-archiving.conf`,
  pgbackrestConf: "/etc/pgbackrest/pgbackrest.conf",
  pgbackrestRepo: "/var/lib/pgbackrest",
  pgbackrestSpool: "/var/spool/pgbackrest",
  pgbackrestLog: "/var/log/pgbackrest",
  pgbackrestLock: "/tmp/pgbackrest",
  dumps: "/var/backups/dr-estate",
  log: "/var/log/dr-estate/backups.log",
} as const;

/** Data directory of the node's cluster: the one pg_auto_failover creates. */
export function postgresDataDirectory(node: NodeConfig): string {
  return failoverPaths(node).pgdata;
}

export const backupScripts = [
  "backups/backup-lib.sh",
  "backups/pg-dump-backup.sh",
  "backups/verify-latest-backup.sh",
  "backups/pgbackrest-backup.sh",
  "backups/enable-wal-archiving.sh",
  "backups/media-cold-sync.sh",
  "backups/zfs-snapshots.sh",
  "backups/estate-pitr.sh",
] as const;

/** The operator's point-in-time recovery command (README, "Ransomware"): runs the shipped script. */
export const pitrCommand = operatorCommandPath("estate-pitr");

/** Paths a pgBackRest configuration names; production values come from backupPaths. */
export interface PgbackrestLocations {
  readonly repoPath: string;
  readonly spoolPath: string;
  readonly lockPath: string;
  readonly logPath: string;
  readonly pgPath: string;
  readonly pgPort: number;
  readonly pgSocketPath: string;
}

/** pgbackrest.conf from the shipped template (a test renders it with its own paths). */
export function pgbackrestConfig(node: NodeConfig, locations: PgbackrestLocations, offsite?: OffsiteRepository): string {
  const offsiteRepository = offsite
    ? renderTemplate("backups/pgbackrest-offsite-repo.conf", {
        endpoint: offsite.endpoint,
        region: offsite.region,
        bucket: offsite.bucket,
        path: offsite.path,
        accessKeyId: offsite.accessKeyId,
        secretAccessKey: offsite.secretAccessKey,
        cipherPassphrase: offsite.cipherPassphrase,
        retentionFullDays: offsite.retentionDays,
      }).trimEnd()
    : "";
  return renderTemplate("backups/pgbackrest.conf", {
    stanza: node.estateName,
    retentionFullDays: node.backups.dailyRetentionDays,
    offsiteRepository,
    ...locations,
  });
}

/**
 * Where media-cold-sync.sh copies the media: an rclone crypt remote in the off-site bucket, beside
 * (not inside) pgBackRest's repository path, so pgBackRest's expire never sees it. Root's alone: it
 * holds the bucket key and the passphrase.
 */
export function mediaOffsiteFiles(node: NodeConfig, offsite: OffsiteRepository | undefined): WriteFile[] {
  if (!offsite?.mediaCipherPassphrase) {
    return [];
  }
  const settings = {
    MEDIA_OFFSITE_ENDPOINT: offsite.endpoint,
    MEDIA_OFFSITE_REGION: offsite.region,
    MEDIA_OFFSITE_BUCKET: offsite.bucket,
    MEDIA_OFFSITE_PATH: `${node.estateName}-media`,
    MEDIA_OFFSITE_ACCESS_KEY_ID: offsite.accessKeyId,
    MEDIA_OFFSITE_SECRET_ACCESS_KEY: offsite.secretAccessKey,
    MEDIA_CIPHER_PASSPHRASE: offsite.mediaCipherPassphrase,
    MEDIA_OFFSITE_RETENTION_DAYS: offsite.retentionDays,
  };
  return [{ path: backupPaths.mediaOffsiteSettings, content: shellAssignments(settings), permissions: "0600" }];
}

/**
 * Backups of the current primary (both data nodes carry them; the scripts do nothing while their
 * PostgreSQL is in recovery): pg_dump hourly/daily/weekly with a daily restore test, pgBackRest WAL
 * archiving with full/diff/incr backups for point-in-time recovery, an encrypted cold copy of the
 * media in the off-site bucket, ZFS snapshots. Schedules are in /etc/cron.d/dr-estate-backups, in UTC.
 */
export function backups(node: NodeConfig, options: BackupsOptions = {}): CloudConfigPart {
  const offsite = options.offsite ?? node.offsiteBackups;
  const settings: Record<string, string | number> = {
    verifyTables: (options.verifyTables ?? []).join(" "),
    verifyRequireRows: options.verifyRequireRows ? "yes" : "no",
    mediaDir: options.mediaDirectory ?? "/srv/media",
    zfsDataset: options.zfsDataset ?? "",
    zfsRetentionDays: options.zfsSnapshotRetentionDays ?? 14,
    pgbackrestRepos: offsite ? "1 2" : "1",
    pgData: postgresDataDirectory(node),
  };
  for (const [name, value] of Object.entries(settings)) {
    // backups.env quotes its values with double quotes and is sourced by sh.
    if (/["$`\\\n]/.test(String(value))) {
      throw new Error(`backups: ${name} must not contain quotes, $, backquotes, backslashes or newlines`);
    }
  }
  const pgbackrest = pgbackrestConfig(
    node,
    {
      repoPath: backupPaths.pgbackrestRepo,
      spoolPath: backupPaths.pgbackrestSpool,
      lockPath: backupPaths.pgbackrestLock,
      logPath: backupPaths.pgbackrestLog,
      pgPath: postgresDataDirectory(node),
      pgPort: 5432,
      pgSocketPath: "/var/run/postgresql",
    },
    offsite,
  );
  const writeFiles: WriteFile[] = [
    ...backupScripts.map((script) =>
      script.endsWith("backup-lib.sh") ? { ...installScript(script), permissions: "0644" } : installScript(script),
    ),
    { path: backupPaths.settingsFile, content: renderTemplate("backups/backups.env", settings), permissions: "0644" },
    {
      path: backupPaths.walArchivingConf,
      content: renderTemplate("backups/postgresql-wal-archiving.conf", { stanza: node.estateName }),
      permissions: "0644",
    },
    // Holds the off-site credentials when configured: readable by root and postgres only. Deferred
    // until the packages have made the postgres group (and replaced the package's own file).
    { path: backupPaths.pgbackrestConf, content: pgbackrest, permissions: "0640", owner: "root:postgres", defer: true },
    ...mediaOffsiteFiles(node, offsite),
    operatorCommand("estate-pitr", "estate-pitr.sh"),
    { path: backupPaths.cronFile, content: readCloudInitFile("backups/dr-estate-backups.cron"), permissions: "0644" },
    { path: "/etc/logrotate.d/dr-estate-backups", content: readCloudInitFile("backups/logrotate.conf"), permissions: "0644" },
  ];
  const packages = ["cron", "curl", "pgbackrest", "rclone", "rsync", "util-linux"];
  if (options.zfsDataset) {
    packages.push("zfsutils-linux");
  }
  return {
    packages,
    writeFiles,
    runcmd: [
      // The cron file's times are UTC: Debian/Ubuntu cron reads them in the system time zone.
      "timedatectl set-timezone Etc/UTC || ln -sf /usr/share/zoneinfo/Etc/UTC /etc/localtime",
      "systemctl try-restart cron || true",
      `install -d -m 0700 -o root -g root ${backupPaths.dumps}`,
      "install -d -m 0750 -o root -g adm /var/log/dr-estate",
      `install -d -m 0755 ${nodePaths.textfileMetrics}`,
      `install -d -m 0750 -o postgres -g postgres ${backupPaths.pgbackrestRepo} ${backupPaths.pgbackrestSpool} ${backupPaths.pgbackrestLog}`,
      // The keeper has just been started: wait for PostgreSQL, then create the stanza (idempotent;
      // the archiving settings are already included by the failover piece's node-init.sh).
      "timeout 600 sh -c 'until pg_isready -q -h /var/run/postgresql -p 5432; do sleep 5; done' || true",
      `${nodePaths.scripts}/enable-wal-archiving.sh`,
    ],
  };
}
