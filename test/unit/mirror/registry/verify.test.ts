// The blob check on its own: what passes, and each way a blob is refused, with the exact bytes that went through.
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { BlobMismatch, TransferStalled, unverifiableDigest, VerifyingStream } from '../../../../src/mirror/registry/verify.js';
import { VirtualClock } from '../fixtures/harness.js';

const BYTES = Buffer.from('0123456789abcdef'.repeat(1000));
const DIGEST = `sha256:${createHash('sha256').update(BYTES).digest('hex')}`;

function streamOf(chunks: Uint8Array[], stallAfter?: number): ReadableStream<Uint8Array> {
  let i = 0;
  return new ReadableStream({
    pull(controller) {
      if (stallAfter !== undefined && i >= stallAfter) return new Promise(() => undefined);
      if (i >= chunks.length) controller.close();
      else controller.enqueue(chunks[i++]!);
      return undefined;
    },
  });
}

async function drain(verifier: VerifyingStream): Promise<{ bytes: number; error?: unknown }> {
  let bytes = 0;
  try {
    for await (const chunk of verifier.body) bytes += chunk.byteLength;
    return { bytes };
  } catch (error) {
    return { bytes, error };
  }
}

function verifier(chunks: Uint8Array[], options: { size?: number; digest?: string; stallAfter?: number; clock?: VirtualClock } = {}): VerifyingStream {
  const clock = options.clock ?? new VirtualClock();
  return new VerifyingStream(streamOf(chunks, options.stallAfter), {
    digest: options.digest ?? DIGEST,
    size: options.size ?? BYTES.length,
    idleMs: 15_000,
    timer: (ms) => clock.timer(ms),
    now: () => clock.now(),
  });
}

const halves = [BYTES.subarray(0, 8000), BYTES.subarray(8000)];

describe('Class: VerifyingStream', () => {
  it('passes the exact bytes of a blob that matches its descriptor', async () => {
    const v = verifier(halves);
    expect(await drain(v)).toEqual({ bytes: BYTES.length });
    expect(v.failure).toBeUndefined();
  });

  it('refuses more bytes than the descriptor gives, before passing them on', async () => {
    const v = verifier(halves, { size: 8000 });
    const { bytes, error } = await drain(v);
    expect(bytes).toBe(8000);
    expect(error).toBeInstanceOf(BlobMismatch);
    expect((error as Error).message).toBe('more than the 8000 bytes its descriptor gives');
  });

  it('refuses a blob that ends short, or hashes to another digest, at its end', async () => {
    const short = await drain(verifier([halves[0]!]));
    expect((short.error as Error).message).toBe(`8000 bytes, not the ${BYTES.length} its descriptor gives`);
    const other = `sha256:${'0'.repeat(64)}`;
    const wrong = await drain(verifier(halves, { digest: other }));
    expect(wrong.error).toBeInstanceOf(BlobMismatch);
    expect((wrong.error as Error).message).toBe(`content digest ${DIGEST}`);
  });

  it('ends a transfer in which no byte moved for the idle time (virtual clock), and keeps no timer', async () => {
    const clock = new VirtualClock();
    const v = verifier(halves, { stallAfter: 1, clock });
    const { bytes, error } = await drain(v);
    expect(bytes).toBe(8000);
    expect(error).toBeInstanceOf(TransferStalled);
    expect(clock.pendingTimers()).toBe(0);
  });

  it('says which digests it cannot check', () => {
    expect(unverifiableDigest(DIGEST)).toBeUndefined();
    expect(unverifiableDigest(`md5:${'0'.repeat(32)}`)).toBe('digest algorithm "md5" is not supported (sha256, sha384, sha512 are)');
  });
});

