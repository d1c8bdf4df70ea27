// A hop's own timer (http.ts): how long one request may take before the transport gives up on it.
import type { Timer } from '../core/budget.js';

/** The clock part the timer needs (the transport's clock). */
export interface HopClock {
  timer(ms: number): Timer;
}

/**
 * A hop's own timeout. It runs from the start of the hop, except for a streamed upload: a registry answers one only
 * after its whole body arrived, so the timer starts once the last byte was handed over (until then the transfer's own
 * watch, registry/verify.ts, and the call's budget bound it).
 */
export class HopTimer {
  private readonly aborter = new AbortController();
  private timer: Timer | undefined;

  constructor(
    private readonly clock: HopClock,
    private readonly ms: number,
  ) {}

  get signal(): AbortSignal {
    return this.aborter.signal;
  }

  /** Starts now, or for a streamed body once its last chunk was handed over; returns the body to send. */
  startAfter(body: Uint8Array | AsyncIterable<Uint8Array> | undefined): Uint8Array | AsyncIterable<Uint8Array> | undefined {
    if (body === undefined || body instanceof Uint8Array) {
      this.start();
      return body;
    }
    return this.thenStart(body);
  }

  /** The same items, and the timer started when they are done (one `then` per item, no generator in between). */
  private thenStart(body: AsyncIterable<Uint8Array>): AsyncIterable<Uint8Array> {
    return {
      [Symbol.asyncIterator]: () => {
        const items = body[Symbol.asyncIterator]();
        return {
          next: () =>
            items.next().then((item) => {
              if (item.done) this.start();
              return item;
            }),
          return: (value?: unknown) => items.return?.(value) ?? Promise.resolve({ done: true as const, value: undefined }),
        };
      },
    };
  }

  private start(): void {
    if (this.timer !== undefined) return;
    const timer = this.clock.timer(this.ms);
    timer.signal.addEventListener('abort', () => this.aborter.abort(timer.signal.reason), { once: true });
    this.timer = timer;
  }

  cancel(): void {
    this.timer?.cancel();
  }
}
