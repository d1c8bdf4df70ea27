// Typed failures of the registry client. Every message names the image (registry, repository and
// tag or digest) and says what to do; none carries a credential or a token (see `redact`).
import type { AddressRefusal } from './guard.js';

/** Where a failure happened: the image being read and, when the registry answered, what it said. */
export interface RegistryErrorContext {
  readonly registry: string;
  readonly repository: string;
  /** Tag or digest that was asked for. */
  readonly reference: string;
  readonly status?: number;
  /** The registry's own `errors[].message` text (sanitised, secrets redacted). */
  readonly registryMessage?: string;
  /** The registry's first `errors[].code`, e.g. `MANIFEST_UNKNOWN`. */
  readonly registryCode?: string;
}

/** `registry/repository:tag` or `registry/repository@sha256:...`. */
export function describeImage(context: Pick<RegistryErrorContext, 'registry' | 'repository' | 'reference'>): string {
  const separator = context.reference.includes(':') ? '@' : ':';
  return `${context.registry}/${context.repository}${separator}${context.reference}`;
}

/** ` (HTTP 404; registry says "MANIFEST_UNKNOWN: manifest unknown")`, or what part of it is known. */
function describeAnswer(context: RegistryErrorContext): string {
  const parts: string[] = [];
  if (context.status !== undefined) parts.push(`HTTP ${context.status}`);
  if (context.registryMessage !== undefined || context.registryCode !== undefined) {
    const said = [context.registryCode, context.registryMessage].filter((part) => part !== undefined).join(': ');
    parts.push(`registry says ${JSON.stringify(said)}`);
  }
  return parts.length > 0 ? ` (${parts.join('; ')})` : '';
}

/** Base class: any failure of the registry client. One that reads an image names it (registry, repository, reference). */
export class RegistryError extends Error {
  override readonly name: string = 'RegistryError';
  readonly registry?: string;
  readonly repository?: string;
  readonly reference?: string;
  readonly status?: number;
  readonly registryMessage?: string;
  readonly registryCode?: string;

  /**
   * `what` says what went wrong, `advice` what to do; the image and the registry's answer are added here. Without a
   * context (a failure not about one image, such as the client's configuration) the message is `what` alone.
   */
  constructor(context: RegistryErrorContext | undefined, what: string, advice?: string, options?: { cause?: unknown }) {
    super(
      `${context !== undefined ? `${describeImage(context)}: ` : ''}${what}${context !== undefined ? describeAnswer(context) : ''}${advice !== undefined ? `. ${advice}` : ''}`,
      options?.cause !== undefined ? { cause: options.cause } : undefined,
    );
    if (context === undefined) return;
    this.registry = context.registry;
    this.repository = context.repository;
    this.reference = context.reference;
    if (context.status !== undefined) this.status = context.status;
    if (context.registryMessage !== undefined) this.registryMessage = context.registryMessage;
    if (context.registryCode !== undefined) this.registryCode = context.registryCode;
  }
}

/** The repository, tag or digest does not exist (HTTP 404, `MANIFEST_UNKNOWN`, `NAME_UNKNOWN`). */
export class ManifestNotFoundError extends RegistryError {
  override readonly name: string = 'ManifestNotFoundError';
  constructor(context: RegistryErrorContext) {
    super(context, `not found in ${context.registry}`, 'Check that the repository and the tag or digest exist and are spelled exactly as in the registry');
  }
}

/** The registry refused access even after authenticating (or no credentials were available). */
export class RegistryUnauthorizedError extends RegistryError {
  override readonly name: string = 'RegistryUnauthorizedError';
  constructor(context: RegistryErrorContext, what: string, advice: string, options?: { cause?: unknown }) {
    super(context, what, advice, options);
  }
}

/** HTTP 429 / `TOOMANYREQUESTS`; `retryAfterSeconds` from the `Retry-After` header when the registry sent one. */
export class RegistryRateLimitedError extends RegistryError {
  override readonly name: string = 'RegistryRateLimitedError';
  readonly retryAfterSeconds?: number;
  constructor(context: RegistryErrorContext, retryAfterSeconds: number | undefined) {
    super(
      context,
      `${context.registry} is rate limiting requests`,
      retryAfterSeconds !== undefined
        ? `Retry after ${retryAfterSeconds} s, or use credentials with a higher pull limit`
        : 'Retry later, or use credentials with a higher pull limit',
    );
    if (retryAfterSeconds !== undefined) this.retryAfterSeconds = retryAfterSeconds;
  }
}

