// Handing the wait over between invocations (build/wait.ts): what the next invocation is told (failed reads carried
// over), when a poll is skipped to keep the hand-over's time, what a failed hand-over or unreadable build answers,
// and what a continuation does before its build vouches for it. Time is virtual (fixtures/harness.ts).
import { randomUUID } from 'node:crypto';
import { StopBuildCommand } from '@aws-sdk/client-codebuild';
import { describe, expect, it } from 'vitest';
import { createEvent } from '../fixtures/harness.js';
import { logLines, onlyLine } from '../fixtures/log-lines.js';
import { baseProperties, onlyAnswer, SOURCE, useScenario, type Scenario } from '../fixtures/scenario.js';
import { BLACK_HOLE, PROJECT, REGION, serviceError } from '../fixtures/world.js';

const START = Date.UTC(2025, 0, 1);
const DEFAULT_BUDGET_MS = 900_000;
/** 40 s of Lambda time: a 10 s hand-over margin, 4 s kept to answer; polls at 40, 30, 20 and 10 s left. */
const SHORT_BUDGET_MS = 40_000;
const INVOKE_DENIED = serviceError('AccessDeniedException', 'not authorized to perform: lambda:InvokeFunction');
const THROTTLED = serviceError('ThrottlingException', 'Rate exceeded');

interface Continuation {
  sysdigImageFixContinuation: { version: number; request: ReturnType<typeof createEvent>; buildId: string; pollFailures?: number };
}

function linkOf(buildId: string): string {
  return `https://${REGION}.console.aws.amazon.com/codesuite/codebuild/123456789012/projects/${PROJECT}/build/${encodeURIComponent(buildId)}/?region=${REGION}`;
}

/** The continuations this function sent itself, in order. */
function continuations(s: Scenario): Continuation['sysdigImageFixContinuation'][] {
  return s.world.invokes().map((invoke) => (invoke.payload as Continuation).sysdigImageFixContinuation);
}

/** Lines at ERROR level: a clean hand-over has none. */
function errorLines(s: Scenario) {
  return logLines(s.harness).filter((line) => line.level === 'ERROR');
}

/** The error the function logged with 'the request failed' or 'the build wait failed'. */
function loggedFailure(s: Scenario, message: string): { message: string; cause?: { name: string; message: string } } {
  return onlyLine(s.harness, message).error as { message: string; cause?: { name: string; message: string } };
}

/** A Create whose build runs on, handed over after a short invocation: its URL and the genuine continuation. */
async function handedOver(s: Scenario): Promise<{ url: string; continuation: Continuation }> {
  s.world.buildScript = { statuses: ['IN_PROGRESS'] };
  const url = s.newUrl();
  await s.harness.invoke(createEvent(url, baseProperties), { budgetMs: SHORT_BUDGET_MS });
  expect(s.server.attemptsFor(url)).toEqual([]);
  const continuation = s.world.invokes().at(-1)!.payload as Continuation;
  s.world.lambda.resetHistory();
  s.world.deliveredInvokes.length = 0;
  s.world.operations.length = 0;
  s.harness.logOutput.length = 0;
  return { url, continuation };
}

/** Makes the first `count` BatchGetBuilds calls fail as `failure` says (from now on). */
function failReads(s: Scenario, count: number, failure: (n: number) => Error): void {
  let reads = 0;
  s.world.fault = (operation) => (operation === 'CodeBuild.BatchGetBuilds' && reads++ < count ? failure(reads) : undefined);
}

