// Values that must never appear in an error message: passwords, Basic header values, bearer tokens.
// A registry may echo a request header in its error text; everything shown from it passes `redact`.

/** Shorter values are not redacted: they would blank out ordinary words. */
const MIN_SECRET_LENGTH = 6;

export class SecretRedactor {
  private readonly secrets = new Set<string>();

  add(...values: string[]): void {
    for (const value of values) if (value.length >= MIN_SECRET_LENGTH) this.secrets.add(value);
  }

  redact(text: string): string {
    let result = text;
    // Longest first, so a token that contains a shorter secret is removed whole.
    for (const secret of [...this.secrets].sort((a, b) => b.length - a.length)) result = result.split(secret).join('***');
    return result;
  }
}
