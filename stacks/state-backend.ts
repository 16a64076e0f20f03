import { S3Backend, TerraformStack, TerraformVariable } from "cdktf";
import type { Estate } from "../estate";

/** Name of the variable (TF_VAR_state_encryption_passphrase) holding OpenTofu's state passphrase. */
export const stateEncryptionPassphraseVariable = "state_encryption_passphrase";

/**
 * Puts the estate's state where the description says. Local (cdktf's default) keeps the example
 * working offline; S3 is for real estates: any S3-compatible store (Hetzner Object Storage,
 * DigitalOcean Spaces, MinIO) with a lock file beside the state, credentials from
 * AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY.
 */
export function configureStateBackend(stack: TerraformStack, estateName: string, state: Estate["state"]): void {
  if (state.backend === "local") {
    return;
  }
  new S3Backend(stack, {
    bucket: state.bucket,
    key: state.key ?? `${estateName}/terraform.tfstate`,
    region: state.region,
    endpoints: { s3: state.endpoint },
    usePathStyle: true,
    // Not AWS: no account, region list or instance metadata to check against.
    skipCredentialsValidation: true,
    skipRegionValidation: true,
    skipRequestingAccountId: true,
    skipMetadataApiCheck: true,
    skipS3Checksum: true,
  });
  // S3-native locking (a .tflock object written with a conditional put); no DynamoDB needed.
  stack.addOverride("terraform.backend.s3.use_lockfile", true);

  if (state.encryption === "opentofu") {
    encryptStateWithOpenTofu(stack);
  }
}

/**
 * OpenTofu's client-side encryption of state and plan files, enforced so an unencrypted state is
 * never written. Terraform does not know this block: with Terraform, rely on the bucket's
 * server-side encryption instead (`encryption: none`).
 */
function encryptStateWithOpenTofu(stack: TerraformStack): void {
  const passphrase = new TerraformVariable(stack, stateEncryptionPassphraseVariable, {
    type: "string",
    sensitive: true,
    description: "Passphrase of OpenTofu's state encryption (at least 16 characters); set TF_VAR_state_encryption_passphrase",
  });
  // In JSON, OpenTofu takes the references between encryption blocks as bare traversals.
  stack.addOverride("terraform.encryption", {
    key_provider: { pbkdf2: { state: { passphrase: passphrase.stringValue } } },
    method: { aes_gcm: { state: { keys: "key_provider.pbkdf2.state" } } },
    state: { method: "method.aes_gcm.state", enforced: true },
    plan: { method: "method.aes_gcm.state", enforced: true },
  });
}
