// Test images generated in memory (never pulled from the internet) and pushed to a local registry through the
// Distribution HTTP API: OCI or Docker media types, one or more platforms, optional buildx-style attestations.
import { randomUUID } from 'node:crypto';
import { fillSeededRandom, gzipLayer, sha256Digest, tarArchive } from './layer-bytes.js';
import { AttestationAnnotation, MediaType } from './media-types.js';
import { registryBase, registryRequest, type RegistryAuth } from './registry-http.js';

export { MediaType } from './media-types.js';
export type { RegistryAuth } from './registry-http.js';

/** Platforms the generator can build. `linux/arm64/v8` is arm64 with `variant: v8`, as buildx writes it. */
export type TestPlatform = 'linux/amd64' | 'linux/arm64' | 'linux/arm64/v8';
/** Lambda-relevant platform key: `linux/arm64/v8` is reported as `linux/arm64`. */
export type PlatformKey = 'linux/amd64' | 'linux/arm64';

/** OCI platform object (index entries and image configs). */
export interface OciPlatform {
  os: string;
  architecture: string;
  variant?: string;
}

/** OCI content descriptor. */
export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  platform?: OciPlatform;
  annotations?: Record<string, string>;
}

/** A content-addressed blob (layer or config). */
export interface GeneratedBlob {
  digest: string;
  mediaType: string;
  size: number;
  bytes: Buffer;
}

/** A generated manifest or index: exact bytes, their digest, and the parsed form. */
export interface GeneratedManifest {
  digest: string;
  mediaType: string;
  size: number;
  bytes: Buffer;
  json: Record<string, unknown>;
  /** `image` = runnable single-platform manifest; `attestation` = buildx attestation; `index` = index/list. */
  role: 'image' | 'attestation' | 'index';
  /** Platform of an `image` manifest (`unknown/unknown` for an attestation). */
  platform?: OciPlatform;
  /** For an attestation: digest of the image manifest it describes. */
  subject?: string;
}

/** A complete generated image. */
export interface GeneratedImage {
  format: 'oci' | 'docker';
  /** Digest of the top-level manifest (the index when there is one). */
  digest: string;
  /** Media type of the top-level manifest. */
  mediaType: string;
  /** The top-level manifest: the index when there is one, else the single image manifest. */
  top: GeneratedManifest;
  /** The index / manifest list, when the image has several platforms or attestations. */
  index?: GeneratedManifest;
  /** The runnable single-platform manifests by platform key. */
  platforms: Partial<Record<PlatformKey, GeneratedManifest>>;
  /** buildx-style attestation manifests (one per platform) when `attestation` was asked for. */
  attestations: GeneratedManifest[];
  /** Every manifest below the top level, in push order (images, then attestations). */
  children: GeneratedManifest[];
  /** Every distinct blob (layers and configs). */
  blobs: GeneratedBlob[];
}

/** Options of {@link generateImage}. */
export interface GenerateImageOptions {
  platforms: readonly TestPlatform[];
  /** Media type family; default `oci`. */
  format?: 'oci' | 'docker';
  /**
   * Add a buildx-style attestation manifest per platform (forces an index). buildx itself only does this with OCI
   * media types; with `format: 'docker'` the result is a synthetic list that docker-registry and skopeo accept.
   */
  attestation?: boolean;
  /** Layers per platform; default 1. */
  layers?: number;
  /** Random payload bytes per layer; default 4096. */
  layerBytes?: number;
  /** Same seed and options -> byte-identical image (same digests); default random. */
  seed?: string;
}

/** A generator option made no sense. */
export class ImageGeneratorError extends Error {
  override readonly name = 'ImageGeneratorError';
}

const PLATFORMS: Record<TestPlatform, { key: PlatformKey; platform: OciPlatform }> = {
  'linux/amd64': { key: 'linux/amd64', platform: { os: 'linux', architecture: 'amd64' } },
  'linux/arm64': { key: 'linux/arm64', platform: { os: 'linux', architecture: 'arm64' } },
  'linux/arm64/v8': { key: 'linux/arm64', platform: { os: 'linux', architecture: 'arm64', variant: 'v8' } },
};
const CREATED = '2024-01-01T00:00:00Z';

