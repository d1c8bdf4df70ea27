// Edges of the reference grammar that a mutation run found unpinned: exact messages where a template author reads
// them (the URL hint, the over-long name), the limits at their boundary, and what counts as a local archive.
import { describe, expect, it } from 'vitest';
import { LOCAL_ARCHIVE_REASON, parseImageReference, targetRepositoryName, UnmappableImageError, type ImageReference } from '../../../src/reference/index.js';
import { expected, expectRejected, hex, SHA256, thrownBy } from './fixtures.js';

describe('Function: parseImageReference (messages)', () => {
  it.each([
    [
      'the rest is an image: named in the hint',
      'https://quay.io/sysdig/agent:1',
      'it is a URL, not an image reference: write it without "https://" (quay.io/sysdig/agent:1)',
    ],
    ['the rest is no image: no hint', 'https://example.com/a b', 'it is a URL, not an image reference: write it without "https://"'],
    ['the rest is no image (upper case): no hint', 'https://Example.com/A', 'it is a URL, not an image reference: write it without "https://"'],
    ['the rest is a URL again: no hint', 'https://docker://nginx', 'it is a URL, not an image reference: write it without "https://"'],
  ])('a URL, %s', (_case, input, reason) => {
    expect(expectRejected(input, reason).reason).toBe(reason);
  });

  it('names an over-long name by its first 40 characters only', () => {
    const name = `quay.io/${'a'.repeat(60)}/${'b'.repeat(187)}`;
    const error = expectRejected(name, 'when fully qualified');
    expect(error.reason).toBe(`the name "${name.slice(0, 40)}…" is 256 characters when fully qualified; the limit is 255`);
  });

  it('refuses a second "@" right after a one-letter name', () => {
    expectRejected(`a@${SHA256}@x`, 'more than one "@"');
  });
});

describe('Function: parseImageReference (the 2048-character limit)', () => {
  // Only a digest of an unregistered algorithm (any number of hex digits from 32) makes a valid reference this long.
  const prefix = 'quay.io/a/b@foo:';

  it('takes a reference of exactly 2048 characters', () => {
    const input = `${prefix}${hex(2048 - prefix.length)}`;
    expect(input).toHaveLength(2048);
    expect(parseImageReference(input)).toEqual(expected('quay.io', 'a/b', undefined, input.slice('quay.io/a/b@'.length)));
  });

  it('refuses one of 2049 characters of the same shape', () => {
    expectRejected(`${prefix}${hex(2049 - prefix.length)}`, 'the reference is longer than 2048 characters');
  });
});

describe('Function: parseImageReference (local archives)', () => {
  it.each([
    ['a file name alone', 'image.tar'],
    ['a file name after a registry with a port', 'registry.example.com:5000/team/image.tar'],
    ['a compressed archive in a folder', 'out/app.tgz'],
  ])('refuses %s as a local archive', (_case, input) => {
    expect(expectRejected(input, 'local path or archive').reason).toBe(LOCAL_ARCHIVE_REASON);
  });

  it.each([
    ['with a tag that ends like an archive', 'quay.io/team/image:v1.tar', expected('quay.io', 'team/image', 'v1.tar')],
    ['whose name ends like one, with a tag', 'quay.io/team/image.tar:1', expected('quay.io', 'team/image.tar', '1')],
    ['whose name ends like one, pinned', `quay.io/team/image.tar@${SHA256}`, expected('quay.io', 'team/image.tar', undefined, SHA256)],
  ])('reads a registry image %s', (_case, input, reference) => {
    expect(parseImageReference(input)).toEqual(reference);
  });
});

describe('Function: targetRepositoryName (a reference not made by the parser)', () => {
  it.each([
    ['upper-case letters', { registry: 'quay.io', repository: 'Team/App', tag: '1' }],
    ['a space', { registry: 'quay.io', repository: 'team/my app', tag: '1' }],
    ['an empty path component', { registry: 'quay.io', repository: 'team//app', tag: '1' }],
  ] as [string, ImageReference][])('refuses a repository with %s: no valid ECR name', (_case, reference) => {
    const error = thrownBy(() => targetRepositoryName(reference));
    expect(error).toBeInstanceOf(UnmappableImageError);
    expect((error as UnmappableImageError).reason).toContain('is not a valid ECR repository name');
  });
});