describe('Function: waitForBuild (handing over)', () => {
  const s = useScenario();

  it('a clean hand-over logs the build and its deadline, answers nothing and logs no error', async () => {
    const { continuation } = await handedOver(s);
    await s.harness.invoke(continuation, { budgetMs: SHORT_BUDGET_MS });
    expect(continuations(s)).toEqual([{ version: 2, request: continuation.sysdigImageFixContinuation.request, buildId: continuation.sysdigImageFixContinuation.buildId }]);
    expect(onlyLine(s.harness, 'handed the wait over to a new invocation')).toMatchObject({
      buildId: continuation.sysdigImageFixContinuation.buildId,
      // Request start + default ServiceTimeout (3600 s) - 30 s to answer in.
      deadline: new Date(START + 3_570_000).toISOString(),
    });
    expect(errorLines(s)).toEqual([]);
  });

  it('a poll that hangs near the hand-over keeps half the margin: the wait is still handed over, its failed read carried', async () => {
    s.world.buildScript = { statuses: ['IN_PROGRESS'] };
    let reads = 0;
    // The poll with 10 s left never answers; it may use only what the hand-over does not need.
    s.world.fault = (operation) => (operation === 'CodeBuild.BatchGetBuilds' && ++reads === 4 ? BLACK_HOLE : undefined);
    const url = s.newUrl();
    const event = createEvent(url, baseProperties);
    await s.harness.invoke(event, { budgetMs: SHORT_BUDGET_MS });
    const buildId = s.world.builds[0]!.id;
    expect(s.server.attemptsFor(url)).toEqual([]);
    expect(continuations(s)).toEqual([{ version: 2, request: event, buildId, pollFailures: 1 }]);
    expect(onlyLine(s.harness, 'could not read the build status')).toMatchObject({
      level: 'WARN',
      buildId,
      failures: 1,
      error: 'CodeBuild BatchGetBuilds did not answer within 5 s (the time left in this invocation of the mirror function)',
    });
    expect(s.world.codeBuild.commandCalls(StopBuildCommand)).toEqual([]);
  });

  it('does not poll with less than half the hand-over margin left: it hands over at once, with no failed read', async () => {
    s.world.buildScript = { statuses: ['IN_PROGRESS'] };
    // StartBuild answers when exactly 30 s (half the 60 s margin) are left of the invocation.
    s.world.fault = (operation) => {
      if (operation === 'CodeBuild.StartBuild') s.harness.clock.advance(DEFAULT_BUDGET_MS - 30_000);
      return undefined;
    };
    const url = s.newUrl();
    const event = createEvent(url, baseProperties);
    await s.harness.invoke(event, { budgetMs: DEFAULT_BUDGET_MS });
    expect(s.server.attemptsFor(url)).toEqual([]);
    expect(s.world.operations.filter((operation) => operation === 'CodeBuild.BatchGetBuilds')).toEqual([]);
    expect(continuations(s)).toEqual([{ version: 2, request: event, buildId: s.world.builds[0]!.id }]);
    expect(s.harness.logText()).not.toContain('could not read the build status');
  });

  it('a failed self-invoke stops the build and answers FAILED naming the build, the image and the permission', async () => {
    s.world.buildScript = { statuses: ['IN_PROGRESS'] };
    s.world.fault = (operation) => (operation === 'Lambda.Invoke' ? INVOKE_DENIED : undefined);
    const url = s.newUrl();
    await s.harness.invoke(createEvent(url, baseProperties), { budgetMs: SHORT_BUDGET_MS });
    const buildId = s.world.builds[0]!.id;
    const answer = onlyAnswer(s.server, url);
    expect(answer.Status).toBe('FAILED');
    expect(answer.Reason).toBe(
      `Could not hand the wait for CodeBuild build ${buildId} (copying ${SOURCE}) over to a new invocation of the mirror function: ` +
        `AccessDeniedException: not authorized to perform: lambda:InvokeFunction. The build was stopped. ` +
        `The function's role must allow lambda:InvokeFunction on the function itself`,
    );
    expect(s.world.codeBuild.commandCalls(StopBuildCommand).map((call) => call.args[0].input.id)).toEqual([buildId]);
    expect(onlyLine(s.harness, 'stopped the build')).toMatchObject({ buildId });
    // The log keeps what Lambda said, as the cause.
    expect(loggedFailure(s, 'the request failed').cause).toMatchObject({ name: 'AccessDeniedException', message: 'not authorized to perform: lambda:InvokeFunction' });
  });

  it('a build CodeBuild no longer knows is stopped after the poll limit, and the resource fails saying so', async () => {
    s.world.buildScript = { statuses: ['IN_PROGRESS'] };
    // The build disappears from CodeBuild's answers after it started.
    s.world.fault = (operation) => {
      if (operation === 'CodeBuild.BatchGetBuilds') s.world.builds.length = 0;
      return undefined;
    };
    const url = s.newUrl();
    await s.harness.invoke(createEvent(url, baseProperties));
    const buildId = s.world.codeBuild.commandCalls(StopBuildCommand)[0]?.args[0].input.id ?? '';
    const answer = onlyAnswer(s.server, url);
    expect(answer.Status).toBe('FAILED');
    expect(buildId).toMatch(new RegExp(`^${PROJECT}:`));
    expect(answer.Reason).toBe(
      `Could not read the status of CodeBuild build ${buildId} (copying ${SOURCE}) 5 times in a row: CodeBuild does not know build ${buildId}. ` +
        `The build was stopped. The function's role must allow codebuild:BatchGetBuilds. ${linkOf(buildId)}`,
    );
    expect(s.world.codeBuild.commandCalls(StopBuildCommand)).toHaveLength(1);
    expect(s.world.invokes()).toEqual([]);
    expect(loggedFailure(s, 'the request failed').cause).toMatchObject({ message: `CodeBuild does not know build ${buildId}` });
  });
});

