import { type ChildProcess, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as https from "node:https";
import * as path from "node:path";
import * as Minio from "minio";
import { builtTools } from "../../tools/built-tools";
import { waitFor } from "../../tools/wait";
import { makeTestCertificates } from "./example-node";

/** A MinIO server on loopback for the off-site tests, with the client its root user drives. */
export interface MinioServer {
  readonly client: Minio.Client;
  /** The CA of the server's certificate, for clients that check it. */
  readonly caPem: string;
  stop(): Promise<void>;
}

/**
 * Starts MinIO over TLS (pgBackRest and rclone speak HTTPS only to S3) on localhost:`port`, its
 * console on the next port, data and certificates under `root`; resolves once it answers.
 * pgBackRest checks the certificate's DNS names, not its IP addresses: the endpoint is localhost.
 */
export async function startMinio(root: string, port: number, credentials: { accessKey: string; secretKey: string }): Promise<MinioServer> {
  const tls = makeTestCertificates();
  const certs = path.join(root, "minio-certs");
  fs.mkdirSync(certs, { recursive: true, mode: 0o755 });
  fs.writeFileSync(path.join(certs, "public.crt"), tls.certificatePem);
  fs.writeFileSync(path.join(certs, "private.key"), tls.privateKeyPem);
  const server: ChildProcess = spawn(
    builtTools().bin("minio"),
    ["server", path.join(root, "minio-data"), "--certs-dir", certs, "--address", `localhost:${port}`, "--console-address", `localhost:${port + 1}`, "--quiet"],
    { env: { ...process.env, MINIO_ROOT_USER: credentials.accessKey, MINIO_ROOT_PASSWORD: credentials.secretKey, MINIO_BROWSER: "off" }, stdio: "ignore" },
  );
  const client = new Minio.Client({ endPoint: "localhost", port, useSSL: true, transportAgent: new https.Agent({ ca: tls.caPem }), ...credentials });
  const stop = async () => {
    if (server.exitCode === null && server.signalCode === null) {
      const exited = new Promise((resolve) => server.on("exit", resolve));
      server.kill("SIGTERM");
      await exited;
    }
  };
  try {
    await waitFor("MinIO answering", 60, () => client.listBuckets().then(() => true));
  } catch (error) {
    await stop();
    throw error;
  }
  return { client, caPem: tls.caPem, stop };
}
