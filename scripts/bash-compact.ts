// The compact form of a bash script: what bash reads stays, what only a reader needs goes. Removed: comments (a whole
// comment line, or a trailing comment with the blanks before it), blank lines and the indentation of command lines.
// Kept byte for byte: everything bash reads as data or as part of a word: quoted strings (also when they span lines),
// here-document bodies, `${#var}`, `$#`, `16#ff` in arithmetic, `a#b`, a line continued with a backslash.
// A scanner, not a parser: what it cannot follow (an unclosed quote or here-document) is refused, and
// scripts/buildspec-compact.ts has bash itself confirm that it reads the result as it reads the original.

/** A script the scanner cannot follow to its end; the message says where. */
export class BashCompactionError extends Error {
  override readonly name = 'BashCompactionError';
}

export interface CompactOptions {
  /**
   * Delimiters of quoted here-documents whose body is itself a bash script (written to a file that is sourced):
   * their bodies are compacted too. The body of any other here-document is data and stays as it is.
   */
  readonly scriptHeredocs?: readonly string[];
}

export interface CompactedBash {
  /** The script compacted, script here-documents included. */
  readonly text: string;
  /** The same, but with the bodies of script here-documents as they were: what bash must read as it reads the original. */
  readonly withOriginalBodies: string;
  /** Each script here-document's body as it was, and compacted (the same way, recursively). */
  readonly bodies: readonly { readonly original: string; readonly compact: CompactedBash }[];
}

/** Where the scanner is: shell code (top level, or inside `(` or `$(`), or inside a quoting or expansion construct. */
type Context = 'code' | 'paren' | 'single' | 'double' | 'ansi' | 'param' | 'arith' | 'backtick';

const CONTEXT_NAMES: Record<Context, string> = {
  code: 'shell code',
  paren: 'a ( or $( that is not closed',
  single: "a '...' string",
  double: 'a "..." string',
  ansi: "a $'...' string",
  param: 'a ${...} expansion',
  arith: 'an arithmetic expression',
  backtick: 'a `...` substitution',
};

interface PendingHeredoc {
  readonly delimiter: string;
  readonly stripTabs: boolean;
  readonly quoted: boolean;
}

/** Characters after which `#` starts a word, hence a comment (bash's metacharacters and the line start). */
const WORD_BREAK = /[ \t\n;&|()<>]/;
/** `<<`, `<<-`, and the delimiter word: 'EOF', "EOF", \EOF (all quoted) or EOF, ending where a word ends. */
const HEREDOC_OPERATOR = /^<<(-?)[ \t]*(?:'([^'\n]*)'|"([^"\n]*)"|(\\?)([A-Za-z0-9_]+))(?=[ \t\n;&|()<>]|$)/;

class Scanner {
  private text = '';
  private withOriginalBodies = '';
  private readonly bodies: { original: string; compact: CompactedBash }[] = [];
  private i = 0;
  private readonly stack: Context[] = ['code'];
  /** Open `((`/`$((` constructs: the parentheses nested inside each. */
  private readonly depths: number[] = [];
  private pending: PendingHeredoc[] = [];
  /** Characters emitted since the current line started; whether that line continues the previous one (`\` newline). */
  private lineLength = 0;
  private continued = false;

  constructor(
    private readonly source: string,
    private readonly options: CompactOptions,
  ) {}

  run(): CompactedBash {
    while (this.i < this.source.length) this.step();
    if (this.stack.length > 1) throw new BashCompactionError(`the script ends inside ${CONTEXT_NAMES[this.context]}`);
    if (this.pending.length > 0) throw new BashCompactionError(`the here-document ${this.pending[0]!.delimiter} has no body`);
    return { text: this.text, withOriginalBodies: this.withOriginalBodies, bodies: this.bodies };
  }

  private get context(): Context {
    return this.stack.at(-1)!;
  }

  private emit(text: string): void {
    this.text += text;
    this.withOriginalBodies += text;
    this.i += text.length;
    this.lineLength += text.length;
  }

  private open(context: Context, text: string): void {
    this.stack.push(context);
    if (context === 'arith') this.depths.push(0);
    this.emit(text);
  }

  private close(text: string): void {
    const context = this.stack.pop();
    if (context === 'arith') this.depths.pop();
    this.emit(text);
  }

  private step(): void {
    const context = this.context;
    if (context === 'code' || context === 'paren') this.stepCode();
    else if (context === 'single') this.stepUntil("'", false);
    else if (context === 'ansi') this.stepUntil("'", true);
    else if (context === 'backtick') this.stepUntil('`', true);
    else this.stepExpanding(context);
  }

  /** Inside '...', $'...' or `...`: copied up to the closing character. */
  private stepUntil(close: string, escapes: boolean): void {
    const c = this.source[this.i]!;
    if (escapes && c === '\\') this.emit(this.source.slice(this.i, this.i + 2));
    else if (c === close) this.close(c);
    else this.emit(c);
  }

  /** A `$` construct at the current position (in code, "..." or ${...}): true when one was opened or copied. */
  private dollar(): boolean {
    const next = this.source.slice(this.i, this.i + 3);
    const unquoted = this.context !== 'double';
    if (next === '$((') this.open('arith', '$((');
    else if (next.startsWith('$(')) this.open('paren', '$(');
    else if (next.startsWith('${')) this.open('param', '${');
    else if (next.startsWith("$'") && unquoted) this.open('ansi', "$'");
    else if (next.startsWith('$"') && unquoted) this.open('double', '$"');
    // Anything else ($name, $#, $1...) is a word character: the `#` of `$#` follows no word break, so no comment.
    else return false;
    return true;
  }

