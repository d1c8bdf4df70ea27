// Waiting for the copy: polling the build, handing the wait over to a fresh invocation before Lambda's
// timeout, and turning the finished build into an Outcome. Every call is bounded by the invocation's budget.
// The hand-over event carries the ResponseURL only to this same function, which trusts the event only as far
// as the build vouches for it (binding.ts).
import { BuildEnv } from '../../contract.js';
import { isImageDigest } from '../../reference/index.js';
import { answered, failedPhysicalId, success, type Outcome } from '../cfn/answers.js';
import { type BuildContinuation, CONTINUATION_KEY, CONTINUATION_VERSION, type CreateOrUpdateRequest } from '../cfn/events.js';
import { BuildError, describeError } from '../core/errors.js';
import { copiedImageUri, describePlatforms, isAllPlatforms } from '../core/plan.js';
import type { InvocationContext } from '../core/timing.js';
import type { BuildReport, MirrorPorts } from '../ports/types.js';
import { type WaitState, waitStateFromBuild } from './binding.js';
import { logBuildTimes } from './phases.js';
import { nextPollDelayMs } from './poll.js';
import { buildConsoleLink, describeBuildFailure, FINAL_BUILD_STATES } from './request.js';

async function stopQuietly(buildId: string, ports: MirrorPorts, ctx: InvocationContext): Promise<void> {
  try {
    await ctx.budget.call('CodeBuild StopBuild', ctx.timing.awsCallTimeoutMs, (call) => ports.stopBuild(buildId, call));
    ctx.log.info('stopped the build', { buildId });
  } catch (error) {
    ctx.log.warn('could not stop the build', { buildId, error: describeError(error) });
  }
}

/**
 * Hands the wait to a new invocation: an event naming only the request and the build (see BuildContinuation).
 * The invoke gets at most half the time left, so that stopping the build still fits when it fails.
 */
async function handOver(continuation: Omit<BuildContinuation, 'version'>, verified: WaitState | undefined, ports: MirrorPorts, ctx: InvocationContext): Promise<Outcome> {
  const { buildId } = continuation;
  const payload = JSON.stringify({ [CONTINUATION_KEY]: { version: CONTINUATION_VERSION, ...continuation } });
  try {
    await ctx.budget.call('Lambda Invoke (hand-over to a new invocation)', Math.min(ctx.timing.awsCallTimeoutMs, ctx.budget.workLeftMs() / 2), (call) =>
      ports.invokeSelf(ctx.config.functionArn, payload, call),
    );
  } catch (error) {
    if (verified !== undefined) await stopQuietly(buildId, ports, ctx);
    const copying = verified !== undefined ? ` (copying ${verified.plan.sourceImage})` : '';
    throw new BuildError(
      buildId,
      `Could not hand the wait for CodeBuild build ${buildId}${copying} over to a new invocation of the mirror function: ` +
        `${describeError(error)}. ${verified !== undefined ? 'The build was stopped. ' : ''}The function's role must allow ` +
        `lambda:InvokeFunction on the function itself`,
      { cause: error },
    );
  }
  ctx.log.info('handed the wait over to a new invocation', {
    buildId,
    ...(verified !== undefined ? { deadline: new Date(verified.deadline).toISOString() } : {}),
  });
  return { kind: 'handed-over', buildId };
}

function deadlineFailure(state: WaitState, link: string): BuildError {
  return new BuildError(
    state.buildId,
    `CodeBuild build ${state.buildId} copying ${state.plan.sourceImage} to ${state.plan.targetImage} did not finish ` +
      `within the resource's ServiceTimeout and was stopped. Raise ServiceTimeout (SysdigImageFix metadata) or check the build: ${link}`,
  );
}

/**
 * The answer for a build that has ended. It depends only on the build and the request, so a redelivered
 * request or continuation that finds the same build answers exactly the same.
 */
async function finishBuild(state: WaitState, build: BuildReport, ports: MirrorPorts, ctx: InvocationContext): Promise<Outcome> {
  logBuildTimes(build, ctx.log);
  const { plan, buildId } = state;
  const { config } = ctx;
  const link = buildConsoleLink(config, config.projectName, buildId);
  if (build.status === 'SUCCEEDED') {
    const digest = build.exportedVariables[BuildEnv.ImageDigest];
    if (digest === undefined || !isImageDigest(digest)) {
      throw new BuildError(
        buildId,
        `CodeBuild build ${buildId} copied ${plan.sourceImage} but exported no valid ${BuildEnv.ImageDigest} ` +
          `(got ${digest === undefined ? 'nothing' : JSON.stringify(digest.slice(0, 80))}); the buildspec must export the pushed digest. ${link}`,
      );
    }
    if (state.expectedDigest !== undefined && digest !== state.expectedDigest) {
      throw new BuildError(
        buildId,
        `CodeBuild build ${buildId} pushed ${digest} to ${plan.repositoryUri}, but the ${isAllPlatforms(plan) ? 'published image (index or manifest)' : `${plan.platform} manifest`} of ` +
          `${plan.sourceImage} is ${state.expectedDigest}: the copy did not preserve the digest, so the image is not the ` +
          `one that was checked. Check the build: ${link}`,
      );
    }
    const imageUri = copiedImageUri(plan, digest);
    return success(plan, imageUri, `Mirrored ${plan.sourceImage} (${describePlatforms(plan)}) to ${imageUri} with build ${buildId}`);
  }
  // Stopped at (or after) the deadline: the function stopped it, whichever invocation did.
  if (build.status === 'STOPPED' && ports.now() >= state.deadline) throw deadlineFailure(state, link);
  const group = build.logGroupName ?? config.buildLogGroupName;
  const stream = build.logStreamName;
  let tail: string[] | { unavailable: string };
  if (group === undefined || stream === undefined) {
    tail = { unavailable: 'the build reported no CloudWatch Logs stream' };
  } else {
    try {
      tail = await ctx.budget.call('CloudWatch Logs GetLogEvents', ctx.timing.awsCallTimeoutMs, (call) => ports.tailBuildLog(group, stream, ctx.timing.logTailLines, call));
    } catch (error) {
      tail = { unavailable: describeError(error) };
    }
  }
  return answered({
    status: 'FAILED',
    physicalResourceId: failedPhysicalId(state.request.RequestType, state.request.RequestId, physicalIdOf(state.request)),
    reason: describeBuildFailure(plan, build, tail, link),
  });
}

