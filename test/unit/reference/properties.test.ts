// Properties of the image reference module over generated input (fast-check).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  ECR_REPOSITORY_NAME_MAX,
  InvalidImageReferenceError,
  UnmappableImageError,
  formatImageReference,
  normalizeImageReference,
  parseImageReference,
  pinnedReference,
  targetRepositoryName,
  targetTag,
  tryParseImageReference,
} from '../../../src/reference/index.js';
import { arbitraryInputs, digestArbitrary, longValidReference, validReference } from './arbitraries.js';
import { ECR_REPOSITORY_NAME_PATTERN, REFERENCE_CHARACTERS, REFERENCE_GRAMMAR, TAG_GRAMMAR } from './grammar.js';

const RUNS = { numRuns: 500 } as const;

/** Every input source for "accepted or rejected" properties: generated valid references and arbitrary strings. */
const allInputs: ReadonlyArray<readonly [string, fc.Arbitrary<string>]> = [['generated valid references', validReference.map(({ input }) => input)], ...arbitraryInputs];

describe('Function: parseImageReference (properties)', () => {
  it('accepts every generated valid reference with the structure the grammar model predicts', () => {
    fc.assert(
      fc.property(validReference, ({ input, expected }) => {
        expect(parseImageReference(input)).toStrictEqual(expected);
      }),
      RUNS,
    );
  });

  it('(1) round-trips: parse(format(parse(s))) deep-equals parse(s)', () => {
    fc.assert(
      fc.property(validReference, ({ input }) => {
        const parsed = parseImageReference(input);
        expect(parseImageReference(formatImageReference(parsed))).toStrictEqual(parsed);
      }),
      RUNS,
    );
  });

  it.each(allInputs)('(2) normalisation is idempotent for accepted %s', (_source, inputs) => {
    fc.assert(
      fc.property(inputs, (input) => {
        const result = tryParseImageReference(input);
        if (!result.ok) return;
        const once = normalizeImageReference(input);
        expect(normalizeImageReference(once)).toBe(once);
      }),
      RUNS,
    );
  });

  it.each(allInputs)('(3) every accepted string from %s matches the whole grammar and the safe character set', (_source, inputs) => {
    fc.assert(
      fc.property(inputs, (input) => {
        const result = tryParseImageReference(input);
        if (!result.ok) return;
        expect(input).toMatch(REFERENCE_GRAMMAR);
        expect(input).toMatch(REFERENCE_CHARACTERS);
        const normalised = formatImageReference(result.reference);
        expect(normalised).toMatch(REFERENCE_GRAMMAR);
        expect(`${result.reference.registry}/${result.reference.repository}`.length).toBeLessThanOrEqual(255);
      }),
      RUNS,
    );
  });

  it.each(arbitraryInputs)('(4) every rejected string from %s throws InvalidImageReferenceError with a reason', (_source, inputs) => {
    fc.assert(
      fc.property(inputs, (input) => {
        let caught: unknown;
        try {
          parseImageReference(input);
          return;
        } catch (error) {
          caught = error;
        }
        expect(caught).toBeInstanceOf(InvalidImageReferenceError);
        const error = caught as InvalidImageReferenceError;
        expect(error.reason.trim()).not.toBe('');
        expect(error.input).toBe(input);
        expect(error.message).toContain(error.reason);
      }),
      RUNS,
    );
  });

  it('(4) rejects every string that does not match the grammar', () => {
    fc.assert(
      fc.property(fc.oneof(...arbitraryInputs.map(([, inputs]) => inputs)), (input) => {
        fc.pre(!REFERENCE_GRAMMAR.test(input));
        expect(() => parseImageReference(input)).toThrow(InvalidImageReferenceError);
      }),
      RUNS,
    );
  });
});

describe('Function: targetRepositoryName (properties)', () => {
  const references = fc.oneof(validReference, longValidReference).map(({ input }) => parseImageReference(input));
  const prefixes = fc.oneof(
    fc.constant(undefined),
    fc.constantFrom('sysdig-image-fix', 'mirrors', 'a/b', 'p'.repeat(200)),
    fc.string({ maxLength: 30 }),
    fc.string({ unit: fc.constantFrom(...'ab1._-/A '.split('')), maxLength: 30 }),
  );

  it('(5) yields a valid ECR repository name under the prefix, or throws UnmappableImageError', () => {
    fc.assert(
      fc.property(references, prefixes, (reference, prefix) => {
        let name: string;
        try {
          name = targetRepositoryName(reference, prefix);
        } catch (error) {
          expect(error).toBeInstanceOf(UnmappableImageError);
          expect((error as UnmappableImageError).reason.trim()).not.toBe('');
          return;
        }
        expect(name).toMatch(ECR_REPOSITORY_NAME_PATTERN);
        expect(name.length).toBeGreaterThanOrEqual(2);
        expect(name.length).toBeLessThanOrEqual(ECR_REPOSITORY_NAME_MAX);
        expect(name.startsWith(`${prefix ?? 'sysdig-image-fix'}/`)).toBe(true);
      }),
      RUNS,
    );
  });

  it('maps every generated reference under the default prefix when the name fits', () => {
    fc.assert(
      fc.property(validReference, ({ input }) => {
        const reference = parseImageReference(input);
        // 17 = "sysdig-image-fix/"; collapsing separators only shortens the name.
        fc.pre(17 + reference.registry.length + 1 + reference.repository.length <= ECR_REPOSITORY_NAME_MAX);
        expect(targetRepositoryName(reference)).toMatch(ECR_REPOSITORY_NAME_PATTERN);
      }),
      RUNS,
    );
  });
});

describe('Function: targetTag (properties)', () => {
  it('is always a valid tag', () => {
    fc.assert(
      fc.property(validReference, ({ input }) => {
        expect(targetTag(parseImageReference(input))).toMatch(TAG_GRAMMAR);
      }),
      RUNS,
    );
  });
});

describe('Function: pinnedReference (properties)', () => {
  it('gives a digest-only reference to the same repository', () => {
    fc.assert(
      fc.property(validReference, digestArbitrary, ({ input }, digest) => {
        const source = parseImageReference(input);
        const pinned = parseImageReference(pinnedReference(source, digest));
        expect(pinned).toStrictEqual({ registry: source.registry, repository: source.repository, digest });
      }),
      RUNS,
    );
  });
});
