// Which base URL the client talks to for a registry host. The REGISTRY_ENDPOINTS map lets tests and
// organisations with a registry proxy send a host's traffic elsewhere without touching image references.
import { MirrorEnv } from '../../contract.js';
import { canonicalRegistryHost, DOCKER_HUB } from '../../reference/index.js';
import { describeValue, isPlainObject } from '../../values.js';
import { RegistryConfigError } from './errors.js';

/** The host of Docker Hub's registry API (docker config files name it too). */
export const DOCKER_HUB_API_HOST = 'registry-1.docker.io';
/** Docker Hub's registry API does not live at `docker.io`. */
export const DOCKER_HUB_REGISTRY_URL = `https://${DOCKER_HUB_API_HOST}`;

const HOST_LABEL = /^(?:[a-z0-9]|[a-z0-9][a-z0-9-]*[a-z0-9])$/;

function hostKeyProblem(key: string): string | undefined {
  const colon = key.indexOf(':');
  const host = colon === -1 ? key : key.slice(0, colon);
  const port = colon === -1 ? undefined : key.slice(colon + 1);
  if (host.length === 0 || !host.split('.').every((label) => HOST_LABEL.test(label))) {
    return 'is not a registry host name (as in an image reference, e.g. "quay.io" or "registry.example.com:5000")';
  }
  if (port !== undefined && !(/^[0-9]{1,5}$/.test(port) && Number(port) >= 1 && Number(port) <= 65535)) {
    return 'has a port that is not a number from 1 to 65535';
  }
  return undefined;
}

/** The endpoint URL, or the reason it is unusable. The value itself is never echoed: it might hold a secret. */
function parseEndpointUrl(value: string): URL | string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'is not an absolute URL';
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return `uses "${url.protocol}"; only http: and https: are supported`;
  if (url.username !== '' || url.password !== '') {
    return 'contains user information; registry credentials belong in the credentials secret, not in the URL';
  }
  if (url.search !== '' || url.hash !== '') return 'must not have a query or fragment';
  return url;
}

/**
 * Parses the REGISTRY_ENDPOINTS value: a JSON object mapping registry hosts to base URLs, e.g.
 * `{"quay.io": "https://quay-proxy.internal"}`. Unset or blank means no overrides.
 * Keys are normalised like image references (lower case, `index.docker.io` is `docker.io`);
 * values lose a trailing "/". Throws RegistryConfigError naming the bad entry.
 */
export function parseEndpointMap(json: string | undefined): ReadonlyMap<string, string> {
  const endpoints = new Map<string, string>();
  if (json === undefined || json.trim() === '') return endpoints;
  const where = `environment variable ${MirrorEnv.RegistryEndpoints}`;
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch (error) {
    throw new RegistryConfigError(
      `${where} is not valid JSON (${error instanceof Error ? error.message : String(error)}); expected an object such as {"quay.io": "https://quay-proxy.example.com"}`,
      { cause: error },
    );
  }
  if (!isPlainObject(parsed)) {
    throw new RegistryConfigError(`${where} must be a JSON object mapping registry hosts to base URLs, such as {"quay.io": "https://quay-proxy.example.com"}`);
  }
  for (const [rawKey, value] of Object.entries(parsed)) {
    const shownKey = JSON.stringify(rawKey.slice(0, 100));
    const key = canonicalRegistryHost(rawKey);
    const keyProblem = hostKeyProblem(key);
    if (keyProblem !== undefined) throw new RegistryConfigError(`${where}: key ${shownKey} ${keyProblem}`);
    if (typeof value !== 'string') {
      throw new RegistryConfigError(`${where}: the value for ${shownKey} must be a URL string, not ${describeValue(value, { list: 'object', object: 'object' })}`);
    }
    const url = parseEndpointUrl(value);
    if (typeof url === 'string') throw new RegistryConfigError(`${where}: the URL for ${shownKey} ${url}`);
    if (endpoints.has(key)) throw new RegistryConfigError(`${where}: registry ${shownKey} is given more than once`);
    endpoints.set(key, url.href.replace(/\/+$/, ''));
  }
  return endpoints;
}

/** Base URL (no trailing "/") for a registry host: the endpoint map, else `https://<host>`; Docker Hub is special. */
export function registryBaseUrl(host: string, endpoints: ReadonlyMap<string, string> = new Map()): string {
  const mapped = endpoints.get(host);
  if (mapped !== undefined) return mapped;
  return host === DOCKER_HUB ? DOCKER_HUB_REGISTRY_URL : `https://${host}`;
}
