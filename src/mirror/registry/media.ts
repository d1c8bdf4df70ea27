// Manifest media types and the shape checks this client relies on (pure); digests are ../../reference/digest.ts.
import { isDigest } from '../../reference/index.js';
import { isPlainObject } from '../../values.js';
import { ManifestShapeError } from './errors.js';

export const MediaType = {
  OciManifest: 'application/vnd.oci.image.manifest.v1+json',
  OciIndex: 'application/vnd.oci.image.index.v1+json',
  DockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  DockerManifestList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  OciConfig: 'application/vnd.oci.image.config.v1+json',
  DockerConfig: 'application/vnd.docker.container.image.v1+json',
} as const;

/**
 * Every manifest request sends all four types: docker-registry answers 404 for an OCI index when only
 * Docker types are accepted, and silently hands out one child of a manifest list when the list type is missing.
 */
export const MANIFEST_MEDIA_TYPES: readonly string[] = [MediaType.OciManifest, MediaType.OciIndex, MediaType.DockerManifest, MediaType.DockerManifestList];
export const MANIFEST_ACCEPT = MANIFEST_MEDIA_TYPES.join(', ');

const INDEX_MEDIA_TYPES: readonly string[] = [MediaType.OciIndex, MediaType.DockerManifestList];
const IMAGE_MANIFEST_MEDIA_TYPES: readonly string[] = [MediaType.OciManifest, MediaType.DockerManifest];
const CONFIG_MEDIA_TYPES: readonly string[] = [MediaType.OciConfig, MediaType.DockerConfig];

const DOCKER_SCHEMA1_PREFIX = 'application/vnd.docker.distribution.manifest.v1';

/** Content types that say nothing about the manifest; the body's own `mediaType` then decides. */
const GENERIC_CONTENT_TYPES: readonly string[] = ['', 'application/json', 'application/octet-stream', 'text/plain'];

/** Registries must accept manifests of at least 4 MiB (OCI distribution spec); anything larger is refused. */
export const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;
/** Image configs are usually a few KiB; the cap only stops a hostile registry from exhausting memory. */
export const MAX_CONFIG_BYTES = 8 * 1024 * 1024;

export function isIndexMediaType(mediaType: string): boolean {
  return INDEX_MEDIA_TYPES.includes(mediaType);
}

export function isImageManifestMediaType(mediaType: string): boolean {
  return IMAGE_MANIFEST_MEDIA_TYPES.includes(mediaType);
}

/** `Content-Type` without parameters, lower-cased; '' when absent. */
export function bareContentType(header: string | null): string {
  return (header ?? '').split(';')[0]!.trim().toLowerCase();
}

/** A manifest as read: its exact bytes, their digest and media type, and the parsed JSON. */
export interface ManifestResult {
  /** Digest of exactly `bytes` (the requested digest when asked by digest). */
  digest: string;
  mediaType: string;
  bytes: Uint8Array;
  json: unknown;
}

/** What moving a blob needs to know of it. */
export interface BlobDescriptor {
  readonly digest: string;
  readonly size: number;
}

export interface Platform {
  readonly os: string;
  readonly architecture: string;
  readonly variant?: string;
}

export interface Descriptor {
  readonly mediaType: string;
  readonly digest: string;
  readonly size: number;
  readonly platform?: Platform;
  readonly annotations?: Readonly<Record<string, string>>;
}

function parsePlatform(value: unknown, where: string): Platform | undefined {
  if (value === undefined) return undefined;
  if (!isPlainObject(value) || typeof value.os !== 'string' || typeof value.architecture !== 'string') {
    throw new ManifestShapeError(`${where} has a platform without string "os" and "architecture"`);
  }
  const variant = typeof value.variant === 'string' && value.variant !== '' ? value.variant : undefined;
  return { os: value.os, architecture: value.architecture, ...(variant !== undefined ? { variant } : {}) };
}

function parseAnnotations(value: unknown): Readonly<Record<string, string>> | undefined {
  if (!isPlainObject(value)) return undefined;
  const annotations: Record<string, string> = {};
  for (const [key, entry] of Object.entries(value)) if (typeof entry === 'string') annotations[key] = entry;
  return annotations;
}

