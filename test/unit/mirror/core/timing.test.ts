// The timing rules of one invocation: the hand-over margin (at most a quarter of the time the invocation started
// with), the answer's reserve, the resource's deadline (ServiceTimeout less a margin, a tenth for short timeouts) and
// the exponential backoff every retry loop shares.
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../../src/mirror/core/config.js';
import { Budget } from '../../../../src/mirror/core/budget.js';
import { DEFAULT_TIMING, deadlineFor, exponentialBackoffMs, forInvocation, type LifecycleContext, timingOf } from '../../../../src/mirror/core/timing.js';
import { createMirrorLog } from '../../../../src/mirror/log.js';
import { VirtualClock } from '../fixtures/harness.js';

const config = loadConfig({ AWS_REGION: 'eu-west-1', CODEBUILD_PROJECT_NAME: 'copy' }, 'arn:aws:lambda:eu-west-1:123456789012:function:mirror');

function context(clock: VirtualClock, invocationMs: number, extra: Partial<LifecycleContext> = {}): LifecycleContext {
  const end = clock.now() + invocationMs;
  return { config, log: createMirrorLog(), remainingTimeMs: () => end - clock.now(), ...extra };
}

describe('Function: timingOf', () => {
  it('takes the defaults and overrides only what the context sets', () => {
    const clock = new VirtualClock();
    expect(timingOf(context(clock, 60_000))).toEqual(DEFAULT_TIMING);
    expect(timingOf(context(clock, 60_000, { timing: { pollIntervalMs: 1_000 } }))).toEqual({ ...DEFAULT_TIMING, pollIntervalMs: 1_000 });
  });
});

describe('Function: forInvocation', () => {
  it('keeps the hand-over margin for a long invocation and cuts it to a quarter of a short one', () => {
    const clock = new VirtualClock();
    expect(forInvocation(context(clock, 900_000), clock).timing.handoverMarginMs).toBe(60_000);
    expect(forInvocation(context(clock, 240_000), clock).timing.handoverMarginMs).toBe(60_000);
    expect(forInvocation(context(clock, 100_000), clock).timing.handoverMarginMs).toBe(25_000);
    expect(forInvocation(context(clock, 100_000, { timing: { handoverMarginMs: 10_000 } }), clock).timing.handoverMarginMs).toBe(10_000);
    // An invocation that starts with its time already up hands over at once (no negative margin).
    expect(forInvocation(context(clock, -4_000), clock).timing.handoverMarginMs).toBe(0);
    // The other timing rules stay as they were.
    expect(forInvocation(context(clock, 100_000, { timing: { pollIntervalMs: 1_000 } }), clock).timing).toEqual({
      ...DEFAULT_TIMING,
      pollIntervalMs: 1_000,
      handoverMarginMs: 25_000,
    });
  });

  it("makes a budget that keeps the answer's reserve of the time the invocation started with, and follows Lambda's clock", () => {
    const clock = new VirtualClock();
    const { budget } = forInvocation(context(clock, 120_000), clock);
    expect(budget.reserveMs).toBe(12_000);
    expect(budget.deadline).toBe(Number.POSITIVE_INFINITY);
    expect(budget.workLeftMs()).toBe(108_000);
    clock.advance(8_000);
    expect(budget.workLeftMs()).toBe(100_000);
  });

  it('keeps a budget the context already has', () => {
    const clock = new VirtualClock();
    const given = new Budget(clock, () => 5_000, 1_000, clock.now() + 2_000);
    const ctx = forInvocation(context(clock, 120_000, { budget: given }), clock);
    expect(ctx.budget).toBe(given);
    expect(ctx.config).toBe(config);
  });
});

describe('Function: deadlineFor', () => {
  it('answers 30 s before the ServiceTimeout, or a tenth of it before for timeouts under 300 s', () => {
    const start = Date.UTC(2025, 0, 1);
    expect(deadlineFor(start, 3600, DEFAULT_TIMING)).toBe(start + 3_570_000);
    expect(deadlineFor(start, 300, DEFAULT_TIMING)).toBe(start + 270_000);
    expect(deadlineFor(start, 60, DEFAULT_TIMING)).toBe(start + 54_000);
    expect(deadlineFor(start, 1, { ...DEFAULT_TIMING, deadlineMarginMs: 30_000 })).toBe(start + 900);
    expect(deadlineFor(start, 3600, { ...DEFAULT_TIMING, deadlineMarginMs: 5_000 })).toBe(start + 3_595_000);
  });
});

describe('Function: exponentialBackoffMs', () => {
  it('doubles the base for each retry before it, up to the cap; uncapped by default', () => {
    expect([1, 2, 3, 4, 5].map((attempt) => exponentialBackoffMs(attempt, 2_000, 10_000))).toEqual([2_000, 4_000, 8_000, 10_000, 10_000]);
    expect(exponentialBackoffMs(11, 1_000)).toBe(1_024_000);
  });
});
