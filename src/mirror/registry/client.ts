// Read-only OCI registry client of the mirror function: pins the exact source platform digest, fails
// early when the image lacks the function's architecture, and tells whether the target already holds a
// digest. Only Node built-ins: it runs in the mirror bundle, where credentials (ECR tokens,
// source registry secrets) come in through a callback wired by the lifecycle's ports.
import type { Architecture } from '../../contract.js';
import { digestOf, digestProblem, isDigest, type ImageReference } from '../../reference/index.js';
import type { CallContext } from '../core/budget.js';
import type { RegistryTarget } from './auth.js';
import { errorForResponse } from './classify.js';
import { ManifestShapeError, PlatformNotFoundError, RegistryProtocolError } from './errors.js';
import type { AddressRefusal } from './guard.js';
import {
  type BlobDescriptor,
  type ManifestResult,
  MANIFEST_ACCEPT,
  MANIFEST_MEDIA_TYPES,
  bareContentType,
  MAX_CONFIG_BYTES,
  MAX_MANIFEST_BYTES,
  isImageManifestMediaType,
  isIndexMediaType,
  manifestMediaType,
  parseImageConfigPlatform,
  parseImageManifestConfig,
  parseIndex,
} from './media.js';
import { availablePlatforms, choosePlatformEntry, formatPlatform, lambdaPlatform, type PlatformManifest, platformRank } from './platform.js';
import { publishedImage, type PublishedImage } from './published.js';
import { REAL_TRANSPORT_CLOCK } from './http.js';
import { blobSize, copyBlob, putManifest, type StreamOptions, uploadBlob } from './push.js';
import { DEFAULT_TIMEOUT_MS, isSuccess, RegistrySession, type RegistryClientOptions } from './session.js';

export type { BlobDescriptor, ManifestResult } from './media.js';
export { DEFAULT_MAX_ATTEMPTS, DEFAULT_RETRY_DELAY_MS, DEFAULT_TIMEOUT_MS, type RegistryClientOptions } from './session.js';

export class RegistryClient {
  private readonly session: RegistrySession;
  private readonly streaming: StreamOptions;

  constructor(options: RegistryClientOptions = {}) {
    this.session = new RegistrySession(options);
    // A stream stalls when no byte comes for as long as one request may take.
    const clock = options.clock ?? REAL_TRANSPORT_CLOCK;
    this.streaming = { idleMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS, timer: (ms) => clock.timer(ms), now: () => clock.now() };
  }

  /** Blob `digest` of `ref`'s repository, read whole and verified (configs: at most `maxBytes`). */
  readBlob(ref: ImageReference, digest: string, maxBytes: number, call?: CallContext): Promise<Uint8Array> {
    return this.getBlob(this.target(ref), digest, maxBytes, call);
  }

  /** Size of blob `digest` in `ref`'s repository; undefined when it is not there. */
  blobSize(ref: ImageReference, digest: string, call: CallContext): Promise<number | undefined> {
    return blobSize(this.session, ref, digest, call);
  }

  /** Streams a blob from `from`'s repository into `to`'s, verified on the way (push.ts). */
  copyBlob(from: ImageReference, to: ImageReference, blob: BlobDescriptor, call: CallContext): Promise<void> {
    return copyBlob(this.session, from, to, blob, call, this.streaming);
  }

  /** Uploads a blob held in memory (a config read with readBlob). */
  uploadBlob(to: ImageReference, blob: BlobDescriptor, bytes: Uint8Array, call: CallContext): Promise<void> {
    return uploadBlob(this.session, to, blob, bytes, call);
  }

  /** PUTs manifest bytes under a tag or their digest. */
  putManifest(to: ImageReference, reference: string, manifest: { bytes: Uint8Array; mediaType: string }, call: CallContext): Promise<string | undefined> {
    return putManifest(this.session, to, reference, manifest, call);
  }

  /** The manifest (image manifest, index or manifest list) by `ref.digest ?? ref.tag`, verified. */
  async getManifest(ref: ImageReference, call?: CallContext): Promise<ManifestResult> {
    const target = this.target(ref);
    const { response, credentialsUsed } = await this.session.request(
      target,
      { method: 'GET', path: `manifests/${target.reference}`, headers: { accept: MANIFEST_ACCEPT }, maxBytes: MAX_MANIFEST_BYTES },
      call,
    );
    if (!isSuccess(response)) throw errorForResponse(target, response, this.session.redactor, { credentialsUsed, what: 'the manifest' });

    const bytes = response.body;
    let json: unknown;
    try {
      json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
    } catch (error) {
      throw new RegistryProtocolError(target, `${target.registry} answered with a manifest that is not valid JSON`, { cause: error });
    }
    const mediaType = this.shape(target, () => manifestMediaType(response.headers.get('content-type'), json));
    const digest = this.verifiedDigest(target, bytes, response.headers.get('docker-content-digest'), 'manifest');
    return { digest, mediaType, bytes, json };
  }

