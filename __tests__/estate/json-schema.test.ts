import * as fs from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import { estateJsonSchema, estateJsonSchemaFile, estateJsonSchemaText } from "../../estate/json-schema";

const projectRoot = path.join(__dirname, "..", "..");

test("the committed estate.schema.json is what npm run schema writes from the zod schema", () => {
  expect(fs.readFileSync(estateJsonSchemaFile, "utf8")).toBe(estateJsonSchemaText());
});

test("estate.example.yaml names the schema for the YAML language server, in its first line", () => {
  const [firstLine] = fs.readFileSync(path.join(projectRoot, "estate.example.yaml"), "utf8").split("\n");
  expect(firstLine).toBe("# yaml-language-server: $schema=./estate.schema.json");
});

test("the schema describes what the example writes and refuses unknown top-level fields", () => {
  const schema = estateJsonSchema() as { properties: Record<string, unknown>; required: string[]; additionalProperties: boolean };
  const example = parse(fs.readFileSync(path.join(projectRoot, "estate.example.yaml"), "utf8")) as Record<string, unknown>;
  expect(Object.keys(example).filter((key) => !(key in schema.properties))).toEqual([]);
  expect(schema.required.filter((key) => !(key in example))).toEqual([]);
  expect(schema.required).toEqual(expect.arrayContaining(["name", "domain", "standby", "witness"]));
  expect(schema.required).not.toContain("os"); // it has a default: a person may leave it out
  expect(schema.additionalProperties).toBe(false);
});
