// Values written into the files sh sources reach the scripts literally, whatever they hold, and the
// files that hold a token or password are closed to other users. The rendered estate.env and
// secrets.env are sourced by /bin/sh, as failover-lib.sh does.
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { NodeRole, nodePaths, renderCloudConfig } from "../../cloud-init";
import { monitoringPaths } from "../../cloud-init/pieces/monitoring";
import { shellQuote } from "../../cloud-init/shell-quote";
import { exampleNodeConfig } from "../support/example-node";
import { parseCloudConfig, renderedFile } from "../support/rendered-files";

const work = fs.mkdtempSync(path.join(os.tmpdir(), "shell-settings-"));
const witnessRan = path.join(work, "ran");
// Each would run a command if it ended the quoting or was expanded: it creates `witnessRan`.
const hostile = [
  `https://alerts.example.com/x?a='; touch ${witnessRan}; echo '`,
  `https://alerts.example.com/$(touch ${witnessRan})`,
  `https://alerts.example.com/\`touch ${witnessRan}\``,
  `https://alerts.example.com/a\ntouch ${witnessRan}\n`,
  `https://alerts.example.com/\${HOME}\\'"\\\\`,
];

/** Sources the files with /bin/sh and prints the named variables, NUL-separated. */
function sourced(files: string[], names: string[]): string[] {
  const script = [...files.map((file) => `. '${file}'`), `printf '%s\\0' ${names.map((name) => `"$${name}"`).join(" ")}`].join("\n");
  const result = spawnSync("/bin/sh", ["-c", script], { encoding: "utf8", env: { PATH: process.env.PATH } });
  expect(result.stderr).toBe("");
  expect(result.status).toBe(0);
  return result.stdout.split("\0").slice(0, -1);
}

describe.each(hostile)("a webhook URL of %j", (url) => {
  test("arrives in estate.env literally, and nothing runs when sh sources it", () => {
    fs.rmSync(witnessRan, { force: true });
    const document = renderCloudConfig(exampleNodeConfig("primary", { alertWebhookUrl: url, estateName: "it's-$(id)" }));
    const file = path.join(work, "estate.env");
    fs.writeFileSync(file, renderedFile(document, `${nodePaths.settings}/estate.env`));
    expect(sourced([file], ["ALERT_WEBHOOK_URL", "ESTATE_NAME", "NODE_ROLE"])).toEqual([url, "it's-$(id)", "primary"]);
    expect(fs.existsSync(witnessRan)).toBe(false);
  });
});

test("secrets.env carries hostile passwords literally too", () => {
  fs.rmSync(witnessRan, { force: true });
  const password = `p'w$(touch ${witnessRan})\`x\`\n"\\`;
  const node = exampleNodeConfig("standby");
  const document = renderCloudConfig({ ...node, secrets: { ...node.secrets, natsPassword: password } });
  const file = path.join(work, "secrets.env");
  fs.writeFileSync(file, renderedFile(document, `${nodePaths.settings}/secrets.env`));
  expect(sourced([file], ["NATS_PASSWORD"])).toEqual([password]);
  expect(fs.existsSync(witnessRan)).toBe(false);
});

test("the unescaped quoting is what the test catches (the check can fail)", () => {
  fs.rmSync(witnessRan, { force: true });
  const file = path.join(work, "naive.env");
  fs.writeFileSync(file, `ALERT_WEBHOOK_URL='${hostile[0]}'\n`);
  spawnSync("/bin/sh", ["-c", `. '${file}'`]);
  expect(fs.existsSync(witnessRan)).toBe(true);
  expect(shellQuote("a'b")).toBe(`'a'\\''b'`);
});

describe.each(["primary", "standby", "witness"] as NodeRole[])("the %s's files that hold a token or a password", (role) => {
  const document = renderCloudConfig(exampleNodeConfig(role, { alertWebhookUrl: "https://alerts.example.com/hooks/dr-estate?token=s3cret" }));
  const files = parseCloudConfig(document).write_files;

  test("are 0640 or tighter, and group-readable only by the service that reads them", () => {
    const holding = files.filter((file) => /s3cret|password0123/.test(renderedFile(document, file.path)) || /key$/.test(file.path));
    const expected: Record<string, string> = {
      [`${nodePaths.settings}/estate.env`]: "0600 root",
      [`${nodePaths.settings}/secrets.env`]: "0600 root",
      [`${nodePaths.settings}/tls/node.key`]: "0600 root",
      [nodePaths.sshHostKey]: "0600 root",
      ...(role === "witness" ? { [monitoringPaths.alertmanagerConfig]: "0640 root:prometheus" } : {}),
    };
    expect(Object.fromEntries(holding.map((file) => [file.path, `${file.permissions} ${file.owner ?? "root"}`]))).toEqual(expected);
    for (const file of holding) {
      const mode = parseInt(file.permissions!, 8);
      expect(mode & 0o037).toBe(0); // nothing for others, at most reading for the group
    }
  });
});
