import { Annotations, IAspect, TerraformResource } from "cdktf";
import { IConstruct } from "constructs";
import { firstBootOnlyAttributes } from "../constructs/cloud-node";

/** The resource types that are the estate's cloud servers. */
export const serverResourceTypes = ["hcloud_server", "digitalocean_droplet"];

/**
 * Fails synth when a server would be replaced by a change of what only its first boot reads
 * (user-data, image, SSH keys): a routine deploy must never take a running node down.
 */
export class FirstBootOnlyPolicy implements IAspect {
  visit(node: IConstruct): void {
    if (!(node instanceof TerraformResource) || !serverResourceTypes.includes(node.terraformResourceType)) {
      return;
    }
    const ignored = (node.lifecycle?.ignoreChanges ?? []) as unknown;
    const missing = ignored === "all" ? [] : firstBootOnlyAttributes.filter((attribute) => !(Array.isArray(ignored) && ignored.includes(attribute)));
    if (missing.length > 0) {
      Annotations.of(node).addError(
        `[FirstBootOnly] ${node.terraformResourceType} must ignore later changes to ${missing.join(", ")} (lifecycle.ignoreChanges): a change there would replace the running server; day-2 changes go through npm run converge`,
      );
    }
  }
}
