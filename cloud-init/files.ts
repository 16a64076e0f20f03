import * as fs from "node:fs";
import * as path from "node:path";
import { withoutFileComments } from "./comment-lines";

const filesRoot = path.join(__dirname, "files");

/** Absolute path of a file kept under cloud-init/files (scripts, templates, units). */
export function cloudInitFilePath(relativePath: string): string {
  return path.join(filesRoot, relativePath);
}

/** A file kept under cloud-init/files as a node receives it: without its comment lines. */
export function readCloudInitFile(relativePath: string): string {
  return withoutFileComments(relativePath, readSource(relativePath));
}

function readSource(relativePath: string): string {
  return fs.readFileSync(cloudInitFilePath(relativePath), "utf8");
}

/**
 * Fills the `{{name}}` placeholders of a template under cloud-init/files. Every placeholder must be
 * given and every given value must be used, so a renamed placeholder fails loudly instead of
 * shipping a literal `{{...}}` to a server. Comment lines go after the placeholders are filled, so
 * a placeholder used only in a comment still counts as used.
 */
export function renderTemplate(relativePath: string, values: Readonly<Record<string, string | number>>): string {
  const template = readSource(relativePath);
  const used = new Set<string>();
  const rendered = template.replace(/\{\{([a-zA-Z0-9_]+)\}\}/g, (_match, name: string) => {
    if (!(name in values)) {
      throw new Error(`${relativePath}: no value given for placeholder {{${name}}}`);
    }
    used.add(name);
    return String(values[name]);
  });
  const unused = Object.keys(values).filter((name) => !used.has(name));
  if (unused.length > 0) {
    throw new Error(`${relativePath}: values given for unknown placeholders ${unused.join(", ")}`);
  }
  return withoutFileComments(relativePath, rendered);
}
