// What the lifecycle knows about the invocation it runs in: configuration, log, the time Lambda has
// left, and the timing rules (poll interval, hand-over margin, deadline margin, backoff).
import { answerReserveMs, Budget } from './budget.js';
import type { MirrorConfig } from './config.js';
import type { MirrorLog } from '../log.js';
import type { ClockPorts } from '../ports/types.js';

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
  /** Own timeout of one AWS API call, the SDK's own retries included. */
  readonly awsCallTimeoutMs: number;
  /** Reading the source from its registry, every exchange included: at most this, and a third of the work time. */
  readonly sourceResolutionMaxMs: number;
}

export const DEFAULT_TIMING: Timing = {
  pollIntervalMs: 10_000,
  handoverMarginMs: 60_000,
  deadlineMarginMs: 30_000,
  startBuildBaseDelayMs: 2_000,
  startBuildMaxDelayMs: 60_000,
  maxPollFailures: 5,
  logTailLines: 20,
  awsCallTimeoutMs: 20_000,
  sourceResolutionMaxMs: 60_000,
};

export interface LifecycleContext {
  readonly config: MirrorConfig;
  readonly log: MirrorLog;
  /** Milliseconds left before Lambda stops this invocation. */
  remainingTimeMs(): number;
  readonly timing?: Partial<Timing>;
  /** Bounds every call (see budget.ts); made by forInvocation when absent. */
  readonly budget?: Budget;
}

/** A context after forInvocation: its timing and budget are fixed for the invocation. */
export interface InvocationContext extends LifecycleContext {
  readonly timing: Timing;
  readonly budget: Budget;
}

export function timingOf(ctx: LifecycleContext): Timing {
  return { ...DEFAULT_TIMING, ...ctx.timing };
}

/**
 * Fixes the hand-over margin for this invocation: at most a quarter of the time it started with, so a
 * function with a short timeout still polls for a while before each hand-over instead of handing over
 * after every single poll. The budget keeps the answer's reserve out of reach of every call.
 */
export function forInvocation(ctx: LifecycleContext, clock: Pick<ClockPorts, 'now' | 'timer'>): InvocationContext {
  const timing = timingOf(ctx);
  const started = ctx.remainingTimeMs();
  const quarter = Math.max(0, started / 4);
  const budget = ctx.budget ?? new Budget(clock, () => ctx.remainingTimeMs(), answerReserveMs(started));
  return { ...ctx, budget, timing: { ...timing, handoverMarginMs: Math.min(timing.handoverMarginMs, quarter) } };
}

/** The moment to give up: request start + ServiceTimeout, less a margin to answer in. */
export function deadlineFor(startedAt: number, serviceTimeoutSeconds: number, timing: Timing): number {
  const timeoutMs = serviceTimeoutSeconds * 1000;
  return startedAt + timeoutMs - Math.min(timing.deadlineMarginMs, timeoutMs / 10);
}

/**
 * The pause before retry `attempt` (1 for the first retry): `baseMs` doubled for each attempt before it, at most
 * `maxMs`. Each caller keeps its own policy (attempts, cap, jitter, what must still fit after the pause).
 */
export function exponentialBackoffMs(attempt: number, baseMs: number, maxMs = Number.POSITIVE_INFINITY): number {
  return Math.min(maxMs, baseMs * 2 ** (attempt - 1));
}
