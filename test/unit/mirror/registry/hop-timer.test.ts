// A hop's own timer (hop-timer.ts) on a clock that only records: when the timer starts (at once, or once a streamed
// upload's last chunk was handed over), that it starts once however often the end is asked for, that cancel stops
// the one timer there is, that its firing ends the hop, and that the streamed body stays a well-behaved async
// iterator (ending early releases the source; `return` answers an iterator result).
import { describe, expect, it } from 'vitest';
import type { Timer } from '../../../../src/mirror/core/budget.js';
import { type HopClock, HopTimer } from '../../../../src/mirror/registry/hop-timer.js';

interface Recorded {
  readonly ms: number;
  readonly controller: AbortController;
  cancelled: boolean;
}

/** A clock whose timers fire only when the test fires them. */
function recordingClock(): HopClock & { readonly timers: Recorded[] } {
  const timers: Recorded[] = [];
  return {
    timers,
    timer(ms: number): Timer {
      const entry: Recorded = { ms, controller: new AbortController(), cancelled: false };
      timers.push(entry);
      return {
        signal: entry.controller.signal,
        cancel: () => {
          entry.cancelled = true;
        },
      };
    },
  };
}

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);

/** Timers started and not cancelled. */
const running = (clock: { readonly timers: Recorded[] }): number => clock.timers.filter((timer) => !timer.cancelled).length;

describe('Class: HopTimer', () => {
  it('starts at once for no body or a whole body, and its firing ends the hop with the clock’s reason', () => {
    for (const body of [undefined, bytes('whole')]) {
      const clock = recordingClock();
      const hop = new HopTimer(clock, 15_000);

      expect(hop.startAfter(body)).toBe(body);
      expect(clock.timers.map((timer) => timer.ms)).toEqual([15_000]);
      expect(hop.signal.aborted).toBe(false);
      const reason = new Error('hop timer fired');
      clock.timers[0]!.controller.abort(reason);
      expect(hop.signal.aborted).toBe(true);
      expect(hop.signal.reason).toBe(reason);
    }
  });

  it('for a streamed body, starts once the last chunk was handed over, once however often the end is asked for', async () => {
    const clock = recordingClock();
    const hop = new HopTimer(clock, 15_000);
    async function* chunks() {
      yield bytes('a');
      yield bytes('b');
    }
    const items = (hop.startAfter(chunks()) as AsyncIterable<Uint8Array>)[Symbol.asyncIterator]();

    expect((await items.next()).done).toBe(false);
    expect((await items.next()).done).toBe(false);
    expect(clock.timers).toEqual([]);
    expect((await items.next()).done).toBe(true);
    expect((await items.next()).done).toBe(true); // a reader asking again after the end starts no second timer
    expect(clock.timers.map((timer) => timer.ms)).toEqual([15_000]);

    hop.cancel();
    expect(running(clock)).toBe(0);
  });

  it('ending a streamed body early releases its source and answers an iterator result', async () => {
    const clock = recordingClock();
    const hop = new HopTimer(clock, 15_000);
    let released = false;
    async function* chunks() {
      try {
        yield bytes('a');
        yield bytes('b');
      } finally {
        released = true;
      }
    }
    const read: string[] = [];

    for await (const chunk of hop.startAfter(chunks()) as AsyncIterable<Uint8Array>) {
      read.push(new TextDecoder().decode(chunk));
      break;
    }

    expect(read).toEqual(['a']);
    expect(released).toBe(true);
    expect(clock.timers).toEqual([]); // the body never ended: the upload's own watch bounds it, not this timer
  });

  it('a streamed body whose iterator has no `return` can be ended early too', async () => {
    const hop = new HopTimer(recordingClock(), 15_000);
    let served = 0;
    const source: AsyncIterable<Uint8Array> = {
      [Symbol.asyncIterator]: () => ({ next: async () => ({ done: false as const, value: bytes(String(served++)) }) }),
    };
    const body = hop.startAfter(source) as AsyncIterable<Uint8Array>;

    for await (const _chunk of body) break;

    expect(served).toBe(1);
    expect(await body[Symbol.asyncIterator]().return?.()).toEqual({ done: true, value: undefined });
  });
});
