import { execFileSync } from "node:child_process";
import * as path from "node:path";

/**
 * The folder of the Go-built tools (bin/tofu, bin/actionlint, bin/minio, mirror/, tofu.rc), from
 * tools/build-terraform-tools.sh. `.ci/run` builds them before the tests; here the script only
 * looks up its cache, which takes a moment once they are built.
 */
export function builtToolsDirectory(): string {
  const script = path.join(__dirname, "..", "..", "tools", "build-terraform-tools.sh");
  const output = execFileSync("bash", [script], { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"], timeout: 60 * 60 * 1000 });
  return output.trim().split("\n").pop()!;
}
