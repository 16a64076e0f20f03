import { Annotations, IAspect, TerraformResource } from "cdktf";
import { IConstruct } from "constructs";
import { protectedPorts, protectedPortsIn, worldIpv4, worldIpv6 } from "../estate/firewall-rules";
import { synthesizedAttributes } from "./synthesized-attributes";

const worldSources = [worldIpv4, worldIpv6];

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

function asList(value: unknown): Record<string, unknown>[] {
  return Array.isArray(value) ? (value as Record<string, unknown>[]) : [];
}

function asStrings(value: unknown): string[] {
  return Array.isArray(value) ? value.map(String) : [];
}
