import { findResource, Synth } from "./synth";

const reference = /\$\{([a-z][a-z0-9_]*)\.([A-Za-z0-9_-]+)\.([a-z0-9_]+)\}/g;

const reservedAddressTypes = new Set(["hcloud_primary_ip", "digitalocean_reserved_ip", "hcloud_floating_ip"]);
const serverTypes = new Set(["hcloud_server", "digitalocean_droplet"]);

/** How a reviewer would name `type.name.attribute`: `reserved IP of standby`, `server IPv4 of witness`... */
export function describeReference(synth: Synth, type: string, name: string, attribute: string): string {
  const resource = findResource(synth, `${type}.${name}`);
  const owner = resource?.owner ?? name;
  if (reservedAddressTypes.has(type) && attribute === "ip_address") {
    return `reserved IP of ${owner}`;
  }
  if (serverTypes.has(type) && attribute === "ipv4_address") {
    return `server IPv4 of ${owner}`;
  }
  if (serverTypes.has(type) && attribute === "ipv6_address") {
    return `server IPv6 of ${owner}`;
  }
  if (serverTypes.has(type) && attribute === "id") {
    return `${owner} server`;
  }
  if (type === "cloudflare_load_balancer_pool" && attribute === "id") {
    return `pool ${resource?.attributes.name ?? name}`;
  }
  const where = resource ? resource.constructPath : name;
  return `${attribute} of ${where} (${type})`;
}

/**
 * `value` with every `${type.name.attribute}` reference replaced by its readable form; any other
 * Terraform expression is shown as `(computed)` so no function soup reaches the review.
 */
export function readable(synth: Synth, value: unknown): string {
  if (value === undefined || value === null) {
    return "";
  }
  const text = typeof value === "string" ? value : JSON.stringify(value);
  const replaced = text.replace(reference, (_match, type: string, name: string, attribute: string) => describeReference(synth, type, name, attribute));
  return replaced.includes("${") ? replaced.replace(/\$\{[^}]*\}?/g, "(computed)") : replaced;
}

/** The resource addresses a value refers to. */
export function referencedAddresses(value: unknown): string[] {
  const text = typeof value === "string" ? value : JSON.stringify(value ?? "");
  return [...text.matchAll(reference)].map((m) => `${m[1]}.${m[2]}`);
}
