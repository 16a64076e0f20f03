import type { NodeRole } from "../estate/schema";
import { Bundle, bundleArchive, bundleFromDocument } from "./bundle";
import { bundleDirectory, runBundled, SshSettings } from "./remote";

/** One running node as the deployed state describes it (the stack's `nodes` output). */
export interface ConvergeNode {
  readonly address: string;
  readonly document: string;
  readonly hostPublicKey: string;
}

/** What converging one node did. */
export interface NodeResult {
  readonly role: NodeRole;
  readonly address: string;
  readonly changed: string[];
  readonly actions: string[];
  readonly pending: string[];
  readonly installed: string[];
  /** From the start of the node's apply until it (and the formation) were healthy again. */
  readonly seconds: number;
}

export interface ConvergeOptions {
  readonly ssh: Omit<SshSettings, "knownHosts">;
  /** Show what would change on each node; change nothing. */
  readonly dryRun?: boolean;
  /** Converge only these roles (default: all three). */
  readonly only?: readonly NodeRole[];
  /** How long a node may take to be healthy again before converge stops. Default 180 s. */
  readonly healthTimeoutSeconds?: number;
  readonly log?: (line: string) => void;
}

/** A node that could not be converged, or was not healthy: converge stops there. */
export class ConvergeError extends Error {}

interface Target {
  readonly role: NodeRole;
  readonly node: ConvergeNode;
  readonly bundle: Bundle;
  readonly archive: Buffer;
}

/**
 * Brings the running nodes up to date with their documents, one at a time: the witness, then the
 * data node that is read-only, then the writable primary. Before and after each node the formation
 * must be settled (one primary, one secondary) and the node's units active; the next node is only
 * touched once the last one is healthy again.
 */
export async function converge(nodes: Record<NodeRole, ConvergeNode>, options: ConvergeOptions): Promise<NodeResult[]> {
  const log = options.log ?? (() => undefined);
  const ssh: SshSettings = { ...options.ssh, knownHosts: Object.values(nodes).map((node) => `${node.address} ${node.hostPublicKey}`) };
  const targets = new Map<NodeRole, Target>(
    (Object.entries(nodes) as [NodeRole, ConvergeNode][]).map(([role, node]) => {
      const bundle = bundleFromDocument(node.document);
      return [role, { role, node, bundle, archive: bundleArchive(bundle) }];
    }),
  );
  const health = async (target: Target) => {
    const args = [...(target.role === "witness" ? ["--formation"] : []), ...target.bundle.units];
    const result = await runBundled(ssh, target.node.address, target.archive, "node-health.sh", args);
    return { ok: result.status === 0, detail: (result.status === 0 ? result.stdout : result.stderr).trim() };
  };
  const settled = async (target: Target, what: string) => {
    const deadline = Date.now() + (options.healthTimeoutSeconds ?? 180) * 1000;
    for (;;) {
      const checks = [await health(target), ...(target.role === "witness" ? [] : [await health(targets.get("witness")!)])];
      const failing = checks.find((check) => !check.ok);
      if (!failing) {
        return checks[0].detail;
      }
      if (options.dryRun || Date.now() > deadline) {
        throw new ConvergeError(`${target.role} (${target.node.address}) ${what}: ${failing.detail}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 2000));
    }
  };

  const wanted = (role: NodeRole) => !options.only || options.only.includes(role);
  // The writable node goes last, whichever role it has today: after a failover that is the standby.
  const readOnly: Target[] = [];
  const writable: Target[] = [];
  for (const role of (["primary", "standby"] as const).filter(wanted)) {
    const target = targets.get(role)!;
    ((await settled(target, "is not healthy before converge")) === "writable" ? writable : readOnly).push(target);
  }
  const order = [...(wanted("witness") ? [targets.get("witness")!] : []), ...readOnly, ...writable];

  const results: NodeResult[] = [];
  for (const target of order) {
    await settled(target, "is not healthy before converge");
    const started = Date.now();
    log(`${target.role} (${target.node.address}): ${options.dryRun ? "checking" : "converging"}`);
    const applied = await runBundled(ssh, target.node.address, target.archive, "converge-apply.sh", [...(options.dryRun ? ["--dry-run"] : []), bundleDirectory]);
    const lines = applied.stdout.split("\n");
    const field = (word: string) => lines.filter((line) => line.startsWith(`${word} `)).map((line) => line.slice(word.length + 1));
    if (applied.status !== 0) {
      throw new ConvergeError(`${target.role} (${target.node.address}): converge-apply failed (exit ${applied.status}) after ${field("changed").length} changed files: ${applied.stderr.trim()}`);
    }
    if (!options.dryRun) {
      await settled(target, "is not healthy after converge");
    }
    const result: NodeResult = {
      role: target.role,
      address: target.node.address,
      changed: field("changed"),
      actions: field("action"),
      pending: field("pending"),
      installed: field("install").flatMap((packages) => packages.split(" ")),
      seconds: Math.round((Date.now() - started) / 100) / 10,
    };
    log(`${target.role}: ${result.changed.length} files changed; actions: ${result.actions.join(", ") || "none"}${result.pending.length ? `; pending: ${result.pending.join("; ")}` : ""}`);
    results.push(result);
  }
  return results;
}
