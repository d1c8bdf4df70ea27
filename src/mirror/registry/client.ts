// Read-only OCI registry client of the mirror function: pins the exact source platform digest, fails
// early when the image lacks the function's architecture, and tells whether the target already holds a
// digest. Only Node built-ins: it runs in the mirror bundle, where credentials (ECR tokens,
// source registry secrets) come in through a callback wired by the lifecycle's ports.
import type { Architecture } from '../../contract.js';
import { canonicalRegistryHost, digestOf, digestProblem, formatImageReference, isDigest, parseImageReference, type ImageReference } from '../../reference/index.js';
import type { CallContext } from '../core/budget.js';
import { Authenticator, type RegistryTarget } from './auth.js';
import type { CredentialsProvider } from './credentials.js';
import { errorForResponse, errorForTransportFailure } from './classify.js';
import { registryBaseUrl } from './endpoints.js';
import { ManifestShapeError, PlatformNotFoundError, RegistryProtocolError, TransportError } from './errors.js';
import { type Connector, createPinnedConnector, fetchConnector } from './connect.js';
import { type AddressRefusal, AddressGuard, endpointHosts, type HostLookup } from './guard.js';
import { Transport, type HttpResponse, type TransportClock } from './http.js';
import {
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
import { SecretRedactor } from '../log.js';
import { publishedImage, type PublishedImage } from './published.js';

export interface RegistryClientOptions {
  /** Registry host -> base URL actually used (tests, proxies); see parseEndpointMap for REGISTRY_ENDPOINTS. */
  endpoints?: ReadonlyMap<string, string>;
  credentials?: CredentialsProvider;
  /** Per HTTP request (each redirect hop), body included. Default 15000. */
  timeoutMs?: number;
  /** A scripted registry for unit tests (nothing connects); by default requests go out through `connector`. */
  fetch?: typeof fetch;
  /** Sends each request to an address the guard approved; default createPinnedConnector() (tests pass their CA). */
  connector?: Connector;
  /** Tries per request for 5xx, 429 and network failures, the first included. Default 3; 1 disables retries. */
  maxAttempts?: number;
  /** First retry waits this long, each next one twice as long (capped at 5 s). Default 500. */
  retryDelayMs?: number;
  /** Hop timeouts and backoff run on this clock (the ports' clock; virtual in tests). Default: real time. */
  clock?: TransportClock;
  /** AWS_LAMBDA_RUNTIME_API (`host:port`): never contacted unless its host is mapped in `endpoints`. */
  runtimeApi?: string | undefined;
  /** Name resolution for the address guard; defaults to the system resolver. */
  lookup?: HostLookup;
}

export interface ManifestResult {
  /** Digest of exactly `bytes` (the requested digest when asked by digest). */
  digest: string;
  mediaType: string;
  bytes: Uint8Array;
  json: unknown;
}

export const DEFAULT_TIMEOUT_MS = 15_000;
export const DEFAULT_MAX_ATTEMPTS = 3;
export const DEFAULT_RETRY_DELAY_MS = 500;

function normaliseEndpoints(endpoints: ReadonlyMap<string, string> | undefined): ReadonlyMap<string, string> {
  const normalised = new Map<string, string>();
  for (const [host, url] of endpoints ?? []) {
    const key = canonicalRegistryHost(host);
    normalised.set(key, url.replace(/\/+$/, ''));
  }
  return normalised;
}

export class RegistryClient {
  private readonly endpoints: ReadonlyMap<string, string>;
  private readonly transport: Transport;
  private readonly redactor = new SecretRedactor();
  private readonly auth: Authenticator;
  private readonly guard: AddressGuard;

  constructor(options: RegistryClientOptions = {}) {
    this.endpoints = normaliseEndpoints(options.endpoints);
    this.guard = new AddressGuard({
      allowedHosts: endpointHosts(this.endpoints),
      runtimeApi: options.runtimeApi,
      ...(options.lookup !== undefined ? { lookup: options.lookup } : {}),
    });
    this.transport = new Transport({
      connector: options.fetch !== undefined ? fetchConnector(options.fetch) : (options.connector ?? createPinnedConnector()),
      timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      maxAttempts: Math.max(1, Math.floor(options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS)),
      retryDelayMs: Math.max(0, options.retryDelayMs ?? DEFAULT_RETRY_DELAY_MS),
      ...(options.clock !== undefined ? { clock: options.clock } : {}),
      guard: this.guard,
    });
    this.auth = new Authenticator(options.credentials, this.transport, this.redactor, options.clock ? () => options.clock!.now() : Date.now);
  }

  /** The manifest (image manifest, index or manifest list) by `ref.digest ?? ref.tag`, verified. */
  async getManifest(ref: ImageReference, call?: CallContext): Promise<ManifestResult> {
    const target = this.target(ref);
    const { response, credentialsUsed } = await this.request(target, `manifests/${target.reference}`, 'GET', MANIFEST_ACCEPT, MAX_MANIFEST_BYTES, call);
    if (!isSuccess(response)) throw errorForResponse(target, response, this.redactor, { credentialsUsed, what: 'the manifest' });

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
    const { response, credentialsUsed } = await this.request(target, `manifests/${target.reference}`, 'HEAD', MANIFEST_ACCEPT, 0, call);
    if (response.status === 404) return undefined;
    if (!isSuccess(response)) throw errorForResponse(target, response, this.redactor, { credentialsUsed, what: 'the manifest' });
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
    return this.guard.copySourceRefusal(registry);
  }

  /** The image as published (what `Platforms: all` copies): an index with its entries, or a single image manifest. */
  async resolvePublished(ref: ImageReference, call?: CallContext): Promise<PublishedImage> {
    const manifest = await this.getManifest(ref, call);
    return this.shape(this.target(ref), () => publishedImage(manifest));
  }

  private target(ref: ImageReference): RegistryTarget {
    // Re-validated here: an ImageReference built by hand must not smuggle "../" or "?" into a URL path.
    const valid = parseImageReference(formatImageReference(ref));
    return {
      registry: valid.registry,
      repository: valid.repository,
      reference: valid.digest ?? valid.tag ?? 'latest',
      baseUrl: registryBaseUrl(valid.registry, this.endpoints),
    };
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
    const { response, credentialsUsed } = await this.request(target, `blobs/${digest}`, 'GET', '*/*', maxBytes, call);
    if (!isSuccess(response)) {
      if (response.status === 404) {
        throw new RegistryProtocolError(
          { ...target, status: 404 },
          `the manifest references blob ${digest}, which ${target.registry} does not have (the image is incomplete)`,
        );
      }
      throw errorForResponse(target, response, this.redactor, { credentialsUsed, what: `blob ${digest}` });
    }
    const problem = digestProblem(response.body, digest);
    if (problem !== undefined) {
      throw new RegistryProtocolError(target, `blob ${digest} from ${target.registry} does not match its digest: ${problem}; refusing to trust it`);
    }
    return response.body;
  }

  /** One registry request with authentication: up front when the host's scheme is known, else on challenge. */
  private async request(
    target: RegistryTarget,
    path: string,
    method: 'GET' | 'HEAD',
    accept: string,
    maxBytes: number,
    call: CallContext | undefined,
  ): Promise<{ response: HttpResponse; credentialsUsed: boolean }> {
    const url = `${target.baseUrl}/v2/${target.repository}/${path}`;
    let authorization = await this.auth.upFront(target, call);
    let response = await this.send(target, url, method, accept, authorization?.header, maxBytes, call);
    if (response.status === 401) {
      if (authorization !== undefined) this.auth.forget(target);
      authorization = await this.auth.answer(response.headers.get('www-authenticate'), target, call);
      if (authorization !== undefined) response = await this.send(target, url, method, accept, authorization.header, maxBytes, call);
    }
    return { response, credentialsUsed: authorization?.credentialsUsed ?? false };
  }

  private async send(
    target: RegistryTarget,
    url: string,
    method: 'GET' | 'HEAD',
    accept: string,
    authorization: string | undefined,
    maxBytes: number,
    call: CallContext | undefined,
  ): Promise<HttpResponse> {
    const headers: Record<string, string> = { accept };
    if (authorization !== undefined) headers.authorization = authorization;
    try {
      return await this.transport.send({ method, url, headers, maxBytes }, call);
    } catch (error) {
      throw error instanceof TransportError ? errorForTransportFailure(target, error) : error;
    }
  }
}

function isSuccess(response: HttpResponse): boolean {
  return response.status >= 200 && response.status <= 299;
}
