import { CloudflareProvider } from "@cdktf/provider-cloudflare/lib/provider";
import { RandomProvider } from "@cdktf/provider-random/lib/provider";
import { TlsProvider } from "@cdktf/provider-tls/lib/provider";
import type { Construct } from "constructs";
import { cloudVariants } from "../constructs/cloud-variants";
import type { CloudProvider, Estate } from "../estate";

/**
 * Every provider the estate uses: random and tls for its secrets, Cloudflare for DNS, and each cloud
 * provider that hosts a server or creates the off-site bucket. Credentials come from the environment.
 */
export function configureProviders(stack: Construct, estate: Estate): void {
  new RandomProvider(stack, "random");
  new TlsProvider(stack, "tls");
  new CloudflareProvider(stack, "cloudflare");
  // A Hetzner bucket is made in the console: the off-site copy needs a provider only on Spaces.
  const offsite = estate.backups.offsite;
  for (const provider of new Set([...serverProviders(estate), ...(offsite?.provider === "digitalocean" ? [offsite.provider] : [])])) {
    cloudVariants[provider].configureProvider(stack);
  }
}

/** The cloud providers that host the standby and the witness, each once. */
export function serverProviders(estate: Estate): CloudProvider[] {
  return [...new Set<CloudProvider>([estate.standby.provider, estate.witness.provider])];
}
