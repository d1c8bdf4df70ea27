// An independent, test-side reader of OCI/Docker registries. Tests verify what the product wrote with this
// reader (and with skopeo), never with the product's own registry client.
import { createHash } from 'node:crypto';
import { INDEX_TYPES, MANIFEST_ACCEPT } from './media-types.js';
import { RegistryHttpError, registryBase, registryRequest, type RegistryAuth } from './registry-http.js';

export { RegistryHttpError } from './registry-http.js';
export type { RegistryAuth } from './registry-http.js';

/** A manifest or index as the registry served it. */
export interface ManifestRead {
  /** `sha256:` over the exact bytes received (computed here, not taken from the registry). */
  digest: string;
  /** Content-Type of the response, without parameters. */
  mediaType: string;
  json: ManifestJson;
  bytes: Buffer;
}

/** Fields of a manifest or index that tests look at. */
export interface ManifestJson {
  schemaVersion?: number;
  mediaType?: string;
  config?: { mediaType: string; digest: string; size: number };
  layers?: Array<{ mediaType: string; digest: string; size: number; annotations?: Record<string, string> }>;
  manifests?: Array<{
    mediaType: string;
    digest: string;
    size: number;
    platform?: { os: string; architecture: string; variant?: string };
    annotations?: Record<string, string>;
  }>;
  [key: string]: unknown;
}

/** Fields of an image config that tests look at. */
export interface ImageConfig {
  os: string;
  architecture: string;
  variant?: string;
  [key: string]: unknown;
}

/** The registry served content that does not match its digest or claimed type. */
export class RegistryContentError extends Error {
  override readonly name = 'RegistryContentError';
}

function sha256(bytes: Uint8Array): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

function isDigest(reference: string): boolean {
  return /^sha256:[a-f0-9]{64}$/.test(reference);
}

/**
 * GETs `repository:reference` (tag or digest) with the full Accept list (OCI and Docker, manifests and indexes;
 * docker-registry misbehaves with partial lists) and checks the bytes against a requested digest and the
 * registry's `Docker-Content-Digest`.
 */
export async function readManifest(registryUrl: string, repository: string, reference: string, auth?: RegistryAuth): Promise<ManifestRead> {
  const url = `${registryBase(registryUrl)}/v2/${repository}/manifests/${reference}`;
  const response = await registryRequest(`read manifest ${repository}:${reference}`, 'GET', url, {
    auth,
    headers: { accept: MANIFEST_ACCEPT.join(', ') },
    expect: [200],
  });
  const bytes = Buffer.from(await response.arrayBuffer());
  const digest = sha256(bytes);
  const mediaType = (response.headers.get('content-type') ?? '').split(';')[0]!.trim();
  const served = response.headers.get('docker-content-digest');
  if (isDigest(reference) && digest !== reference) {
    throw new RegistryContentError(`${url} served bytes with digest ${digest}, not the requested ${reference}`);
  }
  if (served && served !== digest) throw new RegistryContentError(`${url} claims digest ${served} but its bytes hash to ${digest}`);
  const json = JSON.parse(bytes.toString('utf8')) as ManifestJson;
  if (json.mediaType !== undefined && json.mediaType !== mediaType) {
    throw new RegistryContentError(`${url} was served as ${mediaType} but its mediaType field says ${json.mediaType}`);
  }
  return { digest, mediaType, json, bytes };
}

/** Like {@link readManifest}, but `undefined` when the registry answers 404 (unknown tag, digest or repository). */
export async function tryReadManifest(registryUrl: string, repository: string, reference: string, auth?: RegistryAuth): Promise<ManifestRead | undefined> {
  try {
    return await readManifest(registryUrl, repository, reference, auth);
  } catch (error) {
    if (error instanceof RegistryHttpError && error.status === 404) return undefined;
    throw error;
  }
}

