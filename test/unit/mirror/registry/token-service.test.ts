// Authentication as a caller sees it (auth.ts through RegistryClient): which token service a registry may send the
// client to, what the client asks it for, what it makes of each answer, how long a token is used, and what is asked
// of the credentials provider. A scripted registry (quay.io, HTTPS) and token service (auth.example) on the virtual
// clock; every URL the client asks for is recorded.
import { describe, expect, it } from 'vitest';
import { RegistryClient, type RegistryClientOptions } from '../../../../src/mirror/registry/client.js';
import type { RegistryCredentials } from '../../../../src/mirror/registry/credentials.js';
import {
  AddressRefusedError,
  ManifestNotFoundError,
  RegistryError,
  RegistryProtocolError,
  RegistryUnauthorizedError,
  RegistryUnreachableError,
} from '../../../../src/mirror/registry/errors.js';
import { parseImageReference } from '../../../../src/reference/index.js';
import { MediaType } from '../../../support/media-types.js';
import { VirtualClock } from '../fixtures/harness.js';
import { AMD64, image, rejection } from './fake-registry.js';

const MANIFEST = image(AMD64).manifest;
const REF = parseImageReference('quay.io/acme/app:1.0');
const GHCR = parseImageReference('ghcr.io/acme/app:1.0');
const CHALLENGE = 'Bearer realm="https://auth.example/token",service="quay.io",scope="repository:acme/app:pull"';

interface Asked {
  readonly url: URL;
  readonly authorization: string | undefined;
}

type TokenAnswer = (url: URL, authorization: string | undefined) => Response;

function json(body: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return new Response(typeof body === 'string' ? body : JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } });
}

/**
 * The registries (quay.io, ghcr.io) answer a request with `Bearer <accepted token>` with the manifest and anything else with the 401 `challenge`;
 * auth.example answers with `token`.
 */
function world(options: { challenge?: string; token?: TokenAnswer; accepts?: (authorization: string) => boolean; client?: Partial<RegistryClientOptions> } = {}) {
  const asked: Asked[] = [];
  const clock = new VirtualClock(0);
  let issued = 0;
  const token: TokenAnswer = options.token ?? (() => json({ token: `token-${++issued}`, expires_in: 300 }));
  const accepts = options.accepts ?? ((authorization) => authorization.startsWith('Bearer token-'));
  const fetch = (async (input: URL | string, init?: RequestInit) => {
    const url = new URL(String(input));
    const authorization = new Headers(init?.headers).get('authorization') ?? undefined;
    asked.push({ url, authorization });
    if (url.hostname === 'auth.example') return token(url, authorization);
    if (authorization !== undefined && accepts(authorization)) {
      return new Response(MANIFEST.bytes, { headers: { 'content-type': MediaType.OciManifest, 'docker-content-digest': MANIFEST.digest } });
    }
    return json({ errors: [{ code: 'UNAUTHORIZED', message: 'authentication required' }] }, 401, { 'www-authenticate': options.challenge ?? CHALLENGE });
  }) as typeof globalThis.fetch;
  const client = new RegistryClient({ fetch, clock, retryDelayMs: 100, lookup: async () => ['203.0.113.7'], ...options.client });
  return { client, asked, clock, tokenRequests: () => asked.filter((request) => request.url.hostname === 'auth.example') };
}

