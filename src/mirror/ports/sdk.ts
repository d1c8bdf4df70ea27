// What every AWS SDK client of the mirror function shares: bounded settings, and the budget's signal per call.
import type { CallContext } from '../core/budget.js';

/**
 * Every SDK client: a bounded connection and request time and few attempts (the SDK defaults wait
 * indefinitely for a silent endpoint). Each call also gets its budget's abortSignal, which bounds the
 * whole call, retries included. `throwOnRequestTimeout`: newer SDKs only warn on a request timeout otherwise (and older
 * ones do not know the setting: the bundle carries the SDK these settings are tested with, scripts/build.ts).
 */
export const SDK_CLIENT_SETTINGS = {
  maxAttempts: 3,
  requestHandler: { connectionTimeout: 3_000, requestTimeout: 10_000, throwOnRequestTimeout: true },
} as const;

/** Settings of a client in `region` (a fresh requestHandler object per client). */
export function clientSettings(region: string) {
  return { region, ...SDK_CLIENT_SETTINGS, requestHandler: { ...SDK_CLIENT_SETTINGS.requestHandler } };
}

/** `send` options of one SDK call: the budget's signal aborts it (retries included). */
export function sendOptions(call: CallContext): { abortSignal: AbortSignal } {
  return { abortSignal: call.signal };
}
