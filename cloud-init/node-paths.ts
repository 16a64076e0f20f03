import type { WriteFile } from "./cloud-config";
import { readCloudInitFile } from "./files";

/** Where the estate's own files live on every node. */
export const nodePaths = {
  /** estate.env, secrets.env and tls/: the node's settings, sourced by every script. */
  settings: "/etc/dr-estate",
  /** Scripts from cloud-init/files, installed under their own file name. */
  scripts: "/usr/local/lib/dr-estate",
  /** Prometheus node-exporter textfile collector directory. */
  textfileMetrics: "/var/lib/prometheus/node-exporter",
} as const;

/** Installs a script kept under cloud-init/files into the node's scripts folder, executable. */
export function installScript(relativePath: string): WriteFile {
  const name = relativePath.split("/").pop()!;
  return { path: `${nodePaths.scripts}/${name}`, content: readCloudInitFile(relativePath), permissions: "0755" };
}
