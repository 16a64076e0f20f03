import * as fs from "node:fs";
import * as path from "node:path";

/** A provider pinned in tools/versions.env: its registry address and exact version. */
export interface PinnedProvider {
  /** namespace/type, such as hashicorp/random. */
  readonly address: string;
  readonly version: string;
}

export const versionsFile = path.join(__dirname, "versions.env");

/**
 * The providers tools/versions.env pins, by type (`random`, `hcloud`...): those built from Go modules
 * (PROVIDER_*) and those taken prebuilt (SHARED_PROVIDER_*). The file is the toolchain's one home.
 */
export function pinnedProviders(text = fs.readFileSync(versionsFile, "utf8")): Record<string, PinnedProvider> {
  const providers: Record<string, PinnedProvider> = {};
  for (const match of text.matchAll(/^(?:SHARED_)?PROVIDER_\w+="([a-z0-9-]+\/([a-z0-9-]+)) (\d+\.\d+\.\d+)\b[^"]*"$/gm)) {
    providers[match[2]] = { address: match[1], version: match[3] };
  }
  return providers;
}

/** OPENTOFU_VERSION from tools/versions.env. */
export function pinnedOpenTofuVersion(text = fs.readFileSync(versionsFile, "utf8")): string {
  const version = /^OPENTOFU_VERSION=(\S+)$/m.exec(text)?.[1];
  if (!version) {
    throw new Error(`${versionsFile} pins no OPENTOFU_VERSION`);
  }
  return version;
}
