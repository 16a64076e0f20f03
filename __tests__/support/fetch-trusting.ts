import * as https from "node:https";

/**
 * fetch() over HTTPS to a server whose certificate `ca` signed (Node's fetch takes no CA of its own).
 * Answers a standard Response; request headers may include Host.
 */
export function fetchTrusting(ca: string, url: string, init: { method?: string; headers?: Record<string, string> } = {}): Promise<Response> {
  return new Promise((resolve, reject) => {
    const request = https.request(url, { ca, method: init.method ?? "GET", headers: init.headers }, (response) => {
      const chunks: Buffer[] = [];
      response.on("data", (chunk: Buffer) => chunks.push(chunk));
      response.on("end", () => {
        const headers = new Headers();
        for (const [name, value] of Object.entries(response.headers)) {
          for (const item of Array.isArray(value) ? value : value === undefined ? [] : [value]) headers.append(name, item);
        }
        const status = response.statusCode ?? 0;
        resolve(new Response([204, 304].includes(status) ? null : Buffer.concat(chunks), { status, headers }));
      });
      response.on("error", reject);
    });
    request.on("error", reject);
    request.end();
  });
}
