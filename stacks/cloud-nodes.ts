import type { Construct } from "constructs";
import type { CloudNode } from "../constructs/cloud-node";
import { cloudVariants } from "../constructs/cloud-variants";
import { type CloudProvider, type Estate, serverImages } from "../estate";
import { serverProviders } from "./estate-providers";

/** The roles that run on a cloud provider. */
export const cloudRoles = ["standby", "witness"] as const;
export type CloudRole = (typeof cloudRoles)[number];

/**
 * The standby and the witness, each on its provider with its reserved address (and the standby's
 * data volume); the operators' SSH keys are registered once per provider.
 */
export function createCloudNodes(stack: Construct, estate: Estate): Record<CloudRole, CloudNode> {
  const sshKeyIds = new Map<CloudProvider, string[]>();
  for (const provider of serverProviders(estate)) {
    sshKeyIds.set(provider, cloudVariants[provider].registerSshKeys(stack, estate.name, estate.ssh.publicKeys));
  }
  const create = (role: CloudRole, dataVolumeSizeGb?: number) => {
    const { provider, location, size } = estate[role];
    return cloudVariants[provider].createNode(stack, role, {
      name: `${estate.name}-${role}`,
      location,
      size,
      dataVolumeSizeGb,
      sshKeyIds: sshKeyIds.get(provider)!,
      image: serverImages[provider][estate.os],
    });
  };
  return { standby: create("standby", estate.standby.volumeSizeGb), witness: create("witness") };
}
