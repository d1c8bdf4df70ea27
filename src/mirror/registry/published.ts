// What `Platforms: all` copies: the source's top manifest as the registry serves it (pure). For an index or manifest
// list, its digest (of the exact bytes) and entries, attestations included; for a single manifest, its own digest,
// provided it is a container image (an OCI artifact is not something to run on a task).
import { isIndexMediaType, parseImageManifestConfig, parseIndex, type Descriptor } from './media.js';
import { availablePlatforms, isAttestation } from './platform.js';

export interface PublishedImage {
  /** Digest of the top manifest: the index's, or the single manifest's. */
  digest: string;
  mediaType: string;
  /** The index entries (images, attestations, nested indexes) in index order; empty for a single manifest. */
  entries: Descriptor[];
  /** Platforms the image offers (attestations excluded); empty for a single manifest (its config is not read). */
  available: string[];
  /** How many entries are attestations. */
  attestations: number;
}

/** Throws ManifestShapeError when the manifest is neither an index nor a container image manifest. */
export function publishedImage(manifest: { digest: string; mediaType: string; json: unknown }): PublishedImage {
  if (isIndexMediaType(manifest.mediaType)) {
    const entries = parseIndex(manifest.json);
    return {
      digest: manifest.digest,
      mediaType: manifest.mediaType,
      entries,
      available: availablePlatforms(entries),
      attestations: entries.filter(isAttestation).length,
    };
  }
  parseImageManifestConfig(manifest.json);
  return { digest: manifest.digest, mediaType: manifest.mediaType, entries: [], available: [], attestations: 0 };
}
