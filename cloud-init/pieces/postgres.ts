import type { CloudConfigPart } from "../cloud-config";
import type { NodeConfig } from "../node-config";
import { installScript, nodePaths } from "../node-paths";

/** PostgreSQL from PGDG at the estate's major version, on the data volume when the node has one. */
export function postgres(node: NodeConfig): CloudConfigPart {
  if (!node.dataDevice) {
    return {
      writeFiles: [installScript("postgres/install-postgres.sh")],
      runcmd: [`${nodePaths.scripts}/install-postgres.sh`],
    };
  }
  return {
    writeFiles: [installScript("postgres/mount-data-volume.sh"), installScript("postgres/install-postgres.sh")],
    runcmd: [`${nodePaths.scripts}/mount-data-volume.sh '${node.dataDevice}'`, `${nodePaths.scripts}/install-postgres.sh`],
  };
}
