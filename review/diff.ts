import { serverResourceTypes } from "../policies/first-boot-only";
import { statefulResourceTypes } from "../policies/prevent-destroy";
import { PlanAction, PlanReport } from "./plan-json";
import { resolveLocal, Synth, SynthResource } from "./synth";
import { cloudConfigFiles, parseCloudConfig } from "./user-data";

/** Resources whose loss loses data or an address clients and peers know (the PreventDestroy policy's list). */
export function isStateful(type: string): boolean {
  return statefulResourceTypes.includes(type);
}

/**
 * Attributes whose change makes the provider replace the resource (ForceNew in the provider
 * schema), for the resources where that matters most. A synth-to-synth diff can only say "likely
 * replaced"; the plan text is authoritative.
 */
const replacingAttributes: Record<string, readonly string[]> = {
  hcloud_volume: ["location", "format"],
  hcloud_primary_ip: ["type", "location", "datacenter", "assignee_type"],
  hcloud_server: ["location", "datacenter", "image", "user_data", "ssh_keys"],
  hcloud_volume_attachment: ["server_id", "volume_id"],
  digitalocean_volume: ["region", "initial_filesystem_type", "initial_filesystem_label", "snapshot_id", "filesystem_type"],
  digitalocean_reserved_ip: ["region"],
  digitalocean_droplet: ["region", "image", "user_data", "ssh_keys"],
};

export interface ResourceChange {
  readonly address: string;
  readonly type: string;
  /** `standby/data-volume` when the synth recorded it. */
  readonly constructPath?: string;
  /** `ignored`: only attributes the resource's lifecycle.ignore_changes names changed, so no plan applies them. */
  readonly action: PlanAction | "ignored";
  /** For a replacement the plan orders: the old one destroyed first, or the new one created first. */
  readonly replaceOrder?: "destroy first" | "create first";
  /** What changed, readably: top-level attributes, and for user_data the files it writes. */
  readonly details: string[];
  /** Where the change was seen: the base synth or the plan. */
  readonly source: "synth diff" | "plan";
}

const ignoredKeys = new Set(["//"]);

/** Resources added, changed, destroyed (and likely replaced) between the base synth and this one. */
export function diffSynths(base: Synth, current: Synth): ResourceChange[] {
  const before = new Map(base.resources.map((r) => [r.address, r]));
  const after = new Map(current.resources.map((r) => [r.address, r]));
  const changes: ResourceChange[] = [];
  for (const [address, resource] of after) {
    const old = before.get(address);
    if (!old) {
      changes.push(change(resource, "create", []));
      continue;
    }
    // Values held in locals (the Hetzner user-data) are compared by what they hold.
    const was = (key: string) => resolveLocal(base, old.attributes[key]);
    const now = (key: string) => resolveLocal(current, resource.attributes[key]);
    const changedKeys = [...new Set([...Object.keys(old.attributes), ...Object.keys(resource.attributes)])]
      .filter((key) => !ignoredKeys.has(key) && stable(was(key)) !== stable(now(key)))
      .sort();
    if (changedKeys.length === 0) {
      continue;
    }
    // Attributes the resource ignores after creation (servers' user_data) change nothing until a rebuild.
    const ignoreChanges = resource.attributes.lifecycle?.ignore_changes;
    const ignored = (key: string) => ignoreChanges === "all" || (Array.isArray(ignoreChanges) && ignoreChanges.includes(key));
    const replacing = changedKeys.filter((key) => !ignored(key) && (replacingAttributes[resource.type] ?? []).includes(key));
    const details = changedKeys.flatMap((key) => {
      const named = key === "user_data" || (key === "content" && isCloudConfig(now(key))) ? userDataDetails(key, was(key), now(key)) : [key];
      return named.map((d) =>
        ignored(key) ? `${d} (ignored after creation: applies only when it is rebuilt)` : replacing.includes(key) ? `${d} (forces replacement)` : d,
      );
    });
    const action = replacing.length > 0 ? "replace" : changedKeys.every(ignored) ? "ignored" : "update";
    changes.push(change(resource, action, details));
  }
  for (const [address, resource] of before) {
    if (!after.has(address)) {
      changes.push(change(resource, "destroy", ["removed from the synth"]));
    }
  }
  return changes.sort((a, b) => a.address.localeCompare(b.address));
}

