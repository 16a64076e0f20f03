// The state of a deployed estate, made offline: the estate's plan is turned into a state
// (prior-state.ts) and planned again against it until OpenTofu has nothing left to change, so every
// value that refers to a dummy (a certificate's key, a firewall's server, a server's user-data)
// holds what the configuration makes of it. The servers' ignore_changes is lifted while settling,
// so their state holds the document, image and keys they were created with.
import * as fs from "node:fs";
import * as path from "node:path";
import type { Estate } from "../estate";
import { serverResourceTypes } from "../policies/first-boot-only";
import { BuiltTools, runTofu } from "../tools/built-tools";
import { ProviderSchemasJson, stateFromPlan, TerraformState } from "./prior-state";
import { FlavourValidation, TerraformJson, validateFlavour } from "./validate-estate";

export interface DeployedState {
  readonly state: TerraformState;
  /** Plans it took: the first, of no state, and one more per round until nothing changed. */
  readonly plans: number;
  /** The last of them, against `state`: `No changes.` */
  readonly confirmation: FlavourValidation;
}

export interface DeployedStateOptions {
  /** Folder `name` is planned in (validateFlavour's outputRoot). */
  readonly outputRoot: string;
  /** When the resources were created (timestamps, certificates' validity). Default: 30 days ago. */
  readonly deployedAt?: Date;
}

/** A plan against a settled state changes nothing; one that still changes after this many plans never settles. */
const maxPlans = 10;

export async function deployedState(tools: BuiltTools, name: string, estate: Estate, options: DeployedStateOptions): Promise<DeployedState> {
  const deployedAt = options.deployedAt ?? new Date(Date.now() - 30 * 24 * 3_600_000);
  let state: TerraformState | undefined;
  let schemas: ProviderSchemasJson | undefined;
  for (let plans = 1; plans <= maxPlans; plans++) {
    const result = await validateFlavour(tools, name, estate, { outputRoot: options.outputRoot, priorState: state, amendConfiguration: withoutServerIgnoreChanges });
    if (!result.ok) {
      throw new Error(`${name}: ${failure(result)}`);
    }
    const plan = readPlan(result);
    if (state && changesNothing(plan)) {
      return { state, plans, confirmation: result };
    }
    schemas ??= await providerSchemas(tools, result.stack);
    state = stateFromPlan(plan, schemas, deployedAt);
  }
  throw new Error(`${name}: the state still changed after ${maxPlans} plans`);
}

/** The configuration with the servers' lifecycle.ignore_changes removed, so a plan shows what a change would do to them. */
export function withoutServerIgnoreChanges(configuration: TerraformJson): TerraformJson {
  const copy = structuredClone(configuration);
  for (const type of serverResourceTypes) {
    for (const server of Object.values<{ lifecycle?: { ignore_changes?: unknown } }>(copy.resource?.[type] ?? {})) {
      delete server.lifecycle?.ignore_changes;
    }
  }
  return copy;
}

/** The plan.json (`tofu show -json`) a validation wrote. */
export function readPlan(result: FlavourValidation): any {
  return JSON.parse(fs.readFileSync(path.join(result.directory, "plan.json"), "utf8"));
}

function changesNothing(plan: Record<string, any>): boolean {
  const noOp = (change: { actions: string[] }) => change.actions.length === 1 && change.actions[0] === "no-op";
  return (plan.resource_changes ?? []).every((rc: { change: { actions: string[] } }) => noOp(rc.change)) && Object.values<{ actions: string[] }>(plan.output_changes ?? {}).every(noOp);
}

async function providerSchemas(tools: BuiltTools, stack: string): Promise<ProviderSchemasJson> {
  const result = await runTofu(tools, ["providers", "schema", "-json"], stack);
  if (result.status !== 0) {
    throw new Error(`tofu providers schema failed:\n${result.output}`);
  }
  return JSON.parse(result.output);
}

function failure(result: FlavourValidation): string {
  const step = result.steps.find((s) => !s.ok);
  return step ? `${step.command} failed:\n${step.output}` : "failed";
}
