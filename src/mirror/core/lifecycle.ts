// Create / Update / Delete of Custom::ImageMirror, as decisions over ports: validate, plan, keep an
// in-region source, find the build an earlier delivery started, resolve the source digest, ensure the ECR
// repository, take the fast path or run the build (build/start.ts, build/wait.ts). Every call runs within the invocation's
// budget (budget.ts). Every path ends in exactly one Outcome; nothing here sends the answer: the handler
// does, once.
import { MANAGED_BY_TAG, SOURCE_IMAGE_TAG_KEY } from '../../contract.js';
import { isImageDigest } from '../../reference/index.js';
import { codeBuildEngine } from '../build/engine.js';
import { continueWait } from '../build/wait.js';
import { continueCopy, functionEngine } from '../copy/engine.js';
import { CallTimeoutError } from './budget.js';
import type { MirrorConfig } from './config.js';
import { deadlineFor, forInvocation, type InvocationContext, type LifecycleContext } from './timing.js';
import { ecrSourceProblem } from './ecr-sources.js';
import { BuildError, describeError, RegistryCredentialsError, RepositoryError, SourceImageError } from './errors.js';
import type { Continuation, CreateOrUpdateRequest } from '../cfn/events.js';
import { answered, failureAnswer, hasCause, success, type Outcome } from '../cfn/answers.js';
import {
  attributesFromPhysicalId,
  copiedImageUri,
  describePlatforms,
  holdsItsTag,
  isAllPlatforms,
  keptImageUri,
  planMirror,
  sameEffectivePlan,
  sourceReference,
  withTargetTag,
  type CopyPlan,
  type KeepPlan,
  type MirrorPlan,
} from './plan.js';
import { namingFor } from './naming.js';
import { lambdaPullStatement } from './policy.js';
import type { MirrorPorts } from '../ports/types.js';
import { followsSourceTag, type MirrorRequestInput, parseProperties } from './properties.js';
import { isPlaceholderPhysicalId } from '../cfn/response.js';
import { AddressRefusedError, ManifestNotFoundError, PlatformNotFoundError, RegistryError, RegistryUnauthorizedError } from '../registry/errors.js';
import { describeRefusal } from '../registry/guard.js';

/** Tag values are at most 256 characters. */
const TAG_VALUE_MAX = 256;

/**
 * Update whose effective properties did not change: same physical id and Data, no build. Names are taken as given
 * (naming.ts): an Update that writes nothing may keep a repository name written before names were checked.
 */
function unchangedUpdate(request: CreateOrUpdateRequest, input: MirrorRequestInput, config: MirrorConfig): Outcome | undefined {
  if (request.RequestType !== 'Update' || isPlaceholderPhysicalId(request.PhysicalResourceId)) return undefined;
  let oldPlan: MirrorPlan;
  let plan: MirrorPlan;
  try {
    oldPlan = planMirror(parseProperties(request.OldResourceProperties), config, config.defaultRepositoryPrefix, 'as-given');
    plan = planMirror(input, config, config.defaultRepositoryPrefix, 'as-given');
  } catch {
    return undefined;
  }
  if (!sameEffectivePlan(oldPlan, plan)) return undefined;
  const data = attributesFromPhysicalId(plan, request.PhysicalResourceId);
  if (data === undefined) return undefined;
  return answered({
    status: 'SUCCESS',
    physicalResourceId: request.PhysicalResourceId,
    reason: 'Unchanged: same source image, architecture and target repository',
    data,
  });
}

/** The source already is private ECR of this region: answer with it, pinned when its digest can be read. */
async function keepSource(plan: KeepPlan, ports: MirrorPorts, ctx: InvocationContext): Promise<Outcome> {
  const source = sourceReference(plan);
  let digest = source.digest;
  if (digest === undefined) {
    try {
      const read = await ctx.budget.call(`the registry ${source.registry}`, sourceResolutionTimeout(ctx), (call) => ports.readManifestDigest(source, call));
      // Only a digest Lambda takes pins the answer.
      if (read === undefined || isImageDigest(read)) digest = read;
      else ctx.log.warn('the in-region ECR source has a digest Lambda does not take; answering it as given', { image: plan.sourceImage });
    } catch (error) {
      refusedRead(plan.sourceImage, error);
      ctx.log.warn('could not read the digest of the in-region ECR source; answering it as given', { image: plan.sourceImage, error });
    }
  }
  const imageUri = keptImageUri(plan, digest);
  return success(plan, imageUri, `${plan.sourceImage} already is private ECR in ${ctx.config.region}; used as it is`);
}

