// Moving the blobs: first ask the target which it has (HEAD; blobs are content-addressed, so one that is there is
// the right one, and a copy handed over between invocations goes on from exactly there), then stream the missing
// ones, BLOB_CONCURRENCY at a time, each retried after a transient failure (a registry that stalls or drops the
// connection mid-blob). Every transfer is bounded by the invocation less the hand-over margin and by the resource's
// deadline: the first ends this invocation's part (the next one goes on), the second fails the copy naming how far
// it got. A refusal (a blob that does not match its digest, a target that refuses it) ends the copy at once.
import { CallTimeoutError, MIN_CALL_MS, type Budget, type CallContext } from '../core/budget.js';
import { CopyError, describeError } from '../core/errors.js';
import { describePlatforms, sourceReference, type CopyPlan } from '../core/plan.js';
import { exponentialBackoffMs, type InvocationContext } from '../core/timing.js';
import type { MirrorPorts } from '../ports/types.js';
import { parseImageReference, type ImageReference } from '../../reference/index.js';
import { RegistryError, RegistryRateLimitedError, RegistryUnreachableError } from '../registry/errors.js';
import type { BlobDescriptor } from '../registry/media.js';
import { BlobDigestError, BlobStalledError } from '../registry/push.js';
import { type ImageToCopy, pinned } from './image.js';

/** Blobs streamed at the same time, as many as skopeo (containers/image copies up to 6 layers at once); each holds a few chunks in memory. */
export const BLOB_CONCURRENCY = 6;
/** Tries per blob and invocation. */
const BLOB_ATTEMPTS = 3;
const RETRY_BASE_MS = 1_000;

export interface Progress {
  readonly totalBlobs: number;
  readonly totalBytes: number;
  /** In the target before this invocation copied anything (an earlier invocation's work, or another image's). */
  present: number;
  presentBytes: number;
  /** Copied by this invocation. */
  copied: number;
  copiedBytes: number;
}

function megabytes(bytes: number): string {
  return `${(bytes / 1_000_000).toFixed(1)} MB`;
}

/** `3 of 5 blobs (120.4 of 210.0 MB) are in the target (1 was there before)` */
export function describeProgress(progress: Progress): string {
  const blobs = progress.present + progress.copied;
  const bytes = progress.presentBytes + progress.copiedBytes;
  const before = progress.present > 0 ? ` (${progress.present} ${progress.present === 1 ? 'was' : 'were'} there before)` : '';
  return `${blobs} of ${progress.totalBlobs} blobs (${megabytes(bytes)} of ${megabytes(progress.totalBytes)}) are in the target${before}`;
}

export type TransferEnd = 'done' | 'out-of-invocation';

