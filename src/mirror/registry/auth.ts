// Registry authentication as clients of the distribution spec do it: try anonymously, and on 401 answer the
// `WWW-Authenticate` challenge. `Basic`: send the credentials. `Bearer`: get a token from the realm (with
// the credentials when there are any) for the challenged scope and cache it per (host, scope).
// What a host asked for is remembered, so later requests authenticate up front instead of being refused first.
import type { CallContext } from '../core/budget.js';
import { isPlainObject } from '../../values.js';
import type { CredentialsProvider, RegistryCredentials } from './credentials.js';
import { errorForResponse, type ImageContext } from './classify.js';
import { parseWwwAuthenticate, preferredChallenge } from './challenge.js';
import type { HttpResponse, Transport } from './http.js';
import { AddressRefusedError, RegistryError, RegistryProtocolError, RegistryUnreachableError, refusalOf, TransportError } from './errors.js';
import type { SecretRedactor } from '../log.js';

/** One registry repository as the client addresses it. */
export interface RegistryTarget extends ImageContext {
  /** Base URL actually used for `registry` (endpoint map applied), no trailing "/". */
  readonly baseUrl: string;
}

export interface Authorization {
  /** Value of the Authorization header. */
  readonly header: string;
  readonly credentialsUsed: boolean;
}

/** Token responses are small JSON documents; anything bigger is not a token service. */
const MAX_TOKEN_RESPONSE_BYTES = 1024 * 1024;
/** The distribution spec's default token lifetime when `expires_in` is absent. */
const DEFAULT_TOKEN_SECONDS = 60;
/** Tokens are renewed this long before they expire, so one never runs out mid-request. */
const TOKEN_EXPIRY_MARGIN_SECONDS = 10;

/** What a request does to the repository: read it, or push to it (the token scope a registry grants). */
export type Access = 'pull' | 'push';

/** The scope a registry challenges for: `repository:<name>:pull`, or `...:pull,push` for a write. */
function repositoryScope(repository: string, access: Access): string {
  return `repository:${repository}:${access === 'push' ? 'pull,push' : 'pull'}`;
}

