import { ports } from "../../estate/firewall-rules";
import type { CloudConfigPart } from "../cloud-config";
import { renderTemplate } from "../files";
import type { NodeConfig } from "../node-config";
import { installScript, nodePaths } from "../node-paths";

/** Where the NATS configuration, its credentials and the nats-readable key copy live on the node. */
export const natsDirectory = `${nodePaths.settings}/nats`;
/** Monitoring (/varz, /healthz) port, bound to 127.0.0.1 only. */
export const natsMonitoringPort = ports.natsMonitoring;

/**
 * nats-server for the chat fallback on the primary and the standby, clustered over one TLS route.
 * The password reaches the server at service start (nats-credentials.sh), never a world-readable file.
 */
export function nats(node: NodeConfig): CloudConfigPart {
  const config = renderTemplate("nats/nats-server.conf", {
    serverName: node.fqdn,
    clusterName: node.estateName,
    clientPort: ports.nats,
    clusterPort: ports.natsCluster,
    monitoringPort: natsMonitoringPort,
    settingsDirectory: nodePaths.settings,
    natsDirectory,
  });
  const dropIn = renderTemplate("nats/nats-server-dropin.conf", { scriptsDirectory: nodePaths.scripts, natsDirectory });
  return {
    packages: ["nats-server"],
    writeFiles: [
      { path: `${natsDirectory}/nats-server.conf`, content: config, permissions: "0644" },
      installScript("nats/nats-credentials.sh"),
      // Written before the package is installed, so its first start already uses the estate's config.
      { path: "/etc/systemd/system/nats-server.service.d/dr-estate.conf", content: dropIn, permissions: "0644" },
    ],
    runcmd: ["systemctl daemon-reload", "systemctl enable nats-server", "systemctl restart nats-server"],
  };
}
