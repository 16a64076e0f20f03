// Plausible values for what an offline plan cannot know (ids, addresses, keys, certificates, times),
// for prior-state.ts. Each is derived from the resource address and attribute path, so it is the
// same at every conversion; a value the configuration sets to exactly another resource's attribute
// ("${hcloud_server.x.id}") gets that attribute's dummy, so the two agree from the start.
import { createHash } from "node:crypto";
import type { CtyType, PlanJson } from "./prior-state";

type Path = readonly (string | number)[];

/** The dummy for `path` of the resource at `address`, of type `type`. */
export type DummyValues = (address: string, type: CtyType, path: Path) => unknown;

export function dummyValues(plan: PlanJson, deployedAt: Date): DummyValues {
  const planned = new Map(plannedResources(plan.planned_values.root_module).map((r) => [r.address, r]));
  const expressions = new Map((plan.configuration?.root_module.resources ?? []).map((r) => [r.address, r.expressions ?? {}]));
  const dummy: DummyValues = (address, type, path) => {
    const configured = configuredValue(expressions.get(address), path);
    const reference = typeof configured === "string" ? /^\$\{([a-z0-9_]+\.[^.${}\s]+)\.([a-z0-9_]+)\}$/.exec(configured) : null;
    if (reference && planned.has(reference[1])) {
      return dummy(reference[1], type, [reference[2]]);
    }
    if (Array.isArray(configured) && Array.isArray(type) && (type[0] === "list" || type[0] === "set")) {
      return configured.map((_element, index) => dummy(address, type[1] as CtyType, [...path, index]));
    }
    const resource = planned.get(address)!;
    const seed = createHash("sha256").update(`${address}.${path.join(".")}`).digest();
    const name = String(path.filter((step) => typeof step === "string").pop());
    if (type === "string") {
      return dummyString(resource.type, resource.values, name, seed, deployedAt);
    }
    if (type === "number") {
      return name === "id" ? numericId(seed) : 0;
    }
    if (type === "bool") {
      return false;
    }
    const kind = Array.isArray(type) ? type[0] : type;
    return kind === "list" || kind === "set" || kind === "tuple" ? [] : kind === "map" ? {} : null;
  };
  return dummy;
}

type PlannedModule = PlanJson["planned_values"]["root_module"];

function plannedResources(module: PlannedModule): NonNullable<PlannedModule["resources"]>[number][] {
  return [...(module.resources ?? []), ...(module.child_modules ?? []).flatMap(plannedResources)];
}

/**
 * What the configuration (Terraform JSON, as the plan repeats it) writes at `path`: a literal, or a
 * template such as "${tls_private_key.ca.private_key_pem}". Blocks are lists of objects of
 * expressions; an attribute's expression holds its whole value in `constant_value`.
 */
function configuredValue(expressions: unknown, path: Path): unknown {
  let node: any = expressions;
  for (const step of path) {
    if (node && typeof node === "object" && !Array.isArray(node) && "constant_value" in node) {
      node = node.constant_value;
    }
    node = node?.[step];
  }
  return node && typeof node === "object" && !Array.isArray(node) && "constant_value" in node ? node.constant_value : node;
}

/** The cloud providers' ids are numbers (Terraform functions parse some of them). */
const numericId = (seed: Buffer) => (seed.readUInt32BE(0) % 90_000_000) + 10_000_000;

function dummyString(type: string, values: Record<string, unknown>, name: string, seed: Buffer, deployedAt: Date): string {
  const hex = seed.toString("hex");
  const byte = (seed[0] % 254) + 1;
  if (name === "id") {
    return /^(hcloud|digitalocean)_/.test(type) ? String(numericId(seed)) : hex.slice(0, 32);
  }
  if (/ipv6_network|ip_range/.test(name)) {
    return `2001:db8:${byte.toString(16)}::/64`;
  }
  if (/ipv6/.test(name)) {
    return `2001:db8:${byte.toString(16)}::1`;
  }
  if (name === "ip_network") {
    return `192.0.2.${byte}/32`;
  }
  if (/(^|_)ip(v4)?(_address)?(_private)?$|ipv4_address/.test(name)) {
    return `192.0.2.${byte}`;
  }
  if (name === "validity_end_time") {
    const hours = Number(values.validity_period_hours ?? 24 * 365);
    return timestamp(new Date(deployedAt.getTime() + hours * 3_600_000));
  }
  if (/(_time|_on|_at)$/.test(name)) {
    return timestamp(deployedAt);
  }
  if (/pem(_pkcs8)?$/.test(name)) {
    const label = /request/.test(name) ? "CERTIFICATE REQUEST" : /cert/.test(name) ? "CERTIFICATE" : /public/.test(name) ? "PUBLIC KEY" : "PRIVATE KEY";
    return `-----BEGIN ${label}-----\n${seed.toString("base64")}\n-----END ${label}-----\n`;
  }
  if (name === "public_key_openssh") {
    return `ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI${seed.toString("base64").slice(0, 43)}\n`;
  }
  if (name === "private_key_openssh") {
    return `-----BEGIN OPENSSH PRIVATE KEY-----\n${seed.toString("base64")}\n-----END OPENSSH PRIVATE KEY-----\n`;
  }
  if (/fingerprint/.test(name)) {
    return hex.slice(0, 32).replace(/(..)(?!$)/g, "$1:");
  }
  if (name === "urn") {
    return `do:${type.replace(/^digitalocean_/, "")}:${hex.slice(0, 8)}`;
  }
  if (name === "meta") {
    // Cloudflare keeps it as a JSON document.
    return "{}";
  }
  if (name === "status") {
    return type === "hcloud_server" ? "running" : "active";
  }
  // Passwords, hashes, access keys and the rest: letters and digits, as generated values are.
  return hex.slice(0, 32);
}

/** RFC 3339, to the second, as the providers write times. */
export const timestamp = (date: Date) => date.toISOString().replace(/\.\d{3}Z$/, "Z");