  /** Inside "...", ${...} or an arithmetic expression: copied, following the constructs nested in them. */
  private stepExpanding(context: 'double' | 'param' | 'arith'): void {
    const c = this.source[this.i]!;
    if (c === '\\') this.emit(this.source.slice(this.i, this.i + 2));
    else if (c === '$' && this.dollar()) return;
    else if (c === '`') this.open('backtick', c);
    else if (context === 'param') this.stepParameter(c);
    else if (context === 'arith') this.stepArithmetic(c);
    else if (c === '"') this.close(c);
    else this.emit(c);
  }

  /** In ${...}: quotes nest; the first `}` outside them closes it (bash does not pair the braces inside: `${x:-{a}}`). */
  private stepParameter(c: string): void {
    if (c === '}') this.close(c);
    else if (c === '"') this.open('double', c);
    else if (c === "'") this.open('single', c);
    else this.emit(c);
  }

  /** In (( )) or $(( )): parentheses count, the `))` that matches the opening one closes it. */
  private stepArithmetic(c: string): void {
    const top = this.depths.length - 1;
    if (c === ')' && this.depths[top] === 0 && this.source[this.i + 1] === ')') this.close('))');
    else {
      if (c === '(') this.depths[top]! += 1;
      if (c === ')') this.depths[top]! -= 1;
      this.emit(c);
    }
  }

  /** Shell code: quotes and expansions open, comments, blank lines and indentation go, here-documents are noted. */
  private stepCode(): void {
    if (this.lineLength === 0 && !this.continued && this.skipIndentation()) return;
    const c = this.source[this.i]!;
    const rest = this.source.slice(this.i, this.i + 3);
    if (c === '\\') {
      const escaped = this.source.slice(this.i, this.i + 2);
      this.emit(escaped);
      if (escaped === '\\\n') this.newLine(true);
    } else if (c === '\n') {
      this.emit(c);
      this.endOfLine();
    } else if (c === '$' && this.dollar()) return;
    else if (c === "'") this.open('single', c);
    else if (c === '"') this.open('double', c);
    else if (c === '`') this.open('backtick', c);
    else if (rest.startsWith('((')) this.open('arith', '((');
    else if (c === '(') this.open('paren', c);
    else if (c === ')' && this.context === 'paren') this.close(c);
    // <<< is a here-string, not a here-document.
    else if (rest === '<<<') this.emit(rest);
    else if (rest.startsWith('<<')) this.heredocOperator();
    else if (c === '#' && (this.i === 0 || WORD_BREAK.test(this.source[this.i - 1]!))) this.comment();
    else this.emit(c);
  }

  /** At the start of a line of code: drops its indentation, and the line itself when nothing else is on it. */
  private skipIndentation(): boolean {
    const blanks = /^[ \t]*/.exec(this.source.slice(this.i))![0].length;
    const after = this.source[this.i + blanks];
    if (after === '\n') {
      this.i += blanks + 1;
      return true;
    }
    this.i += blanks;
    return blanks > 0 || after === undefined;
  }

  /** `#` to the end of the line: dropped with the blanks before it, and with the line break when the line is left empty. */
  private comment(): void {
    const end = this.source.indexOf('\n', this.i);
    this.i = end === -1 ? this.source.length : end;
    const blanks = /[ \t]*$/.exec(this.text)![0].length;
    const trimmed = Math.min(blanks, this.lineLength);
    this.text = this.text.slice(0, this.text.length - trimmed);
    this.withOriginalBodies = this.withOriginalBodies.slice(0, this.withOriginalBodies.length - trimmed);
    this.lineLength -= trimmed;
    // A continued line keeps its line break: without it the next line would join the command being continued.
    if (this.lineLength === 0 && !this.continued && end !== -1) this.i += 1;
  }

  /** `<<` or `<<-` and its delimiter; the body follows the end of the line. */
  private heredocOperator(): void {
    const match = HEREDOC_OPERATOR.exec(this.source.slice(this.i));
    if (!match) throw new BashCompactionError(`cannot read the here-document delimiter at offset ${this.i}: ${this.source.slice(this.i, this.i + 40)}`);
    const [, dash, single, double, backslash, word] = match;
    this.pending.push({ delimiter: single ?? double ?? word!, stripTabs: dash === '-', quoted: word === undefined || backslash === '\\' });
    this.emit(match[0]);
  }

  private newLine(continued: boolean): void {
    this.lineLength = 0;
    this.continued = continued;
  }

  /** After an unquoted line break: the bodies of the here-documents that line opened, then the next line. */
  private endOfLine(): void {
    for (const heredoc of this.pending) this.heredocBody(heredoc);
    this.pending = [];
    this.newLine(false);
  }

  private heredocBody(heredoc: PendingHeredoc): void {
    let body = '';
    for (;;) {
      if (this.i >= this.source.length) throw new BashCompactionError(`the here-document ${heredoc.delimiter} is not closed`);
      const end = this.source.indexOf('\n', this.i);
      const next = end === -1 ? this.source.length : end + 1;
      const line = this.source.slice(this.i, next);
      this.i = next;
      if ((heredoc.stripTabs ? line.replace(/^\t+/, '') : line).replace(/\n$/, '') === heredoc.delimiter) {
        const script = heredoc.quoted && (this.options.scriptHeredocs ?? []).includes(heredoc.delimiter);
        const compact = script ? compactBash(body, this.options) : undefined;
        if (compact) this.bodies.push({ original: body, compact });
        this.text += (compact?.text ?? body) + line;
        this.withOriginalBodies += body + line;
        return;
      }
      body += line;
    }
  }
}

/** `script` compacted (see the header); throws BashCompactionError when the scanner cannot follow it. */
export function compactBash(script: string, options: CompactOptions = {}): CompactedBash {
  return new Scanner(script, options).run();
}
