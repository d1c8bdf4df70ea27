// One time budget for every step of an invocation. Lambda stops the function when its time is up, and
// CloudFormation waits up to the resource's ServiceTimeout for an answer: every call the function makes
// (registry exchange, AWS API, self-invoke) is bounded by the least of its own timeout, the time left in
// the invocation less what answering needs, and the resource's deadline. A call that runs out is
// abandoned (its AbortSignal fires, so the socket is torn down) and fails with CallTimeoutError, which
// the lifecycle turns into a fallback or a FAILED answer: the function never runs out of time silently.
import { MirrorError } from './errors.js';

/** A timer whose signal aborts when it fires; `cancel` stops it (and, on a virtual clock, removes it). */
export interface Timer {
  readonly signal: AbortSignal;
  cancel(): void;
}

/** What the budget needs of the clock (ClockPorts implements it). */
export interface BudgetClock {
  now(): number;
  timer(ms: number): Timer;
}

/** Handed to every port call: abort when the signal fires, and never plan past `remainingMs()`. */
export interface CallContext {
  readonly signal: AbortSignal;
  /** Milliseconds this call may still take. */
  remainingMs(): number;
}

/** What bounded a call: its own timeout, the invocation (less the answer reserve), or the resource's deadline. */
export type TimeLimit = 'call' | 'invocation' | 'deadline';

/** A call did not finish in the time it was given (or there was no time to start it). */
export class CallTimeoutError extends MirrorError {
  override readonly name: string = 'CallTimeoutError';
  constructor(
    /** What was called, e.g. `ECR CreateRepository` or `the registry quay.io`. */
    readonly call: string,
    readonly timeoutMs: number,
    readonly limit: TimeLimit,
    options?: { cause?: unknown },
  ) {
    super(
      timeoutMs <= 0
        ? `No time was left to call ${call} (${LIMIT_WORDS[limit]})`
        : `${call} did not answer within ${seconds(timeoutMs)}${limit === 'call' ? '' : ` (${LIMIT_WORDS[limit]})`}`,
      options,
    );
  }
}

const LIMIT_WORDS: Readonly<Record<TimeLimit, string>> = {
  call: 'its own timeout',
  invocation: 'the time left in this invocation of the mirror function',
  deadline: "the resource's ServiceTimeout",
};

function seconds(ms: number): string {
  return `${Math.round(ms / 100) / 10} s`;
}

/** Calls given less than this are not started: they could not succeed and only eat the answer's time. */
export const MIN_CALL_MS = 250;

/**
 * Time kept for answering CloudFormation (the response PUT and its retries): a tenth of the invocation,
 * at least 2 s, at most 15 s. A presigned S3 PUT normally takes well under a second.
 */
export function answerReserveMs(invocationMs: number): number {
  return Math.min(15_000, Math.max(2_000, Math.floor(invocationMs / 10)));
}

export class Budget {
  constructor(
    private readonly clock: BudgetClock,
    private readonly remainingTimeMs: () => number,
    /** Kept out of reach of calls: the time needed after them (to answer, or to hand over). */
    readonly reserveMs: number,
    /** Epoch milliseconds (on `clock`) after which nothing may run: the resource's deadline. */
    readonly deadline = Number.POSITIVE_INFINITY,
  ) {}

  /** The same invocation with another reserve (e.g. the hand-over margin) or deadline. */
  with(changes: { reserveMs?: number; deadline?: number }): Budget {
    return new Budget(this.clock, this.remainingTimeMs, changes.reserveMs ?? this.reserveMs, changes.deadline ?? this.deadline);
  }

  /** Milliseconds left for work: the invocation's time less the reserve, capped by the deadline. */
  workLeftMs(): number {
    return Math.min(this.remainingTimeMs() - this.reserveMs, this.deadline - this.clock.now());
  }

  /** What bounds a call with this own timeout right now. */
  limitFor(ownTimeoutMs: number): { timeoutMs: number; limit: TimeLimit } {
    const invocation = this.remainingTimeMs() - this.reserveMs;
    const deadline = this.deadline - this.clock.now();
    if (ownTimeoutMs <= invocation && ownTimeoutMs <= deadline) return { timeoutMs: ownTimeoutMs, limit: 'call' };
    return invocation <= deadline ? { timeoutMs: invocation, limit: 'invocation' } : { timeoutMs: deadline, limit: 'deadline' };
  }

  /**
   * Runs one call within min(own timeout, work left). Rejects with CallTimeoutError when the time runs out,
   * whether or not the call honours its signal.
   */
  async call<T>(name: string, ownTimeoutMs: number, run: (call: CallContext) => Promise<T>): Promise<T> {
    const { timeoutMs, limit } = this.limitFor(ownTimeoutMs);
    if (timeoutMs < MIN_CALL_MS) throw new CallTimeoutError(name, 0, limit);
    const timer = this.clock.timer(timeoutMs);
    const end = this.clock.now() + timeoutMs;
    const timedOut = new Promise<never>((_, reject) => {
      const fire = (): void => reject(new CallTimeoutError(name, timeoutMs, limit));
      if (timer.signal.aborted) fire();
      else timer.signal.addEventListener('abort', fire, { once: true });
    });
    try {
      return await Promise.race([run({ signal: timer.signal, remainingMs: () => end - this.clock.now() }), timedOut]);
    } catch (error) {
      // A call that honours its signal rejects with its own abort error: report the timeout instead.
      if (timer.signal.aborted && !(error instanceof CallTimeoutError)) throw new CallTimeoutError(name, timeoutMs, limit, { cause: error });
      throw error;
    } finally {
      timer.cancel();
    }
  }
}
