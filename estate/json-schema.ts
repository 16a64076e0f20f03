// estate.schema.json, the JSON Schema of an estate description, generated from the zod schema so
// editors complete and check the YAML file (estate.example.yaml names it in its first line). The
// zod schema stays the authority: its cross-field checks (distinct hostnames, gateways on a link,
// sizes a provider sells in a location) exist only there, and `npm run synth` runs them all.
//
// `npm run schema` rewrites the file; __tests__/estate/json-schema.test.ts fails when it is stale.
import * as fs from "node:fs";
import * as path from "node:path";
import { z } from "zod";
import { readCommandLine } from "../tools/command-line";
import { estateSchema } from "./schema";

export const estateJsonSchemaFile = path.join(__dirname, "..", "estate.schema.json");

/** The schema of what a person writes: fields with a default are optional. */
export function estateJsonSchema(): Record<string, unknown> {
  return {
    ...z.toJSONSchema(estateSchema, { io: "input", unrepresentable: "throw" }),
    title: "Disaster-recovery estate description",
    description: "Generated from estate/schema.ts by `npm run schema`; do not edit.",
  };
}

export const estateJsonSchemaText = (): string => `${JSON.stringify(estateJsonSchema(), null, 2)}\n`;

const usage = `usage: npm run schema [-- --help]

Writes estate.schema.json, the JSON Schema of the estate description, from the zod schema in
estate/schema.ts. Run it after changing the schema; a test fails while the file is stale.`;

if (require.main === module) {
  const commandLine = readCommandLine(process.argv.slice(2), { name: "schema", help: "npm run schema -- --help", usage, options: {} });
  if (typeof commandLine === "number") {
    process.exit(commandLine);
  }
  fs.writeFileSync(estateJsonSchemaFile, estateJsonSchemaText());
  console.log(`written: ${path.relative(process.cwd(), estateJsonSchemaFile)}`);
}
