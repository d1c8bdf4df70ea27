// The answer-exactly-once guard of the mirror handler, driven directly (createHandler with fake response ports): what
// it does when the code under it has a bug, when sending the answer itself breaks, when Lambda's context is odd or
// missing, when the log cannot be made, and how many answered requests a container remembers.
import { Logger } from '@aws-lambda-powertools/logger';
import type { Context } from 'aws-lambda';
import { describe, expect, it, vi } from 'vitest';
import { CONTINUATION_KEY, CONTINUATION_VERSION } from '../../../src/mirror/cfn/events.js';
import { createHandler, type HandlerOptions } from '../../../src/mirror/handler.js';
import { createMirrorLog, type RedactingLog, SERVICE_NAME } from '../../../src/mirror/log.js';
import { createBasePorts } from '../../../src/mirror/ports/aws.js';
import { baseEnv, createEvent, deleteEvent, updateEvent, VirtualClock } from './fixtures/harness.js';
import { printedLines } from './fixtures/log-lines.js';
import { baseProperties, SOURCE_AMD64, TARGET_REPOSITORY_URI } from './fixtures/scenario.js';
import { FUNCTION_ARN, PROJECT } from './fixtures/world.js';

/** While set, the next response body the handler builds throws: a bug in building an answer, injected. */
const bodyFault = vi.hoisted(() => ({ armed: false }));
vi.mock('../../../src/mirror/cfn/response.js', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../../src/mirror/cfn/response.js')>();
  return {
    ...real,
    responseBody: (...args: Parameters<typeof real.responseBody>) => {
      if (bodyFault.armed) {
        bodyFault.armed = false;
        throw new Error('building the answer broke');
      }
      return real.responseBody(...args);
    },
  };
});

const URL = 'https://cfn-response.example.com/stack/req?X-Amz-Signature=0f1e2d3c4b5a69788796a5b4c3d2e1f0';
/** The attempt timeout of a response PUT when more than that is left (cfn/response.ts). */
const ATTEMPT_TIMEOUT_MS = 10_000;

interface Put {
  readonly body: Record<string, unknown>;
  readonly timeoutMs: number;
}

interface Fixture {
  readonly puts: Put[];
  readonly lines: Record<string, unknown>[];
  /** Runs one invocation with `context` (a live Lambda context with 300 s left when not given). */
  invoke(event: unknown, context?: { readonly given: unknown }): Promise<void>;
}

/**
 * A handler over the virtual clock whose PUTs are recorded (and fail while `failPuts` says so); every log line is
 * captured. `sleep` replaces the clock's sleep of the response ports.
 */
function fixture(options: HandlerOptions & { failPuts?: boolean; sleep?: () => Promise<void> } = {}): Fixture {
  const clock = new VirtualClock();
  const puts: Put[] = [];
  const lines: Record<string, unknown>[] = [];
  const base = createBasePorts({
    clock,
    putResponse: async (_url, body, timeoutMs) => {
      puts.push({ body: JSON.parse(body) as Record<string, unknown>, timeoutMs });
      if (options.failPuts) throw new Error('connection reset by peer');
    },
  });
  const handler = createHandler({
    env: baseEnv(),
    basePorts: options.sleep ? { ...base, sleep: options.sleep } : base,
    createLog: () => createMirrorLog(new Logger({ serviceName: SERVICE_NAME, logLevel: 'DEBUG' })),
    ...options,
  });
  const context = { invokedFunctionArn: FUNCTION_ARN, getRemainingTimeInMillis: () => 300_000 };
  return {
    puts,
    lines,
    async invoke(event, given = { given: context }) {
      lines.push(...(await printedLines(() => handler(event, given.given as Context))));
    },
  };
}

function line(f: Fixture, message: string): Record<string, unknown> | undefined {
  return f.lines.find((l) => l.message === message);
}

const brokenPorts = (): never => {
  throw new Error('the port wiring broke');
};

