import type { CloudConfigPart } from "../cloud-config";
import { readCloudInitFile } from "../files";
import type { NodeConfig } from "../node-config";
import { installScript, nodePaths } from "../node-paths";
import { shellAssignments } from "../shell-quote";

export const mediaReplicationPaths = {
  settings: `${nodePaths.settings}/media-replication`,
  receiverUser: "media-replica",
  receiverHome: "/var/lib/media-replica",
  mediaDirectory: "/srv/media",
  sshdDropIn: "/etc/ssh/sshd_config.d/02-dr-estate-media-replica.conf",
} as const;

/** The receiving side's authorized_keys line: the peer's key may only run rrsync, inside the media folder. */
export function receiverAuthorizedKey(peerPublicKey: string, mediaDirectory: string = mediaReplicationPaths.mediaDirectory): string {
  return `restrict,command="/usr/bin/rrsync ${mediaDirectory}" ${peerPublicKey}\n`;
}

/**
 * Media replication between the data nodes: a timer pushes /srv/media to the peer with rsync over
 * SSH whenever this node holds the writable database; the peer's key is confined by rrsync.
 */
export function mediaReplication(node: NodeConfig): CloudConfigPart {
  const replication = node.mediaReplication;
  if (!replication) {
    return {};
  }
  const { settings, receiverUser, receiverHome, mediaDirectory } = mediaReplicationPaths;
  return {
    packages: ["rsync", "openssh-client"],
    writeFiles: [
      installScript("media/media-replicate.sh"),
      { path: `${settings}/id_ed25519`, content: replication.privateKeyBase64, encoding: "b64", permissions: "0600" },
      { path: `${settings}/known_hosts`, content: `${replication.peerAddress} ${replication.peerHostPublicKey}\n`, permissions: "0644" },
      { path: `${settings}/peer.env`, content: shellAssignments({ MEDIA_PEER_ADDRESS: replication.peerAddress }), permissions: "0644" },
      { path: `${receiverHome}/.ssh/authorized_keys`, content: receiverAuthorizedKey(replication.peerPublicKey), permissions: "0644", defer: true },
      { path: mediaReplicationPaths.sshdDropIn, content: readCloudInitFile("media/sshd-media-replica.conf"), permissions: "0644" },
      { path: "/etc/systemd/system/dr-estate-media-replication.service", content: readCloudInitFile("media/dr-estate-media-replication.service"), permissions: "0644" },
      { path: "/etc/systemd/system/dr-estate-media-replication.timer", content: readCloudInitFile("media/dr-estate-media-replication.timer"), permissions: "0644" },
    ],
    runcmd: [
      `id ${receiverUser} || useradd --system --home-dir ${receiverHome} --create-home --shell /bin/sh ${receiverUser}`,
      `install -d -m 0755 -o ${receiverUser} -g ${receiverUser} ${mediaDirectory}`,
      `chown -R ${receiverUser}:${receiverUser} ${receiverHome}/.ssh`,
      "systemctl reload ssh || systemctl reload sshd",
      "systemctl daemon-reload",
      "systemctl enable --now dr-estate-media-replication.timer",
    ],
  };
}
