import { DnsRecord } from "@cdktf/provider-cloudflare/lib/dns-record";
import { LoadBalancer } from "@cdktf/provider-cloudflare/lib/load-balancer";
import { LoadBalancerMonitor } from "@cdktf/provider-cloudflare/lib/load-balancer-monitor";
import { LoadBalancerPool } from "@cdktf/provider-cloudflare/lib/load-balancer-pool";
import { Construct } from "constructs";
import { ports } from "../estate/firewall-rules";

export interface NodeAddressRecord {
  /** Record name below the domain, such as `standby`. */
  readonly name: string;
  readonly ipv4: string;
  readonly ipv6?: string;
}

export interface FailoverDnsProps {
  readonly domain: string;
  readonly zoneId: string;
  readonly accountId: string;
  readonly ttl: number;
  readonly healthCheckIntervalSeconds: number;
  /** A and AAAA records for every node. */
  readonly nodes: NodeAddressRecord[];
  /** Service hostnames (labels below the domain) that follow the writable database. */
  readonly serviceHostnames: string[];
  readonly primaryIpv4: string;
  readonly standbyIpv4: string;
}

/**
 * Cloudflare DNS for the estate: a record per node, and for each service hostname a DNS-only load
 * balancer that answers with the primary while its /healthz says it holds the writable database,
 * and with the standby otherwise. DNS-only (not proxied) because RTMP must reach the origin.
 */
export class FailoverDns extends Construct {
  readonly loadBalancers: LoadBalancer[];

  constructor(scope: Construct, id: string, props: FailoverDnsProps) {
    super(scope, id);
    for (const node of props.nodes) {
      this.record(`${node.name}-a`, node.name, "A", node.ipv4, props);
      if (node.ipv6) {
        this.record(`${node.name}-aaaa`, node.name, "AAAA", node.ipv6, props);
      }
    }

    const monitor = new LoadBalancerMonitor(this, "healthz-monitor", {
      accountId: props.accountId,
      description: "writable PostgreSQL primary behind /healthz",
      type: "http",
      method: "GET",
      path: "/healthz",
      port: ports.http,
      expectedCodes: "200",
      interval: props.healthCheckIntervalSeconds,
      timeout: 5,
      retries: 2,
      followRedirects: false,
    });
    const primaryPool = this.pool("primary-pool", "primary", props.primaryIpv4, monitor, props);
    const standbyPool = this.pool("standby-pool", "standby", props.standbyIpv4, monitor, props);

    this.loadBalancers = props.serviceHostnames.map(
      (hostname) =>
        new LoadBalancer(this, `${hostname}-load-balancer`, {
          zoneId: props.zoneId,
          name: `${hostname}.${props.domain}`,
          description: "primary first, standby when the primary is not the writable database",
          defaultPools: [primaryPool.id, standbyPool.id],
          // Cloudflare answers with the fallback pool only when every pool is unhealthy: the monitor
          // cannot reach either node, or neither is writable. The primary's node is the likelier
          // writer then; the standby, a read-only replica, would take all traffic for nothing.
          fallbackPool: primaryPool.id,
          steeringPolicy: "off",
          proxied: false,
          ttl: props.ttl,
        }),
    );
  }

  private record(id: string, name: string, type: "A" | "AAAA", content: string, props: FailoverDnsProps) {
    new DnsRecord(this, id, {
      zoneId: props.zoneId,
      name: `${name}.${props.domain}`,
      type,
      content,
      ttl: props.ttl,
      proxied: false,
    });
  }

  private pool(id: string, node: string, address: string, monitor: LoadBalancerMonitor, props: FailoverDnsProps) {
    return new LoadBalancerPool(this, id, {
      accountId: props.accountId,
      name: `${props.domain.replace(/\./g, "-")}-${node}`,
      description: `the ${node} node`,
      origins: [{ name: node, address, enabled: true }],
      monitor: monitor.id,
      minimumOrigins: 1,
    });
  }
}
