// What the deploy path reads from `tofu show -json PLANFILE`.
import { serverResourceTypes } from "../policies/first-boot-only";

export interface ResourceChange {
  readonly address: string;
  readonly type: string;
  readonly change: {
    readonly actions: readonly string[];
    readonly after?: unknown;
    readonly after_unknown?: unknown;
    readonly replace_paths?: unknown;
  };
  readonly action_reason?: string;
}

export interface PlanJson {
  readonly resource_changes?: readonly ResourceChange[];
  readonly output_changes?: Record<string, { readonly actions: readonly string[] }>;
  readonly errored?: boolean;
}

/** Servers the plan destroys, alone or to replace them. */
export function serversLost(plan: PlanJson): ResourceChange[] {
  return (plan.resource_changes ?? []).filter(
    (change) => serverResourceTypes.includes(change.type) && change.change.actions.includes("delete"),
  );
}

/**
 * The changes as a comparable text: what each resource does and to what values. Two plans of the
 * same configuration against the same state give the same text.
 */
export function planFingerprint(plan: PlanJson): string {
  const changes = (plan.resource_changes ?? [])
    .filter((change) => !(change.change.actions.length === 1 && change.change.actions[0] === "no-op"))
    .map((change) => ({
      address: change.address,
      actions: change.change.actions,
      reason: change.action_reason ?? null,
      replace: change.change.replace_paths ?? null,
      after: change.change.after ?? null,
      unknown: change.change.after_unknown ?? null,
    }))
    .sort((a, b) => a.address.localeCompare(b.address));
  const outputs = Object.entries(plan.output_changes ?? {})
    .map(([name, change]) => ({ name, actions: change.actions }))
    .sort((a, b) => a.name.localeCompare(b.name));
  return JSON.stringify({ changes, outputs });
}

/** Addresses whose planned change differs between two plans (added, dropped or altered). */
export function differingAddresses(reviewed: PlanJson, fresh: PlanJson): string[] {
  const byAddress = (plan: PlanJson) =>
    new Map(JSON.parse(planFingerprint(plan)).changes.map((change: { address: string }) => [change.address, JSON.stringify(change)]));
  const before = byAddress(reviewed);
  const after = byAddress(fresh);
  return [...new Set([...before.keys(), ...after.keys()])].filter((address) => before.get(address) !== after.get(address)).sort() as string[];
}
