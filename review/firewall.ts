import { ports as estatePorts, worldIpv4, worldIpv6 } from "../estate/firewall-rules";
import { EstateNode } from "./nodes";
import { readable, referencedAddresses } from "./references";
import { resourcesOfType, Synth, SynthResource } from "./synth";
import { cloudConfigFile } from "./user-data";

export interface FirewallRuleRow {
  readonly node: string;
  /** `Hetzner Cloud firewall`, `DigitalOcean cloud firewall` or `host nftables`. */
  readonly enforcedBy: string;
  readonly protocol: string;
  readonly ports: string;
  /** Readable sources; `anywhere (IPv4)` / `anywhere (IPv6)` for the world. */
  readonly sources: string[];
  readonly description: string;
}

const portNames = new Map<string, string>(Object.entries(estatePorts).map(([name, port]) => [String(port), name]));

/** The rule's description, or the estate's name for its port when the provider keeps no description (DigitalOcean). */
function describe(description: unknown, ports: string): string {
  return description ? String(description) : portNames.has(ports) ? `(${portNames.get(ports)})` : "";
}

export const worldLabels: Record<string, string> = { [worldIpv4]: "anywhere (IPv4)", [worldIpv6]: "anywhere (IPv6)" };

/** Inbound rules per node: the cloud firewalls, and the primary's host firewall from its user-data. */
export function firewallRules(synth: Synth, nodes: readonly EstateNode[]): FirewallRuleRow[] {
  const roleOf = (firewall: SynthResource, targets: unknown): string => {
    const addresses = referencedAddresses(targets);
    const node = nodes.find((n) => n.resource && addresses.includes(n.resource.address));
    return node?.role ?? firewall.owner;
  };
  const sourcesOf = (cidrs: unknown): string[] =>
    (Array.isArray(cidrs) ? cidrs : []).map((cidr) => worldLabels[String(cidr)] ?? readable(synth, cidr));

  const rows: FirewallRuleRow[] = [];
  for (const firewall of resourcesOfType(synth, "hcloud_firewall")) {
    const node = roleOf(firewall, firewall.attributes.apply_to);
    for (const rule of firewall.attributes.rule ?? []) {
      if ((rule.direction ?? "in") !== "in") {
        continue;
      }
      rows.push({
        node,
        enforcedBy: "Hetzner Cloud firewall",
        protocol: String(rule.protocol ?? ""),
        ports: String(rule.port ?? "all"),
        sources: sourcesOf(rule.source_ips),
        description: describe(rule.description, String(rule.port ?? "all")),
      });
    }
  }
  for (const firewall of resourcesOfType(synth, "digitalocean_firewall")) {
    const node = roleOf(firewall, firewall.attributes.droplet_ids);
    for (const rule of firewall.attributes.inbound_rule ?? []) {
      rows.push({
        node,
        enforcedBy: "DigitalOcean cloud firewall",
        protocol: String(rule.protocol ?? ""),
        ports: String(rule.port_range ?? "all"),
        sources: sourcesOf(rule.source_addresses),
        description: describe(rule.description, String(rule.port_range ?? "all")),
      });
    }
  }
  for (const node of nodes) {
    const nftables = cloudConfigFile(node.userData, "/etc/nftables.conf");
    if (nftables) {
      rows.push(...hostFirewallRules(synth, node.role, nftables));
    }
  }
  return rows;
}

// A set `{ a, b }` may hold Terraform references `${...}`, whose braces must not end it.
const set = String.raw`\{(?:\$\{[^}]*\}|[^}])*\}`;
const acceptRule = new RegExp(
  String.raw`^(?:(ip6?) saddr (${set}|\S+)\s+)?(tcp|udp) dport (${set}|\S+)\s+(?:ct state new\s+)?accept(?:\s+comment "([^"]*)")?`,
);

/** The `... tcp dport N accept` rules of an nftables ruleset (ICMP, loopback and conntrack lines are left out). */
export function hostFirewallRules(synth: Synth, node: string, nftables: string): FirewallRuleRow[] {
  const rows: FirewallRuleRow[] = [];
  for (const line of nftables.split("\n")) {
    const match = acceptRule.exec(line.trim());
    if (!match) {
      continue;
    }
    const [, family, saddr, protocol, dport, comment] = match;
    const sources = saddr
      ? saddr.replace(/^\{|\}$/g, "").split(",").map((s) => s.trim()).filter(Boolean).map((s) => worldLabels[s] ?? readable(synth, s))
      : ["anywhere"];
    rows.push({
      node,
      enforcedBy: family === "ip6" ? "host nftables (IPv6)" : "host nftables",
      protocol,
      ports: dport.replace(/[{}\s]/g, ""),
      sources,
      description: comment ?? "",
    });
  }
  return rows;
}