const OLD_ID = `${TARGET_REPOSITORY_URI}@${SOURCE_AMD64}`;

describe('Function: handler (a bug under the guard)', () => {
  it('answers an Update FAILED once, keeping its physical id, and logs the bug', async () => {
    const f = fixture({ createPorts: brokenPorts });
    await f.invoke(updateEvent(URL, OLD_ID, { ...baseProperties, Architecture: 'arm64' }, baseProperties));
    expect(f.puts).toHaveLength(1);
    expect(f.puts[0]!.body).toMatchObject({ Status: 'FAILED', PhysicalResourceId: OLD_ID });
    expect(f.puts[0]!.body.Reason).toContain('the port wiring broke');
    expect(line(f, 'unexpected failure in the mirror function')).toMatchObject({ level: 'ERROR', error: { message: 'the port wiring broke' } });
  });

  it("answers a continuation's Update FAILED with that request's physical id", async () => {
    const f = fixture({ createPorts: brokenPorts });
    const request = updateEvent(URL, OLD_ID, { ...baseProperties, Architecture: 'arm64' }, baseProperties);
    await f.invoke({ [CONTINUATION_KEY]: { version: CONTINUATION_VERSION, request, buildId: `${PROJECT}:0b7c3f5e-0000-4000-8000-000000000001` } });
    expect(f.puts.map((p) => [p.body.Status, p.body.PhysicalResourceId, p.body.RequestId])).toEqual([['FAILED', OLD_ID, request.RequestId]]);
  });

  it('sends no second answer when sending the first one breaks', async () => {
    const f = fixture({
      failPuts: true,
      sleep: () => Promise.reject(new Error('the clock broke')),
    });
    await f.invoke(deleteEvent(URL, OLD_ID, baseProperties));
    // The Delete's SUCCESS was on its way (one failed attempt, then the pause broke): no FAILED follows it.
    expect(f.puts.map((p) => p.body.Status)).toEqual(['SUCCESS']);
    expect(line(f, 'unexpected failure in the mirror function')).toMatchObject({ error: { message: 'the clock broke' } });
  });

  it('answers FAILED, once, when building the answer itself breaks', async () => {
    const f = fixture({});
    bodyFault.armed = true;
    await f.invoke(deleteEvent(URL, OLD_ID, baseProperties));
    expect(f.puts.map((p) => [p.body.Status, p.body.PhysicalResourceId])).toEqual([['FAILED', OLD_ID]]);
    expect(f.puts[0]!.body.Reason).toContain('building the answer broke');
    expect(line(f, 'unexpected failure in the mirror function')).toMatchObject({ error: { message: 'building the answer broke' } });
  });

  it('logs, and does not throw, when even the FAILED answer for a bug cannot be sent', async () => {
    const f = fixture({ createPorts: brokenPorts, failPuts: true, sleep: () => Promise.reject(new Error('the clock broke')) });
    await expect(f.invoke(createEvent(URL, baseProperties))).resolves.toBeUndefined();
    expect(f.puts.map((p) => p.body.Status)).toEqual(['FAILED']);
    expect(line(f, 'could not answer after an unexpected failure')).toMatchObject({ level: 'ERROR', error: { message: 'the clock broke' } });
  });
});

describe('Function: handler (a bug before any request is known)', () => {
  it('logs the bug once and sends nothing: there is no request to answer', async () => {
    const f = fixture({});
    // Lambda hands over parsed JSON; only a bug in the classification can throw this early. A getter stands in for it.
    const event = Object.defineProperty({}, 'RequestType', {
      enumerable: true,
      get: () => {
        throw new Error('the classification broke');
      },
    });
    await expect(f.invoke(event)).resolves.toBeUndefined();
    expect(f.puts).toEqual([]);
    expect(f.lines.filter((l) => l.level === 'ERROR').map((l) => l.message)).toEqual(['unexpected failure in the mirror function']);
    expect(line(f, 'unexpected failure in the mirror function')).toMatchObject({ error: { message: 'the classification broke' } });
  });
});

