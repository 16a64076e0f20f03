// A node of the example estate as the renderer takes it: for the tests and the drill.
import type { NodeConfig, NodeRole } from "../cloud-init";
import { inboundRulesByRole } from "../stacks/inbound-rules";
import type { TestCertificates } from "./test-certificates";

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
    postgres: { majorVersion: 16, database: "mhc", synchronousReplication: false, source: "distribution" },
    backups: { hourlyRetentionHours: 48, dailyRetentionDays: 30, weeklyRetentionWeeks: 12 },
    alertWebhookUrl: "https://alerts.example.com/hooks/dr-estate",
    https:
      role === "witness"
        ? undefined
        : { hostnames: ["api.example.com", "stream.example.com", "cdn.example.com"], cloudflareApiToken: "cloudflaretokendnseditofthezone0123456789" },
    dataDevice: role === "standby" ? "/dev/disk/by-id/scsi-0HC_Volume_12345" : undefined,
    hostFirewallRules: inboundRulesByRole(["198.51.100.0/24"], peers)[role],
    streamKeys: role === "witness" ? undefined : [{ name: "main", key: "streamkeymain0123456789abcdefghij" }],
    secrets: {
      replicationPassword: "replicationpassword0123456789abc",
      failoverMonitorPassword: "monitorpassword0123456789abcdefg",
      natsPassword: "natspassword0123456789abcdefghij",
      caCertificateBase64: base64(pem.caPem),
      nodeCertificateBase64: base64(pem.certificatePem),
      nodePrivateKeyBase64: base64(pem.privateKeyPem),
      sshHostKeyBase64: base64("HOST KEY"),
      sshHostPublicKey: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGhvc3RrZXlvZnRoZWV4YW1wbGVub2RlMDEyMzQ1Njc4OQ",
    },
    ...overrides,
  };
}
