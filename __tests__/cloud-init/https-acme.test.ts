// HTTPS on the data nodes, with the files the https-certificate and nginx pieces ship: the real nginx
// on loopback (HTTP redirects except /healthz and the ACME path; the placeholder certificate before
// any issuance), and the real certbot with its Cloudflare plugin issuing and renewing against pebble,
// Let's Encrypt's test CA. DNS-01 runs end to end: a Cloudflare API stand-in on loopback (the
// plugin's library takes its base URL from CLOUDFLARE_API_URL) turns the TXT records certbot creates
// and deletes into pebble-challtestsrv's, the DNS server pebble validates against.
import { ChildProcess, spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as http from "node:http";
import * as os from "node:os";
import * as path from "node:path";
import { renderCloudConfig } from "../../cloud-init";
import { CertbotSettings, httpsPaths, renderCertbotConfig, renderCloudflareCredentials } from "../../cloud-init/pieces/https-certificate";
import { NginxSettings, nodeNginxSettings } from "../../cloud-init/pieces/nginx-rtmp";
import { builtTools } from "../../tools/built-tools";
import { waitFor } from "../../tools/wait";
import { exampleNodeConfig, makeTestCertificates } from "../support/example-node";
import { writeNginxFiles } from "../support/nginx-files";
import { parseCloudConfig, renderedFile } from "../support/rendered-files";

// This suite's loopback ports.
const ports = { http: 18180, https: 18443, pebble: 18400, pebbleManagement: 18401, cloudflare: 18402, dns: 18053, challtestsrv: 18055, closed: 18409 };

const node = exampleNodeConfig("primary");
const document = renderCloudConfig(node);
const hostnames = node.https!.hostnames;
const token = node.https!.cloudflareApiToken;
const zone = { id: "023e105f4ecef8ad9ca31a8372d0c353", name: "example.com" };
const scripts = "/usr/local/lib/dr-estate";

let work: string;
let settings: NginxSettings;
let nginxConfig: string;
let pebbleRoot: string;
let pebbleListenerCa: string;
const children: ChildProcess[] = [];
let cloudflare: http.Server;

/** What the Cloudflare stand-in was asked, in order: "POST _acme-challenge.api.example.com", "DELETE ...". */
const cloudflareCalls: string[] = [];

function run(command: string, args: string[], env: NodeJS.ProcessEnv = process.env, timeout = 120_000) {
  const result = spawnSync(command, args, { env, stdio: "pipe", timeout });
  return { status: result.status, output: `${result.stdout ?? ""}${result.stderr ?? ""}` };
}

/**
 * certbot without blocking: the Cloudflare stand-in it calls is served by this process. Answers
 * like run().
 */
function certbot(args: string[], env: NodeJS.ProcessEnv = certbotEnvironment()): Promise<{ status: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn("certbot", args, { env, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout!.on("data", (chunk) => (output += chunk));
    child.stderr!.on("data", (chunk) => (output += chunk));
    const timer = setTimeout(() => child.kill("SIGKILL"), 300_000);
    child.on("close", (status) => {
      clearTimeout(timer);
      resolve({ status, output });
    });
  });
}

function shipped(name: string): string {
  const file = path.join(work, "bin", name);
  fs.writeFileSync(file, renderedFile(document, `${scripts}/${name}`), { mode: 0o755 });
  return file;
}

/** The environment certbot and its hooks run in here: pebble's listener CA, the stand-in, this suite's folders. */
function certbotEnvironment(): NodeJS.ProcessEnv {
  return {
    ...process.env,
    REQUESTS_CA_BUNDLE: pebbleListenerCa,
    CLOUDFLARE_API_URL: `http://127.0.0.1:${ports.cloudflare}/client/v4`,
    HTTPS_DIR: settings.tlsCertificate.replace(/\/fullchain\.pem$/, ""),
    NGINX_PID_FILE: settings.pidFile,
  };
}

/** certbot.ini as shipped, with pebble, this suite's folders and no propagation wait. */
function certbotConfig(overrides: Partial<CertbotSettings> = {}): string {
  const values: CertbotSettings = {
    acmeServer: `https://127.0.0.1:${ports.pebble}/dir`,
    credentialsFile: path.join(work, "etc", "cloudflare-dns.ini"),
    propagationSeconds: 0,
    certificateName: "dr-estate",
    domains: hostnames.join(","),
    deployHook: path.join(work, "bin", "https-certificate-deploy.sh"),
    configDirectory: path.join(work, "letsencrypt", "config"),
    workDirectory: path.join(work, "letsencrypt", "work"),
    logsDirectory: path.join(work, "letsencrypt", "logs"),
    ...overrides,
  };
  const file = path.join(work, "etc", `certbot-${Object.keys(overrides).join("-") || "shipped"}.ini`);
  fs.writeFileSync(file, renderCertbotConfig(values));
  return file;
}

/** The certificate nginx presents on 443 for `hostname`, as openssl sees it. */
function servedCertificate(hostname: string): { subject: string; issuer: string; serial: string; names: string } {
  const handshake = run("openssl", ["s_client", "-connect", `127.0.0.1:${ports.https}`, "-servername", hostname], process.env, 20_000);
  const pem = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.exec(handshake.output)?.[0];
  if (!pem) {
    throw new Error(`no certificate from nginx: ${handshake.output}`);
  }
  const pemFile = path.join(work, "served.pem");
  fs.writeFileSync(pemFile, pem);
  const field = (flag: string) => run("openssl", ["x509", "-noout", flag, "-in", pemFile]).output.trim();
  return { subject: field("-subject"), issuer: field("-issuer"), serial: field("-serial"), names: run("openssl", ["x509", "-noout", "-ext", "subjectAltName", "-in", pemFile]).output };
}

/** curl as a client resolving `hostname` to loopback; the status line and what it printed. */
function curl(url: string, ...args: string[]) {
  return run("curl", ["-sS", "-o", "/dev/null", "-w", "%{http_code} %{redirect_url}", ...args, url], process.env, 20_000);
}

function curlHttps(hostname: string, requestPath: string, ca: string) {
  return curl(`https://${hostname}:${ports.https}${requestPath}`, "--resolve", `${hostname}:${ports.https}:127.0.0.1`, "--cacert", ca);
}

function start(command: string, args: string[], env: NodeJS.ProcessEnv = process.env): ChildProcess {
  const child = spawn(command, args, { env, stdio: ["ignore", "ignore", "pipe"] });
  let errors = "";
  child.stderr!.on("data", (chunk) => (errors = (errors + chunk).slice(-4000)));
  child.on("exit", (code) => code && console.error(`${command} exited ${code}: ${errors}`));
  children.push(child);
  return child;
}

async function challtestsrv(endpoint: "set-txt" | "clear-txt", body: object): Promise<void> {
  const response = await fetch(`http://127.0.0.1:${ports.challtestsrv}/${endpoint}`, { method: "POST", body: JSON.stringify(body) });
  if (!response.ok) {
    throw new Error(`challtestsrv ${endpoint}: ${response.status}`);
  }
}

/**
 * The part of Cloudflare's v4 API the dns-cloudflare plugin uses, for a token that may edit the DNS
 * records of one zone: zone lookup by name, and TXT records created, found and deleted, each one
 * published in (or cleared from) challtestsrv's DNS.
 */
function cloudflareStandIn(): http.Server {
  const records = new Map<string, { id: string; type: string; name: string; content: string }>();
  const answer = (response: http.ServerResponse, status: number, result: unknown, errors: { code: number; message: string }[] = []) => {
    response.writeHead(status, { "content-type": "application/json" });
    response.end(JSON.stringify({ success: errors.length === 0, errors, messages: [], result, result_info: { page: 1, per_page: 20, count: 0, total_count: 0 } }));
  };
  return http.createServer((request, response) => {
    let body = "";
    request.on("data", (chunk) => (body += chunk));
    request.on("end", async () => {
      try {
        const url = new URL(request.url!, "http://stand-in");
        if (request.headers.authorization !== `Bearer ${token}`) {
          return answer(response, 403, null, [{ code: 9109, message: "Invalid access token" }]);
        }
        if (request.method === "GET" && url.pathname === "/client/v4/zones") {
          return answer(response, 200, url.searchParams.get("name") === zone.name ? [{ id: zone.id, name: zone.name }] : []);
        }
        const match = /^\/client\/v4\/zones\/([^/]+)\/dns_records(?:\/([^/]+))?$/.exec(url.pathname);
        if (!match || match[1] !== zone.id) {
          return answer(response, 403, null, [{ code: 10000, message: "Authentication error" }]);
        }
        if (request.method === "POST") {
          const record = { id: `record-${records.size + 1}`, ...(JSON.parse(body) as { type: string; name: string; content: string }) };
          if (record.type !== "TXT" || !(record.name === zone.name || record.name.endsWith(`.${zone.name}`))) {
            return answer(response, 400, null, [{ code: 9000, message: `not a TXT record of ${zone.name}` }]);
          }
          records.set(record.id, record);
          cloudflareCalls.push(`POST ${record.name}`);
          await challtestsrv("set-txt", { host: `${record.name}.`, value: record.content });
          return answer(response, 200, record);
        }
        if (request.method === "GET" && !match[2]) {
          const wanted = [...records.values()].filter(
            (record) => record.type === url.searchParams.get("type") && record.name === url.searchParams.get("name") && record.content === url.searchParams.get("content"),
          );
          return answer(response, 200, wanted);
        }
        if (request.method === "DELETE" && match[2] && records.has(match[2])) {
          const record = records.get(match[2])!;
          records.delete(match[2]);
          cloudflareCalls.push(`DELETE ${record.name}`);
          await challtestsrv("clear-txt", { host: `${record.name}.` });
          return answer(response, 200, { id: record.id });
        }
        return answer(response, 404, null, [{ code: 7003, message: `no route for ${request.method} ${url.pathname}` }]);
      } catch (error) {
        answer(response, 500, null, [{ code: 1, message: String(error) }]);
      }
    });
  });
}

beforeAll(async () => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), "dr-estate-https-"));
  fs.chmodSync(work, 0o755); // nginx's workers (www-data) reach their folders inside
  for (const folder of ["bin", "etc", "https", "acme-challenge", "healthz", "hls", "logs", "temp", "nginx", "pebble"]) {
    fs.mkdirSync(path.join(work, folder), { mode: 0o755 });
  }
  settings = {
    ...nodeNginxSettings,
    httpListen: `127.0.0.1:${ports.http}`,
    httpsListen: `127.0.0.1:${ports.https}`,
    rtmpListen: "127.0.0.1:19351",
    tlsCertificate: path.join(work, "https", "fullchain.pem"),
    tlsCertificateKey: path.join(work, "https", "privkey.pem"),
    acmeChallengeDirectory: path.join(work, "acme-challenge"),
    hlsDirectory: path.join(work, "hls"),
    healthzDirectory: path.join(work, "healthz"),
    applicationAddress: "127.0.0.1:18481",
    pidFile: path.join(work, "nginx.pid"),
    logDirectory: path.join(work, "logs"),
    tempDirectory: path.join(work, "temp"),
  };
  nginxConfig = writeNginxFiles(path.join(work, "nginx"), settings);
  shipped("https-placeholder-certificate.sh");
  shipped("https-certificate-deploy.sh");
  fs.writeFileSync(path.join(work, "etc", "cloudflare-dns.ini"), renderCloudflareCredentials(token), { mode: 0o600 });

  // pebble's own HTTPS listener: a certificate for 127.0.0.1 that certbot trusts through REQUESTS_CA_BUNDLE.
  const listener = makeTestCertificates();
  pebbleListenerCa = path.join(work, "pebble", "listener-ca.pem");
  fs.writeFileSync(pebbleListenerCa, listener.caPem);
  fs.writeFileSync(path.join(work, "pebble", "cert.pem"), listener.certificatePem);
  fs.writeFileSync(path.join(work, "pebble", "key.pem"), listener.privateKeyPem);
  const pebbleConfig = path.join(work, "pebble", "pebble.json");
  fs.writeFileSync(
    pebbleConfig,
    JSON.stringify({
      pebble: {
        listenAddress: `127.0.0.1:${ports.pebble}`,
        managementListenAddress: `127.0.0.1:${ports.pebbleManagement}`,
        certificate: path.join(work, "pebble", "cert.pem"),
        privateKey: path.join(work, "pebble", "key.pem"),
        httpPort: ports.closed,
        tlsPort: ports.closed,
        ocspResponderURL: "",
        externalAccountBindingRequired: false,
        retryAfter: { authz: 1, order: 1 },
        // Let's Encrypt's: 90 days.
        profiles: { default: { description: "as Let's Encrypt issues", validityPeriod: 90 * 86400 } },
      },
    }),
  );

  const tools = builtTools();
  start(tools.bin("pebble-challtestsrv"), [
    "-dnsserver", `127.0.0.1:${ports.dns}`, "-management", `127.0.0.1:${ports.challtestsrv}`,
    "-http01", "", "-https01", "", "-tlsalpn01", "", "-doh", "", "-defaultIPv4", "127.0.0.1", "-defaultIPv6", "",
  ]);
  // No sleeps between validation attempts; every nonce accepted (pebble rejects 5 % by default to test
  // clients' retries); no valid authorization reused (by default half are), so a renewal answers DNS-01 again.
  start(tools.bin("pebble"), ["-config", pebbleConfig, "-dnsserver", `127.0.0.1:${ports.dns}`], {
    ...process.env,
    PEBBLE_VA_NOSLEEP: "1",
    PEBBLE_WFE_NONCEREJECT: "0",
    PEBBLE_AUTHZREUSE: "0",
  });
  cloudflare = cloudflareStandIn();
  await new Promise<void>((resolve) => cloudflare.listen(ports.cloudflare, "127.0.0.1", resolve));
  await waitFor("challtestsrv's management API", 30, async () => ((await fetch(`http://127.0.0.1:${ports.challtestsrv}/set-default-ipv4`, { method: "POST", body: '{"ip":"127.0.0.1"}' })).ok ? true : undefined));
  await waitFor("pebble's directory", 30, async () => (run("curl", ["-sSf", "--cacert", pebbleListenerCa, `https://127.0.0.1:${ports.pebble}/dir`]).status === 0 ? true : undefined));
}, 60 * 60_000);

