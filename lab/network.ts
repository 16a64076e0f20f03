// The lab's private network: a bridge in its own namespace, and one namespace per host (the three
// nodes and a client), each with an `eth0` on the bridge. The nodes' containers join their namespace
// and configure the address themselves from their NoCloud network-config; the client's is set here.
// Nothing is configured in the machine's own network namespace.
import { execFileSync } from "node:child_process";

export interface LabNetwork {
  readonly bridgeNamespace: string;
  /** Namespace of each host, by name. */
  readonly namespaces: Record<string, string>;
  /** Runs a command in a host's namespace (`ip netns exec`). */
  exec(host: string, command: string, args: readonly string[]): string;
  /** `ip netns exec NS` prefix for spawning long-running programs there. */
  prefix(host: string): string[];
  remove(): void;
}

const ip = (...args: string[]) => execFileSync("ip", args, { stdio: "pipe" }).toString();

/**
 * Creates the network. `clients` get their address now (`address/prefix`); the nodes' namespaces
 * get an interface without one. The bridge carries no address: hosts reach only each other.
 */
export function createLabNetwork(id: string, hosts: { readonly nodes: readonly string[]; readonly clients: Readonly<Record<string, string>> }): LabNetwork {
  const bridgeNamespace = `${id}-net`;
  const all = [...hosts.nodes, ...Object.keys(hosts.clients)];
  const namespaces = Object.fromEntries(all.map((host) => [host, `${id}-${host}`]));
  const created: string[] = [];
  const remove = () => {
    for (const namespace of created.reverse()) {
      try {
        ip("netns", "del", namespace);
      } catch {
        // already gone
      }
    }
    created.length = 0;
  };
  try {
    ip("netns", "add", bridgeNamespace);
    created.push(bridgeNamespace);
    ip("-n", bridgeNamespace, "link", "add", "br0", "type", "bridge");
    ip("-n", bridgeNamespace, "link", "set", "br0", "up");
    ip("-n", bridgeNamespace, "link", "set", "lo", "up");
    all.forEach((host, index) => {
      const namespace = namespaces[host];
      ip("netns", "add", namespace);
      created.push(namespace);
      const outer = `veth${index}`;
      ip("-n", bridgeNamespace, "link", "add", outer, "type", "veth", "peer", "name", "eth0", "netns", namespace);
      ip("-n", bridgeNamespace, "link", "set", outer, "master", "br0", "up");
      ip("-n", namespace, "link", "set", "lo", "up");
      if (host in hosts.clients) {
        ip("-n", namespace, "addr", "add", hosts.clients[host], "dev", "eth0");
        ip("-n", namespace, "link", "set", "eth0", "up");
      }
    });
  } catch (error) {
    remove();
    throw error;
  }
  const exec = (host: string, command: string, args: readonly string[]) =>
    execFileSync("ip", ["netns", "exec", namespaces[host], command, ...args], { stdio: "pipe", maxBuffer: 64 * 1024 * 1024 }).toString();
  return {
    bridgeNamespace,
    namespaces,
    exec,
    prefix: (host) => ["ip", "netns", "exec", namespaces[host]],
    remove,
  };
}
