// Where each of the drill lab's three nodes lives on this machine: its namespace, address, port and
// folders, and the #cloud-config the renderer wrote for it (the files installed and the unit run).
import * as path from "node:path";
import type { NodeRole } from "../../cloud-init/node-config";
import { renderedFileOf } from "../../cloud-init/cloud-config";
import { renderCloudConfig } from "../../cloud-init/render";
import { exampleNodeConfig } from "../../tools/example-node-config";
import { makeTestCertificatesFor } from "../../tools/test-certificates";
import type { ChildProcess } from "node:child_process";
import { parseServiceUnit, ServiceUnit } from "../service-unit";
import { makeMediaKeys } from "./media-keys";

export const PG_MAJOR = 15;
export const DATABASE = "mhc";
export const ROLES: readonly NodeRole[] = ["witness", "primary", "standby"];
export type DataRole = "primary" | "standby";
export const DATA_ROLES: readonly DataRole[] = ["primary", "standby"];

/** From 198.51.100.0/24, on the namespaced interfaces only. */
export const ADDRESSES = { primary: "198.51.100.10", standby: "198.51.100.20", witness: "198.51.100.30", client: "198.51.100.40" };
/** Shared by every namespace: this is why two labs need different ports. */
export const SOCKET_DIR = "/var/run/postgresql";
export const DEFAULT_PORT_BASE = 47300;
const UNIT_PATH = "/etc/systemd/system/pgautofailover.service";

/** The lab's ports: monitor base+1, primary base+2, standby base+3, the alert webhook base+9. */
export function labPorts(base: number): { readonly postgres: Record<NodeRole, number>; readonly webhook: number } {
  return { postgres: { witness: base + 1, primary: base + 2, standby: base + 3 }, webhook: base + 9 };
}

export interface NodeRuntime {
  readonly role: NodeRole;
  readonly namespace: string;
  readonly address: string;
  readonly port: number;
  readonly dir: string;
  readonly etc: string;
  readonly lib: string;
  readonly pgdata: string;
  readonly tlsDir: string;
  readonly healthzDir: string;
  readonly xdg: Record<string, string>;
  /** The data node's /srv/media, and the sshd host key its peer pins (none on the witness). */
  readonly media?: { readonly dir: string; readonly hostKeyFile: string };
  readonly document: string;
  readonly unit: ServiceUnit;
  keeper?: ChildProcess;
}

/** Renders each node's #cloud-config (test certificates under root/ca) and lays its folders out under root. */
export function layOutNodes(id: string, root: string, portBase: number): Record<NodeRole, NodeRuntime> {
  const ports = labPorts(portBase);
  const certificates = makeTestCertificatesFor(
    { primary: ADDRESSES.primary, standby: ADDRESSES.standby, witness: ADDRESSES.witness },
    { directory: path.join(root, "ca") },
  );
  const mediaKeys = makeMediaKeys(path.join(root, "media-keys"));
  const nodes = {} as Record<NodeRole, NodeRuntime>;
  for (const role of ROLES) {
    const dataRole = role === "witness" ? undefined : role;
    const config = exampleNodeConfig(
      role,
      {
        postgres: { majorVersion: PG_MAJOR, database: DATABASE, synchronousReplication: false, source: "distribution" },
        peers: { primary: ADDRESSES.primary, standby: ADDRESSES.standby, witness: ADDRESSES.witness },
        // The drill's receiver listens in the witness's namespace: only the witness posts during the drill.
        alertWebhookUrl: `http://127.0.0.1:${ports.webhook}/hooks/dr-estate`,
        ...(dataRole ? { mediaReplication: mediaKeys[dataRole].settings } : {}),
      },
      certificates[role],
    );
    const document = renderCloudConfig(config);
    const dir = path.join(root, role);
    const xdgRoot = path.join(dir, "xdg");
    nodes[role] = {
      role,
      namespace: `${id}-${role}`,
      address: ADDRESSES[role],
      port: ports.postgres[role],
      dir,
      etc: path.join(dir, "etc"),
      lib: path.join(dir, "lib"),
      // pg_autoctl keeps base backups next to PGDATA (its parent/backup): the parent must be the
      // postgres user's, as /var/lib/postgresql/15 is on a server.
      pgdata: path.join(dir, "pg", "data"),
      tlsDir: path.join(dir, "tls"),
      healthzDir: path.join(dir, "healthz"),
      xdg: {
        XDG_CONFIG_HOME: path.join(xdgRoot, "config"),
        XDG_DATA_HOME: path.join(xdgRoot, "data"),
        XDG_RUNTIME_DIR: path.join(xdgRoot, "run"),
      },
      media: dataRole ? { dir: path.join(dir, "media"), hostKeyFile: mediaKeys[dataRole].hostKeyFile } : undefined,
      document,
      unit: parseServiceUnit(renderedFileOf(document, UNIT_PATH).content),
    };
  }
  return nodes;
}