afterAll(async () => {
  if (fs.existsSync(settings?.pidFile ?? "")) {
    run("kill", ["-QUIT", fs.readFileSync(settings.pidFile, "utf8").trim()]);
  }
  for (const child of children) {
    child.kill("SIGTERM");
  }
  await new Promise<void>((resolve) => (cloudflare ? cloudflare.close(() => resolve()) : resolve()));
  await waitFor("nginx to stop", 10, async () => (fs.existsSync(settings.pidFile) ? undefined : true)).catch(() => undefined);
  fs.rmSync(work, { recursive: true, force: true });
});

describe("the files the piece ships", () => {
  test("both data nodes get certbot with its Cloudflare plugin and the certbot token; the witness gets neither", () => {
    for (const role of ["primary", "standby"] as const) {
      const parsed = parseCloudConfig(renderCloudConfig(exampleNodeConfig(role)));
      expect(parsed.packages).toEqual(expect.arrayContaining(["certbot", "python3-certbot-dns-cloudflare"]));
      const credentials = parsed.write_files.find((file) => file.path === httpsPaths.cloudflareCredentials)!;
      expect(credentials.permissions).toBe("0600");
      expect(credentials.content).toBe(`# The Cloudflare API token certbot's dns-cloudflare plugin uses: DNS edit of the estate's zone only.\ndns_cloudflare_api_token = ${token}\n`);
      // The token is in that file and nowhere else: not in a command, a unit or estate.env.
      const elsewhere = parsed.write_files.filter((file) => file.path !== httpsPaths.cloudflareCredentials && file.content.includes(token)).map((file) => file.path);
      expect(elsewhere).toEqual([]);
      expect(parsed.runcmd.join("\n")).not.toContain(token);
    }
    const witness = renderCloudConfig(exampleNodeConfig("witness"));
    expect(parseCloudConfig(witness).packages).not.toContain("certbot");
    expect(witness).not.toContain(httpsPaths.cloudflareCredentials);
    expect(witness).not.toContain(token);
  });

  test("certbot.ini names Let's Encrypt, DNS-01 through Cloudflare, every service hostname and the deploy hook", () => {
    const ini = renderedFile(document, httpsPaths.certbotConfig);
    expect(ini).toContain("server = https://acme-v02.api.letsencrypt.org/directory\n");
    expect(ini).toContain("authenticator = dns-cloudflare\n");
    expect(ini).toContain(`dns-cloudflare-credentials = ${httpsPaths.cloudflareCredentials}\n`);
    expect(ini).toContain("domains = api.example.com,stream.example.com,cdn.example.com\n");
    expect(ini).toContain(`deploy-hook = ${scripts}/https-certificate-deploy.sh\n`);
    expect(ini).toContain("config-dir = /etc/letsencrypt\n");
  });

  test("the placeholder comes before nginx -t at first boot, and nginx.service makes one before its own check", () => {
    const runcmd = parseCloudConfig(document).runcmd;
    const placeholder = runcmd.indexOf(`${scripts}/https-placeholder-certificate.sh`);
    expect(placeholder).toBeGreaterThanOrEqual(0);
    expect(placeholder).toBeLessThan(runcmd.indexOf("nginx -t"));
    expect(runcmd).toContain("systemctl enable --now dr-estate-https-certificate.timer");
    // First boot never waits for the CA: certbot runs from the timer, never from runcmd.
    expect(runcmd.filter((command) => command.includes("certbot"))).toEqual([]);
    const dropIn = renderedFile(document, "/etc/systemd/system/nginx.service.d/dr-estate-https-placeholder.conf");
    expect(dropIn.split("\n").filter((line) => line.startsWith("ExecStartPre="))).toEqual([
      "ExecStartPre=",
      `ExecStartPre=${scripts}/https-placeholder-certificate.sh`,
      "ExecStartPre=/usr/sbin/nginx -t -q -g 'daemon on; master_process on;'",
    ]);
  });

  test("the scripts pass shellcheck", () => {
    const result = run("shellcheck", ["--severity=style", path.join(work, "bin", "https-placeholder-certificate.sh"), path.join(work, "bin", "https-certificate-deploy.sh")]);
    expect(result.output).toBe("");
    expect(result.status).toBe(0);
  });

  test("the certificate unit and timer pass systemd-analyze verify", () => {
    const units = fs.mkdtempSync(path.join(work, "units-"));
    for (const unit of ["dr-estate-https-certificate.service", "dr-estate-https-certificate.timer"]) {
      fs.writeFileSync(path.join(units, unit), renderedFile(document, `/etc/systemd/system/${unit}`));
    }
    const result = run("systemd-analyze", ["verify", path.join(units, "dr-estate-https-certificate.timer"), path.join(units, "dr-estate-https-certificate.service")]);
    expect(result.output).toBe("");
    expect(result.status).toBe(0);
    expect(renderedFile(document, "/etc/systemd/system/dr-estate-https-certificate.service")).toContain(`ExecStart=/usr/bin/certbot certonly --config ${httpsPaths.certbotConfig}\n`);
  });
});

