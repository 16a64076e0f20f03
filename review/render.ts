import { backupPlans } from "./backups";
import { estimateCost } from "./cost";
import { dangerousChanges, diffSynths, planChanges, ResourceChange } from "./diff";
import { dnsRecords, healthMonitors, loadBalancers, PoolStep } from "./dns";
import { firewallRules } from "./firewall";
import { estateDiagram } from "./mermaid";
import { estateNodes, notInSynth } from "./nodes";
import { ParsedPlan } from "./plan";
import { priceNote } from "./prices";
import { Synth } from "./synth";

export interface ReviewInput {
  readonly current: Synth;
  /** The synth to compare against (e.g. the main branch's). */
  readonly base?: Synth;
  readonly plan?: ParsedPlan;
  /** Shown in the header. */
  readonly planFile?: string;
}

/** A table cell: pipes escaped, line breaks flattened. */
function cell(value: unknown): string {
  return String(value ?? "").replace(/\|/g, "\\|").replace(/\r?\n/g, " ");
}

function table(headers: string[], rows: unknown[][]): string[] {
  return [`| ${headers.join(" | ")} |`, `| ${headers.map(() => "---").join(" | ")} |`, ...rows.map((row) => `| ${row.map(cell).join(" | ")} |`)];
}

const code = (text: string) => "`" + text.replace(/`/g, "'") + "`";

const actionWords: Record<string, string> = {
  create: "add",
  update: "change in place",
  replace: "REPLACE",
  destroy: "DESTROY",
  move: "move",
  read: "read",
};

function money(amount: number | undefined, currency: string): string {
  if (amount === undefined) {
    return "no price";
  }
  const digits = Math.abs(amount * 100 - Math.round(amount * 100)) > 1e-9 ? 3 : 2;
  return `${currency} ${amount.toFixed(digits)}`;
}

function poolText(step: PoolStep): string {
  const origins = step.origins.map((o) => `${o.name} ${o.address}${o.enabled ? "" : " (disabled)"}`).join(", ");
  return origins ? `${step.pool} (${origins})` : step.pool;
}

/** The Markdown review of a synthesized estate, with its changes against a base synth and/or a plan. */
export function renderReview({ current, base, plan, planFile }: ReviewInput): string {
  const out: string[] = [];
  const nodes = estateNodes(current);
  const lbs = loadBalancers(current);
  const fromPlan = plan ? planChanges(plan, current, base) : [];
  const fromBase = base ? diffSynths(base, current) : [];
  const dangerous = dangerousChanges([...fromBase, ...fromPlan]);

  out.push(`# Estate review: ${current.stackName}`, "");
  if (dangerous.length > 0) {
    out.push("> [!CAUTION]");
    out.push(`> **${dangerous.length} stateful resource${dangerous.length === 1 ? "" : "s"} will be destroyed or replaced.** ` +
      "Their data or addresses are lost (volumes, reserved IPs, buckets); check the backups and the runbook before approving.");
    for (const c of dangerous) {
      const where = c.constructPath ? ` (${c.constructPath})` : "";
      const why = c.details.length > 0 ? `: ${c.details.join("; ")}` : "";
      out.push(`> - ${code(c.address)}${where}: **${c.action === "destroy" ? "destroyed" : "replaced"}** (${c.source})${why}`);
    }
    out.push("");
  }
  const sources = [`synth ${code(current.file)}`];
  if (base) sources.push(`base ${code(base.file)}`);
  if (planFile) sources.push(`plan ${code(planFile)}`);
  out.push(`Reviewed: ${sources.join(" · ")}`, "");

  out.push("## Changes", "");
  if (!plan && !base) {
    out.push("No plan or base synth given (`--plan FILE`, `--base DIR_OR_JSON`): this review describes the estate only.", "");
  }
  if (plan) {
    out.push(`### Plan${planFile ? ` (${code(planFile)})` : ""}`, "");
    const s = plan.summary;
    out.push(s ? `**Plan: ${s.add} to add, ${s.change} to change, ${s.destroy} to destroy.**` : "No `Plan:` summary line found in the plan text.", "");
    out.push(...changeTable(fromPlan, "Note"), "");
  }
  if (base) {
    out.push("### Against the base synth", "");
    out.push(...changeTable(fromBase, "What changed"), "");
    if (fromBase.some((c) => c.action === "replace")) {
      out.push("_Replacement is inferred from attributes that force a new resource; the plan is authoritative._", "");
    }
  }

  out.push("## Nodes", "");
  out.push(...table(
    ["Role", "Provider", "Location", "Size", "Addresses", "DNS names", "Data volume"],
    nodes.map((n) => [
      n.role, n.provider, n.location, n.size,
      n.addresses.join(", ") || notInSynth,
      n.dnsNames.join(", "),
      n.volumes.map((v) => `${v.sizeGb} GB`).join(", ") || (n.provider === "bare metal" ? "local disks" : "none"),
    ]),
  ), "");

  out.push("## DNS and failover", "", "### Records", "");
  out.push(...table(["Name", "Type", "Content", "TTL", "Proxied"], dnsRecords(current).map((r) => [r.name, r.type, r.content, r.ttl, r.proxied ? "yes" : "no"])), "");
  out.push("### Failover order per load balancer", "");
  out.push(...table(
    ["Hostname", "TTL", "Steering", "Failover order (first healthy pool answers)", "Fallback pool"],
    lbs.map((lb) => [lb.hostname, lb.ttl, lb.steering, lb.order.map((step, i) => `${i + 1}. ${poolText(step)}`).join(" → "), lb.fallback ? poolText(lb.fallback) : "none"]),
  ), "");
  out.push("### Health monitors", "");
  out.push(...table(
    ["Monitor", "Type", "Path", "Port", "Interval (s)", "Timeout (s)", "Retries", "Expected codes"],
    healthMonitors(current).map((m) => [m.name, m.type, m.path, m.port, m.intervalSeconds, m.timeoutSeconds, m.retries, m.expectedCodes]),
  ), "");

  out.push("## Firewall (inbound)", "");
  const rules = firewallRules(current, nodes);
  for (const role of [...new Set([...nodes.map((n) => n.role), ...rules.map((r) => r.node)])]) {
    const own = rules.filter((r) => r.node === role);
    out.push(`### ${role}`, "");
    if (own.length === 0) {
      out.push(`No firewall rules for ${role} ${notInSynth}.`, "");
      continue;
    }
    out.push(...table(["Enforced by", "Protocol", "Ports", "Sources", "Description"], own.map((r) => [r.enforcedBy, r.protocol, r.ports, r.sources.join(", "), r.description])), "");
  }

  out.push("## Backups", "");
  const plans = backupPlans(nodes);
  if (plans.length === 0) {
    out.push(`Backup schedule and retention: ${notInSynth}.`, "");
  }
  for (const backup of plans) {
    out.push(`### On ${backup.nodes.join(", ")}`, "");
    out.push(backup.retention.length > 0
      ? `Retention: ${backup.retention.map((r) => r.meaning).join("; ")}.`
      : `Retention: ${notInSynth}.`, "");
    if (backup.schedule.length > 0) {
      out.push(...table([`When${backup.timeZone ? ` (${backup.timeZone})` : ""}`, "Cron", "User", "Job"], backup.schedule.map((c) => [c.when, code(c.schedule), c.user, code(c.job)])), "");
    } else {
      out.push(`Schedule: ${notInSynth}.`, "");
    }
  }

  out.push("## Estimated monthly cost", "");
  const cost = estimateCost(current, nodes);
  out.push(...table(
    ["Provider", "Item", "Quantity", "Unit price", "Monthly"],
    [
      ...cost.lines.map((l) => [l.provider, l.item, `${l.quantity} ${l.unit}`, money(l.unitPrice, l.currency), money(l.monthly, l.currency)]),
      ...cost.totals.map((t) => [`**${t.provider} total**`, "", "", "", `**${money(t.monthly, t.currency)}**`]),
    ],
  ), "");
  out.push(`**Estimated total: ${Object.entries(cost.byCurrency).map(([currency, amount]) => money(amount, currency)).join(" + ")} per month.**`, "");
  if (cost.unpriced.length > 0) {
    out.push(`Not in the price table (left out of the total): ${cost.unpriced.join(", ")}.`, "");
  }
  out.push(`_${priceNote}_`, "");

  out.push("## Diagram", "", "```mermaid", estateDiagram(nodes, lbs), "```", "");
  return out.join("\n");
}

function changeTable(changes: readonly ResourceChange[], noteHeader: string): string[] {
  if (changes.length === 0) {
    return ["No resource changes."];
  }
  const order = ["destroy", "replace", "update", "create", "move"];
  const sorted = [...changes].sort((a, b) => order.indexOf(a.action) - order.indexOf(b.action) || a.address.localeCompare(b.address));
  const counts = order.filter((a) => sorted.some((c) => c.action === a)).map((a) => `${sorted.filter((c) => c.action === a).length} ${actionWords[a]}`);
  return [
    `${counts.join(", ")}.`,
    "",
    ...table(["Action", "Resource", "Construct", noteHeader], sorted.map((c) => [actionWords[c.action] ?? c.action, code(c.address), c.constructPath ?? "", c.details.join("; ")])),
  ];
}
