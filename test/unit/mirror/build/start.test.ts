// Starting the build (build/start.ts), seen from CloudFormation and the log: which StartBuild refusals are
// retried (by name, or by an HTTP status that says "later"), when the function gives up and what it then
// says, and the build an earlier delivery of the same request started (found, adopted or passed over).
import { randomUUID } from 'node:crypto';
import { StartBuildCommand } from '@aws-sdk/client-codebuild';
import { describe, expect, it } from 'vitest';
import { BINDING_VARIABLE } from '../../../../src/mirror/build/binding.js';
import { createEvent } from '../fixtures/harness.js';
import { logLines, onlyLine } from '../fixtures/log-lines.js';
import { baseProperties, onlyAnswer, SOURCE, TARGET_REPOSITORY_URI, useScenario, type Scenario } from '../fixtures/scenario.js';
import { BLACK_HOLE, PROJECT, serviceError } from '../fixtures/world.js';

const START = Date.UTC(2025, 0, 1);
/** ServiceTimeout 600 s: the deadline is 600 s less the 30 s answer margin after the request arrived. */
const DEADLINE = START + 600_000 - 30_000;
/** The first retry's pause with the defaults (2 s base) and the virtual clock's random() = 0.5. */
const FIRST_DELAY_MS = 1_500;

function startCalls(s: Scenario): number {
  return s.world.codeBuild.commandCalls(StartBuildCommand).length;
}

/** Makes StartBuild fail with `errors` in turn (then succeed); with `atMs`, the clock stands there when StartBuild is first called. */
function onStartBuild(s: Scenario, errors: (() => unknown)[], atMs?: number): void {
  s.world.fault = (op) => {
    // DescribeImages is the last call before StartBuild (the fast-path check of the target).
    if (op === 'ECR.DescribeImages' && atMs !== undefined) s.harness.clock.advance(atMs - s.harness.clock.now());
    return op === 'CodeBuild.StartBuild' ? (errors.shift()?.() as Error | undefined) : undefined;
  };
}

/** The error the log's 'the request failed' line shows. */
function loggedFailure(s: Scenario): { name: string; message: string; cause?: { name: string; message: string } } {
  return onlyLine(s.harness, 'the request failed').error as never;
}

describe('Function: startBuild (which refusals are retried)', () => {
  const s = useScenario();

  it.each([429, 500, 503])('retries a refusal of any name answered with HTTP %i, with the same token', async (status) => {
    onStartBuild(s, [() => serviceError('BrandNewCapacityException', 'try later', status)]);
    const url = s.newUrl();
    await s.harness.invoke(createEvent(url, baseProperties));
    expect(onlyAnswer(s.server, url).Status).toBe('SUCCESS');
    expect(startCalls(s)).toBe(2);
    expect(s.harness.clock.sleeps[0]).toBe(FIRST_DELAY_MS);
    const retry = onlyLine(s.harness, 'CodeBuild refused to start the build; retrying');
    expect(retry).toMatchObject({ attempt: 1, delayMs: FIRST_DELAY_MS, error: 'BrandNewCapacityException: try later' });
  });

  it.each([400, 403, 428, 499])('fails at once on a refusal of another name answered with HTTP %i, saying what refused', async (status) => {
    onStartBuild(s, [() => serviceError('BrandNewValidationException', 'bad input', status)]);
    const url = s.newUrl();
    await s.harness.invoke(createEvent(url, baseProperties));
    const answer = onlyAnswer(s.server, url);
    expect(answer.Status).toBe('FAILED');
    expect(answer.Reason).toContain(
      `Could not start CodeBuild project ${PROJECT} to copy ${SOURCE} to ${TARGET_REPOSITORY_URI}:6.2.0: BrandNewValidationException: bad input`,
    );
    expect(startCalls(s)).toBe(1);
    expect(loggedFailure(s).cause).toMatchObject({ name: 'BrandNewValidationException', message: 'bad input' });
  });

  it.each([
    ['an error without $metadata', () => new TypeError('socket hang up'), 'TypeError: socket hang up'],
    ['null', () => null, 'null'],
    // The SDK's status is a number; anything else says nothing about whether a retry could pass.
    ['a status that is not a number', () => Object.assign(new Error('odd'), { name: 'OddError', $metadata: { httpStatusCode: '503' } }), 'OddError: odd'],
  ])('fails at once, naming the project, when StartBuild rejects with %s', async (_case, error, shown) => {
    onStartBuild(s, [error]);
    const url = s.newUrl();
    await s.harness.invoke(createEvent(url, baseProperties));
    const answer = onlyAnswer(s.server, url);
    expect(answer.Status).toBe('FAILED');
    expect(answer.Reason).toBe(`Could not start CodeBuild project ${PROJECT} to copy ${SOURCE} to ${TARGET_REPOSITORY_URI}:6.2.0: ${shown}`);
    expect(startCalls(s)).toBe(1);
  });

  it('fails at once, without calling StartBuild, when no time is left before the ServiceTimeout', async () => {
    onStartBuild(s, [], DEADLINE - 100);
    const url = s.newUrl();
    await s.harness.invoke(createEvent(url, { ...baseProperties, ServiceTimeout: '600' }));
    const answer = onlyAnswer(s.server, url);
    expect(answer.Status).toBe('FAILED');
    expect(answer.Reason).toBe(
      `Could not start CodeBuild project ${PROJECT} to copy ${SOURCE} to ${TARGET_REPOSITORY_URI}:6.2.0: ` +
        "No time was left to call CodeBuild StartBuild (the resource's ServiceTimeout)",
    );
    expect(startCalls(s)).toBe(0);
  });
});

