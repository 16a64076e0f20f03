import { Annotations, IAspect, TerraformResource } from "cdktf";
import { IConstruct } from "constructs";

/** Resources that hold data or an address clients and peers depend on. */
export const statefulResourceTypes = [
  "hcloud_volume",
  "hcloud_primary_ip",
  "digitalocean_volume",
  "digitalocean_reserved_ip",
  "digitalocean_spaces_bucket",
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
