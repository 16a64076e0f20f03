// `tofu show -json` prints every sensitive value in plain text: the generated passwords and keys,
// the seed, and the state passphrase among the variables. The plan JSON the deploy path keeps (and CI
// uploads as an artifact for reviewers) is this redacted copy; the raw one never reaches the disk.
import { createHash } from "node:crypto";

type Json = unknown;
type Marks = boolean | Record<string, unknown> | unknown[] | undefined;

/**
 * A sensitive value's stand-in: a digest, so two plans can still be compared (the deploy path's
 * reviewed-against-fresh check) without holding the value. The values it hides are generated,
 * high-entropy secrets; input variables are dropped instead, digest and all.
 */
export function sensitiveStandIn(value: Json): string {
  return `(sensitive sha256:${createHash("sha256").update(JSON.stringify(value ?? null)).digest("hex").slice(0, 16)})`;
}

/** `value` with every part its sensitivity marks (OpenTofu's `*_sensitive` shape) flag replaced. */
export function redactMarked(value: Json, marks: Marks): Json {
  if (marks === true) {
    return value === null || value === undefined ? value : sensitiveStandIn(value);
  }
  if (!marks || typeof marks !== "object" || value === null || typeof value !== "object") {
    return value;
  }
  if (Array.isArray(value)) {
    return value.map((item, index) => redactMarked(item, (marks as unknown[])[index] as Marks));
  }
  return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, redactMarked(item, (marks as Record<string, unknown>)[key] as Marks)]));
}

interface ModuleValues {
  resources?: { values?: Json; sensitive_values?: Marks }[];
  child_modules?: ModuleValues[];
}
interface Values {
  outputs?: Record<string, { sensitive?: boolean; value?: Json }>;
  root_module?: ModuleValues;
}
interface Change {
  before?: Json;
  after?: Json;
  before_sensitive?: Marks;
  after_sensitive?: Marks;
}

/** A redacted copy of a plan JSON document (`tofu show -json PLANFILE`). */
export function redactPlan(plan: Record<string, any>): Record<string, any> {
  const copy = structuredClone(plan);
  for (const variable of Object.values<{ value?: Json }>(copy.variables ?? {})) {
    variable.value = "(redacted)";
  }
  for (const resourceChange of copy.resource_changes ?? []) {
    redactChange(resourceChange.change);
  }
  for (const change of Object.values<Change>(copy.output_changes ?? {})) {
    redactChange(change);
  }
  redactValues(copy.planned_values);
  redactValues(copy.prior_state?.values);
  return copy;
}

function redactChange(change: Change | undefined): void {
  if (change) {
    change.before = redactMarked(change.before, change.before_sensitive);
    change.after = redactMarked(change.after, change.after_sensitive);
  }
}

function redactValues(values: Values | undefined): void {
  for (const output of Object.values(values?.outputs ?? {})) {
    if (output.sensitive) {
      output.value = redactMarked(output.value, true);
    }
  }
  const redactModule = (module: ModuleValues | undefined) => {
    for (const resource of module?.resources ?? []) {
      resource.values = redactMarked(resource.values, resource.sensitive_values);
    }
    module?.child_modules?.forEach(redactModule);
  };
  redactModule(values?.root_module);
}
