// What one Custom::ImageMirror request means, decided without any I/O: keep the source (it already is
// private ECR in this region), or copy it to a named ECR repository: one platform of it (what a Lambda function
// runs), or the whole image as published (Platforms: all: every platform and attestation of an index). The plan is
// plain JSON because it travels in the continuation event.
import { ALL_PLATFORMS, MirrorAttribute, platformOf, type Architecture } from '../../contract.js';
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

/** The one platform a Lambda function of `architecture` runs. */
export interface OnePlatform {
  readonly architecture: Architecture;
  readonly platform: PlatformName;
}

/** Every platform the image is published for (`Platforms: all`); `platform` is the Platform attribute, `all`. */
export interface AllPlatforms {
  readonly platform: typeof ALL_PLATFORMS;
}

export type PlatformChoice = OnePlatform | AllPlatforms;

export function isAllPlatforms(choice: PlatformChoice): choice is AllPlatforms {
  return choice.platform === ALL_PLATFORMS;
}

/** `linux/amd64`, or `all platforms`: how messages name what is copied. */
export function describePlatforms(choice: PlatformChoice): string {
  return isAllPlatforms(choice) ? 'all platforms' : choice.platform;
}

/** The source is private ECR of this region: used as it is. */
export type KeepPlan = {
  readonly kind: 'keep';
  /** Normalised source reference. */
  readonly sourceImage: string;
  /** SourceImage as the template gave it: the answer when its digest cannot be read. */
  readonly sourceLiteral: string;
} & PlatformChoice;

/**
 * How the target tag was chosen (see {@link mirrorTargetTag}): the source tag (MUTABLE repositories), the platform
 * digest (IMMUTABLE), or the source tag plus the architecture (IMMUTABLE, platform digest unknown); for a whole image,
 * the digest of its top manifest (IMMUTABLE) or the source tag plus `-all` (IMMUTABLE, that digest unknown).
 */
export type TargetTagKind = 'source-tag' | 'platform-digest' | 'source-tag-arch' | 'image-digest' | 'source-tag-all';

export const TARGET_TAG_KINDS: readonly TargetTagKind[] = ['source-tag', 'platform-digest', 'source-tag-arch', 'image-digest', 'source-tag-all'];

interface CopyTarget {
  readonly kind: 'copy';
  /** Normalised source reference. */
  readonly sourceImage: string;
  readonly repositoryName: string;
  /** `<acct>.dkr.ecr.<region>.<suffix>/<repositoryName>` */
  readonly repositoryUri: string;
  /** `<repositoryUri>:<tag>`: what the build pushes. */
  readonly targetImage: string;
  /** Set by {@link withTargetTag}; absent means 'source-tag' (what {@link planMirror} gives). */
  readonly targetTagKind?: TargetTagKind;
}

/** Copy one platform manifest of the source (chosen from its index), digest preserved. */
export interface PlatformCopyPlan extends CopyTarget, OnePlatform {}

/** Copy the source as published: its index with every child and attestation (`skopeo copy --all`), or its single manifest. */
export interface WholeImageCopyPlan extends CopyTarget, AllPlatforms {}

export type CopyPlan = PlatformCopyPlan | WholeImageCopyPlan;

export type MirrorPlan = KeepPlan | CopyPlan;

export type MirrorData = Record<(typeof MirrorAttribute)[keyof typeof MirrorAttribute], string>;

/** Throws UnmappableImageError when the derived repository name cannot fit ECR. */
export function planMirror(input: MirrorRequestInput, location: MirrorLocation, defaultPrefix: string): MirrorPlan {
  const choice: PlatformChoice =
    input.platforms === ALL_PLATFORMS ? { platform: ALL_PLATFORMS } : { architecture: input.architecture, platform: platformName(input.architecture) };
  const base = { sourceImage: input.sourceImage, ...choice };
  if (isUsableByLambda(input.source, location)) return { kind: 'keep', ...base, sourceLiteral: input.sourceLiteral };
  const repositoryName = input.repositoryName ?? targetRepositoryName(input.source, input.repositoryPrefix ?? defaultPrefix);
  const repositoryUri = `${ecrRegistryHost(location.accountId, location.region, location.urlSuffix)}/${repositoryName}`;
  return { kind: 'copy', ...base, repositoryName, repositoryUri, targetImage: `${repositoryUri}:${targetTag(input.source)}` };
}

/** Tags are at most 128 characters. */
const TAG_MAX = 128;

/**
 * The tag the build pushes. MUTABLE (the default): the source tag, `sha256-<hex>` for a digest-only source
 * (DESIGN.md, `targetTag`). IMMUTABLE: a tag can never move, so it names the content: `sha256-<hex>` of the digest
 * copied (the platform manifest's, or for all platforms the index's), unique per architecture and per build of an
 * upstream tag; when the mirror function could not resolve that digest (the build resolves the source itself),
 * `<source tag>-<amd64|arm64|all>`, which still separates the architectures but collides when the upstream tag moves
 * (the build then fails saying so).
 */
export function mirrorTargetTag(
  source: ImageReference,
  architecture: Architecture | typeof ALL_PLATFORMS,
  mutability: ImageTagMutability,
  copiedDigest: string | undefined,
): { tag: string; kind: TargetTagKind } {
  const all = architecture === ALL_PLATFORMS;
  if (mutability === 'MUTABLE') return { tag: targetTag(source), kind: 'source-tag' };
  if (copiedDigest !== undefined) {
    return { tag: targetTag({ registry: source.registry, repository: source.repository, digest: copiedDigest }), kind: all ? 'image-digest' : 'platform-digest' };
  }
  const suffix = `-${all ? ALL_PLATFORMS : platformOf(architecture).architecture}`;
  return { tag: `${targetTag(source).slice(0, TAG_MAX - suffix.length)}${suffix}`, kind: all ? 'source-tag-all' : 'source-tag-arch' };
}

/** The architecture copied, or `all`: the ARCHITECTURE a build gets (the buildspec's `--all` path for `all`). */
export function copiedArchitecture(choice: PlatformChoice): Architecture | typeof ALL_PLATFORMS {
  return isAllPlatforms(choice) ? ALL_PLATFORMS : choice.architecture;
}

/** The plan with the target tag for this repository mutability and (when resolved) the digest to copy. */
export function withTargetTag(plan: CopyPlan, mutability: ImageTagMutability, copiedDigest: string | undefined): CopyPlan {
  const { tag, kind } = mirrorTargetTag(sourceReference(plan), copiedArchitecture(plan), mutability, copiedDigest);
  return { ...plan, targetImage: `${plan.repositoryUri}:${tag}`, targetTagKind: kind };
}

/** Two plans produce the same image: same source, platform (one architecture's, or all) and target repository. */
export function sameEffectivePlan(a: MirrorPlan, b: MirrorPlan): boolean {
  if (a.kind !== b.kind || a.sourceImage !== b.sourceImage || a.platform !== b.platform) return false;
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
