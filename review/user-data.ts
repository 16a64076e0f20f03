import { decodeWriteFile, parseCloudConfig as parseRenderedCloudConfig, WriteFile } from "../cloud-init/cloud-config";

export interface CloudConfigFile {
  readonly path: string;
  /** Decoded content; undefined when the encoding is unknown or the content is computed by Terraform. */
  readonly content?: string;
  readonly permissions?: string;
}

/** The write_files of a #cloud-config document, decoded; [] when `userData` is not a readable #cloud-config. */
export function cloudConfigFiles(userData: unknown): CloudConfigFile[] {
  const document = parseCloudConfig(userData);
  const files = Array.isArray(document?.write_files) ? document.write_files : [];
  return files
    .filter((file: any) => file && typeof file.path === "string")
    .map((file: any) => ({ path: file.path, content: decode(file.content, file.encoding), permissions: file.permissions }));
}

/** The parsed #cloud-config, or undefined when `userData` is not one (or not valid YAML). */
export function parseCloudConfig(userData: unknown): Record<string, any> | undefined {
  userData = unwrapUserData(userData);
  if (typeof userData !== "string") {
    return undefined;
  }
  try {
    return parseRenderedCloudConfig(userData);
  } catch {
    return undefined;
  }
}

/**
 * The document a synthesized user-data holds, as the server will receive it. Every string in
 * Terraform JSON is a template, so its literal `$${` and `%%{` escapes are undone (its `${...}`
 * references are kept as they are); a document Terraform encodes at apply time,
 * `${base64gzip("#cloud-config...")}` (or base64encode), is first taken out of its HCL string literal.
 */
export function unwrapUserData(userData: unknown): unknown {
  if (typeof userData !== "string") {
    return userData;
  }
  const wrapped = /^\$\{(?:base64gzip|base64encode|gzip)\("((?:[^"\\]|\\.)*)"\)\}$/s.exec(userData);
  const escapes: Record<string, string> = { n: "\n", r: "\r", t: "\t", '"': '"', "\\": "\\" };
  const template = wrapped ? wrapped[1].replace(/\\(.)/g, (match, character: string) => escapes[character] ?? match) : userData;
  return template.replace(/\$\$\{/g, "${").replace(/%%\{/g, "%{");
}

/** The decoded content of the file the document writes at `path`. */
export function cloudConfigFile(userData: unknown, path: string): string | undefined {
  return cloudConfigFiles(userData).find((file) => file.path === path)?.content;
}

/** cloud-init's other names for the two encodings the renderer writes. */
const encodingAliases: Record<string, WriteFile["encoding"]> = { "text/plain": undefined, base64: "b64", "gzip+base64": "gz+b64", "gz+base64": "gz+b64", "gzip+b64": "gz+b64" };

function decode(content: unknown, encoding: unknown): string | undefined {
  if (typeof content !== "string") {
    return undefined;
  }
  if (content.includes("${") && encoding !== undefined && encoding !== "text/plain") {
    return undefined; // a Terraform expression (e.g. base64encode(...)) that only exists at apply time
  }
  const canonical = typeof encoding === "string" && encoding in encodingAliases ? encodingAliases[encoding] : encoding;
  if (canonical !== undefined && canonical !== "b64" && canonical !== "gz+b64") {
    return undefined;
  }
  try {
    return decodeWriteFile({ path: "", content, encoding: canonical });
  } catch {
    return undefined;
  }
}

/** `KEY='value'` / `KEY="${KEY:-default}"` lines of a shell env file; the default is taken for the latter form. */
export function parseEnvFile(content: string): Map<string, string> {
  const values = new Map<string, string>();
  for (const line of content.split("\n")) {
    const match = /^\s*(?:export\s+)?([A-Z_][A-Z0-9_]*)=(.*)$/.exec(line);
    if (!match) {
      continue;
    }
    let value = match[2].trim();
    if ((value.startsWith("'") && value.endsWith("'")) || (value.startsWith('"') && value.endsWith('"'))) {
      value = value.slice(1, -1);
    }
    const withDefault = /^\$\{[A-Z_][A-Z0-9_]*:-(.*)\}$/.exec(value);
    values.set(match[1], withDefault ? withDefault[1] : value);
  }
  return values;
}