function typesFor(format: 'oci' | 'docker') {
  return format === 'oci'
    ? { manifest: MediaType.OciManifest, index: MediaType.OciIndex, config: MediaType.OciConfig, layer: MediaType.OciLayerGzip }
    : { manifest: MediaType.DockerManifest, index: MediaType.DockerManifestList, config: MediaType.DockerConfig, layer: MediaType.DockerLayerGzip };
}

function blob(mediaType: string, bytes: Buffer): GeneratedBlob {
  return { digest: sha256Digest(bytes), mediaType, size: bytes.length, bytes };
}

function descriptor(item: { mediaType: string; digest: string; size: number }): Descriptor {
  return { mediaType: item.mediaType, digest: item.digest, size: item.size };
}

function manifestOf(json: Record<string, unknown>, role: GeneratedManifest['role'], extra: Partial<GeneratedManifest> = {}): GeneratedManifest {
  const bytes = Buffer.from(JSON.stringify(json), 'utf8');
  return { digest: sha256Digest(bytes), mediaType: json.mediaType as string, size: bytes.length, bytes, json, role, ...extra };
}

function platformImage(
  types: ReturnType<typeof typesFor>,
  testPlatform: TestPlatform,
  layerCount: number,
  layerBytes: number,
  seed: string,
  blobs: Map<string, GeneratedBlob>,
): GeneratedManifest {
  const { platform } = PLATFORMS[testPlatform];
  const layers: GeneratedBlob[] = [];
  const diffIds: string[] = [];
  for (let i = 0; i < layerCount; i++) {
    const tar = tarArchive([
      { path: 'sif-test/' },
      ...(i === 0 ? [{ path: 'sif-test/platform', content: Buffer.from(`${testPlatform}\n`) }] : []),
      {
        path: `sif-test/layer-${i}.bin`,
        generated: { size: layerBytes, fill: (target: Buffer) => fillSeededRandom(`${seed}/${testPlatform}/layer-${i}`, target) },
      },
    ]);
    diffIds.push(sha256Digest(tar));
    layers.push(blob(types.layer, gzipLayer(tar)));
  }
  const config = blob(
    types.config,
    Buffer.from(
      JSON.stringify({
        created: CREATED,
        architecture: platform.architecture,
        ...(platform.variant ? { variant: platform.variant } : {}),
        os: platform.os,
        config: {
          Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'],
          Cmd: ['/sif-test/handler'],
          Labels: { 'org.example.sysdig-image-fix.test-seed': seed },
        },
        rootfs: { type: 'layers', diff_ids: diffIds },
        history: diffIds.map((_, i) => ({ created: CREATED, created_by: `sysdig-image-fix test layer ${i}` })),
      }),
    ),
  );
  for (const item of [...layers, config]) blobs.set(item.digest, item);
  return manifestOf({ schemaVersion: 2, mediaType: types.manifest, config: descriptor(config), layers: layers.map(descriptor) }, 'image', { platform });
}

/** An attestation manifest shaped like buildx's provenance attestation for `subject`. */
function attestationFor(subject: GeneratedManifest, seed: string, blobs: Map<string, GeneratedBlob>): GeneratedManifest {
  const predicateType = 'https://slsa.dev/provenance/v0.2';
  const statement = blob(
    MediaType.InToto,
    Buffer.from(
      JSON.stringify({
        _type: 'https://in-toto.io/Statement/v0.1',
        predicateType,
        subject: [{ name: `pkg:docker/sif-test@${seed}`, digest: { sha256: subject.digest.slice('sha256:'.length) } }],
        predicate: { builder: { id: '' }, buildType: 'https://mobyproject.org/buildkit@v1', metadata: { seed } },
      }),
    ),
  );
  const config = blob(
    MediaType.OciConfig,
    Buffer.from(JSON.stringify({ architecture: 'unknown', os: 'unknown', config: {}, rootfs: { type: 'layers', diff_ids: [statement.digest] } })),
  );
  blobs.set(statement.digest, statement);
  blobs.set(config.digest, config);
  return manifestOf(
    {
      schemaVersion: 2,
      mediaType: MediaType.OciManifest,
      config: descriptor(config),
      layers: [{ ...descriptor(statement), annotations: { [AttestationAnnotation.PredicateType]: predicateType } }],
    },
    'attestation',
    { platform: { os: 'unknown', architecture: 'unknown' }, subject: subject.digest },
  );
}

