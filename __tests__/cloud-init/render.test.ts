import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { gzipSync } from "node:zlib";
import { cloudInitFilePath, NodeConfig, NodeRole, renderCloudConfig, renderTemplate } from "../../cloud-init";
import { exampleNodeConfig, makeTestCertificates } from "../support/example-node";
import { parseCloudConfig, renderedFile } from "../support/rendered-files";

const roles: NodeRole[] = ["primary", "standby", "witness"];
const workDirectory = fs.mkdtempSync(path.join(os.tmpdir(), "dr-estate-render-"));
const certificates = makeTestCertificates();

/** A real OpenSSH Ed25519 key pair, as Terraform's tls provider makes them. */
function realSshKey(): { privateKeyBase64: string; publicKey: string } {
  const keyFile = path.join(workDirectory, "ssh_host_ed25519_key");
  fs.rmSync(keyFile, { force: true });
  fs.rmSync(`${keyFile}.pub`, { force: true });
  execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", keyFile]);
  return { privateKeyBase64: fs.readFileSync(keyFile).toString("base64"), publicKey: fs.readFileSync(`${keyFile}.pub`, "utf8").trim() };
}

/** Real operator keys: six Ed25519 and one RSA 4096 (the largest an estate is likely to list). */
function operatorKeys(): string[] {
  const keyFile = path.join(workDirectory, "operator_key");
  return ["ed25519", "ed25519", "ed25519", "ed25519", "ed25519", "ed25519", "rsa"].map((type, index) => {
    fs.rmSync(keyFile, { force: true });
    fs.rmSync(`${keyFile}.pub`, { force: true });
    execFileSync("ssh-keygen", ["-q", "-t", type, ...(type === "rsa" ? ["-b", "4096"] : []), "-N", "", "-C", `operator${index}@platform.example.com`, "-f", keyFile]);
    return fs.readFileSync(`${keyFile}.pub`, "utf8").trim();
  });
}

/**
 * The role's node as large as a production estate makes it: every optional part, real certificates
 * and keys, and more operator keys, admin networks, hostnames and streams than the example has.
 */
function fullestNodeConfig(role: NodeRole): NodeConfig {
  const hostKey = realSshKey();
  const example = exampleNodeConfig(role, {}, certificates);
  const adminCidrs = [...example.adminCidrs, ...Array.from({ length: 10 }, (_, index) => `192.0.2.${index * 16}/28`)];
  const config: NodeConfig = {
    ...example,
    estateName: "streaming-platform-dr",
    fqdn: `${role}.streaming-platform-example.com`,
    sshPublicKeys: operatorKeys(),
    adminCidrs,
    secrets: { ...example.secrets, sshHostKeyBase64: hostKey.privateKeyBase64, sshHostPublicKey: hostKey.publicKey },
  };
  if (role === "witness") {
    return { ...config, deadMansSwitchUrl: "https://hc-ping.example.com/0123456789abcdef0123456789abcdef" };
  }
  const mediaKey = realSshKey();
  return {
    ...config,
    https: { ...config.https!, hostnames: ["api", "stream", "cdn", "media", "upload", "live", "www", "app"].map((name) => `${name}.streaming-platform-example.com`) },
    streamKeys: ["main", "backup", "studio-a", "studio-b", "event", "test"].map((name, index) => ({ name, key: `streamkey${index}abcdefghijklmnopqrstuvw` })),
    offsiteBackups: {
      endpoint: "fsn1.your-objectstorage.com",
      region: "fsn1",
      bucket: "mhc-dr-backups",
      path: "/mhc-dr",
      accessKeyId: "ACCESSKEYID0123456789",
      secretAccessKey: "secretaccesskey0123456789abcdefghijklmnop",
      cipherPassphrase: "cipherpassphrase0123456789abcdefghijklmnopqrstuvwxyz0123456789ab",
      mediaCipherPassphrase: "mediapassphrase0123456789abcdefghijklmnopqrstuvwxyz0123456789abc",
      retentionDays: 90,
    },
    mediaReplication: { privateKeyBase64: mediaKey.privateKeyBase64, peerPublicKey: mediaKey.publicKey, peerAddress: "198.51.100.20", peerHostPublicKey: hostKey.publicKey },
  };
}

