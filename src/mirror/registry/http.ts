// One HTTP exchange with a registry: per-request timeout, bounded retries with backoff for 5xx, 429 and
// network failures (never for other 4xx), redirects followed by hand so that an Authorization header
// never travels to another origin (registries redirect blobs to CDNs and object stores), and bodies
// read with a size cap. Every hop first passes the address guard (no loopback, link-local or Runtime API
// unless mapped) and connects only to the addresses it approved (connect.ts), and the whole exchange,
// retries and backoff included, stays within the caller's CallContext. Knows nothing about images; the
// client maps TransportError to typed errors.
import { MIN_CALL_MS, type CallContext, type Timer } from '../core/budget.js';
import { exponentialBackoffMs } from '../core/timing.js';
import { realSleep, realTimer } from '../ports/clock.js';
import { type Connector, openExchange, raceSignal } from './connect.js';
import { TransportError } from './errors.js';
import { HopTimer } from './hop-timer.js';
import type { AddressGuard } from './guard.js';

/** The clock the transport times hops and backoff with (the ports' clock; virtual in tests). */
export interface TransportClock {
  now(): number;
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
  timer(ms: number): Timer;
}

export const REAL_TRANSPORT_CLOCK: TransportClock = { now: () => Date.now(), sleep: realSleep, timer: realTimer };

export interface TransportOptions {
  /** Sends one request to an approved address (connect.ts: createPinnedConnector; a scripted fetch in tests). */
  readonly connector: Connector;
  readonly timeoutMs: number;
  /** Total tries per exchange, including the first. */
  readonly maxAttempts: number;
  /** Backoff before retry n is `retryDelayMs * 2^(n-1)`, capped at MAX_BACKOFF_MS. */
  readonly retryDelayMs: number;
  readonly clock?: TransportClock;
  readonly guard: AddressGuard;
}

export type HttpMethod = 'GET' | 'HEAD' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';

export interface HttpRequest {
  readonly method: HttpMethod;
  readonly url: string;
  /** Lower-case header names. */
  readonly headers: Readonly<Record<string, string>>;
  /** Larger successful bodies fail with `too-large`; error bodies are cut to this size instead. */
  readonly maxBytes: number;
  /** Sent as it is. A stream can be sent only once: such a request is neither retried nor redirected. */
  readonly body?: Uint8Array | AsyncIterable<Uint8Array>;
  /** A successful (2xx) answer's body is handed over unread as `stream` (an error's body is read as usual). */
  readonly stream?: boolean;
}

export interface HttpResponse {
  readonly status: number;
  readonly headers: Headers;
  readonly body: Uint8Array;
  /** The URL that finally answered (after redirects). */
  readonly url: string;
  readonly attempts: number;
  /** With `stream`, a 2xx answer's body, unread: the caller reads or cancels it; only the call's signal bounds it. */
  readonly stream?: ReadableStream<Uint8Array> | null;
}

/**
 * A request sent once only: a streamed body cannot be sent again, and a PATCH appends to an upload (sent twice, the
 * blob would hold its bytes twice). Never retried, never redirected.
 */
function sentOnce(request: HttpRequest): boolean {
  return request.method === 'PATCH' || (request.body !== undefined && !(request.body instanceof Uint8Array));
}

const MAX_REDIRECTS = 5;
const MAX_BACKOFF_MS = 5_000;
/** A Retry-After longer than this is not waited out here: the caller gets a rate-limit error with it instead. */
const MAX_RETRY_AFTER_MS = 10_000;
const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);
const RETRYABLE_STATUSES = new Set([429, 500, 502, 503, 504]);

const NETWORK_CODES: Readonly<Record<string, string>> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  ENOTFOUND: 'host name not found (DNS)',
  EAI_AGAIN: 'DNS lookup failed temporarily',
  ETIMEDOUT: 'connection timed out',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  EPIPE: 'connection closed while sending',
  UND_ERR_SOCKET: 'connection closed unexpectedly',
  UND_ERR_CONNECT_TIMEOUT: 'connection timed out',
  UND_ERR_HEADERS_TIMEOUT: 'no response headers in time',
  UND_ERR_BODY_TIMEOUT: 'response body stalled',
};

