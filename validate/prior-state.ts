// Turns an offline plan into the state a deployment of it would have left (state format version 4),
// so a later plan can be made against a "deployed" estate without any provider API. Values a plan
// cannot know (ids, addresses, keys, certificates) get plausible dummies (dummy-values.ts); values
// computed from them, such as a document with a certificate in it, are filled in by planning again
// against the result (deployed-state.ts).
import { randomUUID } from "node:crypto";
import { dummyValues } from "./dummy-values";

/** What is read of `tofu show -json PLANFILE`. */
export interface PlanJson {
  readonly terraform_version: string;
  readonly planned_values: { readonly outputs?: Record<string, PlannedOutput>; readonly root_module: PlannedModule };
  readonly resource_changes?: readonly { readonly address: string; readonly change: { readonly after_unknown?: unknown; readonly after_sensitive?: unknown } }[];
  /** The configuration as the plan read it; each resource's `expressions` as Terraform JSON wrote them. */
  readonly configuration?: { readonly root_module: { readonly resources?: readonly { readonly address: string; readonly expressions?: unknown }[] } };
}

interface PlannedModule {
  readonly resources?: readonly PlannedResource[];
  readonly child_modules?: readonly PlannedModule[];
}

interface PlannedResource {
  readonly address: string;
  readonly mode: "managed" | "data";
  readonly type: string;
  readonly name: string;
  readonly index?: string | number;
  readonly provider_name: string;
  readonly schema_version: number;
  readonly values: Record<string, unknown>;
}

interface PlannedOutput {
  readonly sensitive: boolean;
  readonly value?: unknown;
  readonly type?: unknown;
}

/** What is read of `tofu providers schema -json`. */
export interface ProviderSchemasJson {
  readonly provider_schemas: Record<string, { readonly resource_schemas?: Record<string, { readonly block: SchemaBlock }> }>;
}

interface SchemaBlock {
  readonly attributes?: Record<string, SchemaAttribute>;
  readonly block_types?: Record<string, { readonly nesting_mode: string; readonly block: SchemaBlock }>;
}

interface SchemaAttribute {
  readonly type?: CtyType;
  readonly nested_type?: { readonly nesting_mode: string } & Pick<SchemaBlock, "attributes">;
}

/** A value type as Terraform's JSON writes it: "string", ["list", "string"], ["object", {...}]. */
export type CtyType = string | [string, unknown];

/** A Terraform state, format version 4 (what the local backend keeps). */
export interface TerraformState {
  readonly version: 4;
  readonly terraform_version: string;
  readonly serial: number;
  readonly lineage: string;
  readonly outputs: Record<string, { readonly value: unknown; readonly type: unknown; readonly sensitive?: boolean }>;
  readonly resources: StateResource[];
}

export interface StateResource {
  readonly mode: "managed";
  readonly type: string;
  readonly name: string;
  readonly provider: string;
  readonly instances: { readonly index_key?: string | number; readonly schema_version: number; attributes: Record<string, any>; readonly sensitive_attributes: PathStep[][] }[];
}

/** One step of an attribute path as the state writes it. */
type PathStep = { readonly type: "get_attr"; readonly value: string } | { readonly type: "index"; readonly value: { readonly value: string | number; readonly type: "string" | "number" } };

/**
 * The state after applying `plan`: every managed resource with its planned values, each value the
 * plan does not know replaced by a dummy of its schema type. `deployedAt` is when the resources
 * were created (timestamps, and the validity of certificates). Data sources are left out: a plan
 * reads them again. Outputs are kept when the plan knows them.
 */
export function stateFromPlan(plan: PlanJson, schemas: ProviderSchemasJson, deployedAt: Date): TerraformState {
  const changeOf = new Map((plan.resource_changes ?? []).map((rc) => [rc.address, rc.change]));
  const dummy = dummyValues(plan, deployedAt);
  const resources = new Map<string, StateResource>();
  for (const planned of managedResources(plan.planned_values.root_module)) {
    const schema = schemas.provider_schemas[planned.provider_name]?.resource_schemas?.[planned.type];
    if (!schema) {
      throw new Error(`no schema for ${planned.type} of ${planned.provider_name}`);
    }
    const type = blockType(schema.block);
    const change = changeOf.get(planned.address);
    const attributes = fill(planned.values, change?.after_unknown ?? {}, type, [], (valueType, path) => dummy(planned.address, valueType, path)) as Record<string, any>;
    // Sensitivity is part of the state: without it the next plan "updates" every secret to mark it.
    const sensitive = sensitivePaths(change?.after_sensitive, type, []);
    const key = `${planned.type}.${planned.name}`;
    const resource = resources.get(key) ?? { mode: "managed", type: planned.type, name: planned.name, provider: `provider["${planned.provider_name}"]`, instances: [] };
    resource.instances.push({ ...(planned.index === undefined ? {} : { index_key: planned.index }), schema_version: planned.schema_version, attributes, sensitive_attributes: sensitive });
    resources.set(key, resource);
  }
  const outputs = Object.fromEntries(
    Object.entries(plan.planned_values.outputs ?? {})
      .filter(([, output]) => output.value !== undefined && output.type !== undefined)
      .map(([name, output]) => [name, { value: output.value, type: output.type, ...(output.sensitive ? { sensitive: true } : {}) }]),
  );
  return { version: 4, terraform_version: plan.terraform_version, serial: 1, lineage: randomUUID(), outputs, resources: [...resources.values()] };
}

