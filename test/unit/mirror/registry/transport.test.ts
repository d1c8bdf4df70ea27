// The transport on its own (http.ts), against a scripted registry on the virtual clock: which answers are tried again
// and how long it waits before each try, what is never sent twice, where a redirect may lead and what travels with
// it, and how much of an answer is read. What a caller observes: the answer (status, body, attempts, final URL) or
// the TransportError, the requests the registry saw and the sleeps on the clock.
import { describe, expect, it } from 'vitest';
import { MIN_CALL_MS, type CallContext } from '../../../../src/mirror/core/budget.js';
import { fetchConnector } from '../../../../src/mirror/registry/connect.js';
import { TransportError } from '../../../../src/mirror/registry/errors.js';
import { AddressGuard } from '../../../../src/mirror/registry/guard.js';
import { describeNetworkError, type HttpRequest, type HttpResponse, parseRetryAfter, Transport, type TransportOptions } from '../../../../src/mirror/registry/http.js';
import { VirtualClock } from '../fixtures/harness.js';

interface Seen {
  readonly method: string;
  readonly url: string;
  readonly authorization: string | undefined;
}

/** An answer as the registry sends it: built afresh for each request (a Response body can be read once). */
interface Reply {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: string | null;
}

type Answer = Reply | Error | ((request: Seen) => Response);

/** A registry answering from a script, one entry per request (the last one repeats); it records what it was sent. */
function scripted(...script: Answer[]) {
  const seen: Seen[] = [];
  const fetch = (async (input: URL | string, init?: RequestInit) => {
    const headers = new Headers(init?.headers);
    const request = { method: init?.method ?? 'GET', url: String(input), authorization: headers.get('authorization') ?? undefined };
    seen.push(request);
    const entry = script[Math.min(seen.length - 1, script.length - 1)]!;
    if (entry instanceof Error) throw entry;
    return typeof entry === 'function' ? entry(request) : new Response(entry.body, { status: entry.status, headers: entry.headers });
  }) as typeof globalThis.fetch;
  return { fetch, seen };
}

function transport(fetch: typeof globalThis.fetch, options: Partial<TransportOptions> = {}): { transport: Transport; clock: VirtualClock } {
  const clock = new VirtualClock(0);
  const guard = new AddressGuard({ allowedHosts: new Set(), lookup: async () => ['203.0.113.7'] });
  return {
    transport: new Transport({ connector: fetchConnector(fetch), timeoutMs: 15_000, maxAttempts: 3, retryDelayMs: 100, clock, guard, ...options }),
    clock,
  };
}

function request(overrides: Partial<HttpRequest> = {}): HttpRequest {
  return { method: 'GET', url: 'https://registry.test/v2/acme/app/manifests/1', headers: {}, maxBytes: 1024, ...overrides };
}

function status(code: number, headers: Record<string, string> = {}, body: string | null = null): Reply {
  return { status: code, headers, body };
}

/** A call with `left` ms on the transport's clock. */
function callWith(clock: VirtualClock, left: number): CallContext {
  const end = clock.now() + left;
  return { signal: new AbortController().signal, remainingMs: () => end - clock.now() };
}

async function failure(promise: Promise<HttpResponse>): Promise<TransportError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof TransportError) return error;
    throw error;
  }
  throw new Error('expected a TransportError, but the request succeeded');
}

function networkError(code: string): Error {
  return new TypeError('fetch failed', { cause: Object.assign(new Error(`connect ${code}`), { code }) });
}

