// The few Markdown pieces the review is made of, each escaping what would break it.

/** A table cell: pipes escaped, line breaks flattened. */
export function cell(value: unknown): string {
  return String(value ?? "").replace(/\|/g, "\\|").replace(/\r?\n/g, " ");
}

export function table(headers: string[], rows: unknown[][]): string[] {
  return [`| ${headers.join(" | ")} |`, `| ${headers.map(() => "---").join(" | ")} |`, ...rows.map((row) => `| ${row.map(cell).join(" | ")} |`)];
}

/** Inline code; a backtick inside would end it, so it becomes a quote. */
export const code = (text: string) => "`" + text.replace(/`/g, "'") + "`";

/** A collapsed block: the summary in bold, then the body (Markdown needs the blank lines). */
export function details(summary: string, body: string[]): string[] {
  return [`<details><summary><b>${summary}</b></summary>`, "", ...body, "", "</details>", ""];
}

/** A fenced code block whose fence is longer than any run of backticks in `text`. */
export function fenced(text: string, language = "text"): string[] {
  const longest = Math.max(0, ...[...text.matchAll(/`+/g)].map((m) => m[0].length));
  const fence = "`".repeat(Math.max(3, longest + 1));
  return [fence + language, text.replace(/\n$/, ""), fence];
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: ESC starts the terminal colour codes this strips.
const ansi = /\u001b\[[0-9;]*[A-Za-z]/g;

/** Terminal colour codes removed: logs and plan text are shown as plain text. */
export function plainText(text: string): string {
  return text.replace(ansi, "").replace(/\r\n/g, "\n");
}
