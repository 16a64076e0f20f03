// One lab node: a Debian 12 container booted by systemd-nspawn with systemd as PID 1, in its own
// network namespace, from a copy of the lab image and nothing but its NoCloud seed.
import { ChildProcess, execFileSync, spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";

export interface Seed {
  readonly userData: string;
  readonly metaData: string;
  readonly networkConfig: string;
}

export interface CommandResult {
  readonly status: number;
  readonly stdout: string;
  readonly stderr: string;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export class LabContainer {
  private nspawn?: ChildProcess;
  /** When the last boot started (Date.now()). */
  bootedAt?: number;
  private exited?: Promise<void>;

  /**
   * @param machine   systemd-nspawn's machine name (also names the log file)
   * @param rootfs    the container's own root filesystem (copied from the image by `install`)
   * @param namespace the network namespace it joins
   * @param repo      the image's local apt repository, bind-mounted read-only
   */
  constructor(
    readonly machine: string,
    readonly rootfs: string,
    private readonly namespace: string,
    private readonly repo: string,
    private readonly logFile: string,
  ) {}

  /** A fresh root filesystem from the image, with `seed` where the NoCloud datasource reads it. */
  install(imageRootfs: string, seed: Seed): void {
    spawnSync("chattr", ["-R", "-a", path.join(this.rootfs, "var/lib/dr-estate")], { stdio: "ignore" });
    fs.rmSync(this.rootfs, { recursive: true, force: true });
    execFileSync("cp", ["-a", "--reflink=auto", imageRootfs, this.rootfs], { stdio: "pipe" });
    this.writeSeed(seed);
  }

  /** Replaces the seed (the same files on a reinstall: a new instance-id makes cloud-init run again). */
  writeSeed(seed: Seed): void {
    const directory = path.join(this.rootfs, "var/lib/cloud/seed/nocloud");
    fs.mkdirSync(directory, { recursive: true, mode: 0o700 });
    fs.writeFileSync(path.join(directory, "user-data"), seed.userData, { mode: 0o600 });
    fs.writeFileSync(path.join(directory, "meta-data"), seed.metaData);
    fs.writeFileSync(path.join(directory, "network-config"), seed.networkConfig);
  }

  /** Boots the container; returns once its systemd is PID 1 in it. */
  async boot(): Promise<void> {
    const log = fs.openSync(this.logFile, "a");
    this.bootedAt = Date.now();
    this.nspawn = spawn(
      "systemd-nspawn",
      [
        "--boot", "--quiet", "--register=no", "--keep-unit",
        `--machine=${this.machine}`, `--directory=${this.rootfs}`,
        `--network-namespace-path=/run/netns/${this.namespace}`,
        `--bind-ro=${this.repo}:/var/lib/lab-apt`,
        // What a server's kernel lets its root do: nftables, sysctls of its own network namespace.
        "--capability=CAP_NET_ADMIN,CAP_SYS_ADMIN",
        // The console goes straight to the log file: a console nobody reads would block systemd.
        "--console=pipe",
      ],
      { stdio: ["ignore", log, log] },
    );
    this.exited = new Promise((resolve) => this.nspawn!.once("exit", () => resolve()));
    fs.closeSync(log);
    const deadline = Date.now() + 60_000;
    while (this.leader() === undefined) {
      if (this.nspawn.exitCode !== null || Date.now() > deadline) {
        throw new Error(`${this.machine} did not boot (see ${this.logFile})`);
      }
      await sleep(200);
    }
  }

  /** PID (on this machine) of the container's systemd, once it runs. */
  leader(): number | undefined {
    if (!this.nspawn?.pid) return undefined;
    const children = spawnSync("pgrep", ["-P", String(this.nspawn.pid)], { encoding: "utf8" }).stdout.trim().split("\n").filter(Boolean);
    const comm = (pid: string) => {
      try {
        return fs.readFileSync(`/proc/${pid}/comm`, "utf8").trim();
      } catch {
        return undefined; // gone between the listing and the read
      }
    };
    const systemd = children.find((pid) => comm(pid) === "systemd");
    return systemd ? Number(systemd) : undefined;
  }

  /** Runs a command inside the container (all its namespaces, as root). */
  run(command: string, args: readonly string[] = [], options: { input?: string; timeoutMs?: number } = {}): CommandResult {
    const leader = this.leader();
    if (leader === undefined) {
      return { status: 255, stdout: "", stderr: `${this.machine} is not running` };
    }
    const result = spawnSync("nsenter", ["-t", String(leader), "-a", "--", command, ...args], {
      encoding: "utf8",
      input: options.input,
      timeout: options.timeoutMs ?? 120_000,
      maxBuffer: 64 * 1024 * 1024,
      env: { PATH: "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", LANG: "C.UTF-8" },
    });
    return { status: result.status ?? 255, stdout: result.stdout ?? "", stderr: result.stderr ?? "" };
  }

  /** Shell text run inside the container; its stdout, or a thrown error with its stderr. */
  sh(script: string): string {
    const result = this.run("sh", ["-c", script]);
    if (result.status !== 0) {
      throw new Error(`${this.machine}: ${script}: exit ${result.status}: ${result.stderr.trim()}`);
    }
    return result.stdout;
  }

  /** Stops the container as a shutdown would (systemd's poweroff), or kills it after `seconds`. */
  async stop(seconds = 60): Promise<void> {
    if (!this.running()) return;
    this.run("systemctl", ["poweroff"], { timeoutMs: 10_000 });
    await Promise.race([this.exited, sleep(seconds * 1000)]);
    await this.kill();
  }

  /** Pulls the plug: every process of the container dies at once (its PID namespace with its init). */
  async kill(): Promise<void> {
    if (!this.running()) return;
    const leader = this.leader();
    if (leader) spawnSync("kill", ["-9", String(leader)]);
    this.nspawn!.kill("SIGKILL");
    await this.exited;
  }

  async remove(): Promise<void> {
    await this.kill();
    // The witness's failover event log is append-only (chattr +a), as on a server.
    spawnSync("chattr", ["-R", "-a", path.join(this.rootfs, "var/lib/dr-estate")], { stdio: "ignore" });
    fs.rmSync(this.rootfs, { recursive: true, force: true });
  }

  private running(): boolean {
    return this.nspawn !== undefined && this.nspawn.exitCode === null && this.nspawn.signalCode === null;
  }
}
