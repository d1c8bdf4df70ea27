// The function engine (CopyEngine function): the mirror function copies the image itself with its registry client,
// so every connection passes the address guard and the invocation's budget. A copy is recorded on the target
// repository first (record.ts), read from the source (image.ts), its missing blobs streamed (transfer.ts), then its
// manifests pushed and read back (publish.ts). A copy that does not fit in one invocation hands over to the next with
// an event naming only the request; that invocation acts only when the record vouches for exactly that request, and
// goes on from what the target already holds. The record is removed once the copy is answered.
import { namingFor } from '../core/naming.js';
import { CopyError, describeError, RepositoryError, awsErrorName } from '../core/errors.js';
import type { CopyEngine, CopyJob } from '../core/engine.js';
import { copiedImageUri, describePlatforms, planMirror, withTargetTag, type CopyPlan } from '../core/plan.js';
import { parseProperties } from '../core/properties.js';
import type { InvocationContext } from '../core/timing.js';
import { CallTimeoutError } from '../core/budget.js';
import { answered, failureAnswer, success, type Outcome } from '../cfn/answers.js';
import { CONTINUATION_KEY, CONTINUATION_VERSION, type CopyContinuation, type CreateOrUpdateRequest, requestDigest } from '../cfn/events.js';
import type { MirrorPorts } from '../ports/types.js';
import { readImage } from './image.js';
import { publishImage } from './publish.js';
import { formatRecord, parseRecord, recordKey, repositoryArn, staleRecordKeys, type CopyRecord } from './record.js';
import { describeProgress, transferBlobs, untilHandOver } from './transfer.js';

/** Invocations in a row that finished no blob before the copy gives up: one blob does not fit in an invocation. */
const MAX_STALLED = 2;

function arnOf(plan: CopyPlan, ctx: InvocationContext): string {
  return repositoryArn(ctx.config, plan.repositoryName);
}

async function writeRecord(job: CopyJob, ports: MirrorPorts, ctx: InvocationContext): Promise<void> {
  const arn = arnOf(job.plan, ctx);
  const record: CopyRecord = {
    deadline: job.deadline,
    ...(job.expectedDigest !== undefined ? { expectedDigest: job.expectedDigest } : {}),
    targetTagKind: job.plan.targetTagKind ?? 'source-tag',
  };
  const tag = { [recordKey(requestDigest(job.request))]: formatRecord(record) };
  const write = () => ctx.budget.call('ECR TagResource', ctx.timing.awsCallTimeoutMs, (call) => ports.tagRepository(arn, tag, call));
  try {
    try {
      await write();
    } catch (error) {
      // ECR allows 50 tags per repository: records of copies whose invocation died are dropped, then it is tried again.
      if (awsErrorName(error) !== 'TooManyTagsException') throw error;
      const tags = await ctx.budget.call('ECR ListTagsForResource', ctx.timing.awsCallTimeoutMs, (call) => ports.repositoryTags(arn, call));
      const stale = staleRecordKeys(tags, ports.now());
      if (stale.length === 0) throw error;
      await ctx.budget.call('ECR UntagResource', ctx.timing.awsCallTimeoutMs, (call) => ports.untagRepository(arn, stale, call));
      await write();
    }
  } catch (error) {
    throw new RepositoryError(
      job.plan.repositoryName,
      `Could not record the copy of ${job.plan.sourceImage} on ECR repository ${job.plan.repositoryName}: ${describeError(error)}. With CopyEngine ` +
        'function the mirror function must be allowed ecr:TagResource, ecr:ListTagsForResource and ecr:UntagResource on repositories under its prefix',
      { cause: error },
    );
  }
}

async function removeRecord(job: CopyJob, ports: MirrorPorts, ctx: InvocationContext): Promise<void> {
  try {
    await ctx.budget.call('ECR UntagResource', ctx.timing.awsCallTimeoutMs, (call) =>
      ports.untagRepository(arnOf(job.plan, ctx), [recordKey(requestDigest(job.request))], call),
    );
  } catch (error) {
    ctx.log.warn('could not remove the copy record; a later copy drops it once its deadline is long past', {
      repositoryName: job.plan.repositoryName,
      error: describeError(error),
    });
  }
}

