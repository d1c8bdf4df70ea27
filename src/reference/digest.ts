// Digest rules in one place: the reference grammar's `<algorithm>:<hex>` (what an image reference may pin),
// the OCI descriptor grammar (what a registry may send), the sha256 digests Lambda and ECR take, and computing
// a digest of content to check what a registry sent.
import { createHash } from 'node:crypto';
import { InvalidImageReferenceError } from './errors.js';

const DIGEST_ALGORITHM = /^[a-z][a-z0-9]*(?:[+._-][a-z][a-z0-9]*)*$/;
const DIGEST_HEX = /^[0-9a-f]{32,}$/;
/** Registered algorithms have a fixed hex length; unknown ones only need the grammar's 128 bits. */
const DIGEST_HEX_LENGTH: Readonly<Record<string, number>> = { sha256: 64, sha384: 96, sha512: 128 };

/** The reference grammar's digest rule; throws InvalidImageReferenceError naming `input`. */
export function checkDigest(input: string, digest: string): void {
  const colon = digest.indexOf(':');
  if (colon === -1) throw new InvalidImageReferenceError(input, `digest "${digest}" has no "<algorithm>:" prefix`);
  const algorithm = digest.slice(0, colon);
  const hex = digest.slice(colon + 1);
  if (!DIGEST_ALGORITHM.test(algorithm)) {
    throw new InvalidImageReferenceError(input, `digest algorithm "${algorithm}" is invalid`);
  }
  // Own keys only: an algorithm named "constructor" is a valid unknown algorithm, not Object's constructor.
  const expected = Object.hasOwn(DIGEST_HEX_LENGTH, algorithm) ? DIGEST_HEX_LENGTH[algorithm] : undefined;
  if (!DIGEST_HEX.test(hex) || (expected !== undefined && hex.length !== expected)) {
    const want = expected !== undefined ? `${expected} lower-case hex characters` : 'at least 32 lower-case hex characters';
    throw new InvalidImageReferenceError(input, `digest value after "${algorithm}:" must be ${want}`);
  }
}

const IMAGE_DIGEST = /^sha256:[0-9a-f]{64}$/;

/** A digest Lambda and ECR take: `sha256:` and 64 lower-case hex digits. */
export function isImageDigest(value: unknown): boolean {
  return typeof value === 'string' && IMAGE_DIGEST.test(value);
}

const HASH_OF_ALGORITHM: Readonly<Record<string, string>> = { sha256: 'sha256', sha384: 'sha384', sha512: 'sha512' };

/** `<algorithm>:<hex>` of the bytes, or undefined when the algorithm is not one this client can compute. */
export function digestOf(bytes: Uint8Array, algorithm = 'sha256'): string | undefined {
  const hash = Object.hasOwn(HASH_OF_ALGORITHM, algorithm) ? HASH_OF_ALGORITHM[algorithm] : undefined;
  if (hash === undefined) return undefined;
  return `${algorithm}:${createHash(hash).update(bytes).digest('hex')}`;
}

/** Undefined when `expected` is the digest of `bytes`, else the reason it is not. */
export function digestProblem(bytes: Uint8Array, expected: string): string | undefined {
  const algorithm = expected.slice(0, Math.max(0, expected.indexOf(':')));
  const actual = digestOf(bytes, algorithm);
  if (actual === undefined) return `digest algorithm "${algorithm.slice(0, 20)}" is not supported (sha256, sha384, sha512 are)`;
  return actual === expected ? undefined : `content digest is ${actual}`;
}

const DESCRIPTOR_DIGEST = /^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/;

/** The OCI descriptor grammar's digest (any algorithm), at most 256 characters. */
export function isDigest(value: unknown): value is string {
  return typeof value === 'string' && value.length <= 256 && DESCRIPTOR_DIGEST.test(value);
}
