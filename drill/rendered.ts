import { parse } from "yaml";
import { decodeWriteFile, WriteFile } from "../cloud-init";

/** A rendered #cloud-config document, parsed (no test framework needed: the drill runs outside jest). */
export interface ParsedDocument {
  readonly write_files: WriteFile[];
  readonly runcmd?: string[];
  readonly [key: string]: unknown;
}

export function parseDocument(document: string): ParsedDocument {
  if (!document.startsWith("#cloud-config\n")) {
    throw new Error("not a #cloud-config document");
  }
  return parse(document) as ParsedDocument;
}

/** The file a rendered document writes at `path`, decoded, with its mode; it must be there. */
export function renderedFileOf(document: string, path: string): { content: string; mode: number } {
  const file = parseDocument(document).write_files.find((f) => f.path === path);
  if (!file) {
    throw new Error(`the document writes no ${path}`);
  }
  return { content: decodeWriteFile(file), mode: parseInt(file.permissions ?? "0644", 8) };
}

/** What a systemd unit's [Service] section says: Environment= pairs, ExecStart=, User=, WorkingDirectory=. */
export interface ServiceUnit {
  readonly environment: Record<string, string>;
  readonly execStart: string[];
  readonly user?: string;
  readonly workingDirectory?: string;
}

/** Parses the lines of a unit the drill needs (no quoting in our units beyond plain words). */
export function parseServiceUnit(text: string): ServiceUnit {
  const environment: Record<string, string> = {};
  let execStart: string[] | undefined;
  let user: string | undefined;
  let workingDirectory: string | undefined;
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (line.startsWith("#") || !line.includes("=")) {
      continue;
    }
    const key = line.slice(0, line.indexOf("="));
    const value = line.slice(line.indexOf("=") + 1);
    if (key === "Environment") {
      for (const assignment of value.split(/\s+/).filter(Boolean)) {
        const unquoted = assignment.replace(/^"(.*)"$/, "$1");
        environment[unquoted.slice(0, unquoted.indexOf("="))] = unquoted.slice(unquoted.indexOf("=") + 1);
      }
    } else if (key === "ExecStart") {
      execStart = value.replace(/^[-@+!:]+/, "").split(/\s+/).filter(Boolean);
    } else if (key === "User") {
      user = value;
    } else if (key === "WorkingDirectory") {
      workingDirectory = value.replace(/^-/, "");
    }
  }
  if (!execStart) {
    throw new Error("the unit has no ExecStart=");
  }
  return { environment, execStart, user, workingDirectory };
}
