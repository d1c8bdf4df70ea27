// What bounds a call at the edges: a call whose own timeout equals the time left is bounded by its own timeout (the
// message says no more), the invocation wins a tie with the deadline, a call is started with exactly MIN_CALL_MS and
// refused with less, and `with` changes only what it is given.
import { describe, expect, it } from 'vitest';
import { Budget, CallTimeoutError, MIN_CALL_MS } from '../../../../src/mirror/core/budget.js';
import { VirtualClock } from '../fixtures/harness.js';

/** A budget of `invocationMs` left in the invocation, `reserveMs` kept, the deadline `deadlineInMs` away (virtual time). */
function budget(invocationMs: number, reserveMs: number, deadlineInMs = Number.POSITIVE_INFINITY) {
  const clock = new VirtualClock();
  const end = clock.now() + invocationMs;
  return { clock, budget: new Budget(clock, () => end - clock.now(), reserveMs, clock.now() + deadlineInMs) };
}

const never = (): Promise<never> => new Promise(() => undefined);

async function timeoutOf(b: Budget, ownMs: number): Promise<CallTimeoutError> {
  const error = await b.call('ECR DescribeImages', ownMs, never).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(CallTimeoutError);
  return error as CallTimeoutError;
}

describe('Class: Budget (limits at their edges)', () => {
  it('a call whose own timeout is exactly the invocation time left is bounded by its own timeout', async () => {
    const { budget: b } = budget(23_000, 3_000);
    expect(b.limitFor(20_000)).toEqual({ timeoutMs: 20_000, limit: 'call' });
    expect(b.limitFor(20_001)).toEqual({ timeoutMs: 20_000, limit: 'invocation' });
    const error = await timeoutOf(b, 20_000);
    expect(error.message).toBe('ECR DescribeImages did not answer within 20 s');
  });

  it('a call whose own timeout is exactly the time to the deadline is bounded by its own timeout', async () => {
    const { budget: b } = budget(100_000, 3_000, 20_000);
    expect(b.limitFor(20_000)).toEqual({ timeoutMs: 20_000, limit: 'call' });
    expect(b.limitFor(20_001)).toEqual({ timeoutMs: 20_000, limit: 'deadline' });
    expect((await timeoutOf(b, 20_000)).message).toBe('ECR DescribeImages did not answer within 20 s');
  });

  it('when the invocation and the deadline leave the same time, the invocation is named', async () => {
    const { budget: b } = budget(23_000, 3_000, 20_000);
    expect(b.limitFor(30_000)).toEqual({ timeoutMs: 20_000, limit: 'invocation' });
    expect((await timeoutOf(b, 30_000)).message).toBe('ECR DescribeImages did not answer within 20 s (the time left in this invocation of the mirror function)');
  });

  it('the deadline is named when it comes first, also when no time is left at all', async () => {
    const { budget: b } = budget(100_000, 3_000, 100);
    await expect(b.call('CodeBuild StartBuild', 20_000, never)).rejects.toThrow("No time was left to call CodeBuild StartBuild (the resource's ServiceTimeout)");
    const { budget: late } = budget(100_000, 3_000, -5_000);
    expect(late.limitFor(20_000)).toEqual({ timeoutMs: -5_000, limit: 'deadline' });
  });

  it(`starts a call given exactly ${MIN_CALL_MS} ms and refuses one given less`, async () => {
    const { budget: enough } = budget(3_000 + MIN_CALL_MS, 3_000);
    await expect(enough.call('Lambda Invoke', 20_000, async (call) => call.remainingMs())).resolves.toBe(MIN_CALL_MS);
    const { budget: short } = budget(3_000 + MIN_CALL_MS - 1, 3_000);
    const error = await short.call('Lambda Invoke', 20_000, async () => 'ran').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CallTimeoutError);
    expect(error).toMatchObject({ timeoutMs: 0, limit: 'invocation' });
    expect((error as Error).message).toBe('No time was left to call Lambda Invoke (the time left in this invocation of the mirror function)');
  });

  it('gives the time in tenths of a second', async () => {
    const { budget: b } = budget(100_000, 3_000);
    expect((await timeoutOf(b, 1_250)).message).toBe('ECR DescribeImages did not answer within 1.3 s');
    expect((await timeoutOf(b, 999)).message).toBe('ECR DescribeImages did not answer within 1 s');
  });

  it('the time the call has left runs down with the clock', async () => {
    const { clock, budget: b } = budget(60_000, 3_000);
    const left = await b.call('a', 10_000, async (call) => {
      clock.advance(4_000);
      return call.remainingMs();
    });
    expect(left).toBe(6_000);
  });

  it('workLeftMs: the invocation less the reserve, or the deadline when that comes first, as the clock runs', () => {
    const { clock, budget: b } = budget(60_000, 3_000, 40_000);
    expect(b.workLeftMs()).toBe(40_000);
    const { budget: open } = budget(60_000, 3_000);
    expect(open.workLeftMs()).toBe(57_000);
    clock.advance(10_000);
    expect(b.workLeftMs()).toBe(30_000);
  });

  it('with() changes the reserve or the deadline and keeps the other and the invocation', () => {
    const { clock, budget: b } = budget(60_000, 3_000, 40_000);
    const reserved = b.with({ reserveMs: 30_000 });
    expect(reserved).toMatchObject({ reserveMs: 30_000, deadline: b.deadline });
    expect(reserved.workLeftMs()).toBe(30_000);
    const sooner = b.with({ deadline: clock.now() + 10_000 });
    expect(sooner).toMatchObject({ reserveMs: 3_000, deadline: clock.now() + 10_000 });
    expect(sooner.workLeftMs()).toBe(10_000);
    expect(b.with({}).workLeftMs()).toBe(40_000);
    clock.advance(5_000);
    expect(reserved.workLeftMs()).toBe(25_000);
  });

  it('a call that fails on its own after the timer fired still reports the timeout, with the failure as its cause', async () => {
    const { budget: b } = budget(60_000, 3_000);
    const own = new Error('socket hang up');
    const error = await b
      .call('the registry quay.io', 1_000, (call) => new Promise((_, reject) => call.signal.addEventListener('abort', () => reject(own))))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CallTimeoutError);
    expect(error).toMatchObject({ call: 'the registry quay.io', timeoutMs: 1_000, limit: 'call' });
  });
});
