// Minimal HTTP plumbing shared by the test-side registry writer (images.ts) and reader (oci-reader.ts).
// Deliberately independent of the product's registry client in src/mirror.

/** Username and password for a registry with htpasswd (HTTP Basic) authentication. */
export interface RegistryAuth {
  username: string;
  password: string;
}

/** A registry answered with an unexpected HTTP status. */
export class RegistryHttpError extends Error {
  override readonly name = 'RegistryHttpError';
  constructor(
    readonly method: string,
    readonly url: string,
    readonly status: number,
    readonly body: string,
    what: string,
  ) {
    super(`${what}: ${method} ${url} answered HTTP ${status}${body ? `: ${body.slice(0, 500)}` : ''}`);
  }
}

/** Value of an `Authorization: Basic` header. */
export function basicAuthorization(auth: RegistryAuth): string {
  return `Basic ${Buffer.from(`${auth.username}:${auth.password}`, 'utf8').toString('base64')}`;
}

/** `http://host:port` without a trailing slash. */
export function registryBase(registryUrl: string): string {
  return registryUrl.replace(/\/+$/, '');
}

/** Sends a request with optional Basic auth; throws {@link RegistryHttpError} unless the status is expected. */
export async function registryRequest(
  what: string,
  method: string,
  url: string,
  options: { auth?: RegistryAuth; headers?: Record<string, string>; body?: Uint8Array; expect: readonly number[] },
): Promise<Response> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.auth) headers.authorization = basicAuthorization(options.auth);
  const response = await fetch(url, { method, headers, body: options.body, redirect: 'follow' });
  if (!options.expect.includes(response.status)) {
    const body = await response.text().catch(() => '');
    throw new RegistryHttpError(method, url, response.status, body, what);
  }
  return response;
}
