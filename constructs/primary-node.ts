import { TerraformLocal, TerraformOutput } from "cdktf";
import { Construct } from "constructs";
import { terraformString } from "./terraform-string";

/** The NoCloud seed files of a node installed by hand, by their file names. */
export interface NoCloudSeed {
  /** Rendered #cloud-config; holds secrets once Terraform fills them in. */
  readonly "user-data": string;
  readonly "meta-data": string;
  /** Netplan v2 network configuration for the first boot; none: cloud-init's DHCP fallback. */
  readonly "network-config"?: string;
}

export interface PrimaryNodeProps {
  readonly seed: NoCloudSeed;
}

/** Name of the stack output that carries the primary's seed (read by `npm run seed`). */
export const primarySeedOutput = "primary_seed";

/**
 * The bare-metal primary. It has no cloud API, so the estate only produces its configuration: the
 * NoCloud seed as one sensitive output, filled in once the secrets in it exist. `npm run seed`
 * writes it out from the deployed state, so no runner has to keep a file Terraform would recreate.
 */
export class PrimaryNode extends Construct {
  /** Reference to the user-data as Terraform holds it (the same text `npm run converge` delivers). */
  readonly userData: string;

  constructor(scope: Construct, id: string, props: PrimaryNodeProps) {
    super(scope, id);
    this.userData = new TerraformLocal(this, "user-data", terraformString(props.seed["user-data"])).asString;
    const networkConfig = props.seed["network-config"];
    const seed = {
      "user-data": this.userData,
      "meta-data": terraformString(props.seed["meta-data"]),
      ...(networkConfig === undefined ? {} : { "network-config": terraformString(networkConfig) }),
    };
    new TerraformOutput(this, "seed", {
      value: seed,
      sensitive: true,
      description: "NoCloud seed of the bare-metal primary (user-data, meta-data, network-config); write it with `npm run seed`",
    }).overrideLogicalId(primarySeedOutput);
  }
}
