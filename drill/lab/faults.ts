// Network faults inside a node's namespace (nftables): a partition from one peer, and its healing.
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

/** In `node`'s namespace, drops all traffic to and from `peerAddress`. */
export async function partition(node: NodeRuntime, peerAddress: string, workDir: string): Promise<void> {
  const rules = `table inet drill_partition {
  chain input { type filter hook input priority -10; policy accept; ip saddr ${peerAddress} drop; }
  chain output { type filter hook output priority -10; policy accept; ip daddr ${peerAddress} drop; }
}\n`;
  await loadRules(node, path.join(workDir, `partition-${node.role}.nft`), rules);
}

export async function heal(node: NodeRuntime): Promise<void> {
  await run("ip", ["netns", "exec", node.namespace, "nft", "delete", "table", "inet", "drill_partition"]);
}
