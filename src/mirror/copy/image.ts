// What the function engine copies, read from the source before anything is pushed: for one platform, the platform
// manifest (the digest the lifecycle resolved, or resolved here from the tag), its config (read whole: it must say the
// platform, as the buildspec's check_platform does) and its layers; for all platforms, the top manifest as published
// and, for an index, every child manifest (attestations and nested indexes included), each read by its digest.
// Manifests are kept as their exact bytes: they are pushed unchanged, so every digest stays the source's.
import { platformOf } from '../../contract.js';
import type { ImageReference } from '../../reference/index.js';
import { CopyError, SourceImageError } from '../core/errors.js';
import { describePlatforms, isAllPlatforms, sourceReference, type CopyPlan, type PlatformCopyPlan } from '../core/plan.js';
import type { InvocationContext } from '../core/timing.js';
import type { MirrorPorts } from '../ports/types.js';
import { ManifestShapeError, RegistryError, RegistryProtocolError } from '../registry/errors.js';
import {
  isImageManifestMediaType,
  isIndexMediaType,
  MAX_CONFIG_BYTES,
  parseDescriptor,
  parseImageConfigPlatform,
  parseImageManifestConfig,
  parseIndex,
  type BlobDescriptor,
  type Descriptor,
  type ManifestResult,
} from '../registry/media.js';
import { formatPlatform, platformRank } from '../registry/platform.js';

export interface ManifestCopy {
  readonly digest: string;
  readonly mediaType: string;
  readonly bytes: Uint8Array;
}

export interface ImageToCopy {
  /** Pushed under the target tag: the platform manifest, or the top manifest as published. */
  readonly top: ManifestCopy;
  /** Pushed by digest before the top one (an index's children, children before their parents). */
  readonly children: readonly ManifestCopy[];
  /** Every distinct blob the manifests name. */
  readonly blobs: readonly BlobDescriptor[];
  /** Blobs already read whole and checked (a platform's config): uploaded from memory, not downloaded again. */
  readonly held: ReadonlyMap<string, Uint8Array>;
}

/** An index of more manifests than this is not an image this function copies (it would only cost time). */
const MAX_MANIFESTS = 256;

/** `repo@digest` of the source: what is read once the digest is known. */
export function pinned(source: ImageReference, digest: string): ImageReference {
  return { registry: source.registry, repository: source.repository, digest };
}

function manifestJson(manifest: ManifestResult, source: ImageReference): Record<string, unknown> {
  if (manifest.json === null || typeof manifest.json !== 'object' || Array.isArray(manifest.json)) {
    throw new RegistryProtocolError({ ...source, reference: manifest.digest }, 'the manifest is not a JSON object');
  }
  return manifest.json as Record<string, unknown>;
}

/** Config and layers of an image manifest (any config media type: attestations and artifacts are copied too). */
function blobsOf(manifest: ManifestResult, source: ImageReference): Descriptor[] {
  const json = manifestJson(manifest, source);
  try {
    const layers = Array.isArray(json.layers) ? json.layers : [];
    return [parseDescriptor(json.config, 'the manifest\'s "config"'), ...layers.map((layer, i) => parseDescriptor(layer, `layer ${i + 1}`))];
  } catch (error) {
    if (error instanceof ManifestShapeError)
      throw new RegistryProtocolError({ ...source, reference: manifest.digest }, `unusable manifest: ${error.message}`, { cause: error });
    throw error;
  }
}

class ImageReader {
  readonly children: ManifestCopy[] = [];
  readonly blobs = new Map<string, BlobDescriptor>();
  readonly held = new Map<string, Uint8Array>();
  private manifests = 0;

  constructor(
    private readonly source: ImageReference,
    private readonly ports: MirrorPorts,
    private readonly ctx: InvocationContext,
  ) {}

  async read(ref: ImageReference): Promise<ManifestResult> {
    if (++this.manifests > MAX_MANIFESTS)
      throw new RegistryProtocolError({ ...this.source, reference: ref.digest ?? '' }, `the image has more than ${MAX_MANIFESTS} manifests`);
    return this.ctx.budget.call(`the registry ${this.source.registry}`, this.ctx.timing.sourceResolutionMaxMs, (call) => this.ports.registry().getManifest(ref, call));
  }

  addBlobs(descriptors: readonly Descriptor[]): void {
    for (const { digest, size } of descriptors) if (!this.blobs.has(digest)) this.blobs.set(digest, { digest, size });
  }