/** The plan's changes as ResourceChanges, with construct paths looked up in the synths when known. */
export function planChanges(plan: PlanReport, ...synths: (Synth | undefined)[]): ResourceChange[] {
  const known = new Map(synths.flatMap((s) => s?.resources ?? []).map((r) => [r.address, r]));
  return plan.changes.map((c) => ({
    address: c.address,
    type: c.type,
    constructPath: known.get(c.address.replace(/\[[^\]]*\]$/, ""))?.constructPath,
    action: c.action,
    replaceOrder: c.replaceOrder,
    details: [
      ...(c.replaceOrder ? [c.replaceOrder] : []),
      ...(c.reason ? [c.reason] : []),
      ...(c.forcedBy.length > 0 ? [`forced by ${c.forcedBy.join(", ")}`] : []),
      ...c.changed,
    ],
    source: "plan" as const,
  }));
}

/**
 * Stateful resources destroyed or replaced, and servers replaced or destroyed, one entry per address
 * (the plan's word wins over the synth diff's).
 */
export function dangerousChanges(changes: readonly ResourceChange[]): ResourceChange[] {
  const byAddress = new Map<string, ResourceChange>();
  for (const c of changes) {
    // Replacing a server rebuilds a node of the estate from its user-data.
    if ((isStateful(c.type) || serverResourceTypes.includes(c.type)) && (c.action === "destroy" || c.action === "replace")) {
      const existing = byAddress.get(c.address);
      if (!existing || c.source === "plan") {
        byAddress.set(c.address, c);
      }
    }
  }
  return [...byAddress.values()];
}

function change(resource: SynthResource, action: ResourceChange["action"], details: string[]): ResourceChange {
  return { address: resource.address, type: resource.type, constructPath: resource.constructPath, action, details, source: "synth diff" };
}

function isCloudConfig(value: unknown): boolean {
  return typeof value === "string" && value.startsWith("#cloud-config");
}

/** For a changed #cloud-config: which files it writes were added, removed or changed, and the packages. */
function userDataDetails(key: string, before: unknown, after: unknown): string[] {
  const oldDoc = parseCloudConfig(before);
  const newDoc = parseCloudConfig(after);
  if (!oldDoc || !newDoc) {
    return [key];
  }
  const oldFiles = new Map(cloudConfigFiles(before).map((f) => [f.path, stable(f)]));
  const newFiles = new Map(cloudConfigFiles(after).map((f) => [f.path, stable(f)]));
  const details: string[] = [];
  for (const [path, file] of newFiles) {
    if (!oldFiles.has(path)) {
      details.push(`${key}: writes new file ${path}`);
    } else if (oldFiles.get(path) !== file) {
      details.push(`${key}: changes ${path}`);
    }
  }
  for (const path of oldFiles.keys()) {
    if (!newFiles.has(path)) {
      details.push(`${key}: no longer writes ${path}`);
    }
  }
  for (const section of Object.keys({ ...oldDoc, ...newDoc }).filter((s) => s !== "write_files").sort()) {
    if (stable(oldDoc[section]) !== stable(newDoc[section])) {
      details.push(`${key}: ${section} changed`);
    }
  }
  return details.length > 0 ? details : [key];
}

/** JSON with sorted keys, so attribute order never counts as a change. */
function stable(value: unknown): string {
  return JSON.stringify(value, (_key, v) =>
    v && typeof v === "object" && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => a.localeCompare(b))) : v,
  ) ?? "undefined";
}