/** A read the address guard refused ends the request: the registry, its token service or a redirect pointed at such an address. */
function refusedRead(image: string, error: unknown): void {
  const refused = hasCause(error, AddressRefusedError) as AddressRefusedError | undefined;
  if (refused !== undefined) throw new SourceImageError(image, `Cannot mirror ${image}: ${refused.detail}`, { cause: error });
}

/**
 * The copy job is handed the source's own host (it does not read REGISTRY_ENDPOINTS) and refuses the same addresses
 * itself; one it would refuse ends the request here, before a repository or a build exists. When the host cannot be
 * resolved in time, the job's own check decides.
 */
async function refuseForbiddenSourceHost(plan: CopyPlan, ports: MirrorPorts, ctx: InvocationContext): Promise<void> {
  const { registry } = sourceReference(plan);
  let refusal: Awaited<ReturnType<MirrorPorts['sourceHostRefusal']>>;
  try {
    refusal = await ctx.budget.call(`the address of the registry ${registry}`, sourceResolutionTimeout(ctx), () => ports.sourceHostRefusal(registry));
  } catch (error) {
    ctx.log.warn('could not resolve the source registry host in time; the copy job checks it again', { image: plan.sourceImage, registry, error });
    return;
  }
  if (refusal === undefined) return;
  throw new SourceImageError(
    plan.sourceImage,
    `Cannot mirror ${plan.sourceImage}: its registry host ${describeRefusal(refusal)}. Neither the mirror function nor the copy job connects ` +
      `to loopback, link-local, unspecified or instance metadata addresses: from there they reach the host's own services, not a ` +
      `registry (REGISTRY_ENDPOINTS changes where the function reads, not where the copy job does). Use a routable name or address of the registry`,
  );
}

/** Reading the source: at most `sourceResolutionMaxMs`, and a third of the work time left (the rest must still fit). */
function sourceResolutionTimeout(ctx: InvocationContext): number {
  return Math.min(ctx.timing.sourceResolutionMaxMs, ctx.budget.workLeftMs() / 3);
}

/** Reads the digest to copy: the platform manifest's for one architecture, the top manifest's for all platforms. */
async function readSourceDigest(plan: CopyPlan, ports: MirrorPorts, ctx: InvocationContext): Promise<{ digest: string }> {
  const source = sourceReference(plan);
  if (!isAllPlatforms(plan)) {
    return ctx.budget.call(`the registry ${source.registry}`, sourceResolutionTimeout(ctx), (call) => ports.resolveSourcePlatform(source, plan.architecture, call));
  }
  const published = await ctx.budget.call(`the registry ${source.registry}`, sourceResolutionTimeout(ctx), (call) => ports.resolveSourceImage(source, call));
  ctx.log.info(published.entries.length > 0 ? 'the source is an index; copying it whole' : 'the source is a single image manifest; copying it', {
    image: plan.sourceImage,
    digest: published.digest,
    mediaType: published.mediaType,
    platforms: published.available,
    attestations: published.attestations,
  });
  return published;
}

/**
 * The digest to copy (the platform manifest's, or for all platforms the index's), or undefined when the build
 * must resolve it (registry unreachable, too slow for this invocation's budget, rate limited, or refusing the
 * credentials the function has). Throws when mirroring cannot work.
 */
