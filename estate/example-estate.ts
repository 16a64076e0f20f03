import * as fs from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import { validateEstate } from "./load";
import type { Estate, EstateInput } from "./schema";

export const exampleEstateFile = path.join(__dirname, "..", "estate.example.yaml");

/** The example estate description as the operator wrote it (before defaults are applied). */
export function exampleEstateInput(): EstateInput {
  return parse(fs.readFileSync(exampleEstateFile, "utf8")) as EstateInput;
}

/**
 * The example estate, validated; with `digitalocean`, both cloud servers move to DigitalOcean, so
 * tests, the benchmark and validation cover both flavours from the one example file. `changes`
 * replace top-level fields of the description before validation.
 */
export function exampleEstate(provider?: "hetzner" | "digitalocean", changes: Partial<EstateInput> = {}): Estate {
  const input = { ...exampleEstateInput(), ...changes };
  if (provider === "digitalocean") {
    input.standby = { ...input.standby, provider, location: "fra1", size: "s-2vcpu-4gb" };
    input.witness = { ...input.witness, provider, location: "ams3", size: "s-1vcpu-1gb" };
  }
  return validateEstate(input, "example estate");
}
