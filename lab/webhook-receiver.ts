// The lab's alert webhook, run in the client namespace: HTTPS with a certificate of the lab's own
// CA (which the lab estate names as alerts.webhookCaCertificate). Prints each body it receives as
// one JSON line: {"t": ..., "e": "webhook", "path": ..., "body": ...}.
//   node -r ts-node/register/transpile-only lab/webhook-receiver.ts CERT KEY PORT
import * as fs from "node:fs";
import * as https from "node:https";

const [certificate, key, port] = process.argv.slice(2);
https
  .createServer({ cert: fs.readFileSync(certificate), key: fs.readFileSync(key) }, (request, response) => {
    let body = "";
    request.on("data", (chunk) => (body += chunk));
    request.on("end", () => {
      process.stdout.write(JSON.stringify({ t: Date.now(), e: "webhook", path: request.url, body }) + "\n");
      response.end("ok");
    });
  })
  .listen(Number(port), "0.0.0.0");
process.on("SIGTERM", () => process.exit(0));
