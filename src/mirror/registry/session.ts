// One registry client's connection layer, shared by reading (client.ts) and pushing (push.ts): the endpoint map,
// the transport with its address guard, the authenticator with its caches, and the redactor every message of the
// client goes through. `request` authenticates as clients of the distribution spec do: up front when the host's
// scheme is known, else by answering the 401 challenge (a body sent once, a stream, cannot be sent again after a 401).
import { canonicalRegistryHost, formatImageReference, parseImageReference, type ImageReference } from '../../reference/index.js';
import type { CallContext } from '../core/budget.js';
import { SecretRedactor } from '../log.js';
import { type Access, Authenticator, type RegistryTarget } from './auth.js';
import type { CredentialsProvider } from './credentials.js';
import { registryBaseUrl } from './endpoints.js';
import { TransportError } from './errors.js';
import { errorForTransportFailure } from './classify.js';
import { type Connector, createPinnedConnector, fetchConnector } from './connect.js';
import { AddressGuard, endpointHosts, type HostLookup } from './guard.js';
import { type HttpMethod, type HttpResponse, Transport, type TransportClock } from './http.js';

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

export const DEFAULT_TIMEOUT_MS = 15_000;
export const DEFAULT_MAX_ATTEMPTS = 3;
export const DEFAULT_RETRY_DELAY_MS = 500;

/** One authenticated exchange: a path under the repository (`manifests/...`) or an absolute URL the registry named. */
export interface Exchange {
  readonly method: HttpMethod;
  /** `manifests/<ref>`, `blobs/<digest>`, `blobs/uploads/`: under `<baseUrl>/v2/<repository>/`. */
  readonly path?: string;
  /** An upload location the registry answered (same origin as the registry, checked by the caller). */
  readonly url?: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: Uint8Array | AsyncIterable<Uint8Array>;
  readonly maxBytes: number;
  readonly stream?: boolean;
  /** `push` for writes: the token scope asked for up front. Default `pull`. */
  readonly access?: Access;
}

function normaliseEndpoints(endpoints: ReadonlyMap<string, string> | undefined): ReadonlyMap<string, string> {
  const normalised = new Map<string, string>();
  for (const [host, url] of endpoints ?? []) {
    const key = canonicalRegistryHost(host);
    normalised.set(key, url.replace(/\/+$/, ''));
  }
  return normalised;
}

export function isSuccess(response: Pick<HttpResponse, 'status'>): boolean {
  return response.status >= 200 && response.status <= 299;
}

export class RegistrySession {
  readonly redactor = new SecretRedactor();
  /** The address guard every connection passes (also the copy job's source rules: copySourceRefusal). */
  readonly guard: AddressGuard;
  private readonly endpoints: ReadonlyMap<string, string>;
  private readonly transport: Transport;
  private readonly auth: Authenticator;

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

  target(ref: ImageReference): RegistryTarget {
    // Re-validated here: an ImageReference built by hand must not smuggle "../" or "?" into a URL path.
    const valid = parseImageReference(formatImageReference(ref));
    return {
      registry: valid.registry,
      repository: valid.repository,
      reference: valid.digest ?? valid.tag ?? 'latest',
      baseUrl: registryBaseUrl(valid.registry, this.endpoints),
    };
  }

  /** One registry request with authentication: up front when the host's scheme is known, else on challenge. */
  async request(target: RegistryTarget, exchange: Exchange, call: CallContext | undefined): Promise<{ response: HttpResponse; credentialsUsed: boolean }> {
    const url = exchange.url ?? `${target.baseUrl}/v2/${target.repository}/${exchange.path ?? ''}`;
    const access = exchange.access ?? 'pull';
    let authorization = await this.auth.upFront(target, call, access);
    let response = await this.send(target, url, exchange, authorization?.header, call);
    // A stream was consumed by the refused request; the caller starts its upload again, now authenticated.
    if (response.status === 401 && (exchange.body === undefined || exchange.body instanceof Uint8Array)) {
      if (authorization !== undefined) this.auth.forget(target, access);
      authorization = await this.auth.answer(response.headers.get('www-authenticate'), target, call);
      if (authorization !== undefined) response = await this.send(target, url, exchange, authorization.header, call);
    }
    return { response, credentialsUsed: authorization?.credentialsUsed ?? false };
  }

  private async send(target: RegistryTarget, url: string, exchange: Exchange, authorization: string | undefined, call: CallContext | undefined): Promise<HttpResponse> {
    const headers: Record<string, string> = { ...exchange.headers };
    if (authorization !== undefined) headers.authorization = authorization;
    const { method, maxBytes, body, stream } = exchange;
    try {
      return await this.transport.send({ method, url, headers, maxBytes, ...(body !== undefined ? { body } : {}), ...(stream ? { stream } : {}) }, call);
    } catch (error) {
      throw error instanceof TransportError ? errorForTransportFailure(target, error) : error;
    }
  }
}
