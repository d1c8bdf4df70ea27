import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_REPOSITORY_PREFIX,
  ECR_REPOSITORY_NAME_MAX,
  UnmappableImageError,
  parseImageReference,
  repositoryPrefixProblem,
  targetPath,
  targetRepositoryName,
  targetTag,
} from '../../../src/reference/index.js';
import { validReference } from './arbitraries.js';
import { SHA256, SHA256_HEX, SHA512, expected, hex, thrownBy } from './fixtures.js';

/** Asserts that mapping `image` with `prefix` fails with UnmappableImageError whose reason contains `reason`. */
function expectUnmappable(image: string, prefix: string | undefined, reason: string): void {
  const error = thrownBy(() => targetRepositoryName(parseImageReference(image), prefix));
  expect(error).toBeInstanceOf(UnmappableImageError);
  expect((error as UnmappableImageError).reason).toContain(reason);
  expect((error as UnmappableImageError).message).toContain(reason);
}

describe('Function: targetRepositoryName', () => {
  it('uses "sysdig-image-fix" as the default prefix', () => {
    expect(DEFAULT_REPOSITORY_PREFIX).toBe('sysdig-image-fix');
    expect(ECR_REPOSITORY_NAME_MAX).toBe(256);
  });

  // [source image, prefix (undefined = default), target repository name]
  it.each<[string, string | undefined, string]>([
    ['quay.io/sysdig/serverless-patcher:5.0.1', undefined, 'sysdig-image-fix/quay.io/sysdig/serverless-patcher'],
    ['nginx', undefined, 'sysdig-image-fix/docker.io/library/nginx'],
    ['nginx:1.27', undefined, 'sysdig-image-fix/docker.io/library/nginx'],
    ['index.docker.io/user/app', undefined, 'sysdig-image-fix/docker.io/user/app'],
    ['host.example:5000/x', undefined, 'sysdig-image-fix/host.example_5000/x'],
    ['localhost:5000/team/app', undefined, 'sysdig-image-fix/localhost_5000/team/app'],
    ['Quay.IO/x', undefined, 'sysdig-image-fix/quay.io/x'],
    ['public.ecr.aws/lambda/nodejs:20', undefined, 'sysdig-image-fix/public.ecr.aws/lambda/nodejs'],
    ['123456789012.dkr.ecr.us-west-2.amazonaws.com/app', undefined, 'sysdig-image-fix/123456789012.dkr.ecr.us-west-2.amazonaws.com/app'],
    [`quay.io/x@${SHA256}`, undefined, 'sysdig-image-fix/quay.io/x'],
    // separators ECR does not allow are collapsed to one
    ['quay.io/a__b/c---d', undefined, 'sysdig-image-fix/quay.io/a_b/c-d'],
    ['quay.io/a.b_c-d', undefined, 'sysdig-image-fix/quay.io/a.b_c-d'],
    ['xn--bcher-kva.example/x', undefined, 'sysdig-image-fix/xn-bcher-kva.example/x'],
    // custom prefixes
    ['quay.io/x', 'mirrors', 'mirrors/quay.io/x'],
    ['quay.io/x', 'team-a/mirrors', 'team-a/mirrors/quay.io/x'],
    ['nginx', 'm', 'm/docker.io/library/nginx'],
    // exactly ECR's 256 characters: 16 + "/" + 7 + "/" + 231
    [`quay.io/${'a'.repeat(231)}`, undefined, `sysdig-image-fix/quay.io/${'a'.repeat(231)}`],
  ])('%s with prefix %s -> %s', (image, prefix, want) => {
    expect(targetRepositoryName(parseImageReference(image), prefix)).toBe(want);
  });

  it.each<[string, string, string]>([
    ['empty prefix', '', 'must not be empty'],
    ['upper case', 'Mirrors', 'must be lower-case letters and digits'],
    ['leading "/"', '/mirrors', 'must be lower-case letters and digits'],
    ['trailing "/"', 'mirrors/', 'must be lower-case letters and digits'],
    ['"//"', 'a//b', 'must be lower-case letters and digits'],
    ['double separator', 'a--b', 'must be lower-case letters and digits'],
    ['leading "-"', '-a', 'must be lower-case letters and digits'],
    ['space', 'a b', 'must be lower-case letters and digits'],
    ['shell metacharacters', 'a;rm', 'must be lower-case letters and digits'],
    ['201 characters', 'p'.repeat(201), 'is 201 characters; keep it to at most 200'],
  ])('rejects a prefix with %s', (_what, prefix, reason) => {
    expectUnmappable('quay.io/x:1', prefix, `RepositoryPrefix "${prefix}" ${reason}`);
  });

  it.each<[string, string, string | undefined, string]>([
    // 16 + "/" + 7 + "/" + 232 = 257
    ['one over 256', `quay.io/${'a'.repeat(232)}`, undefined, 'is 257 characters; ECR allows 256. Use a shorter RepositoryPrefix'],
    ['a 255-character source name', `quay.io/${'a'.repeat(247)}`, undefined, 'is 272 characters; ECR allows 256'],
    ['a 200-character prefix', `quay.io/${'a'.repeat(60)}`, 'p'.repeat(200), 'is 269 characters; ECR allows 256'],
  ])('rejects a target name over 256 characters: %s', (_what, image, prefix, reason) => {
    expectUnmappable(image, prefix, reason);
  });

  it('names the source image in the error', () => {
    const error = thrownBy(() => targetRepositoryName(parseImageReference('quay.io/x:1'), 'Bad'));
    expect((error as UnmappableImageError).image).toBe('quay.io/x:1');
    expect((error as UnmappableImageError).message).toContain('cannot mirror "quay.io/x:1"');
  });
});

