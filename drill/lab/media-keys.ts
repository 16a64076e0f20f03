// The SSH keys of the data nodes' media replication, made for the lab as Terraform makes them for an
// estate: each data node's login key and sshd host key, so each node's #cloud-config carries the
// peer's public keys exactly as a real one does.
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import type { MediaReplicationSettings } from "../../cloud-init/node-config";
import { ADDRESSES, DataRole } from "./layout";

export interface MediaKeys {
  /** The node's sshd host key (private key file), which its peer pins. */
  readonly hostKeyFile: string;
  readonly settings: MediaReplicationSettings;
}

const peerOf = (role: DataRole): DataRole => (role === "primary" ? "standby" : "primary");

export function makeMediaKeys(directory: string): Record<DataRole, MediaKeys> {
  fs.mkdirSync(directory, { recursive: true, mode: 0o700 });
  const keyPair = (name: string) => {
    const file = path.join(directory, name);
    execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", name, "-f", file]);
    return { file, publicKey: fs.readFileSync(`${file}.pub`, "utf8").trim() };
  };
  const login = { primary: keyPair("primary-login"), standby: keyPair("standby-login") };
  const host = { primary: keyPair("primary-host"), standby: keyPair("standby-host") };
  const keysOf = (role: DataRole): MediaKeys => ({
    hostKeyFile: host[role].file,
    settings: {
      privateKeyBase64: fs.readFileSync(login[role].file).toString("base64"),
      peerPublicKey: login[peerOf(role)].publicKey,
      peerAddress: ADDRESSES[peerOf(role)],
      peerHostPublicKey: host[peerOf(role)].publicKey,
    },
  });
  return { primary: keysOf("primary"), standby: keysOf("standby") };
}