/** Runs a command and returns its exit status and output, without throwing. */
function run(command: string, args: string[]) {
  try {
    return { status: 0, output: execFileSync(command, args, { stdio: "pipe" }).toString() };
  } catch (error) {
    const { status, stdout, stderr } = error as { status: number; stdout: Buffer; stderr: Buffer };
    return { status, output: `${stdout}${stderr}` };
  }
}

describe.each(roles)("the %s's #cloud-config", (role) => {
  const document = renderCloudConfig(exampleNodeConfig(role));

  test("passes cloud-init's own schema check", () => {
    const file = path.join(workDirectory, `${role}.yaml`);
    fs.writeFileSync(file, document);
    const result = run("cloud-init", ["schema", "--config-file", file]);
    expect(result.output).toContain("Valid cloud-config");
    expect(result.status).toBe(0);
  });

  test("fits the providers' user-data limits: Hetzner 32 KiB as base64 of gzip, DigitalOcean 64 KiB with gzipped files", () => {
    // Terraform's base64gzip compresses at the same default level as Node's gzipSync.
    const config = fullestNodeConfig(role);
    expect(gzipSync(renderCloudConfig(config)).toString("base64").length).toBeLessThan(32 * 1024);
    const compressedFiles = renderCloudConfig(config, { compressFiles: true });
    expect(Buffer.byteLength(compressedFiles)).toBeLessThan(64 * 1024);
  });

  test("gzipped files decode to the same content, and deploy-time values stay plain", () => {
    const compressed = renderCloudConfig(exampleNodeConfig(role), { compressFiles: true, isDeployTimeValue: (text) => text.includes("NODE_ROLE") });
    const files = parseCloudConfig(compressed).write_files;
    expect(files.find((f) => f.path === "/etc/dr-estate/estate.env")!.encoding).toBeUndefined();
    const gzipped = files.filter((f) => f.encoding === "gz+b64");
    expect(gzipped.length).toBeGreaterThan(3);
    for (const file of gzipped) {
      expect(renderedFile(compressed, file.path)).toBe(renderedFile(document, file.path));
    }
    const schemaFile = path.join(workDirectory, `${role}-compressed.yaml`);
    fs.writeFileSync(schemaFile, compressed);
    expect(run("cloud-init", ["schema", "--config-file", schemaFile]).status).toBe(0);
  });

  test("holds the role's settings and keeps secrets out of world-readable files", () => {
    expect(renderedFile(document, "/etc/dr-estate/estate.env")).toContain(`NODE_ROLE='${role}'`);
    const files = parseCloudConfig(document).write_files;
    const secretFiles = files.filter((f) => /secrets\.env$|\.key$/.test(f.path));
    expect(secretFiles.length).toBeGreaterThanOrEqual(2);
    for (const file of secretFiles) {
      expect(file.permissions).toBe("0600");
    }
  });
});

test("a cloud-config that is not valid is caught by the same check (the check can fail)", () => {
  const file = path.join(workDirectory, "broken.yaml");
  fs.writeFileSync(file, "#cloud-config\nruncmd: []\nwrite_files: [{content: x}]\n");
  expect(run("cloud-init", ["schema", "--config-file", file]).status).not.toBe(0);
});

test("Terraform interpolations pass through the renderer untouched", () => {
  const token = "${TfToken[TOKEN.42]}";
  const document = renderCloudConfig(exampleNodeConfig("standby", { dataDevice: `/dev/disk/by-id/scsi-0HC_Volume_${token}` }));
  expect(parseCloudConfig(document).runcmd.join("\n")).toContain(token);
});

test("every shell script shipped under cloud-init/files passes shellcheck", () => {
  const scripts = fs
    .readdirSync(cloudInitFilePath(""), { recursive: true, encoding: "utf8" })
    .filter((file) => file.endsWith(".sh"))
    .map((file) => cloudInitFilePath(file));
  expect(scripts.length).toBeGreaterThan(0);
  for (const script of scripts) {
    expect(fs.readFileSync(script, "utf8")).toMatch(/^#!\/(usr\/)?bin\/(env )?(ba)?sh/);
  }
  const result = run("shellcheck", ["--external-sources", "--severity=style", ...scripts]);
  expect(result.output).toBe("");
  expect(result.status).toBe(0);
});

test("templates refuse a missing or unknown placeholder", () => {
  expect(() => renderTemplate("hardening/20auto-upgrades", { unused: 1 })).toThrow(/unknown placeholders unused/);
});
