// A webhook behind a private CA: the scripts' curl and Alertmanager trust it through the estate's
// alerts.webhookCaCertificate, and nothing else does. An HTTPS receiver on loopback with a test CA.
import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as https from "node:https";
import type { AddressInfo } from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { nodePaths, renderCloudConfig } from "../../cloud-init";
import { monitoringPaths } from "../../cloud-init/pieces/monitoring";
import { exampleNodeConfig, makeTestCertificates } from "../support/example-node";
import { renderedFile } from "../support/rendered-files";

const certificates = makeTestCertificates();
const received: string[] = [];
let server: https.Server;
let url: string;

beforeAll(async () => {
  server = https.createServer({ cert: certificates.certificatePem, key: certificates.privateKeyPem }, (request, response) => {
    let body = "";
    request.on("data", (chunk) => (body += chunk));
    request.on("end", () => {
      received.push(body);
      response.end("ok");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  url = `https://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/dr-estate`;
});

afterAll(() => new Promise((resolve) => server.close(resolve)));

/** Runs backup-lib.sh's post_alert as the node would, from the files the document writes (CA relocated). */
function postAlert(withCa: boolean): Promise<string> {
  const document = renderCloudConfig(exampleNodeConfig("primary", { alertWebhookUrl: url, alertWebhookCaCertificate: withCa ? certificates.caPem : undefined }));
  const etc = fs.mkdtempSync(path.join(os.tmpdir(), "webhook-ca-"));
  const ca = path.join(etc, "alert-webhook-ca.crt");
  fs.writeFileSync(path.join(etc, "estate.env"), renderedFile(document, `${nodePaths.settings}/estate.env`).replace(nodePaths.alertWebhookCa, ca));
  if (withCa) {
    fs.writeFileSync(ca, renderedFile(document, nodePaths.alertWebhookCa));
  }
  const lib = path.join(etc, "backup-lib.sh");
  fs.writeFileSync(lib, renderedFile(document, `${nodePaths.scripts}/backup-lib.sh`));
  return new Promise((resolve) => {
    const child = spawn("sh", ["-c", `. "${lib}"; post_alert "the webhook CA test"`], { env: { ...process.env, DR_ESTATE_ETC: etc } });
    let output = "";
    child.stderr.on("data", (chunk) => (output += chunk));
    child.on("close", () => resolve(output));
  });
}

test("with the estate's webhook CA the scripts post to a receiver with a private certificate", async () => {
  const log = await postAlert(true);
  expect(log).toContain("posted the alert to the webhook");
  expect(JSON.parse(received.at(-1)!)).toMatchObject({ source: "dr-estate-backup", text: "the webhook CA test" });
});

test("without it the same receiver is refused (the CA is what makes it trusted)", async () => {
  const before = received.length;
  const log = await postAlert(false);
  expect(log).toContain("ERROR: could not post the alert to the webhook");
  expect(received.length).toBe(before);
});

test("Alertmanager's webhook trusts the same CA file, and only when one is given", () => {
  const withCa = renderedFile(renderCloudConfig(exampleNodeConfig("witness", { alertWebhookCaCertificate: certificates.caPem })), monitoringPaths.alertmanagerConfig);
  expect(withCa).toContain(`        http_config:\n          tls_config:\n            ca_file: ${nodePaths.alertWebhookCa}\n`);
  expect(renderedFile(renderCloudConfig(exampleNodeConfig("witness")), monitoringPaths.alertmanagerConfig)).not.toContain("http_config");
  const directory = fs.mkdtempSync(path.join(os.tmpdir(), "webhook-amtool-"));
  fs.writeFileSync(path.join(directory, "ca.crt"), certificates.caPem);
  fs.writeFileSync(path.join(directory, "alertmanager.yml"), withCa.replace(nodePaths.alertWebhookCa, path.join(directory, "ca.crt")));
  const check = spawnSync("amtool", ["check-config", "alertmanager.yml"], { cwd: directory, encoding: "utf8" });
  expect(check.stdout + check.stderr).toContain("SUCCESS");
  expect(check.status).toBe(0);
});