/** GETs a blob and checks it against its digest. */
export async function readBlob(registryUrl: string, repository: string, digest: string, auth?: RegistryAuth): Promise<Buffer> {
  const url = `${registryBase(registryUrl)}/v2/${repository}/blobs/${digest}`;
  const response = await registryRequest(`read blob ${repository}@${digest}`, 'GET', url, { auth, expect: [200] });
  const bytes = Buffer.from(await response.arrayBuffer());
  if (sha256(bytes) !== digest) throw new RegistryContentError(`${url} served bytes hashing to ${sha256(bytes)}`);
  return bytes;
}

/**
 * Reads the config blob of the single-platform manifest `repository:reference` (os, architecture, variant).
 * An index is refused: pass the digest of one of its children.
 */
export async function readConfig(registryUrl: string, repository: string, reference: string, auth?: RegistryAuth): Promise<ImageConfig> {
  const manifest = await readManifest(registryUrl, repository, reference, auth);
  if (INDEX_TYPES.includes(manifest.mediaType) || !manifest.json.config) {
    throw new RegistryContentError(`${repository}:${reference} is ${manifest.mediaType}, not a single-platform manifest; read the config of one of its children`);
  }
  return JSON.parse((await readBlob(registryUrl, repository, manifest.json.config.digest, auth)).toString('utf8')) as ImageConfig;
}

/** Tags of `repository`; `[]` when the repository does not exist. */
export async function listTags(registryUrl: string, repository: string, auth?: RegistryAuth): Promise<string[]> {
  const url = `${registryBase(registryUrl)}/v2/${repository}/tags/list`;
  const response = await registryRequest(`list tags of ${repository}`, 'GET', url, { auth, expect: [200, 404] });
  if (response.status === 404) {
    await response.body?.cancel();
    return [];
  }
  const body = (await response.json()) as { tags?: string[] | null };
  return body.tags ?? [];
}

/** Repository names in the registry (`/v2/_catalog`). */
export async function listRepositories(registryUrl: string, auth?: RegistryAuth): Promise<string[]> {
  const url = `${registryBase(registryUrl)}/v2/_catalog?n=1000`;
  const response = await registryRequest('list repositories', 'GET', url, { auth, expect: [200] });
  const body = (await response.json()) as { repositories?: string[] | null };
  return body.repositories ?? [];
}

/**
 * The index entry for `os/architecture` (attestation entries, `unknown/unknown`, never match), or undefined.
 */
export function findPlatformEntry(index: ManifestJson, platform: { os?: string; architecture: string }): NonNullable<ManifestJson['manifests']>[number] | undefined {
  return index.manifests?.find((entry) => entry.platform?.os === (platform.os ?? 'linux') && entry.platform?.architecture === platform.architecture);
}

/** Everything a manifest (and, for an index, every entry) pulls in: the manifests and the distinct blobs, all read back. */
export interface StoredImage {
  /** Digests of the manifests read: the top one first, then the index entries in order. */
  manifests: string[];
  /** Distinct blob digests (configs and layers) with their sizes, each read back and checked against its digest. */
  blobs: Map<string, number>;
  /** Manifest bytes plus distinct blob bytes: what a copy of exactly this content pushes. */
  bytes: number;
}

/** Reads `repository@digest` and everything it names from the registry; fails when any part is missing. */
export async function readStoredImage(registryUrl: string, repository: string, digest: string, auth?: RegistryAuth): Promise<StoredImage> {
  const top = await readManifest(registryUrl, repository, digest, auth);
  const reads = [top, ...(await Promise.all((top.json.manifests ?? []).map((entry) => readManifest(registryUrl, repository, entry.digest, auth))))];
  const blobs = new Map<string, number>();
  for (const manifest of reads) {
    for (const blob of [...(manifest.json.config ? [manifest.json.config] : []), ...(manifest.json.layers ?? [])]) blobs.set(blob.digest, blob.size);
  }
  for (const blob of blobs.keys()) await readBlob(registryUrl, repository, blob, auth);
  const manifestBytes = reads.reduce((sum, manifest) => sum + manifest.bytes.length, 0);
  return { manifests: reads.map((manifest) => manifest.digest), blobs, bytes: manifestBytes + [...blobs.values()].reduce((sum, size) => sum + size, 0) };
}
