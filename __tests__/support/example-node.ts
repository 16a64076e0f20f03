import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { NodeConfig, NodeRole } from "../../cloud-init";
import { dataNodeInboundRules } from "../../estate";

/** Test certificates made with openssl once per test file: a CA and one node certificate for 127.0.0.1. */
export interface TestCertificates {
  readonly directory: string;
  readonly caPem: string;
  readonly certificatePem: string;
  readonly privateKeyPem: string;
}

export function makeTestCertificates(): TestCertificates {
  const directory = fs.mkdtempSync(path.join(os.tmpdir(), "dr-estate-tls-"));
  const run = (...args: string[]) => execFileSync("openssl", args, { cwd: directory, stdio: "pipe" });
  run("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "ca.key", "-out", "ca.crt", "-days", "2", "-subj", "/CN=test estate CA");
  run("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "node.key", "-out", "node.csr", "-subj", "/CN=localhost");
  fs.writeFileSync(path.join(directory, "san.ext"), "subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth,clientAuth\n");
  run("x509", "-req", "-in", "node.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial", "-out", "node.crt", "-days", "2", "-extfile", "san.ext");
  const read = (name: string) => fs.readFileSync(path.join(directory, name), "utf8");
  return { directory, caPem: read("ca.crt"), certificatePem: read("node.crt"), privateKeyPem: read("node.key") };
}

const base64 = (text: string) => Buffer.from(text).toString("base64");

/** A node of the example estate, with real values where Terraform would put tokens. */
export function exampleNodeConfig(role: NodeRole, overrides: Partial<NodeConfig> = {}, certificates?: TestCertificates): NodeConfig {
  const pem = certificates ?? { caPem: "CA", certificatePem: "CERT", privateKeyPem: "KEY" };
  const peers = { primary: "203.0.113.10", standby: "198.51.100.20", witness: "198.51.100.30" };
  return {
    role,
    estateName: "mhc-dr",
    fqdn: `${role}.example.com`,
    peers,
    adminCidrs: ["198.51.100.0/24"],
    sshPublicKeys: ["ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGV4YW1wbGVrZXlyZXBsYWNlbWV3aXRoeW91cm93bms ops@example.com"],
    postgres: { majorVersion: 16, database: "mhc", synchronousReplication: false },
    backups: { hourlyRetentionHours: 48, dailyRetentionDays: 30, weeklyRetentionWeeks: 12 },
    alertWebhookUrl: "https://alerts.example.com/hooks/dr-estate",
    dataDevice: role === "standby" ? "/dev/disk/by-id/scsi-0HC_Volume_12345" : undefined,
    hostFirewallRules:
      role === "primary"
        ? dataNodeInboundRules({ adminCidrs: ["198.51.100.0/24"], estatePeers: [`${peers.standby}/32`, `${peers.witness}/32`] })
        : undefined,
    secrets: {
      replicationPassword: "replicationpassword0123456789abc",
      failoverMonitorPassword: "monitorpassword0123456789abcdefg",
      natsPassword: "natspassword0123456789abcdefghij",
      caCertificateBase64: base64(pem.caPem),
      nodeCertificateBase64: base64(pem.certificatePem),
      nodePrivateKeyBase64: base64(pem.privateKeyPem),
    },
    ...overrides,
  };
}
