// The ONE place the review's prices live. They are ESTIMATES for a reviewer's sense of scale, not a
// quote: list prices per month, excluding VAT, for the providers' EU locations (Hetzner's US and
// Singapore locations cost more). They were entered from the providers' published price lists as
// they stood on `pricesTakenOn`, without network access, and are never fetched at review time.
// Re-check them against the pricing pages before budgeting, and update `pricesTakenOn` with them.

export const pricesTakenOn = "2025-09-01";

export const priceNote =
  `Estimated list prices per month as of ${pricesTakenOn}, excluding VAT and traffic, EU locations; ` +
  "edit review/prices.ts to update them. The bare-metal primary is not priced.";

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
  hetzner: {
    currency: "EUR",
    servers: {
      cx22: 3.79, cx32: 6.8, cx42: 16.4, cx52: 32.4,
      cpx11: 4.35, cpx21: 7.55, cpx31: 13.6, cpx41: 25.2, cpx51: 54.9,
      cax11: 3.79, cax21: 6.49, cax31: 12.49, cax41: 24.49,
      ccx13: 12.49, ccx23: 24.49, ccx33: 48.49, ccx43: 96.49, ccx53: 192.49, ccx63: 288.49,
    },
    volumePerGb: 0.044,
    reservedIpv4: 0.5,
    reservedIpv4Unassigned: 0.5,
  },
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
  },
  cloudflare: {
    currency: "USD",
    /** Load Balancing subscription: includes `includedOrigins` origins (endpoints) across all pools. */
    loadBalancingBase: 5,
    includedOrigins: 2,
    perExtraOrigin: 5,
  },
} as const satisfies { hetzner: ProviderPrices; digitalocean: ProviderPrices; cloudflare: unknown };
