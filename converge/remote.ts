import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

/** How to reach the nodes: the operator's SSH settings, and the host keys pinned from the state. */
export interface SshSettings {
  readonly user: string;
  readonly port: number;
  /** Private key to log in with; default: the agent's and ssh's own defaults. */
  readonly identity?: string;
  /** `address ssh-ed25519 ...` lines: the only host keys accepted. */
  readonly knownHosts: readonly string[];
  /** Seconds one remote command may take. */
  readonly timeoutSeconds: number;
}

export interface RemoteResult {
  readonly status: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Stands for the unpacked bundle's folder among a script's arguments. */
export const bundleDirectory = Symbol("bundle directory");

const shellQuote = (word: string) => `'${word.replace(/'/g, "'\\''")}'`;

/**
 * Unpacks `archive` into a fresh private folder on `address` and runs one of its scripts there as
 * root (the operator account has sudo), then removes the folder. Never blocks the event loop, so a
 * caller can keep other work (a write load, a probe) running meanwhile.
 */
export async function runBundled(
  ssh: SshSettings,
  address: string,
  archive: Buffer,
  script: string,
  args: readonly (string | typeof bundleDirectory)[],
): Promise<RemoteResult> {
  const knownHosts = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "converge-ssh-")), "known_hosts");
  fs.writeFileSync(knownHosts, ssh.knownHosts.map((line) => `${line}\n`).join(""));
  const words = args.map((arg) => (arg === bundleDirectory ? '"$d"' : shellQuote(arg))).join(" ");
  const remote = `d=$(mktemp -d) && trap 'rm -rf "$d"' EXIT && tar -xzf - -C "$d" && sudo -n sh "$d/${script}" ${words}`;
  const options = [
    "-o", "BatchMode=yes",
    "-o", "StrictHostKeyChecking=yes",
    "-o", `UserKnownHostsFile=${knownHosts}`,
    "-o", "GlobalKnownHostsFile=/dev/null",
    "-o", "ConnectTimeout=10",
    "-o", "ServerAliveInterval=5",
    "-p", String(ssh.port),
    ...(ssh.identity ? ["-i", ssh.identity, "-o", "IdentitiesOnly=yes"] : []),
  ];
  try {
    return await new Promise<RemoteResult>((resolve) => {
      const child = spawn("ssh", [...options, `${ssh.user}@${address}`, remote], { stdio: ["pipe", "pipe", "pipe"] });
      const stdout: Buffer[] = [];
      const stderr: Buffer[] = [];
      const timer = setTimeout(() => child.kill("SIGKILL"), ssh.timeoutSeconds * 1000);
      child.stdout.on("data", (chunk: Buffer) => stdout.push(chunk));
      child.stderr.on("data", (chunk: Buffer) => stderr.push(chunk));
      child.on("error", (error) => stderr.push(Buffer.from(`cannot run ssh: ${error.message}\n`)));
      child.on("close", (status) => {
        clearTimeout(timer);
        resolve({ status: status ?? 255, stdout: Buffer.concat(stdout).toString("utf8"), stderr: Buffer.concat(stderr).toString("utf8") });
      });
      child.stdin.on("error", () => undefined);
      child.stdin.end(archive);
    });
  } finally {
    fs.rmSync(path.dirname(knownHosts), { recursive: true, force: true });
  }
}
