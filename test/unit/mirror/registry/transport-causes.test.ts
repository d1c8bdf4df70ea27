// What the transport keeps of a failure for the log (http.ts): the error behind a network failure or a timeout stays
// its `cause` (the log prints the chain), what cannot be read is described in words instead of breaking the
// description, and an answer that declares too large a body is refused as too large even when it has no body.
import { describe, expect, it } from 'vitest';
import { fetchConnector } from '../../../../src/mirror/registry/connect.js';
import { TransportError } from '../../../../src/mirror/registry/errors.js';
import { AddressGuard } from '../../../../src/mirror/registry/guard.js';
import { describeNetworkError, type HttpResponse, Transport } from '../../../../src/mirror/registry/http.js';
import { VirtualClock } from '../fixtures/harness.js';

/** A transport whose registry answers every request with `answer` (on the virtual clock, which fires idle timers). */
function transportAnswering(
  answer: () => Promise<Response>,
  maxAttempts = 1,
  lookup: (host: string) => Promise<string[]> = async () => ['203.0.113.7'],
): { transport: Transport; asked: () => number } {
  let asked = 0;
  const fetch = (async () => {
    asked++;
    return answer();
  }) as unknown as typeof globalThis.fetch;
  const guard = new AddressGuard({ allowedHosts: new Set(), lookup });
  const transport = new Transport({ connector: fetchConnector(fetch), timeoutMs: 15_000, maxAttempts, retryDelayMs: 100, clock: new VirtualClock(0), guard });
  return { transport, asked: () => asked };
}

const GET = { method: 'GET', url: 'https://registry.test/v2/acme/app/manifests/1', headers: {}, maxBytes: 1024 } as const;

async function failure(promise: Promise<HttpResponse>): Promise<TransportError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(TransportError);
  return error as TransportError;
}

describe('Class: Transport (the cause of a failure)', () => {
  it('keeps the connection error as the cause of a network failure', async () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 203.0.113.7:443'), { code: 'ECONNREFUSED' });
    const { transport } = transportAnswering(() => Promise.reject(refused));

    const error = await failure(transport.send(GET));

    expect([error.kind, error.cause]).toEqual(['network', refused]);
  });

  it('keeps why the hop was cut off as the cause of a timeout: resolving the host, waiting for the answer or reading its body', async () => {
    const silent = transportAnswering(() => new Promise<Response>(() => undefined));
    const stalled = transportAnswering(async () => new Response(new ReadableStream({ pull: () => new Promise<void>(() => undefined) }), { status: 200 }));
    const unresolved = transportAnswering(
      async () => new Response('{}'),
      1,
      () => new Promise<string[]>(() => undefined),
    );

    for (const { transport } of [silent, stalled, unresolved]) {
      const error = await failure(transport.send(GET));
      expect([error.kind, error.detail]).toEqual(['timeout', 'no answer within 15000 ms']);
      expect(error.cause).toEqual(new Error('virtual timer fired'));
    }
  });
});

describe('Class: Transport (a body declared too large)', () => {
  it('refuses a successful answer declaring more than the limit even without a body (a 204), once', async () => {
    const { transport, asked } = transportAnswering(async () => new Response(null, { status: 204, headers: { 'content-length': '5000' } }), 3);

    const error = await failure(transport.send(GET));

    expect([error.kind, error.detail]).toEqual(['too-large', 'the response is 5000 bytes; the limit is 1024']);
    expect(asked()).toBe(1);
  });
});

describe('Function: describeNetworkError (odd errors)', () => {
  it('describes an error whose cause is null by its own message', () => {
    expect(describeNetworkError(new Error('socket gone', { cause: null }))).toBe('network error (socket gone)');
  });

  it('looks for a code at most three causes deep', () => {
    const coded = Object.assign(new Error('e'), { code: 'EPIPE' });
    const fourDeep = new Error('a', { cause: new Error('b', { cause: new Error('c', { cause: new Error('d', { cause: coded }) }) }) });

    expect(describeNetworkError(fourDeep)).toBe('network error (b)');
  });
});