  /** An index's children (and theirs), each by digest, pushed before the index itself. */
  async addChildren(index: ManifestResult, depth: number): Promise<void> {
    let entries: Descriptor[];
    try {
      entries = parseIndex(index.json);
    } catch (error) {
      throw new RegistryProtocolError({ ...this.source, reference: index.digest }, `unusable index: ${(error as Error).message}`, { cause: error });
    }
    for (const entry of entries) {
      const child = await this.read(pinned(this.source, entry.digest));
      if (isIndexMediaType(child.mediaType)) {
        if (depth >= 1) throw new RegistryProtocolError({ ...this.source, reference: child.digest }, 'the image nests indexes more than two deep');
        await this.addChildren(child, depth + 1);
      } else {
        this.addBlobs(blobsOf(child, this.source));
      }
      this.children.push({ digest: child.digest, mediaType: child.mediaType, bytes: child.bytes });
    }
  }

  /** The platform's config, read whole: it must say the platform the plan copies. */
  async checkConfig(plan: PlatformCopyPlan, manifest: ManifestResult): Promise<void> {
    const source = this.source;
    const config = (() => {
      try {
        return parseImageManifestConfig(manifest.json);
      } catch (error) {
        throw new RegistryProtocolError({ ...source, reference: manifest.digest }, `unusable manifest: ${(error as Error).message}`, { cause: error });
      }
    })();
    const bytes = await this.ctx.budget.call(`the registry ${source.registry}`, this.ctx.timing.sourceResolutionMaxMs, (call) =>
      this.ports.registry().readBlob(pinned(source, manifest.digest), config.digest, MAX_CONFIG_BYTES, call),
    );
    let platform: ReturnType<typeof parseImageConfigPlatform>;
    try {
      platform = parseImageConfigPlatform(JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes)));
    } catch (error) {
      throw new RegistryProtocolError({ ...source, reference: config.digest }, `the image config is unusable: ${(error as Error).message}`, { cause: error });
    }
    if (platformRank(platform, plan.architecture) === undefined) {
      throw new SourceImageError(
        plan.sourceImage,
        `${plan.sourceImage}@${manifest.digest} is a ${formatPlatform(platform)} image, not ${plan.platform}. Use an image for ${plan.platform}, or change the function's Architectures`,
      );
    }
    this.held.set(config.digest, bytes);
  }
}

/** The digest of the platform manifest to copy: the one resolved before, or resolved now from the source tag. */
async function platformDigest(plan: PlatformCopyPlan, expected: string | undefined, ports: MirrorPorts, ctx: InvocationContext): Promise<string> {
  if (expected !== undefined) return expected;
  const source = sourceReference(plan);
  const resolved = await ctx.budget.call(`the registry ${source.registry}`, ctx.timing.sourceResolutionMaxMs, (call) =>
    ports.registry().resolvePlatform(source, plan.architecture, call),
  );
  return resolved.digest;
}

/**
 * Reads what `plan` copies. `expectedDigest` is the platform manifest's (one platform) or the top manifest's (all
 * platforms) when the lifecycle resolved it; without it the source tag is read now, once, and copied by that digest.
 */
export async function readImage(plan: CopyPlan, expectedDigest: string | undefined, ports: MirrorPorts, ctx: InvocationContext): Promise<ImageToCopy> {
  try {
    return await readParts(plan, expectedDigest, ports, ctx);
  } catch (error) {
    if (!(error instanceof RegistryError)) throw error;
    throw new CopyError(`Could not read ${plan.sourceImage} (${describePlatforms(plan)}) to copy it: ${error.message}`, { cause: error });
  }
}

async function readParts(plan: CopyPlan, expectedDigest: string | undefined, ports: MirrorPorts, ctx: InvocationContext): Promise<ImageToCopy> {
  const source = sourceReference(plan);
  const reader = new ImageReader(source, ports, ctx);
  if (!isAllPlatforms(plan)) {
    const digest = await platformDigest(plan, expectedDigest, ports, ctx);
    const manifest = await reader.read(pinned(source, digest));
    if (!isImageManifestMediaType(manifest.mediaType)) {
      throw new SourceImageError(
        plan.sourceImage,
        `${plan.sourceImage}@${digest} is an image index, not the ${platformOf(plan.architecture).architecture} image manifest Lambda runs`,
      );
    }
    await reader.checkConfig(plan, manifest);
    reader.addBlobs(blobsOf(manifest, source));
    return { top: manifest, children: [], blobs: [...reader.blobs.values()], held: reader.held };
  }
  const top = await reader.read(expectedDigest !== undefined ? pinned(source, expectedDigest) : source);
  if (isIndexMediaType(top.mediaType)) await reader.addChildren(top, 0);
  else reader.addBlobs(blobsOf(top, source));
  if (reader.blobs.size === 0 && reader.children.length === 0) {
    throw new SourceImageError(plan.sourceImage, `${plan.sourceImage} (${describePlatforms(plan)}) names no manifests or blobs to copy`);
  }
  return { top, children: reader.children, blobs: [...reader.blobs.values()], held: reader.held };
}
