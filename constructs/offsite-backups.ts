import { SpacesBucket } from "@cdktf/provider-digitalocean/lib/spaces-bucket";
import { SpacesKey } from "@cdktf/provider-digitalocean/lib/spaces-key";
import { Construct } from "constructs";
import type { OffsiteRepository } from "../cloud-init";

export interface OffsiteBackupsProps {
  readonly estateName: string;
  /** DigitalOcean Spaces region, such as fra1. */
  readonly region: string;
  /** How long pgBackRest keeps off-site backups (its time-based full-backup retention). */
  readonly retentionDays: number;
  /** Passphrase of the repository cipher (aes-256-cbc): the bucket only ever holds ciphertext. */
  readonly cipherPassphrase: string;
}

/**
 * A private DigitalOcean Spaces bucket for the encrypted off-site copy of the pgBackRest repository,
 * with an access key limited to that bucket. pgBackRest expires backups itself; the bucket's
 * lifecycle rule is a backstop set two full-backup cycles (14 days) later, so it never removes a
 * full backup that a backup still inside the retention window depends on.
 */
export class OffsiteBackups extends Construct {
  static readonly lifecycleMarginDays = 14;
  readonly repository: OffsiteRepository;

  constructor(scope: Construct, id: string, props: OffsiteBackupsProps) {
    super(scope, id);
    const bucket = new SpacesBucket(this, "bucket", {
      name: `${props.estateName}-offsite-backups`,
      region: props.region,
      acl: "private",
      lifecycleRule: [
        {
          enabled: true,
          expiration: { days: props.retentionDays + OffsiteBackups.lifecycleMarginDays },
          abortIncompleteMultipartUploadDays: 7,
        },
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
      retentionDays: props.retentionDays,
    };
  }
}
