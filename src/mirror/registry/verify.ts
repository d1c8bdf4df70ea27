// The check a blob passes on its way from the source to the target, without ever being held whole: a pass-through
// that hashes and counts each chunk as it goes by, and fails (which ends the upload and lets go of the download) when
// more bytes come than the descriptor says, when the source ends short or with another digest, or when no byte moves
// for `idleMs` (a registry that stalls mid-blob, or a target that stops taking). Only sha256, sha384 and sha512 are
// computed; the content-addressed push must never complete with bytes whose digest was not checked. An async
// generator, not a TransformStream: per chunk it costs a fraction of what web streams cost, and copying a layer is
// a few thousand chunks.
import { createHash, type Hash } from 'node:crypto';
import type { Timer } from '../core/budget.js';

export interface VerifyOptions {
  /** `<algorithm>:<hex>` the bytes must hash to. */
  readonly digest: string;
  /** Bytes the descriptor promises. */
  readonly size: number;
  /** Fail when no chunk arrives for this long (the registry client's per-request timeout). */
  readonly idleMs: number;
  readonly timer: (ms: number) => Timer;
  /** The same clock's time, milliseconds. */
  readonly now: () => number;
  /** Called when the pass stalls: whoever sends the body on must give up on it (it may be stuck writing). */
  readonly onStall?: () => void;
}

/** Why the bytes were refused: more or fewer than the descriptor says, or another digest. */
export class BlobMismatch extends Error {
  override readonly name = 'BlobMismatch';
}

/** No byte moved for `idleMs`: the source stopped sending, or the target stopped taking. */
export class TransferStalled extends Error {
  override readonly name = 'TransferStalled';
}

const HASHES: Readonly<Record<string, string>> = { sha256: 'sha256', sha384: 'sha384', sha512: 'sha512' };

/** Undefined when the digest's algorithm can be computed here, else why not. */
export function unverifiableDigest(digest: string): string | undefined {
  const algorithm = digest.slice(0, Math.max(0, digest.indexOf(':')));
  return HASHES[algorithm] === undefined ? `digest algorithm "${algorithm.slice(0, 20)}" is not supported (sha256, sha384, sha512 are)` : undefined;
}

/** A verifying pass over `source`; `failure` holds the error it ended with (to tell it from a network error). */
export class VerifyingStream {
  /** The checked bytes, to send on. */
  readonly body: AsyncIterable<Uint8Array>;
  failure: Error | undefined;
  /** Bytes that passed so far. */
  received = 0;
  private readonly hash: Hash;
  private idle: Timer | undefined;
  private lastProgress = 0;
  private stalled: (() => void) | undefined;

  constructor(
    private readonly source: ReadableStream<Uint8Array>,
    private readonly options: VerifyOptions,
  ) {
    const algorithm = options.digest.slice(0, options.digest.indexOf(':'));
    this.hash = createHash(HASHES[algorithm] ?? 'sha256');
    this.body = this.pass();
  }

  private async *pass(): AsyncGenerator<Uint8Array> {
    const reader = this.source.getReader();
    // A stall cancels the download, which ends the pending read; the pass then ends with the stall.
    this.stalled = () => void reader.cancel().catch(() => undefined);
    this.watch();
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (this.failure !== undefined) throw this.failure;
        if (done) break;
        this.received += value.byteLength;
        if (this.received > this.options.size) throw this.fail(new BlobMismatch(`more than the ${this.options.size} bytes its descriptor gives`));
        this.hash.update(value);
        this.lastProgress = this.options.now();
        yield value;
      }
      if (this.received !== this.options.size) throw this.fail(new BlobMismatch(`${this.received} bytes, not the ${this.options.size} its descriptor gives`));
      const actual = `${this.options.digest.slice(0, this.options.digest.indexOf(':'))}:${this.hash.digest('hex')}`;
      if (actual !== this.options.digest) throw this.fail(new BlobMismatch(`content digest ${actual}`));
    } finally {
      this.dispose();
      // However the pass ended (done, refused, stalled, or the upload gave up on it), the download is let go.
      reader.cancel().catch(() => undefined);
    }
  }

  /** Stops the idle watch (the transfer ended, however it ended). */
  dispose(): void {
    this.idle?.cancel();
    this.idle = undefined;
  }

  /**
   * One timer at a time watches progress (a timer per chunk would cost more than the hashing): when it fires it waits
   * again for whatever is left of `idleMs` since the last chunk, and ends the pass when nothing came.
   */
  private watch(): void {
    this.lastProgress = this.options.now();
    this.arm(this.options.idleMs);
  }

  private arm(ms: number): void {
    const idle = this.options.timer(ms);
    idle.signal.addEventListener(
      'abort',
      () => {
        if (this.idle !== idle) return;
        this.idle = undefined;
        const quiet = this.options.now() - this.lastProgress;
        if (quiet < this.options.idleMs) this.arm(this.options.idleMs - quiet);
        else {
          this.fail(new TransferStalled(`no byte moved for ${this.options.idleMs} ms mid-blob`));
          this.stalled?.();
          this.options.onStall?.();
        }
      },
      { once: true },
    );
    this.idle = idle;
  }

  private fail(error: Error): Error {
    this.dispose();
    this.failure ??= error;
    return this.failure;
  }
}
