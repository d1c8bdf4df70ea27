// Authentication as the registry session does it (session.ts, auth.ts), seen from the registries and the token
// service: which token goes to which host and for which access, when credentials count as used, and what the
// token service is asked. Scripted registries (quay.io, ghcr.io: HTTPS, Bearer) and token service (auth.example)
// record every request; RegistrySession.request is what client.ts and push.ts call.
import { describe, expect, it } from 'vitest';
import { AddressRefusedError, RegistryProtocolError, RegistryUnauthorizedError, RegistryUnreachableError, TransportError } from '../../../../src/mirror/registry/errors.js';
import type { RegistryCredentials } from '../../../../src/mirror/registry/credentials.js';
import { isSuccess, RegistrySession } from '../../../../src/mirror/registry/session.js';
import type { Exchange } from '../../../../src/mirror/registry/session.js';
import { parseImageReference } from '../../../../src/reference/index.js';
import { VirtualClock } from '../fixtures/harness.js';

interface Seen {
  readonly host: string;
  readonly method: string;
  readonly authorization: string | undefined;
  readonly accept: string | undefined;
  readonly url: URL;
}

interface World {
  /** The challenge a registry sends for a request (by its method: PUT, POST and PATCH are pushes). */
  readonly challenge?: (host: string, push: boolean) => string;
  /** Whether a registry accepts an Authorization header for a request. */
  readonly accepts?: (host: string, authorization: string, push: boolean) => boolean;
  /** A status other than 200 for an accepted request. */
  readonly acceptedStatus?: number;
  readonly token?: (url: URL, authorization: string | undefined) => Response;
  readonly credentials?: RegistryCredentials;
  readonly lookup?: (host: string) => Promise<string[]>;
}

const bearer = (host: string, push: boolean) => `Bearer realm="https://auth.example/token",service="${host}",scope="repository:acme/app:${push ? 'pull,push' : 'pull'}"`;

/** The token service issues `<service>-<scope>-<n>`; a registry accepts a token issued for it and a scope covering the request. */
function world(options: World = {}) {
  const seen: Seen[] = [];
  let issued = 0;
  const token =
    options.token ??
    ((url: URL) => Response.json({ token: `${url.searchParams.get('service')}-${url.searchParams.getAll('scope').join('+')}-${++issued}`, expires_in: 300 }));
  const accepts =
    options.accepts ??
    ((host: string, authorization: string, push: boolean) => authorization.startsWith(`Bearer ${host}-repository:acme/app:${push ? 'pull,push' : 'pull'}-`));
  const challenge = options.challenge ?? bearer;
  const fetch = (async (input: URL | string, init?: RequestInit) => {
    const url = new URL(String(input));
    const headers = new Headers(init?.headers);
    const method = init?.method ?? 'GET';
    const authorization = headers.get('authorization') ?? undefined;
    seen.push({ host: url.hostname, method, authorization, accept: headers.get('accept') ?? undefined, url });
    if (url.hostname === 'auth.example') return token(url, authorization);
    const push = method === 'PUT' || method === 'POST';
    if (authorization !== undefined && accepts(url.hostname, authorization, push)) return new Response('{}', { status: options.acceptedStatus ?? 200 });
    return Response.json(
      { errors: [{ code: 'UNAUTHORIZED', message: 'authentication required' }] },
      { status: 401, headers: { 'www-authenticate': challenge(url.hostname, push) } },
    );
  }) as typeof globalThis.fetch;
  const session = new RegistrySession({
    fetch,
    clock: new VirtualClock(0),
    retryDelayMs: 1,
    maxAttempts: 1,
    lookup: options.lookup ?? (async () => ['203.0.113.7']),
    ...(options.credentials !== undefined ? { credentials: async () => options.credentials } : {}),
  });
  const request = (image: string, exchange: Partial<Exchange> = {}) =>
    session.request(session.target(parseImageReference(image)), { method: 'GET', path: 'manifests/1.0', maxBytes: 4096, ...exchange }, undefined);
  return { session, seen, request, registrySeen: () => seen.filter((entry) => entry.host !== 'auth.example') };
}

const PULL = {} as const;
const PUSH = { method: 'PUT', path: 'manifests/1.0', access: 'push' } as const satisfies Partial<Exchange>;

