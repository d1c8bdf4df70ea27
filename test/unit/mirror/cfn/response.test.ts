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
import type { MirrorLog } from '../../../../src/mirror/log.js';

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
