import { File } from "@cdktf/provider-local/lib/file";
import { SensitiveFile } from "@cdktf/provider-local/lib/sensitive-file";
import { TerraformOutput } from "cdktf";
import { Construct } from "constructs";

export interface PrimaryNodeProps {
  /** Rendered #cloud-config user-data; holds secrets once Terraform fills them in. */
  readonly userData: string;
  /** Rendered NoCloud meta-data. */
  readonly metaData: string;
  /**
   * Folder the NoCloud seed is written to when the estate is deployed, relative to the stack's
   * working directory. Default: `primary-seed`.
   */
  readonly seedDirectory?: string;
}

/**
 * The bare-metal primary. It has no cloud API, so the estate only produces its configuration: a
 * NoCloud seed (user-data and meta-data) written at deploy time, when the secrets in it exist, and
 * the same user-data as a sensitive output.
 */
export class PrimaryNode extends Construct {
  readonly seedDirectory: string;

  constructor(scope: Construct, id: string, props: PrimaryNodeProps) {
    super(scope, id);
    this.seedDirectory = props.seedDirectory ?? "primary-seed";
    new SensitiveFile(this, "seed-user-data", {
      filename: `\${path.module}/${this.seedDirectory}/user-data`,
      content: props.userData,
      filePermission: "0600",
    });
    new File(this, "seed-meta-data", {
      filename: `\${path.module}/${this.seedDirectory}/meta-data`,
      content: props.metaData,
      filePermission: "0644",
    });
    new TerraformOutput(this, "user-data", {
      value: props.userData,
      sensitive: true,
      description: "cloud-init user-data of the bare-metal primary (also written to the NoCloud seed folder)",
    });
  }
}
