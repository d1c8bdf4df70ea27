// Starting the copy: finding the build an earlier delivery of the request already started (a redelivery
// waits for it instead of starting another), and StartBuild, retrying throttling and the concurrent build
// limit within the invocation's budget. The ResponseURL never goes into the build (binding.ts).
import { CallTimeoutError } from '../core/budget.js';
import { awsErrorName, BuildError, describeError } from '../core/errors.js';
import type { CopyPlan } from '../core/plan.js';
import { exponentialBackoffMs, type InvocationContext } from '../core/timing.js';
import type { CreateOrUpdateRequest } from '../cfn/events.js';
import type { BuildReport, MirrorPorts } from '../ports/types.js';
import { bindingVariable, isBoundTo, requestDigest, waitStateFromBuild, type WaitState } from './binding.js';
import { buildEnvironment, idempotencyToken } from './request.js';

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

/** StartBuild calls that timed out, in a row, before giving up. */
const MAX_SILENT_START_ATTEMPTS = 3;

function isRetryableStartError(error: unknown): boolean {
  // A StartBuild that timed out may or may not have started the build: the retry carries the same
  // idempotency token, so CodeBuild answers with that build instead of starting a second one.
  if (error instanceof CallTimeoutError) return error.timeoutMs > 0;
  const name = awsErrorName(error);
  if (name !== undefined && RETRYABLE_START_ERRORS.has(name)) return true;
  const status = (error as { $metadata?: { httpStatusCode?: number } } | null)?.$metadata?.httpStatusCode;
  return typeof status === 'number' && (status === 429 || status >= 500);
}

/**
 * The build an earlier delivery of this same request started (Lambda delivers events at least once, and
 * CodeBuild's idempotency token lasts only 5 minutes), or undefined. Best effort: when the builds cannot be
 * listed the request goes on, and StartBuild's idempotency token still covers the first minutes.
 */
export async function findStartedBuild(request: CreateOrUpdateRequest, plan: CopyPlan, ports: MirrorPorts, ctx: InvocationContext): Promise<WaitState | undefined> {
  const { config, timing } = ctx;
  let builds: BuildReport[];
  try {
    // Best effort, so at most a quarter of the work time.
    builds = await ctx.budget.call('CodeBuild ListBuildsForProject', Math.min(timing.awsCallTimeoutMs, ctx.budget.workLeftMs() / 4), (call) =>
      ports.recentBuilds(config.projectName, call),
    );
  } catch (error) {
    ctx.log.warn('could not list the recent builds; a build started by an earlier delivery of this request is not looked for', {
      error: describeError(error),
    });
    return undefined;
  }
  const digest = requestDigest(request);
  for (const build of builds.filter((candidate) => isBoundTo(candidate, digest))) {
    const bound = waitStateFromBuild(request, build, config, plan);
    if ('state' in bound) {
      ctx.log.info('this request was delivered before and already has its build', { buildId: build.id, status: build.status });
      return bound.state;
    }
    ctx.log.warn('a build names this request but does not match it', { buildId: build.id, problem: bound.problem });
  }
  return undefined;
}

/** Starts the build for `state` (without a build id yet); resolves to the build id. */
export async function startBuild(state: Omit<WaitState, 'buildId'>, ports: MirrorPorts, ctx: InvocationContext): Promise<string> {
  const { config, timing } = ctx;
  const { plan, deadline } = state;
  const input = {
    projectName: config.projectName,
    idempotencyToken: idempotencyToken(state.request.RequestId),
    environment: [...buildEnvironment(plan, state.expectedDigest, config.registryCredentialsSecretArn), bindingVariable({ ...state, buildId: '' })],
  };
  let silent = 0;
  for (let attempt = 1; ; attempt++) {
    try {
      const buildId = await ctx.budget.call('CodeBuild StartBuild', timing.awsCallTimeoutMs, (call) => ports.startBuild(input, call));
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
      // The exponent stops growing after 20 doublings.
      const ceiling = exponentialBackoffMs(Math.min(attempt, 21), timing.startBuildBaseDelayMs, timing.startBuildMaxDelayMs);
      const delay = Math.round(ceiling / 2 + (ceiling / 2) * ports.random());
      const now = ports.now();
      const giveUpAt = Math.min(deadline, now + ctx.remainingTimeMs() - timing.handoverMarginMs);
      // Refusals (throttling, the build limit) pass with time; an endpoint that does not answer is given 3 tries.
      silent = error instanceof CallTimeoutError ? silent + 1 : 0;
      if (now + delay >= giveUpAt || silent >= MAX_SILENT_START_ATTEMPTS) {
        const attempts = `${attempt} attempt${attempt === 1 ? '' : 's'}`;
        throw new BuildError(
          undefined,
          error instanceof CallTimeoutError
            ? `CodeBuild did not answer StartBuild for project ${config.projectName} (copying ${plan.sourceImage}; ${describeError(error)}; ` +
                `${attempts}). Check CodeBuild in this region and the mirror function's network path to it, then retry the deployment`
            : `CodeBuild project ${config.projectName} kept refusing to start the build copying ${plan.sourceImage} ` +
                `(${describeError(error)}; ${attempts}). Too many builds may be running in this ` +
                `account and region: retry the deployment later, or raise the CodeBuild concurrent build quota`,
          { cause: error },
        );
      }
      ctx.log.warn('CodeBuild refused to start the build; retrying', { attempt, delayMs: delay, error: describeError(error) });
      await ports.sleep(delay);
    }
  }
}
