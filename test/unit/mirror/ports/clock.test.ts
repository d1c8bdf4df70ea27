// The real clock of the ports, on vitest's fake timers: a timer aborts its signal when due (not before) and never
// after cancel; a sleep ends when due or when its signal aborts, and leaves no timer or listener behind.
import { getEventListeners } from 'node:events';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { realClock, realSleep, realTimer } from '../../../../src/mirror/ports/clock.js';

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('Function: realTimer', () => {
  it('aborts its signal when due, with the time in the reason', () => {
    const timer = realTimer(1_000);
    vi.advanceTimersByTime(999);
    expect(timer.signal.aborted).toBe(false);
    vi.advanceTimersByTime(1);
    expect(timer.signal.aborted).toBe(true);
    expect((timer.signal.reason as Error).message).toBe('timed out after 1000 ms');
  });

  it('never fires once cancelled, and fires at once for no time', () => {
    const timer = realTimer(1_000);
    timer.cancel();
    vi.advanceTimersByTime(5_000);
    expect(timer.signal.aborted).toBe(false);
    expect(vi.getTimerCount()).toBe(0);
    const late = realTimer(-50);
    vi.advanceTimersByTime(0);
    expect(late.signal.aborted).toBe(true);
  });
});

describe('Function: realSleep', () => {
  it('ends when due, not before', async () => {
    let done = false;
    const sleeping = realSleep(1_000).then(() => {
      done = true;
    });
    await vi.advanceTimersByTimeAsync(999);
    expect(done).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    await sleeping;
    expect(done).toBe(true);
  });

  it('ends at once when its signal has aborted, and early when it aborts, leaving no timer or listener', async () => {
    await realSleep(60_000, AbortSignal.abort());
    expect(vi.getTimerCount()).toBe(0);
    const controller = new AbortController();
    let done = false;
    const sleeping = realSleep(60_000, controller.signal).then(() => {
      done = true;
    });
    await vi.advanceTimersByTimeAsync(10);
    expect(done).toBe(false);
    controller.abort();
    await sleeping;
    expect(vi.getTimerCount()).toBe(0);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
  });

  it('leaves no listener on a signal shared by many sleeps that ran to the end', async () => {
    const controller = new AbortController();
    for (let i = 0; i < 20; i += 1) {
      const sleeping = realSleep(100, controller.signal);
      await vi.advanceTimersByTimeAsync(100);
      await sleeping;
    }
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('sleeps no time for a negative duration', async () => {
    const sleeping = realSleep(-5);
    await vi.advanceTimersByTimeAsync(0);
    await expect(sleeping).resolves.toBeUndefined();
  });
});

describe('Object: realClock', () => {
  it('reads wall time, draws in [0, 1) and sleeps and times with the real functions', async () => {
    vi.setSystemTime(Date.UTC(2025, 5, 1));
    expect(realClock.now()).toBe(Date.UTC(2025, 5, 1));
    const draw = realClock.random();
    expect(draw).toBeGreaterThanOrEqual(0);
    expect(draw).toBeLessThan(1);
    const timer = realClock.timer(10);
    await vi.advanceTimersByTimeAsync(10);
    expect(timer.signal.aborted).toBe(true);
    const sleeping = realClock.sleep(10);
    await vi.advanceTimersByTimeAsync(10);
    await expect(sleeping).resolves.toBeUndefined();
  });
});
