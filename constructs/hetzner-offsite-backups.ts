import { TerraformVariable } from "cdktf";
import { Construct } from "constructs";
import type { OffsiteRepository } from "../cloud-init";

export interface HetznerOffsiteBackupsProps {
  readonly estateName: string;
  /** Hetzner Object Storage location, such as fsn1. */
  readonly region: string;
  /** The bucket made in the Hetzner console. */
  readonly bucket: string;
  /** Default: the location's endpoint. */
  readonly endpoint?: string;
  readonly retentionDays: number;
  readonly cipherPassphrase: string;
  /** Passphrase of the media cold copy's rclone crypt remote. */
  readonly mediaCipherPassphrase: string;
}

/**
 * The off-site pgBackRest repository in a Hetzner Object Storage bucket. The hcloud provider has no
 * bucket or key resource: the operator creates both in the Hetzner console (README, "Off-site
 * backups on Hetzner") and hands the key to Terraform as two sensitive variables
 * (TF_VAR_hetzner_offsite_access_key_id, TF_VAR_hetzner_offsite_secret_access_key). The stack
 * therefore neither creates nor destroys the bucket, and its settings (versioning, object lock) are
 * the console's.
 */
export class HetznerOffsiteBackups extends Construct {
  static readonly accessKeyVariable = "hetzner_offsite_access_key_id";
  static readonly secretKeyVariable = "hetzner_offsite_secret_access_key";
  readonly repository: OffsiteRepository;

  constructor(scope: Construct, id: string, props: HetznerOffsiteBackupsProps) {
    super(scope, id);
    const key = (name: string, description: string) => {
      const variable = new TerraformVariable(this, name, { type: "string", sensitive: true, nullable: false, description });
      variable.overrideLogicalId(name);
      return variable.stringValue;
    };
    this.repository = {
      endpoint: props.endpoint ?? `${props.region}.your-objectstorage.com`,
      region: props.region,
      bucket: props.bucket,
      path: `/${props.estateName}`,
      accessKeyId: key(HetznerOffsiteBackups.accessKeyVariable, "Access key of the Hetzner Object Storage bucket for off-site backups (made in the Hetzner console)"),
      secretAccessKey: key(HetznerOffsiteBackups.secretKeyVariable, "Secret key of that access key"),
      cipherPassphrase: props.cipherPassphrase,
      mediaCipherPassphrase: props.mediaCipherPassphrase,
      retentionDays: props.retentionDays,
    };
  }
}
