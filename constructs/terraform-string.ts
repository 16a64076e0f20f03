import { IResolvable, IResolveContext, Token, Tokenization } from "cdktf";

/**
 * Text for a Terraform string attribute whose literal parts reach the server exactly as written.
 *
 * Every string in Terraform JSON is a template: `${` opens an interpolation and `%{` a directive, so
 * the shell in our scripts (`${PG_MAJOR}`) would be read as Terraform. The literal parts are escaped
 * (`$${`, `%%{`); the cdktf tokens inside the text (secrets, addresses) stay references.
 *
 * The text is resolved as a whole here rather than by cdktf, whose resolver reads a literal `${` as
 * the start of a Terraform expression and drops the braces of any token that follows inside it.
 */
export function terraformString(text: string): string {
  return Token.isUnresolved(text) || needsEscaping(text) ? Token.asString(new TerraformTemplateText(text)) : text;
}

/** `text` escaped for Terraform's template syntax: evaluating the result gives back `text`. */
export function escapeTemplateLiteral(text: string): string {
  return text.replace(/\$\{/g, "$$${").replace(/%\{/g, "%%{");
}

function needsEscaping(text: string): boolean {
  return /[$%]\{/.test(text);
}

type Piece = { readonly literal: string } | { readonly token: IResolvable };

class TerraformTemplateText implements IResolvable {
  readonly creationStack: string[] = [];
  private readonly pieces: Piece[];

  constructor(text: string) {
    this.pieces = splitTokens(text);
  }

  resolve(context: IResolveContext): string {
    return this.pieces
      .map((piece, index) => {
        if ("token" in piece) {
          return String(context.resolve(piece.token));
        }
        const escaped = escapeTemplateLiteral(piece.literal);
        // A `$` right before an interpolation would make `$${` of it, an escape: write it as one.
        const next = this.pieces[index + 1];
        return next && "token" in next && escaped.endsWith("$") ? `${escaped.slice(0, -1)}\${"$"}` : escaped;
      })
      .join("");
  }

  toString(): string {
    return Token.asString(this);
  }
}

/** The text as literal pieces and the tokens between them, in order. */
function splitTokens(text: string): Piece[] {
  const pieces: Piece[] = [];
  let rest = text;
  for (const token of Tokenization.reverseString(text).tokens) {
    const marker = Token.asString(token);
    const at = rest.indexOf(marker);
    if (at < 0) {
      throw new Error(`cannot find token ${marker} in the text it came from`);
    }
    pieces.push({ literal: rest.slice(0, at) }, { token });
    rest = rest.slice(at + marker.length);
  }
  pieces.push({ literal: rest });
  return pieces.filter((piece) => !("literal" in piece) || piece.literal !== "");
}
