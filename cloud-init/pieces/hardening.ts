import type { CloudConfigPart } from "../cloud-config";
import { readCloudInitFile } from "../files";

export const sshdDropInPath = "/etc/ssh/sshd_config.d/01-dr-estate.conf";

/** SSH keys only, and unattended security upgrades. */
export function hardening(): CloudConfigPart {
  return {
    packages: ["unattended-upgrades"],
    writeFiles: [
      // 01-: sshd keeps the first value it reads, and cloud images ship their own drop-ins (cloud-init's
      // 50-cloud-init.conf may say PasswordAuthentication yes); ours must sort before them to win.
      { path: sshdDropInPath, content: readCloudInitFile("hardening/sshd-dr-estate.conf"), permissions: "0644" },
      { path: "/etc/apt/apt.conf.d/20auto-upgrades", content: readCloudInitFile("hardening/20auto-upgrades"), permissions: "0644" },
    ],
    runcmd: ["systemctl reload ssh || systemctl reload sshd"],
  };
}
