import { backupPlans } from "./backups";
import { clientFallbackSection } from "./client-fallback";
import { CostEstimate, money } from "./cost";
import { dnsRecords, healthMonitors, LoadBalancerRow, PoolStep } from "./dns";
import { firewallRules } from "./firewall";
import { code, details, table } from "./markdown";
import { estateDiagram } from "./mermaid";
import { EstateNode, notInSynth } from "./nodes";
import { priceNote } from "./prices";
import { Synth } from "./synth";

function poolText(step: PoolStep): string {
  const origins = step.origins.map((o) => `${o.name} ${o.address}${o.enabled ? "" : " (disabled)"}`).join(", ");
  return origins ? `${step.pool} (${origins})` : step.pool;
}

/**
 * What the synthesized estate is, each part a collapsed block: nodes, DNS and failover, firewall,
 * backups, the cost breakdown and a Mermaid diagram.
 */
export function inventorySections(
  synth: Synth,
  nodes: readonly EstateNode[],
  lbs: readonly LoadBalancerRow[],
  cost: CostEstimate,
): string[] {
  const out: string[] = [];

  out.push(...details("Nodes", table(
    ["Role", "Provider", "Location", "Size", "Addresses", "DNS names", "Data volume"],
    nodes.map((n) => [
      n.role, n.provider, n.location, n.size,
      n.addresses.join(", ") || notInSynth,
      n.dnsNames.join(", "),
      n.volumes.map((v) => `${v.sizeGb} GB`).join(", ") || (n.provider === "bare metal" ? "local disks" : "none"),
    ]),
  )));

  out.push(...details("DNS and failover", [
    "### Records", "",
    ...table(["Name", "Type", "Content", "TTL", "Proxied"], dnsRecords(synth).map((r) => [r.name, r.type, r.content, r.ttl, r.proxied ? "yes" : "no"])), "",
    "### Failover order per load balancer", "",
    ...table(
      ["Hostname", "TTL", "Steering", "Failover order (first healthy pool answers)", "Fallback pool"],
      lbs.map((lb) => [lb.hostname, lb.ttl, lb.steering, lb.order.map((step, i) => `${i + 1}. ${poolText(step)}`).join(" → "), lb.fallback ? poolText(lb.fallback) : "none"]),
    ), "",
    "### Health monitors", "",
    ...table(
      ["Monitor", "Type", "Path", "Port", "Interval (s)", "Timeout (s)", "Retries", "Expected codes"],
      healthMonitors(synth).map((m) => [m.name, m.type, m.path, m.port, m.intervalSeconds, m.timeoutSeconds, m.retries, m.expectedCodes]),
    ),
  ]));

  out.push(...details("Client DNS fallback", clientFallbackSection(synth)));

  const firewall: string[] = [];
  const rules = firewallRules(synth, nodes);
  for (const role of [...new Set([...nodes.map((n) => n.role), ...rules.map((r) => r.node)])]) {
    const own = rules.filter((r) => r.node === role);
    firewall.push(`### ${role}`, "");
    if (own.length === 0) {
      firewall.push(`No firewall rules for ${role} ${notInSynth}.`, "");
      continue;
    }
    firewall.push(...table(["Enforced by", "Protocol", "Ports", "Sources", "Description"], own.map((r) => [r.enforcedBy, r.protocol, r.ports, r.sources.join(", "), r.description])), "");
  }
  out.push(...details("Firewall (inbound)", firewall));

  const backups: string[] = [];
  const plans = backupPlans(nodes);
  if (plans.length === 0) {
    backups.push(`Backup schedule and retention: ${notInSynth}.`, "");
  }
  for (const backup of plans) {
    backups.push(`### On ${backup.nodes.join(", ")}`, "");
    backups.push(backup.retention.length > 0
      ? `Retention: ${backup.retention.map((r) => r.meaning).join("; ")}.`
      : `Retention: ${notInSynth}.`, "");
    if (backup.schedule.length > 0) {
      backups.push(...table([`When${backup.timeZone ? ` (${backup.timeZone})` : ""}`, "Cron", "User", "Job"], backup.schedule.map((c) => [c.when, code(c.schedule), c.user, code(c.job)])), "");
    } else {
      backups.push(`Schedule: ${notInSynth}.`, "");
    }
  }
  out.push(...details("Backups", backups));

  out.push(...details("Cost breakdown", [
    ...table(
      ["Provider", "Item", "Quantity", "Unit price", "Monthly"],
      [
        ...cost.lines.map((l) => [l.provider, l.item, `${l.quantity} ${l.unit}`, money(l.unitPrice, l.currency), money(l.monthly, l.currency)]),
        ...cost.totals.map((t) => [`**${t.provider} total**`, "", "", "", `**${money(t.monthly, t.currency)}**`]),
      ],
    ), "",
    `_${priceNote}_`,
  ]));

  out.push(...details("Diagram", ["```mermaid", estateDiagram(nodes, lbs), "```"]));
  return out;
}