function basicHeader(credentials: RegistryCredentials): string {
  return `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`, 'utf8').toString('base64')}`;
}

export class Authenticator {
  private readonly credentials = new Map<string, Promise<RegistryCredentials | undefined>>();
  private readonly tokens = new Map<string, { authorization: Authorization; expiresAt: number }>();
  private readonly schemes = new Map<string, 'basic' | 'bearer'>();

  constructor(
    private readonly provider: CredentialsProvider | undefined,
    private readonly transport: Transport,
    private readonly redactor: SecretRedactor,
    private readonly now: () => number = Date.now,
  ) {}

  /** Authorization to send before any challenge, from what earlier requests to this host learned. */
  async upFront(target: RegistryTarget, call?: CallContext, access: Access = 'pull'): Promise<Authorization | undefined> {
    const scheme = this.schemes.get(target.registry);
    if (scheme === 'basic') {
      const credentials = await this.credentialsFor(target, call);
      return credentials !== undefined ? { header: basicHeader(credentials), credentialsUsed: true } : undefined;
    }
    if (scheme === 'bearer') return this.cachedToken(target.registry, repositoryScope(target.repository, access));
    return undefined;
  }

  /** Drops a token the registry no longer accepts. */
  forget(target: RegistryTarget, access: Access = 'pull'): void {
    this.tokens.delete(this.tokenKey(target.registry, repositoryScope(target.repository, access)));
  }

  /**
   * Answers a 401's challenge. Undefined when it cannot be answered (Basic without credentials, no or an
   * unknown scheme): the caller then reports the 401 itself, with the registry's message.
   */
  async answer(challengeHeader: string | null, target: RegistryTarget, call?: CallContext): Promise<Authorization | undefined> {
    const challenge = preferredChallenge(parseWwwAuthenticate(challengeHeader ?? ''));
    if (challenge?.scheme === 'basic') {
      this.schemes.set(target.registry, 'basic');
      const credentials = await this.credentialsFor(target, call);
      return credentials !== undefined ? { header: basicHeader(credentials), credentialsUsed: true } : undefined;
    }
    if (challenge?.scheme !== 'bearer') return undefined;
    const realm = challenge.params.realm;
    if (realm === undefined || realm === '') {
      throw new RegistryProtocolError(target, `${target.registry} asked for a Bearer token but named no token service (realm)`);
    }
    this.schemes.set(target.registry, 'bearer');
    const scope = challenge.params.scope ?? '';
    const cached = this.cachedToken(target.registry, scope);
    if (cached !== undefined) return cached;
    const authorization = await this.fetchToken(target, realm, challenge.params.service, scope, call);
    return authorization;
  }

  private tokenKey(host: string, scope: string): string {
    return `${host}\u0000${scope}`;
  }

  private cachedToken(host: string, scope: string): Authorization | undefined {
    const key = this.tokenKey(host, scope);
    const entry = this.tokens.get(key);
    if (entry === undefined) return undefined;
    if (entry.expiresAt > this.now()) return entry.authorization;
    this.tokens.delete(key);
    return undefined;
  }

  /** The provider is asked once per host; a failure is not cached, so a later call may succeed. */
  private async credentialsFor(target: RegistryTarget, call: CallContext | undefined): Promise<RegistryCredentials | undefined> {
    if (this.provider === undefined) return undefined;
    let pending = this.credentials.get(target.registry);
    if (pending === undefined) {
      pending = this.provider(target.registry, call);
      this.credentials.set(target.registry, pending);
    }
    try {
      const credentials = await pending;
      if (credentials !== undefined) {
        this.redactor.add(credentials.password, basicHeader(credentials).slice('Basic '.length));
      }
      return credentials;
    } catch (error) {
      this.credentials.delete(target.registry);
      const reason = this.redactor.redact(error instanceof Error ? error.message : String(error)).slice(0, 300);
      throw new RegistryError(target, `could not get credentials for ${target.registry}: ${reason}`, undefined, { cause: error });
    }
  }

  private async fetchToken(target: RegistryTarget, realm: string, service: string | undefined, scope: string, call: CallContext | undefined): Promise<Authorization> {
    let url: URL;
    try {
      url = new URL(realm);
    } catch {
      throw new RegistryProtocolError(target, `${target.registry} named a token service that is not a URL`);
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') {
      throw new RegistryProtocolError(target, `${target.registry} named a token service with an unsupported "${url.protocol}" URL`);
    }
    // An HTTPS registry's tokens never travel over plain HTTP, with or without credentials: the token
    // authorises pulls, and a plain-HTTP realm is how a hostile registry reaches local plain-HTTP services.
    if (url.protocol === 'http:' && target.baseUrl.startsWith('https:')) {
      throw new RegistryProtocolError(
        target,
        `${target.registry} is an HTTPS registry but named a plain-HTTP token service (${url.origin}); refusing to fetch a token there`,
      );
    }
    if (service !== undefined && service !== '') url.searchParams.append('service', service);
    // Several scopes arrive space-separated in one parameter; the token service wants one `scope` each.
    for (const part of scope.split(' ')) if (part !== '') url.searchParams.append('scope', part);

    const credentials = await this.credentialsFor(target, call);
    const headers: Record<string, string> = { accept: 'application/json' };
    if (credentials !== undefined) headers.authorization = basicHeader(credentials);

    let response: HttpResponse;
    try {
      response = await this.transport.send({ method: 'GET', url: url.href, headers, maxBytes: MAX_TOKEN_RESPONSE_BYTES }, call);
    } catch (error) {
      if (error instanceof TransportError) {
        if (error.kind === 'refused') {
          throw new AddressRefusedError(
            target,
            error.url,
            refusalOf(error),
            `${target.registry} named the token service ${url.origin}, which the mirror function never contacts: ${error.detail}. ` +
              `Registries may not point at loopback, link-local or Lambda Runtime API addresses; if this host really serves ` +
              `the registry's tokens, map it in the mirror function's REGISTRY_ENDPOINTS`,
            { cause: error },
          );
        }
        if (error.kind === 'too-large' || error.kind === 'redirect') {
          throw new RegistryProtocolError(target, `the token service at ${url.origin} misbehaved: ${error.detail}`, { cause: error });
        }
        throw new RegistryUnreachableError(target, `${url.origin}${url.pathname}`, `${error.detail}${error.attempts > 1 ? ` (${error.attempts} attempts)` : ''}`, {
          cause: error,
        });
      }
      throw error;
    }
    if (response.status < 200 || response.status > 299) {
      throw errorForResponse(target, response, this.redactor, {
        credentialsUsed: credentials !== undefined,
        what: `a token (token service ${url.origin})`,
        notFoundMeansNoImage: false,
      });
    }
    let body: unknown;
    try {
      body = JSON.parse(new TextDecoder().decode(response.body));
    } catch {
      throw new RegistryProtocolError(target, `the token service at ${url.origin} answered something that is not JSON`);
    }
    const record = isPlainObject(body) ? body : {};
    const token = typeof record.token === 'string' && record.token !== '' ? record.token : record.access_token;
    if (typeof token !== 'string' || token === '') {
      throw new RegistryProtocolError(target, `the token service at ${url.origin} answered without a "token" or "access_token"`);
    }
    this.redactor.add(token);
    const lifetime = typeof record.expires_in === 'number' && Number.isFinite(record.expires_in) && record.expires_in > 0 ? record.expires_in : DEFAULT_TOKEN_SECONDS;
    const authorization: Authorization = { header: `Bearer ${token}`, credentialsUsed: credentials !== undefined };
    this.tokens.set(this.tokenKey(target.registry, scope), {
      authorization,
      expiresAt: this.now() + Math.max(0, lifetime - TOKEN_EXPIRY_MARGIN_SECONDS) * 1000,
    });
    return authorization;
  }
}