describe('Function: continueWait (before the build vouches for the event)', () => {
  const s = useScenario();

  it("a continuation naming another project's build calls nothing, answers nothing, and logs why", async () => {
    const url = s.newUrl();
    const buildId = `another-project:${randomUUID()}`;
    const { threw } = await s.harness.invoke({ sysdigImageFixContinuation: { version: 2, request: createEvent(url, baseProperties), buildId } });
    expect(threw).toBeUndefined();
    expect(s.world.operations).toEqual([]);
    expect(s.server.attemptsFor(url)).toEqual([]);
    expect(onlyLine(s.harness, 'ignored a continuation event that no build or copy record of this function vouches for')).toMatchObject({
      reason: `build ${buildId} is not a build of this function's project ${PROJECT}`,
    });
  });

  it('retries a failed read of its build (without counting it as fatal) and then answers for the build', async () => {
    const { url, continuation } = await handedOver(s);
    s.world.buildScript = { statuses: ['SUCCEEDED'] };
    failReads(s, 1, () => BLACK_HOLE);
    await s.harness.invoke(continuation);
    expect(onlyAnswer(s.server, url).Status).toBe('SUCCESS');
    expect(onlyLine(s.harness, 'could not read the build of a continuation')).toMatchObject({
      level: 'WARN',
      buildId: continuation.sysdigImageFixContinuation.buildId,
      failures: 1,
      error: 'CodeBuild BatchGetBuilds did not answer within 20 s',
    });
  });

  it('fails the resource (without stopping the build) when the reads carried over reach the limit', async () => {
    const { url, continuation } = await handedOver(s);
    const { buildId } = continuation.sysdigImageFixContinuation;
    failReads(s, 10, () => THROTTLED);
    await s.harness.invoke({ sysdigImageFixContinuation: { ...continuation.sysdigImageFixContinuation, pollFailures: 4 } });
    const answer = onlyAnswer(s.server, url);
    expect(answer.Status).toBe('FAILED');
    expect(answer.Reason).toBe(
      `Could not read the status of CodeBuild build ${buildId} 5 times in a row: ThrottlingException: Rate exceeded. The build ` +
        `was not stopped (its state is unknown). The function's role must allow codebuild:BatchGetBuilds`,
    );
    expect(s.world.operations.filter((operation) => operation === 'CodeBuild.BatchGetBuilds')).toHaveLength(1);
    expect(s.world.codeBuild.commandCalls(StopBuildCommand)).toEqual([]);
    expect(loggedFailure(s, 'the build wait failed').cause).toMatchObject({ name: 'ThrottlingException', message: 'Rate exceeded' });
  });

  it('hands over when its reads keep failing and time runs short, carrying the count, and logs no deadline it has not read', async () => {
    const { url, continuation } = await handedOver(s);
    failReads(s, 100, () => BLACK_HOLE);
    // 100 s: a 25 s margin; reads (20 s each) end at 80, 50 and 20 s left.
    await s.harness.invoke(continuation, { budgetMs: 100_000 });
    expect(s.server.attemptsFor(url)).toEqual([]);
    expect(continuations(s)).toEqual([{ ...continuation.sysdigImageFixContinuation, pollFailures: 3 }]);
    const line = onlyLine(s.harness, 'handed the wait over to a new invocation');
    expect(line.buildId).toBe(continuation.sysdigImageFixContinuation.buildId);
    expect(line).not.toHaveProperty('deadline');
    expect(errorLines(s)).toEqual([]);
  });

  it('goes on reading while exactly the margin and one poll interval are left', async () => {
    const { url, continuation } = await handedOver(s);
    s.world.buildScript = { statuses: ['SUCCEEDED'] };
    // 60 s: a 15 s margin. The failed reads end with 40 s, then 25 s left (= 15 s + the 10 s interval).
    const takes = [20_000, 5_000];
    failReads(s, 2, (n) => {
      s.harness.clock.advance(takes[n - 1]!);
      return THROTTLED;
    });
    await s.harness.invoke(continuation, { budgetMs: 60_000 });
    expect(onlyAnswer(s.server, url).Status).toBe('SUCCESS');
    expect(s.world.invokes()).toEqual([]);
  });

  it('a failed hand-over of a continuation that could not read its build answers FAILED and stops nothing', async () => {
    const { url, continuation } = await handedOver(s);
    const { buildId } = continuation.sysdigImageFixContinuation;
    s.world.fault = (operation) => (operation === 'CodeBuild.BatchGetBuilds' ? THROTTLED : operation === 'Lambda.Invoke' ? INVOKE_DENIED : undefined);
    await s.harness.invoke(continuation, { budgetMs: SHORT_BUDGET_MS });
    const answer = onlyAnswer(s.server, url);
    expect(answer.Status).toBe('FAILED');
    expect(answer.Reason).toBe(
      `Could not hand the wait for CodeBuild build ${buildId} over to a new invocation of the mirror function: ` +
        `AccessDeniedException: not authorized to perform: lambda:InvokeFunction. ` +
        `The function's role must allow lambda:InvokeFunction on the function itself`,
    );
    expect(s.world.codeBuild.commandCalls(StopBuildCommand)).toEqual([]);
  });
});
