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

/** The node's SSH host key as Terraform's tls provider makes it: a real OpenSSH Ed25519 key. */
function withRealKeys(config: NodeConfig): NodeConfig {
  const keyFile = path.join(workDirectory, "ssh_host_ed25519_key");
  fs.rmSync(keyFile, { force: true });
  execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", keyFile]);
  return { ...config, secrets: { ...config.secrets, sshHostKeyBase64: fs.readFileSync(keyFile).toString("base64") } };
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
    // With real certificates and host key; the headroom is for an estate with longer names and
    // more keys and admin networks than the example's.
    const headroom = 4 * 1024;
    const config = withRealKeys(exampleNodeConfig(role, {}, certificates));
    expect(gzipSync(renderCloudConfig(config)).toString("base64").length + headroom).toBeLessThan(32 * 1024);
    const compressedFiles = renderCloudConfig(config, { compressFiles: true });
    expect(Buffer.byteLength(compressedFiles) + headroom).toBeLessThan(64 * 1024);
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
