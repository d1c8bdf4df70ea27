// A CallContext for exercising one port call outside any invocation budget: a signal that aborts only when
// the test says so, and time that never runs out.
import type { CallContext } from '../../src/mirror/core/budget.js';

export function unboundedCall(): CallContext & { abort(): void } {
  const controller = new AbortController();
  return { signal: controller.signal, remainingMs: () => Number.POSITIVE_INFINITY, abort: () => controller.abort() };
}

/** A CallContext that aborts after `ms` of real time (for calls that cross a real socket). */
export function callWithin(ms: number): CallContext {
  const end = Date.now() + ms;
  return { signal: AbortSignal.timeout(ms), remainingMs: () => end - Date.now() };
}
