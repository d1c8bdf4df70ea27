// WWW-Authenticate parsing.
import { describe, expect, it } from 'vitest';
import { parseWwwAuthenticate, preferredChallenge } from '../../../../src/mirror/registry/challenge.js';

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

describe('Function: parseWwwAuthenticate (odd headers)', () => {
  it('reads a token68 credential as no parameter, and goes on with the next challenge', () => {
    expect(parseWwwAuthenticate('Negotiate abc==, Bearer realm="https://t/token"')).toEqual([
      { scheme: 'negotiate', params: {} },
      { scheme: 'bearer', params: { realm: 'https://t/token' } },
    ]);
    expect(parseWwwAuthenticate('Basic realm=a abc==, Bearer realm=b')).toEqual([
      { scheme: 'basic', params: { realm: 'a' } },
      { scheme: 'bearer', params: { realm: 'b' } },
    ]);
  });

  it('reads tabs as spaces, and a quoted value left open to the end of the header', () => {
    expect(parseWwwAuthenticate('Bearer\trealm\t=\t"https://t/token",\tscope="repository:a:pull')).toEqual([
      { scheme: 'bearer', params: { realm: 'https://t/token', scope: 'repository:a:pull' } },
    ]);
    expect(parseWwwAuthenticate('Bearer realm="ends with a backslash\\')).toEqual([{ scheme: 'bearer', params: { realm: 'ends with a backslash\\' } }]);
  });

  it('ignores what cannot start a challenge', () => {
    expect(parseWwwAuthenticate(' , ,Bearer realm=x, "quoted" trailing')).toEqual([{ scheme: 'bearer', params: { realm: 'x' } }]);
    expect(parseWwwAuthenticate('=x')).toEqual([]);
    // A value without a name ends the parameters, and nothing can start a challenge with "=".
    expect(parseWwwAuthenticate('Bearer realm=x, =y')).toEqual([{ scheme: 'bearer', params: { realm: 'x' } }]);
  });

  it('takes a later parameter of the same name', () => {
    expect(parseWwwAuthenticate('Bearer realm=a, realm=b')).toEqual([{ scheme: 'bearer', params: { realm: 'b' } }]);
  });
});

describe('Function: preferredChallenge', () => {
  const bearer = { scheme: 'bearer', params: {} };
  const basic = { scheme: 'basic', params: {} };
  const other = { scheme: 'negotiate', params: {} };

  it('takes Bearer when offered, else Basic, else the first; nothing from nothing', () => {
    expect(preferredChallenge([other, basic, bearer])).toBe(bearer);
    expect(preferredChallenge([other, basic])).toBe(basic);
    expect(preferredChallenge([other, { scheme: 'digest', params: {} }])).toBe(other);
    expect(preferredChallenge([])).toBeUndefined();
  });
});
