import { gunzipSync, gzipSync } from "node:zlib";
import { parse, stringify } from "yaml";

/** One file cloud-init writes, in the shape of its `write_files` module. */
export interface WriteFile {
  readonly path: string;
  readonly content: string;
  readonly permissions?: string;
  readonly owner?: string;
  readonly encoding?: "b64" | "gz+b64" | "text/plain";
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

export interface AssembleOptions {
  /**
   * Gzip each written file (cloud-init's gz+b64 encoding), for providers whose user-data limit the
   * plain document would exceed and that cannot take it compressed whole. Default: plain text.
   */
  readonly compressFiles?: boolean;
  /**
   * Tells whether a text holds a value only known at deploy time (a Terraform interpolation);
   * such files always stay plain so Terraform can fill them in. Default: no text does.
   */
  readonly isDeployTimeValue?: (text: string) => boolean;
}

/** Assembles the parts into one #cloud-config document, keeping their order. */
export function assembleCloudConfig(base: CloudConfigBase, parts: readonly CloudConfigPart[], options: AssembleOptions = {}): string {
  const isDeployTimeValue = options.isDeployTimeValue ?? (() => false);
  const compress = (file: WriteFile) => options.compressFiles && !file.encoding && !isDeployTimeValue(file.content);
  const document = {
    hostname: base.hostname,
    fqdn: base.fqdn,
    prefer_fqdn_over_hostname: false,
    // Present on every image (it is built into the C library); cloud-init's default en_US.UTF-8
    // fails on an image without the locales package, and PostgreSQL's collation stays stable.
    locale: "C.UTF-8",
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
    ...nonEmpty("write_files", parts.flatMap((p) => p.writeFiles ?? []).map((file) => (compress(file) ? gzipped(file) : file))),
    ...nonEmpty("bootcmd", parts.flatMap((p) => p.bootcmd ?? [])),
    ...nonEmpty("runcmd", parts.flatMap((p) => p.runcmd ?? [])),
  };
  // lineWidth 0: never fold long lines, so Terraform interpolations stay on one line.
  return "#cloud-config\n" + stringify(document, { lineWidth: 0 });
}

function gzipped(file: WriteFile): WriteFile {
  return { ...file, encoding: "gz+b64", content: gzipSync(file.content, { level: 9 }).toString("base64") };
}

/** The text cloud-init writes for one write_files entry: the inverse of the encodings above. */
export function decodeWriteFile(file: WriteFile): string {
  switch (file.encoding) {
    case "b64":
      return Buffer.from(file.content, "base64").toString("utf8");
    case "gz+b64":
      return gunzipSync(Buffer.from(file.content, "base64")).toString("utf8");
    default:
      return file.content;
  }
}

function nonEmpty<Key extends string, Item>(key: Key, items: Item[]): Partial<Record<Key, Item[]>> {
  return items.length > 0 ? ({ [key]: items } as Record<Key, Item[]>) : {};
}

function unique(values: readonly string[]): string[] {
  return [...new Set(values)];
}

/** The parts of a rendered #cloud-config document the estate's tools read back. */
export interface ParsedCloudConfig {
  readonly write_files: WriteFile[];
  readonly packages: string[];
  readonly runcmd: string[];
  readonly users: { readonly name: string; readonly ssh_authorized_keys?: string[] }[];
  readonly [key: string]: unknown;
}

/** Parses a rendered #cloud-config document: the inverse of assembleCloudConfig. */
export function parseCloudConfig(document: string): ParsedCloudConfig {
  if (!document.startsWith("#cloud-config\n")) {
    throw new Error("not a #cloud-config document");
  }
  const parsed = parse(document) as Partial<ParsedCloudConfig>;
  return { ...parsed, write_files: parsed.write_files ?? [], packages: parsed.packages ?? [], runcmd: parsed.runcmd ?? [], users: parsed.users ?? [] };
}

/** The file a rendered document writes at `path`, decoded, with its mode; it must be there. */
export function renderedFileOf(document: string, path: string): { content: string; mode: number } {
  const file = parseCloudConfig(document).write_files.find((f) => f.path === path);
  if (!file) {
    throw new Error(`the document writes no ${path}`);
  }
  return { content: decodeWriteFile(file), mode: parseInt(file.permissions ?? "0644", 8) };
}
