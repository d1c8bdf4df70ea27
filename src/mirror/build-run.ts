// Running the copy: StartBuild (retrying throttling and the concurrent build limit), polling the build,
// handing the wait over to a fresh invocation before Lambda's timeout, and turning the finished build
// into an Outcome. The ResponseURL never goes into the build; the continuation state carries it only
// to this same function.
import { BuildEnv } from '../contract.js';
import { buildConsoleLink, buildEnvironment, describeBuildFailure, FINAL_BUILD_STATES, idempotencyToken, isImageDigest } from './build.js';
import { timingOf, type LifecycleContext } from './context.js';
import { awsErrorName, BuildError, describeError } from './errors.js';
import { CONTINUATION_KEY, type ContinuationState, type CreateOrUpdateRequest } from './events.js';
import { logBuildTimes } from './build-phases.js';
import { answered, failedPhysicalId, success, type Outcome } from './outcome.js';
import { copiedImageUri, type CopyPlan } from './plan.js';
import { nextPollDelayMs } from './poll.js';
import type { BuildReport, MirrorPorts } from './ports.js';

/** CodeBuild refusals that pass: throttling, the concurrent build limit, service hiccups. */
const RETRYABLE_START_ERRORS = new Set([
  'ThrottlingException',
  'Throttling',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'AccountLimitExceededException',
  'ServiceUnavailable',
  'ServiceUnavailableException',
  'InternalFailure',
  'InternalServerError',
  'InternalServiceException',
  'RequestTimeout',
  'RequestTimeoutException',
  'TimeoutError',
]);

function isRetryableStartError(error: unknown): boolean {
  const name = awsErrorName(error);
  if (name !== undefined && RETRYABLE_START_ERRORS.has(name)) return true;
  const status = (error as { $metadata?: { httpStatusCode?: number } } | null)?.$metadata?.httpStatusCode;
  return typeof status === 'number' && (status === 429 || status >= 500);
}

export async function startBuild(
  request: CreateOrUpdateRequest,
  plan: CopyPlan,
  expectedDigest: string | undefined,
  deadline: number,
  ports: MirrorPorts,
  ctx: LifecycleContext,
): Promise<string> {
  const { config } = ctx;
  const timing = timingOf(ctx);
  const input = {
    projectName: config.projectName,
    idempotencyToken: idempotencyToken(request.RequestId),
    environment: buildEnvironment(plan, expectedDigest, config.registryCredentialsSecretArn),
  };
  for (let attempt = 1; ; attempt++) {
    try {
      const buildId = await ports.startBuild(input);
      ctx.log.info('started the build', { buildId, attempt, sourceImage: plan.sourceImage, targetImage: plan.targetImage });
      return buildId;
    } catch (error) {
      if (!isRetryableStartError(error)) {
        throw new BuildError(
          undefined,
          `Could not start CodeBuild project ${config.projectName} to copy ${plan.sourceImage} to ${plan.targetImage}: ${describeError(error)}`,
          { cause: error },
        );
      }
      const ceiling = Math.min(timing.startBuildMaxDelayMs, timing.startBuildBaseDelayMs * 2 ** Math.min(attempt - 1, 20));
      const delay = Math.round(ceiling / 2 + (ceiling / 2) * ports.random());
      const now = ports.now();
      const giveUpAt = Math.min(deadline, now + ctx.remainingTimeMs() - timing.handoverMarginMs);
      if (now + delay >= giveUpAt) {
        throw new BuildError(
          undefined,
          `CodeBuild project ${config.projectName} kept refusing to start the build copying ${plan.sourceImage} ` +
            `(${describeError(error)}; ${attempt} attempt${attempt === 1 ? '' : 's'}). Too many builds may be running in this ` +
            `account and region: retry the deployment later, or raise the CodeBuild concurrent build quota`,
          { cause: error },
        );
      }
      ctx.log.warn('CodeBuild refused to start the build; retrying', { attempt, delayMs: delay, error: describeError(error) });
      await ports.sleep(delay);
    }
  }
}