/**
 * Generates an image in memory: per platform, `layers` valid gzip'd tar layers of seeded random data and a config
 * (`os`/`architecture`/`variant`); an index (OCI) or manifest list (Docker) when there are several platforms or
 * attestations, else just the manifest. Attestation entries match buildx: platform `unknown/unknown` and
 * annotations `vnd.docker.reference.type: attestation-manifest`, `vnd.docker.reference.digest: <subject>`.
 */
export function generateImage(options: GenerateImageOptions): GeneratedImage {
  const format = options.format ?? 'oci';
  const layerCount = options.layers ?? 1;
  const layerBytes = options.layerBytes ?? 4096;
  const seed = options.seed ?? randomUUID();
  if (options.platforms.length === 0) throw new ImageGeneratorError('generateImage: give at least one platform');
  if (!Number.isInteger(layerCount) || layerCount < 1) throw new ImageGeneratorError(`generateImage: layers must be an integer >= 1 (got ${layerCount})`);
  if (!Number.isInteger(layerBytes) || layerBytes < 0) throw new ImageGeneratorError(`generateImage: layerBytes must be an integer >= 0 (got ${layerBytes})`);
  const keys = options.platforms.map((p) => PLATFORMS[p].key);
  if (new Set(keys).size !== keys.length) {
    throw new ImageGeneratorError(`generateImage: platforms ${options.platforms.join(', ')} name the same architecture twice`);
  }

  const types = typesFor(format);
  const blobs = new Map<string, GeneratedBlob>();
  const platforms: Partial<Record<PlatformKey, GeneratedManifest>> = {};
  const images = options.platforms.map((p) => {
    const image = platformImage(types, p, layerCount, layerBytes, seed, blobs);
    platforms[PLATFORMS[p].key] = image;
    return image;
  });
  const attestations = options.attestation ? images.map((image) => attestationFor(image, seed, blobs)) : [];
  const children = [...images, ...attestations];

  let index: GeneratedManifest | undefined;
  if (children.length > 1) {
    index = manifestOf(
      {
        schemaVersion: 2,
        mediaType: types.index,
        manifests: [
          ...images.map((image) => ({ ...descriptor(image), platform: image.platform })),
          ...attestations.map((att) => ({
            ...descriptor(att),
            annotations: {
              [AttestationAnnotation.ReferenceDigest]: att.subject,
              [AttestationAnnotation.ReferenceType]: AttestationAnnotation.AttestationManifest,
            },
            platform: { architecture: 'unknown', os: 'unknown' },
          })),
        ],
      },
      'index',
    );
  }
  const top = index ?? images[0]!;
  return {
    format,
    digest: top.digest,
    mediaType: top.mediaType,
    top,
    ...(index ? { index } : {}),
    platforms,
    attestations,
    children: index ? children : [],
    blobs: [...blobs.values()],
  };
}

/** What {@link pushImage} pushed. */
export interface PushedImage {
  /** `host:port/repository:tag`. */
  reference: string;
  /** Digest of the top-level manifest, as computed locally and confirmed by the registry. */
  digest: string;
  mediaType: string;
  /** The runnable single-platform manifests by platform key. */
  platforms: Partial<Record<PlatformKey, { digest: string; mediaType: string }>>;
  /** Attestation manifests: their digest and the image digest each describes. */
  attestations: Array<{ digest: string; subject: string }>;
}

/** Options of {@link pushImage}. */
export interface PushOptions {
  /** Blobs larger than this are uploaded in PATCH chunks of this size; smaller ones in one PUT. Default 16 MiB. */
  chunkBytes?: number;
  /** Parallel blob uploads; default 3. */
  concurrency?: number;
}

const REPOSITORY_PATTERN = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$/;
const TAG_PATTERN = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;

