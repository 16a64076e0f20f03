import * as fs from "node:fs";
import * as path from "node:path";
import type { Estate } from "../estate";
import { exampleEstate } from "../estate/example-estate";
import { synthesizeEstate } from "../stacks/synthesize-estate";
import { BuiltTools, runTofu } from "../tools/built-tools";
import { startProviderApiStandIn } from "./provider-api-stand-in";

/**
 * The estates CI validates: the example per flavour, each with an off-site copy: the Hetzner one in
 * Hetzner Object Storage (a console-made bucket, its key from Terraform variables), the DigitalOcean
 * one in a Spaces bucket the stack creates.
 */
export const flavours: Record<string, { readonly description: string; estate(): Estate }> = {
  hetzner: {
    description: "standby and witness on Hetzner Cloud, off-site backups in Hetzner Object Storage",
    estate: () => exampleEstate("hetzner", { backups: { offsite: { provider: "hetzner", region: "fsn1", bucket: "mhc-dr-offsite" } } }),
  },
  digitalocean: {
    description: "standby and witness on DigitalOcean, off-site backups in Spaces",
    estate: () => exampleEstate("digitalocean", { backups: { offsite: { provider: "digitalocean", region: "ams3" } } }),
  },
};

/** Credentials of the right shape (hcloud: 64 characters; Cloudflare: 40-80): nothing is ever sent to a provider. */
export const dummyCredentials: Record<string, string> = {
  HCLOUD_TOKEN: "0".repeat(64),
  DIGITALOCEAN_TOKEN: "dop_v1_" + "0".repeat(64),
  SPACES_ACCESS_KEY_ID: "DO00VALIDATIONSTANDIN",
  SPACES_SECRET_ACCESS_KEY: "0".repeat(43),
  CLOUDFLARE_API_TOKEN: "0".repeat(40),
  TF_VAR_hetzner_offsite_access_key_id: "VALIDATIONSTANDIN",
  TF_VAR_hetzner_offsite_secret_access_key: "0".repeat(40),
};

export interface ValidationStep {
  readonly command: string;
  readonly ok: boolean;
  readonly output: string;
}

export interface FlavourValidation {
  readonly flavour: string;
  readonly ok: boolean;
  readonly steps: ValidationStep[];
  /** `Plan: N to add, ...` (or `No changes. ...` against a prior state) when the plan ran. */
  readonly planSummary?: string;
  /** Warnings any step printed (each a first line); a clean estate has none. */
  readonly warnings: string[];
  /** Where plan.txt, plan.json, plan.tfplan and the synthesized stack are kept. */
  readonly directory: string;
  /** The synthesized stack OpenTofu ran in. */
  readonly stack: string;
  /** Requests the provider API stand-in could not answer. */
  readonly unansweredApiRequests: string[];
}

export interface ValidateOptions {
  /** Folder per flavour is created below it. */
  readonly outputRoot: string;
  /** Sizes the provider API stand-in reports deprecated (to prove the preconditions). */
  readonly deprecatedSizes?: readonly string[];
  /** State the plan starts from (default: none, so every resource is created); see prior-state.ts. */
  readonly priorState?: object;
  /** Rewrites the synthesized configuration (cdk.tf.json) before OpenTofu reads it. */
  readonly amendConfiguration?: (configuration: TerraformJson) => TerraformJson;
}

/** A synthesized stack as Terraform JSON (cdk.tf.json). */
export type TerraformJson = Record<string, any>;

/**
 * Synthesizes one flavour and runs `tofu init`, `validate`, `plan -refresh=false -out` and `show`
 * against it, with dummy credentials and a loopback stand-in for the provider API lookups. Stops at
 * the first failing step.
 */
export async function validateFlavour(tools: BuiltTools, flavour: string, estate: Estate, options: ValidateOptions): Promise<FlavourValidation> {
  const directory = path.join(options.outputRoot, flavour);
  fs.rmSync(directory, { recursive: true, force: true });
  fs.mkdirSync(directory, { recursive: true });
  const stack = synthesizeEstate(estate, path.join(directory, "cdktf.out"));
  const stateFile = path.join(directory, "validation.tfstate");
  if (options.amendConfiguration) {
    const configurationFile = path.join(stack, "cdk.tf.json");
    const configuration = options.amendConfiguration(JSON.parse(fs.readFileSync(configurationFile, "utf8")));
    fs.writeFileSync(configurationFile, JSON.stringify(configuration, null, 2));
  }
  if (options.priorState) {
    fs.writeFileSync(stateFile, JSON.stringify(options.priorState, null, 2));
  }
  const standIn = await startProviderApiStandIn({
    offered: { hetzner: sizesOn(estate, "hetzner"), digitalocean: sizesOn(estate, "digitalocean") },
    deprecated: options.deprecatedSizes,
  });
  const steps: ValidationStep[] = [];
  const env = { ...dummyCredentials, ...standIn.environment };
  const step = async (command: string, args: string[], keep?: string) => {
    const result = await runTofu(tools, [...args, "-no-color"], stack, env);
    if (keep) {
      fs.writeFileSync(path.join(directory, keep), result.output);
    }
    steps.push({ command: `tofu ${command}`, ok: result.status === 0, output: result.output });
    return result.status === 0;
  };
  try {
    const planFile = path.join(directory, "plan.tfplan");
    const ok =
      // Locks the mirror's own builds (their hashes are not the registry's), so init has nothing to warn about.
      (await step("providers lock", ["providers", "lock", `-fs-mirror=${path.join(tools.directory, "mirror")}`, "-platform=linux_amd64"])) &&
      // The example's local state is redirected into the validation folder: nothing real is read.
      (await step("init", ["init", "-input=false", `-backend-config=path=${stateFile}`])) &&
      (await step("validate", ["validate"])) &&
      (await step("plan", ["plan", "-input=false", "-refresh=false", "-lock=false", `-out=${planFile}`])) &&
      (await step("show", ["show", planFile], "plan.txt")) &&
      (await step("show -json", ["show", "-json", planFile], "plan.json"));
    const planOutput = steps.find((s) => s.command === "tofu plan")?.output ?? "";
    return {
      flavour,
      ok,
      steps,
      planSummary: /^(?:Plan: |No changes\. ).*$/m.exec(planOutput)?.[0],
      warnings: steps.flatMap((s) => [...s.output.matchAll(/^(?:│ )?Warning: (.*)$/gm)].map((m) => `${s.command}: ${m[1]}`)),
      directory,
      stack,
      unansweredApiRequests: [...standIn.unanswered],
    };
  } finally {
    await standIn.close();
  }
}

function sizesOn(estate: Estate, provider: "hetzner" | "digitalocean"): string[] {
  return [estate.standby, estate.witness].filter((server) => server.provider === provider).map((server) => server.size);
}
