// The digest rules of src/reference/digest.ts that the registry client relies on: which digests Lambda and ECR take,
// which a registry may send (the OCI descriptor grammar), and checking content against a digest. Expected hashes are
// the published test vectors of "abc" (FIPS 180-2), not computed here.
import { describe, expect, it } from 'vitest';
import { digestOf, digestProblem, isDigest, isImageDigest, parseImageReference } from '../../../src/reference/index.js';

const ABC = new TextEncoder().encode('abc');
const ABC_SHA256 = 'sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad';
const ABC_SHA384 = 'sha384:cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed8086072ba1e7cc2358baeca134c825a7';
const ABC_SHA512 = 'sha512:ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f';

describe('Function: isImageDigest', () => {
  it('takes sha256 and 64 lower-case hex digits, nothing before or after', () => {
    expect(isImageDigest(ABC_SHA256)).toBe(true);
    for (const value of [
      `x${ABC_SHA256}`,
      `${ABC_SHA256}0`,
      `${ABC_SHA256}\n`,
      `repo@${ABC_SHA256}`,
      ABC_SHA256.toUpperCase(),
      ABC_SHA256.slice(0, -1),
      ABC_SHA384,
      'sha256:',
      '',
      undefined,
      42,
      [ABC_SHA256],
    ]) {
      expect(isImageDigest(value), JSON.stringify(value)).toBe(false);
    }
  });
});

describe('Function: digestOf', () => {
  it.each([
    ['sha256', ABC_SHA256],
    ['sha384', ABC_SHA384],
    ['sha512', ABC_SHA512],
  ])('computes %s', (algorithm, expected) => {
    expect(digestOf(ABC, algorithm)).toBe(expected);
  });

  it('computes sha256 by default, and nothing for an algorithm it does not know', () => {
    expect(digestOf(ABC)).toBe(ABC_SHA256);
    for (const algorithm of ['md5', 'sha1', 'SHA256', 'blake3', '', 'constructor', 'toString']) expect(digestOf(ABC, algorithm), algorithm).toBeUndefined();
  });
});

describe('Function: digestProblem', () => {
  it('finds nothing wrong with the digest of the content, for each algorithm it computes', () => {
    for (const digest of [ABC_SHA256, ABC_SHA384, ABC_SHA512]) expect(digestProblem(ABC, digest)).toBeUndefined();
  });

  it('names the content digest when it differs', () => {
    const other = `sha256:${'0'.repeat(64)}`;
    expect(digestProblem(ABC, other)).toBe(`content digest is ${ABC_SHA256}`);
    expect(digestProblem(new TextEncoder().encode('abd'), ABC_SHA256)).toMatch(/^content digest is sha256:[0-9a-f]{64}$/);
  });

  it('says which algorithm it cannot check, its name cut to 20 characters', () => {
    expect(digestProblem(ABC, 'md5:900150983cd24fb0d6963f7d28e17f72')).toBe('digest algorithm "md5" is not supported (sha256, sha384, sha512 are)');
    expect(digestProblem(ABC, `${'a'.repeat(30)}:00`)).toBe(`digest algorithm "${'a'.repeat(20)}" is not supported (sha256, sha384, sha512 are)`);
    expect(digestProblem(ABC, 'no-colon-at-all')).toBe('digest algorithm "" is not supported (sha256, sha384, sha512 are)');
  });
});

describe('Function: isDigest (the OCI descriptor grammar)', () => {
  it.each([
    ABC_SHA256,
    ABC_SHA512,
    'sha256+b64u:LCa0a2j_xo_5m0U8HTBBNBNCLXBkg7-g-YpeiGJm564',
    'multihash+base58:QmRZxt2b1FVZPNqd8hsiykDL3TdBDeTSPX9Kv46HmX4Gx8',
    'a.b_c-d:x',
    'sha256:A=_-',
  ])('takes %s', (value) => {
    expect(isDigest(value)).toBe(true);
  });

  it.each([
    ['no algorithm', ':abc'],
    ['no value', 'sha256:'],
    ['no colon', 'sha256'],
    ['an upper-case algorithm', 'SHA256:abc'],
    ['a separator at the start of the algorithm', '+sha256:abc'],
    ['a separator at its end', 'sha256+:abc'],
    ['two separators in a row', 'sha256+.b64:abc'],
    ['a character the value may not hold', 'sha256:ab/c'],
    ['a prefix before it', `x ${ABC_SHA256}`],
    ['a suffix after it', `${ABC_SHA256} x`],
    ['a line break after it', `${ABC_SHA256}\n`],
  ])('refuses %s', (_case, value) => {
    expect(isDigest(value)).toBe(false);
  });

  it('takes at most 256 characters', () => {
    const longest = `sha256:${'a'.repeat(256 - 'sha256:'.length)}`;
    expect(longest).toHaveLength(256);
    expect(isDigest(longest)).toBe(true);
    expect(isDigest(`${longest}a`)).toBe(false);
  });

  it('takes only strings, even ones that print as a digest', () => {
    for (const value of [[ABC_SHA256], { toString: () => ABC_SHA256 }, 42, null, undefined]) expect(isDigest(value), String(value)).toBe(false);
  });
});

describe('Algorithm names that are also names of every JavaScript object', () => {
  // A registry chooses the digest it sends (Docker-Content-Digest) and a template the one it pins: "constructor" and
  // "toString" are valid unknown algorithms, not Object's methods.
  it.each(['constructor', 'toString', 'hasOwnProperty', '__proto__'])('%s is an unknown algorithm: no digest computed, no crash', (algorithm) => {
    expect(digestOf(ABC, algorithm)).toBeUndefined();
    expect(digestProblem(ABC, `${algorithm}:00`)).toBe(`digest algorithm "${algorithm}" is not supported (sha256, sha384, sha512 are)`);
  });

  it.each(['constructor', 'tostring', 'valueof'])('a reference pinned to %s:<32 hex digits> is valid, as for any unknown algorithm', (algorithm) => {
    const digest = `${algorithm}:${'0'.repeat(32)}`;
    expect(parseImageReference(`quay.io/a/b@${digest}`).digest).toBe(digest);
    expect(() => parseImageReference(`quay.io/a/b@${algorithm}:${'0'.repeat(31)}`)).toThrow('must be at least 32 lower-case hex characters');
  });
});
