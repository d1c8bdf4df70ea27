// Choosing the one platform manifest a Lambda function of a given architecture can run (pure).
import { platformOf, type Architecture } from '../../contract.js';
import type { Descriptor, Platform } from './media.js';

/** Annotation buildx puts on attestation manifests (provenance, SBOM) inside an image index. */
export const ATTESTATION_ANNOTATION = 'vnd.docker.reference.type';

/** `os/architecture[/variant]`, e.g. `linux/arm64/v8`. */
export function formatPlatform(platform: Platform): string {
  return [platform.os, platform.architecture, ...(platform.variant !== undefined ? [platform.variant] : [])].join('/');
}

/** `linux/amd64` for x86_64, `linux/arm64` for arm64. */
export function lambdaPlatform(architecture: Architecture): string {
  const { os, architecture: arch } = platformOf(architecture);
  return `${os}/${arch}`;
}

/** Attestations are index entries that are not runnable images: `unknown/unknown` or annotated by buildx. */
export function isAttestation(descriptor: Descriptor): boolean {
  if (descriptor.annotations?.[ATTESTATION_ANNOTATION] !== undefined) return true;
  return descriptor.platform?.os === 'unknown' && descriptor.platform.architecture === 'unknown';
}

/**
 * How well a platform fits the architecture: lower is better, undefined is unusable.
 * arm64: variant v8 or none (v8 preferred when both exist). amd64: no variant or the baseline v1;
 * micro-architecture levels (v2, v3, v4) are not guaranteed on Lambda hardware, so they do not match.
 */
export function platformRank(platform: Platform, architecture: Architecture): number | undefined {
  const wanted = platformOf(architecture);
  if (platform.os !== wanted.os || platform.architecture !== wanted.architecture) return undefined;
  const variant = platform.variant;
  if (wanted.architecture === 'arm64') return variant === 'v8' ? 0 : variant === undefined ? 1 : undefined;
  return variant === undefined ? 0 : variant === 'v1' ? 1 : undefined;
}

/** Platforms an index offers, in index order, without duplicates or attestations. */
export function availablePlatforms(entries: readonly Descriptor[]): string[] {
  const seen = new Set<string>();
  for (const entry of entries) {
    if (entry.platform === undefined || isAttestation(entry)) continue;
    seen.add(formatPlatform(entry.platform));
  }
  return [...seen];
}

/** The best index entry for the architecture (first of the best rank), or undefined. */
export function choosePlatformEntry(entries: readonly Descriptor[], architecture: Architecture): Descriptor | undefined {
  let best: { entry: Descriptor; rank: number } | undefined;
  for (const entry of entries) {
    if (entry.platform === undefined || isAttestation(entry)) continue;
    const rank = platformRank(entry.platform, architecture);
    if (rank !== undefined && (best === undefined || rank < best.rank)) best = { entry, rank };
  }
  return best?.entry;
}

/** What the client resolves a reference to for one architecture. */
export interface PlatformManifest {
  /** Digest of the single-platform manifest to copy and pin. */
  digest: string;
  mediaType: string;
  /** `linux/amd64` or `linux/arm64`. */
  platform: string;
  /** Digest of the index or manifest list it was chosen from. */
  indexDigest?: string;
  /** Platforms the image offers (attestations excluded), e.g. `['linux/amd64', 'linux/arm64/v8']`. */
  available: string[];
}
