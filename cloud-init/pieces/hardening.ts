import type { CloudConfigPart } from "../cloud-config";
import { readCloudInitFile } from "../files";

/** SSH keys only, and unattended security upgrades. */
export function hardening(): CloudConfigPart {
  return {
    packages: ["unattended-upgrades"],
    writeFiles: [
      { path: "/etc/ssh/sshd_config.d/50-dr-estate.conf", content: readCloudInitFile("hardening/sshd-dr-estate.conf"), permissions: "0644" },
      { path: "/etc/apt/apt.conf.d/20auto-upgrades", content: readCloudInitFile("hardening/20auto-upgrades"), permissions: "0644" },
    ],
    runcmd: ["systemctl reload ssh || systemctl reload sshd"],
  };
}
