// A build vouches for a request only through a binding of exactly this shape: this version, the request's SHA-256 as 64
// lower-case hex digits, a finite deadline, a digest Lambda takes (or none), a known target tag kind, and `all` or
// nothing for the platforms. A binding that differs in any one field, or that is no JSON object, or that is longer
// than any this function writes, is no binding: the build is not trusted, whatever else it carries.
import { describe, expect, it } from 'vitest';
import { BINDING_VARIABLE, isBoundTo, requestDigest, waitStateFromBuild } from '../../../../src/mirror/build/binding.js';
import type { BuildReport } from '../../../../src/mirror/ports/types.js';
import { BINDING_DIGEST as DIGEST, BINDING_REPOSITORY as REPOSITORY, bindingConfig as config, bindingRequest as request } from '../fixtures/binding-request.js';

const digest = requestDigest(request);
const good = { v: 1, request: digest, deadline: 1_735_693_200_000, expectedDigest: DIGEST, targetTagKind: 'source-tag' };

function build(binding: string, sourceImage = `quay.io/a/b@${DIGEST}`): BuildReport {
  return {
    id: 'copy:1',
    projectName: 'copy',
    environment: { SOURCE_IMAGE: sourceImage, TARGET_IMAGE: `${REPOSITORY}:1`, ARCHITECTURE: 'x86_64', [BINDING_VARIABLE]: binding },
    status: 'IN_PROGRESS',
    phases: [],
    exportedVariables: {},
    logGroupName: undefined,
    logStreamName: undefined,
  };
}

describe('Function: waitStateFromBuild (the binding itself)', () => {
  it('trusts the well-formed binding (the baseline of the cases below)', () => {
    expect(isBoundTo(build(JSON.stringify(good)), digest)).toBe(true);
    expect(waitStateFromBuild(request, build(JSON.stringify(good)), config)).toHaveProperty('state');
    // Padding keeps it valid up to 1024 characters.
    const padded = JSON.stringify(good).replace('{', `{${' '.repeat(1024 - JSON.stringify(good).length)}`);
    expect(padded).toHaveLength(1024);
    expect(waitStateFromBuild(request, build(padded), config)).toHaveProperty('state');
    // A source the function could not resolve: no digest in the binding, the tag in the build.
    const { expectedDigest: _none, ...unresolved } = good;
    expect(waitStateFromBuild(request, build(JSON.stringify(unresolved), 'quay.io/a/b:1'), config)).toHaveProperty('state');
  });

  it.each([
    ['another version', { ...good, v: 2 }],
    ['a request digest that is not a string', { ...good, request: 7 }],
    ['a request digest in a list', { ...good, request: [digest] }],
    ['a request digest in upper case', { ...good, request: digest.toUpperCase() }],
    ['a request digest with a prefix', { ...good, request: `x${digest}` }],
    ['a request digest with a suffix', { ...good, request: `${digest}0` }],
    ['a deadline that is not a number', { ...good, deadline: '1735693200000' }],
    ['a deadline that is not finite', { ...good, deadline: Number.POSITIVE_INFINITY }],
    ['a digest Lambda does not take', { ...good, expectedDigest: `sha512:${'a'.repeat(128)}` }],
    ['an unknown target tag kind', { ...good, targetTagKind: 'latest' }],
    ['platforms other than all', { ...good, platforms: 'linux/amd64' }],
  ])('does not trust a binding with %s', (_case, binding) => {
    // JSON.stringify writes Infinity as null; the text a build could carry has 1e400, which JSON.parse reads as Infinity.
    const text = JSON.stringify(binding).replace('"deadline":null', '"deadline":1e400');
    expect(waitStateFromBuild(request, build(text), config)).toEqual({ problem: 'build copy:1 carries no binding of the mirror function' });
  });

  it.each([
    ['no JSON', 'not json'],
    ['JSON that is no object', JSON.stringify([good])],
    ['null', 'null'],
    ['more than 1024 characters', JSON.stringify(good).replace('{', `{${' '.repeat(1025 - JSON.stringify(good).length)}`)],
  ])('does not trust a binding that is %s', (_case, text) => {
    expect(isBoundTo(build(text), digest)).toBe(false);
    expect(waitStateFromBuild(request, build(text), config)).toEqual({ problem: 'build copy:1 carries no binding of the mirror function' });
  });

  it('does not trust a build without the binding variable (one started in the project by hand), and says so', () => {
    const { [BINDING_VARIABLE]: _none, ...environment } = build('').environment;
    const bare = { ...build(''), environment };
    expect(isBoundTo(bare, digest)).toBe(false);
    expect(waitStateFromBuild(request, bare, config)).toEqual({ problem: 'build copy:1 carries no binding of the mirror function' });
  });
});
