import * as fs from "node:fs";
import * as path from "node:path";

/** One resource of a synthesized stack, with the construct path cdktf recorded for it. */
export interface SynthResource {
  readonly type: string;
  readonly name: string;
  /** Terraform address, `type.name`. */
  readonly address: string;
  /** Construct path below the stack, e.g. `standby/data-volume` (the logical id when cdktf recorded none). */
  readonly constructPath: string;
  /** First segment of the construct path: `standby`, `witness`, `primary`, `dns`, `secrets`... */
  readonly owner: string;
  readonly attributes: Record<string, any>;
}

export interface Synth {
  /** The cdk.tf.json file read. */
  readonly file: string;
  readonly stackName: string;
  readonly resources: readonly SynthResource[];
  readonly json: Record<string, any>;
}

/** An error the CLI reports with exit status 2 (bad input: a missing or unreadable file). */
export class ReviewInputError extends Error {}

/**
 * The cdk.tf.json that `target` designates: the file itself, a stack folder holding one, or a cdktf
 * output folder (`cdktf.out`) with exactly one stack under `stacks/`.
 */
export function resolveStackFile(target: string, what = "stack"): string {
  if (!fs.existsSync(target)) {
    throw new ReviewInputError(`${what} not found: ${target}`);
  }
  if (fs.statSync(target).isFile()) {
    return target;
  }
  const direct = path.join(target, "cdk.tf.json");
  if (fs.existsSync(direct)) {
    return direct;
  }
  const stacks = path.join(target, "stacks");
  if (fs.existsSync(stacks) && fs.statSync(stacks).isDirectory()) {
    return path.join(onlyStackFolder(stacks, what), "cdk.tf.json");
  }
  throw new ReviewInputError(`${what} not found: ${direct} (no cdk.tf.json in ${target})`);
}

/** The only folder under `stacksDirectory` (cdktf.out/stacks); an error naming them when there are several. */
export function onlyStackFolder(stacksDirectory: string, what = "stack"): string {
  if (!fs.existsSync(stacksDirectory)) {
    throw new ReviewInputError(`${what} not found: ${stacksDirectory} (run \`npm run synth\` first, or pass --stack)`);
  }
  const folders = fs.readdirSync(stacksDirectory, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name);
  if (folders.length !== 1) {
    throw new ReviewInputError(
      folders.length === 0
        ? `${what} not found: ${stacksDirectory} holds no stack (run \`npm run synth\` first)`
        : `${stacksDirectory} holds ${folders.length} stacks (${folders.sort().join(", ")}); choose one with --stack`,
    );
  }
  return path.join(stacksDirectory, folders[0]);
}

/** Reads a synthesized stack (see resolveStackFile for what `target` may be). */
export function readSynth(target: string, what = "stack"): Synth {
  const file = resolveStackFile(target, what);
  let json: Record<string, any>;
  try {
    json = JSON.parse(fs.readFileSync(file, "utf8"));
  } catch (error) {
    throw new ReviewInputError(`${what} is not valid JSON: ${file} (${(error as Error).message})`);
  }
  return synthFromJson(json, file);
}

/** A Synth from already-parsed Terraform JSON. */
export function synthFromJson(json: Record<string, any>, file = "<memory>"): Synth {
  if (typeof json !== "object" || json === null || Array.isArray(json)) {
    throw new ReviewInputError(`not a Terraform JSON document: ${file}`);
  }
  const resources: SynthResource[] = [];
  let stackName = "";
  for (const [type, byName] of Object.entries<Record<string, any>>(json.resource ?? {})) {
    for (const [name, attributes] of Object.entries<Record<string, any>>(byName ?? {})) {
      const recorded: string | undefined = attributes?.["//"]?.metadata?.path;
      const segments = recorded ? recorded.split("/") : [];
      if (segments.length > 1 && !stackName) {
        stackName = segments[0];
      }
      const constructPath = segments.length > 1 ? segments.slice(1).join("/") : name;
      resources.push({
        type,
        name,
        address: `${type}.${name}`,
        constructPath,
        owner: constructPath.split("/")[0],
        attributes: attributes ?? {},
      });
    }
  }
  return { file, stackName: stackName || path.basename(path.dirname(file)), resources, json };
}

export function resourcesOfType(synth: Synth, ...types: string[]): SynthResource[] {
  return synth.resources.filter((r) => types.includes(r.type));
}

export function findResource(synth: Synth, address: string): SynthResource | undefined {
  return synth.resources.find((r) => r.address === address);
}

const localReference = /^\$\{(?:(?:base64gzip|base64encode|gzip)\()?local\.([A-Za-z0-9_-]+)\)?\}$/;

/**
 * A value that only names a local (`${local.x}`, or `${base64gzip(local.x)}` as the Hetzner node
 * writes its user-data), replaced by the local's value; any other value as it is.
 */
export function resolveLocal(synth: Synth, value: unknown): unknown {
  if (typeof value !== "string") {
    return value;
  }
  const match = localReference.exec(value);
  const locals = synth.json.locals ?? {};
  return match && match[1] in locals ? locals[match[1]] : value;
}
