// Locations each cloud offers, and the shape of their server size names. Locations are a closed list
// because a typo there only surfaces at apply time, after the reviewer approved the plan; sizes
// change more often, so they are checked by shape.
export const cloudProviders = ["hetzner", "digitalocean"] as const;
export type CloudProvider = (typeof cloudProviders)[number];

export const locationsByProvider: Record<CloudProvider, readonly string[]> = {
  hetzner: ["fsn1", "nbg1", "hel1", "ash", "hil", "sin"],
  digitalocean: [
    "nyc1", "nyc2", "nyc3", "sfo2", "sfo3", "ams3", "sgp1", "lon1", "fra1", "tor1", "blr1", "syd1", "atl1",
  ],
};

export const sizePatternByProvider: Record<CloudProvider, { pattern: RegExp; example: string }> = {
  hetzner: { pattern: /^(cx|cpx|cax|ccx)\d{2}$/, example: "cx32" },
  digitalocean: { pattern: /^[a-z0-9]+(-[a-z0-9]+)+$/, example: "s-2vcpu-4gb" },
};

/** DigitalOcean regions with Spaces (S3-compatible object storage), for off-site backups. */
export const spacesRegions = ["nyc3", "ams3", "sgp1", "fra1", "sfo2", "sfo3", "syd1", "blr1", "lon1", "tor1", "atl1"] as const;