describe("Function: handler (Lambda's context)", () => {
  it.each([
    ['no context at all', null],
    ['a context without getRemainingTimeInMillis', { invokedFunctionArn: FUNCTION_ARN }],
    [
      'a getRemainingTimeInMillis that throws',
      {
        invokedFunctionArn: FUNCTION_ARN,
        getRemainingTimeInMillis: () => {
          throw new Error('no deadline');
        },
      },
    ],
    ['a getRemainingTimeInMillis that is not a number', { invokedFunctionArn: FUNCTION_ARN, getRemainingTimeInMillis: () => Number.NaN }],
  ])('answers a Delete within a full attempt timeout given %s', async (_case, context) => {
    const f = fixture();
    await f.invoke(deleteEvent(URL, OLD_ID, baseProperties), { given: context });
    expect(f.puts.map((p) => [p.body.Status, p.timeoutMs])).toEqual([['SUCCESS', ATTEMPT_TIMEOUT_MS]]);
  });

  it('answers a Create FAILED saying the context names no function ARN when there is no context', async () => {
    const f = fixture();
    await f.invoke(createEvent(URL, baseProperties), { given: undefined });
    expect(f.puts).toHaveLength(1);
    expect(f.puts[0]!.body.Status).toBe('FAILED');
    expect(f.puts[0]!.body.Reason).toContain('invokedFunctionArn (Lambda context) is not a Lambda function ARN');
  });
});

describe('Function: handler (its log)', () => {
  it('logs through the log it is given', async () => {
    const messages: string[] = [];
    const recording: RedactingLog = {
      debug: (m) => messages.push(m),
      info: (m) => messages.push(m),
      warn: (m) => messages.push(m),
      error: (m) => messages.push(m),
      addSecret: () => undefined,
    };
    const f = fixture({ createLog: () => recording });
    await f.invoke(deleteEvent(URL, OLD_ID, baseProperties));
    expect(messages).toContain('received event');
    expect(messages).toContain('answered CloudFormation');
  });

  it('returns without throwing when no log can be made', async () => {
    const f = fixture({
      createLog: () => {
        throw new Error('no stdout');
      },
    });
    await expect(f.invoke(deleteEvent(URL, OLD_ID, baseProperties))).resolves.toBeUndefined();
  });
});

describe('Function: handler (default ports)', () => {
  it('answers an unchanged Update with the AWS ports it makes itself, calling nothing', async () => {
    const f = fixture({ createPorts: undefined });
    await f.invoke(updateEvent(URL, OLD_ID, baseProperties, baseProperties));
    expect(f.puts.map((p) => [p.body.Status, p.body.PhysicalResourceId])).toEqual([['SUCCESS', OLD_ID]]);
  });
});

const silentLog: RedactingLog = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined, addSecret: () => undefined };

describe('Function: handler (what a container remembers)', () => {
  /** Requests answered before the oldest is forgotten (handler.ts ANSWERED_MEMORY). */
  const MEMORY = 1_000;

  it(`does not answer a redelivery of any of the last ${MEMORY} requests again, and forgets the oldest beyond that`, async () => {
    const f = fixture({ createLog: () => silentLog });
    const events = Array.from({ length: MEMORY + 1 }, (_, i) => deleteEvent(`${URL}&n=${i}`, `${OLD_ID}-${i}`, baseProperties));
    for (const event of events.slice(0, MEMORY)) await f.invoke(event);
    expect(f.puts).toHaveLength(MEMORY);

    await f.invoke(events[0]);
    expect(f.puts).toHaveLength(MEMORY);

    await f.invoke(events[MEMORY]);
    await f.invoke(events[1]);
    await f.invoke(events[0]);
    // The newest request pushed out the oldest: only that one is answered again.
    expect(f.puts.slice(MEMORY).map((p) => p.body.PhysicalResourceId)).toEqual([`${OLD_ID}-${MEMORY}`, `${OLD_ID}-0`]);
  });
});
