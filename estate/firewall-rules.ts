// The inbound rules of each role, in one place: the cloud firewalls of the standby and witness and
// the host firewall of the bare-metal primary are all built from these.

export const ports = {
  ssh: 22,
  http: 80,
  https: 443,
  rtmp: 1935,
  postgres: 5432,
  nats: 4222,
  natsCluster: 6222,
  nodeExporter: 9100,
  postgresExporter: 9187,
  prometheus: 9090,
  natsMonitoring: 8222,
  alertmanager: 9093,
  /** The platform's application behind nginx, on loopback. */
  application: 3000,
} as const;

/**
 * SSH, PostgreSQL and NATS (client, cluster, monitoring): never reachable from the whole internet.
 * Enforced on the cloud firewalls by the NoWorldOpenPorts policy and on the primary's host firewall
 * by the cloud-init renderer.
 */
export const protectedPorts: Record<number, string> = {
  [ports.ssh]: "SSH",
  [ports.postgres]: "PostgreSQL",
  [ports.nats]: "NATS",
  [ports.natsCluster]: "NATS cluster",
  [ports.natsMonitoring]: "NATS monitoring",
};

/** The protected ports inside a port or range such as "22" or "1-65535". */
export function protectedPortsIn(ports: string): number[] {
  const [low, high = low] = ports.split("-").map(Number);
  return Object.keys(protectedPorts).map(Number).filter((port) => port >= low && port <= high);
}

export const worldIpv4 = "0.0.0.0/0";
export const worldIpv6 = "::/0";
const world = [worldIpv4, worldIpv6];

export interface FirewallRule {
  readonly description: string;
  readonly protocol: "tcp" | "udp";
  readonly port: number;
  /** CIDRs (a single address is written as /32). */
  readonly sources: readonly string[];
}

export interface RolePeers {
  readonly adminCidrs: readonly string[];
  /** CIDRs of the other estate nodes this node must accept database, NATS and scrape traffic from. */
  readonly estatePeers: readonly string[];
}

/** A data node's peers: the other data node also pushes the media to it over SSH. */
export interface DataNodePeers extends RolePeers {
  /** CIDR of the other data node. */
  readonly otherDataNode: string;
}

/** A node that serves the platform: the primary and the warm standby. */
export function dataNodeInboundRules(peers: DataNodePeers): FirewallRule[] {
  return [
    {
      description: "SSH from admin networks, and the other data node's media replication",
      protocol: "tcp",
      port: ports.ssh,
      sources: [...peers.adminCidrs, peers.otherDataNode],
    },
    { description: "HTTP (HLS, /healthz)", protocol: "tcp", port: ports.http, sources: world },
    { description: "HTTPS", protocol: "tcp", port: ports.https, sources: world },
    { description: "RTMP ingest", protocol: "tcp", port: ports.rtmp, sources: world },
    { description: "PostgreSQL replication and failover from estate nodes", protocol: "tcp", port: ports.postgres, sources: peers.estatePeers },
    { description: "NATS clients from estate nodes", protocol: "tcp", port: ports.nats, sources: peers.estatePeers },
    { description: "NATS cluster route from estate nodes", protocol: "tcp", port: ports.natsCluster, sources: peers.estatePeers },
    { description: "node exporter for the witness's Prometheus", protocol: "tcp", port: ports.nodeExporter, sources: peers.estatePeers },
    { description: "PostgreSQL exporter for the witness's Prometheus", protocol: "tcp", port: ports.postgresExporter, sources: peers.estatePeers },
  ];
}

/**
 * The witness: failover monitor, nothing public. Prometheus and Alertmanager have no authentication
 * and listen on loopback; operators reach them through SSH.
 */
export function witnessInboundRules(peers: RolePeers): FirewallRule[] {
  return [
    { description: "SSH from admin networks", protocol: "tcp", port: ports.ssh, sources: peers.adminCidrs },
    { description: "pg_auto_failover monitor from the data nodes", protocol: "tcp", port: ports.postgres, sources: peers.estatePeers },
  ];
}

/** The address as a one-host CIDR, the form both providers' firewalls take. */
export function hostCidr(ipv4: string): string {
  return `${ipv4}/32`;
}
