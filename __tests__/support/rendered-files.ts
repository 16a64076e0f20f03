import { parse } from "yaml";
import { decodeWriteFile, WriteFile } from "../../cloud-init";

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
