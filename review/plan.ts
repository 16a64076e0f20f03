// Parses the human plan text of `tofu plan -no-color` / `terraform plan -no-color` (and `cdktf diff`,
// which prefixes every line with the stack name).

export type PlanAction = "create" | "update" | "replace" | "destroy" | "read" | "move";

export interface PlannedChange {
  readonly address: string;
  /** Resource type, e.g. hcloud_volume (module path and index stripped). */
  readonly type: string;
  readonly action: PlanAction;
  /** The `(because ...)` explanation Terraform printed under the header, when any. */
  readonly reason?: string;
  /** Attributes marked `# forces replacement` in the change's body. */
  readonly forcedBy: string[];
}

export interface PlanSummary {
  readonly add: number;
  readonly change: number;
  readonly destroy: number;
  readonly import?: number;
}

export interface ParsedPlan {
  readonly changes: PlannedChange[];
  /** The `Plan: N to add, N to change, N to destroy.` line; `{0,0,0}` for "No changes."; undefined when neither is found. */
  readonly summary?: PlanSummary;
}

const headers: [RegExp, PlanAction][] = [
  [/ will be created$/, "create"],
  [/ will be updated in-place$/, "update"],
  [/ must be replaced$/, "replace"],
  [/ will be replaced, as requested$/, "replace"],
  [/ will be destroyed$/, "destroy"],
  [/ will be read during apply$/, "read"],
  [/ has moved to \S+$/, "move"],
];

// eslint-disable-next-line no-control-regex
const ansi = /\u001b\[[0-9;]*m/g;

export function parsePlan(text: string): ParsedPlan {
  const changes: PlannedChange[] = [];
  let summary: PlanSummary | undefined;
  const lines = text.replace(ansi, "").split(/\r?\n/);
  lines.forEach((line, index) => {
    const forced = /^\s*(?:\S+\s+)?[~+-]\s+"?([\w-]+)"?\s+=.*#\s*forces replacement\s*$/.exec(line);
    if (forced && changes.length > 0) {
      changes[changes.length - 1].forcedBy.push(forced[1]);
      return;
    }
    const header = /^\s*(?:[\w.-]+\s+)?#\s+((?:module\.[^\s.]+(?:\[[^\]]*\])?\.)*(?:data\.)?[a-z][a-z0-9_]*\.[^\s]+)(\s.*)$/.exec(line);
    if (header) {
      const [, address, rest] = header;
      const action = headers.find(([pattern]) => pattern.test(rest.trimEnd()))?.[1];
      if (action) {
        const next = lines[index + 1] ?? "";
        const because = /#\s+\((because .*|.*will be destroyed.*|.*must be replaced.*)\)\s*$/.exec(next);
        changes.push({ address, type: resourceType(address), action, reason: because?.[1], forcedBy: [] });
      }
      return;
    }
    const plan = /Plan:\s+(.*)$/.exec(line);
    if (plan) {
      const count = (word: string) => Number(new RegExp(`(\\d+) to ${word}`).exec(plan[1])?.[1] ?? 0);
      summary = { add: count("add"), change: count("change"), destroy: count("destroy"), import: count("import") };
    } else if (!summary && /No changes\./.test(line)) {
      summary = { add: 0, change: 0, destroy: 0 };
    }
  });
  return { changes, summary };
}

/** `module.a.hcloud_volume.x["k"]` → `hcloud_volume`. */
export function resourceType(address: string): string {
  const parts = address.replace(/\[[^\]]*\]/g, "").split(".").filter((p, i, all) => !(p === "module" || all[i - 1] === "module"));
  const withoutData = parts[0] === "data" ? parts.slice(1) : parts;
  return withoutData[0] ?? address;
}
