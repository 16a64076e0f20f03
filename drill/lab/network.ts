// The lab's network: a bridge in namespace <id>-net and one veth pair per node into namespaces
// <id>-primary, <id>-standby, <id>-witness and <id>-client. Nothing is configured in the root namespace.
import { execFile, execFileSync } from "node:child_process";
import { promisify } from "node:util";
import { ADDRESSES } from "./layout";

const run = promisify(execFile);

export const labNamespaces = (id: string): string[] => ["net", "primary", "standby", "witness", "client"].map((n) => `${id}-${n}`);

export async function buildNetwork(id: string): Promise<void> {
  const net = `${id}-net`;
  for (const ns of labNamespaces(id)) {
    await run("ip", ["netns", "add", ns]);
    await run("ip", ["-n", ns, "link", "set", "lo", "up"]);
  }
  await run("ip", ["-n", net, "link", "add", "br0", "type", "bridge"]);
  await run("ip", ["-n", net, "link", "set", "br0", "up"]);
  for (const [name, address] of Object.entries(ADDRESSES)) {
    const ns = `${id}-${name}`;
    const outer = `v-${name}`;
    await run("ip", ["-n", net, "link", "add", outer, "type", "veth", "peer", "name", "eth0", "netns", ns]);
    await run("ip", ["-n", net, "link", "set", outer, "master", "br0", "up"]);
    await run("ip", ["-n", ns, "addr", "add", `${address}/24`, "dev", "eth0"]);
    await run("ip", ["-n", ns, "link", "set", "eth0", "up"]);
  }
}

/** Processes still inside the lab's namespaces (a script, psql, the load). */
export function namespacePids(id: string): number[] {
  return labNamespaces(id).flatMap((ns) => {
    try {
      return execFileSync("ip", ["netns", "pids", ns], { stdio: "pipe" }).toString().split("\n").filter(Boolean).map(Number);
    } catch {
      return []; // never created
    }
  });
}

export function deleteNamespaces(id: string): void {
  for (const ns of labNamespaces(id)) {
    try {
      execFileSync("ip", ["netns", "del", ns], { stdio: "pipe" });
    } catch {
      // never created
    }
  }
}