/** Hands the rest of the copy to a new invocation: an event naming only the request (see CopyContinuation). */
async function handOver(request: CreateOrUpdateRequest, sourceImage: string, copy: CopyContinuation['copy'], ports: MirrorPorts, ctx: InvocationContext): Promise<Outcome> {
  const payload = JSON.stringify({ [CONTINUATION_KEY]: { version: CONTINUATION_VERSION, request, copy } });
  try {
    await ctx.budget.call('Lambda Invoke (hand-over to a new invocation)', Math.min(ctx.timing.awsCallTimeoutMs, ctx.budget.workLeftMs() / 2), (call) =>
      ports.invokeSelf(ctx.config.functionArn, payload, call),
    );
  } catch (error) {
    throw new CopyError(
      `Could not hand the copy of ${sourceImage} over to a new invocation of the mirror function: ${describeError(error)}. ` +
        "The function's role must allow lambda:InvokeFunction on the function itself",
      { cause: error },
    );
  }
  ctx.log.info('handed the copy over to a new invocation', { sourceImage, ...copy });
  return { kind: 'handed-over' };
}

/** Carries `stalled` only when it counts something. */
function stalledCount(stalled: number): CopyContinuation['copy'] {
  return stalled > 0 ? { stalled } : {};
}

/** This invocation's share of the copy: to the answer, or to a hand-over. */
async function copyPart(job: CopyJob, stalled: number, ports: MirrorPorts, ctx: InvocationContext): Promise<Outcome> {
  const { plan } = job;
  let image: Awaited<ReturnType<typeof readImage>>;
  try {
    // Cut where the transfer would be, so that a read the invocation's end cuts still has the time to hand over.
    image = await readImage(plan, job.expectedDigest, ports, { ...ctx, budget: untilHandOver(ctx) });
  } catch (error) {
    if (error instanceof CallTimeoutError && error.limit === 'invocation') return handOver(job.request, plan.sourceImage, stalledCount(stalled + 1), ports, ctx);
    throw error;
  }
  const { end, progress } = await transferBlobs(image, plan, job.deadline, ports, ctx);
  ctx.log.info(end === 'done' ? 'every blob is in the target' : "this invocation's time is up; handing the rest of the copy over", {
    sourceImage: plan.sourceImage,
    progress: describeProgress(progress),
  });
  if (end === 'out-of-invocation') {
    const next = progress.copied === 0 ? stalled + 1 : 0;
    if (next >= MAX_STALLED) {
      throw new CopyError(
        `Copying ${plan.sourceImage} (${describePlatforms(plan)}) in the mirror function made no progress in ${next} invocations in a row: one of its ` +
          `blobs does not fit in one invocation of the function. ${describeProgress(progress)}. Use CopyEngine codebuild for this image`,
      );
    }
    return handOver(job.request, plan.sourceImage, stalledCount(next), ports, ctx);
  }
  const digest = await publishImage(image, plan, ports, ctx);
  if (job.expectedDigest !== undefined && digest !== job.expectedDigest) {
    throw new CopyError(`The mirror function pushed ${digest} to ${plan.repositoryUri}, but the image of ${plan.sourceImage} it resolved is ${job.expectedDigest}`);
  }
  const imageUri = copiedImageUri(plan, digest);
  return success(plan, imageUri, `Mirrored ${plan.sourceImage} (${describePlatforms(plan)}) to ${imageUri} in the mirror function`);
}

/** Runs the copy and removes its record once it ends in an answer (success or failure). */
async function goOn(job: CopyJob, stalled: number, ports: MirrorPorts, ctx: InvocationContext): Promise<Outcome> {
  let outcome: Outcome;
  try {
    outcome = await copyPart(job, stalled, ports, ctx);
  } catch (error) {
    await removeRecord(job, ports, ctx);
    throw error;
  }
  if (outcome.kind === 'answer') await removeRecord(job, ports, ctx);
  return outcome;
}

type Verified = { readonly job: CopyJob } | { readonly ignored: string };

