// What the lifecycle knows about the invocation it runs in: configuration, log, the time Lambda has
// left, and the timing rules (poll interval, hand-over margin, deadline margin, backoff).
import type { MirrorConfig } from './config.js';
import type { MirrorLog } from './log.js';

export interface Timing {
  /** Between two BatchGetBuilds calls. */
  readonly pollIntervalMs: number;
  /** Hand over when less than this (plus one poll interval) is left of the invocation. */
  readonly handoverMarginMs: number;
  /** Answer this long before CloudFormation's ServiceTimeout at most (a tenth of it for short timeouts). */
  readonly deadlineMarginMs: number;
  readonly startBuildBaseDelayMs: number;
  readonly startBuildMaxDelayMs: number;
  /** Consecutive failed BatchGetBuilds calls before giving up. */
  readonly maxPollFailures: number;
  readonly logTailLines: number;
}

export const DEFAULT_TIMING: Timing = {
  pollIntervalMs: 10_000,
  handoverMarginMs: 60_000,
  deadlineMarginMs: 30_000,
  startBuildBaseDelayMs: 2_000,
  startBuildMaxDelayMs: 60_000,
  maxPollFailures: 5,
  logTailLines: 20,
};

export interface LifecycleContext {
  readonly config: MirrorConfig;
  readonly log: MirrorLog;
  /** Milliseconds left before Lambda stops this invocation. */
  remainingTimeMs(): number;
  readonly timing?: Partial<Timing>;
}

export function timingOf(ctx: LifecycleContext): Timing {
  return { ...DEFAULT_TIMING, ...ctx.timing };
}

/**
 * Fixes the hand-over margin for this invocation: at most a quarter of the time it started with, so a
 * function with a short timeout still polls for a while before each hand-over instead of handing over
 * after every single poll.
 */
export function forInvocation(ctx: LifecycleContext): LifecycleContext {
  const timing = timingOf(ctx);
  const quarter = Math.max(0, ctx.remainingTimeMs() / 4);
  return { ...ctx, timing: { ...timing, handoverMarginMs: Math.min(timing.handoverMarginMs, quarter) } };
}

/** The moment to give up: request start + ServiceTimeout, less a margin to answer in. */
export function deadlineFor(startedAt: number, serviceTimeoutSeconds: number, timing: Timing): number {
  const timeoutMs = serviceTimeoutSeconds * 1000;
  return startedAt + timeoutMs - Math.min(timing.deadlineMarginMs, timeoutMs / 10);
}