export function parseDescriptor(value: unknown, where: string): Descriptor {
  if (!isPlainObject(value)) throw new ManifestShapeError(`${where} is not an object`);
  if (typeof value.mediaType !== 'string') throw new ManifestShapeError(`${where} has no "mediaType"`);
  if (!isDigest(value.digest)) throw new ManifestShapeError(`${where} has no valid "digest"`);
  if (typeof value.size !== 'number' || !Number.isSafeInteger(value.size) || value.size < 0) {
    throw new ManifestShapeError(`${where} has no valid "size"`);
  }
  const platform = parsePlatform(value.platform, where);
  const annotations = parseAnnotations(value.annotations);
  return {
    mediaType: value.mediaType,
    digest: value.digest,
    size: value.size,
    ...(platform !== undefined ? { platform } : {}),
    ...(annotations !== undefined ? { annotations } : {}),
  };
}

/** Entries of an OCI index or Docker manifest list. */
export function parseIndex(json: unknown): Descriptor[] {
  if (!isPlainObject(json) || !Array.isArray(json.manifests)) throw new ManifestShapeError('the index has no "manifests" array');
  return json.manifests.map((entry, index) => parseDescriptor(entry, `index entry ${index + 1}`));
}

/** The config descriptor of a single-platform image manifest. */
export function parseImageManifestConfig(json: unknown): Descriptor {
  if (!isPlainObject(json)) throw new ManifestShapeError('the manifest is not a JSON object');
  const config = parseDescriptor(json.config, 'the manifest\'s "config"');
  if (!CONFIG_MEDIA_TYPES.includes(config.mediaType)) {
    throw new ManifestShapeError(`the manifest's config has media type "${config.mediaType.slice(0, 100)}", so it is not a container image (an OCI artifact?)`);
  }
  return config;
}

/** `os`, `architecture` and `variant` of an image config blob. */
export function parseImageConfigPlatform(json: unknown): Platform {
  if (!isPlainObject(json) || typeof json.os !== 'string' || typeof json.architecture !== 'string') {
    throw new ManifestShapeError('the image config has no string "os" and "architecture"');
  }
  const variant = typeof json.variant === 'string' && json.variant !== '' ? json.variant : undefined;
  return { os: json.os, architecture: json.architecture, ...(variant !== undefined ? { variant } : {}) };
}

/**
 * The media type of a fetched manifest, checked against the `Content-Type` header and the body's own
 * `mediaType`. Throws ManifestShapeError when they disagree or the type is not one this client reads.
 */
export function manifestMediaType(contentTypeHeader: string | null, json: unknown): string {
  if (!isPlainObject(json)) throw new ManifestShapeError('the manifest is not a JSON object');
  const contentType = bareContentType(contentTypeHeader);
  const declared = typeof json.mediaType === 'string' ? json.mediaType : undefined;
  let mediaType: string;
  if (MANIFEST_MEDIA_TYPES.includes(contentType)) {
    if (declared !== undefined && declared !== contentType) {
      throw new ManifestShapeError(`Content-Type is "${contentType}" but the manifest declares "${declared.slice(0, 100)}"`);
    }
    mediaType = contentType;
  } else if (GENERIC_CONTENT_TYPES.includes(contentType) && declared !== undefined && MANIFEST_MEDIA_TYPES.includes(declared)) {
    mediaType = declared;
  } else if (contentType.startsWith(DOCKER_SCHEMA1_PREFIX)) {
    throw new ManifestShapeError(
      `the registry answered with a Docker schema 1 manifest ("${contentType.slice(0, 100)}"), which is not supported; re-push the image with a current tool`,
    );
  } else {
    const shown = contentType === '' ? 'no Content-Type' : `Content-Type "${contentType.slice(0, 100)}"`;
    throw new ManifestShapeError(`the registry answered with ${shown}, which is not one of ${MANIFEST_MEDIA_TYPES.join(', ')}`);
  }
  if (json.schemaVersion !== 2) {
    throw new ManifestShapeError(`the manifest has schemaVersion ${JSON.stringify(json.schemaVersion ?? null)}; expected 2`);
  }
  return mediaType;
}
