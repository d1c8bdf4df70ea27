// The last steps of a function copy, once every blob is in the target: push the manifests with their exact bytes and
// media types (an index's children by digest first, since a registry takes an index only with its children; then the
// top manifest under the target tag), and read the pushed manifest back by its digest, as the buildspec's verify
// steps do. IMMUTABLE repositories behave as with the job: a tag already holding the same content is fine (ECR refuses
// even an identical re-push); a tag holding other content fails naming both digests. A manifest refused for naming a
// blob the registry does not know is pushed again after a pause (MANIFEST_ATTEMPTS in all): every blob was in the
// target a moment before, so the registry is still settling one that another copy of the same image wrote at the same
// time (two mirrors of one image in a stack, or in two stacks). Seen with the reference registry, whose concurrent
// writes of one blob leave it unreadable for a moment.
import { parseImageReference, type ImageReference } from '../../reference/index.js';
import { MIN_CALL_MS } from '../core/budget.js';
import { CopyError, describeError } from '../core/errors.js';
import { describePlatforms, isAllPlatforms, type CopyPlan } from '../core/plan.js';
import { registryWords } from '../core/registry-words.js';
import { exponentialBackoffMs, type InvocationContext } from '../core/timing.js';
import type { MirrorPorts } from '../ports/types.js';
import { isImageManifestMediaType } from '../registry/media.js';
import { RegistryPushError } from '../registry/push.js';
import type { ImageToCopy, ManifestCopy } from './image.js';

/** How ECR (and the ECR stand-in) say that a tag of an IMMUTABLE repository cannot move. */
const TAG_TAKEN = /already exists|cannot be overwritten|ImageTagAlreadyExists|TAG_INVALID/i;
/** How registries say that a manifest names a blob they do not have (distribution's codes and words, ECR's exception). */
const BLOB_UNKNOWN = /BLOB_UNKNOWN|blob unknown|LayersNotFound/i;
/** Pushes of one manifest refused for an unknown blob, 1 s then 2 s apart. */
const MANIFEST_ATTEMPTS = 3;
const MANIFEST_RETRY_BASE_MS = 1_000;

function targetOf(plan: CopyPlan): { repository: ImageReference; tag: string } {
  const target = parseImageReference(plan.targetImage);
  return { repository: { registry: target.registry, repository: target.repository }, tag: target.tag! };
}

function at(repository: ImageReference, reference: { tag: string } | { digest: string }): ImageReference {
  return { registry: repository.registry, repository: repository.repository, ...reference };
}

function tagTakenReason(plan: CopyPlan, held: string, expected: string): string {
  const image = `the ${isAllPlatforms(plan) ? 'published image' : `${plan.platform} image`} of ${plan.sourceImage} (${expected})`;
  const taken = `the tag ${plan.targetImage} already exists and holds ${held}, not ${image}, and the repository's tags are IMMUTABLE`;
  if (plan.targetTagKind === 'source-tag-arch' || plan.targetTagKind === 'source-tag-all') {
    return (
      `Copying ${plan.sourceImage} in the mirror function failed: ${taken}: the source tag was mirrored before and has moved since. Delete that tag from ` +
      `the repository, or use a new source tag or pin the source by digest, or set the macro stack's ImageTagMutability to MUTABLE.`
    );
  }
  return (
    `Copying ${plan.sourceImage} in the mirror function failed: ${taken}: something else was pushed under this tag. Delete that tag from the ` +
    `repository, or set the macro stack's ImageTagMutability to MUTABLE.`
  );
}

function refusedForUnknownBlob(error: unknown): error is RegistryPushError {
  return error instanceof RegistryPushError && BLOB_UNKNOWN.test(`${error.registryCode ?? ''} ${error.registryMessage ?? ''}`);
}