describe('Class: RegistryClient (the token service a registry names)', () => {
  it.each([
    ['no realm', 'Bearer service="quay.io",scope="repository:acme/app:pull"', 'quay.io asked for a Bearer token but named no token service (realm)'],
    ['an empty realm', 'Bearer realm="",service="quay.io"', 'quay.io asked for a Bearer token but named no token service (realm)'],
    ['a realm that is not a URL', 'Bearer realm="/token",service="quay.io"', 'quay.io named a token service that is not a URL'],
    ['a realm that is not HTTP(S)', 'Bearer realm="file:///etc/passwd"', 'quay.io named a token service with an unsupported "file:" URL'],
    [
      'a plain-HTTP realm for an HTTPS registry',
      'Bearer realm="http://auth.example/token"',
      'quay.io is an HTTPS registry but named a plain-HTTP token service (http://auth.example); refusing to fetch a token there',
    ],
  ])('refuses a challenge with %s, asking nothing of it', async (_case, challenge, message) => {
    const { client, tokenRequests } = world({ challenge });

    const error = await rejection(client.getManifest(REF));

    expect(error).toBeInstanceOf(RegistryProtocolError);
    expect(error.message).toBe(`quay.io/acme/app:1.0: ${message}`);
    expect(tokenRequests()).toEqual([]);
  });

  it('fetches a plain-HTTP realm for a plain-HTTP registry', async () => {
    const { client, tokenRequests } = world({
      challenge: 'Bearer realm="http://auth.example/token",service="quay.io"',
      client: { endpoints: new Map([['quay.io', 'http://quay.io']]) },
    });

    expect((await client.getManifest(REF)).digest).toBe(MANIFEST.digest);
    expect(tokenRequests().map((request) => request.url.origin)).toEqual(['http://auth.example']);
  });

  it('asks for the service and for each scope of the challenge, and for neither when the challenge names none', async () => {
    const scoped = world({ challenge: 'Bearer realm="https://auth.example/token?client=x",service="quay.io",scope="repository:acme/app:pull repository:acme/base:pull"' });
    await scoped.client.getManifest(REF);
    const url = scoped.tokenRequests()[0]!.url;
    expect(url.searchParams.get('client')).toBe('x');
    expect(url.searchParams.getAll('service')).toEqual(['quay.io']);
    expect(url.searchParams.getAll('scope')).toEqual(['repository:acme/app:pull', 'repository:acme/base:pull']);

    const bare = world({ challenge: 'Bearer realm="https://auth.example/token",service=""' });
    await bare.client.getManifest(REF);
    expect(bare.tokenRequests()[0]!.url.search).toBe('');
  });
});