describe('Function: targetPath', () => {
  it('is the lower-cased host (its port after "_") and the repository, each part with its separator runs collapsed to the first', () => {
    // Part by part, as an independent statement of the rule.
    const collapsed = (part: string) => part.replace(/[._-]{2,}/g, (run) => run[0]!);
    fc.assert(
      fc.property(validReference, ({ input }) => {
        const reference = parseImageReference(input);
        const parts = [reference.registry.toLowerCase().replace(':', '_'), ...reference.repository.split('/')];
        expect(targetPath(reference)).toBe(parts.map(collapsed).join('/'));
      }),
      { numRuns: 500 },
    );
  });

  it.each([
    ['xn--bcher-kva.example:5000/a__b/c---d', 'xn-bcher-kva.example_5000/a_b/c-d'],
    ['Quay.IO/x', 'quay.io/x'],
    ['nginx', 'docker.io/library/nginx'],
  ])('%s -> %s', (image, path) => {
    expect(targetPath(parseImageReference(image))).toBe(path);
  });
});

describe('Function: repositoryPrefixProblem', () => {
  it.each(['sysdig-image-fix', 'a', 'a/b/c', 'team_a.mirrors', 'p'.repeat(200)])('accepts %s', (prefix) => {
    expect(repositoryPrefixProblem(prefix)).toBeUndefined();
  });
});

describe('Function: targetTag', () => {
  it.each<[string, string]>([
    ['quay.io/x:5.0.1', '5.0.1'],
    ['quay.io/x:_Private-1', '_Private-1'],
    ['nginx', 'latest'],
    [`quay.io/x:pinned@${SHA256}`, 'pinned'],
    [`quay.io/x@${SHA256}`, `sha256-${SHA256_HEX}`],
    // sha512-<128 hex> is 135 characters; a tag holds 128
    [`quay.io/x@${SHA512}`, `sha512-${hex(121)}`],
    // "+" may appear in an algorithm name but not in a tag
    [`quay.io/x@multihash+base58:${hex(40)}`, `multihash-base58-${hex(40)}`],
  ])('%s -> %s', (image, want) => {
    expect(targetTag(parseImageReference(image))).toBe(want);
  });

  it('tags a reference with neither tag nor digest "latest"', () => {
    expect(targetTag(expected('quay.io', 'x'))).toBe('latest');
  });
});
