import { TerraformOutput } from "cdktf";
import type { Construct } from "constructs";
import type { PeerAddresses } from "../cloud-init";
import type { Estate } from "../estate";

/** The stack outputs an operator reads: the cloud nodes' addresses, the database URL and the estate CA. */
export function addEstateOutputs(stack: Construct, estate: Estate, peers: PeerAddresses, caCertificatePem: string): void {
  new TerraformOutput(stack, "standby-ipv4", { value: peers.standby });
  new TerraformOutput(stack, "witness-ipv4", { value: peers.witness });
  new TerraformOutput(stack, "database-url", {
    description: "libpq URL naming both data nodes; target_session_attrs picks whichever is writable",
    value: `postgresql://primary.${estate.domain}:5432,standby.${estate.domain}:5432/${estate.postgres.database}?target_session_attrs=read-write&sslmode=verify-full`,
  });
  new TerraformOutput(stack, "ca-certificate", { value: caCertificatePem, sensitive: true });
}