async function resolveSource(plan: CopyPlan, ports: MirrorPorts, ctx: InvocationContext): Promise<string | undefined> {
  const image = plan.sourceImage;
  const source = sourceReference(plan);
  await refuseForbiddenSourceHost(plan, ports, ctx);
  try {
    const resolved = await readSourceDigest(plan, ports, ctx);
    if (isImageDigest(resolved.digest)) return resolved.digest;
    ctx.log.warn('the source digest is not sha256; the copy resolves the image itself', { image });
    return undefined;
  } catch (error) {
    refusedRead(image, error);
    if (error instanceof CallTimeoutError) {
      // A registry too slow for this invocation: the build has its own time and network path.
      ctx.log.warn('the source registry did not answer in time; the copy will resolve the image', { image, registry: source.registry, error: error.message });
      return undefined;
    }
    const credentials = hasCause(error, RegistryCredentialsError);
    if (credentials !== undefined) throw credentials;
    if (error instanceof PlatformNotFoundError) {
      throw new SourceImageError(
        image,
        `Cannot mirror ${image}: ${error.reason}. Use an image (or tag) that offers ${plan.platform}, or set the function's Architectures to one the image has`,
        { cause: error },
      );
    }
    if (error instanceof ManifestNotFoundError) {
      throw new SourceImageError(image, `Cannot mirror ${image}: ${error.message}`, { cause: error });
    }
    if (error instanceof RegistryUnauthorizedError && ctx.config.registryCredentialsSecretArn === undefined) {
      throw new SourceImageError(
        image,
        `Cannot mirror ${image}: the registry answered unauthorized (${error.message}). If the image is private, store its ` +
          `credentials in a Secrets Manager secret as {"${sourceReference(plan).registry}": {"username": "...", "password": "..."}} ` +
          `and pass the secret's ARN as the RegistryCredentialsSecretArn parameter of the SysdigImageFix macro stack`,
        { cause: error },
      );
    }
    // Unreachable, rate limited, refused despite the secret, or answering oddly: the build has its own
    // network path and credentials, so it resolves the tag itself.
    ctx.log.warn('could not resolve the source digest; the copy will resolve the image', {
      image,
      error: error instanceof RegistryError ? error.message : describeError(error),
    });
    return undefined;
  }
}

async function ensureRepository(plan: CopyPlan, ports: MirrorPorts, ctx: InvocationContext): Promise<void> {
  const { config } = ctx;
  const name = plan.repositoryName;
  const spec = {
    repositoryName: name,
    imageTagMutability: config.imageTagMutability,
    kmsKeyArn: config.kmsKeyArn,
    tags: { [MANAGED_BY_TAG.key]: MANAGED_BY_TAG.value, [SOURCE_IMAGE_TAG_KEY]: plan.sourceImage.slice(0, TAG_VALUE_MAX) },
  };
  try {
    const result = await ctx.budget.call('ECR CreateRepository', ctx.timing.awsCallTimeoutMs, (call) => ports.ensureRepository(spec, call));
    ctx.log.info(result === 'created' ? 'created the ECR repository' : 'the ECR repository exists', { repositoryName: name });
  } catch (error) {
    throw new RepositoryError(
      name,
      `Could not create ECR repository ${name} for ${plan.sourceImage}: ${describeError(error)}. The mirror function's role must ` +
        `allow ecr:CreateRepository and ecr:TagResource on repositories under its prefix`,
      { cause: error },
    );
  }
  try {
    const result = await ctx.budget.call('ECR GetRepositoryPolicy/SetRepositoryPolicy', ctx.timing.awsCallTimeoutMs, (call) =>
      ports.ensureRepositoryPolicy(name, lambdaPullStatement(config), call),
    );
    ctx.log.info(result === 'written' ? 'set the Lambda pull statement of the repository policy' : 'the repository policy already lets Lambda pull', {
      repositoryName: name,
    });
  } catch (error) {
    throw new RepositoryError(
      name,
      `Could not set the policy of ECR repository ${name} that lets Lambda pull ${plan.sourceImage}: ${describeError(error)}. ` +
        `The mirror function's role must allow ecr:GetRepositoryPolicy and ecr:SetRepositoryPolicy on it`,
      { cause: error },
    );
  }
}

