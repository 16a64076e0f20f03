// One construct synthesized on its own (cdktf's Testing.synthScope), read back as Terraform JSON.
import { TerraformOutput, Testing } from "cdktf";
import type { Construct } from "constructs";

export interface SynthesizedJson {
  readonly resource: Record<string, Record<string, any>>;
  readonly data?: Record<string, Record<string, any>>;
  readonly locals?: Record<string, any>;
  readonly output?: Record<string, { value: any; sensitive?: boolean; description?: string }>;
}

export interface SynthesizedScope {
  /** The JSON as a string, for cdktf's matchers (toHaveResourceWithProperties, ...). */
  readonly synthesized: string;
  readonly json: SynthesizedJson;
  /** What `build` passed to `expose`, resolved as Terraform reads it (references as `${type.id.attribute}`). */
  readonly exposed: any;
}

/**
 * Synthesizes what `build` adds to an empty stack. A value `build` hands to `expose` (what a
 * construct gives its callers: references, documents) is synthesized too, through an output.
 */
export function synthScope(build: (scope: Construct, expose: (value: unknown) => void) => void): SynthesizedScope {
  const synthesized = Testing.synthScope((scope) => {
    build(scope, (value) => new TerraformOutput(scope, "exposed", { value }));
  });
  const json = JSON.parse(synthesized) as SynthesizedJson;
  return { synthesized, json, exposed: json.output?.exposed?.value };
}

/** The one resource of `type`: its logical id, its attributes and a reference to its attributes. */
export function onlyResource(json: SynthesizedJson, type: string) {
  const entries = Object.entries(json.resource[type] ?? {});
  if (entries.length !== 1) {
    throw new Error(`expected one ${type}, found ${entries.length}`);
  }
  const [id, attributes] = entries[0];
  return { id, attributes, ref: (attribute: string) => `\${${type}.${id}.${attribute}}` };
}
