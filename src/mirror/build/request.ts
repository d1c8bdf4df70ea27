// The CodeBuild side, without I/O: the environment overrides a build gets, the idempotency token,
// and the Reason a failed build is reported with. The ResponseURL never goes into a build: anyone who
// can read build details could answer for the resource.
import { createHash } from 'node:crypto';
import { BuildEnv } from '../../contract.js';
import { formatImageReference, parseImageReference, pinnedReference } from '../../reference/index.js';
import type { MirrorLocation } from '../core/config.js';
import { registryWords } from '../core/registry-words.js';
import { copiedArchitecture, describePlatforms, sourceReference, type CopyPlan } from '../core/plan.js';
import type { BuildReport, BuildVariable } from '../ports/types.js';
import type { ReasonParts } from '../cfn/response.js';

/** CodeBuild build states after which nothing changes any more. */
export const FINAL_BUILD_STATES = new Set(['SUCCEEDED', 'FAILED', 'FAULT', 'STOPPED', 'TIMED_OUT']);

/**
 * Environment overrides for the buildspec. ARCHITECTURE is x86_64 or arm64, or `all` for a whole-image copy (the
 * buildspec's `--all` path). SOURCE_IMAGE is pinned to the digest to copy (the platform manifest's, or the index's
 * for all platforms) when it was resolved, so the build copies exactly what was checked; a source written `repo:tag@sha256:...` is pinned
 * by its digest alone (skopeo refuses a reference with both); otherwise the build resolves the tag itself.
 * Both images are re-validated against the reference grammar: these values reach a shell.
 */
export function buildEnvironment(plan: CopyPlan, expectedDigest: string | undefined, secretArn: string | undefined): BuildVariable[] {
  const source = sourceReference(plan);
  const pin = expectedDigest ?? source.digest;
  const sourceImage = pin !== undefined ? pinnedReference(source, pin) : formatImageReference(source);
  const variables: BuildVariable[] = [
    { name: BuildEnv.SourceImage, value: formatImageReference(parseImageReference(sourceImage)) },
    { name: BuildEnv.TargetImage, value: formatImageReference(parseImageReference(plan.targetImage)) },
    { name: BuildEnv.Architecture, value: copiedArchitecture(plan) },
  ];
  if (secretArn !== undefined) variables.push({ name: BuildEnv.RegistryCredentialsSecretArn, value: secretArn });
  return variables;
}

/** Stable per CloudFormation request (<= 64 characters), so a retried StartBuild never starts a second build. */
export function idempotencyToken(requestId: string): string {
  return `sysdig-image-fix-${createHash('sha256').update(requestId).digest('hex').slice(0, 40)}`;
}

function consoleHost(location: Pick<MirrorLocation, 'partition' | 'region'>): string {
  if (location.partition === 'aws-cn') return `${location.region}.console.amazonaws.cn`;
  if (location.partition === 'aws-us-gov') return `${location.region}.console.amazonaws-us-gov.com`;
  return `${location.region}.console.aws.amazon.com`;
}

export function buildConsoleLink(location: Pick<MirrorLocation, 'partition' | 'region' | 'accountId'>, projectName: string, buildId: string): string {
  return (
    `https://${consoleHost(location)}/codesuite/codebuild/${location.accountId}/projects/` +
    `${encodeURIComponent(projectName)}/build/${encodeURIComponent(buildId)}/?region=${location.region}`
  );
}

/** The first phase that did not succeed, with its context messages, e.g. `BUILD (FAILED): exit status 1`. */
export function failingPhase(build: BuildReport): string | undefined {
  const phase = build.phases.find((p) => p.status !== undefined && p.status !== 'SUCCEEDED');
  if (phase === undefined) return undefined;
  const messages = phase.messages.filter((m) => m.trim() !== '');
  return `${phase.type} (${phase.status ?? 'unknown'})${messages.length > 0 ? `: ${messages.join('; ')}` : ''}`;
}

/** How the buildspec and ECR say that a tag of an IMMUTABLE repository already names other content. */
const TAG_TAKEN = /already exists and holds|tag invalid|cannot be overwritten|ImageTagAlreadyExists/i;

/**
 * The plain sentence for a build that found its target tag taken, or undefined. Only a tag derived from the source
 * tag can be taken by other content: the mirror function could not resolve the source's platform digest (so the tag
 * could not name it) and the upstream tag has moved since it was first mirrored.
 */
function tagTakenAdvice(plan: CopyPlan, build: BuildReport, logTail: readonly string[] | { unavailable: string }): string | undefined {
  if (plan.targetTagKind !== 'source-tag-arch' && plan.targetTagKind !== 'source-tag-all') return undefined;
  const text = [...build.phases.flatMap((phase) => phase.messages), ...(Array.isArray(logTail) ? logTail : [])];
  // The lines quote the images, whose tag may itself read like these words: only the other words count.
  if (!text.some((line) => TAG_TAKEN.test(registryWords(line, [plan.sourceImage, plan.targetImage])))) return undefined;
  const tag = plan.targetImage.slice(plan.repositoryUri.length + 1);
  return (
    ` The target tag ${tag} already exists in the IMMUTABLE repository ${plan.repositoryName} with other content: the mirror function ` +
    `could not resolve ${plan.sourceImage} to a digest, so the tag was derived from the source tag, and that tag has moved upstream ` +
    `since it was first mirrored. To fix it: make the source registry reachable for the mirror function (the tag then names the ` +
    `digest), or pin SourceImage by digest, or delete the tag ${tag} from ${plan.repositoryName}, or set the macro stack's ` +
    `ImageTagMutability to MUTABLE; then retry the deployment.`
  );
}

/**
 * Reason for a build that ended without the image: status, failing phase and its messages, the last log
 * lines (the part cut first when the answer would exceed 4096 bytes) and a console link.
 */
export function describeBuildFailure(plan: CopyPlan, build: BuildReport, logTail: readonly string[] | { unavailable: string }, link: string): ReasonParts {
  const phase = failingPhase(build);
  const summary =
    `CodeBuild build ${build.id} copying ${plan.sourceImage} (${describePlatforms(plan)}) to ${plan.targetImage} ended ${build.status}` +
    `${phase !== undefined ? ` in phase ${phase}` : ''}.${tagTakenAdvice(plan, build, logTail) ?? ''}`;
  if (!Array.isArray(logTail)) {
    return { summary, details: [`Build log unavailable: ${(logTail as { unavailable: string }).unavailable}`], trailer: `Build details: ${link}` };
  }
  return {
    summary,
    ...(logTail.length > 0 ? { detailsHeading: 'Last build log lines:', details: logTail } : { details: ['The build log has no lines.'] }),
    trailer: `Build details: ${link}`,
  };
}
