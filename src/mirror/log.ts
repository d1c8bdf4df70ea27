// Structured logging (Powertools Logger) with redaction, and every redaction of the mirror function: in the
// log every `ResponseURL` key is replaced and every registered secret (the presigned URL and its signature)
// is scrubbed from messages, errors and stacks, whichever code path produced them; the registry client
// scrubs passwords and tokens from the registry's own words with the same SecretRedactor.
import { Logger } from '@aws-lambda-powertools/logger';

export const REDACTED = '[redacted]';

/**
 * Values that must never appear in a text: passwords, Basic header values, bearer tokens, the presigned
 * ResponseURL. A registry may echo a request header in its error text; everything shown from it passes `redact`.
 */
export class SecretRedactor {
  private readonly secrets = new Set<string>();

  constructor(
    /** What a secret is replaced with. */
    private readonly marker = '***',
    /** Shorter values are not redacted: they would blank out ordinary words. */
    private readonly minLength = 6,
  ) {}

  add(...values: string[]): void {
    for (const value of values) if (value.length >= this.minLength) this.secrets.add(value);
  }

  redact(text: string): string {
    let result = text;
    // Longest first, so a token that contains a shorter secret is removed whole.
    for (const secret of [...this.secrets].sort((a, b) => b.length - a.length)) result = result.split(secret).join(this.marker);
    return result;
  }
}

/** A deep copy of an event with every `ResponseURL` replaced, for logging. */
export function redactEvent(event: unknown): unknown {
  if (Array.isArray(event)) return event.map(redactEvent);
  if (event === null || typeof event !== 'object') return event;
  return Object.fromEntries(Object.entries(event as Record<string, unknown>).map(([key, value]) => [key, key === 'ResponseURL' ? REDACTED : redactEvent(value)]));
}

export const SERVICE_NAME = 'sysdig-image-fix-mirror';

export type LogExtra = Record<string, unknown>;

export interface MirrorLog {
  debug(message: string, extra?: LogExtra): void;
  info(message: string, extra?: LogExtra): void;
  warn(message: string, extra?: LogExtra): void;
  error(message: string, extra?: LogExtra): void;
}

export interface RedactingLog extends MirrorLog {
  /** Never print this value (nor, for a URL, its query string) again. */
  addSecret(secret: string): void;
}

const MAX_DEPTH = 8;
/** What a value nested deeper than MAX_DEPTH is logged as: its strings could not be scrubbed. */
export const TOO_DEEP = '[nested too deep]';

export function createMirrorLog(logger: Logger = new Logger({ serviceName: SERVICE_NAME })): RedactingLog {
  // Any secret of at least one character: the log only ever holds the ResponseURL and its query string.
  const secrets = new SecretRedactor(REDACTED, 1);
  const scrubText = (text: string): string => secrets.redact(text);

  const scrub = (value: unknown, depth: number): unknown => {
    if (typeof value === 'string') return scrubText(value);
    if (value === null || typeof value !== 'object') return value;
    if (depth > MAX_DEPTH) return TOO_DEEP;
    if (value instanceof Error) {
      const cause = (value as { cause?: unknown }).cause;
      return {
        name: value.name,
        message: scrubText(value.message),
        ...(value.stack !== undefined ? { stack: scrubText(value.stack) } : {}),
        ...(cause !== undefined ? { cause: scrub(cause, depth + 1) } : {}),
      };
    }
    if (Array.isArray(value)) return value.map((item) => scrub(item, depth + 1));
    return Object.fromEntries(Object.entries(value as Record<string, unknown>).map(([key, item]) => [key, key === 'ResponseURL' ? REDACTED : scrub(item, depth + 1)]));
  };

  const emit = (level: 'debug' | 'info' | 'warn' | 'error') => (message: string, extra?: LogExtra) => {
    try {
      const text = scrubText(message);
      if (extra === undefined) logger[level](text);
      else logger[level](text, scrub(extra, 0) as LogExtra);
    } catch {
      // Logging must never break answering CloudFormation.
    }
  };

  return {
    debug: emit('debug'),
    info: emit('info'),
    warn: emit('warn'),
    error: emit('error'),
    addSecret(secret: string): void {
      secrets.add(secret);
      try {
        const url = new URL(secret);
        if (url.search.length > 1) secrets.add(url.search.slice(1));
      } catch {
        // Not a URL: the whole value is enough.
      }
    },
  };
}
