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
  const script = [
    "#!/bin/sh",
    "# what this does",
    "# shellcheck source=lib.sh",
    ". ./lib.sh",
    "  # indented comment",
    'echo "#not a comment" # trailing',
    "cat > f <<'CONF'",
    "# a comment the written file keeps",
    "CONF",
    "cat <<-EOF",
    "\t# kept too",
    "\tEOF",
    "# gone",
    'lines="# HELP a metric',
    '# TYPE a gauge"',
    "done=1",
  ].join("\n");
  expect(withoutCommentLines(script).split("\n")).toEqual([
    "#!/bin/sh",
    "# shellcheck source=lib.sh",
    ". ./lib.sh",
    'echo "#not a comment" # trailing',
    "cat > f <<'CONF'",
    "# a comment the written file keeps",
    "CONF",
    "cat <<-EOF",
    "\t# kept too",
    "\tEOF",
    'lines="# HELP a metric',
    '# TYPE a gauge"',
    "done=1",
  ]);
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
