// canonicalJson: the text that names mirrors (their logical ids hash it) and binds builds to requests, so its output
// is a contract: JSON.stringify of the value with every object's keys sorted, whatever order they came in.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalJson } from '../../src/values.js';

/** JSON with every object's entries in sorted key order, written out by hand (an independent statement of the rule). */
function sortedJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map((item) => sortedJson(item)).join(',')}]`;
  if (typeof value !== 'object' || value === null) return JSON.stringify(value);
  const record = value as Record<string, unknown>;
  const entries = Object.keys(record)
    .sort()
    .map((key) => `${JSON.stringify(key)}:${sortedJson(record[key])}`);
  return `{${entries.join(',')}}`;
}

/** The same value with every object's keys in reverse order. */
function reversedKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(reversedKeys);
  if (typeof value !== 'object' || value === null) return value;
  const reversed: Record<string, unknown> = {};
  for (const key of Object.keys(value).reverse()) Object.defineProperty(reversed, key, { value: reversedKeys((value as Record<string, unknown>)[key]), enumerable: true });
  return reversed;
}

describe('Function: canonicalJson', () => {
  it("is the JSON of the value with every object's keys sorted (numeric-looking keys too), for any JSON value", () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        expect(canonicalJson(value)).toBe(sortedJson(value));
      }),
      { numRuns: 500 },
    );
  });

  it('does not depend on the order of the keys', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        expect(canonicalJson(reversedKeys(value))).toBe(canonicalJson(value));
      }),
      { numRuns: 500 },
    );
  });

  it('writes objects, lists and scalars as JSON does', () => {
    expect(canonicalJson({ source: 'quay.io/a/b:1', architecture: 'arm64' })).toBe('{"architecture":"arm64","source":"quay.io/a/b:1"}');
    expect(canonicalJson({ b: [1, { d: null, c: true }], a: 'x' })).toBe('{"a":"x","b":[1,{"c":true,"d":null}]}');
    expect(canonicalJson({})).toBe('{}');
    expect(canonicalJson([])).toBe('[]');
    expect(canonicalJson('a"b')).toBe('"a\\"b"');
    expect(canonicalJson({ 'k"': 1 })).toBe('{"k\\"":1}');
    // Sorted as strings: "10" before "9", and before letters; JavaScript would enumerate "9" and "10" first.
    expect(canonicalJson({ b: 1, 10: 2, 9: 3, '': 4 })).toBe('{"":4,"10":2,"9":3,"b":1}');
  });

  it('leaves out keys holding undefined and writes undefined list items as null, as JSON.stringify does', () => {
    expect(canonicalJson({ a: undefined, b: 1, c: undefined })).toBe('{"b":1}');
    expect(canonicalJson({ a: undefined })).toBe('{}');
    expect(canonicalJson([undefined, 1])).toBe('[null,1]');
    expect(canonicalJson(undefined)).toBe('null');
  });
});
