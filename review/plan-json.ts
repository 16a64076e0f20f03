// Reads the machine-readable plan: the output of `tofu show -json PLANFILE` (or terraform's), JSON
// output format 1.x. Only what the review shows is read: resource_changes (actions, action_reason,
// replace_paths, before/after) and errored.

import { ReviewInputError } from "./synth";

export type PlanAction = "create" | "update" | "replace" | "destroy" | "read" | "move" | "import" | "forget";

export interface PlannedChange {
  readonly address: string;
  /** Resource type, e.g. hcloud_volume. */
  readonly type: string;
  readonly action: PlanAction;
  /** For a replacement: whether the old one goes first (the default) or the new one is created first. */
  readonly replaceOrder?: "destroy first" | "create first";
  /** Why, readably, from `action_reason` (and the previous address of a move). */
  readonly reason?: string;
  /** The attribute paths that force the replacement (`replace_paths`), e.g. `location`, `public_net[0].ipv4_enabled`. */
  readonly forcedBy: string[];
  /** For an update: what changed, `size: "s-1vcpu-1gb" → "s-2vcpu-2gb"`, or only the name when the value is long, nested or sensitive. */
  readonly changed: string[];
}

export interface PlanSummary {
  readonly add: number;
  readonly change: number;
  readonly destroy: number;
  readonly import: number;
  readonly forget: number;
}

export interface PlanReport {
  /** The changes that do something (no-ops and data-source reads are left out). */
  readonly changes: PlannedChange[];
  /** Counted as OpenTofu's `Plan:` line counts them: a replacement adds one and destroys one. */
  readonly summary: PlanSummary;
  /** `errored: true`: the plan stopped on an error, so its changes are incomplete. */
  readonly errored: boolean;
  /** `terraform_version`, e.g. 1.12.6. */
  readonly toolVersion?: string;
}

const reasons: Record<string, string> = {
  replace_because_cannot_update: "cannot be updated in place",
  replace_because_tainted: "tainted",
  replace_by_request: "replacement requested (-replace)",
  replace_by_triggers: "replace_triggered_by changed",
  delete_because_no_resource_config: "removed from the configuration",
  delete_because_no_module: "its module was removed",
  delete_because_wrong_repetition: "count/for_each changed",
  delete_because_count_index: "its count index is gone",
  delete_because_each_key: "its for_each key is gone",
  delete_because_no_move_target: "its moved target does not exist",
  read_because_config_unknown: "read at apply time: its configuration is not known yet",
  read_because_dependency_pending: "read at apply time: a dependency has changes",
};

/** A scalar shown in full up to this length; longer values are named only. */
const shownValueLength = 60;

/** Parses `tofu show -json` output; a ReviewInputError naming `file` when it is not a plan. */
export function parsePlanJson(text: string, file = "plan JSON"): PlanReport {
  let json: any;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new ReviewInputError(`plan JSON is not valid JSON: ${file} (${(error as Error).message})`);
  }
  if (!json || typeof json !== "object" || Array.isArray(json) || typeof json.format_version !== "string") {
    throw new ReviewInputError(`not a plan in JSON (the output of tofu show -json PLANFILE): ${file}`);
  }
  if (!json.format_version.startsWith("1.")) {
    throw new ReviewInputError(`plan JSON format_version ${json.format_version} is not supported (1.x is): ${file}`);
  }
  if (json.resource_changes !== undefined && !Array.isArray(json.resource_changes)) {
    throw new ReviewInputError(`plan JSON resource_changes is not a list: ${file}`);
  }
  const changes = (json.resource_changes ?? []).map(plannedChange).filter((c: PlannedChange | undefined): c is PlannedChange => c !== undefined);
  const count = (...actions: PlanAction[]) => changes.filter((c: PlannedChange) => actions.includes(c.action)).length;
  const imports = (json.resource_changes ?? []).filter((rc: any) => rc?.change?.importing).length;
  return {
    changes,
    summary: {
      add: count("create", "replace"),
      change: count("update"),
      destroy: count("destroy", "replace"),
      import: imports,
      forget: count("forget"),
    },
    errored: json.errored === true,
    toolVersion: typeof json.terraform_version === "string" ? json.terraform_version : undefined,
  };
}