describe('Class: RegistryClient (what a token service answers)', () => {
  it('takes "token", else "access_token"', async () => {
    for (const [body, used] of [
      [{ token: 'token-a', access_token: 'token-b' }, 'Bearer token-a'],
      [{ token: '', access_token: 'token-b' }, 'Bearer token-b'],
      [{ token: 7, access_token: 'token-c' }, 'Bearer token-c'],
    ] as const) {
      const { client, asked } = world({ token: () => json(body) });
      await client.getManifest(REF);
      expect(asked.at(-1)!.authorization).toBe(used);
    }
  });

  it.each([
    ['no token', { expires_in: 300 }, 'the token service at https://auth.example answered without a "token" or "access_token"'],
    ['empty tokens', { token: '', access_token: '' }, 'the token service at https://auth.example answered without a "token" or "access_token"'],
    ['a JSON list', [{ token: 'token-1' }], 'the token service at https://auth.example answered without a "token" or "access_token"'],
    ['something that is not JSON', '<html>login</html>', 'the token service at https://auth.example answered something that is not JSON'],
  ])('refuses an answer with %s', async (_case, body, message) => {
    const { client } = world({ token: () => json(body) });

    const error = await rejection(client.getManifest(REF));

    expect(error).toBeInstanceOf(RegistryProtocolError);
    expect(error.message).toBe(`quay.io/acme/app:1.0: ${message}`);
  });

  it('reports a token service that fails as its failure, not as a missing image', async () => {
    const { client } = world({ token: () => json({ errors: [{ code: 'NOT_FOUND', message: 'no such service' }] }, 404) });

    const error = await rejection(client.getManifest(REF));

    expect(error).toBeInstanceOf(RegistryError);
    expect(error).not.toBeInstanceOf(ManifestNotFoundError);
    expect(error.message).toContain('quay.io failed to serve a token (token service https://auth.example)');
    expect((error as RegistryError).status).toBe(404);
  });

  it('reports a token service that cannot be reached, with its URL (no query) and the tries', async () => {
    const refused = () => {
      throw new TypeError('fetch failed', { cause: Object.assign(new Error('connect'), { code: 'ECONNREFUSED' }) });
    };
    for (const [attempts, tries] of [
      [3, ' (3 attempts)'],
      [1, ''],
    ] as const) {
      const { client, tokenRequests } = world({ token: refused, client: { maxAttempts: attempts } });
      const error = await rejection(client.getManifest(REF));
      expect(error).toBeInstanceOf(RegistryUnreachableError);
      expect(error.message).toContain(`cannot reach quay.io at https://auth.example/token: connection refused (ECONNREFUSED)${tries}. Check that`);
      expect(tokenRequests()).toHaveLength(attempts);
    }
  });

  it('reports a token service that misbehaves on the wire (an answer too large, redirects without end)', async () => {
    const large = world({ token: () => json({ token: 'x'.repeat(1024 * 1024) }) });
    const tooLarge = await rejection(large.client.getManifest(REF));
    expect(tooLarge).toBeInstanceOf(RegistryProtocolError);
    expect(tooLarge.message).toContain('the token service at https://auth.example misbehaved: the response is larger than the limit of 1048576 bytes');

    const looping = world({ token: () => new Response(null, { status: 302, headers: { location: '/token' } }) });
    const redirects = await rejection(looping.client.getManifest(REF));
    expect(redirects).toBeInstanceOf(RegistryProtocolError);
    expect(redirects).not.toBeInstanceOf(AddressRefusedError);
    expect(redirects.message).toContain('the token service at https://auth.example misbehaved: more than 5 redirects');
  });

  it('names a token service the address guard refuses, and the rule, with what to do', async () => {
    const { client } = world({ client: { lookup: async (host) => (host === 'auth.example' ? ['169.254.169.254'] : ['203.0.113.7']) } });

    const error = await rejection(client.getManifest(REF));

    expect(error).toBeInstanceOf(AddressRefusedError);
    expect((error as AddressRefusedError).refusal).toEqual({ host: 'auth.example', address: '169.254.169.254', rule: expect.stringContaining('link-local') });
    expect((error as AddressRefusedError).url).toBe('https://auth.example/token');
    expect(error.message).toContain(
      'quay.io named the token service https://auth.example, which the mirror function never contacts: auth.example resolves to 169.254.169.254',
    );
    expect(error.message).toContain("map it in the mirror function's REGISTRY_ENDPOINTS");
  });
});

describe('Class: RegistryClient (how long a token is used)', () => {
  async function reuse(expiresIn: unknown, afterMs: number): Promise<number> {
    const { client, clock, tokenRequests } = world({ token: () => json({ token: `token-${Math.random()}`, ...(expiresIn !== undefined ? { expires_in: expiresIn } : {}) }) });
    await client.getManifest(REF);
    clock.advance(afterMs);
    await client.getManifest(REF);
    return tokenRequests().length;
  }

  it('uses a token up front until 10 s before it expires, then gets a new one', async () => {
    expect(await reuse(300, 289_999)).toBe(1);
    expect(await reuse(300, 290_000)).toBe(2);
  });

  it('takes 60 s when the lifetime is missing, not a number or not positive', async () => {
    for (const expiresIn of [undefined, '300', 0, -5]) {
      expect(await reuse(expiresIn, 49_999)).toBe(1);
      expect(await reuse(expiresIn, 50_000)).toBe(2);
    }
  });

  it('does not keep a token that lives less than the margin', async () => {
    expect(await reuse(5, 0)).toBe(2);
  });

  it('reuses a token for the scope the registry challenges for, whatever the tag', async () => {
    const { client, tokenRequests } = world({
      challenge: 'Bearer realm="https://auth.example/token",service="quay.io",scope="repository:acme/app:pull"',
    });
    await client.getManifest(REF);
    await client.getManifest(parseImageReference('quay.io/acme/app:2.0'));
    expect(tokenRequests()).toHaveLength(1);
  });

  it('drops a token the registry no longer accepts and gets a new one', async () => {
    const rejected = new Set<string>();
    const { client, asked, tokenRequests } = world({ accepts: (authorization) => authorization.startsWith('Bearer token-') && !rejected.has(authorization) });
    await client.getManifest(REF);
    rejected.add(asked.at(-1)!.authorization!);

    expect((await client.getManifest(REF)).digest).toBe(MANIFEST.digest);
    expect(tokenRequests()).toHaveLength(2);
    expect(asked.at(-1)!.authorization).toBe('Bearer token-2');
  });
});

