// Certificates made with openssl for the tests, the drill and the lab: a CA and node certificates
// as Terraform's tls provider makes them (ECDSA P-256, server and client use, an IP in the SAN).
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

/** A CA and a node certificate signed by it, as PEM, and the folder holding their files. */
export interface TestCertificates {
  readonly directory: string;
  readonly caPem: string;
  readonly certificatePem: string;
  readonly privateKeyPem: string;
}

/** Test certificates for 127.0.0.1 (and localhost), made with openssl: a CA and one node certificate. */
export function makeTestCertificates(): TestCertificates {
  return makeTestCertificatesFor({ node: "127.0.0.1" }, { hostname: "localhost" }).node;
}

/**
 * A CA and one certificate per named node for its IPv4 address, as Terraform's tls provider makes
 * them (server and client use). `hostname` names them in the CN and SAN (default: the node's name);
 * the files go to `directory` (default: a new temporary folder).
 */
export function makeTestCertificatesFor<Name extends string>(
  addresses: Record<Name, string>,
  options: { hostname?: string; directory?: string } = {},
): Record<Name, TestCertificates> {
  const directory = options.directory ?? fs.mkdtempSync(path.join(os.tmpdir(), "dr-estate-tls-"));
  fs.mkdirSync(directory, { recursive: true });
  const run = (...args: string[]) => execFileSync("openssl", args, { cwd: directory, stdio: "pipe" });
  const read = (name: string) => fs.readFileSync(path.join(directory, name), "utf8");
  run("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "ca.key", "-out", "ca.crt", "-days", "2", "-subj", "/CN=test estate CA");
  const result = {} as Record<Name, TestCertificates>;
  for (const [name, address] of Object.entries(addresses) as [Name, string][]) {
    const dns = options.hostname ?? name;
    run("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", `${name}.key`, "-out", `${name}.csr`, "-subj", `/CN=${dns}`);
    fs.writeFileSync(path.join(directory, `${name}.ext`), `subjectAltName=DNS:${dns},IP:${address}\nextendedKeyUsage=serverAuth,clientAuth\n`);
    run("x509", "-req", "-in", `${name}.csr`, "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial", "-out", `${name}.crt`, "-days", "2", "-extfile", `${name}.ext`);
    result[name] = { directory, caPem: read("ca.crt"), certificatePem: read(`${name}.crt`), privateKeyPem: read(`${name}.key`) };
  }
  return result;
}

