// WWW-Authenticate parsing.
import { describe, expect, it } from 'vitest';
import { parseWwwAuthenticate } from '../../../../src/mirror/registry/challenge.js';

describe('Function: parseWwwAuthenticate', () => {
  it('reads a Bearer challenge with realm, service and scope', () => {
    expect(parseWwwAuthenticate('Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/nginx:pull"')).toEqual([
      {
        scheme: 'bearer',
        params: { realm: 'https://auth.docker.io/token', service: 'registry.docker.io', scope: 'repository:library/nginx:pull' },
      },
    ]);
  });

  it('keeps commas and escaped quotes inside quoted values, and tolerates spaces around "="', () => {
    const [challenge] = parseWwwAuthenticate('Bearer realm = "https://q/auth", scope="repository:a/b:pull,push", error="say \\"hi\\""');

    expect(challenge?.params).toEqual({ realm: 'https://q/auth', scope: 'repository:a/b:pull,push', error: 'say "hi"' });
  });

  it('splits several challenges in one header (as fetch joins repeated headers)', () => {
    const challenges = parseWwwAuthenticate('Basic realm="Registry Realm", Bearer realm="https://t/token",service=reg');

    expect(challenges).toEqual([
      { scheme: 'basic', params: { realm: 'Registry Realm' } },
      { scheme: 'bearer', params: { realm: 'https://t/token', service: 'reg' } },
    ]);
  });

  it('lower-cases scheme and parameter names but not values', () => {
    expect(parseWwwAuthenticate('BASIC Realm="ECR"')).toEqual([{ scheme: 'basic', params: { realm: 'ECR' } }]);
  });

  it('returns no challenge for an empty header', () => {
    expect(parseWwwAuthenticate('')).toEqual([]);
  });
});