describe('Function: startBuild (giving up)', () => {
  const s = useScenario();

  it('gives StartBuild that never answers three tries, then says where to look', async () => {
    onStartBuild(
      s,
      Array.from({ length: 10 }, () => () => BLACK_HOLE),
    );
    const url = s.newUrl();
    await s.harness.invoke(createEvent(url, baseProperties));
    const answer = onlyAnswer(s.server, url);
    expect(answer.Status).toBe('FAILED');
    expect(answer.Reason).toBe(
      `CodeBuild did not answer StartBuild for project ${PROJECT} (copying ${SOURCE}; CodeBuild StartBuild did not answer within 20 s; 3 attempts). ` +
        "Check CodeBuild in this region and the mirror function's network path to it, then retry the deployment",
    );
    expect(startCalls(s)).toBe(3);
    expect(loggedFailure(s).cause).toMatchObject({ name: 'CallTimeoutError', message: 'CodeBuild StartBuild did not answer within 20 s' });
  });

  it('stops after one refusal when the retry would not start before the ServiceTimeout', async () => {
    onStartBuild(s, [() => serviceError('ThrottlingException', 'Rate exceeded')], DEADLINE - 1_000);
    const url = s.newUrl();
    await s.harness.invoke(createEvent(url, { ...baseProperties, ServiceTimeout: '600' }));
    const answer = onlyAnswer(s.server, url);
    expect(answer.Status).toBe('FAILED');
    expect(answer.Reason).toContain(`CodeBuild project ${PROJECT} kept refusing to start the build copying ${SOURCE} (ThrottlingException: Rate exceeded; 1 attempt).`);
    expect(startCalls(s)).toBe(1);
    expect(loggedFailure(s).cause).toMatchObject({ name: 'ThrottlingException' });
  });

  it('gives up when the retry would start exactly at the deadline (nothing could run there)', async () => {
    onStartBuild(s, [() => serviceError('ThrottlingException', 'Rate exceeded')], DEADLINE - FIRST_DELAY_MS);
    const url = s.newUrl();
    await s.harness.invoke(createEvent(url, { ...baseProperties, ServiceTimeout: '600' }));
    const answer = onlyAnswer(s.server, url);
    expect(answer.Reason).toContain('kept refusing to start the build');
    expect(answer.Reason).toContain('(ThrottlingException: Rate exceeded; 1 attempt)');
    expect(startCalls(s)).toBe(1);
    expect(s.harness.clock.sleeps).toEqual([]);
  });

  it('counts the attempts in the reason: 2 attempts', async () => {
    onStartBuild(s, [() => serviceError('ThrottlingException', 'Rate exceeded'), () => serviceError('ThrottlingException', 'Rate exceeded')], DEADLINE - 4_000);
    const url = s.newUrl();
    await s.harness.invoke(createEvent(url, { ...baseProperties, ServiceTimeout: '600' }));
    expect(onlyAnswer(s.server, url).Reason).toContain('(ThrottlingException: Rate exceeded; 2 attempts)');
    expect(startCalls(s)).toBe(2);
  });

  it('logs the build it started, with the attempt that started it', async () => {
    const url = s.newUrl();
    await s.harness.invoke(createEvent(url, baseProperties));
    expect(onlyAnswer(s.server, url).Status).toBe('SUCCESS');
    expect(onlyLine(s.harness, 'started the build')).toMatchObject({
      buildId: s.world.builds[0]!.id,
      attempt: 1,
      sourceImage: SOURCE,
      targetImage: `${TARGET_REPOSITORY_URI}:6.2.0`,
    });
  });
});