/** No HTTP answer at all: timeout, DNS failure, connection refused or reset, TLS failure. */
export class RegistryUnreachableError extends RegistryError {
  override readonly name: string = 'RegistryUnreachableError';
  /** The URL that could not be reached (never carries credentials: endpoint URLs may not contain any). */
  readonly url: string;
  constructor(context: RegistryErrorContext, url: string, what: string, options?: { cause?: unknown }) {
    super(
      context,
      `cannot reach ${context.registry} at ${url}: ${what}`,
      'Check that the registry is up and that the mirror function has network access to it (VPC, NAT, proxy)',
      options,
    );
    this.url = url;
  }
}

/** The registry answered something this client must not trust: bad media type, digest mismatch, bad JSON. */
export class RegistryProtocolError extends RegistryError {
  override readonly name: string = 'RegistryProtocolError';
  constructor(context: RegistryErrorContext, what: string, options?: { cause?: unknown }) {
    super(context, what, undefined, options);
  }
}

/**
 * The address guard refused a connection the read needed: the registry's own host, the token service it named, or a
 * redirect. Names the host, the refused address and the rule (`refusal`); the request must end here.
 */
export class AddressRefusedError extends RegistryProtocolError {
  override readonly name: string = 'AddressRefusedError';
  readonly refusal: AddressRefusal;
  /** The refused URL (origin and path). */
  readonly url: string;
  /** The message without the image in front: what happened and what to do. */
  readonly detail: string;
  constructor(context: RegistryErrorContext, url: string, refusal: AddressRefusal, detail: string, options?: { cause?: unknown }) {
    super(context, detail, options);
    this.refusal = refusal;
    this.url = url;
    this.detail = detail;
  }
}

/** The image exists but offers no manifest for the function's architecture. */
export class PlatformNotFoundError extends RegistryError {
  override readonly name: string = 'PlatformNotFoundError';
  /** Platforms the image does offer, e.g. `['linux/amd64']` (attestations excluded). */
  readonly available: readonly string[];
  /** The function's architecture (`x86_64` or `arm64`). */
  readonly architecture: string;
  /** The bare reason, e.g. `image has linux/amd64 only; function Architectures is arm64`. */
  readonly reason: string;
  constructor(context: RegistryErrorContext, available: readonly string[], architecture: string) {
    const reason = platformNotFoundReason(available, architecture);
    super(context, reason);
    this.available = [...available];
    this.architecture = architecture;
    this.reason = reason;
  }
}

export function platformNotFoundReason(available: readonly string[], architecture: string): string {
  const offered = available.length > 0 ? `image has ${available.join(', ')} only` : 'image lists no platforms';
  return `${offered}; function Architectures is ${architecture}`;
}

/** The client's configuration is unusable (for example a bad REGISTRY_ENDPOINTS value). */
export class RegistryConfigError extends RegistryError {
  override readonly name: string = 'RegistryConfigError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(undefined, message, undefined, options);
  }
}

/** Thrown by media.ts's shape checks; the client turns it into a RegistryProtocolError naming the image. */
export class ManifestShapeError extends Error {
  override readonly name = 'ManifestShapeError';
}

export type TransportFailure = 'timeout' | 'network' | 'too-large' | 'redirect' | 'refused';

/** One HTTP exchange failed without an answer to classify (http.ts); the client maps it to a typed RegistryError. */
export class TransportError extends Error {
  override readonly name = 'TransportError';
  /** Origin and path only: redirect targets are often presigned URLs whose query is a credential. */
  readonly url: string;
  /** For `refused`: the host, the address and the rule of the address guard's verdict. */
  readonly refusal?: AddressRefusal;
  constructor(
    readonly kind: TransportFailure,
    url: string,
    /** Human description without secrets, e.g. `connection refused (ECONNREFUSED)`. */
    readonly detail: string,
    public attempts: number,
    options?: { cause?: unknown; refusal?: AddressRefusal },
  ) {
    const shown = withoutQuery(url);
    super(`${shown}: ${detail}`, options?.cause !== undefined ? { cause: options.cause } : undefined);
    this.url = shown;
    if (options?.refusal !== undefined) this.refusal = options.refusal;
  }
}

/** The guard's verdict a `refused` TransportError carries (openExchange always gives one; else the URL's host and the detail). */
export function refusalOf(error: TransportError): AddressRefusal {
  if (error.refusal !== undefined) return error.refusal;
  const host = URL.canParse(error.url) ? new URL(error.url).hostname : error.url;
  return { host, address: host, rule: error.detail };
}

function withoutQuery(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.origin}${parsed.pathname}`;
  } catch {
    return '(invalid URL)';
  }
}
