import { EstateNode } from "./nodes";
import { prices, ProviderPrices } from "./prices";
import { referencedAddresses } from "./references";
import { resourcesOfType, Synth } from "./synth";

export interface CostLine {
  readonly provider: "hetzner" | "digitalocean" | "cloudflare";
  readonly item: string;
  readonly quantity: number;
  readonly unit: string;
  /** Undefined when the price table has no price for it (the line is then left out of the total). */
  readonly unitPrice?: number;
  readonly monthly?: number;
  readonly currency: string;
}

export interface CostEstimate {
  readonly lines: CostLine[];
  /** Per provider, in the provider's currency. */
  readonly totals: { readonly provider: string; readonly currency: string; readonly monthly: number }[];
  /** Per currency, over all providers. */
  readonly byCurrency: Record<string, number>;
  /** Items with no price in the table. */
  readonly unpriced: string[];
}

const round = (value: number) => Math.round(value * 100) / 100;

/** Monthly cost of the estate's cloud resources from the price table in prices.ts. */
export function estimateCost(synth: Synth, nodes: readonly EstateNode[]): CostEstimate {
  const lines: CostLine[] = [];
  const line = (provider: CostLine["provider"], item: string, quantity: number, unit: string, unitPrice: number | undefined) => {
    const currency = prices[provider].currency;
    lines.push({ provider, item, quantity, unit, unitPrice, monthly: unitPrice === undefined ? undefined : round(quantity * unitPrice), currency });
  };

  for (const node of nodes) {
    if (node.provider === "bare metal") {
      continue;
    }
    const table: ProviderPrices = prices[node.provider];
    line(node.provider, `${node.role} server ${node.size}`, 1, "server", table.servers[node.size]);
  }
  for (const volume of resourcesOfType(synth, "hcloud_volume", "digitalocean_volume")) {
    const provider = volume.type.startsWith("hcloud") ? "hetzner" : "digitalocean";
    line(provider, `${volume.owner} volume`, Number(volume.attributes.size ?? 0), "GB", prices[provider].volumePerGb);
  }
  for (const ip of resourcesOfType(synth, "hcloud_primary_ip")) {
    if ((ip.attributes.type ?? "ipv4") === "ipv4") {
      line("hetzner", `${ip.owner} primary IPv4`, 1, "address", prices.hetzner.reservedIpv4);
    }
  }
  const assigned = new Set(
    resourcesOfType(synth, "digitalocean_reserved_ip_assignment").flatMap((a) => referencedAddresses(a.attributes.ip_address)),
  );
  for (const ip of resourcesOfType(synth, "digitalocean_reserved_ip")) {
    const isAssigned = assigned.has(ip.address) || ip.attributes.droplet_id !== undefined;
    line(
      "digitalocean",
      `${ip.owner} reserved IPv4${isAssigned ? " (assigned)" : " (unassigned)"}`,
      1,
      "address",
      isAssigned ? prices.digitalocean.reservedIpv4 : prices.digitalocean.reservedIpv4Unassigned,
    );
  }
  const buckets = resourcesOfType(synth, "digitalocean_spaces_bucket");
  if (buckets.length > 0) {
    const { spacesSubscription, spacesIncludedGib } = prices.digitalocean;
    const what = `${buckets.length} bucket${buckets.length === 1 ? "" : "s"}`;
    line("digitalocean", `Spaces subscription (${what}; includes ${spacesIncludedGib} GiB)`, 1, "subscription", spacesSubscription);
  }
  const pools = resourcesOfType(synth, "cloudflare_load_balancer_pool");
  if (resourcesOfType(synth, "cloudflare_load_balancer").length > 0 || pools.length > 0) {
    const origins = new Set(pools.flatMap((pool) => (pool.attributes.origins ?? []).map((o: any) => JSON.stringify(o.address))));
    const { loadBalancingBase, includedOrigins, perExtraOrigin } = prices.cloudflare;
    line("cloudflare", `Load Balancing (includes ${includedOrigins} origins)`, 1, "subscription", loadBalancingBase);
    const extra = Math.max(0, origins.size - includedOrigins);
    if (extra > 0) {
      line("cloudflare", "Load Balancing extra origins", extra, "origin", perExtraOrigin);
    }
  }

  const totals: CostEstimate["totals"] = [];
  const byCurrency: Record<string, number> = {};
  for (const provider of [...new Set(lines.map((l) => l.provider))]) {
    const priced = lines.filter((l) => l.provider === provider && l.monthly !== undefined);
    const monthly = round(priced.reduce((sum, l) => sum + l.monthly!, 0));
    const currency = prices[provider].currency;
    totals.push({ provider, currency, monthly });
    byCurrency[currency] = round((byCurrency[currency] ?? 0) + monthly);
  }
  return { lines, totals, byCurrency, unpriced: lines.filter((l) => l.unitPrice === undefined).map((l) => l.item) };
}

/** `current` minus `base`, per currency found in either (a currency only in one counts 0 in the other). */
export function costDelta(current: CostEstimate, base: CostEstimate): Record<string, number> {
  const currencies = [...new Set([...Object.keys(current.byCurrency), ...Object.keys(base.byCurrency)])].sort();
  return Object.fromEntries(currencies.map((c) => [c, round((current.byCurrency[c] ?? 0) - (base.byCurrency[c] ?? 0))]));
}

/** `EUR 12.49`; up to four decimals when the amount has them (volume prices per GB). */
export function money(amount: number | undefined, currency: string): string {
  if (amount === undefined) {
    return "no price";
  }
  const digits = [2, 3].find((d) => Math.abs(amount * 10 ** d - Math.round(amount * 10 ** d)) < 1e-9) ?? 4;
  return `${currency} ${amount.toFixed(digits)}`;
}

/** `EUR +2.50`, `USD -5.00`, `EUR ±0.00`. */
export function signedMoney(amount: number, currency: string): string {
  const sign = amount > 0 ? "+" : amount < 0 ? "-" : "±";
  return `${currency} ${sign}${Math.abs(amount).toFixed(2)}`;
}
