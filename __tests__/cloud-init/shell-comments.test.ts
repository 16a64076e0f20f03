// Scripts travel without their comment lines (user-data is limited); what runs must be the same
// program: every installed script, stripped, still passes shellcheck beside the others.
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { NodeRole, renderCloudConfig } from "../../cloud-init";
import { parseCloudConfig } from "../../cloud-init/cloud-config";
import { nodePaths } from "../../cloud-init/node-paths";
import { withoutCommentLines } from "../../cloud-init/shell-comments";
import { exampleNodeConfig } from "../support/example-node";

test("comment lines go; the shebang, shellcheck directives, trailing comments, here-documents and quoted lines stay", () => {
  const lines: [line: string, kept: boolean][] = [
    ["#!/bin/sh", true],
    ["# what this does", false],
    ["# shellcheck source=lib.sh", true],
    [". ./lib.sh", true],
    ["  # indented comment", false],
    ['echo "#not a comment" # trailing', true],
    ["cat > f <<'CONF'", true],
    ["# a comment the written file keeps", true],
    ["CONF", true],
    ["cat <<-EOF", true],
    ["\t# kept too", true],
    ["\tEOF", true],
    ["# gone", false],
    ['lines="# HELP a metric', true],
    ['# TYPE a gauge"', true],
    ["done=1", true],
  ];
  const script = lines.map(([line]) => line).join("\n");
  expect(withoutCommentLines(script).split("\n")).toEqual(lines.filter(([, kept]) => kept).map(([line]) => line));
});

test.each<NodeRole>(["primary", "standby", "witness"])("the %s's installed scripts, as sent, pass shellcheck", (role) => {
  const directory = fs.mkdtempSync(path.join(os.tmpdir(), `dr-estate-sent-${role}-`));
  const scripts = parseCloudConfig(renderCloudConfig(exampleNodeConfig(role))).write_files.filter(
    (file) => file.path.startsWith(`${nodePaths.scripts}/`) && file.path.endsWith(".sh"),
  );
  expect(scripts.length).toBeGreaterThanOrEqual(5);
  for (const script of scripts) {
    fs.writeFileSync(path.join(directory, path.basename(script.path)), script.content!);
  }
  const names = scripts.map((script) => path.basename(script.path));
  const result = spawnSync("shellcheck", ["--external-sources", "--severity=style", ...names], { cwd: directory, encoding: "utf8" });
  expect(result.stdout).toBe("");
  expect(result.status).toBe(0);
});