describe('Class: Transport (retries)', () => {
  it.each([429, 500, 502, 503, 504])('tries a %i again after the backoff and returns the answer that follows', async (code) => {
    const registry = scripted(status(code), status(200, {}, 'ok'));
    const { transport: t, clock } = transport(registry.fetch);

    const response = await t.send(request());

    expect([response.status, response.attempts, new TextDecoder().decode(response.body)]).toEqual([200, 2, 'ok']);
    expect(clock.sleeps).toEqual([100]);
  });

  it.each([400, 401, 403, 404, 501])('returns a %i at once, without another try', async (code) => {
    const registry = scripted(status(code), status(200));
    const { transport: t, clock } = transport(registry.fetch);

    const response = await t.send(request());

    expect([response.status, response.attempts]).toEqual([code, 1]);
    expect(registry.seen).toHaveLength(1);
    expect(clock.sleeps).toEqual([]);
  });

  it('tries maxAttempts times in all, doubling the wait each time up to 5 s, and returns the last answer', async () => {
    const registry = scripted(status(503));
    const { transport: t, clock } = transport(registry.fetch, { maxAttempts: 6, retryDelayMs: 700 });

    const response = await t.send(request());

    expect([response.status, response.attempts]).toEqual([503, 6]);
    expect(registry.seen).toHaveLength(6);
    expect(clock.sleeps).toEqual([700, 1400, 2800, 5000, 5000]);
  });

  it('with maxAttempts 1, tries once', async () => {
    const registry = scripted(status(503));
    const { transport: t } = transport(registry.fetch, { maxAttempts: 1 });

    expect((await t.send(request())).attempts).toBe(1);
    expect(registry.seen).toHaveLength(1);
  });

  it('waits out a Retry-After of up to 10 s instead of the backoff; a longer one is handed to the caller at once', async () => {
    const patient = scripted(status(429, { 'retry-after': '10' }), status(200));
    const { transport: first, clock: firstClock } = transport(patient.fetch);
    expect((await first.send(request())).status).toBe(200);
    expect(firstClock.sleeps).toEqual([10_000]);

    const impatient = scripted(status(429, { 'retry-after': '11' }), status(200));
    const { transport: second, clock: secondClock } = transport(impatient.fetch);
    const response = await second.send(request());
    expect([response.status, response.attempts, response.headers.get('retry-after')]).toEqual([429, 1, '11']);
    expect(secondClock.sleeps).toEqual([]);
  });

  it('reads Retry-After on a 429 only: a 503 with one waits the backoff', async () => {
    const registry = scripted(status(503, { 'retry-after': '7' }), status(200));
    const { transport: t, clock } = transport(registry.fetch);

    expect((await t.send(request())).status).toBe(200);
    expect(clock.sleeps).toEqual([100]);
  });

  it('tries again only when the call has time for the wait and a request after it', async () => {
    for (const [left, tries] of [
      [100 + MIN_CALL_MS, 2],
      [100 + MIN_CALL_MS - 1, 1],
    ] as const) {
      const registry = scripted(status(500), status(200));
      const { transport: t, clock } = transport(registry.fetch);
      const response = await t.send(request(), callWith(clock, left));
      expect([left, response.attempts]).toEqual([left, tries]);
    }
  });

  it('does not try again once the call was aborted, during the wait or before it', async () => {
    const registry = scripted(status(500), status(200));
    const { transport: t, clock } = transport(registry.fetch);
    const aborted = new AbortController();
    aborted.abort(new Error('the caller gave up'));
    const before = await t.send(request(), { signal: aborted.signal, remainingMs: () => 60_000 }).catch((error: unknown) => error);
    expect(before).toBeInstanceOf(TransportError);
    expect((before as TransportError).kind).toBe('timeout');
    expect(registry.seen).toHaveLength(0);

    const during = new AbortController();
    const sleep = clock.sleep.bind(clock);
    clock.sleep = async (ms, signal) => {
      during.abort(new Error('the caller gave up'));
      await sleep(ms, signal);
    };
    const response = await t.send(request(), { signal: during.signal, remainingMs: () => 60_000 });
    expect([response.status, response.attempts]).toEqual([500, 1]);
  });

  it('tries a network failure again and reports the last one with the number of tries and the system code', async () => {
    const recovering = scripted(networkError('ECONNRESET'), status(200));
    const { transport: first, clock } = transport(recovering.fetch);
    expect((await first.send(request())).attempts).toBe(2);
    expect(clock.sleeps).toEqual([100]);

    const down = scripted(networkError('ECONNREFUSED'));
    const { transport: second } = transport(down.fetch);
    const error = await failure(second.send(request()));
    expect([error.kind, error.attempts, error.detail]).toEqual(['network', 3, 'connection refused (ECONNREFUSED)']);
    expect(error.url).toBe('https://registry.test/v2/acme/app/manifests/1');
    expect(down.seen).toHaveLength(3);
  });

  it('never tries a request again that failed for another reason than time or the network', async () => {
    const registry = scripted(status(200, { 'content-length': '5000' }, 'x'.repeat(5000)));
    const { transport: t } = transport(registry.fetch);

    const error = await failure(t.send(request()));

    expect([error.kind, error.attempts]).toEqual(['too-large', 1]);
    expect(registry.seen).toHaveLength(1);
  });

  it('starts no request when the call has less than the minimum left', async () => {
    const registry = scripted(status(200));
    const { transport: t, clock } = transport(registry.fetch);

    const error = await failure(t.send(request(), callWith(clock, MIN_CALL_MS - 1)));
    expect([error.kind, error.detail]).toEqual(['timeout', 'no time left for this request']);
    expect(registry.seen).toHaveLength(0);

    expect((await t.send(request(), callWith(clock, MIN_CALL_MS))).status).toBe(200);
  });
});

