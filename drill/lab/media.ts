// The data nodes' media replication in the lab, from each node's #cloud-config: its media-replicate.sh,
// key, known_hosts and peer.env under the node's folder; an sshd in its namespace that takes the
// peer's pushes through the rendered authorized_keys line (rrsync, confined to the node's media
// folder); and the push run on the rendered timer's schedule.
import { ChildProcess, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { renderedFileOf } from "../../cloud-init/cloud-config";
import { nodePaths } from "../../cloud-init/node-paths";
import { mediaReplicationPaths } from "../../cloud-init/pieces/media-replication";
import { sleep } from "../../tools/wait";
import { NodeRuntime, SOCKET_DIR } from "./layout";
import { copyRenderedFile } from "./node-files";
import { assignments } from "./node-scripts";

const timerPath = "/etc/systemd/system/dr-estate-media-replication.timer";

/** One data node's media replication: its sshd and its push schedule, stopped when the node is lost. */
export class MediaNode {
  readonly dir: string;
  /** Seconds between the end of one push and the start of the next (the timer's OnUnitInactiveSec). */
  readonly intervalSeconds: number;
  private sshd?: ChildProcess;
  private push?: ChildProcess;
  /** Bumped by each start and loss, so a schedule from before a loss never pushes again. */
  private generation = 0;
  private schedule?: Promise<void>;

  constructor(private readonly node: NodeRuntime) {
    if (!node.media) {
      throw new Error(`${node.role} has no media folder: only data nodes replicate media`);
    }
    this.dir = node.media.dir;
    const interval = /^OnUnitInactiveSec=(\d+)s$/m.exec(renderedFileOf(node.document, timerPath).content);
    if (!interval) {
      throw new Error(`${timerPath}: no OnUnitInactiveSec=Ns`);
    }
    this.intervalSeconds = Number(interval[1]);
    this.install(node.media.hostKeyFile);
  }

  private get replicationDir(): string {
    return path.join(this.node.dir, "media-replication");
  }

  private install(hostKeyFile: string): void {
    const { node } = this;
    const copy = (from: string, to: string) => copyRenderedFile(node, from, to);
    fs.mkdirSync(this.dir, { recursive: true, mode: 0o755 });
    fs.mkdirSync(this.replicationDir, { recursive: true, mode: 0o700 });
    for (const name of ["id_ed25519", "known_hosts", "peer.env"]) {
      copy(`${mediaReplicationPaths.settings}/${name}`, path.join(this.replicationDir, name));
    }
    for (const name of ["media-replicate.sh", "backup-lib.sh"]) {
      copy(`${nodePaths.scripts}/${name}`, path.join(node.lib, name));
    }
    // The rendered line, confined to this node's media folder instead of /srv/media.
    const shipped = renderedFileOf(node.document, `${mediaReplicationPaths.receiverHome}/.ssh/authorized_keys`).content;
    const authorizedKeys = shipped.replace(` ${mediaReplicationPaths.mediaDirectory}"`, ` ${this.dir}"`);
    if (authorizedKeys === shipped) {
      throw new Error(`the rendered authorized_keys does not confine rrsync to ${mediaReplicationPaths.mediaDirectory}: ${shipped}`);
    }
    fs.writeFileSync(path.join(this.replicationDir, "authorized_keys"), authorizedKeys, { mode: 0o600 });
    // The node's media-replica user does not exist here: root logs in, by the forced command only.
    fs.writeFileSync(
      path.join(this.replicationDir, "sshd_config"),
      [
        "Port 22", `ListenAddress ${node.address}`, `HostKey ${hostKeyFile}`, `AuthorizedKeysFile ${path.join(this.replicationDir, "authorized_keys")}`,
        "PermitRootLogin forced-commands-only", "PasswordAuthentication no", "KbdInteractiveAuthentication no", "UsePAM no", "StrictModes no",
        `PidFile ${path.join(this.replicationDir, "sshd.pid")}`, "",
      ].join("\n"),
    );
    fs.mkdirSync("/run/sshd", { recursive: true, mode: 0o755 });
  }

  /** The node boots: its sshd takes pushes and its timer pushes whenever it holds the writable database. */
  start(): void {
    this.sshd = spawn("ip", ["netns", "exec", this.node.namespace, "/usr/sbin/sshd", "-D", "-e", "-f", path.join(this.replicationDir, "sshd_config")], {
      stdio: ["ignore", "ignore", fs.openSync(path.join(this.replicationDir, "sshd.log"), "a")],
      detached: true,
    });
    this.generation += 1;
    this.schedule = this.pushEvery(this.generation);
  }

  /** The node is gone: a push in flight dies with it, and nothing answers on its SSH port. */
  lose(): void {
    this.generation += 1;
    for (const child of [this.push, this.sshd]) {
      if (child?.pid !== undefined && child.exitCode === null) {
        process.kill(-child.pid, "SIGKILL");
      }
    }
  }

  async stop(): Promise<void> {
    this.lose();
    await this.schedule;
  }

  private async pushEvery(generation: number): Promise<void> {
    const log = fs.openSync(path.join(this.replicationDir, "pushes.log"), "a");
    const current = () => generation === this.generation;
    while (current()) {
      await new Promise<void>((resolve) => {
        this.push = spawn("ip", ["netns", "exec", this.node.namespace, "env", ...this.environment(), path.join(this.node.lib, "media-replicate.sh")], {
          stdio: ["ignore", log, log],
          detached: true,
        });
        this.push.on("exit", () => resolve());
      });
      for (let waited = 0; waited < this.intervalSeconds * 1000 && current(); waited += 100) {
        await sleep(100);
      }
    }
    fs.closeSync(log);
  }

  private environment(): string[] {
    return assignments({
      DR_ESTATE_ETC: this.node.etc,
      TEXTFILE_DIR: path.join(this.node.dir, "textfile"),
      MEDIA_DIR: this.dir,
      MEDIA_REPLICATION_DIR: this.replicationDir,
      MEDIA_PEER_USER: "root",
      PGHOST: SOCKET_DIR,
      PGPORT: String(this.node.port),
    });
  }
}
