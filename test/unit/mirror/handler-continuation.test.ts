// Long builds: before Lambda's timeout the function hands the wait over to an asynchronous invocation
// of itself (without answering), and the continued invocation answers.
import { InvokeCommand } from '@aws-sdk/client-lambda';
import { StopBuildCommand } from '@aws-sdk/client-codebuild';
import { describe, expect, it } from 'vitest';
import { createEvent, updateEvent } from './fixtures/harness.js';
import { baseProperties, onlyAnswer, SOURCE, SOURCE_AMD64, TARGET_REPOSITORY_URI, useScenario } from './fixtures/scenario.js';
import { FUNCTION_ARN, PROJECT, serviceError } from './fixtures/world.js';
import { requestDigest } from '../../../src/mirror/build/binding.js';

const START = Date.UTC(2025, 0, 1);
/** Lambda time per invocation in these tests: a few polls, then a hand-over (60 s margin). */
const SHORT_BUDGET_MS = 100_000;

interface ContinuationPayload {
  sysdigImageFixContinuation: {
    version: number;
    request: Record<string, unknown>;
    buildId: string;
    pollFailures?: number;
  };
}

describe('Function: handler (continuation)', () => {
  const s = useScenario();

  it('hands a long build over to a new invocation without answering, then the continuation answers', async () => {
    s.world.buildScript = { statuses: [...Array(12).fill('IN_PROGRESS'), 'SUCCEEDED'] };
    const url = s.newUrl();
    const event = createEvent(url, baseProperties);
    await s.harness.invoke(event, { budgetMs: SHORT_BUDGET_MS });

    expect(s.server.attemptsFor(url)).toEqual([]);
    const invokes = s.world.invokes();
    expect(invokes).toHaveLength(1);
    expect(invokes[0]!.input.FunctionName).toBe(FUNCTION_ARN);
    expect(invokes[0]!.input.InvocationType).toBe('Event');
    // The event names only the request and the build; the rest is in the build, where nobody can change it.
    const state = (invokes[0]!.payload as ContinuationPayload).sysdigImageFixContinuation;
    expect(state).toEqual({ version: 2, request: event, buildId: s.world.builds[0]!.id });
    const environment = Object.fromEntries(s.world.builds[0]!.input.environmentVariablesOverride!.map((v) => [v.name, v.value]));
    expect(JSON.parse(environment.SYSDIG_IMAGE_FIX_BINDING!)).toEqual({
      v: 1,
      request: requestDigest(event),
      // Request start + default ServiceTimeout (3600 s) - 30 s to answer in.
      deadline: START + 3_600_000 - 30_000,
      expectedDigest: SOURCE_AMD64,
      targetTagKind: 'source-tag',
    });
    expect(environment.TARGET_IMAGE).toBe(`${TARGET_REPOSITORY_URI}:6.2.0`);
    // It polled while time allowed, and handed over with the margin intact.
    expect(s.world.operations.filter((op) => op === 'CodeBuild.BatchGetBuilds').length).toBeGreaterThan(1);

    await s.harness.invoke(invokes[0]!.payload, { budgetMs: 900_000 });
    const answer = onlyAnswer(s.server, url);
    expect(answer).toMatchObject({
      Status: 'SUCCESS',
      PhysicalResourceId: `${TARGET_REPOSITORY_URI}@${SOURCE_AMD64}`,
      RequestId: event.RequestId,
      StackId: event.StackId,
      LogicalResourceId: event.LogicalResourceId,
      Data: { ImageUri: `${TARGET_REPOSITORY_URI}@${SOURCE_AMD64}`, SourceImage: SOURCE },
    });
    expect(s.world.invokes()).toHaveLength(1);
    expect(s.world.builds).toHaveLength(1);
  });

  it('keeps handing over until the deadline, then stops the build and fails once', async () => {
    s.world.buildScript = { statuses: ['IN_PROGRESS'] };
    const url = s.newUrl();
    await s.harness.invoke(createEvent(url, { ...baseProperties, ServiceTimeout: '600' }), { budgetMs: SHORT_BUDGET_MS });
    let invocations = 1;
    while (s.server.attemptsFor(url).length === 0 && invocations < 50) {
      const next = s.world.invokes().at(-1)!;
      expect(s.world.invokes()).toHaveLength(invocations);
      await s.harness.invoke(next.payload, { budgetMs: SHORT_BUDGET_MS });
      invocations++;
    }
    const answer = onlyAnswer(s.server, url);
    expect(answer.Status).toBe('FAILED');
    expect(answer.PhysicalResourceId).toMatch(/^sysdig-image-fix-failed-/);
    expect(answer.Reason).toContain(s.world.builds[0]!.id);
    expect(answer.Reason).toContain('ServiceTimeout');
    expect(s.world.codeBuild.commandCalls(StopBuildCommand)).toHaveLength(1);
    // Several hand-overs, each invocation either handed over or answered, never both.
    expect(s.world.invokes().length).toBe(invocations - 1);
    expect(invocations).toBeGreaterThan(3);
    expect(s.harness.clock.now()).toBeLessThan(START + 600_000);
  });

  it('with a short Lambda timeout still polls several times before each hand-over', async () => {
    s.world.buildScript = { statuses: ['IN_PROGRESS'] };
    await s.harness.invoke(createEvent(s.newUrl(), baseProperties), { budgetMs: 40_000 });
    expect(s.world.invokes()).toHaveLength(1);
    // A quarter of the 40 s is kept for the hand-over: 30 s of polling every 10 s.
    expect(s.world.operations.filter((op) => op === 'CodeBuild.BatchGetBuilds')).toHaveLength(4);
    expect(s.harness.clock.sleeps).toEqual([10_000, 10_000, 10_000]);
  });

  it('answers FAILED once (and stops the build) when the self-invoke fails', async () => {
    s.world.buildScript = { statuses: ['IN_PROGRESS'] };
    s.world.fault = (op) => (op === 'Lambda.Invoke' ? serviceError('AccessDeniedException', 'not authorized to perform: lambda:InvokeFunction') : undefined);
    const url = s.newUrl();
    await s.harness.invoke(createEvent(url, baseProperties), { budgetMs: SHORT_BUDGET_MS });
    const answer = onlyAnswer(s.server, url);
    expect(answer.Status).toBe('FAILED');
    expect(answer.Reason).toContain('Could not hand the wait for CodeBuild build');
    expect(answer.Reason).toContain('lambda:InvokeFunction');
    expect(s.world.lambda.commandCalls(InvokeCommand)).toHaveLength(1);
    expect(s.world.codeBuild.commandCalls(StopBuildCommand)).toHaveLength(1);
  });

  it('a continued Update that fails keeps the old physical id', async () => {
    const oldId = `${TARGET_REPOSITORY_URI}@sha256:${'a'.repeat(64)}`;
    s.world.buildScript = { statuses: [...Array(10).fill('IN_PROGRESS'), 'FAILED'] };
    const url = s.newUrl();
    await s.harness.invoke(updateEvent(url, oldId, baseProperties, { ...baseProperties, SourceImage: 'quay.io/sysdig/serverless-patcher:6.1.0' }), {
      budgetMs: SHORT_BUDGET_MS,
    });
    expect(s.server.attemptsFor(url)).toEqual([]);
    await s.harness.invoke(s.world.invokes()[0]!.payload);
    const answer = onlyAnswer(s.server, url);
    expect(answer.Status).toBe('FAILED');
    expect(answer.PhysicalResourceId).toBe(oldId);
  });

  it('never answers a continuation whose event is damaged, and calls nothing', async () => {
    const url = s.newUrl();
    const request = createEvent(url, baseProperties);
    const damaged = { sysdigImageFixContinuation: { version: 2, request, buildId: 'p:1 ; rm -rf /' } };
    const { threw } = await s.harness.invoke(damaged);
    expect(threw).toBeUndefined();
    expect(s.server.attemptsFor(url)).toEqual([]);
    expect(s.world.operations).toEqual([]);
    expect(s.harness.logText()).toContain('ignored continuation event: buildId is not a CodeBuild build id');
  });

  it('cannot answer (and does not throw) for a continuation without a ResponseURL', async () => {
    const request = { ...createEvent('http://127.0.0.1:1/x', baseProperties), ResponseURL: undefined };
    const { threw } = await s.harness.invoke({ sysdigImageFixContinuation: { version: 2, request, buildId: `${PROJECT}:1` } });
    expect(threw).toBeUndefined();
    expect(s.world.operations).toEqual([]);
    expect(s.harness.logText()).toContain('continuation event without a usable ResponseURL');
  });
});