describe('Class: Transport (requests sent once)', () => {
  const upload = 'https://registry.test/v2/acme/app/blobs/uploads/1';
  async function* streamed(): AsyncIterable<Uint8Array> {
    yield new TextEncoder().encode('layer');
  }

  it.each([
    ['a PATCH (it appends to an upload)', request({ method: 'PATCH', url: upload, body: new TextEncoder().encode('layer') })],
    ['a streamed body', request({ method: 'PUT', url: upload, body: streamed() })],
  ])('%s is never tried again, after an error answer or a network failure', async (_case, sent) => {
    const answered = scripted(status(503), status(202));
    const { transport: first } = transport(answered.fetch);
    expect([(await first.send(sent)).status, answered.seen.length]).toEqual([503, 1]);

    const broken = scripted(networkError('ECONNRESET'), status(202));
    const { transport: second } = transport(broken.fetch);
    const error = await failure(second.send({ ...sent, body: sent.body instanceof Uint8Array ? sent.body : streamed() }));
    expect([error.kind, error.attempts, broken.seen.length]).toEqual(['network', 1, 1]);
  });

  it('a PUT of bytes held in memory is tried again', async () => {
    const registry = scripted(status(503), status(201));
    const { transport: t } = transport(registry.fetch);

    const response = await t.send(request({ method: 'PUT', url: upload, body: new Uint8Array(3) }));

    expect([response.status, response.attempts]).toEqual([201, 2]);
  });

  it.each([
    ['a PATCH', request({ method: 'PATCH', url: upload, body: new Uint8Array(3) })],
    ['a streamed body', request({ method: 'PUT', url: upload, body: streamed() })],
  ])('%s that is redirected fails instead of being sent again', async (_case, sent) => {
    const registry = scripted(status(307, { location: '/elsewhere' }), status(201));
    const { transport: t } = transport(registry.fetch);

    const error = await failure(t.send(sent));

    expect([error.kind, error.detail]).toEqual(['redirect', 'an upload was redirected; its streamed body cannot be sent again']);
    expect(registry.seen).toHaveLength(1);
  });
});

