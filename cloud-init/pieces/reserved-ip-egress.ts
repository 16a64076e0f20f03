import type { CloudConfigPart } from "../cloud-config";
import { readCloudInitFile, renderTemplate } from "../files";
import type { NodeConfig } from "../node-config";
import { installScript } from "../node-paths";

/** How long first boot waits for the provider to assign the reserved IP before going on without it. */
const firstBootWaitSeconds = 600;

/**
 * DigitalOcean: outgoing IPv4 leaves from the reserved IP, so peers allow that one address and a
 * replaced droplet keeps its place in their allow-lists. Runs before PostgreSQL at first boot: the
 * primary and the monitor accept the node only from its reserved IP.
 */
export function reservedIpEgress(node: NodeConfig): CloudConfigPart {
  if (!node.egressThroughReservedIp) {
    return {};
  }
  const script = installScript("egress/reserved-ip-egress.sh");
  const unit = (name: string, content: string) => ({ path: `/etc/systemd/system/${name}`, content, permissions: "0644" });
  return {
    packages: ["curl"],
    writeFiles: [
      script,
      unit("dr-estate-reserved-ip-egress.service", renderTemplate("egress/dr-estate-reserved-ip-egress.service", { script: script.path })),
      unit("dr-estate-reserved-ip-egress.timer", readCloudInitFile("egress/dr-estate-reserved-ip-egress.timer")),
    ],
    runcmd: [`${script.path} ${firstBootWaitSeconds}`, "systemctl daemon-reload", "systemctl enable --now dr-estate-reserved-ip-egress.timer"],
  };
}
