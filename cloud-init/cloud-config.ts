import { stringify } from "yaml";

/** One file cloud-init writes, in the shape of its `write_files` module. */
export interface WriteFile {
  readonly path: string;
  readonly content: string;
  readonly permissions?: string;
  readonly owner?: string;
  readonly encoding?: "b64" | "text/plain";
  /** Write after users and packages exist (needed for files owned by a package's user). */
  readonly defer?: boolean;
}

/** The share of a #cloud-config document one piece of the node contributes. */
export interface CloudConfigPart {
  readonly packages?: readonly string[];
  readonly writeFiles?: readonly WriteFile[];
  readonly bootcmd?: readonly string[];
  readonly runcmd?: readonly string[];
}

export interface CloudConfigBase {
  readonly hostname: string;
  readonly fqdn: string;
  readonly sshPublicKeys: readonly string[];
}

/** Assembles the parts into one #cloud-config document, keeping their order. */
export function assembleCloudConfig(base: CloudConfigBase, parts: readonly CloudConfigPart[]): string {
  const document = {
    hostname: base.hostname,
    fqdn: base.fqdn,
    prefer_fqdn_over_hostname: false,
    preserve_hostname: false,
    disable_root: true,
    ssh_pwauth: false,
    users: [
      {
        name: "ops",
        gecos: "Estate operator",
        groups: ["sudo"],
        shell: "/bin/bash",
        sudo: "ALL=(ALL) NOPASSWD:ALL",
        lock_passwd: true,
        ssh_authorized_keys: [...base.sshPublicKeys],
      },
    ],
    package_update: true,
    package_upgrade: true,
    // cloud-init's schema refuses empty lists, so a module nobody uses is left out.
    ...nonEmpty("packages", unique(parts.flatMap((p) => p.packages ?? []))),
    ...nonEmpty("write_files", parts.flatMap((p) => p.writeFiles ?? [])),
    ...nonEmpty("bootcmd", parts.flatMap((p) => p.bootcmd ?? [])),
    ...nonEmpty("runcmd", parts.flatMap((p) => p.runcmd ?? [])),
  };
  // lineWidth 0: never fold long lines, so Terraform interpolations stay on one line.
  return "#cloud-config\n" + stringify(document, { lineWidth: 0 });
}

function nonEmpty<Key extends string, Item>(key: Key, items: Item[]): Partial<Record<Key, Item[]>> {
  return items.length > 0 ? ({ [key]: items } as Record<Key, Item[]>) : {};
}

function unique(values: readonly string[]): string[] {
  return [...new Set(values)];
}
