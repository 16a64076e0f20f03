import { isDeepStrictEqual } from "node:util";
import { parse } from "yaml";
import { withoutCommentLines } from "./shell-comments";

/**
 * A file from cloud-init/files as a node receives it: without its comment lines, which are written
 * for whoever reads this repository and would cost a tenth of Hetzner's 32 KiB of user-data. The
 * first line (naming the file on the node) stays. Every format we ship (shell, nginx, NATS,
 * nftables, systemd, cron, ini, sshd, apt) takes a line starting with `#` as a comment; shell rules
 * keep here-documents and quoted lines. In YAML such a line can be the content of a block scalar, so
 * a YAML file must parse the same without them, or rendering fails naming it.
 */
export function withoutFileComments(relativePath: string, text: string): string {
  if (!/\.ya?ml$/.test(relativePath)) {
    return withoutCommentLines(text);
  }
  const lines = text.split("\n");
  const kept = lines.filter((line, index) => index === 0 || !/^\s*#/.test(line)).join("\n");
  if (!isDeepStrictEqual(parse(kept), parse(text))) {
    throw new Error(`${relativePath}: a line starting with '#' is content (inside a block scalar?), not a comment; indent it under text or reword it`);
  }
  return kept;
}