describe('Class: RegistryClient (the credentials provider)', () => {
  const BASIC = 'Basic realm="quay"';
  const credentials: RegistryCredentials = { username: 'robot', password: 'pa55word' };
  const basicHeader = `Basic ${Buffer.from('robot:pa55word').toString('base64')}`;

  it('is asked once per registry host, and its credentials go to the token service', async () => {
    const hosts: string[] = [];
    const { client, clock, tokenRequests } = world({
      client: {
        credentials: async (host) => {
          hosts.push(host);
          return credentials;
        },
      },
    });
    await client.getManifest(REF);
    clock.advance(300_000); // the token expired: a new one is fetched, with the same credentials
    await client.getManifest(REF);

    expect(hosts).toEqual(['quay.io']);
    expect(tokenRequests().map((request) => request.authorization)).toEqual([basicHeader, basicHeader]);
  });

  it('is asked again after it failed; the failure is reported with known secrets redacted, cut to 300 characters, its cause kept', async () => {
    const failure = new Error(`could not read pa55word: ${'x'.repeat(400)}`);
    let failing = true;
    const hosts: string[] = [];
    const { client } = world({
      challenge: BASIC,
      accepts: (authorization) => authorization === basicHeader,
      client: {
        credentials: async (host) => {
          hosts.push(host);
          if (host === 'ghcr.io' && failing) throw failure;
          return credentials;
        },
      },
    });
    await client.getManifest(REF); // quay.io's credentials: from now on their password is a known secret

    const error = await rejection(client.getManifest(GHCR));

    expect(error).toBeInstanceOf(RegistryError);
    expect(error.cause).toBe(failure);
    const prefix = 'ghcr.io/acme/app:1.0: could not get credentials for ghcr.io: ';
    expect(error.message.startsWith(`${prefix}could not read ***: xxx`)).toBe(true);
    expect(error.message.length).toBe(prefix.length + 300);
    failing = false;
    expect((await client.getManifest(GHCR)).digest).toBe(MANIFEST.digest);
    expect(hosts).toEqual(['quay.io', 'ghcr.io', 'ghcr.io']);
  });

  it('answers a Basic challenge, then sends the credentials up front; without credentials the 401 is reported', async () => {
    const { client, asked } = world({ challenge: BASIC, accepts: (authorization) => authorization === basicHeader, client: { credentials: async () => credentials } });
    await client.getManifest(REF);
    await client.getManifest(REF);
    expect(asked.map((request) => request.authorization)).toEqual([undefined, basicHeader, basicHeader]);

    const anonymous = world({ challenge: BASIC });
    const error = await rejection(anonymous.client.getManifest(REF));
    expect(error).toBeInstanceOf(RegistryUnauthorizedError);
    expect(anonymous.asked).toHaveLength(1);
  });

  it('answers a challenge of an unknown scheme with the 401 itself', async () => {
    const { client, asked } = world({ challenge: 'Negotiate abc', client: { credentials: async () => credentials } });

    const error = await rejection(client.getManifest(REF));

    expect(error).toBeInstanceOf(RegistryUnauthorizedError);
    expect(asked).toHaveLength(1);
  });
});
