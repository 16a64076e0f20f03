import { Password } from "@cdktf/provider-random/lib/password";
import { PrivateKey } from "@cdktf/provider-tls/lib/private-key";
import { SelfSignedCert } from "@cdktf/provider-tls/lib/self-signed-cert";
import { EstateSecrets } from "../../constructs/estate-secrets";
import { synthScope } from "../support/synth-scope";

const password = (id: string) => expect.stringMatching(new RegExp(`^\\$\\{random_password\\.secrets_${id}_\\w+\\.result\\}$`));
const base64Of = (type: string, id: string, attribute: string) =>
  expect.stringMatching(new RegExp(`^\\$\\{base64encode\\(${type}\\.secrets_${id}_\\w+\\.${attribute}\\)\\}$`));

describe("EstateSecrets", () => {
  const { synthesized, json, exposed } = synthScope((scope, expose) => {
    const secrets = new EstateSecrets(scope, "secrets", { estateName: "dr-lab" });
    expose(secrets.nodeSecrets("standby", "standby.dr.example.org", "198.51.100.20"));
  });
  const only = (type: string, idPart: string) => Object.entries(json.resource[type]).filter(([id]) => id.includes(idPart)).map(([, attributes]) => attributes);

  test("generates the shared passwords: 32 letters and digits, safe in config files and URLs", () => {
    const passwords = Object.keys(json.resource.random_password).map((id) => id.replace(/^secrets_|_\w+$/g, ""));
    expect(passwords.sort()).toEqual(["backup-cipher-passphrase", "failover-monitor-password", "media-cipher-passphrase", "nats-password", "replication-password"]);
    for (const attributes of Object.values(json.resource.random_password)) {
      expect(attributes).toEqual({ length: 32, special: false });
    }
    expect(synthesized).toHaveResource(Password);
  });

  test("has a private CA named after the estate that only signs certificates", () => {
    expect(synthesized).toHaveResourceWithProperties(SelfSignedCert, {
      is_ca_certificate: true,
      subject: [{ common_name: "dr-lab estate CA", organization: "dr-lab" }],
      allowed_uses: ["cert_signing", "crl_signing"],
    });
    expect(synthesized).toHaveResourceWithProperties(PrivateKey, { algorithm: "ECDSA", ecdsa_curve: "P256" });
  });

  test("issues a node's certificate for its FQDN, role name and address, signed by the CA", () => {
    const [csr] = only("tls_cert_request", "standby-csr");
    expect(csr).toMatchObject({ subject: [{ common_name: "standby.dr.example.org" }], dns_names: ["standby.dr.example.org", "standby"], ip_addresses: ["198.51.100.20"] });
    const [certificate] = only("tls_locally_signed_cert", "standby-certificate");
    expect(certificate.ca_private_key_pem).toMatch(/^\$\{tls_private_key\.secrets_ca-key_\w+\.private_key_pem\}$/);
    expect(certificate.ca_cert_pem).toMatch(/^\$\{tls_self_signed_cert\.secrets_ca-certificate_\w+\.cert_pem\}$/);
    expect(certificate.allowed_uses).toEqual(expect.arrayContaining(["server_auth", "client_auth"]));
  });

  test("hands the node the shared passwords, the CA, its own certificate and an Ed25519 SSH host key", () => {
    expect(only("tls_private_key", "standby-ssh-host-key")).toEqual([{ algorithm: "ED25519" }]);
    expect(exposed).toEqual({
      replicationPassword: password("replication-password"),
      failoverMonitorPassword: password("failover-monitor-password"),
      natsPassword: password("nats-password"),
      caCertificateBase64: base64Of("tls_self_signed_cert", "ca-certificate", "cert_pem"),
      nodeCertificateBase64: base64Of("tls_locally_signed_cert", "standby-certificate", "cert_pem"),
      nodePrivateKeyBase64: base64Of("tls_private_key", "standby-key", "private_key_pem"),
      sshHostKeyBase64: base64Of("tls_private_key", "standby-ssh-host-key", "private_key_openssh"),
      sshHostPublicKey: expect.stringMatching(/^\$\{trimspace\(tls_private_key\.secrets_standby-ssh-host-key_\w+\.public_key_openssh\)\}$/),
    });
  });
});
