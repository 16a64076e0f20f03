import { TerraformOutput } from "cdktf";
import { Construct } from "constructs";
import type { NodeRole } from "../estate/schema";

/** What `npm run converge` needs to reach one running node and bring it up to date. */
export interface ConvergeTarget {
  /** Address the operators reach it at over SSH. */
  readonly address: string;
  /** Its rendered #cloud-config, secrets filled in: the node's whole configuration. */
  readonly document: string;
  /** Its SSH host key (`ssh-ed25519 ...`), for known_hosts. */
  readonly hostPublicKey: string;
}

export interface EstateNodesOutputProps {
  readonly nodes: Record<NodeRole, ConvergeTarget>;
}

/** Name of the stack output read by `npm run converge`. */
export const estateNodesOutput = "nodes";

/** The running nodes' configuration as one sensitive output: the input of day-2 changes. */
export class EstateNodesOutput extends Construct {
  constructor(scope: Construct, id: string, props: EstateNodesOutputProps) {
    super(scope, id);
    const value = Object.fromEntries(
      Object.entries(props.nodes).map(([role, node]) => [role, { address: node.address, document: node.document, host_public_key: node.hostPublicKey }]),
    );
    new TerraformOutput(this, "nodes", {
      value,
      sensitive: true,
      description: "address, #cloud-config and SSH host key of each node, for npm run converge",
    }).overrideLogicalId(estateNodesOutput);
  }
}