async function put(repository: ImageReference, reference: string, manifest: ManifestCopy, ports: MirrorPorts, ctx: InvocationContext): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await ctx.budget.call(`ECR (pushing manifest ${reference})`, ctx.timing.awsCallTimeoutMs, (call) =>
        ports.registry().putManifest(repository, reference, { bytes: manifest.bytes, mediaType: manifest.mediaType }, call),
      );
      return;
    } catch (error) {
      if (!refusedForUnknownBlob(error) || attempt >= MANIFEST_ATTEMPTS) throw error;
      const pause = exponentialBackoffMs(attempt, MANIFEST_RETRY_BASE_MS);
      // No room for the pause and another push: the refusal is the answer.
      if (ctx.budget.limitFor(pause + MIN_CALL_MS).limit !== 'call') throw error;
      ctx.log.warn('the target refused a manifest naming a blob it does not have yet; pushing it again', { reference, attempt, error: describeError(error) });
      await ports.sleep(pause);
    }
  }
}

/** The top manifest under the tag; a refusal is fine only when the tag already holds exactly this manifest. */
async function putTagged(plan: CopyPlan, top: ManifestCopy, ports: MirrorPorts, ctx: InvocationContext): Promise<void> {
  const { repository, tag } = targetOf(plan);
  try {
    await put(repository, tag, top, ports, ctx);
    return;
  } catch (error) {
    if (!(error instanceof RegistryPushError)) throw error;
    let held: string;
    try {
      held = (await ctx.budget.call(`ECR (reading ${plan.targetImage})`, ctx.timing.awsCallTimeoutMs, (call) => ports.registry().getManifest(at(repository, { tag }), call)))
        .digest;
    } catch {
      throw new CopyError(`ECR refused the manifest of ${plan.sourceImage} under ${plan.targetImage}: ${error.message}`, { cause: error });
    }
    if (held === top.digest) {
      ctx.log.info('the target tag already holds this image; nothing to push', { targetImage: plan.targetImage, digest: held });
      return;
    }
    // The registry's words only: the error's message, and the registry's own, quote the tag, which may itself read like them.
    const words = registryWords(`${error.registryCode ?? ''} ${error.registryMessage ?? ''}`, [plan.sourceImage, plan.targetImage]);
    if (TAG_TAKEN.test(words)) throw new CopyError(tagTakenReason(plan, held, top.digest), { cause: error });
    throw new CopyError(`ECR refused the manifest of ${plan.sourceImage} under ${plan.targetImage}: ${error.message}`, { cause: error });
  }
}

/** Pushes the manifests and reads the tagged one back; resolves to its digest (the source's). */
export async function publishImage(image: ImageToCopy, plan: CopyPlan, ports: MirrorPorts, ctx: InvocationContext): Promise<string> {
  const { repository } = targetOf(plan);
  for (const child of image.children) {
    try {
      await put(repository, child.digest, child, ports, ctx);
    } catch (error) {
      throw new CopyError(`ECR refused manifest ${child.digest} of ${plan.sourceImage} (${describePlatforms(plan)}): ${describeError(error)}`, { cause: error });
    }
  }
  await putTagged(plan, image.top, ports, ctx);
  const pushed = `${plan.repositoryUri}@${image.top.digest}`;
  let back: Awaited<ReturnType<ReturnType<MirrorPorts['registry']>['getManifest']>>;
  try {
    // Read by digest: the client checks that the bytes it gets hash to exactly that digest.
    back = await ctx.budget.call(`ECR (reading back ${pushed})`, ctx.timing.awsCallTimeoutMs, (call) =>
      ports.registry().getManifest(at(repository, { digest: image.top.digest }), call),
    );
  } catch (error) {
    throw new CopyError(`Cannot read back ${pushed} after pushing ${plan.sourceImage}: ${describeError(error)}`, { cause: error });
  }
  if (back.mediaType !== image.top.mediaType) {
    throw new CopyError(`${pushed} answered media type ${back.mediaType}, not the ${image.top.mediaType} that was pushed for ${plan.sourceImage}`);
  }
  if (!isAllPlatforms(plan) && !isImageManifestMediaType(back.mediaType)) {
    throw new CopyError(`${pushed} is an image index; Lambda needs a single-platform image (${plan.platform} of ${plan.sourceImage})`);
  }
  return back.digest;
}