describe('Class: RegistrySession (which token goes where)', () => {
  it('sends a pull token up front for pulls and a push token up front for pushes, never one for the other', async () => {
    const { request, registrySeen } = world();

    for (const exchange of [PULL, PUSH, PUSH, PULL]) expect((await request('quay.io/acme/app:1.0', exchange)).response.status).toBe(200);

    expect(registrySeen().map(({ method, authorization }) => `${method} ${authorization ?? '-'}`)).toEqual([
      'GET -',
      'GET Bearer quay.io-repository:acme/app:pull-1',
      'PUT -',
      'PUT Bearer quay.io-repository:acme/app:pull,push-2',
      'PUT Bearer quay.io-repository:acme/app:pull,push-2',
      'GET Bearer quay.io-repository:acme/app:pull-1',
    ]);
  });

  it("never sends one registry's token to another, for the same token service and scope", async () => {
    const { request, registrySeen } = world({ accepts: (_host, authorization) => authorization.startsWith('Bearer ') });

    await request('quay.io/acme/app:1.0');
    await request('ghcr.io/acme/app:1.0');

    const ghcr = registrySeen().filter((entry) => entry.host === 'ghcr.io');
    expect(ghcr.map((entry) => entry.authorization)).toEqual([undefined, 'Bearer ghcr.io-repository:acme/app:pull-2']);
  });

  it('reuses the token of a challenged scope it would not ask for up front (no new token per request)', async () => {
    const wide = (host: string) => `Bearer realm="https://auth.example/token",service="${host}",scope="repository:acme/app:pull repository:acme/base:pull"`;
    const { request, seen } = world({ challenge: wide, accepts: (_host, authorization) => authorization.startsWith('Bearer ') });

    await request('quay.io/acme/app:1.0');
    await request('quay.io/acme/app:1.0');

    expect(seen.filter((entry) => entry.host === 'auth.example')).toHaveLength(1);
  });
});

describe('Class: RegistrySession (what the token service is asked)', () => {
  it('asks with a GET for JSON, and names no service when the challenge names none', async () => {
    const { request, seen } = world({ challenge: () => 'Bearer realm="https://auth.example/token",scope="repository:acme/app:pull"', accepts: () => true });

    await request('quay.io/acme/app:1.0');

    const asked = seen.filter((entry) => entry.host === 'auth.example');
    expect(asked.map(({ method, accept, url }) => [method, accept, url.search])).toEqual([['GET', 'application/json', '?scope=repository%3Aacme%2Fapp%3Apull']]);
  });

  it('takes a token from any 2xx answer of the token service', async () => {
    const { request } = world({ token: () => Response.json({ token: 'quay.io-repository:acme/app:pull-9' }, { status: 299 }) });

    expect((await request('quay.io/acme/app:1.0')).response.status).toBe(200);
  });
});

describe('Class: RegistrySession (whether credentials were used)', () => {
  const credentials: RegistryCredentials = { username: 'robot', password: 'pa55word' };
  const basicHeader = `Basic ${Buffer.from('robot:pa55word').toString('base64')}`;

  it('says so for a Bearer token got with credentials, and not for an anonymous one', async () => {
    const signedIn = world({ credentials, acceptedStatus: 403 });
    const anonymous = world({ acceptedStatus: 403 });

    expect((await signedIn.request('quay.io/acme/app:1.0')).credentialsUsed).toBe(true);
    expect((await anonymous.request('quay.io/acme/app:1.0')).credentialsUsed).toBe(false);
  });

  it('says so for Basic credentials sent up front that the registry then refuses (403)', async () => {
    const refused = world({ credentials, challenge: () => 'Basic realm="quay"', accepts: (_host, authorization) => authorization === basicHeader, acceptedStatus: 403 });
    await refused.request('quay.io/acme/app:1.0');
    const second = await refused.request('quay.io/acme/app:1.0');

    expect([second.response.status, second.credentialsUsed]).toEqual([403, true]);
    expect(refused.registrySeen().map((entry) => entry.authorization)).toEqual([undefined, basicHeader, basicHeader]);
  });

  it('answers a Basic registry without credentials with its 401, every time', async () => {
    const { request, registrySeen } = world({ challenge: () => 'Basic realm="quay"' });

    for (let i = 0; i < 2; i++) expect(await request('quay.io/acme/app:1.0')).toMatchObject({ response: { status: 401 }, credentialsUsed: false });
    expect(registrySeen().map((entry) => entry.authorization)).toEqual([undefined, undefined]);
  });

  it('registers the Basic credentials, also as the base64 the header carries, for redaction', async () => {
    const { session, request } = world({ credentials, challenge: () => 'Basic realm="quay"', accepts: (_host, authorization) => authorization === basicHeader });
    await request('quay.io/acme/app:1.0');

    const encoded = basicHeader.slice('Basic '.length);
    expect(session.redactor.redact(`echo: ${encoded} / pa55word`)).not.toMatch(new RegExp(`${encoded.replace(/[+/=]/g, '.')}|pa55word`));
  });
});