describe("nginx before any certificate is issued", () => {
  test("the placeholder script makes a key pair, keeps a pair that matches and replaces one that does not", () => {
    const script = path.join(work, "bin", "https-placeholder-certificate.sh");
    const env = { ...process.env, HTTPS_DIR: path.join(work, "placeholder-check") };
    expect(run(script, [], env).status).toBe(0);
    const certificate = path.join(work, "placeholder-check", "fullchain.pem");
    const first = fs.readFileSync(certificate, "utf8");
    expect(run("openssl", ["x509", "-noout", "-subject", "-in", certificate]).output).toContain("placeholder");
    expect(fs.statSync(path.join(work, "placeholder-check", "privkey.pem")).mode & 0o777).toBe(0o600);
    expect(run(script, [], env).status).toBe(0);
    expect(fs.readFileSync(certificate, "utf8")).toBe(first);

    const other = makeTestCertificates();
    fs.writeFileSync(path.join(work, "placeholder-check", "privkey.pem"), other.privateKeyPem);
    expect(run(script, [], env).status).toBe(0);
    expect(fs.readFileSync(certificate, "utf8")).not.toBe(first);
  });

  test("nginx -t accepts the shipped servers with the placeholder, and refuses them with no certificate (the check can fail)", () => {
    const missing = run("nginx", ["-t", "-p", work, "-c", nginxConfig]);
    expect(missing.output).toMatch(/cannot load certificate/);
    expect(missing.status).not.toBe(0);
    expect(run(path.join(work, "bin", "https-placeholder-certificate.sh"), [], certbotEnvironment()).status).toBe(0);
    const result = run("nginx", ["-t", "-p", work, "-c", nginxConfig]);
    expect(result.output).toContain("test is successful");
    expect(result.status).toBe(0);
  });

  test("nginx starts and serves the placeholder on 443", async () => {
    expect(run("nginx", ["-p", work, "-c", nginxConfig]).status).toBe(0);
    await waitFor("nginx on 443", 20, async () => (curl(`https://127.0.0.1:${ports.https}/healthz`, "-k").output.startsWith("503") ? true : undefined));
    expect(servedCertificate("api.example.com").subject).toContain("placeholder");
    // Not trusted by anyone: a client checking certificates refuses it.
    expect(curlHttps("api.example.com", "/healthz", pebbleListenerCa).status).not.toBe(0);
  });
});

