import { TerraformResource } from "cdktf";

/**
 * The attributes a resource will synthesize (snake_case, as in the Terraform JSON), so a policy
 * reads every provider's resources the same way without depending on their generated classes.
 */
export function synthesizedAttributes(resource: TerraformResource): Record<string, unknown> {
  const synthesized = resource.toTerraform() as { resource: Record<string, Record<string, Record<string, unknown>>> };
  const byLogicalId = synthesized.resource[resource.terraformResourceType];
  return Object.values(byLogicalId)[0];
}
