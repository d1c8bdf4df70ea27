// `WWW-Authenticate` parsing (RFC 9110 section 11): one header may hold several challenges, and
// quoted parameter values may contain commas (`scope="repository:a/b:pull,push"`) and escapes.
// fetch joins repeated headers with ", ", which this grammar also covers.

export interface AuthChallenge {
  /** Lower-cased scheme: `bearer`, `basic`, ... */
  readonly scheme: string;
  /** Lower-cased parameter names to their unquoted values. */
  readonly params: Readonly<Record<string, string>>;
}

const TOKEN_CHAR = /[!#$%&'*+.^_`|~0-9A-Za-z-]/;

class Scanner {
  position = 0;
  constructor(readonly text: string) {}

  get done(): boolean {
    return this.position >= this.text.length;
  }
  peek(): string | undefined {
    return this.text[this.position];
  }
  skipWhitespace(): void {
    while (this.peek() === ' ' || this.peek() === '\t') this.position++;
  }
  skipSeparators(): void {
    while (this.peek() === ' ' || this.peek() === '\t' || this.peek() === ',') this.position++;
  }
  token(): string {
    const start = this.position;
    while (!this.done && TOKEN_CHAR.test(this.text[this.position]!)) this.position++;
    return this.text.slice(start, this.position);
  }
  /** A quoted-string starting at the opening quote; an unterminated one runs to the end. */
  quoted(): string {
    this.position++;
    let value = '';
    while (!this.done) {
      const ch = this.text[this.position++]!;
      if (ch === '"') return value;
      if (ch === '\\' && !this.done) value += this.text[this.position++]!;
      else value += ch;
    }
    return value;
  }
}

/** All challenges of a `WWW-Authenticate` value, in order. Malformed trailing input is ignored. */
export function parseWwwAuthenticate(header: string): AuthChallenge[] {
  const scanner = new Scanner(header);
  const challenges: AuthChallenge[] = [];
  for (;;) {
    scanner.skipSeparators();
    const scheme = scanner.token();
    if (scheme === '') break;
    const params: Record<string, string> = {};
    // Parameters follow until a token that is not followed by "=": that starts the next challenge.
    for (;;) {
      scanner.skipSeparators();
      const start = scanner.position;
      const name = scanner.token();
      scanner.skipWhitespace();
      if (name === '' || scanner.peek() !== '=') {
        scanner.position = start;
        break;
      }
      scanner.position++;
      scanner.skipWhitespace();
      // token68 (`Basic abc==`) values run on with "="; keep them whole rather than misreading them.
      if (scanner.peek() === '=') {
        while (scanner.peek() === '=') scanner.position++;
        continue;
      }
      const value = scanner.peek() === '"' ? scanner.quoted() : scanner.token();
      params[name.toLowerCase()] = value;
    }
    challenges.push({ scheme: scheme.toLowerCase(), params });
  }
  return challenges;
}

/** The challenge this client answers: Bearer when offered, else Basic, else the first one. */
export function preferredChallenge(challenges: readonly AuthChallenge[]): AuthChallenge | undefined {
  return challenges.find((challenge) => challenge.scheme === 'bearer') ?? challenges.find((challenge) => challenge.scheme === 'basic') ?? challenges[0];
}
