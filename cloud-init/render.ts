import { assembleCloudConfig, CloudConfigPart } from "./cloud-config";
import type { NodeConfig, NodeRole } from "./node-config";
import { estateSettings } from "./pieces/estate-settings";
import { hardening } from "./pieces/hardening";
import { postgres } from "./pieces/postgres";

/** What each role runs, in the order cloud-init should set it up. */
const piecesByRole: Record<NodeRole, ReadonlyArray<(node: NodeConfig) => CloudConfigPart>> = {
  primary: [estateSettings, hardening, postgres],
  standby: [estateSettings, hardening, postgres],
  witness: [estateSettings, hardening, postgres],
};

/** Renders the #cloud-config user-data of one node of the estate. */
export function renderCloudConfig(node: NodeConfig): string {
  const parts = piecesByRole[node.role].map((piece) => piece(node));
  return assembleCloudConfig(
    { hostname: node.fqdn.split(".")[0], fqdn: node.fqdn, sshPublicKeys: node.sshPublicKeys },
    parts,
  );
}

/** NoCloud meta-data for a node installed from a seed (the bare-metal primary). */
export function renderNoCloudMetaData(node: Pick<NodeConfig, "estateName" | "fqdn">): string {
  return `instance-id: ${node.estateName}-${node.fqdn.split(".")[0]}\nlocal-hostname: ${node.fqdn.split(".")[0]}\n`;
}
