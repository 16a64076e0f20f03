import { isIP } from "node:net";
import type { CloudConfigPart } from "../cloud-config";
import { renderTemplate } from "../files";
import type { NodeConfig } from "../node-config";
import { FirewallRule, protectedPorts, protectedPortsIn } from "../../estate/firewall-rules";

/** Hetzner's and DigitalOcean's metadata service: it serves the user-data, secrets and all. */
export const metadataServiceAddress = "169.254.169.254";

/**
 * The node's own firewall (nftables): the inbound rules of its role, the same as its provider
 * firewall on a cloud node (the bare-metal primary has none), and the metadata service for root
 * only. A node without hostFirewallRules (the lab's containers) gets nothing from this piece.
 */
export function hostFirewall(node: NodeConfig): CloudConfigPart {
  if (node.hostFirewallRules === undefined) {
    return {};
  }
  return {
    packages: ["nftables"],
    writeFiles: [
      {
        path: "/etc/nftables.conf",
        content: renderTemplate("firewall/nftables.conf", { rules: nftablesRuleLines(node.hostFirewallRules), metadataAddress: metadataServiceAddress }),
        permissions: "0755",
        // After the packages: the nftables package ships /etc/nftables.conf as a conffile.
        defer: true,
      },
    ],
    // reload: an nftables service that was already running (an image's default ruleset) takes ours too.
    runcmd: ["systemctl enable --now nftables", "systemctl reload nftables"],
  };
}

/** One nftables accept rule per address family and FirewallRule, indented for the input chain. */
export function nftablesRuleLines(rules: readonly FirewallRule[]): string {
  return rules.flatMap(ruleLines).map((line) => `\t\t${line}`).join("\n");
}

function ruleLines(rule: FirewallRule): string[] {
  if (!Number.isInteger(rule.port) || rule.port < 1 || rule.port > 65535) {
    throw new Error(`host firewall rule "${rule.description}": port ${rule.port} is not a port number`);
  }
  if (rule.protocol !== "tcp" && rule.protocol !== "udp") {
    throw new Error(`host firewall rule "${rule.description}": protocol ${String(rule.protocol)} is not tcp or udp`);
  }
  const ipv4 = rule.sources.filter((source) => familyOf(rule, source) === 4);
  const ipv6 = rule.sources.filter((source) => familyOf(rule, source) === 6);
  const anyIpv4 = ipv4.some(isWorld);
  const anyIpv6 = ipv6.some(isWorld);
  const guarded = protectedPortsIn(String(rule.port));
  if ((anyIpv4 || anyIpv6) && guarded.length > 0) {
    const world = rule.sources.filter(isWorld).join(", ");
    throw new Error(
      `host firewall rule "${rule.description}" opens ${protectedPorts[guarded[0]]} (port ${rule.port}) to ${world}; allow only estate peers or admin networks`,
    );
  }
  const match = `${rule.protocol} dport ${rule.port}`;
  const tail = `accept comment "${commentOf(rule.description)}"`;
  if (anyIpv4 && anyIpv6) {
    return [`${match} ${tail}`];
  }
  const lines: string[] = [];
  if (anyIpv4) {
    lines.push(`meta nfproto ipv4 ${match} ${tail}`);
  } else if (ipv4.length > 0) {
    lines.push(`ip saddr { ${ipv4.join(", ")} } ${match} ${tail}`);
  }
  if (anyIpv6) {
    lines.push(`meta nfproto ipv6 ${match} ${tail}`);
  } else if (ipv6.length > 0) {
    lines.push(`ip6 saddr { ${ipv6.join(", ")} } ${match} ${tail}`);
  }
  return lines;
}

/** Any CIDR with a /0 prefix is the whole internet of its family (0.0.0.0/0, ::/0, 0::/0...). */
function isWorld(source: string): boolean {
  return /\/0+$/.test(source.trim());
}

/**
 * 4 or 6. Literal sources must be an address or CIDR; a Terraform token (the standby's address, known
 * at apply time) is placed as is and counts as IPv4, the only kind the estate's nodes are given.
 */
function familyOf(rule: FirewallRule, source: string): 4 | 6 {
  if (isToken(source)) {
    return 4;
  }
  const match = /^([0-9a-fA-F:.]+)(?:\/(\d{1,3}))?$/.exec(source);
  const family = match ? isIP(match[1]) : 0;
  const prefix = match?.[2] === undefined ? undefined : Number(match[2]);
  if ((family !== 4 && family !== 6) || (prefix !== undefined && prefix > (family === 4 ? 32 : 128))) {
    throw new Error(`host firewall rule "${rule.description}": source ${JSON.stringify(source)} is not an IPv4 or IPv6 address or CIDR`);
  }
  return family;
}

/** A cdktf token, or the Terraform interpolation it becomes: "${...}" followed by an optional /NN. */
function isToken(source: string): boolean {
  return /^\$\{[^"\n{}]*(\{[^"\n{}]*\}[^"\n{}]*)*\}(\/\d{1,3})?$/.test(source);
}

/** nftables comments are double-quoted and at most 128 bytes. */
function commentOf(description: string): string {
  return description.replace(/["\\\n\r]/g, "").slice(0, 120);
}
