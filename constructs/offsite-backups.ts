import { SpacesBucket } from "@cdktf/provider-digitalocean/lib/spaces-bucket";
import { SpacesKey } from "@cdktf/provider-digitalocean/lib/spaces-key";
import { Construct } from "constructs";
import type { OffsiteRepository } from "../cloud-init";
import { terraformString } from "./terraform-string";

export interface OffsiteBackupsProps {
  readonly estateName: string;
  /** DigitalOcean Spaces region, such as fra1. */
  readonly region: string;
  /** How long pgBackRest keeps off-site backups (its time-based full-backup retention). */
  readonly retentionDays: number;
  /** Passphrase of the repository cipher (aes-256-cbc): the bucket only ever holds ciphertext. */
  readonly cipherPassphrase: string;
  /** Passphrase of the media cold copy's rclone crypt remote: names and contents are encrypted too. */
  readonly mediaCipherPassphrase: string;
}

/**
 * A private DigitalOcean Spaces bucket for the encrypted off-site copy of the pgBackRest repository,
 * with an access key limited to that bucket. Retention is pgBackRest's `expire` alone: the bucket
 * never expires objects by age, because pgBackRest does not rewrite the files it keeps on any
 * schedule (backup.history manifests are written once, archive.info only when it is re-saved), so
 * an age rule deletes them in time; without archive.info every later backup fails. One rule
 * removes parts of multipart uploads an interrupted push left behind, which pgBackRest never reads;
 * the other forgets versions that stopped being current `deletedVersionsKeptDays` ago.
 *
 * The key is the most Spaces can scope: `readwrite` on this bucket (Spaces keys have only read,
 * readwrite and fullaccess, and a bucket with scoped keys takes no bucket policy), and nothing says
 * it cannot delete versions: versioning saves the copy from a plain delete, not from an intruder
 * who deletes each version by id (README, "What survives which loss").
 */
export class OffsiteBackups extends Construct {
  static readonly abortIncompleteUploadsDays = 7;
  /**
   * How long a deleted or overwritten object stays restorable. The bucket keeps versions, so a delete
   * with the nodes' key (pgBackRest's own expire, or an intruder's) only hides an object behind a
   * delete marker; this is the time to notice an intrusion and restore from the versions.
   */
  static readonly deletedVersionsKeptDays = 30;
  readonly repository: OffsiteRepository;

  constructor(scope: Construct, id: string, props: OffsiteBackupsProps) {
    super(scope, id);
    const bucket = new SpacesBucket(this, "bucket", {
      name: `${props.estateName}-offsite-backups`,
      region: props.region,
      acl: "private",
      versioning: { enabled: true },
      lifecycleRule: [
        { id: terraformString("abort-incomplete-uploads"), enabled: true, abortIncompleteMultipartUploadDays: OffsiteBackups.abortIncompleteUploadsDays },
        { id: terraformString("forget-deleted-versions"), enabled: true, noncurrentVersionExpiration: { days: OffsiteBackups.deletedVersionsKeptDays } },
      ],
      lifecycle: { preventDestroy: true },
    });
    const key = new SpacesKey(this, "access-key", {
      name: `${props.estateName}-backups`,
      grant: [{ bucket: bucket.name, permission: "readwrite" }],
    });
    this.repository = {
      endpoint: `${props.region}.digitaloceanspaces.com`,
      region: props.region,
      bucket: bucket.name,
      path: `/${props.estateName}`,
      accessKeyId: key.accessKey,
      secretAccessKey: key.secretKey,
      cipherPassphrase: props.cipherPassphrase,
      mediaCipherPassphrase: props.mediaCipherPassphrase,
      retentionDays: props.retentionDays,
    };
  }
}
