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
  const result = estateSchema.safeParse(input);
  if (!result.success) {
    throw new EstateValidationError(source, result.error.issues.map(toProblem));
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
    if (error instanceof YAMLParseError) {
      throw new EstateValidationError(file, [{ field: "", message: `is not valid YAML: ${error.message}` }]);
    }
    throw error;
  }
  return validateEstate(parsed, file);
}

function toProblem(issue: z.core.$ZodIssue): EstateProblem {
  const field = issue.path.map(String).join(".");
  if (issue.code === "unrecognized_keys") {
    return { field, message: `unknown field(s) ${issue.keys.join(", ")}; check the spelling against estate.example.yaml` };
  }
  if (issue.code === "invalid_type" && issue.input === undefined) {
    return { field, message: `is required (${issue.expected})` };
  }
  return { field, message: issue.message };
}
