import { Annotations, IAspect, TerraformResource } from "cdktf";
import { IConstruct } from "constructs";

/**
 * Resources that hold data or an address clients and peers depend on. The one list: this policy
 * guards them, and the plan review (review/diff.ts) flags them when a plan destroys or replaces one.
 */
export const statefulResourceTypes: readonly string[] = [
  "hcloud_volume",
  "hcloud_primary_ip",
  "hcloud_floating_ip",
  "digitalocean_volume",
  "digitalocean_reserved_ip",
  "digitalocean_spaces_bucket",
  "digitalocean_database_cluster",
];

/** Fails synth when a stateful resource could be destroyed by a plan without a human removing the guard. */
export class PreventDestroyPolicy implements IAspect {
  visit(node: IConstruct): void {
    if (!(node instanceof TerraformResource) || !statefulResourceTypes.includes(node.terraformResourceType)) {
      return;
    }
    if (node.lifecycle?.preventDestroy !== true) {
      Annotations.of(node).addError(
        `[PreventDestroy] ${node.terraformResourceType} holds state that a redeploy must never destroy; set lifecycle.preventDestroy = true`,
      );
    }
  }
}
