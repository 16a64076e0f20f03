import { Annotations, IAspect, TerraformResource } from "cdktf";
import { IConstruct } from "constructs";
import { synthesizedAttributes } from "./synthesized-attributes";

/** SSH, PostgreSQL and NATS (client, cluster, monitoring): never reachable from the whole internet. */
export const protectedPorts: Record<number, string> = { 22: "SSH", 5432: "PostgreSQL", 4222: "NATS", 6222: "NATS cluster", 8222: "NATS monitoring" };
const worldSources = ["0.0.0.0/0", "::/0"];

interface InboundRule {
  readonly ports: string;
  readonly sources: readonly string[];
}

/** How each provider's firewall resource spells its inbound rules. */
const inboundRulesByType: Record<string, (attributes: Record<string, unknown>) => InboundRule[]> = {
  hcloud_firewall: (attributes) =>
    asList(attributes.rule)
      .filter((rule) => rule.direction === "in")
      .map((rule) => ({ ports: String(rule.port ?? "1-65535"), sources: asStrings(rule.source_ips) })),
  digitalocean_firewall: (attributes) =>
    asList(attributes.inbound_rule).map((rule) => ({
      ports: String(rule.port_range ?? "1-65535"),
      sources: asStrings(rule.source_addresses),
    })),
};

/** Fails synth when a cloud firewall opens a protected port to 0.0.0.0/0 or ::/0. */
export class NoWorldOpenPortsPolicy implements IAspect {
  visit(node: IConstruct): void {
    if (!(node instanceof TerraformResource)) {
      return;
    }
    const readRules = inboundRulesByType[node.terraformResourceType];
    if (!readRules) {
      return;
    }
    for (const rule of readRules(synthesizedAttributes(node))) {
      const openToWorld = rule.sources.filter((source) => worldSources.includes(source));
      for (const port of protectedPortsIn(rule.ports)) {
        if (openToWorld.length > 0) {
          Annotations.of(node).addError(
            `[NoWorldOpenPorts] ${node.terraformResourceType} opens ${protectedPorts[port]} (port ${port}) to ${openToWorld.join(", ")}; allow only estate peers or admin networks`,
          );
        }
      }
    }
  }
}

/** The protected ports inside a port or range such as "22" or "1-65535". */
export function protectedPortsIn(ports: string): number[] {
  const [low, high = low] = ports.split("-").map(Number);
  return Object.keys(protectedPorts).map(Number).filter((port) => port >= low && port <= high);
}

function asList(value: unknown): Record<string, unknown>[] {
  return Array.isArray(value) ? (value as Record<string, unknown>[]) : [];
}

function asStrings(value: unknown): string[] {
  return Array.isArray(value) ? value.map(String) : [];
}
