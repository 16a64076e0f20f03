import { dataNodeInboundRules, type FirewallRule, hostCidr, witnessInboundRules } from "../estate/firewall-rules";
import { type NodeRole, nodeRoles } from "../estate/schema";
import type { PeerAddresses } from "../cloud-init/node-config";

/**
 * Each node's inbound rules, for its provider firewall and its host firewall alike: SSH from the
 * admin networks, the estate's own traffic from the other nodes (SSH too between the data nodes,
 * for the media replication). Every node sends from its reserved
 * address alone, so each allow-list names only the peers' reserved addresses: they exist before any
 * server does (no server's user-data waits for another server) and they survive a rebuild.
 */
export function inboundRulesByRole(adminCidrs: readonly string[], peers: PeerAddresses): Record<NodeRole, FirewallRule[]> {
  const otherNodes = (role: NodeRole) => nodeRoles.filter((other) => other !== role).map((other) => hostCidr(peers[other]));
  return {
    primary: dataNodeInboundRules({ adminCidrs, estatePeers: otherNodes("primary"), otherDataNode: hostCidr(peers.standby) }),
    standby: dataNodeInboundRules({ adminCidrs, estatePeers: otherNodes("standby"), otherDataNode: hostCidr(peers.primary) }),
    witness: witnessInboundRules({ adminCidrs, estatePeers: otherNodes("witness") }),
  };
}