async function stopQuietly(buildId: string, ports: MirrorPorts, ctx: LifecycleContext): Promise<void> {
  try {
    await ports.stopBuild(buildId);
    ctx.log.info('stopped the build', { buildId });
  } catch (error) {
    ctx.log.warn('could not stop the build', { buildId, error });
  }
}

async function handOver(state: ContinuationState, ports: MirrorPorts, ctx: LifecycleContext): Promise<Outcome> {
  const payload = JSON.stringify({ [CONTINUATION_KEY]: state });
  try {
    await ports.invokeSelf(ctx.config.functionArn, payload);
  } catch (error) {
    await stopQuietly(state.buildId, ports, ctx);
    throw new BuildError(
      state.buildId,
      `Could not hand the wait for CodeBuild build ${state.buildId} (copying ${state.plan.sourceImage}) over to a new invocation ` +
        `of the mirror function: ${describeError(error)}. The build was stopped. The function's role must allow ` +
        `lambda:InvokeFunction on the function itself`,
      { cause: error },
    );
  }
  ctx.log.info('handed the wait over to a new invocation', { buildId: state.buildId, deadline: new Date(state.deadline).toISOString() });
  return { kind: 'handed-over', buildId: state.buildId };
}

async function finishBuild(state: ContinuationState, build: BuildReport, ports: MirrorPorts, ctx: LifecycleContext): Promise<Outcome> {
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
        `CodeBuild build ${buildId} pushed ${digest} to ${plan.repositoryUri}, but the ${plan.platform} manifest of ` +
          `${plan.sourceImage} is ${state.expectedDigest}: the copy did not preserve the digest, so the image is not the ` +
          `one that was checked. Check the build: ${link}`,
      );
    }
    const imageUri = copiedImageUri(plan, digest);
    return success(plan, imageUri, `Mirrored ${plan.sourceImage} (${plan.platform}) to ${imageUri} with build ${buildId}`);
  }
  const group = build.logGroupName ?? config.buildLogGroupName;
  const stream = build.logStreamName;
  let tail: string[] | { unavailable: string };
  if (group === undefined || stream === undefined) {
    tail = { unavailable: 'the build reported no CloudWatch Logs stream' };
  } else {
    try {
      tail = await ports.tailBuildLog(group, stream, timingOf(ctx).logTailLines);
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

/** Polls the build until it ends, the deadline passes, or this invocation must hand over. */
export async function waitForBuild(state: ContinuationState, ports: MirrorPorts, ctx: LifecycleContext): Promise<Outcome> {
  const timing = timingOf(ctx);
  const link = (): string => buildConsoleLink(ctx.config, ctx.config.projectName, state.buildId);
  let failures = 0;
  for (;;) {
    let build: BuildReport | undefined;
    try {
      build = await ports.getBuild(state.buildId);
      failures = 0;
    } catch (error) {
      failures++;
      ctx.log.warn('could not read the build status', { buildId: state.buildId, failures, error });
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
    if (build !== undefined && FINAL_BUILD_STATES.has(build.status)) return finishBuild(state, build, ports, ctx);
    const now = ports.now();
    if (now >= state.deadline) {
      await stopQuietly(state.buildId, ports, ctx);
      throw new BuildError(
        state.buildId,
        `CodeBuild build ${state.buildId} copying ${state.plan.sourceImage} to ${state.plan.targetImage} did not finish ` +
          `within the resource's ServiceTimeout and was stopped. Raise ServiceTimeout (SysdigImageFix metadata) or check the build: ${link()}`,
      );
    }
    if (ctx.remainingTimeMs() - timing.pollIntervalMs < timing.handoverMarginMs) return handOver(state, ports, ctx);
    await ports.sleep(Math.min(nextPollDelayMs(build, timing), state.deadline - now));
  }
}

