// Structured logging (Powertools Logger) with redaction: every `ResponseURL` key is replaced and every
// registered secret (the presigned URL and its signature) is scrubbed from messages, errors and stacks,
// whichever code path produced them.
import { Logger } from '@aws-lambda-powertools/logger';
import { REDACTED } from './cfn/response.js';

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

export function createMirrorLog(logger: Logger = new Logger({ serviceName: SERVICE_NAME })): RedactingLog {
  const secrets = new Set<string>();

  const scrubText = (text: string): string => {
    let out = text;
    for (const secret of secrets) if (secret.length > 0) out = out.split(secret).join(REDACTED);
    return out;
  };

  const scrub = (value: unknown, depth: number): unknown => {
    if (typeof value === 'string') return scrubText(value);
    if (depth > MAX_DEPTH || value === null || typeof value !== 'object') return value;
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
