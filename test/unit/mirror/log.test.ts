import { Logger } from '@aws-lambda-powertools/logger';
import { describe, expect, it } from 'vitest';
import { createMirrorLog, redactEvent, SERVICE_NAME } from '../../../src/mirror/log.js';
import { printedLines } from './fixtures/log-lines.js';

/** The lines a fresh mirror log printed while `run` used it. */
function captured(run: (log: ReturnType<typeof createMirrorLog>) => void): Promise<Record<string, unknown>[]> {
  return printedLines(() => run(createMirrorLog(new Logger({ serviceName: SERVICE_NAME, logLevel: 'DEBUG' }))));
}

describe('Function: createMirrorLog', () => {
  const url = 'https://cfn-response.s3.amazonaws.com/arn%3Aaws/req?X-Amz-Credential=AKIA&X-Amz-Signature=0123456789abcdef';

  it('writes structured lines for the mirror service', async () => {
    const [line] = await captured((log) => log.info('hello', { repositoryName: 'r' }));
    expect(line).toMatchObject({ level: 'INFO', message: 'hello', service: 'sysdig-image-fix-mirror', repositoryName: 'r' });
  });

  it('redacts ResponseURL keys and every registered secret, in messages, values, errors and causes', async () => {
    const lines = await captured((log) => {
      log.addSecret(url);
      log.warn(`failed to PUT ${url}`, {
        event: { ResponseURL: url, nested: [{ ResponseURL: 'anything' }] },
        note: `query was ${new URL(url).search.slice(1)}`,
        error: new Error(`request to ${url} failed`, { cause: new Error(`again ${url}`) }),
      });
    });
    const text = JSON.stringify(lines);
    expect(text).not.toContain('0123456789abcdef');
    expect(text).not.toContain('anything');
    expect(lines[0]).toMatchObject({
      message: 'failed to PUT [redacted]',
      event: { ResponseURL: '[redacted]', nested: [{ ResponseURL: '[redacted]' }] },
      note: 'query was [redacted]',
      error: { name: 'Error', message: 'request to [redacted] failed', cause: { message: 'again [redacted]' } },
    });
  });
});

describe('Function: redactEvent', () => {
  it('replaces every ResponseURL, however deep, without touching the original', () => {
    const event = {
      ResponseURL: 'https://secret',
      sysdigImageFixContinuation: { request: { ResponseURL: 'https://secret2', RequestId: 'r' } },
      list: [{ ResponseURL: 'x' }],
    };
    const redacted = redactEvent(event);
    expect(JSON.stringify(redacted)).not.toMatch(/secret|"x"/);
    expect(redacted).toEqual({
      ResponseURL: '[redacted]',
      sysdigImageFixContinuation: { request: { ResponseURL: '[redacted]', RequestId: 'r' } },
      list: [{ ResponseURL: '[redacted]' }],
    });
    expect(event.ResponseURL).toBe('https://secret');
  });
});
