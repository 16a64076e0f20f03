import * as fs from "node:fs";
import { parse as parseYaml, YAMLParseError } from "yaml";
import type { z } from "zod";
import { Estate, estateSchema } from "./schema";

export interface EstateProblem {
  /** Dotted path of the offending field, such as `standby.location` or `hostnames.2`. */
  readonly field: string;
  readonly message: string;
}

/** Thrown before any construct is built when the estate description is unusable. */
export class EstateValidationError extends Error {
  constructor(
    readonly source: string,
    readonly problems: readonly EstateProblem[],
  ) {
    super(
      `${source} is not a valid estate description:\n` +
        problems.map((p) => `  - ${p.field || "(top level)"}: ${p.message}`).join("\n"),
    );
    this.name = "EstateValidationError";
  }
}

/** Validates an already-parsed description; `source` names it in error messages. */
export function validateEstate(input: unknown, source = "estate description"): Estate {
  if (input === null || input === undefined) {
    throw new EstateValidationError(source, [{ field: "", message: "is empty: describe the estate (start from estate.example.yaml)" }]);
  }
  const result = estateSchema.safeParse(input);
  if (!result.success) {
    throw new EstateValidationError(source, result.error.issues.map((issue) => toProblem(issue, input)));
  }
  return result.data;
}

/** Reads a YAML (or JSON) estate description file and validates it. */
export function loadEstateFile(file: string): Estate {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (error) {
    throw new EstateValidationError(file, [{ field: "", message: `cannot be read: ${(error as Error).message}` }]);
  }
  let parsed: unknown;
  try {
    parsed = parseYaml(text);
  } catch (error) {
    // A YAMLParseError, or what the parser throws at an alias bomb (too many alias expansions).
    const reason = error instanceof YAMLParseError ? error.message : `${(error as Error).message ?? error}`;
    throw new EstateValidationError(file, [{ field: "", message: `is not valid YAML: ${reason.split("\n")[0]}` }]);
  }
  return validateEstate(parsed, file);
}

function toProblem(issue: z.core.$ZodIssue, input: unknown): EstateProblem {
  const field = issue.path.map(String).join(".");
  if (issue.code === "unrecognized_keys") {
    return { field, message: `unknown field(s) ${issue.keys.join(", ")}; check the spelling against estate.example.yaml` };
  }
  if (issue.code === "invalid_type") {
    // zod 4 does not say what it got: look the value up in the input.
    const given = issue.path.reduce<unknown>((node, key) => (node !== null && typeof node === "object" ? (node as Record<PropertyKey, unknown>)[key] : undefined), input);
    return given === undefined ? { field, message: `is required (${issue.expected})` } : { field, message: `must be ${article(issue.expected)}, got ${describe(given)}` };
  }
  return { field, message: issue.message };
}

function article(type: string): string {
  return /^[aeiou]/.test(type) ? `an ${type}` : `a ${type}`;
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  return typeof value === "object" ? "a mapping" : `${typeof value} ${JSON.stringify(value)}`;
}