async function mirror(request: CreateOrUpdateRequest, plan: CopyPlan, deadline: number, ports: MirrorPorts, invocation: InvocationContext): Promise<Outcome> {
  // Until the build runs, nothing may outlast the resource's deadline either.
  const ctx: InvocationContext = { ...invocation, budget: invocation.budget.with({ deadline }) };
  // An earlier delivery of this very request may have started its build: waiting for that build gives the
  // same answer that delivery gives (or gave), and starts nothing. Looked for while the source is read (both
  // only read), so a request seen for the first time, the common case, waits for the slower of the two only.
  const resolving = resolveSource(plan, ports, ctx);
  resolving.catch(() => undefined); // its failure matters only when no earlier build is found
  const engine = ctx.config.copyEngine === 'function' ? functionEngine : codeBuildEngine;
  const started = await engine.findStarted(request, plan, ports, invocation);
  if (started !== undefined) return started();
  const expectedDigest = await resolving;
  await ensureRepository(plan, ports, ctx);
  // The tag is chosen only now: in IMMUTABLE repositories it names the digest just resolved.
  const copy = withTargetTag(plan, ctx.config.imageTagMutability, expectedDigest);
  if (expectedDigest !== undefined) {
    try {
      const tags = await ctx.budget.call('ECR DescribeImages', ctx.timing.awsCallTimeoutMs, (call) => ports.imageTags(plan.repositoryName, expectedDigest, call));
      if (tags !== undefined && holdsItsTag(copy, ctx.config.imageTagMutability, tags)) {
        const imageUri = copiedImageUri(plan, expectedDigest);
        return success(plan, imageUri, `${imageUri} already holds ${plan.sourceImage} (${describePlatforms(plan)}); no copy needed`);
      }
      if (tags !== undefined) ctx.log.info('the image is in the repository without its tag; the build tags it', { targetImage: copy.targetImage });
    } catch (error) {
      ctx.log.warn('could not check the target for the image; copying it', { repositoryName: plan.repositoryName, error });
    }
  }
  if (ports.now() >= deadline) {
    throw new BuildError(undefined, `No time left within the resource's ServiceTimeout to copy ${plan.sourceImage}; raise ServiceTimeout`);
  }
  return engine.start({ request, deadline, ...(expectedDigest !== undefined ? { expectedDigest } : {}), plan: copy }, ports, invocation);
}

/** `input` is the request's ResourceProperties, parsed (once, by the handler). */
export async function createOrUpdate(request: CreateOrUpdateRequest, input: MirrorRequestInput, ports: MirrorPorts, invocation: LifecycleContext): Promise<Outcome> {
  const startedAt = ports.now();
  const ctx = forInvocation(invocation, ports);
  try {
    // Refresh: a tag is read again on every Update; an unchanged digest still gives the same answer (fast path).
    const unchanged = followsSourceTag(input) ? undefined : unchangedUpdate(request, input, ctx.config);
    if (unchanged !== undefined) return unchanged;
    const plan = planMirror(input, ctx.config, ctx.config.defaultRepositoryPrefix, namingFor(request.RequestType));
    if (plan.kind === 'copy' && plan.renamed) ctx.log.warn('the repository name the request gives is refused; mirroring to the expected one', { ...plan.renamed });
    if (plan.kind === 'keep') return await keepSource(plan, ports, ctx);
    const refused = ecrSourceProblem(sourceReference(plan), ctx.config);
    if (refused !== undefined) throw new SourceImageError(plan.sourceImage, refused);
    return await mirror(request, plan, deadlineFor(startedAt, input.serviceTimeoutSeconds, ctx.timing), ports, ctx);
  } catch (error) {
    ctx.log.error('the request failed', { requestType: request.RequestType, error });
    return answered(failureAnswer(request, error));
  }
}

/** A hand-over event: a build to wait for (whatever the engine is now), or a copy the function goes on with. */
export async function continueMirror(continuation: Continuation, ports: MirrorPorts, invocation: LifecycleContext): Promise<Outcome> {
  const ctx = forInvocation(invocation, ports);
  try {
    return 'buildId' in continuation ? await continueWait(continuation, ports, ctx) : await continueCopy(continuation, ports, ctx);
  } catch (error) {
    if ('buildId' in continuation) ctx.log.error('the build wait failed', { buildId: continuation.buildId, error });
    else ctx.log.error('the continued copy failed', { error });
    return answered(failureAnswer(continuation.request, error));
  }
}
