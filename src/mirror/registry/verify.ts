// The check a blob passes on its way from the source to the target, without ever being held whole: a transform
// stream that hashes and counts each chunk as it goes through, and fails the stream (which cancels the download and
// aborts the upload) when more bytes come than the descriptor says, when the stream ends short or with another
// digest, or when no byte arrives for `idleMs` (a registry that stalls mid-blob). Only sha256, sha384 and sha512 are
// computed; the content-addressed push must never complete with bytes whose digest was not checked.
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
  /** Called with the length of every chunk that passed. */
  readonly onBytes?: (bytes: number) => void;
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

/** A verifying pass-through; `failure` holds the error it failed the stream with (to tell it from a network error). */
export class VerifyingStream {
  readonly stream: TransformStream<Uint8Array, Uint8Array>;
  failure: Error | undefined;
  /** Bytes that passed so far. */
  received = 0;
  private readonly hash: Hash;
  private idle: Timer | undefined;

  constructor(private readonly options: VerifyOptions) {
    const algorithm = options.digest.slice(0, options.digest.indexOf(':'));
    this.hash = createHash(HASHES[algorithm] ?? 'sha256');
    let controller!: TransformStreamDefaultController<Uint8Array>;
    this.stream = new TransformStream<Uint8Array, Uint8Array>({
      start: (c) => {
        controller = c;
        this.watch(controller);
      },
      transform: (chunk, c) => {
        this.received += chunk.byteLength;
        if (this.received > options.size) return this.fail(c, new BlobMismatch(`more than the ${options.size} bytes its descriptor gives`));
        this.hash.update(chunk);
        options.onBytes?.(chunk.byteLength);
        this.watch(c);
        c.enqueue(chunk);
      },
      flush: (c) => {
        this.idle?.cancel();
        if (this.received !== options.size) return this.fail(c, new BlobMismatch(`${this.received} bytes, not the ${options.size} its descriptor gives`));
        const actual = `${options.digest.slice(0, options.digest.indexOf(':'))}:${this.hash.digest('hex')}`;
        if (actual !== options.digest) this.fail(c, new BlobMismatch(`content digest ${actual}`));
      },
    });
  }

  /** Stops the idle watch (call when the transfer ended, however it ended). */
  dispose(): void {
    this.idle?.cancel();
    this.idle = undefined;
  }

  private watch(controller: TransformStreamDefaultController<Uint8Array>): void {
    this.idle?.cancel();
    if (this.failure !== undefined) return;
    const idle = this.options.timer(this.options.idleMs);
    idle.signal.addEventListener('abort', () => this.fail(controller, new TransferStalled(`no byte moved for ${this.options.idleMs} ms mid-blob`)), { once: true });
    this.idle = idle;
  }

  private fail(controller: TransformStreamDefaultController<Uint8Array>, error: Error): void {
    this.idle?.cancel();
    if (this.failure !== undefined) return;
    this.failure = error;
    controller.error(error);
  }
}