function physicalIdOf(request: CreateOrUpdateRequest): string | undefined {
  return request.RequestType === 'Update' ? request.PhysicalResourceId : undefined;
}

/** A poll may use at most half the hand-over margin: the hand-over (invoke, or stop and answer) keeps the rest. */
function pollBudget(ctx: InvocationContext) {
  return ctx.budget.with({ reserveMs: Math.max(ctx.budget.reserveMs, ctx.timing.handoverMarginMs / 2) });
}

export interface WaitStart {
  /** A report just read (the continuation's verifying read): used as the first poll. */
  readonly report?: BuildReport;
  /** Consecutive failed reads carried over from earlier invocations. */
  readonly pollFailures?: number;
}

/** Polls the build until it ends, the deadline passes, or this invocation must hand over. */
export async function waitForBuild(state: WaitState, ports: MirrorPorts, ctx: InvocationContext, start: WaitStart = {}): Promise<Outcome> {
  const { timing } = ctx;
  const link = (): string => buildConsoleLink(ctx.config, ctx.config.projectName, state.buildId);
  const polls = pollBudget(ctx);
  let failures = start.pollFailures ?? 0;
  let first = start.report;
  for (;;) {
    let build: BuildReport | undefined = first;
    first = undefined;
    if (build === undefined && polls.workLeftMs() > 0) {
      try {
        build = await polls.call('CodeBuild BatchGetBuilds', timing.awsCallTimeoutMs, (call) => ports.getBuild(state.buildId, call));
        if (build === undefined) throw new Error(`CodeBuild does not know build ${state.buildId}`);
        failures = 0;
      } catch (error) {
        failures++;
        ctx.log.warn('could not read the build status', { buildId: state.buildId, failures, error: describeError(error) });
        if (failures >= timing.maxPollFailures) {
          await stopQuietly(state.buildId, ports, ctx);
          throw new BuildError(
            state.buildId,
            `Could not read the status of CodeBuild build ${state.buildId} (copying ${state.plan.sourceImage}) ${failures} times ` +
              `in a row: ${describeError(error)}. The build was stopped. The function's role must allow codebuild:BatchGetBuilds. ${link()}`,
            { cause: error },
          );
        }
      }
    }
    if (build !== undefined && FINAL_BUILD_STATES.has(build.status)) return finishBuild(state, build, ports, ctx);
    const now = ports.now();
    if (now >= state.deadline) {
      await stopQuietly(state.buildId, ports, ctx);
      throw deadlineFailure(state, link());
    }
    if (ctx.remainingTimeMs() - timing.pollIntervalMs < timing.handoverMarginMs) {
      return handOver({ request: state.request, buildId: state.buildId, ...(failures > 0 ? { pollFailures: failures } : {}) }, state, ports, ctx);
    }
    await ports.sleep(Math.min(nextPollDelayMs(build, timing), state.deadline - now));
  }
}

/**
 * A continuation event: act only when CodeBuild confirms that the named build is this project's and was
 * started for exactly this request; take the plan, deadline and digest from that build. A build that does
 * not vouch for the event means the event is forged or stale: nothing is stopped, started or answered.
 * When the build cannot be read at all, the event cannot be judged: reads are retried like polls (and
 * across hand-overs); after too many, the request is answered FAILED (an answer only the holder of its
 * ResponseURL could have asked for) and nothing is stopped.
 */
export async function continueWait(continuation: BuildContinuation, ports: MirrorPorts, ctx: InvocationContext): Promise<Outcome> {
  const { timing, config } = ctx;
  const { request, buildId } = continuation;
  if (!buildId.startsWith(`${config.projectName}:`)) {
    return { kind: 'ignored', reason: `build ${buildId} is not a build of this function's project ${config.projectName}` };
  }
  const polls = pollBudget(ctx);
  let failures = continuation.pollFailures ?? 0;
  for (;;) {
    let build: BuildReport | undefined;
    try {
      build = await polls.call('CodeBuild BatchGetBuilds', timing.awsCallTimeoutMs, (call) => ports.getBuild(buildId, call));
    } catch (error) {
      failures++;
      ctx.log.warn('could not read the build of a continuation', { buildId, failures, error: describeError(error) });
      if (failures >= timing.maxPollFailures) {
        throw new BuildError(
          buildId,
          `Could not read the status of CodeBuild build ${buildId} ${failures} times in a row: ${describeError(error)}. The build ` +
            `was not stopped (its state is unknown). The function's role must allow codebuild:BatchGetBuilds`,
          { cause: error },
        );
      }
      if (ctx.remainingTimeMs() - timing.pollIntervalMs < timing.handoverMarginMs) {
        return handOver({ request, buildId, pollFailures: failures }, undefined, ports, ctx);
      }
      await ports.sleep(timing.pollIntervalMs);
      continue;
    }
    if (build === undefined) return { kind: 'ignored', reason: `CodeBuild does not know build ${buildId}` };
    const bound = waitStateFromBuild(request, build, config);
    if ('problem' in bound) return { kind: 'ignored', reason: bound.problem };
    return waitForBuild(bound.state, ports, ctx, { report: build });
  }
}
