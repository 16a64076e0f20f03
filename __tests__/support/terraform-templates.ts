// Reads the strings of a synthesized stack the way Terraform does: every string is a template, in
// which `${` opens an interpolation and `%{` a directive, and `$${` / `%%{` are their escapes.

/** A template sequence Terraform would evaluate, where it was found. */
export interface TemplateSequence {
  /** JSON path of the string, such as `resource.hcloud_server.x.user_data`. */
  readonly path: string;
  readonly kind: "interpolation" | "directive";
  /** The expression between the braces. */
  readonly expression: string;
}

/** Every interpolation and directive in every string of `json`. */
export function templateSequences(json: unknown, path = ""): TemplateSequence[] {
  if (typeof json === "string") {
    return sequencesIn(json, path);
  }
  if (Array.isArray(json)) {
    return json.flatMap((item, index) => templateSequences(item, `${path}[${index}]`));
  }
  if (json && typeof json === "object") {
    return Object.entries(json).flatMap(([key, value]) => templateSequences(value, path ? `${path}.${key}` : key));
  }
  return [];
}

function sequencesIn(text: string, path: string): TemplateSequence[] {
  const found: TemplateSequence[] = [];
  for (let i = 0; i < text.length; i++) {
    const pair = text.slice(i, i + 2);
    if ((pair === "$$" || pair === "%%") && text[i + 2] === "{") {
      i += 2; // an escape: the `{` is literal
      continue;
    }
    if ((pair === "${" || pair === "%{") && text[i + 2] !== undefined) {
      const end = closingBrace(text, i + 2);
      found.push({ path, kind: pair === "${" ? "interpolation" : "directive", expression: text.slice(i + 2, end).trim() });
      i = end;
    }
  }
  return found;
}

/** Index of the `}` that closes the sequence opened just before `start`, skipping quoted strings and nested braces. */
function closingBrace(text: string, start: number): number {
  let depth = 0;
  for (let i = start; i < text.length; i++) {
    const character = text[i];
    if (character === '"') {
      for (i++; i < text.length && text[i] !== '"'; i++) {
        if (text[i] === "\\") i++;
      }
    } else if (character === "{") {
      depth++;
    } else if (character === "}") {
      if (depth === 0) return i;
      depth--;
    }
  }
  return text.length;
}

/**
 * Whether `expression` is one of the stack's own: every name in it is a resource, data source,
 * local or variable the stack defines, a Terraform function, a keyword, or a name its own for
 * expression binds. Anything else (`${HOME}`, `${jndi:x}`) is text that Terraform would evaluate
 * by mistake.
 */
export function isStackReference(expression: string, stack: Record<string, any>): boolean {
  const code = expression.replace(/"(?:[^"\\]|\\.)*"/g, '""');
  if (/[$%]\{|[`;'\\]/.test(code)) {
    return false;
  }
  const bound = new Set([...code.matchAll(/\bfor\s+(\w+)(?:\s*,\s*(\w+))?\s+in\b/g)].flatMap((m) => [m[1], m[2]]).filter(Boolean));
  const names = [...code.matchAll(/(?<![\w.-])([A-Za-z_][\w-]*)((?:\.[A-Za-z_][\w-]*)*)(\s*\()?/g)];
  if (code.trim() === '""') {
    return true; // a quoted literal, such as the "$" written before an interpolation
  }
  return names.length > 0 && names.every(([, root, rest, call]) => {
    const segments = [root, ...rest.split(".").filter(Boolean)];
    if (call) return segments.length === 1 && /^[a-z][a-z0-9_]*$/.test(root);
    if (keywords.has(root) || bound.has(root)) return true;
    return defines(stack, segments);
  });
}

const keywords = new Set(["true", "false", "null", "for", "in", "if"]);

function defines(stack: Record<string, any>, [first, second, third]: string[]): boolean {
  const has = (block: string, ...keys: (string | undefined)[]) =>
    keys.every((key) => key !== undefined) && keys.reduce<any>((node, key) => node?.[key!], stack[block]) !== undefined;
  switch (first) {
    case "local":
      return has("locals", second);
    case "var":
      return has("variable", second);
    case "data":
      return has("data", second, third);
    default:
      return has("resource", first, second);
  }
}