function plannedChange(rc: any): PlannedChange | undefined {
  const actions: string[] = Array.isArray(rc?.change?.actions) ? rc.change.actions : [];
  const address = String(rc?.address ?? "");
  const type = String(rc?.type ?? "");
  const reason = rc.deposed
    ? `the deposed copy ${rc.deposed} a failed create-before-destroy left behind`
    : rc.action_reason ? reasons[rc.action_reason] ?? rc.action_reason : undefined;
  const base = { address, type, forcedBy: [] as string[], changed: [] as string[] };
  const key = actions.join(",");
  if (key === "create,delete" || key === "delete,create") {
    const forcedBy = (Array.isArray(rc.change.replace_paths) ? rc.change.replace_paths : []).map(pathText);
    return { ...base, action: "replace", replaceOrder: key === "delete,create" ? "destroy first" : "create first", reason, forcedBy };
  }
  switch (key) {
    case "create":
      return { ...base, action: "create", reason };
    case "delete":
      return { ...base, action: "destroy", reason };
    case "update":
      return { ...base, action: "update", reason, changed: changedAttributes(rc.change) };
    case "forget":
      return { ...base, action: "forget", reason: reason ?? "removed from the state; the resource itself is kept" };
    case "no-op":
      if (rc.previous_address) {
        return { ...base, action: "move", reason: `moved from ${rc.previous_address}` };
      }
      if (rc.change?.importing) {
        return { ...base, action: "import", reason: rc.change.importing.id ? `import of ${rc.change.importing.id}` : undefined };
      }
      return undefined;
    default:
      // "read" (data sources) and anything a later format adds are not changes to the estate.
      return undefined;
  }
}

/** `["public_net", 0, "ipv4_enabled"]` → `public_net[0].ipv4_enabled`. */
function pathText(path: unknown): string {
  if (!Array.isArray(path)) {
    return String(path);
  }
  return path.map((step, i) => (typeof step === "number" ? `[${step}]` : i === 0 ? String(step) : `.${step}`)).join("");
}

/** The top-level attributes an update changes, with old and new value when short and not sensitive. */
function changedAttributes(change: any): string[] {
  const before = change?.before ?? {};
  const after = change?.after ?? {};
  const unknown = change?.after_unknown ?? {};
  const sensitive = (marks: any, key: string) => marks === true || (marks && typeof marks === "object" && anyTrue(marks[key]));
  const keys = [...new Set([...Object.keys(before), ...Object.keys(after), ...Object.keys(unknown)])].sort();
  const out: string[] = [];
  for (const key of keys) {
    const isUnknown = unknown[key] === true;
    if (!anyTrue(unknown[key]) && stable(before[key]) === stable(after[key])) {
      continue;
    }
    if (sensitive(change.before_sensitive, key) || sensitive(change.after_sensitive, key)) {
      out.push(`${key} (sensitive)`);
    } else if (isShort(before[key]) && (isUnknown || isShort(after[key]))) {
      out.push(`${key}: ${JSON.stringify(before[key] ?? null)} → ${isUnknown ? "(known after apply)" : JSON.stringify(after[key] ?? null)}`);
    } else {
      out.push(key);
    }
  }
  return out;
}

/** Whether a sensitivity or unknown-value mark (true, or objects and lists of marks) marks anything. */
function anyTrue(marks: unknown): boolean {
  return marks === true || (typeof marks === "object" && marks !== null && Object.values(marks).some(anyTrue));
}

function isShort(value: unknown): boolean {
  return (value === null || value === undefined || ["string", "number", "boolean"].includes(typeof value)) && JSON.stringify(value ?? null).length <= shownValueLength;
}

/** JSON with sorted keys, so key order never counts as a change. */
function stable(value: unknown): string {
  return JSON.stringify(value, (_key, v) =>
    v && typeof v === "object" && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => a.localeCompare(b))) : v,
  ) ?? "undefined";
}
