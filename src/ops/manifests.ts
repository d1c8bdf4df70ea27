// Reading an image index as ECR returns it (BatchGetImage's imageManifest): the digests it lists. Pure.
import { isDigest } from '../reference/index.js';
import { isIndexMediaType } from '../mirror/registry/media.js';
import { isPlainObject } from '../values.js';

/** The digests an index (or Docker manifest list) lists; undefined for anything else, or text that is not one. */
export function indexChildDigests(manifestText: string | undefined): string[] | undefined {
  if (manifestText === undefined) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(manifestText);
  } catch {
    return undefined;
  }
  if (!isPlainObject(parsed) || !Array.isArray(parsed.manifests)) return undefined;
  // An index without a mediaType field is still an index (OCI makes the field optional); anything typed otherwise is not.
  if (typeof parsed.mediaType === 'string' && !isIndexMediaType(parsed.mediaType)) return undefined;
  const digests = parsed.manifests.map((entry) => (isPlainObject(entry) ? entry.digest : undefined)).filter((digest): digest is string => isDigest(digest));
  return [...new Set(digests)];
}

/** Whether ECR's media type says the image is an index (or a manifest list). */
export function isIndexImage(mediaType: string | undefined): boolean {
  return mediaType !== undefined && isIndexMediaType(mediaType);
}