describe('Class: RegistrySession (a token service that fails)', () => {
  const refusing = () => Response.json({ details: 'incorrect username or password' }, { status: 401 });

  it('reports its 401 as refused credentials when they were sent, else as none configured', async () => {
    const signedIn = await world({ credentials: { username: 'robot', password: 'pa55word' }, token: refusing })
      .request('quay.io/acme/app:1.0')
      .catch((e: unknown) => e);
    const anonymous = await world({ token: refusing })
      .request('quay.io/acme/app:1.0')
      .catch((e: unknown) => e);

    expect(signedIn).toBeInstanceOf(RegistryUnauthorizedError);
    expect((signedIn as Error).message).toContain('The credentials for quay.io were rejected or lack pull access to acme/app; check them');
    expect(anonymous).toBeInstanceOf(RegistryUnauthorizedError);
    expect((anonymous as Error).message).toContain('No credentials are configured for quay.io');
  });

  it('keeps what went wrong on the wire as the cause, and says what to do about a refused address', async () => {
    const refused = await world({ lookup: async (host) => (host === 'auth.example' ? ['169.254.169.254'] : ['203.0.113.7']) })
      .request('quay.io/acme/app:1.0')
      .catch((e: unknown) => e);
    const tooLarge = await world({ token: () => Response.json({ token: 'x'.repeat(1024 * 1024) }) })
      .request('quay.io/acme/app:1.0')
      .catch((e: unknown) => e);
    const down = await world({
      token: () => {
        throw new TypeError('fetch failed', { cause: Object.assign(new Error('connect'), { code: 'ECONNREFUSED' }) });
      },
    })
      .request('quay.io/acme/app:1.0')
      .catch((e: unknown) => e);

    expect(refused).toBeInstanceOf(AddressRefusedError);
    expect((refused as Error).message).toContain(
      "Registries may not point at loopback, link-local or Lambda Runtime API addresses; if this host really serves the registry's tokens, map it in the mirror function's REGISTRY_ENDPOINTS",
    );
    expect(tooLarge).toBeInstanceOf(RegistryProtocolError);
    expect(down).toBeInstanceOf(RegistryUnreachableError);
    expect([refused, tooLarge, down].map((error) => ((error as Error).cause as TransportError | undefined)?.kind)).toEqual(['refused', 'too-large', 'network']);
    for (const error of [refused, tooLarge, down]) expect((error as Error).cause).toBeInstanceOf(TransportError);
  });
});

describe('Class: RegistrySession (a streamed body refused)', () => {
  it('hands back the 401 of a streamed upload without answering the challenge: the stream cannot be sent again', async () => {
    const { request, seen } = world();
    async function* chunks() {
      yield new Uint8Array([1, 2, 3]);
    }

    const { response } = await request('quay.io/acme/app:1.0', { method: 'PATCH', url: 'https://quay.io/v2/acme/app/blobs/uploads/1', body: chunks(), access: 'push' });

    expect(response.status).toBe(401);
    expect(seen.map((entry) => `${entry.method} ${entry.host}`)).toEqual(['PATCH quay.io']);
  });
});

describe('Class: RegistrySession (the endpoint map given to it)', () => {
  it('drops every trailing slash of a mapped base URL, keeping its path', async () => {
    const paths: string[] = [];
    const fetch = (async (input: URL | string) => {
      paths.push(new URL(String(input)).pathname);
      return new Response('{}');
    }) as typeof globalThis.fetch;
    const session = new RegistrySession({ fetch, endpoints: new Map([['quay.io', 'https://proxy.example/mirror//']]), lookup: async () => ['203.0.113.7'] });

    await session.request(session.target(parseImageReference('quay.io/acme/app:1.0')), { method: 'GET', path: 'manifests/1.0', maxBytes: 64 }, undefined);

    expect(paths).toEqual(['/mirror/v2/acme/app/manifests/1.0']);
  });
});

describe('Class: RegistrySession (defaults)', () => {
  it('waits 500 ms of its clock before the first retry when no delay is given', async () => {
    let calls = 0;
    const fetch = (async () => new Response('{}', { status: calls++ === 0 ? 503 : 200 })) as unknown as typeof globalThis.fetch;
    const clock = new VirtualClock(0);
    const session = new RegistrySession({ fetch, clock, lookup: async () => ['203.0.113.7'] });

    const { response } = await session.request(
      session.target(parseImageReference('quay.io/acme/app:1.0')),
      { method: 'GET', path: 'manifests/1.0', maxBytes: 64 },
      undefined,
    );

    expect([response.status, clock.sleeps]).toEqual([200, [500]]);
  });
});

describe('Function: isSuccess', () => {
  it('is true for 200 to 299 only', () => {
    expect([199, 200, 299, 300].map((status) => isSuccess({ status }))).toEqual([false, true, true, false]);
  });
});
