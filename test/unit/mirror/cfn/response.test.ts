import { describe, expect, it } from 'vitest';
import {
  isPlaceholderPhysicalId,
  MAX_RESPONSE_BYTES,
  placeholderPhysicalId,
  responseBody,
  sendResponse,
  type Answer,
  type AnswerTarget,
} from '../../../../src/mirror/cfn/response.js';
import type { LogExtra, MirrorLog } from '../../../../src/mirror/log.js';
import { VirtualClock } from '../fixtures/harness.js';

const target: AnswerTarget = {
  ResponseURL: 'https://cloudformation-custom-resource-response.s3.amazonaws.com/x?X-Amz-Signature=abc',
  StackId: 'arn:aws:cloudformation:eu-west-1:123456789012:stack/app/1',
  RequestId: 'req-1',
  LogicalResourceId: 'ImageMirror1a2b3c4d',
};

const silentLog: MirrorLog = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };

function bytes(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}

describe('Function: responseBody', () => {
  it('has exactly the fields CloudFormation reads, with NoEcho false and Data as given', () => {
    const answer: Answer = { status: 'SUCCESS', physicalResourceId: 'pid', reason: 'ok', data: { ImageUri: 'u' } };
    expect(JSON.parse(responseBody(target, answer))).toEqual({
      Status: 'SUCCESS',
      Reason: 'ok',
      PhysicalResourceId: 'pid',
      StackId: target.StackId,
      RequestId: 'req-1',
      LogicalResourceId: 'ImageMirror1a2b3c4d',
      NoEcho: false,
      Data: { ImageUri: 'u' },
    });
    expect(responseBody(target, answer)).not.toContain('X-Amz-Signature');
  });

  it('cuts a long Reason to fit 4096 bytes and never cuts Data', () => {
    const data = { ImageUri: 'x'.repeat(1500), SourceImage: 'y'.repeat(1500) };
    const body = responseBody(target, { status: 'FAILED', physicalResourceId: 'pid', reason: 'é'.repeat(5000), data });
    expect(bytes(body)).toBeLessThanOrEqual(MAX_RESPONSE_BYTES);
    const parsed = JSON.parse(body);
    expect(parsed.Data).toEqual(data);
    expect(parsed.Reason).toMatch(/^é+…$/);
    // As much of the Reason as fits: one more character would not.
    expect(bytes(body) + bytes('é')).toBeGreaterThan(MAX_RESPONSE_BYTES);
  });

  it('drops the oldest detail lines first and keeps the summary and the trailer', () => {
    const details = Array.from({ length: 100 }, (_, i) => `log line ${i} ${'-'.repeat(60)}`);
    const body = responseBody(target, {
      status: 'FAILED',
      physicalResourceId: 'pid',
      reason: { summary: 'Build b FAILED.', detailsHeading: 'Last build log lines:', details, trailer: 'Build details: https://console/link' },
    });
    expect(bytes(body)).toBeLessThanOrEqual(MAX_RESPONSE_BYTES);
    const reason: string = JSON.parse(body).Reason;
    const lines = reason.split('\n');
    expect(lines[0]).toBe('Build b FAILED.');
    expect(lines[1]).toBe('Last build log lines:');
    expect(lines[2]).toMatch(/^\(\d+ earlier log lines omitted to fit the response size limit\)$/);
    expect(lines.at(-1)).toBe('Build details: https://console/link');
    expect(lines.at(-2)).toContain('log line 99 ');
    expect(reason).not.toContain('log line 0 ');
    const kept = lines.slice(3, -1).map((line) => Number(/^log line (\d+)/.exec(line)![1]));
    expect(kept).toEqual(Array.from({ length: kept.length }, (_, i) => 100 - kept.length + i));
  });

  it('keeps every line when they fit', () => {
    const body = responseBody(target, {
      status: 'FAILED',
      physicalResourceId: 'pid',
      reason: { summary: 's', detailsHeading: 'h', details: ['a', 'b'], trailer: 't' },
    });
    expect(JSON.parse(body).Reason).toBe('s\nh\na\nb\nt');
  });

  it('cuts an oversized summary but keeps the console link trailer', () => {
    const body = responseBody(target, {
      status: 'FAILED',
      physicalResourceId: 'pid',
      reason: { summary: 'S'.repeat(10_000), details: ['x'], trailer: 'Build details: https://console/link' },
    });
    expect(bytes(body)).toBeLessThanOrEqual(MAX_RESPONSE_BYTES);
    const reason: string = JSON.parse(body).Reason;
    expect(reason.endsWith('\nBuild details: https://console/link')).toBe(true);
    expect(reason).toContain('S…');
  });

  it('shortens one very long log line instead of losing all others', () => {
    const body = responseBody(target, {
      status: 'FAILED',
      physicalResourceId: 'pid',
      reason: { summary: 's', details: ['before', 'z'.repeat(5000), 'after'] },
    });
    const reason: string = JSON.parse(body).Reason;
    expect(reason).toContain('before');
    expect(reason).toContain('after');
    expect(reason).toMatch(/z{100,}…/);
  });
});