describe('Class: Transport (redirects)', () => {
  it.each([301, 302, 303, 307, 308])('follows a %i to the location, resolved against the URL it came from', async (code) => {
    const registry = scripted(status(code, { location: '../blobs/x?sig=1' }), status(200, {}, 'blob'));
    const { transport: t } = transport(registry.fetch);

    const response = await t.send(request());

    expect(registry.seen.map((seen) => seen.url)).toEqual(['https://registry.test/v2/acme/app/manifests/1', 'https://registry.test/v2/acme/app/blobs/x?sig=1']);
    expect([response.status, response.url, response.attempts]).toEqual([200, 'https://registry.test/v2/acme/app/blobs/x?sig=1', 1]);
  });

  it('returns a redirect status without a location, and a 300 or 304, as the answer', async () => {
    for (const answer of [status(307), status(300, { location: '/a' }), status(304, { location: '/a' })]) {
      const registry = scripted(answer, status(200));
      const { transport: t } = transport(registry.fetch);
      expect((await t.send(request())).status).toBe(answer.status);
      expect(registry.seen).toHaveLength(1);
    }
  });

  it('keeps the credentials on the same origin and drops them for another origin, and does not get them back', async () => {
    const registry = scripted(
      status(307, { location: '/v2/acme/app/blobs/moved' }),
      status(307, { location: 'https://blobs.example/store/x?X-Signature=presigned' }),
      status(307, { location: 'https://registry.test/v2/acme/app/blobs/back' }),
      status(200),
    );
    const { transport: t } = transport(registry.fetch);

    await t.send(request({ headers: { authorization: 'Bearer secret', accept: '*/*' } }));

    expect(registry.seen.map((seen) => seen.authorization)).toEqual(['Bearer secret', 'Bearer secret', undefined, undefined]);
  });

  it('refuses a redirect from HTTPS to plain HTTP, and to anything but HTTP(S), naming where it led', async () => {
    const downgrade = scripted(status(302, { location: 'http://registry.test/v2/acme/app/manifests/1' }));
    const { transport: first } = transport(downgrade.fetch);
    const error = await failure(first.send(request()));
    expect([error.kind, error.detail]).toEqual(['redirect', 'redirect from HTTPS to plain HTTP (http://registry.test) refused']);
    expect(downgrade.seen).toHaveLength(1);

    const file = scripted(status(302, { location: 'file:///etc/passwd' }));
    const { transport: second } = transport(file.fetch);
    const other = await failure(second.send(request()));
    expect([other.kind, other.detail]).toEqual(['redirect', 'redirect to an unsupported "file:" URL']);
  });

  it('follows a plain-HTTP registry to plain HTTP and to HTTPS', async () => {
    const registry = scripted(status(302, { location: 'http://plain.example/b' }), status(302, { location: 'https://secure.example/a' }), status(200));
    const { transport: t } = transport(registry.fetch);

    const response = await t.send(request({ url: 'http://registry.test/v2/acme/app/manifests/1' }));

    expect([response.status, response.url]).toEqual([200, 'https://secure.example/a']);
    expect(registry.seen.map((seen) => seen.url)).toEqual(['http://registry.test/v2/acme/app/manifests/1', 'http://plain.example/b', 'https://secure.example/a']);
  });

  it('never shows a redirect’s query (a presigned URL) in a failure', async () => {
    const registry = scripted(status(307, { location: 'https://blobs.example/store/x?X-Amz-Signature=secret' }), networkError('ECONNRESET'));
    const { transport: t } = transport(registry.fetch, { maxAttempts: 1 });

    const error = await failure(t.send(request()));

    expect(error.url).toBe('https://blobs.example/store/x');
    expect(error.message).not.toContain('secret');
  });
});

describe('Class: Transport (answers read)', () => {
  it('reads a successful body of exactly the limit, and refuses one byte more, declared or not', async () => {
    const exact = scripted(status(200, {}, 'a'.repeat(1024)));
    expect((await transport(exact.fetch).transport.send(request())).body.byteLength).toBe(1024);

    const over = scripted(status(200, {}, 'a'.repeat(1025)));
    const error = await failure(transport(over.fetch).transport.send(request()));
    expect([error.kind, error.detail]).toEqual(['too-large', 'the response is larger than the limit of 1024 bytes']);

    const declared = scripted(status(200, { 'content-length': '1025' }, 'a'.repeat(1025)));
    const refused = await failure(transport(declared.fetch).transport.send(request()));
    expect([refused.kind, refused.detail]).toEqual(['too-large', 'the response is 1025 bytes; the limit is 1024']);

    const exactDeclared = scripted(status(200, { 'content-length': '1024' }, 'a'.repeat(1024)));
    expect((await transport(exactDeclared.fetch).transport.send(request())).body.byteLength).toBe(1024);
  });

  it('cuts an error answer to its first maxBytes bytes instead of failing, declared or not', async () => {
    const text = `${'e'.repeat(600)}${'f'.repeat(600)}`;
    for (const headers of [{}, { 'content-length': String(text.length) }] as Record<string, string>[]) {
      const registry = scripted(status(404, headers, text));
      const response = await transport(registry.fetch).transport.send(request({ maxBytes: 700 }));
      expect(response.status).toBe(404);
      expect(new TextDecoder().decode(response.body)).toBe(text.slice(0, 700));
    }
  });

  it('reads a body that comes in several chunks whole, in order', async () => {
    const parts = ['alpha-', 'beta-', 'gamma'];
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        for (const part of parts) controller.enqueue(new TextEncoder().encode(part));
        controller.close();
      },
    });
    const registry = scripted(() => new Response(body, { status: 200 }));

    const response = await transport(registry.fetch).transport.send(request());

    expect(new TextDecoder().decode(response.body)).toBe('alpha-beta-gamma');
  });

  it('reads no body for HEAD, and none for an answer without one', async () => {
    const registry = scripted(status(200, {}, 'not for HEAD'));
    expect((await transport(registry.fetch).transport.send(request({ method: 'HEAD' }))).body.byteLength).toBe(0);
    const empty = scripted(status(204));
    expect((await transport(empty.fetch).transport.send(request())).body.byteLength).toBe(0);
  });

  it('hands a successful streamed answer over unread, and reads an error answer of a streamed request as usual', async () => {
    const ok = scripted(status(200, {}, 'blob bytes'));
    const streamed = await transport(ok.fetch).transport.send(request({ stream: true }));
    expect(streamed.body.byteLength).toBe(0);
    expect(await new Response(streamed.stream).text()).toBe('blob bytes');

    const missing = scripted(status(404, {}, 'blob unknown'));
    const refused = await transport(missing.fetch).transport.send(request({ stream: true }));
    expect(refused.stream).toBeUndefined();
    expect(new TextDecoder().decode(refused.body)).toBe('blob unknown');
  });
});

