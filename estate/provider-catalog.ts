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
  hetzner: { pattern: /^(cx|cpx|cax|ccx)\d{2}$/, example: "cx33" },
  digitalocean: { pattern: /^[a-z0-9]+(-[a-z0-9]+)+$/, example: "s-2vcpu-4gb" },
};

/**
 * Sizes the provider no longer sells, with what replaced them: refused at validation, because a
 * server of that size cannot be rebuilt. Sizes deprecated later are caught at plan time by each
 * server's precondition on the provider's own server-type data.
 */
export const discontinuedSizesByProvider: Record<CloudProvider, Readonly<Record<string, string>>> = {
  hetzner: {
    cx22: "cx23", cx32: "cx33", cx42: "cx43", cx52: "cx53",
    cpx11: "cpx22", cpx21: "cpx22", cpx31: "cpx32", cpx41: "cpx42", cpx51: "cpx52",
  },
  digitalocean: {},
};

/** DigitalOcean regions with Spaces (S3-compatible object storage), for off-site backups. */
export const spacesRegions = ["nyc3", "ams3", "sgp1", "fra1", "sfo2", "sfo3", "syd1", "blr1", "lon1", "tor1", "atl1"] as const;

/** Hetzner Object Storage locations (S3-compatible), for off-site backups: endpoint LOCATION.your-objectstorage.com. */
export const objectStorageLocations = ["fsn1", "nbg1", "hel1"] as const;

/** The operating systems the estate's nodes run (the bare-metal primary is installed with the same). */
export const operatingSystems = ["ubuntu-24.04", "debian-12"] as const;
export type OperatingSystem = (typeof operatingSystems)[number];

/** Each provider's image of each operating system. */
export const serverImages: Record<CloudProvider, Record<OperatingSystem, string>> = {
  hetzner: { "ubuntu-24.04": "ubuntu-24.04", "debian-12": "debian-12" },
  digitalocean: { "ubuntu-24.04": "ubuntu-24-04-x64", "debian-12": "debian-12-x64" },
};

/**
 * Where each operating system gets PostgreSQL and pg_auto_failover: its own packages for the one
 * major version it ships, the PostgreSQL project's repository (PGDG) for the others it builds.
 */
export const postgresPackages: Record<OperatingSystem, { readonly distribution: number; readonly pgdg: readonly number[] }> = {
  "ubuntu-24.04": { distribution: 16, pgdg: [14, 15, 16, 17] },
  "debian-12": { distribution: 15, pgdg: [14, 15, 16, 17] },
};

/** Where `os` gets PostgreSQL `major` from, or undefined when neither source has it. */
export function postgresSource(os: OperatingSystem, major: number): "distribution" | "pgdg" | undefined {
  const packages = postgresPackages[os];
  return packages.distribution === major ? "distribution" : packages.pgdg.includes(major) ? "pgdg" : undefined;
}