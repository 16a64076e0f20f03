// A loopback stand-in for the two provider API calls a plan of a new estate makes: the server-type
// and size lookups behind each server's precondition. Everything else a plan needs is computed
// offline by the providers. Unknown requests are answered 404 and recorded, so a provider that
// starts calling something new shows up in the validation output instead of hanging it.
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import { CloudProvider, locationsByProvider } from "../estate/provider-catalog";

export interface StandInCatalogue {
  /** Sizes each provider offers, in every one of its locations. */
  readonly offered: Readonly<Record<CloudProvider, readonly string[]>>;
  /** Sizes to report as deprecated (Hetzner) or retired (DigitalOcean) everywhere. */
  readonly deprecated?: readonly string[];
}

export interface ProviderApiStandIn {
  /** Provider settings pointing at the stand-in (HCLOUD_ENDPOINT, DIGITALOCEAN_API_URL). */
  readonly environment: Record<string, string>;
  /** Requests the stand-in could not answer, as `METHOD /path`. */
  readonly unanswered: string[];
  close(): Promise<void>;
}

export async function startProviderApiStandIn(catalogue: StandInCatalogue): Promise<ProviderApiStandIn> {
  const unanswered: string[] = [];
  const deprecated = new Set(catalogue.deprecated ?? []);
  const server = http.createServer((request, response) => {
    const url = new URL(request.url ?? "/", "http://stand-in");
    const reply = (status: number, body: unknown) => {
      response.writeHead(status, { "content-type": "application/json" });
      response.end(JSON.stringify(body));
    };
    if (request.method === "GET" && url.pathname === "/hcloud/v1/server_types") {
      const name = url.searchParams.get("name");
      const types = catalogue.offered.hetzner.filter((type) => name === null || type === name).map((type, index) => hetznerServerType(type, index + 1, deprecated.has(type)));
      return reply(200, { server_types: types, meta: { pagination: { page: 1, per_page: 50, previous_page: null, next_page: null, last_page: 1, total_entries: types.length } } });
    }
    if (request.method === "GET" && url.pathname === "/v2/sizes") {
      const sizes = catalogue.offered.digitalocean.map((slug) => digitalOceanSize(slug, !deprecated.has(slug)));
      return reply(200, { sizes, links: {}, meta: { total: sizes.length } });
    }
    unanswered.push(`${request.method} ${url.pathname}${url.search}`);
    return reply(404, { error: { code: "not_found", message: "not served by the validation stand-in" }, id: "not_found", message: "not served by the validation stand-in" });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    environment: { HCLOUD_ENDPOINT: `${base}/hcloud/v1`, DIGITALOCEAN_API_URL: base },
    unanswered,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

function hetznerServerType(name: string, id: number, isDeprecated: boolean) {
  const deprecation = isDeprecated ? { announced: "2026-01-01T00:00:00Z", unavailable_after: "2026-04-01T00:00:00Z" } : null;
  return {
    id,
    name,
    description: name.toUpperCase(),
    category: "regular_purpose",
    cores: 2,
    memory: 4,
    disk: 40,
    storage_type: "local",
    cpu_type: "shared",
    architecture: name.startsWith("cax") ? "arm" : "x86",
    included_traffic: 0,
    prices: [],
    deprecated: isDeprecated,
    deprecation,
    locations: locationsByProvider.hetzner.map((location, index) => ({ id: index + 1, name: location, recommended: false, available: true, deprecation })),
  };
}

function digitalOceanSize(slug: string, available: boolean) {
  return {
    slug,
    memory: 2048,
    vcpus: 1,
    disk: 50,
    transfer: 2,
    price_monthly: 12,
    price_hourly: 0.01786,
    regions: [...locationsByProvider.digitalocean],
    available,
    description: "Basic",
  };
}
