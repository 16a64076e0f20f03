import { readable, referencedAddresses } from "./references";
import { findResource, resourcesOfType, Synth, SynthResource } from "./synth";

export interface DnsRecordRow {
  readonly name: string;
  readonly type: string;
  readonly content: string;
  readonly ttl: string;
  readonly proxied: boolean;
}

export interface PoolStep {
  readonly pool: string;
  readonly origins: { readonly name: string; readonly address: string; readonly enabled: boolean }[];
  readonly monitor?: string;
}

export interface LoadBalancerRow {
  readonly hostname: string;
  readonly ttl: string;
  readonly steering: string;
  /** default_pools in order: the first healthy pool answers. */
  readonly order: PoolStep[];
  readonly fallback?: PoolStep;
}

export interface MonitorRow {
  readonly name: string;
  readonly type: string;
  readonly path: string;
  readonly port: string;
  readonly intervalSeconds: string;
  readonly timeoutSeconds: string;
  readonly retries: string;
  readonly expectedCodes: string;
}

export function dnsRecords(synth: Synth): DnsRecordRow[] {
  return resourcesOfType(synth, "cloudflare_dns_record", "cloudflare_record")
    .map((record) => ({
      name: String(record.attributes.name ?? record.name),
      type: String(record.attributes.type ?? ""),
      content: readable(synth, record.attributes.content ?? record.attributes.value),
      ttl: record.attributes.ttl === undefined ? "auto" : String(record.attributes.ttl),
      proxied: record.attributes.proxied === true,
    }))
    .sort((a, b) => a.name.localeCompare(b.name) || a.type.localeCompare(b.type));
}

export function loadBalancers(synth: Synth): LoadBalancerRow[] {
  return resourcesOfType(synth, "cloudflare_load_balancer")
    .map((lb) => ({
      hostname: String(lb.attributes.name ?? lb.name),
      ttl: lb.attributes.ttl === undefined ? "auto" : String(lb.attributes.ttl),
      steering: String(lb.attributes.steering_policy ?? "off"),
      order: (lb.attributes.default_pools ?? []).map((pool: unknown) => poolStep(synth, pool)),
      fallback: lb.attributes.fallback_pool === undefined ? undefined : poolStep(synth, lb.attributes.fallback_pool),
    }))
    .sort((a, b) => a.hostname.localeCompare(b.hostname));
}

export function healthMonitors(synth: Synth): MonitorRow[] {
  return resourcesOfType(synth, "cloudflare_load_balancer_monitor").map((monitor) => ({
    name: monitor.constructPath,
    type: String(monitor.attributes.type ?? "http"),
    path: String(monitor.attributes.path ?? "/"),
    port: String(monitor.attributes.port ?? "default"),
    intervalSeconds: String(monitor.attributes.interval ?? "default"),
    timeoutSeconds: String(monitor.attributes.timeout ?? "default"),
    retries: String(monitor.attributes.retries ?? "default"),
    expectedCodes: String(monitor.attributes.expected_codes ?? "default"),
  }));
}

/** The pool a default_pools / fallback_pool entry refers to (a `${...pool.id}` reference or a literal id). */
function poolStep(synth: Synth, reference: unknown): PoolStep {
  const pool: SynthResource | undefined = referencedAddresses(reference).map((a) => findResource(synth, a)).find(Boolean);
  if (!pool) {
    return { pool: readable(synth, reference), origins: [] };
  }
  const monitor = referencedAddresses(pool.attributes.monitor).map((a) => findResource(synth, a)).find(Boolean);
  return {
    pool: String(pool.attributes.name ?? pool.constructPath),
    origins: (pool.attributes.origins ?? []).map((origin: any) => ({
      name: String(origin.name ?? ""),
      address: readable(synth, origin.address),
      enabled: origin.enabled !== false,
    })),
    monitor: monitor ? String(monitor.attributes.path ?? monitor.constructPath) : undefined,
  };
}