/** The job the record of this request's copy vouches for: plan from the request and this configuration, the rest from the record. */
function jobFromRecord(request: CreateOrUpdateRequest, plan: CopyPlan, tags: Readonly<Record<string, string>>): Verified {
  const record = parseRecord(tags[recordKey(requestDigest(request))]);
  if (record === undefined) return { ignored: `no copy record on ${plan.repositoryName} names this request` };
  // The target tag as the first invocation chose it (plan.ts's rules), whatever the repositories' mutability is now.
  const planned = (['MUTABLE', 'IMMUTABLE'] as const)
    .map((mutability) => withTargetTag(plan, mutability, record.expectedDigest))
    .find((candidate) => candidate.targetTagKind === record.targetTagKind);
  if (planned === undefined) return { ignored: `the copy record on ${plan.repositoryName} does not match the request's plan` };
  return { job: { request, plan: planned, deadline: record.deadline, ...(record.expectedDigest !== undefined ? { expectedDigest: record.expectedDigest } : {}) } };
}

async function readTags(plan: CopyPlan, ports: MirrorPorts, ctx: InvocationContext): Promise<Record<string, string> | undefined> {
  try {
    return await ctx.budget.call('ECR ListTagsForResource', ctx.timing.awsCallTimeoutMs, (call) => ports.repositoryTags(arnOf(plan, ctx), call));
  } catch (error) {
    if (awsErrorName(error) === 'RepositoryNotFoundException') return undefined;
    throw error;
  }
}

export const functionEngine: CopyEngine = {
  name: 'function',
  async findStarted(request, plan, ports, ctx) {
    let tags: Record<string, string> | undefined;
    try {
      tags = await readTags(plan, ports, ctx);
    } catch (error) {
      ctx.log.warn('could not read the copy records of the target repository; an earlier delivery of this request is not looked for', { error: describeError(error) });
      return undefined;
    }
    const verified = tags === undefined ? undefined : jobFromRecord(request, plan, tags);
    if (verified === undefined || !('job' in verified)) return undefined;
    ctx.log.info('this request was delivered before and its copy is under way; going on with it', { repositoryName: plan.repositoryName });
    return () => goOn(verified.job, 0, ports, ctx);
  },
  async start(job, ports, ctx) {
    await writeRecord(job, ports, ctx);
    return goOn(job, 0, ports, ctx);
  },
};

/**
 * A copy's continuation: act only when the target repository's copy record names exactly this request. When the
 * record cannot be read, reads are retried (and counted across hand-overs, as the CodeBuild engine counts build
 * reads); after too many, the request is answered FAILED, an answer only the holder of its ResponseURL could ask for.
 */
export async function continueCopy(continuation: CopyContinuation, ports: MirrorPorts, ctx: InvocationContext): Promise<Outcome> {
  const { request } = continuation;
  let plan: CopyPlan;
  try {
    // Planned as the first invocation planned it (an Update with a refused name copies to the expected one).
    const planned = planMirror(parseProperties(request.ResourceProperties), ctx.config, ctx.config.defaultRepositoryPrefix, namingFor(request.RequestType));
    if (planned.kind !== 'copy') return { kind: 'ignored', reason: 'the request needs no copy' };
    plan = planned;
  } catch (error) {
    return { kind: 'ignored', reason: `the request's properties do not plan a copy (${describeError(error)})` };
  }
  let tags: Record<string, string> | undefined;
  try {
    tags = await readTags(plan, ports, ctx);
  } catch (error) {
    const failures = (continuation.copy.readFailures ?? 0) + 1;
    ctx.log.warn('could not read the copy record of a continuation', { failures, error: describeError(error) });
    if (failures >= ctx.timing.maxPollFailures) {
      return answered(
        failureAnswer(
          request,
          new CopyError(`Could not read the copy record of ${plan.sourceImage} on ${plan.repositoryName} ${failures} times in a row: ${describeError(error)}`),
        ),
      );
    }
    // Nothing is known to be vouched for yet: nothing is copied, stopped or answered; the next invocation reads again.
    await ports.sleep(Math.min(ctx.timing.pollIntervalMs, Math.max(0, ctx.budget.workLeftMs() / 4)));
    return handOver(request, plan.sourceImage, { ...continuation.copy, readFailures: failures }, ports, ctx);
  }
  const verified = tags === undefined ? { ignored: `ECR has no repository ${plan.repositoryName}` } : jobFromRecord(request, plan, tags);
  if (!('job' in verified)) return { kind: 'ignored', reason: verified.ignored };
  return goOn(verified.job, continuation.copy.stalled ?? 0, ports, ctx);
}
