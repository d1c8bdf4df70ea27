// Registry credentials for a source host, in the buildspec's order: the credentials secret's entry for the host,
// then (private ECR, any region) an ECR authorization token of the registry's region, then anonymous. The secret
// is read once per container (a failed read is tried again next time) and its content never appears in an error.
import { canonicalRegistryHost, classifyRegistry, DOCKER_HUB } from '../../reference/index.js';
import type { CallContext } from '../core/budget.js';
import { describeError, RegistryCredentialsError } from '../core/errors.js';
import { isPlainObject } from '../../values.js';
import { DOCKER_HUB_API_HOST } from './endpoints.js';

export interface RegistryCredentials {
  username: string;
  password: string;
}

/**
 * Credentials for a registry host as written in image references (`quay.io`, `docker.io`), or undefined for
 * anonymous. `call` bounds any AWS call it makes (Secrets Manager, ECR GetAuthorizationToken).
 */
export type CredentialsProvider = (registryHost: string, call?: CallContext) => Promise<RegistryCredentials | undefined>;

/** Credentials are reused only well within an ECR token's 12-hour life. */
const ECR_TOKEN_REUSE_MS = 60 * 60 * 1000;

/** `{"<host>": {"username": "...", "password": "..."}}`; the content is never echoed in an error. */
function parseCredentialsSecret(secretArn: string, text: string | undefined): Map<string, RegistryCredentials> {
  const shape = 'is not JSON of the form {"<registry host>": {"username": "...", "password": "..."}}';
  if (text === undefined) throw new RegistryCredentialsError(secretArn, 'has no SecretString; store the credentials as JSON text');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new RegistryCredentialsError(secretArn, shape);
  }
  if (!isPlainObject(parsed)) throw new RegistryCredentialsError(secretArn, shape);
  const entries = new Map<string, RegistryCredentials>();
  for (const [host, value] of Object.entries(parsed)) {
    if (!isPlainObject(value) || typeof value.username !== 'string' || typeof value.password !== 'string') {
      throw new RegistryCredentialsError(secretArn, `${shape} (the entry for ${JSON.stringify(host.slice(0, 100))} is not)`);
    }
    entries.set(host.toLowerCase() === DOCKER_HUB_API_HOST ? DOCKER_HUB : canonicalRegistryHost(host), {
      username: value.username,
      password: value.password,
    });
  }
  return entries;
}

function decodeEcrToken(token: string | undefined): RegistryCredentials {
  const decoded = token === undefined ? '' : Buffer.from(token, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon <= 0) throw new Error('ECR GetAuthorizationToken returned no usable token');
  return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

export interface CredentialSources {
  /** The credentials secret's ARN, when the macro stack names one. */
  readonly secretArn: string | undefined;
  /** Its SecretString (Secrets Manager GetSecretValue). */
  readSecret(secretArn: string, call: CallContext | undefined): Promise<string | undefined>;
  /** An ECR authorization token of `region` (GetAuthorizationToken), base64 `user:password`. */
  ecrToken(region: string, call: CallContext | undefined): Promise<string | undefined>;
  /** The ports' clock: ECR tokens are reused for ECR_TOKEN_REUSE_MS on it. */
  now(): number;
}

export function createCredentialsProvider(sources: CredentialSources): CredentialsProvider {
  let secretEntries: Promise<Map<string, RegistryCredentials>> | undefined;
  const loadSecret = (secretArn: string, call: CallContext | undefined): Promise<Map<string, RegistryCredentials>> => {
    if (secretEntries === undefined) {
      const pending = (async () => {
        let text: string | undefined;
        try {
          text = await sources.readSecret(secretArn, call);
        } catch (error) {
          throw new RegistryCredentialsError(
            secretArn,
            `could not be read (${describeError(error)}). Check that it exists and that the mirror function's role may secretsmanager:GetSecretValue on it (and kms:Decrypt on its key)`,
            { cause: error },
          );
        }
        return parseCredentialsSecret(secretArn, text);
      })();
      secretEntries = pending;
      // A failed read is not kept: a later request may succeed.
      pending.catch(() => {
        if (secretEntries === pending) secretEntries = undefined;
      });
    }
    return secretEntries;
  };

  const ecrTokens = new Map<string, { credentials: RegistryCredentials; until: number }>();
  // Same precedence as the buildspec: the secret's entry for the host, then (private ECR) the ECR token of the
  // registry's region, then anonymous.
  return async (host, call) => {
    const secretArn = sources.secretArn;
    const fromSecret = secretArn === undefined ? undefined : (await loadSecret(secretArn, call)).get(host.toLowerCase());
    if (fromSecret !== undefined) return fromSecret;
    const registry = classifyRegistry(host);
    if (registry.kind === 'ecr-private' || registry.kind === 'ecr-fips') {
      const cached = ecrTokens.get(registry.region);
      if (cached !== undefined && cached.until > sources.now()) return cached.credentials;
      const token = decodeEcrToken(await sources.ecrToken(registry.region, call));
      ecrTokens.set(registry.region, { credentials: token, until: sources.now() + ECR_TOKEN_REUSE_MS });
      return token;
    }
    return undefined;
  };
}
