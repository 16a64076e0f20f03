import { TerraformProvider, TerraformStack } from "cdktf";
import { pinnedProviders } from "../tools/versions";

/**
 * Writes the provider versions of tools/versions.env into the stack's required_providers, in place
 * of the versions the prebuilt bindings were generated for: what CI validates and plans is exactly
 * what a deploy installs. Call once every provider of the stack exists.
 */
export function pinProviderVersions(stack: TerraformStack): void {
  const pinned = pinnedProviders();
  for (const provider of stack.node.children.filter((child): child is TerraformProvider => child instanceof TerraformProvider)) {
    const type = provider.terraformResourceType;
    const pin = pinned[type];
    if (!pin) {
      throw new Error(`provider ${type} has no version pinned in tools/versions.env; add it there so CI validates it`);
    }
    stack.addOverride(`terraform.required_providers.${type}`, { source: pin.address, version: pin.version });
  }
}
