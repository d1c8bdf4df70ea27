// Where the parts of a YAML text are that the parsed nodes do not record: a node's `range` starts at its value, after
// its properties (`!Tag`, `&anchor`), and says nothing of the comments around it. yaml-edit.ts needs both to replace
// exactly one value (tag included) and to keep the comments next to it. One pass of the yaml library's lexer.
import { CST, Lexer, type Node } from 'yaml';

type TokenKind = 'gap' | 'comment' | 'props' | 'other';

interface Token {
  readonly start: number;
  readonly end: number;
  readonly kind: TokenKind;
}

function kindOf(type: string | null): TokenKind {
  if (type === 'space' || type === 'newline') return 'gap';
  if (type === 'comment') return 'comment';
  if (type === 'tag' || type === 'anchor') return 'props';
  return 'other';
}

export class SourceTokens {
  private readonly tokens: Token[] = [];

  constructor(private readonly text: string) {
    let offset = 0;
    let scalarNext = false;
    for (const source of new Lexer().lex(text)) {
      const type = CST.tokenType(source);
      // The lexer's markers take no room in the text; the token after a scalar marker is the scalar's own text,
      // whatever its first character (a block scalar's body may start with `#`).
      if (type === 'scalar' || type === 'doc-mode' || type === 'flow-error-end') {
        scalarNext = type === 'scalar';
        continue;
      }
      const kind = scalarNext ? 'other' : kindOf(type);
      scalarNext = false;
      this.tokens.push({ start: offset, end: offset + source.length, kind });
      offset += source.length;
    }
  }

  /** Index of the last token that starts before `offset`, or -1. */
  private lastBefore(offset: number): number {
    let low = 0;
    let high = this.tokens.length - 1;
    let found = -1;
    while (low <= high) {
      const middle = (low + high) >> 1;
      if (this.tokens[middle]!.start < offset) {
        found = middle;
        low = middle + 1;
      } else high = middle - 1;
    }
    return found;
  }

  /** Where `node` begins in the text, its properties (tag, anchor) included; those before `notBefore` left out. */
  start(node: Node, notBefore = 0): number {
    let start = node.range![0];
    for (let index = this.lastBefore(start); index >= 0 && this.tokens[index]!.start >= notBefore; index--) {
      const token = this.tokens[index]!;
      if (token.kind === 'props') start = token.start;
      else if (token.kind === 'other') break;
    }
    return start;
  }

  /** The end of the last property (tag, anchor) that starts inside [start, end), or undefined. */
  propsEnd(start: number, end: number): number | undefined {
    for (let index = this.lastBefore(end); index >= 0 && this.tokens[index]!.start >= start; index--) {
      if (this.tokens[index]!.kind === 'props') return this.tokens[index]!.end;
    }
    return undefined;
  }

  /** The comments that start inside [start, end), in order. */
  comments(start: number, end: number): string[] {
    const found: string[] = [];
    for (let index = this.lastBefore(end); index >= 0 && this.tokens[index]!.start >= start; index--) {
      const token = this.tokens[index]!;
      if (token.kind === 'comment') found.unshift(this.text.slice(token.start, token.end));
    }
    return found;
  }
}
