import type { CloudConfigPart } from "../cloud-config";
import { readCloudInitFile, renderTemplate } from "../files";
import type { HttpsSettings, NodeConfig } from "../node-config";
import { installScript, nodePaths } from "../node-paths";

/** Where the certificate nginx serves on 443 lives: the placeholder first, then certbot's copy. */
export const httpsPaths = {
  directory: `${nodePaths.settings}/https`,
  certificate: `${nodePaths.settings}/https/fullchain.pem`,
  privateKey: `${nodePaths.settings}/https/privkey.pem`,
  certbotConfig: `${nodePaths.settings}/https/certbot.ini`,
  /** 0600 root: certbot refuses credentials others can read. */
  cloudflareCredentials: `${nodePaths.settings}/cloudflare-dns.ini`,
  /** Answers /.well-known/acme-challenge/ on port 80; DNS-01 leaves it empty. */
  acmeChallengeDirectory: "/var/lib/dr-estate/acme-challenge",
} as const;

/** The values of cloud-init/files/https/certbot.ini's placeholders. */
export interface CertbotSettings {
  readonly acmeServer: string;
  readonly credentialsFile: string;
  readonly propagationSeconds: number;
  readonly certificateName: string;
  /** Comma-separated, as certbot's `domains` takes them. */
  readonly domains: string;
  readonly deployHook: string;
  readonly configDirectory: string;
  readonly workDirectory: string;
  readonly logsDirectory: string;
}

/** Let's Encrypt's production directory: publicly trusted certificates. */
export const letsEncryptDirectory = "https://acme-v02.api.letsencrypt.org/directory";

const placeholderScript = installScript("https/https-placeholder-certificate.sh");
const deployHook = installScript("https/https-certificate-deploy.sh");

/** certbot as a node runs it: Let's Encrypt, the node's credentials file, Debian's certbot folders. */
export function nodeCertbotSettings(https: HttpsSettings): CertbotSettings {
  return {
    acmeServer: letsEncryptDirectory,
    credentialsFile: httpsPaths.cloudflareCredentials,
    // Let's Encrypt checks from several places; Cloudflare's authoritative servers have the record within seconds.
    propagationSeconds: 30,
    certificateName: "dr-estate",
    domains: https.hostnames.join(","),
    deployHook: deployHook.path,
    configDirectory: "/etc/letsencrypt",
    workDirectory: "/var/lib/letsencrypt",
    logsDirectory: "/var/log/letsencrypt",
  };
}

/** certbot.ini as a node gets it. */
export function renderCertbotConfig(settings: CertbotSettings): string {
  return renderTemplate("https/certbot.ini", { ...settings });
}

export function renderCloudflareCredentials(apiToken: string): string {
  return renderTemplate("https/cloudflare-credentials.ini", { apiToken });
}

/**
 * HTTPS on the data nodes: nginx starts on a self-signed placeholder (first boot has no certificate
 * yet, and may have no way to the CA), certbot issues the service hostnames' certificate by DNS-01
 * through Cloudflare from a timer that retries until it succeeds, and its deploy hook swaps the
 * certificate in and reloads nginx. Runs before the nginx piece, whose `nginx -t` needs a certificate.
 */
export function httpsCertificate(node: NodeConfig): CloudConfigPart {
  if (!node.https) {
    throw new Error(`https: the ${node.role} serves HTTPS and needs its service hostnames and Cloudflare API token`);
  }
  if (node.https.hostnames.length === 0) {
    throw new Error("https.hostnames: the certificate must name at least one service hostname");
  }
  const unit = "/etc/systemd/system/dr-estate-https-certificate";
  return {
    packages: ["certbot", "python3-certbot-dns-cloudflare"],
    writeFiles: [
      placeholderScript,
      deployHook,
      { path: httpsPaths.cloudflareCredentials, content: renderCloudflareCredentials(node.https.cloudflareApiToken), permissions: "0600" },
      { path: httpsPaths.certbotConfig, content: renderCertbotConfig(nodeCertbotSettings(node.https)), permissions: "0644" },
      { path: `${unit}.service`, content: renderTemplate("https/dr-estate-https-certificate.service", { certbotConfig: httpsPaths.certbotConfig }), permissions: "0644" },
      { path: `${unit}.timer`, content: readCloudInitFile("https/dr-estate-https-certificate.timer"), permissions: "0644" },
      {
        path: "/etc/systemd/system/nginx.service.d/dr-estate-https-placeholder.conf",
        content: renderTemplate("https/nginx-https-placeholder.conf", { placeholderScript: placeholderScript.path }),
        permissions: "0644",
      },
      {
        path: "/etc/systemd/system/dr-estate-certificate-expiry.service.d/https.conf",
        content: renderTemplate("https/certificate-expiry-https.conf", { servedCertificate: httpsPaths.certificate }),
        permissions: "0644",
      },
    ],
    runcmd: [
      placeholderScript.path,
      `install -d -m 0755 ${httpsPaths.acmeChallengeDirectory}`,
      "systemctl daemon-reload",
      "systemctl enable --now dr-estate-https-certificate.timer",
    ],
  };
}