  /** Digest and media type without downloading the manifest; undefined when it does not exist (404). */
  async headManifest(ref: ImageReference, call?: CallContext): Promise<{ digest: string; mediaType: string } | undefined> {
    const target = this.target(ref);
    const { response, credentialsUsed } = await this.session.request(
      target,
      { method: 'HEAD', path: `manifests/${target.reference}`, headers: { accept: MANIFEST_ACCEPT }, maxBytes: 0 },
      call,
    );
    if (response.status === 404) return undefined;
    if (!isSuccess(response)) throw errorForResponse(target, response, this.session.redactor, { credentialsUsed, what: 'the manifest' });
    const headerDigest = response.headers.get('docker-content-digest');
    // The header is optional in the spec, and some proxies send a generic Content-Type on HEAD:
    // then only the body can tell, so read it (with all of getManifest's checks).
    if (headerDigest === null || !MANIFEST_MEDIA_TYPES.includes(bareContentType(response.headers.get('content-type')))) {
      const manifest = await this.getManifest(ref, call);
      return { digest: manifest.digest, mediaType: manifest.mediaType };
    }
    if (!isDigest(headerDigest)) {
      throw new RegistryProtocolError(target, `${target.registry} sent an invalid Docker-Content-Digest header`);
    }
    if (ref.digest !== undefined && headerDigest !== ref.digest) {
      throw new RegistryProtocolError(target, `${target.registry} reported digest ${headerDigest} for a request by digest ${ref.digest}`);
    }
    return { digest: headerDigest, mediaType: bareContentType(response.headers.get('content-type')) };
  }

  /**
   * The single-platform manifest a Lambda function of `architecture` runs: chosen from an index or manifest
   * list (attestations skipped), or a single manifest whose config says the right os/architecture.
   * Throws PlatformNotFoundError listing what the image offers.
   */
  async resolvePlatform(ref: ImageReference, architecture: Architecture, call?: CallContext): Promise<PlatformManifest> {
    const target = this.target(ref);
    const manifest = await this.getManifest(ref, call);
    const platform = lambdaPlatform(architecture);

    if (isIndexMediaType(manifest.mediaType)) {
      const entries = this.shape(target, () => parseIndex(manifest.json));
      const available = availablePlatforms(entries);
      const chosen = choosePlatformEntry(entries, architecture);
      if (chosen === undefined) throw new PlatformNotFoundError(target, available, architecture);
      if (!isImageManifestMediaType(chosen.mediaType)) {
        throw new RegistryProtocolError(target, `the index entry for ${platform} has media type "${chosen.mediaType.slice(0, 100)}", not a single-platform image manifest`);
      }
      return { digest: chosen.digest, mediaType: chosen.mediaType, platform, indexDigest: manifest.digest, available };
    }

    const config = this.shape(target, () => parseImageManifestConfig(manifest.json));
    const blob = await this.getBlob(target, config.digest, MAX_CONFIG_BYTES, call);
    let configJson: unknown;
    try {
      configJson = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(blob));
    } catch (error) {
      throw new RegistryProtocolError(target, `the image config ${config.digest} is not valid JSON`, { cause: error });
    }
    const imagePlatform = this.shape(target, () => parseImageConfigPlatform(configJson));
    const available = [formatPlatform(imagePlatform)];
    if (platformRank(imagePlatform, architecture) === undefined) throw new PlatformNotFoundError(target, available, architecture);
    return { digest: manifest.digest, mediaType: manifest.mediaType, platform, available };
  }

  /**
   * Why the copy job must not be handed `registry` (`host[:port]`) as its source: the address rules applied to the
   * host itself, as the buildspec applies them (REGISTRY_ENDPOINTS changes where this client reads, not where the job does).
   */
  copySourceRefusal(registry: string): Promise<AddressRefusal | undefined> {
    return this.session.guard.copySourceRefusal(registry);
  }

  /** The image as published (what `Platforms: all` copies): an index with its entries, or a single image manifest. */
  async resolvePublished(ref: ImageReference, call?: CallContext): Promise<PublishedImage> {
    const manifest = await this.getManifest(ref, call);
    return this.shape(this.target(ref), () => publishedImage(manifest));
  }

  private target(ref: ImageReference): RegistryTarget {
    return this.session.target(ref);
  }

  /** Runs a shape check, turning its complaint into a RegistryProtocolError naming the image. */
  private shape<T>(target: RegistryTarget, check: () => T): T {
    try {
      return check();
    } catch (error) {
      if (error instanceof ManifestShapeError) {
        throw new RegistryProtocolError(target, `${target.registry} sent an unusable manifest: ${error.message}`, { cause: error });
      }
      throw error;
    }
  }

  /** Checks the bytes against the registry's Docker-Content-Digest and the requested digest; returns the digest. */
  private verifiedDigest(target: RegistryTarget, bytes: Uint8Array, headerDigest: string | null, what: string): string {
    const requested = isDigest(target.reference) ? target.reference : undefined;
    for (const [label, expected] of [
      ['the requested digest', requested],
      ['the Docker-Content-Digest header', headerDigest ?? undefined],
    ] as const) {
      if (expected === undefined) continue;
      const problem = isDigest(expected) ? digestProblem(bytes, expected) : 'it is not a valid digest';
      if (problem !== undefined) {
        throw new RegistryProtocolError(target, `the ${what} from ${target.registry} does not match ${label} ${expected.slice(0, 150)}: ${problem}; refusing to trust it`);
      }
    }
    return requested ?? digestOf(bytes)!;
  }

  private async getBlob(target: RegistryTarget, digest: string, maxBytes: number, call: CallContext | undefined): Promise<Uint8Array> {
    const { response, credentialsUsed } = await this.session.request(target, { method: 'GET', path: `blobs/${digest}`, headers: { accept: '*/*' }, maxBytes }, call);
    if (!isSuccess(response)) {
      if (response.status === 404) {
        throw new RegistryProtocolError(
          { ...target, status: 404 },
          `the manifest references blob ${digest}, which ${target.registry} does not have (the image is incomplete)`,
        );
      }
      throw errorForResponse(target, response, this.session.redactor, { credentialsUsed, what: `blob ${digest}` });
    }
    const problem = digestProblem(response.body, digest);
    if (problem !== undefined) {
      throw new RegistryProtocolError(target, `blob ${digest} from ${target.registry} does not match its digest: ${problem}; refusing to trust it`);
    }
    return response.body;
  }
}
