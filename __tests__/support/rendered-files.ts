import { gunzipSync } from "node:zlib";
import { parse } from "yaml";
import type { WriteFile } from "../../cloud-init";

interface ParsedCloudConfig {
  write_files: WriteFile[];
  packages: string[];
  runcmd: string[];
  [key: string]: unknown;
}

/** Parses a rendered #cloud-config document. */
export function parseCloudConfig(document: string): ParsedCloudConfig {
  expect(document.startsWith("#cloud-config\n")).toBe(true);
  return parse(document) as ParsedCloudConfig;
}

/** The decoded content of the file a rendered document writes at `path`. */
export function renderedFile(document: string, path: string): string {
  const file = parseCloudConfig(document).write_files.find((f) => f.path === path);
  if (!file) {
    throw new Error(`the document writes no ${path}`);
  }
  return decodeWriteFile(file);
}

/** The text cloud-init writes for one write_files entry. */
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
