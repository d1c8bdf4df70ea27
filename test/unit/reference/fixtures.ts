// Fixture helpers for the image reference tests: digests of exact lengths, expected values written
// out by hand, and one assertion for "rejected, and for this reason".
import { expect } from 'vitest';
import { InvalidImageReferenceError, parseImageReference, type ImageReference } from '../../../src/reference/index.js';

const HEX_DIGITS = '0123456789abcdef';

/** `length` lower-case hex characters, deterministic (0123…f repeated). */
export function hex(length: number): string {
  return HEX_DIGITS.repeat(Math.ceil(length / HEX_DIGITS.length)).slice(0, length);
}

export const SHA256_HEX = hex(64);
export const SHA256 = `sha256:${SHA256_HEX}`;
export const SHA384 = `sha384:${hex(96)}`;
export const SHA512 = `sha512:${hex(128)}`;

/** The structure a parse should give, written by hand (no tag/digest keys unless given). */
export function expected(registry: string, repository: string, tag?: string, digest?: string): ImageReference {
  return { registry, repository, ...(tag !== undefined ? { tag } : {}), ...(digest !== undefined ? { digest } : {}) };
}

/** Asserts that `input` is rejected with an InvalidImageReferenceError whose reason contains `reason`. */
export function expectRejected(input: string, reason: string): InvalidImageReferenceError {
  let caught: unknown;
  try {
    parseImageReference(input);
  } catch (error) {
    caught = error;
  }
  expect(caught, `expected ${JSON.stringify(input)} to be rejected`).toBeInstanceOf(InvalidImageReferenceError);
  const error = caught as InvalidImageReferenceError;
  expect(error.input).toBe(input);
  expect(error.reason).toContain(reason);
  expect(error.message).toContain(reason);
  return error;
}

/** Runs `fn` and returns what it threw (fails the test when it returns normally). */
export function thrownBy(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected the call to throw');
}
