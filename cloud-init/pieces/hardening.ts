import type { CloudConfigPart } from "../cloud-config";
import { readCloudInitFile, renderTemplate } from "../files";
import { installScript, nodePaths } from "../node-paths";

export const sshdDropInPath = "/etc/ssh/sshd_config.d/01-dr-estate.conf";

/** SSH keys only, unattended security upgrades, and other users' processes hidden in /proc. */
export function hardening(): CloudConfigPart {
  const hideProcesses = installScript("hardening/proc-hidepid.sh");
  return {
    packages: ["unattended-upgrades"],
    writeFiles: [
      // 01-: sshd keeps the first value it reads, and cloud images ship their own drop-ins (cloud-init's
      // 50-cloud-init.conf may say PasswordAuthentication yes); ours must sort before them to win.
      { path: sshdDropInPath, content: renderSshdDropIn(nodePaths.sshHostKey), permissions: "0644" },
      { path: "/etc/apt/apt.conf.d/20auto-upgrades", content: readCloudInitFile("hardening/20auto-upgrades"), permissions: "0644" },
      hideProcesses,
    ],
    runcmd: ["systemctl reload ssh || systemctl reload sshd", hideProcesses.path],
  };
}

/** The sshd drop-in from its template; the test renders it with a host key of its own. */
export function renderSshdDropIn(hostKey: string): string {
  return renderTemplate("hardening/sshd-dr-estate.conf", { hostKey });
}
