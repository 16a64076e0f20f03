import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { decodeWriteFile, parseCloudConfig } from "../cloud-init/cloud-config";
import { readCloudInitFile } from "../cloud-init/files";

/** One file a running node must hold, as its document says. */
export interface BundleFile {
  readonly path: string;
  readonly mode: string;
  readonly owner: string;
  readonly group: string;
  readonly content: string;
}

/** Everything converge-apply.sh needs to bring a node up to date with its document. */
export interface Bundle {
  readonly files: BundleFile[];
  readonly packages: string[];
  /** Units the document enables: what node-health.sh checks. */
  readonly units: string[];
}

/** The operator account every document creates; its authorized_keys is rewritten on each converge. */
const operatorUser = "ops";

/**
 * The node's files, packages and units from its #cloud-config: the write_files entries decoded, and
 * the operator's authorized_keys (so a key removed from the description is revoked on the node).
 * What cloud-init only does at first boot (runcmd, bootcmd) is not repeated.
 */
export function bundleFromDocument(document: string): Bundle {
  const config = parseCloudConfig(document);
  const files: BundleFile[] = config.write_files.map((file) => {
    const [owner, group] = (file.owner ?? "root:root").split(":");
    return { path: file.path, mode: file.permissions ?? "0644", owner, group: group ?? owner, content: decodeWriteFile(file) };
  });
  const operator = config.users.find((user) => user.name === operatorUser);
  if (operator) {
    const keys = operator.ssh_authorized_keys ?? [];
    files.push({ path: `/home/${operatorUser}/.ssh/authorized_keys`, mode: "0600", owner: operatorUser, group: operatorUser, content: keys.map((key) => `${key}\n`).join("") });
  }
  for (const file of files) {
    if (!/^\/[A-Za-z0-9._+/-]+$/.test(file.path) || !/^0?[0-7]{3,4}$/.test(file.mode)) {
      throw new Error(`the document writes ${JSON.stringify(file.path)} with mode ${file.mode}: converge takes plain absolute paths and octal modes only`);
    }
  }
  const units = config.runcmd.flatMap((command) => {
    const enabled = /^systemctl enable (?:--now )?(\S+)$/.exec(command);
    return enabled ? [enabled[1].includes(".") ? enabled[1] : `${enabled[1]}.service`] : [];
  });
  return { files, packages: [...config.packages], units: [...new Set(["ssh.service", ...units])] };
}

/** The bundle as the gzipped tar converge-apply.sh unpacks: manifest, packages, files/, and the two scripts. */
export function bundleArchive(bundle: Bundle): Buffer {
  const directory = fs.mkdtempSync(path.join(os.tmpdir(), "converge-bundle-"));
  try {
    for (const file of bundle.files) {
      const target = path.join(directory, "files", file.path);
      fs.mkdirSync(path.dirname(target), { recursive: true });
      fs.writeFileSync(target, file.content, { mode: 0o600 });
    }
    fs.writeFileSync(path.join(directory, "manifest"), bundle.files.map((f) => `${f.mode} ${f.owner} ${f.group} ${f.path}\n`).join(""));
    fs.writeFileSync(path.join(directory, "packages"), bundle.packages.map((p) => `${p}\n`).join(""));
    for (const script of ["converge-apply.sh", "node-health.sh"]) {
      fs.writeFileSync(path.join(directory, script), readCloudInitFile(`converge/${script}`), { mode: 0o755 });
    }
    return execFileSync("tar", ["-czf", "-", "-C", directory, "."], { maxBuffer: 64 * 1024 * 1024 });
  } finally {
    fs.rmSync(directory, { recursive: true, force: true });
  }
}