async function uploadBlob(base: string, repository: string, item: GeneratedBlob, chunkBytes: number, auth?: RegistryAuth): Promise<void> {
  const what = `push blob ${item.digest} to ${repository}`;
  const head = await registryRequest(what, 'HEAD', `${base}/v2/${repository}/blobs/${item.digest}`, { auth, expect: [200, 404] });
  if (head.status === 200) return;
  const started = await registryRequest(what, 'POST', `${base}/v2/${repository}/blobs/uploads/`, { auth, expect: [202] });
  let location = new URL(started.headers.get('location') ?? '', base);
  await started.body?.cancel();
  if (item.size > chunkBytes) {
    for (let offset = 0; offset < item.size; offset += chunkBytes) {
      const chunk = item.bytes.subarray(offset, Math.min(offset + chunkBytes, item.size));
      const patched = await registryRequest(what, 'PATCH', location.href, {
        auth,
        headers: { 'content-type': 'application/octet-stream', 'content-range': `${offset}-${offset + chunk.length - 1}` },
        body: chunk,
        expect: [202],
      });
      location = new URL(patched.headers.get('location') ?? '', base);
      await patched.body?.cancel();
    }
  }
  location.searchParams.set('digest', item.digest);
  const body = item.size > chunkBytes ? undefined : item.bytes;
  const done = await registryRequest(what, 'PUT', location.href, {
    auth,
    headers: { 'content-type': 'application/octet-stream' },
    ...(body ? { body } : {}),
    expect: [201],
  });
  await done.body?.cancel();
  const confirmed = done.headers.get('docker-content-digest');
  if (confirmed && confirmed !== item.digest) throw new Error(`${what}: registry stored ${confirmed}, expected ${item.digest}`);
}

async function putManifest(base: string, repository: string, reference: string, manifest: GeneratedManifest, auth?: RegistryAuth): Promise<void> {
  const what = `push manifest ${manifest.digest} (${manifest.mediaType}) to ${repository}:${reference}`;
  const response = await registryRequest(what, 'PUT', `${base}/v2/${repository}/manifests/${reference}`, {
    auth,
    headers: { 'content-type': manifest.mediaType },
    body: manifest.bytes,
    expect: [201],
  });
  await response.body?.cancel();
  const confirmed = response.headers.get('docker-content-digest');
  if (confirmed !== manifest.digest) throw new Error(`${what}: registry answered digest ${confirmed}, expected ${manifest.digest}`);
}

async function inParallel<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) await work(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

/**
 * Pushes `image` to `registryUrl` (`http://127.0.0.1:PORT`) as `repository:tag` with the Distribution API: blobs
 * first (skipping those the registry has), then child manifests by digest, then the top level by tag.
 * Every manifest digest is checked against the registry's `Docker-Content-Digest`.
 */
export async function pushImage(
  registryUrl: string,
  repository: string,
  tag: string,
  image: GeneratedImage,
  auth?: RegistryAuth,
  options: PushOptions = {},
): Promise<PushedImage> {
  if (!REPOSITORY_PATTERN.test(repository)) throw new ImageGeneratorError(`pushImage: invalid repository name ${JSON.stringify(repository)}`);
  if (!TAG_PATTERN.test(tag)) throw new ImageGeneratorError(`pushImage: invalid tag ${JSON.stringify(tag)}`);
  const base = registryBase(registryUrl);
  const chunkBytes = options.chunkBytes ?? 16 * 1024 * 1024;
  await inParallel(image.blobs, options.concurrency ?? 3, (item) => uploadBlob(base, repository, item, chunkBytes, auth));
  for (const child of image.children) await putManifest(base, repository, child.digest, child, auth);
  await putManifest(base, repository, tag, image.top, auth);

  const platforms: PushedImage['platforms'] = {};
  for (const [key, manifest] of Object.entries(image.platforms) as Array<[PlatformKey, GeneratedManifest]>) {
    platforms[key] = { digest: manifest.digest, mediaType: manifest.mediaType };
  }
  return {
    reference: `${new URL(base).host}/${repository}:${tag}`,
    digest: image.digest,
    mediaType: image.mediaType,
    platforms,
    attestations: image.attestations.map((att) => ({ digest: att.digest, subject: att.subject! })),
  };
}