function errorCode(error: unknown): string | undefined {
  // fetch wraps the socket error in `cause`; "localhost" may yield an AggregateError of per-address errors.
  for (let current: unknown = error, depth = 0; current !== undefined && current !== null && depth < 4; depth++) {
    const record = current as { code?: unknown; errors?: unknown; cause?: unknown };
    if (typeof record.code === 'string') return record.code;
    if (Array.isArray(record.errors) && record.errors.length > 0) return errorCode(record.errors[0]);
    current = record.cause;
  }
  return undefined;
}

/** What went wrong on the wire, in words, with the system code: never the request headers. */
export function describeNetworkError(error: unknown): string {
  const code = errorCode(error);
  if (code !== undefined) {
    const text = NETWORK_CODES[code] ?? (/CERT|TLS|SSL/.test(code) ? 'TLS certificate problem' : 'network error');
    return `${text} (${code})`;
  }
  const cause = (error as { cause?: unknown }).cause;
  const message = cause instanceof Error ? cause.message : error instanceof Error ? error.message : String(error);
  return `network error (${message.slice(0, 200)})`;
}

/** Seconds of a `Retry-After` header (delta-seconds or an HTTP date), or undefined. */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (value === null) return undefined;
  const trimmed = value.trim();
  if (/^[0-9]+$/.test(trimmed)) return Number(trimmed);
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? undefined : Math.max(0, Math.ceil((date - now) / 1000));
}

async function readBody(response: Response, maxBytes: number, url: string): Promise<Uint8Array> {
  const cutInsteadOfFailing = !response.ok;
  const declared = Number(response.headers.get('content-length') ?? Number.NaN);
  if (!cutInsteadOfFailing && Number.isFinite(declared) && declared > maxBytes) {
    await response.body?.cancel().catch(() => undefined);
    throw new TransportError('too-large', url, `the response is ${declared} bytes; the limit is ${maxBytes}`, 1);
  }
  if (response.body === null) return new Uint8Array();
  const chunks: Uint8Array[] = [];
  let total = 0;
  const reader = response.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    chunks.push(value);
    if (total > maxBytes) {
      await reader.cancel().catch(() => undefined);
      if (cutInsteadOfFailing) break;
      throw new TransportError('too-large', url, `the response is larger than the limit of ${maxBytes} bytes`, 1);
    }
  }
  const body = new Uint8Array(Math.min(total, maxBytes));
  let offset = 0;
  for (const chunk of chunks) {
    const part = chunk.subarray(0, body.byteLength - offset);
    body.set(part, offset);
    offset += part.byteLength;
    if (offset >= body.byteLength) break;
  }
  return body;
}

/** Where a redirect leads; a Location that is no URL is the registry's fault (never a TypeError). */
function nextUrl(location: string, from: URL): URL {
  try {
    return new URL(location, from);
  } catch {
    throw new TransportError('redirect', from.href, 'redirect to a location that is not a URL', 1);
  }
}

/** A call context without limits, for callers outside any budget (tests, tools). */
const UNBOUNDED: CallContext = { signal: new AbortController().signal, remainingMs: () => Number.POSITIVE_INFINITY };

export class Transport {
  private readonly clock: TransportClock;

  constructor(private readonly options: TransportOptions) {
    this.clock = options.clock ?? REAL_TRANSPORT_CLOCK;
  }

  /**
   * Sends the request, retrying 5xx, 429 and network failures while `call` has time for another try and its
   * backoff; returns whatever status finally came back.
   */
  async send(request: HttpRequest, call: CallContext = UNBOUNDED): Promise<HttpResponse> {
    for (let attempt = 1; ; attempt++) {
      const last = attempt >= this.options.maxAttempts || sentOnce(request);
      let response: Omit<HttpResponse, 'attempts'>;
      try {
        response = await this.follow(request, call);
      } catch (error) {
        if (error instanceof TransportError) {
          error.attempts = attempt;
          if (!last && (error.kind === 'timeout' || error.kind === 'network') && (await this.pause(this.backoff(attempt), call))) continue;
        }
        throw error;
      }
      if (!last && RETRYABLE_STATUSES.has(response.status)) {
        const retryAfter = response.status === 429 ? parseRetryAfter(response.headers.get('retry-after')) : undefined;
        if (
          (retryAfter === undefined || retryAfter * 1000 <= MAX_RETRY_AFTER_MS) &&
          (await this.pause(retryAfter !== undefined ? retryAfter * 1000 : this.backoff(attempt), call))
        ) {
          continue;
        }
      }
      return { ...response, attempts: attempt };
    }
  }

