import type { NodeRole } from "./schema";

/** The data nodes, either of which may hold the writable database. */
export type DataNode = Exclude<NodeRole, "witness">;

export interface ClientFallbackInput {
  readonly domain: string;
  /** Service hostnames (labels below the domain). */
  readonly hostnames: readonly string[];
  readonly lastKnownPrimary: DataNode;
  /** Each data node's public IPv4 (a Terraform reference for a cloud node). */
  readonly addresses: Readonly<Record<DataNode, string>>;
}

/** What a client library ships to reach the estate when DNS fails: each name's addresses, try in order. */
export interface ClientFallbackDocument {
  readonly domain: string;
  readonly lastKnownPrimary: DataNode;
  readonly hosts: Record<string, string[]>;
}

/** Names of the stack outputs that carry the fallback (`tofu output -raw NAME`). */
export const clientFallbackOutputs = { hostsFile: "client-fallback-hosts", document: "client-fallback-json" } as const;

/** The data nodes in the order clients try them: the last known primary first. */
export function fallbackOrder(lastKnownPrimary: DataNode): DataNode[] {
  return lastKnownPrimary === "primary" ? ["primary", "standby"] : ["standby", "primary"];
}

export function clientFallbackDocument(input: ClientFallbackInput): ClientFallbackDocument {
  const addresses = fallbackOrder(input.lastKnownPrimary).map((node) => input.addresses[node]);
  return {
    domain: input.domain,
    lastKnownPrimary: input.lastKnownPrimary,
    hosts: Object.fromEntries(input.hostnames.map((hostname) => [`${hostname}.${input.domain}`, [...addresses]])),
  };
}

/**
 * /etc/hosts lines: every service name on the last known primary's line first. A resolver that
 * takes one address takes the first line; glibc returns both, in this order.
 */
export function clientFallbackHostsFile(input: ClientFallbackInput): string {
  const names = input.hostnames.map((hostname) => `${hostname}.${input.domain}`).join(" ");
  return [
    `# ${input.domain}: DNS fallback, last known primary (${input.lastKnownPrimary}) first`,
    ...fallbackOrder(input.lastKnownPrimary).map((node) => `${input.addresses[node]} ${names} # ${node}`),
    "",
  ].join("\n");
}