describe('Function: placeholderPhysicalId', () => {
  it('is stable per request, distinct across requests, recognisable, and does not echo the request id', () => {
    expect(placeholderPhysicalId('a')).toBe(placeholderPhysicalId('a'));
    expect(placeholderPhysicalId('a')).not.toBe(placeholderPhysicalId('b'));
    expect(isPlaceholderPhysicalId(placeholderPhysicalId('request-123'))).toBe(true);
    expect(placeholderPhysicalId('request-123')).not.toContain('request-123');
    expect(isPlaceholderPhysicalId('123456789012.dkr.ecr.eu-west-1.amazonaws.com/r@sha256:00')).toBe(false);
  });
});

describe('Function: sendResponse', () => {
  function ports(failures: number) {
    const sleeps: number[] = [];
    let calls = 0;
    return {
      sleeps,
      calls: () => calls,
      putResponse: async () => {
        calls++;
        if (calls <= failures) throw new Error('HTTP 500');
      },
      sleep: async (ms: number) => {
        sleeps.push(ms);
      },
    };
  }

  it('succeeds after two failures, backing off 1 s then 2 s', async () => {
    const p = ports(2);
    await expect(sendResponse(p, 'https://x', '{}', silentLog, () => 900_000)).resolves.toBe(true);
    expect(p.calls()).toBe(3);
    expect(p.sleeps).toEqual([1_000, 2_000]);
  });

  it('gives up after five attempts and reports it without throwing', async () => {
    const p = ports(99);
    await expect(sendResponse(p, 'https://x', '{}', silentLog, () => 900_000)).resolves.toBe(false);
    expect(p.calls()).toBe(5);
    expect(p.sleeps).toEqual([1_000, 2_000, 4_000, 8_000]);
  });
});

describe('Function: responseBody (which lines are kept when the Reason is cut)', () => {
  const failed = (reason: Answer['reason'], data?: Record<string, string>): Answer => ({ status: 'FAILED', physicalResourceId: 'pid', reason, ...(data ? { data } : {}) });
  const reasonOf = (answer: Answer): string => JSON.parse(responseBody(target, answer)).Reason;

  /** Data that leaves exactly `room` bytes for the Reason. */
  function dataLeaving(room: number): Record<string, string> {
    const emptyReason = bytes(responseBody(target, failed('', { Pad: '' })));
    return { Pad: 'x'.repeat(MAX_RESPONSE_BYTES - emptyReason - room) };
  }

  it('keeps what fits of a Reason when Data leaves almost no room: "S…", then "…", then nothing', () => {
    expect(reasonOf(failed('S'.repeat(50), dataLeaving(4)))).toBe('S…');
    expect(reasonOf(failed('S'.repeat(50), dataLeaving(3)))).toBe('…');
    expect(reasonOf(failed('S'.repeat(50), dataLeaving(2)))).toBe('');
    expect(bytes(responseBody(target, failed('S'.repeat(50), dataLeaving(2))))).toBe(MAX_RESPONSE_BYTES - 2);
  });

  it('writes the lines as given without a heading, trailing whitespace removed', () => {
    expect(reasonOf(failed({ summary: 's', details: ['a  \t', 'b ', 'c'] }))).toBe('s\na\nb\nc');
  });

  it('shortens a log line over 400 characters to 399 and "…", and keeps one of 400 whole', () => {
    const reason = reasonOf(failed({ summary: 's', details: ['x'.repeat(400), '😀'.repeat(401)] }));
    expect(reason).toBe(`s\n${'x'.repeat(400)}\n${'😀'.repeat(399)}…`);
  });

  it('says "1 earlier log line" when it drops exactly one', () => {
    const reason = reasonOf(failed({ summary: 'S'.repeat(3600), detailsHeading: 'Last build log lines:', details: ['o'.repeat(300), 'n'.repeat(50)], trailer: 't' }));
    expect(reason).toBe(`${'S'.repeat(3600)}\nLast build log lines:\n(1 earlier log line omitted to fit the response size limit)\n${'n'.repeat(50)}\nt`);
  });

  it('drops the heading and says how many lines it left out when no log line fits', () => {
    const reason = reasonOf(failed({ summary: 'S'.repeat(3700), detailsHeading: 'Last build log lines:', details: ['o'.repeat(300), 'n'.repeat(300)], trailer: 't' }));
    expect(reason).toBe(`${'S'.repeat(3700)}\n(2 log lines omitted to fit the response size limit)\nt`);
  });

  it('cuts an oversized summary, keeping the note about left-out lines and the trailer whole, to exactly 4096 bytes', () => {
    const trailer = 'Build details: https://console/link';
    const body = responseBody(target, failed({ summary: 'S'.repeat(10_000), details: ['x'], trailer }));
    expect(bytes(body)).toBe(MAX_RESPONSE_BYTES);
    expect(JSON.parse(body).Reason).toMatch(/^S+…\n\(1 log line omitted to fit the response size limit\)\nBuild details: https:\/\/console\/link$/);
    expect(reasonOf(failed({ summary: 'S'.repeat(10_000), trailer }))).toMatch(/^S+…\nBuild details: https:\/\/console\/link$/);
  });

  it('cuts the trailer too when it alone is over the limit, from the end', () => {
    const body = responseBody(target, failed({ summary: 's', details: ['a'], trailer: 'T'.repeat(5000) }));
    expect(bytes(body)).toBe(MAX_RESPONSE_BYTES);
    expect(JSON.parse(body).Reason).toMatch(/^s\n\(1 log line omitted to fit the response size limit\)\nT+…$/);
  });
});

