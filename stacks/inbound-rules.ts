import { dataNodeInboundRules, type FirewallRule, hostCidr, witnessInboundRules } from "../estate/firewall-rules";
import { type NodeRole, nodeRoles } from "../estate/schema";
import type { PeerAddresses } from "../cloud-init/node-config";

/**
 * Each node's inbound rules, for its provider firewall and its host firewall alike: SSH from the
 * admin networks, the estate's own traffic from the other nodes. Every node sends from its reserved
 * address alone, so each allow-list names only the peers' reserved addresses: they exist before any
 * server does (no server's user-data waits for another server) and they survive a rebuild.
 */
export function inboundRulesByRole(adminCidrs: readonly string[], peers: PeerAddresses): Record<NodeRole, FirewallRule[]> {
  const otherNodes = (role: NodeRole) => nodeRoles.filter((other) => other !== role).map((other) => hostCidr(peers[other]));
  return {
    primary: dataNodeInboundRules({ adminCidrs, estatePeers: otherNodes("primary") }),
    standby: dataNodeInboundRules({ adminCidrs, estatePeers: otherNodes("standby") }),
    witness: witnessInboundRules({ adminCidrs, estatePeers: otherNodes("witness") }),
  };
}
