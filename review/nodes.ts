import { readable } from "./references";
import { resolveLocal, resourcesOfType, Synth, SynthResource } from "./synth";
import { cloudConfigFile, parseEnvFile } from "./user-data";

export type NodeProvider = "bare metal" | "hetzner" | "digitalocean";

export interface EstateNode {
  /** primary, standby or witness (NODE_ROLE of the node's user-data; its construct id otherwise). */
  readonly role: string;
  readonly provider: NodeProvider;
  readonly location: string;
  readonly size: string;
  /** Readable addresses: literals, or e.g. `reserved IP of standby`. */
  readonly addresses: string[];
  /** DNS names that point at the node. */
  readonly dnsNames: string[];
  readonly volumes: { readonly address: string; readonly sizeGb: number }[];
  /** The cloud server or the seed file that carries the node's user-data. */
  readonly resource?: SynthResource;
  readonly userData?: string;
}

export const notInSynth = "not in this synth";

const serverTypes: Record<string, NodeProvider> = { hcloud_server: "hetzner", digitalocean_droplet: "digitalocean" };
const volumeTypes = ["hcloud_volume", "digitalocean_volume"];
const reservedIpTypes = ["hcloud_primary_ip", "digitalocean_reserved_ip", "hcloud_floating_ip"];
const roleOrder = ["primary", "standby", "witness"];

/** The estate's nodes: the bare-metal primary (seed files, pool origins) and the cloud servers. */
export function estateNodes(synth: Synth): EstateNode[] {
  const nodes: EstateNode[] = [];
  for (const server of resourcesOfType(synth, ...Object.keys(serverTypes))) {
    const userData = resolveLocal(synth, server.attributes.user_data);
    const role = roleFromUserData(userData) ?? server.owner;
    nodes.push({
      role,
      provider: serverTypes[server.type],
      location: String(server.attributes.location ?? server.attributes.region ?? notInSynth),
      size: String(server.attributes.server_type ?? server.attributes.size ?? notInSynth),
      addresses: [
        ...addressesOf(synth, role),
        ...resourcesOfType(synth, ...reservedIpTypes).filter((ip) => ip.owner === server.owner).map((ip) => readable(synth, `\${${ip.address}.ip_address}`)),
      ],
      dnsNames: dnsNamesOf(synth, role),
      volumes: volumesOf(synth, server.owner),
      resource: server,
      userData: typeof userData === "string" ? userData : undefined,
    });
  }

  // The bare-metal primary has no cloud server: its NoCloud seed (an output holding `user-data`, or
  // a local file named .../user-data) and the load-balancer origins are what the synth knows of it.
  const cloudRoles = new Set(nodes.map((node) => node.role));
  const bareMetal = new Map<string, { seed?: SynthResource; userData?: unknown }>();
  for (const output of Object.values<any>(synth.json.output ?? {})) {
    const userData = resolveLocal(synth, output?.value?.["user-data"]);
    const role = roleFromUserData(userData);
    if (role) {
      bareMetal.set(role, { userData });
    }
  }
  const seeds = resourcesOfType(synth, "local_sensitive_file", "local_file").filter((file) =>
    String(file.attributes.filename ?? "").endsWith("/user-data"),
  );
  for (const seed of seeds) {
    const userData = resolveLocal(synth, seed.attributes.content);
    bareMetal.set(roleFromUserData(userData) ?? seed.owner, { seed, userData });
  }
  for (const pool of resourcesOfType(synth, "cloudflare_load_balancer_pool")) {
    for (const origin of pool.attributes.origins ?? []) {
      const name = String(origin.name ?? "");
      if (name && !cloudRoles.has(name) && !bareMetal.has(name)) {
        bareMetal.set(name, {});
      }
    }
  }
  for (const [role, { seed, userData }] of bareMetal) {
    if (cloudRoles.has(role)) {
      continue;
    }
    nodes.push({
      role,
      provider: "bare metal",
      location: notInSynth,
      size: "bare metal",
      addresses: addressesOf(synth, role),
      dnsNames: dnsNamesOf(synth, role),
      volumes: [],
      resource: seed,
      userData: typeof userData === "string" ? userData : undefined,
    });
  }

  const rank = (role: string) => (roleOrder.includes(role) ? roleOrder.indexOf(role) : roleOrder.length);
  return nodes
    .map((node) => ({ ...node, addresses: [...new Set(node.addresses)] }))
    .sort((a, b) => rank(a.role) - rank(b.role) || a.role.localeCompare(b.role));
}

/** NODE_ROLE of the estate.env a #cloud-config writes. */
function roleFromUserData(userData: unknown): string | undefined {
  const env = cloudConfigFile(userData, "/etc/dr-estate/estate.env");
  return env ? parseEnvFile(env).get("NODE_ROLE") || undefined : undefined;
}

/** Pool origins named after the role, then the content of DNS records `<role>.<domain>`. */
function addressesOf(synth: Synth, role: string): string[] {
  const fromOrigins = resourcesOfType(synth, "cloudflare_load_balancer_pool").flatMap((pool) =>
    (pool.attributes.origins ?? []).filter((origin: any) => origin.name === role).map((origin: any) => readable(synth, origin.address)),
  );
  const fromRecords = recordsOf(synth, role).map((record) => readable(synth, record.attributes.content));
  return [...fromOrigins, ...fromRecords];
}

function dnsNamesOf(synth: Synth, role: string): string[] {
  return [...new Set(recordsOf(synth, role).map((record) => String(record.attributes.name)))];
}

function recordsOf(synth: Synth, role: string): SynthResource[] {
  return resourcesOfType(synth, "cloudflare_dns_record", "cloudflare_record").filter(
    (record) => String(record.attributes.name ?? "").split(".")[0] === role && ["A", "AAAA"].includes(record.attributes.type),
  );
}

function volumesOf(synth: Synth, owner: string) {
  return resourcesOfType(synth, ...volumeTypes)
    .filter((volume) => volume.owner === owner)
    .map((volume) => ({ address: volume.address, sizeGb: Number(volume.attributes.size ?? 0) }));
}