describe('Function: describeNetworkError', () => {
  const coded = (code: string): Error => Object.assign(new Error(`socket said ${code}`), { code });

  it.each([
    ['a code of its own', coded('ECONNREFUSED'), 'connection refused (ECONNREFUSED)'],
    ["fetch's wrapper with the code in its cause", networkError('ENOTFOUND'), 'host name not found (DNS) (ENOTFOUND)'],
    [
      'the first of several per-address errors',
      new TypeError('fetch failed', { cause: new AggregateError([coded('ETIMEDOUT'), coded('EHOSTUNREACH')]) }),
      'connection timed out (ETIMEDOUT)',
    ],
    ['a code three causes deep', new Error('a', { cause: new Error('b', { cause: new Error('c', { cause: coded('EPIPE') }) }) }), 'connection closed while sending (EPIPE)'],
    ['an undici timeout', coded('UND_ERR_HEADERS_TIMEOUT'), 'no response headers in time (UND_ERR_HEADERS_TIMEOUT)'],
    ['a certificate problem', coded('ERR_TLS_CERT_ALTNAME_INVALID'), 'TLS certificate problem (ERR_TLS_CERT_ALTNAME_INVALID)'],
    ['an expired certificate', coded('CERT_HAS_EXPIRED'), 'TLS certificate problem (CERT_HAS_EXPIRED)'],
    ['an SSL error', coded('ERR_SSL_WRONG_VERSION_NUMBER'), 'TLS certificate problem (ERR_SSL_WRONG_VERSION_NUMBER)'],
    ['a code it has no words for', coded('EPROTO_SOMETHING'), 'network error (EPROTO_SOMETHING)'],
  ])('names %s in words, with the code', (_case, error, text) => {
    expect(describeNetworkError(error)).toBe(text);
  });

  it("without a code, quotes the cause's message, else the error's, else the value, cut to 200 characters", () => {
    expect(describeNetworkError(new TypeError('fetch failed', { cause: new Error('other side hung up') }))).toBe('network error (other side hung up)');
    expect(describeNetworkError(new Error('bad header value'))).toBe('network error (bad header value)');
    expect(describeNetworkError('a string')).toBe('network error (a string)');
    expect(describeNetworkError(new Error('x'.repeat(300)))).toBe(`network error (${'x'.repeat(200)})`);
  });

  it('ends on an error that is its own cause', () => {
    const loop = new Error('loop') as Error & { cause?: unknown };
    loop.cause = loop;
    expect(describeNetworkError(loop)).toBe('network error (loop)');
  });
});

describe('Function: parseRetryAfter', () => {
  const now = Date.UTC(2025, 0, 1, 12, 0, 0);

  it('reads delta-seconds and an HTTP date (seconds from now, rounded up, never negative)', () => {
    expect(parseRetryAfter(' 120 ', now)).toBe(120);
    expect(parseRetryAfter('0', now)).toBe(0);
    expect(parseRetryAfter('Wed, 01 Jan 2025 12:00:30 GMT', now)).toBe(30);
    expect(parseRetryAfter(new Date(now + 1_500).toUTCString(), now - 1)).toBe(2);
    expect(parseRetryAfter('Wed, 01 Jan 2025 11:00:00 GMT', now)).toBe(0);
  });

  it('gives nothing for a missing or unreadable value', () => {
    expect(parseRetryAfter(null, now)).toBeUndefined();
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter('-5 seconds', now)).toBeUndefined();
    // Digits followed by anything else are neither delta-seconds nor a date.
    expect(parseRetryAfter('120s', now)).toBeUndefined();
    expect(parseRetryAfter('x5', now)).toBeUndefined();
  });
});