describe('Function: findStartedBuild (the build an earlier delivery started)', () => {
  const s = useScenario();
  /** Enough for a few polls, then a hand-over. */
  const SHORT_BUDGET_MS = 100_000;

  /** Delivers a Create whose build keeps running (handed over), then lets the idempotency token expire. */
  async function firstDelivery(): Promise<ReturnType<typeof createEvent>> {
    s.world.buildScript = { statuses: ['IN_PROGRESS'] };
    const event = createEvent(s.newUrl(), baseProperties);
    await s.harness.invoke(event, { budgetMs: SHORT_BUDGET_MS });
    expect(s.world.builds).toHaveLength(1);
    s.harness.clock.advance(6 * 60_000);
    return event;
  }

  it('looks past a newer build that names the request but pushes elsewhere, and waits for the genuine one', async () => {
    const event = await firstDelivery();
    const genuine = s.world.builds[0]!;
    const environment = genuine.input.environmentVariablesOverride!.map((v) =>
      v.name === 'TARGET_IMAGE' ? { ...v, value: `${TARGET_REPOSITORY_URI.replace('serverless-patcher', 'elsewhere')}:6.2.0` } : v,
    );
    const forged = { ...genuine, id: `${PROJECT}:${randomUUID()}`, input: { ...genuine.input, environmentVariablesOverride: environment } };
    s.world.builds.push(forged);
    await s.harness.invoke(event, { budgetMs: SHORT_BUDGET_MS });
    expect(startCalls(s)).toBe(1);
    expect(onlyLine(s.harness, 'a build names this request but does not match it')).toMatchObject({
      buildId: forged.id,
      problem: `build ${forged.id} pushes elsewhere than ${TARGET_REPOSITORY_URI}`,
    });
    expect(onlyLine(s.harness, 'this request was delivered before and already has its build')).toMatchObject({ buildId: genuine.id, status: 'IN_PROGRESS' });
  });

  it("passes over another request's build without a word", async () => {
    const other = createEvent(s.newUrl(), baseProperties);
    s.world.buildScript = { statuses: ['IN_PROGRESS'] };
    await s.harness.invoke(other, { budgetMs: SHORT_BUDGET_MS });
    await s.harness.invoke(createEvent(s.newUrl(), baseProperties), { budgetMs: SHORT_BUDGET_MS });
    expect(startCalls(s)).toBe(2);
    expect(s.world.builds[0]!.input.environmentVariablesOverride!.some((v) => v.name === BINDING_VARIABLE)).toBe(true);
    expect(logLines(s.harness).filter((line) => line.message === 'a build names this request but does not match it')).toEqual([]);
  });

  it.each([
    [900_000, 20_000],
    // A quarter of the work time (60 s less the 6 s answer reserve) when that is less than the call's own timeout.
    [60_000, 13_500],
  ])('with %i ms left, gives a ListBuildsForProject that never answers %i ms, then goes on and says so', async (budgetMs, waitedMs) => {
    const startedAt: number[] = [];
    s.world.fault = (op) => {
      if (op === 'CodeBuild.StartBuild') startedAt.push(s.harness.clock.now());
      return op === 'CodeBuild.ListBuildsForProject' ? BLACK_HOLE : undefined;
    };
    const url = s.newUrl();
    await s.harness.invoke(createEvent(url, baseProperties), { budgetMs });
    expect(startedAt).toEqual([START + waitedMs]);
    expect(onlyLine(s.harness, 'could not list the recent builds; a build started by an earlier delivery of this request is not looked for')).toMatchObject({
      error: `CodeBuild ListBuildsForProject did not answer within ${waitedMs / 1000} s`,
    });
  });
});
