// The ONE place the review's prices live. They are ESTIMATES for a reviewer's sense of scale, not a
// quote: list prices per month, excluding VAT and traffic, for the providers' EU locations (Hetzner's
// US and Singapore locations cost more), and never fetched at review time. Each block says where its
// figures came from and when; "not re-checked" marks a figure carried over from the previous table
// that no 2026 source confirmed. Re-check them all against the providers' pricing pages before
// budgeting, and move `pricesTakenOn` with them: the review warns when it is over six months old.

/**
 * The date of the oldest source the confirmed figures below were read from (2026-09-04, Hetzner);
 * the table was entered on 2026-12-01.
 */
export const pricesTakenOn = "2026-09-04";

export const priceNote =
  `Estimated list prices per month as of ${pricesTakenOn}, excluding VAT and traffic, EU locations, ` +
  "for servers ordered now; edit review/prices.ts to update them. The bare-metal primary is not priced.";

export interface ProviderPrices {
  readonly currency: "EUR" | "USD";
  /** Monthly price per server type / droplet size. */
  readonly servers: Readonly<Record<string, number>>;
  /** Block storage, per GB and month. */
  readonly volumePerGb: number;
  /** A reserved (Hetzner primary) IPv4 address assigned to a server. */
  readonly reservedIpv4: number;
  /** A reserved IPv4 address that is not assigned to any server. */
  readonly reservedIpv4Unassigned: number;
}

export const prices = {
  // Hetzner Cloud, EUR, server without its primary IPv4 (priced on its own below), for servers
  // ordered or rescaled since Hetzner's 2026-06-15 adjustment; a server ordered before that keeps
  // its April 2026 price (cx33 6.49, cx23 3.99), but a rebuild after a disaster is a new order.
  // - cx23 5.49, cpx22 19.49, cax41 40.99, ccx13 42.99, ccx53 533.49: Hetzner's price-adjustment
  //   table (docs.hetzner.com/general/infrastructure-and-availability/price-adjustment/) as quoted
  //   on 2026-09-04 in github.com/robhunter/agentdeals/pull/1324; cx23 5.49, cx33 8.49, cx43 15.99,
  //   cx53 29.49 as given on 2026-07-26 in github.com/CanineHQ/canine/issues/652. Hetzner's own
  //   table was not read here.
  // - The other types: hetzner.com's plan pages as read through Hetzner's website price API on
  //   2026-09-03/04 (github.com/robhunter/agentdeals, src/hetzner-pricing.ts), which show each
  //   price WITH a primary IPv4: every type both sources give differs by exactly the IPv4's 0.50,
  //   so these are that figure minus 0.50. Derived, not read.
  // - On 2026-09-03 hetzner.com marked every cx and cax type "not available" to order; their
  //   prices are listed, but a rebuild may not get them.
  // - volumePerGb 0.0572: Hetzner's pricing API on 2026-05-27 (github.com/devantler-tech/platform,
  //   commit cb791c6f); Hetzner's June announcement says volumes and IPs were not repriced.
  // - Primary IPv4 0.50 (assigned or not): hetzner.com add-on prices, 2026-09-04 (same source).
  hetzner: {
    currency: "EUR",
    servers: {
      cx23: 5.49, cx33: 8.49, cx43: 15.99, cx53: 29.49,
      cpx22: 19.49, cpx32: 35.49, cpx42: 69.49, cpx52: 100.49, cpx62: 129.99,
      cax11: 5.99, cax21: 10.49, cax31: 20.99, cax41: 40.99,
      ccx13: 42.99, ccx23: 85.99, ccx33: 138.49, ccx43: 275.99, ccx53: 533.49, ccx63: 853.49,
    },
    volumePerGb: 0.0572,
    reservedIpv4: 0.5,
    reservedIpv4Unassigned: 0.5,
  },
  // DigitalOcean, USD.
  // - s-2vcpu-4gb 24, s-4vcpu-8gb 48, s-8vcpu-16gb 96: a droplet list "list price on 2026-09-23"
  //   (third-party code quoting digitalocean.com/pricing/droplets), and s-2vcpu-4gb at 24 in a
  //   /v2/sizes response from late September 2026. The other sizes are not re-checked: they are
  //   the 2024-2025 list prices, unchanged as far as the figures above show.
  // - volumePerGb 0.10: not re-checked.
  // - Reserved IPv4: free while assigned to a droplet (docs.digitalocean.com, reserved IPs, last
  //   updated 2025-06-17); the 5 a month for an unassigned one is not re-checked.
  // - spacesSubscription 5, including 250 GiB of storage and 1 TiB of outbound transfer per team:
  //   not re-checked (the brief for this table and the long-standing Spaces pricing).
  digitalocean: {
    currency: "USD",
    servers: {
      "s-1vcpu-512mb-10gb": 4, "s-1vcpu-1gb": 6, "s-1vcpu-2gb": 12, "s-2vcpu-2gb": 18, "s-2vcpu-4gb": 24,
      "s-4vcpu-8gb": 48, "s-8vcpu-16gb": 96,
      "g-2vcpu-8gb": 63, "c-2": 42, "c-4": 84, "m-2vcpu-16gb": 84,
    },
    volumePerGb: 0.1,
    reservedIpv4: 0,
    reservedIpv4Unassigned: 5,
    /** Spaces is one subscription per team, however many buckets it holds. */
    spacesSubscription: 5,
    spacesIncludedGib: 250,
  },
  // Cloudflare Load Balancing, USD: 5 a month including 2 origins (endpoints) across all pools, 5 per
  // extra origin. Not re-checked since the previous table.
  cloudflare: {
    currency: "USD",
    loadBalancingBase: 5,
    includedOrigins: 2,
    perExtraOrigin: 5,
  },
} as const satisfies {
  hetzner: ProviderPrices;
  digitalocean: ProviderPrices & { spacesSubscription: number; spacesIncludedGib: number };
  cloudflare: unknown;
};

/** True when `pricesTakenOn` is more than six months before `now`. */
export function pricesAreStale(now: Date, takenOn = pricesTakenOn): boolean {
  const limit = new Date(`${takenOn}T00:00:00Z`);
  limit.setUTCMonth(limit.getUTCMonth() + 6);
  return now.getTime() > limit.getTime();
}
