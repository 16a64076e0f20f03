// A client program of drill/load.ts (write, probe, observe, webhook) running in a namespace, its
// JSON-line events collected as they come.
import { ChildProcess, spawn } from "node:child_process";
import * as path from "node:path";
import { createInterface } from "node:readline";
import { sleep } from "../../tools/wait";

export interface LoadEvent {
  readonly t: number;
  readonly e: string;
  readonly [key: string]: unknown;
}

export class LoadProcess {
  readonly events: LoadEvent[] = [];
  private exited = false;
  constructor(
    readonly mode: string,
    private readonly child: ChildProcess,
  ) {
    createInterface({ input: child.stdout! }).on("line", (line) => {
      try {
        this.events.push(JSON.parse(line) as LoadEvent);
      } catch {
        // not an event
      }
    });
    child.on("exit", () => (this.exited = true));
  }
  async stop(): Promise<void> {
    if (this.exited) {
      return;
    }
    const exited = new Promise((resolve) => this.child.once("exit", resolve));
    this.child.kill("SIGTERM");
    await Promise.race([exited, sleep(3000)]);
    this.killNow();
  }
  killNow(): void {
    if (!this.exited) {
      this.child.kill("SIGKILL");
    }
  }
}

/** Starts drill/load.ts `mode` with `options` in `namespace`. */
export function startLoadProgram(namespace: string, mode: string, options: Record<string, unknown>): LoadProcess {
  const drill = path.join(__dirname, "..");
  const child = spawn(
    "ip",
    ["netns", "exec", namespace, process.execPath, "-r", "ts-node/register/transpile-only", path.join(drill, "load.ts"), mode, JSON.stringify(options)],
    { cwd: path.join(drill, ".."), stdio: ["ignore", "pipe", "inherit"] },
  );
  return new LoadProcess(mode, child);
}