describe('Function: sendResponse (waits on the virtual clock, and what the log says)', () => {
  type Entry = [level: string, message: string, extra: LogExtra | undefined];
  function recordingLog(): MirrorLog & { entries: Entry[] } {
    const entries: Entry[] = [];
    const at = (level: string) => (message: string, extra?: LogExtra) => {
      entries.push([level, message, extra]);
    };
    return { entries, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
  }
  /** A PUT that takes `takesMs` on the clock and fails the first `failures` times. */
  function ports(clock: VirtualClock, failures: number, takesMs = 0) {
    const timeouts: number[] = [];
    return {
      timeouts,
      sleep: (ms: number) => clock.sleep(ms),
      putResponse: async (_url: string, _body: string, timeoutMs: number) => {
        timeouts.push(timeoutMs);
        clock.advance(takesMs);
        if (timeouts.length <= failures) throw new Error('HTTP 500');
      },
    };
  }
  const GIVE_UP = 'gave up answering CloudFormation; the stack operation will wait for its ServiceTimeout';
  const NO_TIME = 'no time left to answer CloudFormation (again); the stack operation will wait for its ServiceTimeout';

  it('logs each failed PUT and the accepted one, with the attempt and the body size', async () => {
    const clock = new VirtualClock();
    const log = recordingLog();
    const body = '{"Status":"SUCCESS"}';
    await expect(sendResponse(ports(clock, 1), 'https://x', body, log, () => 900_000)).resolves.toBe(true);
    expect(log.entries).toEqual([
      ['warn', 'the response PUT failed', { attempt: 1, attempts: 5, error: new Error('HTTP 500') }],
      ['info', 'answered CloudFormation', { attempt: 2, bytes: bytes(body) }],
    ]);
    expect(clock.sleeps).toEqual([1_000]);
  });

  it('logs giving up after the last attempt', async () => {
    const log = recordingLog();
    await expect(sendResponse(ports(new VirtualClock(), 99), 'https://x', '{}', log, () => 900_000, { attempts: 2 })).resolves.toBe(false);
    expect(log.entries.map(([level, message]) => `${level} ${message}`)).toEqual(['warn the response PUT failed', 'warn the response PUT failed', `error ${GIVE_UP}`]);
    expect(log.entries.at(-1)![2]).toEqual({ attempts: 2 });
  });

  it('makes no pause after which no attempt would fit, and logs that no time is left', async () => {
    const clock = new VirtualClock();
    const deadline = clock.now() + 1_500;
    const log = recordingLog();
    const p = ports(clock, 99, 300);
    await expect(sendResponse(p, 'https://x', '{}', log, () => deadline - clock.now())).resolves.toBe(false);
    // 1.5 s left, 1 s kept to return: one attempt of 500 ms; after its 300 ms only 200 ms remain, under 250.
    expect(p.timeouts).toEqual([500]);
    expect(clock.sleeps).toEqual([]);
    expect(log.entries.at(-1)).toEqual(['error', NO_TIME, { attempt: 2 }]);
  });

  it('retries at once, without pausing, while exactly one more short attempt fits', async () => {
    const clock = new VirtualClock();
    const deadline = clock.now() + 1_250;
    const p = ports(clock, 99);
    const log = recordingLog();
    await expect(sendResponse(p, 'https://x', '{}', log, () => deadline - clock.now())).resolves.toBe(false);
    expect(p.timeouts).toEqual([250, 250, 250, 250, 250]);
    expect(clock.sleeps).toEqual([]);
    expect(log.entries.at(-1)).toEqual(['error', GIVE_UP, { attempts: 5 }]);
  });
});