describe("plain HTTP redirects to HTTPS except /healthz and the ACME path", () => {
  const httpUrl = (requestPath: string) => `http://127.0.0.1:${ports.http}${requestPath}`;

  test.each([
    ["/", "https://stream.example.com/"],
    ["/hls/show.m3u8", "https://stream.example.com/hls/show.m3u8"],
    ["/streams/42?view=full&t=1", "https://stream.example.com/streams/42?view=full&t=1"],
    ["/.well-known/security.txt", "https://stream.example.com/.well-known/security.txt"],
    ["/healthz/", "https://stream.example.com/healthz/"],
  ])("%s is a 301 to %s", (requestPath, location) => {
    expect(curl(httpUrl(requestPath), "-H", "Host: stream.example.com").output).toBe(`301 ${location}`);
  });

  test("/healthz answers over HTTP itself, 503 and then 200 as healthz-update.sh writes it", () => {
    expect(curl(httpUrl("/healthz")).output).toBe("503 ");
    fs.writeFileSync(path.join(settings.healthzDirectory, "writable-primary"), "ok: writable primary (node primary.example.com)\n");
    try {
      expect(curl(httpUrl("/healthz")).output).toBe("200 ");
      expect(curl(`https://127.0.0.1:${ports.https}/healthz`, "-k").output).toBe("200 ");
    } finally {
      fs.rmSync(path.join(settings.healthzDirectory, "writable-primary"));
    }
  });

  test("the ACME challenge path is served from its folder over HTTP, never redirected", () => {
    const challenges = path.join(settings.acmeChallengeDirectory, ".well-known", "acme-challenge");
    fs.mkdirSync(challenges, { recursive: true, mode: 0o755 });
    fs.writeFileSync(path.join(challenges, "token-1"), "token-1.thumbprint");
    expect(curl(httpUrl("/.well-known/acme-challenge/token-1")).output).toBe("200 ");
    expect(run("curl", ["-sS", httpUrl("/.well-known/acme-challenge/token-1")]).output).toBe("token-1.thumbprint");
    expect(curl(httpUrl("/.well-known/acme-challenge/unknown")).output).toBe("404 ");
  });
});

