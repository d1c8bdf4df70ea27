// The answer to CloudFormation: the response body (at most 4096 bytes: the Reason is cut, never Data),
// the placeholder physical id of a failed Create, and the PUT with retries (ResponseURL redaction for
// logs is log.ts's). The presigned ResponseURL lets anyone holding it answer for the resource: it is only ever
// passed to putResponse and never logged.
import { createHash } from 'node:crypto';
import { exponentialBackoffMs } from '../core/timing.js';
import type { MirrorLog } from '../log.js';
import type { ResponsePorts, ClockPorts } from '../ports/types.js';

export type ResponseStatus = 'SUCCESS' | 'FAILED';

/** A Reason with an elastic middle: `details` lose their oldest lines first when the body is too large. */
export interface ReasonParts {
  readonly summary: string;
  readonly detailsHeading?: string;
  readonly details?: readonly string[];
  readonly trailer?: string;
}

export type Reason = string | ReasonParts;

/** The request fields every answer echoes. */
export interface AnswerTarget {
  readonly ResponseURL: string;
  readonly StackId: string;
  readonly RequestId: string;
  readonly LogicalResourceId: string;
}

export interface Answer {
  readonly status: ResponseStatus;
  readonly physicalResourceId: string;
  readonly reason: Reason;
  readonly data?: Readonly<Record<string, string>>;
}

export const MAX_RESPONSE_BYTES = 4096;
/** One very long log line must not push every other line out. */
const MAX_DETAIL_LINE = 400;
const FAILED_PHYSICAL_ID_PREFIX = 'sysdig-image-fix-failed-';

/**
 * Physical id of a Create that failed: stable per request and recognisable, so the rollback Delete
 * that CloudFormation sends for it is answered SUCCESS without touching anything.
 */
export function placeholderPhysicalId(requestId: string): string {
  return `${FAILED_PHYSICAL_ID_PREFIX}${createHash('sha256').update(requestId).digest('hex').slice(0, 16)}`;
}

export function isPlaceholderPhysicalId(physicalId: string): boolean {
  return physicalId.startsWith(FAILED_PHYSICAL_ID_PREFIX);
}

function byteLength(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}

function cutLine(line: string, max: number): string {
  const chars = Array.from(line);
  return chars.length > max ? `${chars.slice(0, max - 1).join('')}…` : line;
}

/** The longest prefix of `text` (whole code points, "…" appended when cut) for which `fits` holds. */
function cutToFit(text: string, fits: (candidate: string) => boolean): string {
  if (fits(text)) return text;
  const chars = Array.from(text);
  let low = 0;
  let high = chars.length;
  while (low < high) {
    const mid = Math.ceil((low + high) / 2);
    if (fits(`${chars.slice(0, mid).join('')}…`)) low = mid;
    else high = mid - 1;
  }
  return low === 0 ? (fits('…') ? '…' : '') : `${chars.slice(0, low).join('')}…`;
}

function renderReason(parts: ReasonParts, keepDetails: number): string {
  const details = (parts.details ?? []).map((line) => cutLine(line.replace(/\s+$/, ''), MAX_DETAIL_LINE));
  const kept = keepDetails > 0 ? details.slice(-keepDetails) : [];
  const omitted = details.length - kept.length;
  const lines = [parts.summary];
  if (details.length > 0) {
    if (parts.detailsHeading !== undefined && kept.length > 0) lines.push(parts.detailsHeading);
    if (omitted > 0) lines.push(`(${omitted} ${kept.length > 0 ? 'earlier ' : ''}log line${omitted === 1 ? '' : 's'} omitted to fit the response size limit)`);
    lines.push(...kept);
  }
  if (parts.trailer !== undefined) lines.push(parts.trailer);
  return lines.join('\n');
}

function serialise(target: AnswerTarget, answer: Answer, reason: string): string {
  return JSON.stringify({
    Status: answer.status,
    Reason: reason,
    PhysicalResourceId: answer.physicalResourceId,
    StackId: target.StackId,
    RequestId: target.RequestId,
    LogicalResourceId: target.LogicalResourceId,
    NoEcho: false,
    Data: answer.data ?? {},
  });
}

/**
 * The response body, at most 4096 bytes when Data allows it: log lines are dropped oldest first, then
 * the rest of the Reason is cut from the end. Data is never cut (CloudFormation attributes must be whole).
 */
export function responseBody(target: AnswerTarget, answer: Answer): string {
  const fits = (reason: string): boolean => byteLength(serialise(target, answer, reason)) <= MAX_RESPONSE_BYTES;
  const parts: ReasonParts = typeof answer.reason === 'string' ? { summary: answer.reason } : answer.reason;
  const detailCount = parts.details?.length ?? 0;
  for (let keep = detailCount; keep >= 0; keep--) {
    const reason = renderReason(parts, keep);
    if (fits(reason)) return serialise(target, answer, reason);
  }
  // Even without log lines it is too long: keep the trailer (the console link) and cut the summary.
  if (parts.trailer !== undefined) {
    const trailer = `\n${parts.trailer}`;
    const omittedNote = renderReason({ summary: '', details: parts.details ?? [] }, 0);
    const summary = cutToFit(parts.summary, (candidate) => fits(`${candidate}${omittedNote}${trailer}`));
    const reason = `${summary}${omittedNote}${trailer}`;
    if (fits(reason)) return serialise(target, answer, reason);
  }
  return serialise(target, answer, cutToFit(renderReason(parts, 0), fits));
}

export interface SendOptions {
  readonly attempts?: number;
  readonly baseDelayMs?: number;
  /** One PUT attempt takes at most this long. */
  readonly attemptTimeoutMs?: number;
}

/** Time kept after the last attempt, for the handler to return before Lambda's timeout. */
export const RETURN_MARGIN_MS = 1_000;
/** An attempt given less than this is not made. */
const MIN_ATTEMPT_MS = 250;

/**
 * PUTs the body to the ResponseURL, retrying with exponential backoff (1 s, 2 s, 4 s, ...), every attempt
 * and pause within the time the invocation has left (`remainingTimeMs`). Returns whether CloudFormation
 * accepted it; never throws.
 */
export async function sendResponse(
  ports: ResponsePorts & Pick<ClockPorts, 'sleep'>,
  url: string,
  body: string,
  log: MirrorLog,
  remainingTimeMs: () => number,
  options: SendOptions = {},
): Promise<boolean> {
  const attempts = options.attempts ?? 5;
  const baseDelayMs = options.baseDelayMs ?? 1_000;
  const attemptTimeoutMs = options.attemptTimeoutMs ?? 10_000;
  const left = (): number => remainingTimeMs() - RETURN_MARGIN_MS;
  for (let attempt = 1; attempt <= attempts; attempt++) {
    const timeoutMs = Math.min(attemptTimeoutMs, left());
    if (timeoutMs < MIN_ATTEMPT_MS) {
      log.error('no time left to answer CloudFormation (again); the stack operation will wait for its ServiceTimeout', { attempt });
      return false;
    }
    try {
      await ports.putResponse(url, body, timeoutMs);
      log.info('answered CloudFormation', { attempt, bytes: byteLength(body) });
      return true;
    } catch (error) {
      log.warn('the response PUT failed', { attempt, attempts, error });
      // The pause only when an attempt still fits after it.
      const delay = Math.min(exponentialBackoffMs(attempt, baseDelayMs), left() - MIN_ATTEMPT_MS);
      if (attempt < attempts && delay > 0) await ports.sleep(delay);
    }
  }
  log.error('gave up answering CloudFormation; the stack operation will wait for its ServiceTimeout', { attempts });
  return false;
}
