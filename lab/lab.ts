// The estate lab: three Debian 12 containers (witness, primary, standby) with systemd as PID 1,
// on a private network at the estate's addresses, each booted from nothing but its own NoCloud seed,
// made by OpenTofu from the lab stack (the estate's own secrets and documents). A client namespace
// reaches them as an operator and an application would.
import { execFileSync, spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { App } from "cdktf";
import { parseCloudConfig } from "../cloud-init/cloud-config";
import { readDeployedNodes } from "../converge/cli";
import type { ConvergeNode } from "../converge/converge";
import type { Estate, NodeRole } from "../estate";
import { nodeRoles } from "../estate";
import { LoadProcess } from "../drill/lab/load-process";
import { builtTools, BuiltTools, runTofu } from "../tools/built-tools";
import { makeTestCertificatesFor, TestCertificates } from "../tools/test-certificates";
import { LabContainer } from "./container";
import { labAddresses, labEstate, LabSettings, labPrefixLength, labSeed } from "./lab-estate";
import { LabStack } from "./lab-stack";
import { createLabNetwork, LabNetwork } from "./network";

export interface CloudInitResult {
  readonly status: string;
  readonly errors: string[];
  /** From the container's boot until cloud-init reported done. */
  readonly seconds: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Packages the lab image must hold beyond a document's own: what install-postgres.sh installs. */
const postgresPackages = (major: number) => ["postgresql-common", `postgresql-${major}`, `postgresql-${major}-auto-failover`, "pg-auto-failover-cli"];

export class Lab {
  readonly id = `lab${process.pid % 100000}`;
  readonly work: string;
  readonly tools: BuiltTools;
  /** The operators' SSH keys: `keys[i]` is a private key file, `publicKeys[i]` its public line. */
  readonly keys: string[] = [];
  readonly publicKeys: string[] = [];
  /** The webhook receiver's certificate, from a CA of the lab's own. */
  readonly webhookCertificates: TestCertificates;
  estate!: Estate;
  nodes!: Record<NodeRole, ConvergeNode>;
  network?: LabNetwork;
  readonly containers = {} as Record<NodeRole, LabContainer>;
  private image?: { rootfs: string; repo: string };
  private readonly programs: LoadProcess[] = [];
  private readonly stackDirectory: string;

  constructor() {
    this.work = fs.mkdtempSync(path.join(os.tmpdir(), `dr-estate-${this.id}-`));
    fs.chmodSync(this.work, 0o755);
    this.tools = builtTools();
    process.env.TERRAFORM_BINARY_NAME = this.tools.tofu;
    this.stackDirectory = path.join(this.work, "cdktf.out", "stacks", "lab");
    this.webhookCertificates = makeTestCertificatesFor({ webhook: labAddresses.client }, { directory: path.join(this.work, "webhook-tls") }).webhook;
    for (const name of ["operator-a", "operator-b"]) {
      const key = path.join(this.work, name);
      execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", `${name}@lab`, "-f", key], { stdio: "pipe" });
      this.keys.push(key);
      this.publicKeys.push(fs.readFileSync(`${key}.pub`, "utf8").trim());
    }
  }

  /** Synthesizes the lab stack for `settings` and applies it with OpenTofu; reads the nodes back from the state. */
  async deploy(settings: Partial<LabSettings> = {}, replace: readonly string[] = []): Promise<void> {
    this.estate = labEstate({ sshPublicKeys: this.publicKeys, webhookCaCertificate: this.webhookCertificates.caPem, ...settings });
    const app = new App({ outdir: path.join(this.work, "cdktf.out") });
    new LabStack(app, "lab", { estate: this.estate, addresses: labAddresses, trustedClients: [labAddresses.client], statePath: path.join(this.work, "lab.tfstate") });
    app.synth();
    for (const args of [["init", "-input=false"], ["apply", "-auto-approve", "-input=false", ...replace.map((address) => `-replace=${address}`)]]) {
      const result = await runTofu(this.tools, [...args, "-no-color"], this.stackDirectory);
      if (result.status !== 0) {
        throw new Error(`tofu ${args[0]} of the lab stack failed:\n${result.output}`);
      }
    }
    this.nodes = readDeployedNodes(this.stackDirectory);
  }

  /** Terraform addresses in the lab's state whose type and name match. */
  stateAddresses(pattern: RegExp): string[] {
    const state = JSON.parse(fs.readFileSync(path.join(this.work, "lab.tfstate"), "utf8")) as { resources: { type: string; name: string }[] };
    return state.resources.map((resource) => `${resource.type}.${resource.name}`).filter((address) => pattern.test(address));
  }

  /** The image (cached), the network, and a container per node, none started. */
  prepare(): void {
    raiseInotifyLimit();
    const packages = new Set(postgresPackages(this.estate.postgres.majorVersion));
    for (const role of nodeRoles) {
      parseCloudConfig(this.nodes[role].document).packages.forEach((p) => packages.add(p));
    }
    const script = path.join(__dirname, "build-image.sh");
    const directory = execFileSync("bash", [script, ...[...packages].sort()], { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"], timeout: 30 * 60_000 }).trim().split("\n").pop()!;
    this.image = { rootfs: path.join(directory, "rootfs"), repo: path.join(directory, "repo") };
    this.network = createLabNetwork(this.id, {
      nodes: nodeRoles,
      clients: { client: `${labAddresses.client}/${labPrefixLength}`, outsider: `${labAddresses.outsider}/${labPrefixLength}` },
    });
    for (const role of nodeRoles) {
      this.containers[role] = new LabContainer(`${this.id}-${role}`, path.join(this.work, role), this.network.namespaces[role], this.image.repo, path.join(this.work, `${role}.console.log`));
    }
  }

  /**
   * Installs a node from scratch (a fresh root filesystem and its seed) and boots it. With
   * `keepData`, PostgreSQL's directory survives from the previous installation, as the data
   * volume does when a cloud server is rebuilt.
   */
  async install(role: NodeRole, instance = 1, options: { keepData?: boolean } = {}): Promise<void> {
    const container = this.containers[role];
    const kept = path.join(this.work, `${role}.data`);
    const dataDirectory = () => path.join(container.rootfs, "var/lib/postgresql");
    if (options.keepData) {
      fs.renameSync(dataDirectory(), kept);
    }
    container.install(this.image!.rootfs, labSeed(this.estate, role, this.nodes[role].document, instance));
    if (options.keepData) {
      fs.rmSync(dataDirectory(), { recursive: true, force: true });
      fs.renameSync(kept, dataDirectory());
    }
    await container.boot();
  }

  /** Waits until cloud-init has finished on `role`; its result and how long it took since the boot. */
  async cloudInit(role: NodeRole, timeoutSeconds = 1200): Promise<CloudInitResult> {
    const container = this.containers[role];
    const started = container.bootedAt ?? Date.now();
    for (;;) {
      // `status` says error as soon as a stage failed, while the later stages still run: wait for
      // the final stage to have written its result.
      const finished = container.run("test", ["-e", "/var/lib/cloud/instance/boot-finished"]).status === 0;
      const result = container.run("cloud-init", ["status", "--format", "json"], { timeoutMs: 30_000 });
      if (finished && result.stdout.trim().startsWith("{")) {
        const status = JSON.parse(result.stdout) as { status: string; errors?: string[] };
        if (status.status === "done" || status.status === "error") {
          return { status: status.status, errors: status.errors ?? [], seconds: Math.round((Date.now() - started) / 1000) };
        }
      }
      if (Date.now() - started > timeoutSeconds * 1000) {
        throw new Error(`${role}: cloud-init not done after ${timeoutSeconds}s: ${result.stdout}${result.stderr}`);
      }
      await sleep(1000);
    }
  }

  /** Runs a program in the client namespace (the operator's or application's side). */
  client(command: string, args: readonly string[], options: { input?: string | Buffer; timeoutMs?: number } = {}) {
    return this.runIn("client", command, args, options);
  }

  /** Runs a program in a host's namespace: `client`, or `outsider` (the internet). */
  runIn(host: "client" | "outsider", command: string, args: readonly string[], options: { input?: string | Buffer; timeoutMs?: number } = {}) {
    const result = spawnSync("ip", ["netns", "exec", this.network!.namespaces[host], command, ...args], {
      encoding: "utf8",
      input: options.input,
      timeout: options.timeoutMs ?? 60_000,
      maxBuffer: 64 * 1024 * 1024,
    });
    return { status: result.status ?? 255, stdout: result.stdout ?? "", stderr: result.stderr ?? "" };
  }

  /** A program of this repository (drill/load.ts, lab/webhook-receiver.ts) running in the client namespace. */
  startProgram(script: string, args: readonly string[], mode = path.basename(script, ".ts")): LoadProcess {
    const child = spawn(
      "ip",
      ["netns", "exec", this.network!.namespaces.client, process.execPath, "-r", "ts-node/register/transpile-only", path.join(__dirname, "..", script), ...args],
      { cwd: path.join(__dirname, ".."), stdio: ["ignore", "pipe", "inherit"] },
    );
    const program = new LoadProcess(mode, child);
    this.programs.push(program);
    return program;
  }

  /** Stops every container and program, and removes the network and the work folder. */
  async destroy(): Promise<void> {
    await Promise.all(this.programs.map((program) => program.stop()));
    await Promise.all(Object.values(this.containers).map((container) => container.remove()));
    this.network?.remove();
    fs.rmSync(this.work, { recursive: true, force: true });
  }
}

export { sleep };

/**
 * Three systemds share this machine's inotify instances (every .path unit and udev-less daemon
 * takes some): the kernel's default of 128 runs out and units fail with "Too many open files".
 */
function raiseInotifyLimit(minimum = 1024): void {
  const file = "/proc/sys/fs/inotify/max_user_instances";
  if (Number(fs.readFileSync(file, "utf8")) < minimum) {
    fs.writeFileSync(file, String(minimum));
  }
}
