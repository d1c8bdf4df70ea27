// What one Custom::ImageMirror request means, decided without any I/O: keep the source (it already is
// private ECR in this region) or copy one platform of it to a named ECR repository. The plan is plain
// JSON because it travels in the continuation event.
import { MirrorAttribute, platformOf, type Architecture } from '../../contract.js';
import {
  ecrRegistryHost,
  formatRepository,
  isUsableByLambda,
  parseImageReference,
  pinnedReference,
  targetRepositoryName,
  targetTag,
  tryParseImageReference,
  type ImageReference,
} from '../../reference/index.js';
import type { ImageTagMutability, MirrorLocation } from './config.js';
import type { MirrorRequestInput } from './properties.js';

/** `linux/amd64` or `linux/arm64`. */
export type PlatformName = `linux/${'amd64' | 'arm64'}`;

export function platformName(architecture: Architecture): PlatformName {
  return `linux/${platformOf(architecture).architecture}`;
}

interface PlanBase {
  /** Normalised source reference. */
  readonly sourceImage: string;
  readonly architecture: Architecture;
  readonly platform: PlatformName;
}

/** The source is private ECR of this region: Lambda can use it as it is. */
export interface KeepPlan extends PlanBase {
  readonly kind: 'keep';
  /** SourceImage as the template gave it: the answer when its digest cannot be read. */
  readonly sourceLiteral: string;
}

/**
 * How the target tag was chosen (see {@link mirrorTargetTag}): the source tag (MUTABLE repositories), the platform
 * digest (IMMUTABLE), or the source tag plus the architecture (IMMUTABLE, platform digest unknown).
 */
export type TargetTagKind = 'source-tag' | 'platform-digest' | 'source-tag-arch';

export const TARGET_TAG_KINDS: readonly TargetTagKind[] = ['source-tag', 'platform-digest', 'source-tag-arch'];

/** Copy one platform of the source into `repositoryUri`. */
export interface CopyPlan extends PlanBase {
  readonly kind: 'copy';
  readonly repositoryName: string;
  /** `<acct>.dkr.ecr.<region>.<suffix>/<repositoryName>` */
  readonly repositoryUri: string;
  /** `<repositoryUri>:<tag>`: what the build pushes. */
  readonly targetImage: string;
  /** Set by {@link withTargetTag}; absent means 'source-tag' (what {@link planMirror} gives). */
  readonly targetTagKind?: TargetTagKind;
}

export type MirrorPlan = KeepPlan | CopyPlan;

export type MirrorData = Record<(typeof MirrorAttribute)[keyof typeof MirrorAttribute], string>;

/** Throws UnmappableImageError when the derived repository name cannot fit ECR. */
export function planMirror(input: MirrorRequestInput, location: MirrorLocation, defaultPrefix: string): MirrorPlan {
  const base = { sourceImage: input.sourceImage, architecture: input.architecture, platform: platformName(input.architecture) };
  if (isUsableByLambda(input.source, location)) return { kind: 'keep', ...base, sourceLiteral: input.sourceLiteral };
  const repositoryName = input.repositoryName ?? targetRepositoryName(input.source, input.repositoryPrefix ?? defaultPrefix);
  const repositoryUri = `${ecrRegistryHost(location.accountId, location.region, location.urlSuffix)}/${repositoryName}`;
  return { kind: 'copy', ...base, repositoryName, repositoryUri, targetImage: `${repositoryUri}:${targetTag(input.source)}` };
}

/** Tags are at most 128 characters. */
const TAG_MAX = 128;

/**
 * The tag the build pushes. MUTABLE (the default): the source tag, `sha256-<hex>` for a digest-only source
 * (DESIGN.md, `targetTag`). IMMUTABLE: a tag can never move, so it names the content: `sha256-<hex>` of the platform
 * digest, unique per architecture and per build of an upstream tag; when the mirror function could not resolve that
 * digest (the build resolves the source itself), `<source tag>-<amd64|arm64>`, which still separates the
 * architectures but collides when the upstream tag moves (the build then fails saying so).
 */
export function mirrorTargetTag(
  source: ImageReference,
  architecture: Architecture,
  mutability: ImageTagMutability,
  platformDigest: string | undefined,
): { tag: string; kind: TargetTagKind } {
  if (mutability === 'MUTABLE') return { tag: targetTag(source), kind: 'source-tag' };
  if (platformDigest !== undefined) {
    return { tag: targetTag({ registry: source.registry, repository: source.repository, digest: platformDigest }), kind: 'platform-digest' };
  }
  const suffix = `-${platformOf(architecture).architecture}`;
  return { tag: `${targetTag(source).slice(0, TAG_MAX - suffix.length)}${suffix}`, kind: 'source-tag-arch' };
}

/** The plan with the target tag for this repository mutability and (when resolved) platform digest. */
export function withTargetTag(plan: CopyPlan, mutability: ImageTagMutability, platformDigest: string | undefined): CopyPlan {
  const { tag, kind } = mirrorTargetTag(sourceReference(plan), plan.architecture, mutability, platformDigest);
  return { ...plan, targetImage: `${plan.repositoryUri}:${tag}`, targetTagKind: kind };
}

/** Two plans produce the same image: same source, architecture and target repository. */
export function sameEffectivePlan(a: MirrorPlan, b: MirrorPlan): boolean {
  if (a.kind !== b.kind || a.sourceImage !== b.sourceImage || a.architecture !== b.architecture) return false;
  return a.kind === 'keep' || (b.kind === 'copy' && a.repositoryName === b.repositoryName && a.repositoryUri === b.repositoryUri);
}

export function sourceReference(plan: MirrorPlan): ImageReference {
  return parseImageReference(plan.sourceImage);
}

/** The image Lambda should use for a kept source: pinned when a digest is known, never `tag@digest`. */
export function keptImageUri(plan: KeepPlan, digest: string | undefined): string {
  const source = sourceReference(plan);
  const pin = digest ?? source.digest;
  return pin !== undefined ? pinnedReference(source, pin) : plan.sourceLiteral;
}

/** `Data` of an answer: every MirrorAttribute, derived from the image Lambda will use. */
export function attributesFor(plan: MirrorPlan, imageUri: string): MirrorData {
  const image = parseImageReference(imageUri);
  return {
    [MirrorAttribute.ImageUri]: imageUri,
    [MirrorAttribute.ImageDigest]: image.digest ?? '',
    [MirrorAttribute.RepositoryUri]: formatRepository(image),
    [MirrorAttribute.RepositoryName]: image.repository,
    [MirrorAttribute.SourceImage]: plan.sourceImage,
    [MirrorAttribute.Platform]: plan.platform,
  };
}

/** `<repositoryUri>@<digest>` for a copied image. */
export function copiedImageUri(plan: CopyPlan, digest: string): string {
  return `${plan.repositoryUri}@${digest}`;
}

/**
 * Data for an unchanged resource, rebuilt from its physical id (the ImageUri it answered before), or
 * undefined when that id is not an image this plan could have produced (e.g. a failed-create placeholder).
 */
export function attributesFromPhysicalId(plan: MirrorPlan, physicalId: string): MirrorData | undefined {
  const parsed = tryParseImageReference(physicalId);
  if (!parsed.ok) return undefined;
  const image = parsed.reference;
  if (plan.kind === 'copy') {
    if (image.digest === undefined || image.tag !== undefined || formatRepository(image) !== plan.repositoryUri) return undefined;
  } else if (formatRepository(image) !== formatRepository(sourceReference(plan))) {
    return undefined;
  }
  return attributesFor(plan, physicalId);
}
