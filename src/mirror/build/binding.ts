// What ties a CodeBuild build to the CloudFormation request it was started for. StartBuild puts one
// environment override into the build: the SHA-256 of the whole request (its presigned ResponseURL
// included, so nobody without that URL can produce it), the resource's deadline, the digest the function expects
// (the platform manifest's, or the index's), how the target tag was chosen and whether it copies all platforms. CodeBuild shows the build's environment as it was
// started (BatchGetBuilds), and nothing can change it afterwards, so the build itself is the record of what
// this function started. A continuation event, or a redelivered request, is acted on only through a build
// whose binding matches it exactly, and everything it acts on (plan, deadline, digest) is taken from the
// request and that build, never from the event: a forged or replayed event cannot steer anything.
import { ALL_PLATFORMS, BuildEnv } from '../../contract.js';
import { formatRepository, isImageDigest, tryParseImageReference } from '../../reference/index.js';
import { isPlainObject } from '../../values.js';
import type { MirrorConfig } from '../core/config.js';
import { type CreateOrUpdateRequest, requestDigest } from '../cfn/events.js';

export { requestDigest } from '../cfn/events.js';
import { copiedArchitecture, type CopyPlan, isAllPlatforms, type MirrorPlan, planMirror, sourceReference, TARGET_TAG_KINDS, type TargetTagKind } from '../core/plan.js';
import type { BuildReport, BuildVariable } from '../ports/types.js';
import { parseProperties } from '../core/properties.js';
import { namingFor } from '../core/naming.js';

/** What one invocation waits on: the request, its build, and what the build was started for. */
export interface WaitState {
  readonly request: CreateOrUpdateRequest;
  readonly buildId: string;
  /** Epoch milliseconds: give up and answer FAILED from then on. */
  readonly deadline: number;
  readonly expectedDigest?: string;
  readonly plan: CopyPlan;
}

/** The environment override holding the binding (ignored by the buildspec). */
export const BINDING_VARIABLE = 'SYSDIG_IMAGE_FIX_BINDING';
const BINDING_VERSION = 1;

export interface Binding {
  readonly v: typeof BINDING_VERSION;
  /** {@link requestDigest} of the request the build was started for. */
  readonly request: string;
  /** Epoch milliseconds: the resource's deadline, fixed when the request first arrived. */
  readonly deadline: number;
  readonly expectedDigest?: string;
  readonly targetTagKind: TargetTagKind;
  /** `all` for a whole-image copy (absent: one platform, as in bindings written before Platforms existed). */
  readonly platforms?: typeof ALL_PLATFORMS;
}

export function bindingVariable(state: WaitState): BuildVariable {
  const binding: Binding = {
    v: BINDING_VERSION,
    request: requestDigest(state.request),
    deadline: state.deadline,
    ...(state.expectedDigest !== undefined ? { expectedDigest: state.expectedDigest } : {}),
    targetTagKind: state.plan.targetTagKind ?? 'source-tag',
    ...(isAllPlatforms(state.plan) ? { platforms: ALL_PLATFORMS } : {}),
  };
  return { name: BINDING_VARIABLE, value: JSON.stringify(binding) };
}

function parseBinding(text: string | undefined): Binding | undefined {
  if (text === undefined || text.length > 1024) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!isPlainObject(value)) return undefined;
  const b = value;
  const valid =
    b.v === BINDING_VERSION &&
    typeof b.request === 'string' &&
    /^[0-9a-f]{64}$/.test(b.request) &&
    typeof b.deadline === 'number' &&
    Number.isFinite(b.deadline) &&
    (b.expectedDigest === undefined || isImageDigest(b.expectedDigest)) &&
    (TARGET_TAG_KINDS as readonly unknown[]).includes(b.targetTagKind) &&
    (b.platforms === undefined || b.platforms === ALL_PLATFORMS);
  return valid ? (b as unknown as Binding) : undefined;
}

/** True when the build says it was started for this request (cheap check for scanning many builds). */
export function isBoundTo(build: BuildReport, digest: string): boolean {
  return parseBinding(build.environment[BINDING_VARIABLE])?.request === digest;
}

/**
 * The wait state of `build` for `request`, or the reason this build cannot be trusted for it. Checks that
 * the build ran in this function's project, carries the binding of exactly this request, and copies what
 * the request asks for into this account's and region's ECR (the plan is recomputed from the request's own
 * properties and this function's configuration, and compared with the build's environment). `knownPlan` is that
 * plan when the caller has made it already (the properties are parsed once per request).
 */
export function waitStateFromBuild(
  request: CreateOrUpdateRequest,
  build: BuildReport,
  config: Pick<MirrorConfig, 'projectName' | 'defaultRepositoryPrefix' | 'partition' | 'region' | 'accountId' | 'urlSuffix'>,
  knownPlan?: MirrorPlan,
): { readonly state: WaitState } | { readonly problem: string } {
  if (build.projectName !== config.projectName || !build.id.startsWith(`${config.projectName}:`)) {
    return { problem: `build ${build.id} is not a build of this function's project ${config.projectName}` };
  }
  const binding = parseBinding(build.environment[BINDING_VARIABLE]);
  if (binding === undefined) return { problem: `build ${build.id} carries no binding of the mirror function` };
  if (binding.request !== requestDigest(request)) return { problem: `build ${build.id} was started for another request` };

  let plan: MirrorPlan;
  try {
    plan = knownPlan ?? planMirror(parseProperties(request.ResourceProperties), config, config.defaultRepositoryPrefix, namingFor(request.RequestType));
  } catch (error) {
    return { problem: `the request's properties do not plan a copy (${error instanceof Error ? error.message : String(error)})` };
  }
  if (plan.kind !== 'copy') return { problem: 'the request needs no copy' };

  const source = tryParseImageReference(build.environment[BuildEnv.SourceImage] ?? '');
  const target = tryParseImageReference(build.environment[BuildEnv.TargetImage] ?? '');
  const planned = sourceReference(plan);
  if (!source.ok || formatRepository(source.reference) !== formatRepository(planned)) {
    return { problem: `build ${build.id} copies another source than ${plan.sourceImage}` };
  }
  if (binding.expectedDigest !== undefined && source.reference.digest !== binding.expectedDigest) {
    return { problem: `build ${build.id} is not pinned to the digest its binding names` };
  }
  if (!target.ok || formatRepository(target.reference) !== plan.repositoryUri || target.reference.tag === undefined || target.reference.digest !== undefined) {
    return { problem: `build ${build.id} pushes elsewhere than ${plan.repositoryUri}` };
  }
  // The platform choice is checked twice: what the build was bound to, and what it was told to copy.
  const copied = copiedArchitecture(plan);
  if ((binding.platforms === ALL_PLATFORMS) !== isAllPlatforms(plan) || build.environment[BuildEnv.Architecture] !== copied) {
    return { problem: `build ${build.id} copies another architecture than ${copied}` };
  }
  return {
    state: {
      request,
      buildId: build.id,
      deadline: binding.deadline,
      ...(binding.expectedDigest !== undefined ? { expectedDigest: binding.expectedDigest } : {}),
      plan: { ...plan, targetImage: build.environment[BuildEnv.TargetImage]!, targetTagKind: binding.targetTagKind },
    },
  };
}
