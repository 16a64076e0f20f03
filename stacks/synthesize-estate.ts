import * as fs from "node:fs";
import * as path from "node:path";
import { App } from "cdktf";
import type { Estate } from "../estate";
import { EstateStack } from "./estate-stack";

/**
 * Synthesizes one estate into `outdir` (cdktf.out by default) and returns the stack's folder. On
 * any failure the stack's folder is removed, so a failed synth never leaves half an estate behind.
 */
export function synthesizeEstate(estate: Estate, outdir?: string): string {
  const app = new App(outdir ? { outdir } : {});
  const stackDirectory = path.join(app.outdir, "stacks", estate.name);
  try {
    new EstateStack(app, estate.name, { estate });
    app.synth();
  } catch (error) {
    fs.rmSync(stackDirectory, { recursive: true, force: true });
    throw error;
  }
  return stackDirectory;
}
