// IAM's wildcard patterns, shared by the transform (which actions a role grants) and the mirror function (which
// ECR repositories it may read).

/** IAM-style wildcard match: `*` any run of characters (also "/"), `?` one character; actions compare case-insensitively. */
export function iamPatternMatches(pattern: string, value: string, options: { readonly ignoreCase?: boolean } = {}): boolean {
  const regex = new RegExp(
    `^${pattern
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.')}$`,
    options.ignoreCase ? 'i' : '',
  );
  return regex.test(value);
}