/** Runs `work` on every item, `limit` at a time, until all are done or one throws (then the others are stopped). */
async function pool<T>(items: readonly T[], limit: number, stop: AbortController, work: (item: T) => Promise<void>): Promise<void> {
  const queue = [...items];
  let failure: { error: unknown } | undefined;
  const worker = async (): Promise<void> => {
    for (let item = queue.shift(); item !== undefined && !stop.signal.aborted; item = queue.shift()) {
      try {
        await work(item);
      } catch (error) {
        failure ??= { error };
        stop.abort();
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failure !== undefined) throw failure.error;
}

function retryable(error: unknown): boolean {
  if (error instanceof BlobDigestError || error instanceof CallTimeoutError) return false;
  if (error instanceof RegistryUnreachableError || error instanceof RegistryRateLimitedError || error instanceof BlobStalledError) return true;
  return error instanceof RegistryError && error.status !== undefined && error.status >= 500;
}

/** Stops this invocation's share of the copy: the next invocation goes on. */
class OutOfInvocation extends Error {}

class Transfer {
  readonly progress: Progress;
  private readonly stop = new AbortController();
  private readonly source: ImageReference;
  private readonly target: ImageReference;

  constructor(
    private readonly image: ImageToCopy,
    private readonly plan: CopyPlan,
    private readonly deadline: number,
    private readonly ports: MirrorPorts,
    private readonly ctx: InvocationContext,
    private readonly work: Budget,
  ) {
    this.source = sourceReference(plan);
    this.target = parseImageReference(plan.targetImage);
    this.progress = {
      totalBlobs: image.blobs.length,
      totalBytes: image.blobs.reduce((sum, blob) => sum + blob.size, 0),
      present: 0,
      presentBytes: 0,
      copied: 0,
      copiedBytes: 0,
    };
  }

  private stoppable(call: CallContext): CallContext {
    return { signal: AbortSignal.any([call.signal, this.stop.signal]), remainingMs: () => call.remainingMs() };
  }

  /** The blobs the target lacks. A failed look counts as missing: the upload then says what is wrong. */
  async missing(): Promise<BlobDescriptor[]> {
    const missing: BlobDescriptor[] = [];
    const look = async (blob: BlobDescriptor): Promise<void> => {
      try {
        const size = await this.work.call(`ECR (is blob ${blob.digest} there?)`, this.ctx.timing.awsCallTimeoutMs, (call) =>
          this.ports.registry().blobSize(this.target, blob.digest, call),
        );
        if (size !== undefined) {
          this.progress.present++;
          this.progress.presentBytes += blob.size;
          return;
        }
      } catch (error) {
        if (error instanceof CallTimeoutError && error.limit === 'invocation') throw new OutOfInvocation();
        this.ctx.log.warn('could not tell whether the target has a blob; copying it', { digest: blob.digest, error: describeError(error) });
      }
      missing.push(blob);
    };
    // The first look alone: it learns how the target authenticates, so the others do not each get a 401 first.
    const [first, ...rest] = this.image.blobs;
    if (first !== undefined) await look(first);
    await pool(rest, BLOB_CONCURRENCY * 2, this.stop, look);
    return missing;
  }

  private async copyOnce(blob: BlobDescriptor, deadlineBudget: Budget): Promise<void> {
    const held = this.image.held.get(blob.digest);
    const name = `copying blob ${blob.digest} (${megabytes(blob.size)}) from ${this.source.registry}`;
    await deadlineBudget.call(name, Number.POSITIVE_INFINITY, (call) =>
      held !== undefined
        ? this.ports.registry().uploadBlob(this.target, blob, held, this.stoppable(call))
        : this.ports.registry().copyBlob(pinned(this.source, blob.digest), this.target, blob, this.stoppable(call)),
    );
  }

  async copy(blob: BlobDescriptor): Promise<void> {
    const deadlineBudget = this.work.with({ deadline: this.deadline });
    for (let attempt = 1; ; attempt++) {
      try {
        await this.copyOnce(blob, deadlineBudget);
        this.progress.copied++;
        this.progress.copiedBytes += blob.size;
        return;
      } catch (error) {
        if (this.stop.signal.aborted) return;
        if (error instanceof CallTimeoutError && error.limit === 'invocation') throw new OutOfInvocation();
        if (error instanceof CallTimeoutError && error.limit === 'deadline') throw this.failure(blob, error, 'deadline');
        const pause = exponentialBackoffMs(attempt, RETRY_BASE_MS);
        // A transient failure with no room left for a retry: what ran out decides. The transport reports a request it
        // had no time to start as unreachable, so this is also how a blob cut at the end of the invocation hands over.
        const room = deadlineBudget.limitFor(pause + MIN_CALL_MS);
        if (retryable(error) && room.limit === 'invocation') throw new OutOfInvocation();
        if (retryable(error) && room.limit === 'deadline') throw this.failure(blob, error, 'deadline');
        if (!retryable(error) || attempt >= BLOB_ATTEMPTS) throw this.failure(blob, error, 'refused');
        this.ctx.log.warn('a blob transfer failed; trying again', { digest: blob.digest, attempt, error: describeError(error) });
        await this.ports.sleep(pause, this.stop.signal);
      }
    }
  }

  failure(blob: BlobDescriptor, error: unknown, kind: 'deadline' | 'refused'): CopyError {
    const what = `${this.plan.sourceImage} (${describePlatforms(this.plan)}) to ${this.plan.targetImage}`;
    if (kind === 'deadline') {
      return new CopyError(
        `Copying ${what} in the mirror function did not finish within the resource's ServiceTimeout: ${describeProgress(this.progress)}. ` +
          'Raise ServiceTimeout (SysdigImageFix metadata), or check the network path between the registries and the mirror function',
        { cause: error },
      );
    }
    return new CopyError(`Could not copy blob ${blob.digest} (${megabytes(blob.size)}) of ${what}: ${describeError(error)}. ${describeProgress(this.progress)}`, {
      cause: error,
    });
  }

  async run(): Promise<TransferEnd> {
    try {
      const missing = await this.missing();
      if (missing.length > 0 && this.ports.now() >= this.deadline) throw this.failure(missing[0]!, undefined, 'deadline');
      await pool(missing, BLOB_CONCURRENCY, this.stop, (blob) => this.copy(blob));
      return 'done';
    } catch (error) {
      if (error instanceof OutOfInvocation) return 'out-of-invocation';
      throw error;
    }
  }
}

/**
 * The invocation's work time less the hand-over margin: what a copy's part may spend, reading the source or moving
 * blobs, so that a part cut by it still has the time to hand the rest over.
 */
export function untilHandOver(ctx: InvocationContext): Budget {
  return ctx.budget.with({ reserveMs: Math.max(ctx.budget.reserveMs, ctx.timing.handoverMarginMs) });
}

/** Copies the blobs `image` lacks in the target; 'out-of-invocation' when this invocation must hand the rest over. */
export async function transferBlobs(
  image: ImageToCopy,
  plan: CopyPlan,
  deadline: number,
  ports: MirrorPorts,
  ctx: InvocationContext,
): Promise<{ end: TransferEnd; progress: Progress }> {
  const transfer = new Transfer(image, plan, deadline, ports, ctx, untilHandOver(ctx));
  const end = await transfer.run();
  return { end, progress: transfer.progress };
}
