/**
 * A shell script without its comment lines, for the trip to the server: Hetzner takes 32 KiB of
 * user-data, and comments are a third of our scripts. The shebang, `# shellcheck` directives,
 * comments after code, here-document bodies and lines inside a quoted string are kept as written.
 */
export function withoutCommentLines(script: string): string {
  const pendingHereDocuments: { word: string; tabsAllowed: boolean }[] = [];
  let openQuote: "'" | '"' | undefined;
  const kept: string[] = [];
  script.split("\n").forEach((line, index) => {
    const hereDocument = pendingHereDocuments[0];
    if (hereDocument) {
      kept.push(line);
      if ((hereDocument.tabsAllowed ? line.replace(/^\t+/, "") : line) === hereDocument.word) {
        pendingHereDocuments.shift();
      }
      return;
    }
    if (!openQuote && index > 0 && /^\s*#/.test(line) && !/^\s*# shellcheck /.test(line)) {
      return;
    }
    kept.push(line);
    openQuote = quoteOpenAtEnd(line, openQuote);
    if (!openQuote) {
      for (const match of line.matchAll(/<<(-?)\s*(['"]?)([A-Za-z_][A-Za-z0-9_]*)\2/g)) {
        pendingHereDocuments.push({ word: match[3], tabsAllowed: match[1] === "-" });
      }
    }
  });
  return kept.join("\n");
}

/** The quote still open at the end of `line`, given the one open at its start (a trailing comment ends the scan). */
function quoteOpenAtEnd(line: string, open: "'" | '"' | undefined): "'" | '"' | undefined {
  for (let i = 0; i < line.length; i++) {
    const character = line[i];
    if (open === "'") {
      open = character === "'" ? undefined : open;
    } else if (character === "\\") {
      i++;
    } else if (character === '"') {
      open = open ? undefined : '"';
    } else if (!open && character === "'") {
      open = "'";
    } else if (!open && character === "#" && (i === 0 || /\s/.test(line[i - 1]))) {
      break;
    }
  }
  return open;
}
