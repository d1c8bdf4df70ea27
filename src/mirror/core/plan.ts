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
  targetTag,
  tryParseImageReference,
  type ImageReference,
} from '../../reference/index.js';
import type { ImageTagMutability, MirrorLocation } from './config.js';
import { type NamingMode, type NamingRefusal, targetRepository } from './naming.js';
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
 * How the target tag was chosen (see {@link mirrorTargetTag}): from the source tag (MUTABLE repositories), the platform
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
  /** The request's RepositoryName or RepositoryPrefix this Update's copy does not use (naming.ts); absent: it uses it. */
  readonly renamed?: NamingRefusal;
}

/** Copy one platform manifest of the source (chosen from its index), digest preserved. */
export interface PlatformCopyPlan extends CopyTarget, OnePlatform {}

/** Copy the source as published: its index with every child and attestation (`skopeo copy --all`), or its single manifest. */
export interface WholeImageCopyPlan extends CopyTarget, AllPlatforms {}

export type CopyPlan = PlatformCopyPlan | WholeImageCopyPlan;

export type MirrorPlan = KeepPlan | CopyPlan;

export type MirrorData = Record<(typeof MirrorAttribute)[keyof typeof MirrorAttribute], string>;

/**
 * `stackPrefix`: the macro stack's RepositoryPrefix, under which every copy lands; `naming`: what a RepositoryName or
 * RepositoryPrefix that does not name the source there does (naming.ts). Throws RepositoryNameError (`refuse`), and
 * UnmappableImageError when the derived repository name cannot fit ECR. A kept source writes nothing: no name is checked.
 */
export function planMirror(input: MirrorRequestInput, location: MirrorLocation, stackPrefix: string, naming: NamingMode = 'refuse'): MirrorPlan {
  const choice: PlatformChoice =
    input.platforms === ALL_PLATFORMS ? { platform: ALL_PLATFORMS } : { architecture: input.architecture, platform: platformName(input.architecture) };
  const base = { sourceImage: input.sourceImage, ...choice };
  if (isUsableByLambda(input.source, location)) return { kind: 'keep', ...base, sourceLiteral: input.sourceLiteral };
  const { name: repositoryName, renamed } = targetRepository(input, stackPrefix, naming);
  const repositoryUri = `${ecrRegistryHost(location.accountId, location.region, location.urlSuffix)}/${repositoryName}`;
  const { tag } = mirrorTargetTag(input.source, copiedArchitecture(choice), 'MUTABLE', undefined);
  return { kind: 'copy', ...base, repositoryName, repositoryUri, targetImage: `${repositoryUri}:${tag}`, ...(renamed ? { renamed } : {}) };
}

/** Tags are at most 128 characters. */
const TAG_MAX = 128;

/**
 * The tag the build pushes: the one rule for every mirror, such that two mirrors of different content never share a
 * tag (the one a later build took would leave the other untagged, and "expire untagged images" lifecycle rules delete
 * such images, functions still running on them or not).
 * - IMMUTABLE, digest known: `sha256-<hex>` of the digest copied (the platform manifest's; for all platforms the
 *   index's). The tag names the content itself, so it never has to move.
 * - Otherwise the source tag (for a digest-only source `sha256-<hex>` of that digest) and what the mirror holds:
 *   nothing added for one linux/amd64 platform in MUTABLE repositories (the tag such mirrors always had), `-amd64` for
 *   it in IMMUTABLE ones, `-arm64` for linux/arm64, `-all` for the whole image (`Platforms: all`), cut to 128
 *   characters. In MUTABLE repositories the tag follows the source tag: a later mirror of a moved upstream tag takes
 *   it over. In IMMUTABLE ones a tag that already holds other content fails the build (the upstream tag moved).
 */
export function mirrorTargetTag(
  source: ImageReference,
  architecture: Architecture | typeof ALL_PLATFORMS,
  mutability: ImageTagMutability,
  copiedDigest: string | undefined,
): { tag: string; kind: TargetTagKind } {
  const all = architecture === ALL_PLATFORMS;
  if (mutability === 'IMMUTABLE' && copiedDigest !== undefined) {
    return { tag: targetTag({ registry: source.registry, repository: source.repository, digest: copiedDigest }), kind: all ? 'image-digest' : 'platform-digest' };
  }
  const held = all ? ALL_PLATFORMS : platformOf(architecture).architecture;
  const suffix = held === 'amd64' && mutability === 'MUTABLE' ? '' : `-${held}`;
  const tag = `${targetTag(source).slice(0, TAG_MAX - suffix.length)}${suffix}`;
  return { tag, kind: mutability === 'MUTABLE' ? 'source-tag' : all ? 'source-tag-all' : 'source-tag-arch' };
}

/**
 * Whether an image already in the repository (`tags`: its tags) needs no build. An image without a tag (a platform
 * that arrived as a child of a whole-image mirror, or one whose tag a later mirror took) would be left to "expire
 * untagged" lifecycle rules, so a build gives it its tag. IMMUTABLE: the image must hold its own content tag (adding it
 * never moves another image's). MUTABLE: any tag will do; its tag follows the source tag, and taking it back for
 * tagged older content would untag the newer.
 */
export function holdsItsTag(plan: CopyPlan, mutability: ImageTagMutability, tags: readonly string[]): boolean {
  return mutability === 'MUTABLE' ? tags.length > 0 : tags.includes(plan.targetImage.slice(plan.repositoryUri.length + 1));
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