function managedResources(module: PlannedModule): PlannedResource[] {
  return [...(module.resources ?? []).filter((r) => r.mode === "managed"), ...(module.child_modules ?? []).flatMap(managedResources)];
}

/** A schema block as the object type of its values. */
function blockType(block: SchemaBlock): CtyType {
  const attributes = Object.entries(block.attributes ?? {}).map(([name, attribute]): [string, CtyType] => [
    name,
    attribute.nested_type ? nested(attribute.nested_type.nesting_mode, blockType(attribute.nested_type)) : attribute.type ?? "dynamic",
  ]);
  const blocks = Object.entries(block.block_types ?? {}).map(([name, inner]): [string, CtyType] => [name, nested(inner.nesting_mode, blockType(inner.block))]);
  return ["object", Object.fromEntries([...attributes, ...blocks])];
}

function nested(mode: string, type: CtyType): CtyType {
  return mode === "single" || mode === "group" ? type : [mode === "map" ? "map" : "list", type];
}

/** The paths a plan's sensitivity marks (true, in objects and lists like the value's) mark. */
function sensitivePaths(marks: unknown, type: CtyType, path: PathStep[]): PathStep[][] {
  if (marks === true) {
    return [path];
  }
  if (!marks || typeof marks !== "object" || !Array.isArray(type)) {
    return [];
  }
  const [kind, inner] = type;
  if (kind === "list" || kind === "tuple") {
    return (marks as unknown[]).flatMap((mark, index) =>
      sensitivePaths(mark, kind === "list" ? (inner as CtyType) : (inner as CtyType[])[index], [...path, { type: "index", value: { value: index, type: "number" } }]),
    );
  }
  if (kind === "set") {
    // A set's elements have no path: the whole set is marked.
    return JSON.stringify(marks).includes("true") ? [path] : [];
  }
  return Object.entries(marks as Record<string, unknown>).flatMap(([name, mark]) =>
    kind === "object"
      ? sensitivePaths(mark, (inner as Record<string, CtyType>)[name], [...path, { type: "get_attr", value: name }])
      : sensitivePaths(mark, inner as CtyType, [...path, { type: "index", value: { value: name, type: "string" } }]),
  );
}

type Dummy = (type: CtyType, path: readonly (string | number)[]) => unknown;

/** The planned value with its unknown parts (marked true in `unknown`) filled in; absent attributes are null. */
function fill(value: unknown, unknown: unknown, type: CtyType, path: (string | number)[], dummy: Dummy): unknown {
  if (unknown === true) {
    return dummy(type, path);
  }
  if (type === "dynamic" && value !== null && value !== undefined) {
    // The state keeps such values with their type, which a plan's JSON does not give.
    throw new Error(`a value of dynamic type at ${path.join(".")} cannot be written to a state`);
  }
  if (value === null || value === undefined || !Array.isArray(type)) {
    return value ?? null;
  }
  const [kind, inner] = type;
  if ((kind === "list" || kind === "set") && Array.isArray(value)) {
    return value.map((element, index) => fill(element, (unknown as unknown[] | undefined)?.[index], inner as CtyType, [...path, index], dummy));
  }
  if (kind === "tuple" && Array.isArray(value)) {
    return value.map((element, index) => fill(element, (unknown as unknown[] | undefined)?.[index], (inner as CtyType[])[index], [...path, index], dummy));
  }
  if ((kind === "object" || kind === "map") && typeof value === "object") {
    const values = value as Record<string, unknown>;
    const marks = (unknown ?? {}) as Record<string, unknown>;
    const names = kind === "object" ? Object.keys(inner as object) : [...new Set([...Object.keys(values), ...Object.keys(marks)])];
    const typeOf = (name: string) => (kind === "object" ? (inner as Record<string, CtyType>)[name] : (inner as CtyType));
    return Object.fromEntries(names.map((name) => [name, fill(values[name], marks[name], typeOf(name), [...path, name], dummy)]));
  }
  return value;
}
