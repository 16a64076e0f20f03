import type { CloudConfigPart } from "../cloud-config";
import { readCloudInitFile } from "../files";
import type { NodeConfig } from "../node-config";

const scriptsDirectory = "/usr/local/lib/dr-estate";

/** PostgreSQL from PGDG at the estate's major version, on the data volume when the node has one. */
export function postgres(node: NodeConfig): CloudConfigPart {
  const mountDataVolume = node.dataDevice
    ? [`${scriptsDirectory}/mount-data-volume.sh '${node.dataDevice}'`]
    : [];
  return {
    writeFiles: [
      script("install-postgres.sh", readCloudInitFile("postgres/install-postgres.sh")),
      ...(node.dataDevice ? [script("mount-data-volume.sh", readCloudInitFile("postgres/mount-data-volume.sh"))] : []),
    ],
    runcmd: [...mountDataVolume, `${scriptsDirectory}/install-postgres.sh`],
  };
}

function script(name: string, content: string) {
  return { path: `${scriptsDirectory}/${name}`, content, permissions: "0755" };
}
