// The invocation budget: every call gets min(its own timeout, the invocation's time less the reserve, the
// deadline), is rejected when that runs out whether or not it honours its signal, and leaves no timer behind.
import { describe, expect, it } from 'vitest';
import { answerReserveMs, Budget, CallTimeoutError } from '../../../../src/mirror/core/budget.js';
import { VirtualClock } from '../fixtures/harness.js';

function budget(invocationMs: number, reserveMs: number, deadlineInMs = Number.POSITIVE_INFINITY) {
  const clock = new VirtualClock();
  const end = clock.now() + invocationMs;
  return { clock, budget: new Budget(clock, () => end - clock.now(), reserveMs, clock.now() + deadlineInMs) };
}

const never = (): Promise<never> => new Promise(() => undefined);

describe('Class: Budget', () => {
  it.each([
    ['its own timeout', 100_000, Number.POSITIVE_INFINITY, 20_000, 'call', 'ECR CreateRepository did not answer within 20 s'],
    ['the invocation less the reserve', 30_000, Number.POSITIVE_INFINITY, 40_000, 'invocation', 'within 27 s (the time left in this invocation of the mirror function)'],
    ['the deadline', 100_000, 5_000, 20_000, 'deadline', "within 5 s (the resource's ServiceTimeout)"],
  ])('bounds a call that never answers by %s', async (_label, invocationMs, deadlineMs, own, limit, text) => {
    const { clock, budget: b } = budget(invocationMs, 3_000, deadlineMs);
    const started = clock.now();
    const error = await b.call('ECR CreateRepository', own, never).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CallTimeoutError);
    expect(error).toMatchObject({ call: 'ECR CreateRepository', limit });
    expect((error as Error).message).toContain(text);
    expect(clock.now() - started).toBe((error as CallTimeoutError).timeoutMs);
    expect(clock.pendingTimers()).toBe(0);
  });

  it("aborts the signal it hands to the call, and reports the timeout rather than the call's own abort error", async () => {
    const { budget: b } = budget(60_000, 3_000);
    let seen: AbortSignal | undefined;
    const error = await b
      .call('CodeBuild BatchGetBuilds', 1_000, (call) => {
        seen = call.signal;
        return new Promise((_, reject) => call.signal.addEventListener('abort', () => reject(new Error('aborted by signal'))));
      })
      .catch((e: unknown) => e);
    expect(seen?.aborted).toBe(true);
    expect(error).toBeInstanceOf(CallTimeoutError);
  });

  it('refuses to start a call when no time is left, without waiting', async () => {
    const { clock, budget: b } = budget(3_100, 3_000);
    const started = clock.now();
    await expect(b.call('Lambda Invoke', 20_000, never)).rejects.toThrow('No time was left to call Lambda Invoke');
    expect(clock.now()).toBe(started);
  });

  it('passes results and errors through and cancels its timer', async () => {
    const { clock, budget: b } = budget(60_000, 3_000);
    await expect(b.call('a', 10_000, async (call) => call.remainingMs())).resolves.toBe(10_000);
    await expect(b.call('b', 10_000, async () => Promise.reject(new Error('denied')))).rejects.toThrow('denied');
    expect(clock.pendingTimers()).toBe(0);
  });

  it('keeps a reserve of a tenth of the invocation for the answer, between 2 and 15 s', () => {
    expect([5_000, 30_000, 120_000, 900_000].map(answerReserveMs)).toEqual([2_000, 3_000, 12_000, 15_000]);
  });
});
