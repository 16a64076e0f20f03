// The converge bundle made from a real rendered document, and converge-apply.sh run on it against
// a scratch tree: which files differ, which actions follow, and that a second run changes nothing.
// The same script on booted nodes, reloading real services under a write load, is in __tests__/lab.
import { execFileSync, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { nodePaths, renderCloudConfig } from "../../cloud-init";
import { cloudInitFilePath } from "../../cloud-init/files";
import { bundleArchive, bundleFromDocument } from "../../converge/bundle";
import { exampleNodeConfig } from "../support/example-node";

const scripts = ["converge-apply.sh", "node-health.sh"].map((name) => cloudInitFilePath(`converge/${name}`));

function unpack(archive: Buffer): string {
  const directory = fs.mkdtempSync(path.join(os.tmpdir(), "converge-test-"));
  execFileSync("tar", ["-xzf", "-", "-C", directory], { input: archive });
  return directory;
}

function apply(bundle: string, root: string, ...flags: string[]) {
  const result = spawnSync("sh", [path.join(bundle, "converge-apply.sh"), ...flags, bundle], {
    encoding: "utf8",
    env: { ...process.env, CONVERGE_ROOT: root },
  });
  const lines = result.stdout.trim().split("\n").filter(Boolean);
  const of = (word: string) => lines.filter((line) => line.startsWith(`${word} `)).map((line) => line.slice(word.length + 1));
  return { status: result.status, stderr: result.stderr, changed: of("changed"), actions: of("action"), pending: of("pending"), install: of("install") };
}

test("the converge scripts pass shellcheck", () => {
  const result = spawnSync("shellcheck", ["--external-sources", "--severity=style", ...scripts], { encoding: "utf8" });
  expect(result.stdout + result.stderr).toBe("");
  expect(result.status).toBe(0);
});

describe("a bundle made from the standby's document", () => {
  const document = renderCloudConfig(exampleNodeConfig("standby"));
  const bundle = bundleFromDocument(document);

  test("holds every file the document writes, decoded, and the operator's keys", () => {
    const paths = bundle.files.map((file) => file.path);
    expect(paths).toEqual(expect.arrayContaining([`${nodePaths.settings}/estate.env`, `${nodePaths.settings}/tls/node.crt`, "/etc/nginx/nginx.conf"]));
    const keys = bundle.files.find((file) => file.path === "/home/ops/.ssh/authorized_keys")!;
    expect(keys).toMatchObject({ mode: "0600", owner: "ops", group: "ops" });
    expect(keys.content).toBe(`${exampleNodeConfig("standby").sshPublicKeys[0]}\n`);
    expect(bundle.files.find((file) => file.path === `${nodePaths.settings}/tls/node.crt`)!.content).toBe("CERT");
  });

  test("knows the units the document enables", () => {
    expect(bundle.units).toEqual(expect.arrayContaining(["ssh.service", "pgautofailover.service", "nginx.service", "nats-server.service", "dr-estate-healthz.service"]));
  });

  test("on a node that has none of it: every file is new, and each reader is reloaded, PostgreSQL included, never restarted", () => {
    const unpacked = unpack(bundleArchive(bundle));
    const result = apply(unpacked, fs.mkdtempSync(path.join(os.tmpdir(), "converge-root-")), "--dry-run");
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
    expect(result.changed.sort()).toEqual(bundle.files.map((file) => file.path).sort());
    expect(result.actions).toEqual(
      expect.arrayContaining(["reload-ssh", "apply-sysctl", "postgres-tls", "reload-postgres", "reload-nats", "reload-nginx", "daemon-reload", "restart-dr-estate-healthz.service"]),
    );
    expect(result.actions.filter((action) => /^restart-(postgresql|pgautofailover)/.test(action))).toEqual([]);
    expect(result.pending.sort()).toEqual([expect.stringMatching(/^pgautofailover\.service changed: it restarts PostgreSQL/), expect.stringMatching(/^secrets\.env changed/)]);
  });
});

describe("converge-apply.sh on a scratch tree", () => {
  // Root-owned files only: the scratch tree's machine has no ops, postgres or nats users.
  const document = renderCloudConfig(exampleNodeConfig("witness"));
  const full = bundleFromDocument(document);
  const rootOwned = { ...full, files: full.files.filter((file) => file.owner === "root" && file.group === "root") };
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "converge-root-"));

  test("writes what differs, with the document's modes, and a second run changes nothing", () => {
    const bundle = unpack(bundleArchive({ ...rootOwned, packages: [] }));
    // Real mode on the scripts alone: they are read afresh at each use, so no action follows, except
    // failover-lib.sh, whose keeper timeout converge applies to the running keeper (keeper-settings).
    const isQuiet = (file: { path: string }) => file.path.startsWith(`${nodePaths.scripts}/`) && !file.path.endsWith("/failover-lib.sh");
    const quiet = { ...rootOwned, files: rootOwned.files.filter(isQuiet) };
    const quietBundle = unpack(bundleArchive({ ...quiet, packages: [] }));
    const first = apply(quietBundle, root);
    expect(first.stderr).toBe("");
    expect(first.changed.length).toBe(quiet.files.length);
    for (const file of quiet.files) {
      const written = path.join(root, file.path);
      expect(fs.readFileSync(written, "utf8")).toBe(file.content);
      expect((fs.statSync(written).mode & 0o7777).toString(8)).toBe(file.mode.replace(/^0/, ""));
    }
    expect(apply(quietBundle, root).changed).toEqual([]);
    // The rest still differs, and is named, in a dry run over the same tree.
    const rest = apply(bundle, root, "--dry-run");
    expect(rest.changed.sort()).toEqual(rootOwned.files.filter((file) => !isQuiet(file)).map((file) => file.path).sort());
    expect(rest.actions).toContain("keeper-settings");
  });

  test("a changed mode alone counts as a change", () => {
    const quiet = { ...rootOwned, files: rootOwned.files.filter((file) => file.path.startsWith(`${nodePaths.scripts}/`)), packages: [] };
    const bundle = unpack(bundleArchive(quiet));
    apply(bundle, root);
    const target = path.join(root, quiet.files[0].path);
    fs.chmodSync(target, 0o600);
    expect(apply(bundle, root).changed).toEqual([quiet.files[0].path]);
    expect(fs.statSync(target).mode & 0o777).toBe(parseInt(quiet.files[0].mode, 8));
  });
});
