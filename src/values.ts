// Plain-value helpers shared by every part of the product (reference, template, macro, mirror, CLI): the
// plain-object guard, canonical JSON, and the words a message uses for a value of the wrong kind.

/** An object that is not null and not an array (JSON's "object"). */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * JSON with object keys sorted at every level: equal values give equal strings whatever their key order, so
 * they compare (and hash) equal. Keys holding undefined are left out and undefined list items are null, as
 * JSON.stringify does.
 */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map((item) => canonicalJson(item ?? null)).join(',')}]`;
  if (isPlainObject(value)) {
    // One loop building the text (the transform names every mirror with it; filter/map/join was twice as slow).
    let entries = '';
    for (const key of Object.keys(value).sort()) {
      if (value[key] === undefined) continue;
      entries += `${entries === '' ? '' : ','}${JSON.stringify(key)}:${canonicalJson(value[key])}`;
    }
    return `{${entries}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** How a message names the kind of a value; each caller keeps the wording its messages have always had. */
export interface DescribeStyle {
  /** `a string`, `a number` rather than `string`, `number`. */
  readonly article?: boolean;
  /** The words for a list (default `a list`). */
  readonly list?: string;
  /** The words for an object (default `an object`). */
  readonly object?: string;
  /** Strings are shown themselves, quoted and cut to this many characters, instead of by kind. */
  readonly quoteStringsUpTo?: number;
}

/** `null`, `a list`, `an object`, `string`, ...: the kind of a value that was not what was expected. */
export function describeValue(value: unknown, style: DescribeStyle = {}): string {
  if (value === null) return 'null';
  // No article: "a undefined" is not English (a macro event without a fragment).
  if (value === undefined) return 'undefined';
  if (Array.isArray(value)) return style.list ?? 'a list';
  if (typeof value === 'string' && style.quoteStringsUpTo !== undefined) {
    return `"${value.length > style.quoteStringsUpTo ? `${value.slice(0, style.quoteStringsUpTo)}…` : value}"`;
  }
  if (typeof value === 'object') return style.object ?? 'an object';
  return style.article ? `a ${typeof value}` : typeof value;
}
