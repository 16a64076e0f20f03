import { ports } from "../../estate/firewall-rules";
import type { CloudConfigPart } from "../cloud-config";
import { renderTemplate } from "../files";
import type { NodeConfig, StreamKey } from "../node-config";
import { installScript, nodePaths } from "../node-paths";
import { httpsPaths } from "./https-certificate";

/** Port of the streaming platform's application on the node; nginx proxies everything else to it. */
export const applicationPort = ports.application;

/** Where nginx's main configuration is written on the node. */
export const nginxConfigPath = "/etc/nginx/nginx.conf";

/** The files nginx.conf includes, by their path relative to its folder (cloud-init/files/nginx/<name>). */
export const nginxIncludedFiles = ["dr-estate/servers.conf", "dr-estate/healthz-locations.conf"] as const;

/** nginx-rtmp's on_publish check: an nginx server on loopback (the address is in nginx.conf too). */
export const rtmpPublishCheckAddress = "127.0.0.1:8935";

/** The check's configuration and its list of stream keys, beside nginx.conf (included relative to it). */
export const rtmpPublishFiles = { check: "dr-estate-rtmp-publish.conf", streamKeys: "dr-estate-stream-keys.map" } as const;

/** The on_publish check server: a known key's publish is relayed on loopback to the RTMP port nginx listens on. */
export function renderRtmpPublishCheck({ rtmpListen }: Pick<NginxSettings, "rtmpListen">): string {
  const rtmpPort = rtmpListen.split(":").pop();
  return renderTemplate("nginx/rtmp-publish-check.conf", { listen: rtmpPublishCheckAddress, rtmpLoopback: `127.0.0.1:${rtmpPort}` });
}

/** The map from each stream key to its stream's public name (keys and names are letters, digits and '-'). */
export function renderStreamKeys(streams: readonly StreamKey[]): string {
  return streams.map((stream) => `"${stream.key}" "${stream.name}";\n`).join("");
}

/** Runtime directory (under /run) of the healthz unit, holding the marker nginx answers /healthz from. */
const healthzRuntimeDirectory = "dr-estate/healthz";

/** The values of cloud-init/files/nginx/nginx.conf's placeholders. */
export interface NginxSettings {
  /** `listen` argument of the HTTP server: /healthz, the ACME path, and a redirect to HTTPS. */
  readonly httpListen: string;
  /** `listen` argument of the HTTPS server: HLS, /healthz, proxy to the application. */
  readonly httpsListen: string;
  /** PEM certificate chain and key the HTTPS server presents. */
  readonly tlsCertificate: string;
  readonly tlsCertificateKey: string;
  /** Served under /.well-known/acme-challenge/ over plain HTTP. */
  readonly acmeChallengeDirectory: string;
  /** `listen` argument of the RTMP server. */
  readonly rtmpListen: string;
  /** Where the RTMP module writes playlists and segments; served under /hls/. */
  readonly hlsDirectory: string;
  /** Where healthz-update.sh keeps the marker (and the reason of a 503). */
  readonly healthzDirectory: string;
  readonly applicationAddress: string;
  readonly pidFile: string;
  readonly logDirectory: string;
  /** Parent of nginx's client body and proxy temp folders. */
  readonly tempDirectory: string;
}

/** What the nodes run: ports from the estate's firewall rules, Debian's own nginx paths. */
export const nodeNginxSettings: NginxSettings = {
  httpListen: String(ports.http),
  httpsListen: String(ports.https),
  tlsCertificate: httpsPaths.certificate,
  tlsCertificateKey: httpsPaths.privateKey,
  acmeChallengeDirectory: httpsPaths.acmeChallengeDirectory,
  rtmpListen: String(ports.rtmp),
  hlsDirectory: "/var/lib/dr-estate/hls",
  healthzDirectory: `/run/${healthzRuntimeDirectory}`,
  applicationAddress: `127.0.0.1:${applicationPort}`,
  pidFile: "/run/nginx.pid",
  logDirectory: "/var/log/nginx",
  tempDirectory: "/var/lib/nginx",
};

/** nginx.conf from its template; tests render the same template for loopback ports and temp folders. */
export function renderNginxConfig(settings: NginxSettings): string {
  const { rtmpListen, hlsDirectory, applicationAddress, pidFile, logDirectory, tempDirectory } = settings;
  return renderTemplate("nginx/nginx.conf", { rtmpListen, hlsDirectory, applicationAddress, pidFile, logDirectory, tempDirectory });
}

/** The files nginx.conf includes, rendered, by their path relative to nginx.conf's folder. */
export function renderNginxIncludedFiles(settings: NginxSettings): Record<(typeof nginxIncludedFiles)[number], string> {
  const { httpListen, httpsListen, tlsCertificate, tlsCertificateKey, acmeChallengeDirectory, hlsDirectory, healthzDirectory } = settings;
  return {
    "dr-estate/servers.conf": renderTemplate("nginx/servers.conf", { httpListen, httpsListen, tlsCertificate, tlsCertificateKey, acmeChallengeDirectory, hlsDirectory }),
    "dr-estate/healthz-locations.conf": renderTemplate("nginx/healthz-locations.conf", { healthzDirectory }),
  };
}

/**
 * NGINX with the RTMP module: RTMP ingest to HLS, the HLS files over HTTPS with CORS, /healthz (200
 * only on the writable PostgreSQL primary, over HTTP and HTTPS) and a reverse proxy to the application;
 * plain HTTP redirects to HTTPS except /healthz and the ACME path.
 */
export function nginxRtmp(node: NodeConfig): CloudConfigPart {
  const settings = nodeNginxSettings;
  return {
    packages: ["nginx", "libnginx-mod-rtmp"],
    writeFiles: [
      installScript("healthz/healthz-update.sh"),
      {
        path: "/etc/systemd/system/dr-estate-healthz.service",
        content: renderTemplate("healthz/dr-estate-healthz.service", {
          runtimeDirectory: healthzRuntimeDirectory,
          intervalSeconds: 5,
          nodeFqdn: node.fqdn,
          scriptsDirectory: nodePaths.scripts,
        }),
        permissions: "0644",
      },
      // Deferred: written after the packages are installed, so nginx's own postinst starts with its
      // stock configuration and never tries ours before the RTMP module is on disk.
      { path: nginxConfigPath, content: renderNginxConfig(settings), permissions: "0644", defer: true },
      {
        path: `/etc/nginx/${rtmpPublishFiles.check}`,
        content: renderRtmpPublishCheck(settings),
        permissions: "0644",
        defer: true,
      },
      // Read by nginx's master process (root) alone.
      { path: `/etc/nginx/${rtmpPublishFiles.streamKeys}`, content: renderStreamKeys(node.streamKeys ?? []), permissions: "0600", defer: true },
      ...Object.entries(renderNginxIncludedFiles(settings)).map(([name, content]) => ({ path: `/etc/nginx/${name}`, content, permissions: "0644", defer: true })),
    ],
    runcmd: [
      `install -d -o www-data -g www-data -m 0755 ${settings.hlsDirectory}`,
      "systemctl daemon-reload",
      "systemctl enable --now dr-estate-healthz.service",
      "nginx -t",
      "systemctl enable nginx",
      "systemctl restart nginx",
    ],
  };
}
