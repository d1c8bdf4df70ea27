// An independent statement of the Docker/OCI distribution reference grammar, written for the tests
// from the grammar itself (not from src/reference), plus the ECR repository name and tag rules.
// Properties check the parser against these whole-string expressions.

const alphaNumeric = '[a-z0-9]+';
const pathSeparator = '(?:[._]|__|-+)';
const pathComponent = `${alphaNumeric}(?:${pathSeparator}${alphaNumeric})*`;
const domainComponent = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const domain = `${domainComponent}(?:\\.${domainComponent})*(?::[0-9]+)?`;
const name = `(?:${domain}/)?${pathComponent}(?:/${pathComponent})*`;
const tag = '[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}';
const digestAlgorithmComponent = '[A-Za-z][A-Za-z0-9]*';
const digest = `${digestAlgorithmComponent}(?:[-_+.]${digestAlgorithmComponent})*:[0-9a-fA-F]{32,}`;

/** `reference := name [":" tag] ["@" digest]`, the whole string. */
export const REFERENCE_GRAMMAR = new RegExp(`^${name}(?::${tag})?(?:@${digest})?$`);

/** Every character an accepted reference may contain. */
export const REFERENCE_CHARACTERS = /^[A-Za-z0-9._:/@+-]*$/;

/** A tag on its own. */
export const TAG_GRAMMAR = new RegExp(`^${tag}$`);

/** ECR CreateRepository `repositoryName` pattern (with the 2..256 length rule checked separately). */
export const ECR_REPOSITORY_NAME_PATTERN = /^(?:[a-z0-9]+(?:[._-][a-z0-9]+)*\/)*[a-z0-9]+(?:[._-][a-z0-9]+)*$/;

/** Characters a POSIX shell gives a meaning to; none may survive validation. */
export const SHELL_METACHARACTERS = [
  ';',
  '$',
  '(',
  ')',
  '`',
  '"',
  "'",
  '|',
  '&',
  '>',
  '<',
  ' ',
  '\t',
  '\n',
  '\r',
  '\\',
  '*',
  '?',
  '!',
  '#',
  '~',
  '{',
  '}',
  '[',
  ']',
  '=',
  '%',
  '^',
  ',',
  '\0',
] as const;