describe("certbot issues and renews by DNS-01 through Cloudflare (against pebble)", () => {
  test("with the CA unreachable certbot fails, and nginx keeps serving the placeholder", async () => {
    const result = await certbot(["certonly", "--config", certbotConfig({ acmeServer: `https://127.0.0.1:${ports.closed}/dir` })]);
    expect(result.status).not.toBe(0);
    expect(servedCertificate("api.example.com").subject).toContain("placeholder");
    expect(cloudflareCalls).toEqual([]);
  });

  test("with a token Cloudflare refuses, certbot fails before any challenge and says why", async () => {
    const wrongCredentials = path.join(work, "etc", "wrong-token.ini");
    fs.writeFileSync(wrongCredentials, renderCloudflareCredentials("not-the-certbot-token"), { mode: 0o600 });
    const result = await certbot(["certonly", "--config", certbotConfig({ credentialsFile: wrongCredentials })]);
    expect(result.status).not.toBe(0);
    expect(result.output).toMatch(/Invalid access token|9109/);
    expect(cloudflareCalls).toEqual([]);
    expect(servedCertificate("api.example.com").subject).toContain("placeholder");
  });

  test("certbot issues the certificate of every service hostname; the deploy hook puts it on 443", async () => {
    const result = await certbot(["certonly", "--config", certbotConfig()]);
    expect(result.output).toMatch(/Successfully received certificate/);
    expect(result.status).toBe(0);
    // One TXT record per hostname, created through the API and deleted afterwards.
    const challenges = hostnames.map((hostname) => `_acme-challenge.${hostname}`);
    expect(cloudflareCalls.filter((call) => call.startsWith("POST")).sort()).toEqual(challenges.map((name) => `POST ${name}`).sort());
    expect(cloudflareCalls.filter((call) => call.startsWith("DELETE")).sort()).toEqual(challenges.map((name) => `DELETE ${name}`).sort());

    // The root pebble made at start and issues under: what a client of the test trusts, as browsers trust Let's Encrypt's.
    pebbleRoot = path.join(work, "pebble", "issuing-root.pem");
    const roots = run("curl", ["-sSf", "--cacert", pebbleListenerCa, `https://127.0.0.1:${ports.pebbleManagement}/roots/0`]);
    expect(roots.status).toBe(0);
    fs.writeFileSync(pebbleRoot, roots.output);

    await waitFor("nginx to serve the issued certificate", 20, async () => (servedCertificate("api.example.com").issuer.includes("Pebble") ? true : undefined));
    for (const hostname of hostnames) {
      expect(curlHttps(hostname, "/healthz", pebbleRoot).output).toBe("503 ");
    }
    const served = servedCertificate("cdn.example.com");
    expect(served.names).toEqual(expect.stringContaining("DNS:api.example.com"));
    expect(served.names).toEqual(expect.stringContaining("DNS:stream.example.com"));
    expect(served.names).toEqual(expect.stringContaining("DNS:cdn.example.com"));
    // A name the certificate does not cover fails the client's check.
    expect(curlHttps("other.example.com", "/healthz", pebbleRoot).status).not.toBe(0);
    expect(fs.statSync(settings.tlsCertificateKey).mode & 0o777).toBe(0o600);
  });

  test("the timer's next run keeps the certificate until it is due: no challenge, no new certificate", async () => {
    const before = servedCertificate("api.example.com").serial;
    const calls = cloudflareCalls.length;
    const result = await certbot(["certonly", "--config", certbotConfig()]);
    expect(result.status).toBe(0);
    expect(result.output).toMatch(/not yet due for renewal/);
    expect(cloudflareCalls.length).toBe(calls);
    expect(servedCertificate("api.example.com").serial).toBe(before);
  });

  // As certbot.timer runs it, without its random sleep of up to 8 minutes.
  test("certbot renew (Debian's certbot.timer) renews with the saved settings and the hook serves the new certificate", async () => {
    const before = servedCertificate("api.example.com").serial;
    const calls = cloudflareCalls.length;
    const configDirectory = path.join(work, "letsencrypt", "config");
    const result = await certbot(["renew", "--force-renewal", "--non-interactive", "--no-random-sleep-on-renew", "--config-dir", configDirectory, "--work-dir", path.join(work, "letsencrypt", "work"), "--logs-dir", path.join(work, "letsencrypt", "logs")]);
    expect(result.output).toMatch(/all renewals succeeded/);
    expect(result.status).toBe(0);
    expect(cloudflareCalls.length).toBe(calls + 2 * hostnames.length);
    await waitFor("nginx to serve the renewed certificate", 20, async () => (servedCertificate("api.example.com").serial !== before ? true : undefined));
    expect(curlHttps("stream.example.com", "/healthz", pebbleRoot).output).toBe("503 ");
  });

  test("the deploy hook installs nothing when the lineage's key is not the certificate's", () => {
    const lineage = path.join(work, "bad-lineage");
    fs.mkdirSync(lineage);
    const other = makeTestCertificates();
    fs.copyFileSync(pebbleRoot, path.join(lineage, "fullchain.pem"));
    fs.writeFileSync(path.join(lineage, "privkey.pem"), other.privateKeyPem);
    const served = fs.readFileSync(settings.tlsCertificate, "utf8");
    const result = run(path.join(work, "bin", "https-certificate-deploy.sh"), [], { ...certbotEnvironment(), RENEWED_LINEAGE: lineage });
    expect(result.output).toMatch(/is not the key of/);
    expect(result.status).not.toBe(0);
    expect(fs.readFileSync(settings.tlsCertificate, "utf8")).toBe(served);
  });

  test("the certificate-expiry gauge covers the served certificate on the data nodes", () => {
    const dropIn = renderedFile(document, "/etc/systemd/system/dr-estate-certificate-expiry.service.d/https.conf");
    expect(dropIn).toContain(`Environment=HTTPS_CERTIFICATE=${httpsPaths.certificate}\n`);
    const script = shipped("certificate-expiry.sh");
    const textfiles = fs.mkdtempSync(path.join(work, "textfiles-"));
    const env = { ...process.env, TEXTFILE_DIR: textfiles, CERTIFICATE_DIR: path.join(work, "no-tls"), HTTPS_CERTIFICATE: settings.tlsCertificate };
    expect(run(script, [], env).status).toBe(0);
    const notAfter = run("openssl", ["x509", "-noout", "-enddate", "-in", settings.tlsCertificate]).output.trim().replace(/^notAfter=/, "");
    const expected = Math.round(Date.parse(notAfter) / 1000);
    expect(fs.readFileSync(path.join(textfiles, "certificate-expiry.prom"), "utf8")).toContain(`dr_estate_certificate_expiry_timestamp_seconds{certificate="https"} ${expected}\n`);
    const witness = renderCloudConfig(exampleNodeConfig("witness"));
    expect(parseCloudConfig(witness).write_files.map((file) => file.path)).not.toContain("/etc/systemd/system/dr-estate-certificate-expiry.service.d/https.conf");
  });
});