  /** Waits before a retry; false (without waiting) when the retry would not fit in the call's time. */
  private async pause(ms: number, call: CallContext): Promise<boolean> {
    if (call.signal.aborted || call.remainingMs() - ms < MIN_CALL_MS) return false;
    await this.clock.sleep(ms, call.signal);
    return !call.signal.aborted;
  }

  private backoff(attempt: number): number {
    return exponentialBackoffMs(attempt, this.options.retryDelayMs, MAX_BACKOFF_MS);
  }

  /**
   * One try: the request and its redirects, each hop with its own timeout (at most what the call has left)
   * covering the address check and the body too.
   */
  private async follow(request: HttpRequest, call: CallContext): Promise<Omit<HttpResponse, 'attempts'>> {
    let url = new URL(request.url);
    let headers: Record<string, string> = { ...request.headers };
    for (let hop = 0; ; hop++) {
      const left = call.remainingMs();
      if (left < MIN_CALL_MS || call.signal.aborted) {
        throw new TransportError('timeout', url.href, 'no time left for this request', 1);
      }
      // When the call has less time left than a hop may take, the call's own deadline cuts the hop off: a second
      // timer for the same instant would race it and name the wrong cause.
      const hopMs = this.options.timeoutMs;
      const timer = hopMs < left ? new HopTimer(this.clock, hopMs) : undefined;
      const body = timer === undefined ? request.body : timer.startAfter(request.body);
      const signal = timer === undefined ? call.signal : AbortSignal.any([timer.signal, call.signal]);
      const failure = (error: unknown): TransportError =>
        signal.aborted
          ? new TransportError('timeout', url.href, timer?.signal.aborted ? `no answer within ${hopMs} ms` : 'no time left for this request', 1, { cause: error })
          : new TransportError('network', url.href, describeNetworkError(error), 1, { cause: error });
      try {
        let response: Response;
        try {
          const exchange = openExchange(
            url,
            { method: request.method, headers, signal, ...(body !== undefined ? { body } : {}) },
            this.options.guard,
            this.options.connector,
          );
          response = await raceSignal(exchange, signal, () => failure(signal.reason));
        } catch (error) {
          throw error instanceof TransportError ? error : failure(error);
        }
        const location = response.headers.get('location');
        if (REDIRECT_STATUSES.has(response.status) && location !== null) {
          await response.body?.cancel().catch(() => undefined);
          if (hop >= MAX_REDIRECTS) throw new TransportError('redirect', url.href, `more than ${MAX_REDIRECTS} redirects`, 1);
          if (sentOnce(request)) throw new TransportError('redirect', url.href, 'an upload was redirected; its streamed body cannot be sent again', 1);
          const next = nextUrl(location, url);
          if (next.protocol !== 'https:' && next.protocol !== 'http:') {
            throw new TransportError('redirect', url.href, `redirect to an unsupported "${next.protocol}" URL`, 1);
          }
          if (url.protocol === 'https:' && next.protocol === 'http:') {
            throw new TransportError('redirect', url.href, `redirect from HTTPS to plain HTTP (${next.origin}) refused`, 1);
          }
          // Credentials are for the registry only: a blob store on another origin must never see them.
          if (next.origin !== url.origin) {
            const { authorization: _dropped, ...rest } = headers;
            headers = rest;
          }
          url = next;
          continue;
        }
        if (request.stream === true && response.ok) {
          return { status: response.status, headers: response.headers, body: new Uint8Array(), url: url.href, stream: response.body };
        }
        try {
          const body = request.method === 'HEAD' ? new Uint8Array() : await raceSignal(readBody(response, request.maxBytes, url.href), signal, () => failure(signal.reason));
          return { status: response.status, headers: response.headers, body, url: url.href };
        } catch (error) {
          throw error instanceof TransportError ? error : failure(error);
        }
      } finally {
        timer?.cancel();
      }
    }
  }
}
