// Typed failures of the registry client. Every message names the image (registry, repository and
// tag or digest) and says what to do; none carries a credential or a token (see `redact`).

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

/** Base class: any failure reading a registry. */
export class RegistryError extends Error {
  override readonly name: string = 'RegistryError';
  readonly registry: string;
  readonly repository: string;
  readonly reference: string;
  readonly status?: number;
  readonly registryMessage?: string;
  readonly registryCode?: string;

  /** `what` says what went wrong, `advice` what to do; the image and the registry's answer are added here. */
  constructor(context: RegistryErrorContext, what: string, advice?: string, options?: { cause?: unknown }) {
    super(
      `${describeImage(context)}: ${what}${describeAnswer(context)}${advice !== undefined ? `. ${advice}` : ''}`,
      options?.cause !== undefined ? { cause: options.cause } : undefined,
    );
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
export class RegistryConfigError extends Error {
  override readonly name = 'RegistryConfigError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options?.cause !== undefined ? { cause: options.cause } : undefined);
  }
}
