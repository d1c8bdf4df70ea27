// Turns a registry's non-success answer into a typed error carrying the registry's own words, and an exchange that got
// no answer to classify (TransportError) into the typed error it means.
import {
  AddressRefusedError,
  ManifestNotFoundError,
  RegistryError,
  RegistryProtocolError,
  RegistryRateLimitedError,
  RegistryUnauthorizedError,
  RegistryUnreachableError,
  type RegistryErrorContext,
  refusalOf,
  type TransportError,
} from './errors.js';
import { isPlainObject } from '../../values.js';
import { parseRetryAfter, type HttpResponse } from './http.js';
import { bareContentType } from './media.js';
import type { SecretRedactor } from '../log.js';

export type ImageContext = Pick<RegistryErrorContext, 'registry' | 'repository' | 'reference'>;

export interface RegistryAnswer {
  readonly codes: readonly string[];
  /** Sanitised, redacted, cut to a readable length. */
  readonly message?: string;
}

const MAX_MESSAGE_LENGTH = 300;
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is taken out of the registry's words
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f]+/g;

function clean(text: string, redactor: SecretRedactor): string | undefined {
  // Redact before cutting, so a secret split by the cut cannot survive in part.
  const flat = redactor.redact(text).replace(CONTROL_CHARACTERS, ' ').replace(/\s+/g, ' ').trim();
  if (flat === '') return undefined;
  return flat.length > MAX_MESSAGE_LENGTH ? `${flat.slice(0, MAX_MESSAGE_LENGTH)}…` : flat;
}

function strings(values: readonly unknown[]): string[] {
  return values.filter((value): value is string => typeof value === 'string' && value !== '');
}

/**
 * What the registry said: the distribution spec's `{"errors": [{"code", "message"}]}`, token services'
 * `{"details"}` or OAuth `{"error", "error_description"}`, or a short plain-text body. HTML pages are skipped.
 */
export function readRegistryAnswer(response: Pick<HttpResponse, 'headers' | 'body'>, redactor: SecretRedactor): RegistryAnswer {
  const text = new TextDecoder('utf-8', { fatal: false }).decode(response.body);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    const type = bareContentType(response.headers.get('content-type'));
    if (type.includes('html') || /^\s*</.test(text)) return { codes: [] };
    const message = clean(text, redactor);
    return { codes: [], ...(message !== undefined ? { message } : {}) };
  }
  if (!isPlainObject(json)) return { codes: [] };
  const record = json;
  let codes: string[] = [];
  let messages: string[] = [];
  if (Array.isArray(record.errors)) {
    const entries = record.errors.filter(isPlainObject);
    // Redacted before upper-casing: a secret echoed as a code must not survive in capitals.
    codes = strings(entries.map((entry) => entry.code)).flatMap((code) => clean(code, redactor)?.toUpperCase() ?? []);
    messages = strings(entries.map((entry) => entry.message));
  } else {
    messages = strings([record.details, record.error_description ?? record.error, record.message]);
  }
  const message = clean([...new Set(messages)].join('; '), redactor);
  return { codes, ...(message !== undefined ? { message } : {}) };
}

export interface ClassifyOptions {
  /** Whether credentials were sent: decides the advice of an unauthorized error. */
  readonly credentialsUsed: boolean;
  /** What was being read, for generic errors: `the manifest`, `the token service`, ... */
  readonly what: string;
  /** False for answers that are not about the image (a token service's 404 means it is misconfigured). */
  readonly notFoundMeansNoImage?: boolean;
}

const NOT_FOUND_CODES = new Set(['MANIFEST_UNKNOWN', 'NAME_UNKNOWN']);
const UNAUTHORIZED_CODES = new Set(['UNAUTHORIZED', 'DENIED']);

export function errorForResponse(
  image: ImageContext,
  response: Pick<HttpResponse, 'status' | 'headers' | 'body' | 'attempts'>,
  redactor: SecretRedactor,
  options: ClassifyOptions,
): RegistryError {
  const answer = readRegistryAnswer(response, redactor);
  const context: RegistryErrorContext = {
    ...image,
    status: response.status,
    ...(answer.codes[0] !== undefined ? { registryCode: answer.codes[0] } : {}),
    ...(answer.message !== undefined ? { registryMessage: answer.message } : {}),
  };
  const has = (codes: ReadonlySet<string>): boolean => answer.codes.some((code) => codes.has(code));
  if (response.status === 429 || answer.codes.includes('TOOMANYREQUESTS')) {
    return new RegistryRateLimitedError(context, parseRetryAfter(response.headers.get('retry-after')));
  }
  if (options.notFoundMeansNoImage !== false && (response.status === 404 || has(NOT_FOUND_CODES))) return new ManifestNotFoundError(context);
  if (response.status === 401 || response.status === 403 || has(UNAUTHORIZED_CODES)) {
    return new RegistryUnauthorizedError(
      context,
      `${image.registry} refused access to ${image.repository}`,
      options.credentialsUsed
        ? `The credentials for ${image.registry} were rejected or lack pull access to ${image.repository}; check them`
        : `No credentials are configured for ${image.registry}: the repository may be private (or may not exist; some registries answer 401 for unknown repositories)`,
    );
  }
  const tries = response.attempts > 1 ? ` after ${response.attempts} attempts` : '';
  return new RegistryError(
    context,
    `${image.registry} failed to serve ${options.what}${tries}`,
    response.status >= 500 ? 'The registry is having problems; retry later' : undefined,
  );
}

/** An exchange with the registry that failed without an answer: misbehaviour, a refused address, or no answer at all. */
export function errorForTransportFailure(target: ImageContext & { readonly baseUrl: string }, error: TransportError): RegistryError {
  if (error.kind === 'too-large' || error.kind === 'redirect') {
    return new RegistryProtocolError(target, `${target.registry} misbehaved at ${error.url}: ${error.detail}`, { cause: error });
  }
  if (error.kind === 'refused') {
    const own = URL.canParse(error.url) && new URL(error.url).origin === new URL(target.baseUrl).origin;
    const what = own
      ? `the mirror function never contacts ${target.registry} at ${error.url}`
      : `${target.registry} sent the mirror function to ${error.url}, which it never contacts`;
    return new AddressRefusedError(
      target,
      error.url,
      refusalOf(error),
      `${what}: ${error.detail}. Registries may not point at loopback, link-local or Lambda Runtime API addresses; if this ` +
        `host really serves the registry, map it in the mirror function's REGISTRY_ENDPOINTS`,
      { cause: error },
    );
  }
  const tries = error.attempts > 1 ? ` (${error.attempts} attempts)` : '';
  return new RegistryUnreachableError(target, error.url, `${error.detail}${tries}`, { cause: error });
}