describe('Class: VerifyingStream (the idle watch and the digests it computes)', () => {
  /** Chunks handed over `gapMs` apart on the virtual clock (the clock's timers move it when everything waits). */
  function paced(chunks: Uint8Array[], gapMs: number, clock: VirtualClock): ReadableStream<Uint8Array> {
    let i = 0;
    return new ReadableStream({
      async pull(controller) {
        await new Promise<void>((resolve) => clock.timer(gapMs).signal.addEventListener('abort', () => resolve(), { once: true }));
        if (i >= chunks.length) controller.close();
        else controller.enqueue(chunks[i++]!);
      },
    });
  }

  function watched(source: ReadableStream<Uint8Array>, clock: VirtualClock, onStall?: () => void): VerifyingStream {
    return new VerifyingStream(source, {
      digest: DIGEST,
      size: BYTES.length,
      idleMs: 15_000,
      timer: (ms) => clock.timer(ms),
      now: () => clock.now(),
      ...(onStall !== undefined ? { onStall } : {}),
    });
  }

  const tenths = Array.from({ length: 10 }, (_, i) => BYTES.subarray(i * 1600, (i + 1) * 1600));

  it('lets a slow transfer go on as long as no gap reaches the idle time, however long it takes in all', async () => {
    const clock = new VirtualClock(0);
    const v = watched(paced(tenths, 14_999, clock), clock);

    expect(await drain(v)).toEqual({ bytes: BYTES.length });
    expect(clock.now()).toBeGreaterThan(150_000);
    expect(clock.pendingTimers()).toBe(0);
  });

  it('ends at the first gap of the idle time, saying so, and tells whoever sends the body on', async () => {
    const clock = new VirtualClock(0);
    let told = 0;
    const v = watched(paced(tenths, 15_000, clock), clock, () => told++);

    const { bytes, error } = await drain(v);

    expect(bytes).toBeLessThan(BYTES.length);
    expect(error).toBeInstanceOf(TransferStalled);
    expect((error as Error).message).toBe('no byte moved for 15000 ms mid-blob');
    expect(v.failure).toBe(error);
    expect(told).toBe(1);
    expect(clock.now()).toBe(15_000);
  });

  it('waits out only what is left of the idle time after the last chunk: one chunk at 10 s, then silence, ends at 25 s', async () => {
    const clock = new VirtualClock(0);
    let sent = false;
    const source = new ReadableStream<Uint8Array>({
      async pull(controller) {
        if (sent) return new Promise<void>(() => undefined);
        await new Promise<void>((resolve) => clock.timer(10_000).signal.addEventListener('abort', () => resolve(), { once: true }));
        sent = true;
        controller.enqueue(tenths[0]!);
      },
    });
    let stalledAt: number | undefined;
    const { bytes, error } = await drain(watched(source, clock, () => (stalledAt = clock.now())));

    expect(bytes).toBe(1600);
    expect(error).toBeInstanceOf(TransferStalled);
    expect(stalledAt).toBe(25_000);
  });

  it('refuses a source that sent every byte of the blob but never ended its answer: the stall is the verdict', async () => {
    const clock = new VirtualClock(0);
    const v = verifier(halves, { stallAfter: halves.length, clock });
    const { bytes, error } = await drain(v);

    expect(bytes).toBe(BYTES.length);
    expect(error).toBeInstanceOf(TransferStalled);
    expect(v.failure).toBe(error);
  });

  it('counts the bytes that passed', async () => {
    const clock = new VirtualClock(0);
    const v = watched(paced(tenths, 1_000, clock), clock);
    await drain(v);
    expect(v.received).toBe(BYTES.length);
  });

  it.each(['sha384', 'sha512'])('computes %s digests', async (algorithm) => {
    const digest = `${algorithm}:${createHash(algorithm).update(BYTES).digest('hex')}`;
    expect(unverifiableDigest(digest)).toBeUndefined();
    expect(await drain(verifier(halves, { digest }))).toEqual({ bytes: BYTES.length });
    const wrong = `${algorithm}:${'0'.repeat(algorithm === 'sha384' ? 96 : 128)}`;
    expect(((await drain(verifier(halves, { digest: wrong }))).error as Error).message).toBe(`content digest ${digest}`);
  });

  it('says which algorithm it cannot check, cut to 20 characters, also for a digest without one', () => {
    expect(unverifiableDigest(`${'x'.repeat(30)}:abc`)).toBe(`digest algorithm "${'x'.repeat(20)}" is not supported (sha256, sha384, sha512 are)`);
    expect(unverifiableDigest('abc')).toBe('digest algorithm "" is not supported (sha256, sha384, sha512 are)');
  });
});
