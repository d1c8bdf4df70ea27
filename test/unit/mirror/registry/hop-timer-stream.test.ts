// A hop's timer with a streamed upload (hop-timer.ts): it starts once the last chunk was handed over, so a registry
// that takes the whole body and then never answers is cut off by the hop's timeout, not only by the call's; the
// stream it wraps is closed when the sender stops early; and it runs once, so cancelling it stops it.
import { describe, expect, it } from 'vitest';
import type { CallContext } from '../../../../src/mirror/core/budget.js';
import { fetchConnector } from '../../../../src/mirror/registry/connect.js';
import { TransportError } from '../../../../src/mirror/registry/errors.js';
import { AddressGuard } from '../../../../src/mirror/registry/guard.js';
import { HopTimer } from '../../../../src/mirror/registry/hop-timer.js';
import { Transport } from '../../../../src/mirror/registry/http.js';
import { VirtualClock } from '../fixtures/harness.js';

async function* chunks(count: number): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < count; i++) yield new Uint8Array([i]);
}

describe('Class: HopTimer (with Transport)', () => {
  it('cuts off a registry that takes a streamed upload whole and never answers, at the hop timeout', async () => {
    let received = 0;
    const fetch = (async (_input: URL | string, init?: RequestInit) => {
      for await (const chunk of init!.body as unknown as AsyncIterable<Uint8Array>) received += chunk.byteLength;
      return new Promise<Response>(() => undefined);
    }) as typeof globalThis.fetch;
    const clock = new VirtualClock(0);
    const guard = new AddressGuard({ allowedHosts: new Set(), lookup: async () => ['203.0.113.7'] });
    const transport = new Transport({ connector: fetchConnector(fetch), timeoutMs: 15_000, maxAttempts: 1, retryDelayMs: 1, clock, guard });
    const deadline = clock.timer(60_000);
    const call: CallContext = { signal: deadline.signal, remainingMs: () => 60_000 - clock.now() };

    const error = await transport
      .send({ method: 'PATCH', url: 'https://registry.test/v2/acme/app/blobs/uploads/1', headers: {}, maxBytes: 64, body: chunks(3) }, call)
      .catch((e: unknown) => e);

    expect(received).toBe(3);
    expect(error).toBeInstanceOf(TransportError);
    expect([(error as TransportError).kind, (error as TransportError).detail]).toEqual(['timeout', 'no answer within 15000 ms']);
  });
});

describe('Class: HopTimer (the stream it wraps)', () => {
  it('closes the stream when the sender stops early, with or without a return of its own', async () => {
    let closed = 0;
    const withReturn: AsyncIterable<Uint8Array> = {
      [Symbol.asyncIterator]: () => {
        const inner = chunks(5);
        return {
          next: () => inner.next(),
          return: async () => {
            closed++;
            return { done: true as const, value: undefined };
          },
        };
      },
    };
    const withoutReturn: AsyncIterable<Uint8Array> = {
      [Symbol.asyncIterator]: () => {
        const inner = chunks(5);
        return { next: () => inner.next() };
      },
    };

    for (const body of [withReturn, withoutReturn]) {
      const wrapped = new HopTimer(new VirtualClock(0), 1_000).startAfter(body) as AsyncIterable<Uint8Array>;
      for await (const chunk of wrapped) if (chunk[0] === 1) break;
    }

    expect(closed).toBe(1);
  });

  it('starts once however often the end is read, so cancelling stops it', async () => {
    const clock = new VirtualClock(0);
    const timer = new HopTimer(clock, 1_000);
    const iterator = (timer.startAfter(chunks(1)) as AsyncIterable<Uint8Array>)[Symbol.asyncIterator]();

    while (!(await iterator.next()).done);
    await iterator.next();
    timer.cancel();

    expect(clock.pendingTimers()).toBe(0);
    expect(timer.signal.aborted).toBe(false);
  });
});
