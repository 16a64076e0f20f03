import { LoadBalancerRow } from "./dns";
import { EstateNode } from "./nodes";

/** Mermaid label text: no quotes, brackets or pipes that would end the label early. */
function label(text: string): string {
  return text.replace(/"/g, "#quot;").replace(/[[\]|{}<>]/g, " ");
}

function nodeId(role: string): string {
  return `node_${role.replace(/[^A-Za-z0-9_]/g, "_")}`;
}

/**
 * A flowchart of the estate: clients → DNS / load balancers → nodes in failover order, replication
 * from the primary to the standby, and the witness monitoring both data nodes.
 */
export function estateDiagram(nodes: readonly EstateNode[], loadBalancers: readonly LoadBalancerRow[]): string {
  const lines = ["flowchart LR"];
  lines.push(`  clients(["clients"])`);
  for (const node of nodes) {
    const where = node.provider === "bare metal" ? "bare metal" : `${node.provider} ${node.location} ${node.size}`;
    lines.push(`  ${nodeId(node.role)}["${label(node.role)}<br/>${label(where)}"]`);
  }
  const has = (role: string) => nodes.some((n) => n.role === role);

  // One box per distinct failover order; the hostnames that share it are listed in it.
  const groups = new Map<string, LoadBalancerRow[]>();
  for (const lb of loadBalancers) {
    const key = JSON.stringify([lb.order.map((s) => s.origins.map((o) => o.name)), lb.fallback?.origins.map((o) => o.name)]);
    groups.set(key, [...(groups.get(key) ?? []), lb]);
  }
  let index = 0;
  for (const group of groups.values()) {
    const id = `lb${index++}`;
    const ttl = [...new Set(group.map((lb) => lb.ttl))].join("/");
    lines.push(`  ${id}{{"${[`Cloudflare LB, TTL ${ttl}`, ...group.map((lb) => lb.hostname)].map(label).join("<br/>")}"}}`);
    lines.push(`  clients --> ${id}`);
    group[0].order.forEach((step, position) => {
      for (const origin of step.origins.filter((o) => has(o.name))) {
        lines.push(`  ${id} -->|"${label(`${position + 1}. ${step.pool}`)}"| ${nodeId(origin.name)}`);
      }
    });
    const fallback = group[0].fallback;
    for (const origin of fallback?.origins.filter((o) => has(o.name)) ?? []) {
      lines.push(`  ${id} -.->|"${label(`fallback ${fallback!.pool}`)}"| ${nodeId(origin.name)}`);
    }
  }
  if (has("primary") && has("standby")) {
    lines.push(`  ${nodeId("primary")} ==>|"PostgreSQL replication"| ${nodeId("standby")}`);
  }
  if (has("witness")) {
    for (const role of ["primary", "standby"].filter(has)) {
      lines.push(`  ${nodeId("witness")} -. "monitors" .-> ${nodeId(role)}`);
    }
  }
  return lines.join("\n");
}
