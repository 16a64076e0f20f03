/**
 * `value` as one single-quoted shell word: sh takes everything between single quotes literally
 * (`$`, backquotes, backslashes, newlines), so the only character to handle is the quote itself,
 * written as '\'' (close, an escaped quote, reopen).
 *
 * A cdktf token is placed as is (its marker holds no quote); the values Terraform fills in at apply
 * time are addresses and letters-and-digits passwords, which need no escaping.
 */
export function shellQuote(value: string | number): string {
  return `'${String(value).replace(/'/g, `'\\''`)}'`;
}

/** NAME='value' lines for a file that sh sources; names must be shell variable names. */
export function shellAssignments(values: Readonly<Record<string, string | number>>): string {
  return (
    Object.entries(values)
      .map(([name, value]) => {
        if (!/^[A-Z_][A-Z0-9_]*$/.test(name)) {
          throw new Error(`shell settings: ${JSON.stringify(name)} is not a shell variable name`);
        }
        return `${name}=${shellQuote(value)}`;
      })
      .join("\n") + "\n"
  );
}
