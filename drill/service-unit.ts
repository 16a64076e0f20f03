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
