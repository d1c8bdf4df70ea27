// What the redacting log and the SecretRedactor promise beyond the common case (log.test.ts): which values count as
// secrets, that a secret inside a longer one goes whole, and that no shape of logged value (deep nesting, an error
// without a stack, a list) lets a registered secret through or loses the line.
import { Logger } from '@aws-lambda-powertools/logger';
import { describe, expect, it, vi } from 'vitest';
import { createMirrorLog, type RedactingLog, redactEvent, SecretRedactor, SERVICE_NAME, TOO_DEEP } from '../../../src/mirror/log.js';
import { printedLines } from './fixtures/log-lines.js';

const URL_WITH_QUERY = 'https://cfn-response.s3.amazonaws.com/arn%3Aaws/req?X-Amz-Credential=AKIA&X-Amz-Signature=fedcba9876543210';

/** The lines a mirror log over `logger` printed while `run` used it. */
function printed(run: (log: RedactingLog) => void, logger = new Logger({ serviceName: SERVICE_NAME, logLevel: 'DEBUG' })): Promise<Record<string, unknown>[]> {
  return printedLines(() => run(createMirrorLog(logger)));
}

/** `{ inner: { inner: ... value } }`, `levels` objects deep. */
function nested(levels: number, value: unknown): unknown {
  let result = value;
  for (let i = 0; i < levels; i++) result = { inner: result };
  return result;
}

describe('Class: SecretRedactor', () => {
  it('replaces secrets of six characters or more with *** and leaves shorter values alone', () => {
    const redactor = new SecretRedactor();
    redactor.add('12345', '123456');
    expect(redactor.redact('a 12345 b')).toBe('a 12345 b');
    expect(redactor.redact('a 123456 b 123456')).toBe('a *** b ***');
  });

  it('removes a secret that contains a shorter one whole, whichever was added first', () => {
    for (const order of [
      ['secret', 'secret-token'],
      ['secret-token', 'secret'],
    ]) {
      const redactor = new SecretRedactor('[x]');
      redactor.add(...order);
      expect(redactor.redact('Bearer secret-token; user secret')).toBe('Bearer [x]; user [x]');
    }
  });
});

describe('Function: createMirrorLog (shapes of logged values)', () => {
  it('writes each level at its own level', async () => {
    const lines = await printed((log) => {
      log.debug('d');
      log.info('i');
      log.warn('w');
      log.error('e');
    });
    expect(lines.map((line) => [line.level, line.message])).toEqual([
      ['DEBUG', 'd'],
      ['INFO', 'i'],
      ['WARN', 'w'],
      ['ERROR', 'e'],
    ]);
  });

  it('redacts a whole registered value that is no URL, and a URL and its query string each on their own', async () => {
    const [line] = await printed((log) => {
      log.addSecret('opaque-token-value');
      log.addSecret(URL_WITH_QUERY);
      log.info('seen opaque-token-value', { url: URL_WITH_QUERY, query: `q=${new URL(URL_WITH_QUERY).search.slice(1)}` });
    });
    expect(line).toMatchObject({ message: 'seen [redacted]', url: '[redacted]', query: 'q=[redacted]' });
  });

  it('keeps lists as lists, scrubs their items, and logs null and numbers as they are', async () => {
    const [line] = await printed((log) => {
      log.addSecret(URL_WITH_QUERY);
      log.info('list', { items: ['plain', URL_WITH_QUERY, { ResponseURL: 'x' }, null, 3] });
    });
    expect(line).toMatchObject({ items: ['plain', '[redacted]', { ResponseURL: '[redacted]' }, null, 3] });
  });

  it('scrubs values eight levels deep and replaces anything deeper, so no secret passes unscrubbed', async () => {
    const [line] = await printed((log) => {
      log.addSecret(URL_WITH_QUERY);
      log.info('deep', { shallow: nested(7, { url: URL_WITH_QUERY }), deep: nested(8, { url: URL_WITH_QUERY }) });
    });
    expect(JSON.stringify(line)).not.toContain('fedcba9876543210');
    // extra (depth 0) -> shallow (1) -> 7 levels (8) -> { url }: the string itself is scrubbed at any depth.
    expect(line!.shallow).toEqual(nested(7, { url: '[redacted]' }));
    // One level more: the object at depth 9 is not walked, and not printed either.
    expect(line!.deep).toEqual(nested(8, TOO_DEEP));
  });

  it('logs an error without a stack (and its cause that is no error) instead of dropping the line', async () => {
    const error = new Error(`PUT ${URL_WITH_QUERY} failed`, { cause: { status: 403, url: URL_WITH_QUERY } });
    delete error.stack;
    const lines = await printed((log) => {
      log.addSecret(URL_WITH_QUERY);
      log.error('answering failed', { error });
    });
    expect(lines).toHaveLength(1);
    expect(lines[0]!.error).toEqual({ name: 'Error', message: 'PUT [redacted] failed', cause: { status: 403, url: '[redacted]' } });
  });

  it('logs the stack of an error, scrubbed', async () => {
    const error = new Error(`PUT ${URL_WITH_QUERY} failed`);
    const [line] = await printed((log) => {
      log.addSecret(URL_WITH_QUERY);
      log.error('answering failed', { error });
    });
    const stack = (line!.error as { stack?: unknown }).stack;
    expect(typeof stack).toBe('string');
    expect(stack).toContain('Error: PUT [redacted] failed');
    expect(stack).toContain('log-redaction.test.ts');
  });

  it('logs values that refer to themselves (an error its own cause, a cycle, a list holding itself), cut at the depth limit', async () => {
    const error = new Error('loops');
    (error as { cause?: unknown }).cause = error;
    const cycle: Record<string, unknown> = { name: 'a' };
    cycle.self = cycle;
    const list: unknown[] = ['x'];
    list.push(list);
    const lines = await printed((log) => log.error('cyclic', { error, cycle, list }));
    expect(lines).toHaveLength(1);
    expect(JSON.stringify(lines[0])).toContain(TOO_DEEP);
  });

  it('never throws when the logger does: answering CloudFormation goes on', async () => {
    const throwing = new Logger({ serviceName: SERVICE_NAME, logLevel: 'DEBUG' });
    for (const level of ['debug', 'info', 'warn', 'error'] as const) {
      vi.spyOn(throwing, level).mockImplementation(() => {
        throw new Error('stdout closed');
      });
    }
    await expect(
      printed((log) => {
        log.debug('d');
        log.info('i', { a: 1 });
        log.warn('w');
        log.error('e', { error: new Error('x') });
      }, throwing),
    ).resolves.toEqual([]);
  });
});

describe('Function: createMirrorLog (default logger)', () => {
  it("logs as the mirror function's service", async () => {
    const [line] = await printedLines(() => createMirrorLog().info('hello'));
    expect(line).toMatchObject({ level: 'INFO', message: 'hello', service: SERVICE_NAME });
  });
});

describe('Function: redactEvent (values that are not objects)', () => {
  it('returns scalars and null as they are, and maps lists item by item', () => {
    expect(redactEvent(null)).toBeNull();
    expect(redactEvent('https://secret')).toBe('https://secret');
    expect(redactEvent(42)).toBe(42);
    expect(redactEvent([{ ResponseURL: 'u' }, 'x', null])).toEqual([{ ResponseURL: '[redacted]' }, 'x', null]);
  });
});
