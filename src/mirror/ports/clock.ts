// The real clock of the ports: wall time, real timers and sleeps. Tests pass a virtual clock instead.
import type { Timer } from '../core/budget.js';
import type { ClockPorts } from './types.js';

export const realClock: ClockPorts = {
  now: () => Date.now(),
  sleep: realSleep,
  random: () => Math.random(),
  timer: realTimer,
};

/** A real timer (setTimeout), unref'd so that a forgotten one never keeps a process alive. */
export function realTimer(ms: number): Timer {
  const controller = new AbortController();
  const handle = setTimeout(() => controller.abort(new Error(`timed out after ${ms} ms`)), Math.max(0, ms));
  handle.unref?.();
  return { signal: controller.signal, cancel: () => clearTimeout(handle) };
}

/** Sleeps `ms`, or less when `signal` aborts first. */
export function realSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) {
      resolve();
      return;
    }
    const done = (): void => {
      clearTimeout(handle);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const handle = setTimeout(done, Math.max(0, ms));
    signal?.addEventListener('abort', done, { once: true });
  });
}
