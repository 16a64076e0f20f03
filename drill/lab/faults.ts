// Network faults inside a node's namespace (nftables): a partition from one peer and its healing, and a flaky WAN.
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { promisify } from "node:util";
import { NodeRuntime } from "./layout";

const run = promisify(execFile);

/** Loads an nftables ruleset file into the node's namespace. */
export async function loadRules(node: NodeRuntime, file: string, rules: string): Promise<void> {
  fs.writeFileSync(file, rules);
  await run("ip", ["netns", "exec", node.namespace, "nft", "-f", file]);
}

/** In `node`'s namespace, drops all traffic to and from each of `peerAddresses`. */
export async function partition(node: NodeRuntime, peerAddresses: readonly string[], workDir: string): Promise<void> {
  const peers = `{ ${peerAddresses.join(", ")} }`;
  const rules = `table inet drill_partition {
  chain input { type filter hook input priority -10; policy accept; ip saddr ${peers} drop; }
  chain output { type filter hook output priority -10; policy accept; ip daddr ${peers} drop; }
}\n`;
  await loadRules(node, path.join(workDir, `partition-${node.role}.nft`), rules);
}

export async function heal(node: NodeRuntime): Promise<void> {
  await run("ip", ["netns", "exec", node.namespace, "nft", "delete", "table", "inet", "drill_partition"]);
}

const FLAKY_WAN_TABLE = "drill_flaky_wan";

/**
 * A flaky WAN seen from `node`: `lossPercent` of the packets to and from each of `peers` dropped at
 * random (the kernel here has no netem), and a set of blacked-out peers whose elements expire on
 * their own (a blackout ends even if the drill dies). Each rule counts what it dropped.
 */
export async function applyFlakyWan(node: NodeRuntime, peers: readonly string[], lossPercent: number, workDir: string): Promise<void> {
  if (!Number.isInteger(lossPercent) || lossPercent < 0 || lossPercent > 100) {
    throw new Error(`flaky WAN: lossPercent must be a whole number from 0 to 100, got ${lossPercent}`);
  }
  const list = `{ ${peers.join(", ")} }`;
  const chain = (name: string, hook: string, field: string) => `  chain ${name} {
    type filter hook ${hook} priority -20; policy accept;
    ip ${field} @blackout counter drop comment "blackout"
    ip ${field} ${list} numgen random mod 100 < ${lossPercent} counter drop comment "loss"
  }`;
  const rules = `table inet ${FLAKY_WAN_TABLE} {
  set blackout { type ipv4_addr; flags timeout; }
${chain("input", "input", "saddr")}
${chain("output", "output", "daddr")}
}\n`;
  await loadRules(node, path.join(workDir, `flaky-wan-${node.role}.nft`), rules);
}

/** Drops everything between `node` and `peerAddress` for `ms` (the kernel removes the element then). */
export async function blackout(node: NodeRuntime, peerAddress: string, ms: number): Promise<void> {
  await run("ip", ["netns", "exec", node.namespace, "nft", "add", "element", "inet", FLAKY_WAN_TABLE, "blackout", `{ ${peerAddress} timeout ${Math.round(ms)}ms }`]);
}

/** Packets dropped so far by the flaky-WAN rules in `node`'s namespace, by rule (blackout, loss). */
export async function flakyWanDrops(node: NodeRuntime): Promise<{ blackout: number; loss: number }> {
  const { stdout } = await run("ip", ["netns", "exec", node.namespace, "nft", "-j", "list", "table", "inet", FLAKY_WAN_TABLE]);
  type Rule = { comment?: string; expr: { counter?: { packets: number } }[] };
  const rules = (JSON.parse(stdout).nftables as { rule?: Rule }[]).flatMap((entry) => (entry.rule ? [entry.rule] : []));
  const dropped = (comment: string) =>
    rules.filter((rule) => rule.comment === comment).reduce((sum, rule) => sum + rule.expr.reduce((n, e) => n + (e.counter?.packets ?? 0), 0), 0);
  return { blackout: dropped("blackout"), loss: dropped("loss") };
}

export async function removeFlakyWan(node: NodeRuntime): Promise<void> {
  await run("ip", ["netns", "exec", node.namespace, "nft", "delete", "table", "inet", FLAKY_WAN_TABLE]);
}
