import { DnsRecord } from "@cdktf/provider-cloudflare/lib/dns-record";
import { LoadBalancer } from "@cdktf/provider-cloudflare/lib/load-balancer";
import { LoadBalancerMonitor } from "@cdktf/provider-cloudflare/lib/load-balancer-monitor";
import { FailoverDns, FailoverDnsProps } from "../../constructs/failover-dns";
import { onlyResource, synthScope } from "../support/synth-scope";

const props: FailoverDnsProps = {
  domain: "dr.example.org",
  zoneId: "0123456789abcdef0123456789abcdef",
  accountId: "fedcba9876543210fedcba9876543210",
  ttl: 30,
  healthCheckIntervalSeconds: 15,
  nodes: [
    { name: "primary", ipv4: "203.0.113.10", ipv6: "2001:db8:10::10" },
    { name: "standby", ipv4: "198.51.100.20" },
  ],
  serviceHostnames: ["api", "live"],
  primaryIpv4: "203.0.113.10",
  standbyIpv4: "198.51.100.20",
};

describe("FailoverDns", () => {
  const { synthesized, json } = synthScope((scope) => {
    new FailoverDns(scope, "dns", props);
  });
  const records = Object.values(json.resource.cloudflare_dns_record);
  const pools = Object.values(json.resource.cloudflare_load_balancer_pool);

  test("gives each node an A record, and an AAAA record when it has IPv6, at the TTL, not proxied", () => {
    expect(records.map((record) => [record.name, record.type, record.content])).toEqual([
      ["primary.dr.example.org", "A", "203.0.113.10"],
      ["primary.dr.example.org", "AAAA", "2001:db8:10::10"],
      ["standby.dr.example.org", "A", "198.51.100.20"],
    ]);
    for (const record of records) {
      expect(record).toMatchObject({ zone_id: props.zoneId, ttl: 30, proxied: false });
    }
    expect(synthesized).not.toHaveResourceWithProperties(DnsRecord, { name: "standby.dr.example.org", type: "AAAA" });
  });

  test("checks /healthz over HTTP at the given interval and wants a 200", () => {
    expect(synthesized).toHaveResourceWithProperties(LoadBalancerMonitor, {
      account_id: props.accountId,
      type: "http",
      path: "/healthz",
      port: 80,
      expected_codes: "200",
      interval: 15,
      follow_redirects: false,
    });
  });

  test("has one pool per data node at its address, each watched by the monitor", () => {
    const monitor = onlyResource(json, "cloudflare_load_balancer_monitor");
    expect(pools.map((pool) => [pool.name, pool.origins])).toEqual([
      ["dr-example-org-primary", [{ name: "primary", address: "203.0.113.10", enabled: true }]],
      ["dr-example-org-standby", [{ name: "standby", address: "198.51.100.20", enabled: true }]],
    ]);
    for (const pool of pools) {
      expect(pool.monitor).toBe(monitor.ref("id"));
    }
  });

  test("puts a DNS-only load balancer on each service hostname: primary, then standby, primary as fallback", () => {
    const [primaryPool, standbyPool] = Object.keys(json.resource.cloudflare_load_balancer_pool).map((id) => `\${cloudflare_load_balancer_pool.${id}.id}`);
    const balancers = Object.values(json.resource.cloudflare_load_balancer);
    expect(balancers.map((balancer) => balancer.name)).toEqual(["api.dr.example.org", "live.dr.example.org"]);
    for (const balancer of balancers) {
      expect(balancer).toMatchObject({ zone_id: props.zoneId, default_pools: [primaryPool, standbyPool], fallback_pool: primaryPool, proxied: false, ttl: 30, steering_policy: "off" });
    }
    expect(synthesized).not.toHaveResourceWithProperties(LoadBalancer, { proxied: true });
  });
});
