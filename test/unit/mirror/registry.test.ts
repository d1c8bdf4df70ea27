// The registry client against real HTTP: scripted node:http servers on 127.0.0.1 play the registry, its
// token service and a blob store on another origin. No fetch mock: every byte crosses a socket.
import { createHash } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import {
  ManifestNotFoundError,
  PlatformNotFoundError,
  RegistryConfigError,
  RegistryError,
  RegistryProtocolError,
  RegistryRateLimitedError,
  RegistryUnauthorizedError,
  RegistryUnreachableError,
} from '../../../src/mirror/registry/errors.js';
import { RegistryClient, type RegistryClientOptions } from '../../../src/mirror/registry/client.js';
import { parseEndpointMap } from '../../../src/mirror/registry/endpoints.js';
import type { RegistryCredentials } from '../../../src/mirror/registry/credentials.js';
import { parseImageReference } from '../../../src/reference/index.js';
import { MediaType } from '../../support/media-types.js';

// ---------------------------------------------------------------------------------------------------------------
// Content fixtures: JSON documents with their sha256 digests, computed here independently of the client;
// media types come from the test support, never from the client under test.

interface Content {
  mediaType: string;
  bytes: Buffer;
  digest: string;
}

function sha256(bytes: Buffer): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

function content(mediaType: string, document: unknown): Content {
  const bytes = Buffer.from(JSON.stringify(document, null, 3));
  return { mediaType, bytes, digest: sha256(bytes) };
}

interface TestPlatform {
  os: string;
  architecture: string;
  variant?: string;
}

const AMD64: TestPlatform = { os: 'linux', architecture: 'amd64' };
const ARM64_V8: TestPlatform = { os: 'linux', architecture: 'arm64', variant: 'v8' };
const S390X: TestPlatform = { os: 'linux', architecture: 's390x' };
const UNKNOWN: TestPlatform = { os: 'unknown', architecture: 'unknown' };

/** A single-platform image: its config blob and its manifest. */
function image(platform: TestPlatform, format: 'oci' | 'docker' = 'oci'): { config: Content; manifest: Content } {
  const config = content(format === 'oci' ? MediaType.OciConfig : MediaType.DockerConfig, { ...platform, rootfs: { type: 'layers', diff_ids: [] } });
  const manifest = content(format === 'oci' ? MediaType.OciManifest : MediaType.DockerManifest, {
    schemaVersion: 2,
    mediaType: format === 'oci' ? MediaType.OciManifest : MediaType.DockerManifest,
    config: { mediaType: config.mediaType, digest: config.digest, size: config.bytes.length },
    layers: [],
  });
  return { config, manifest };
}

interface IndexEntry {
  manifest: Content;
  platform: TestPlatform;
  annotations?: Record<string, string>;
}

function index(entries: IndexEntry[], mediaType: string = MediaType.OciIndex): Content {
  return content(mediaType, {
    schemaVersion: 2,
    mediaType,
    manifests: entries.map(({ manifest, platform, annotations }) => ({
      mediaType: manifest.mediaType,
      digest: manifest.digest,
      size: manifest.bytes.length,
      platform,
      ...(annotations ? { annotations } : {}),
    })),
  });
}

/** A buildx-style attestation entry (unknown/unknown, annotated with the manifest it describes). */
function attestationEntry(subject: Content): IndexEntry {
  const manifest = content(MediaType.OciManifest, { schemaVersion: 2, mediaType: MediaType.OciManifest, note: `attestation of ${subject.digest}` });
  return {
    manifest,
    platform: UNKNOWN,
    annotations: { 'vnd.docker.reference.type': 'attestation-manifest', 'vnd.docker.reference.digest': subject.digest },
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Local HTTP servers, stopped after every test.

interface RecordedRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
}

interface LocalServer {
  url: string;
  requests: RecordedRequest[];
}

type Handler = (request: IncomingMessage, response: ServerResponse, url: URL) => void;

const running: Server[] = [];

afterEach(async () => {
  await Promise.all(
    running.splice(0).map(
      (server) =>
        new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        }),
    ),
  );
});

async function startServer(handler: Handler): Promise<LocalServer> {
  const requests: RecordedRequest[] = [];
  const server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://127.0.0.1');
    requests.push({ method: request.method ?? '', path: url.pathname, query: url.searchParams, headers: request.headers });
    handler(request, response, url);
  });
  running.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests };
}

/** A port where nothing listens: bound once, then released. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function sendJson(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  response.writeHead(status, { 'content-type': 'application/json', ...headers });
  response.end(JSON.stringify(body));
}

function registryErrors(code: string, message: string): { errors: { code: string; message: string }[] } {
  return { errors: [{ code, message }] };
}

function basic(username: string, password: string): string {
  return `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
}

type RegistryAuth = { scheme: 'basic'; username: string; password: string } | { scheme: 'bearer'; challenge: string; token: string };

interface FakeRegistryOptions {
  repository?: string;
  /** Tag -> manifest; every manifest is also served by its digest. */
  tags?: Record<string, Content>;
  /** Served by digest only (for example the children of an index). */
  manifests?: Content[];
  blobs?: Content[];
  auth?: RegistryAuth;
  /** Origin that blob requests are redirected to (a CDN or object store). */
  blobRedirect?: string;
  /** Runs before the normal handling; returns true when it answered the request itself. */
  intercept?: (request: IncomingMessage, response: ServerResponse, url: URL) => boolean;
}

/** A registry speaking the Distribution API for one repository, with optional auth and fault injection. */
function fakeRegistry(options: FakeRegistryOptions): Promise<LocalServer> {
  const repository = options.repository ?? 'acme/app';
  const byReference = new Map<string, Content>();
  for (const [tag, manifest] of Object.entries(options.tags ?? {})) byReference.set(tag, manifest);
  for (const manifest of [...Object.values(options.tags ?? {}), ...(options.manifests ?? [])]) {
    if (!byReference.has(manifest.digest)) byReference.set(manifest.digest, manifest);
  }
  const blobs = new Map((options.blobs ?? []).map((blob) => [blob.digest, blob]));

  return startServer((request, response, url) => {
    if (options.intercept?.(request, response, url)) return;
    const auth = options.auth;
    if (auth !== undefined) {
      const expected = auth.scheme === 'basic' ? basic(auth.username, auth.password) : `Bearer ${auth.token}`;
      if (request.headers.authorization !== expected) {
        const challenge = auth.scheme === 'basic' ? 'Basic realm="fake registry"' : auth.challenge;
        sendJson(response, 401, registryErrors('UNAUTHORIZED', 'authentication required'), { 'www-authenticate': challenge });
        return;
      }
    }
    const match = /^\/v2\/(.+)\/(manifests|blobs)\/([^/]+)$/.exec(url.pathname);
    if (match === null || match[1] !== repository) {
      sendJson(response, 404, registryErrors('NAME_UNKNOWN', 'repository name not known to registry'));
      return;
    }
    const [, , kind, reference] = match as unknown as [string, string, string, string];
    if (kind === 'blobs' && options.blobRedirect !== undefined) {
      response.writeHead(307, { location: `${options.blobRedirect}/store/${reference}?X-Signature=presigned` });
      response.end();
      return;
    }
    const found = kind === 'manifests' ? byReference.get(reference) : blobs.get(reference);
    if (found === undefined) {
      const code = kind === 'manifests' ? 'MANIFEST_UNKNOWN' : 'BLOB_UNKNOWN';
      sendJson(response, 404, registryErrors(code, `${kind === 'manifests' ? 'manifest' : 'blob'} unknown`));
      return;
    }
    response.writeHead(200, {
      'content-type': found.mediaType,
      'content-length': String(found.bytes.length),
      'docker-content-digest': found.digest,
    });
    response.end(request.method === 'HEAD' ? undefined : found.bytes);
  });
}

/** A token service that checks service, scope and (when configured) Basic credentials. */
function tokenService(options: { token: string; service: string; scope: string; credentials?: RegistryCredentials; field?: 'token' | 'access_token' }): Promise<LocalServer> {
  return startServer((request, response, url) => {
    const authorized =
      options.credentials === undefined
        ? request.headers.authorization === undefined
        : request.headers.authorization === basic(options.credentials.username, options.credentials.password);
    if (!authorized) {
      sendJson(response, 401, { details: 'incorrect username or password' });
      return;
    }
    if (url.searchParams.get('service') !== options.service || url.searchParams.get('scope') !== options.scope) {
      sendJson(response, 400, { details: 'wrong service or scope' });
      return;
    }
    sendJson(response, 200, { [options.field ?? 'token']: options.token, expires_in: 300 });
  });
}

// ---------------------------------------------------------------------------------------------------------------
// Client helpers: the image is always "quay.io/acme/app", its host mapped to the local server.

const SOURCE = 'quay.io/acme/app';

function clientFor(server: LocalServer, options: Omit<RegistryClientOptions, 'endpoints'> = {}): RegistryClient {
  return new RegistryClient({ endpoints: new Map([['quay.io', server.url]]), retryDelayMs: 1, ...options });
}

function ref(reference: string): ReturnType<typeof parseImageReference> {
  return parseImageReference(reference.startsWith('@') ? `${SOURCE}${reference}` : `${SOURCE}:${reference}`);
}

async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof Error) return error;
    throw new Error(`rejected with a non-Error: ${String(error)}`);
  }
  throw new Error('expected a rejection, but the promise resolved');
}

// ---------------------------------------------------------------------------------------------------------------

describe('Class: RegistryClient', () => {
  describe('Method: getManifest', () => {
    it('returns the exact bytes, media type and digest of a tagged OCI manifest, sending the full Accept list', async () => {
      const { manifest } = image(AMD64);
      const registry = await fakeRegistry({ tags: { '1.0': manifest } });

      const result = await clientFor(registry).getManifest(ref('1.0'));

      expect(Buffer.from(result.bytes).equals(manifest.bytes)).toBe(true);
      expect(result.digest).toBe(manifest.digest);
      expect(result.mediaType).toBe(MediaType.OciManifest);
      expect(result.json).toEqual(JSON.parse(manifest.bytes.toString()));
      const accept = (registry.requests[0]?.headers.accept ?? '').split(',').map((type) => type.trim());
      expect(accept).toEqual(expect.arrayContaining([MediaType.OciManifest, MediaType.OciIndex, MediaType.DockerManifest, MediaType.DockerManifestList]));
      expect(registry.requests[0]?.path).toBe('/v2/acme/app/manifests/1.0');
    });

    it('fetches by digest when the reference has one, and reads Docker media types', async () => {
      const { manifest } = image(AMD64, 'docker');
      const registry = await fakeRegistry({ manifests: [manifest] });

      const result = await clientFor(registry).getManifest(ref(`@${manifest.digest}`));

      expect(registry.requests[0]?.path).toBe(`/v2/acme/app/manifests/${manifest.digest}`);
      expect(result.digest).toBe(manifest.digest);
      expect(result.mediaType).toBe(MediaType.DockerManifest);
    });

    it('reads a Docker manifest list as a list, not as one of its children', async () => {
      const amd = image(AMD64, 'docker');
      const list = index([{ manifest: amd.manifest, platform: AMD64 }], MediaType.DockerManifestList);
      const registry = await fakeRegistry({ tags: { latest: list } });

      const result = await clientFor(registry).getManifest(ref('latest'));

      expect(result.mediaType).toBe(MediaType.DockerManifestList);
      expect(result.digest).toBe(list.digest);
    });

    it('throws ManifestNotFoundError with the registry message for a missing tag, without retrying', async () => {
      const registry = await fakeRegistry({ tags: {} });

      const error = await rejection(clientFor(registry).getManifest(ref('missing')));

      expect(error).toBeInstanceOf(ManifestNotFoundError);
      const notFound = error as ManifestNotFoundError;
      expect(notFound).toMatchObject({ registry: 'quay.io', repository: 'acme/app', reference: 'missing', status: 404 });
      expect(notFound.registryCode).toBe('MANIFEST_UNKNOWN');
      expect(notFound.registryMessage).toBe('manifest unknown');
      expect(notFound.message).toContain('quay.io/acme/app:missing');
      expect(notFound.message).toContain('manifest unknown');
      expect(registry.requests).toHaveLength(1);
    });

    it('rejects a manifest whose bytes do not match the Docker-Content-Digest header', async () => {
      const { manifest } = image(AMD64);
      const registry = await fakeRegistry({
        intercept: (_request, response) => {
          response.writeHead(200, { 'content-type': MediaType.OciManifest, 'docker-content-digest': `sha256:${'0'.repeat(64)}` });
          response.end(manifest.bytes);
          return true;
        },
      });

      const error = await rejection(clientFor(registry).getManifest(ref('1.0')));

      expect(error).toBeInstanceOf(RegistryProtocolError);
      expect(error.message).toContain('Docker-Content-Digest');
      expect(error.message).toContain(manifest.digest);
    });

    it('rejects bytes served for a requested digest that are not that digest', async () => {
      const { manifest } = image(AMD64);
      const other = image(ARM64_V8).manifest;
      // The registry serves `other` under `manifest`'s digest and claims nothing else.
      const registry = await fakeRegistry({
        intercept: (_request, response) => {
          response.writeHead(200, { 'content-type': MediaType.OciManifest });
          response.end(other.bytes);
          return true;
        },
      });

      const error = await rejection(clientFor(registry).getManifest(ref(`@${manifest.digest}`)));

      expect(error).toBeInstanceOf(RegistryProtocolError);
      expect(error.message).toContain('requested digest');
    });

    it.each([
      ['an HTML page', 'text/html; charset=utf-8', (m: Content) => m.bytes],
      ['a Docker schema 1 manifest', 'application/vnd.docker.distribution.manifest.v1+prettyjws', (m: Content) => m.bytes],
      ['a Content-Type that contradicts the body', MediaType.DockerManifest, (m: Content) => m.bytes],
      ['a body that is not JSON', MediaType.OciManifest, () => Buffer.from('<html>oops</html>')],
    ])('rejects %s with RegistryProtocolError', async (_case, contentType, body) => {
      const { manifest } = image(AMD64);
      const registry = await fakeRegistry({
        intercept: (_request, response) => {
          response.writeHead(200, { 'content-type': contentType });
          response.end(body(manifest));
          return true;
        },
      });

      const error = await rejection(clientFor(registry).getManifest(ref('1.0')));

      expect(error).toBeInstanceOf(RegistryProtocolError);
      expect(error.message).toContain('quay.io/acme/app:1.0');
    });
  });

  describe('Method: headManifest', () => {
    it('returns digest and media type when the manifest exists, using HEAD', async () => {
      const amd = image(AMD64);
      const list = index([{ manifest: amd.manifest, platform: AMD64 }]);
      const registry = await fakeRegistry({ tags: { '2.0': list } });

      const head = await clientFor(registry).headManifest(ref('2.0'));

      expect(head).toEqual({ digest: list.digest, mediaType: MediaType.OciIndex });
      expect(registry.requests.map((request) => request.method)).toEqual(['HEAD']);
    });

    it('falls back to GET and hashes the body when the HEAD answer has no Docker-Content-Digest', async () => {
      const { manifest } = image(ARM64_V8, 'docker');
      const registry = await fakeRegistry({
        tags: { '1.0': manifest },
        intercept: (request, response) => {
          if (request.method !== 'HEAD') return false;
          response.writeHead(200, { 'content-type': MediaType.DockerManifest });
          response.end();
          return true;
        },
      });

      const head = await clientFor(registry).headManifest(ref('1.0'));

      expect(head).toEqual({ digest: manifest.digest, mediaType: MediaType.DockerManifest });
      expect(registry.requests.map((request) => request.method)).toEqual(['HEAD', 'GET']);
    });

    it('returns undefined when the tag or digest does not exist', async () => {
      const registry = await fakeRegistry({ tags: {} });
      const client = clientFor(registry);

      expect(await client.headManifest(ref('absent'))).toBeUndefined();
      expect(await client.headManifest(ref(`@sha256:${'a'.repeat(64)}`))).toBeUndefined();
    });
  });

  describe('Authentication', () => {
    it('gets an anonymous Bearer token for the challenged service and scope, and reuses it', async () => {
      const { manifest } = image(AMD64);
      const tokens = await tokenService({ token: 'anon-token-123', service: 'fake-registry', scope: 'repository:acme/app:pull' });
      const registry = await fakeRegistry({
        tags: { '1.0': manifest },
        auth: {
          scheme: 'bearer',
          token: 'anon-token-123',
          challenge: `Bearer realm="${tokens.url}/token",service="fake-registry",scope="repository:acme/app:pull"`,
        },
      });
      const client = clientFor(registry);

      expect((await client.getManifest(ref('1.0'))).digest).toBe(manifest.digest);
      expect((await client.headManifest(ref('1.0')))?.digest).toBe(manifest.digest);

      expect(tokens.requests).toHaveLength(1);
      expect(tokens.requests[0]?.headers.authorization).toBeUndefined();
      // First request anonymous and refused, every later one carries the cached token up front.
      expect(registry.requests.map((request) => request.headers.authorization)).toEqual([undefined, 'Bearer anon-token-123', 'Bearer anon-token-123']);
    });

    it('sends credentials to the token service, accepts "access_token", and keeps a quoted scope with commas whole', async () => {
      const { manifest } = image(AMD64);
      const credentials = { username: 'robot', password: 'hunter2-secret' };
      const scope = 'repository:acme/app:pull,push';
      const tokens = await tokenService({ token: 'user-token-456', service: 'quay.io', scope, credentials, field: 'access_token' });
      const registry = await fakeRegistry({
        tags: { '1.0': manifest },
        auth: {
          scheme: 'bearer',
          token: 'user-token-456',
          challenge: `Bearer realm="${tokens.url}/v2/auth", service="quay.io", scope="${scope}", error="invalid_token"`,
        },
      });
      const asked: string[] = [];

      const result = await clientFor(registry, {
        credentials: async (host) => {
          asked.push(host);
          return credentials;
        },
      }).getManifest(ref('1.0'));

      expect(result.digest).toBe(manifest.digest);
      expect(asked).toEqual(['quay.io']);
      expect(tokens.requests[0]?.query.getAll('scope')).toEqual([scope]);
      expect(tokens.requests[0]?.headers.authorization).toBe(basic('robot', 'hunter2-secret'));
    });

    it('throws RegistryUnauthorizedError when the token service refuses the credentials, without leaking them', async () => {
      const tokens = await tokenService({
        token: 't',
        service: 'quay.io',
        scope: 'repository:acme/app:pull',
        credentials: { username: 'robot', password: 'right-password' },
      });
      const registry = await fakeRegistry({
        tags: {},
        auth: { scheme: 'bearer', token: 't', challenge: `Bearer realm="${tokens.url}/token",service="quay.io",scope="repository:acme/app:pull"` },
      });

      const error = await rejection(clientFor(registry, { credentials: async () => ({ username: 'robot', password: 'wrong-password' }) }).getManifest(ref('1.0')));

      expect(error).toBeInstanceOf(RegistryUnauthorizedError);
      expect(error.message).toContain('quay.io/acme/app:1.0');
      expect(error.message).toContain('incorrect username or password');
      expect(error.message).not.toContain('wrong-password');
      expect(error.message).not.toContain(Buffer.from('robot:wrong-password').toString('base64'));
      expect(tokens.requests).toHaveLength(1);
    });

    it('answers a Basic challenge with the credentials of the image host, then sends them up front', async () => {
      const { manifest } = image(AMD64);
      const registry = await fakeRegistry({ tags: { '1.0': manifest }, auth: { scheme: 'basic', username: 'AWS', password: 'ecr-token-xyz' } });
      const asked: string[] = [];
      const client = clientFor(registry, {
        credentials: async (host) => {
          asked.push(host);
          return { username: 'AWS', password: 'ecr-token-xyz' };
        },
      });

      expect((await client.getManifest(ref('1.0'))).digest).toBe(manifest.digest);
      expect(await client.headManifest(ref('1.0'))).toEqual({ digest: manifest.digest, mediaType: MediaType.OciManifest });

      expect(asked).toEqual(['quay.io']);
      expect(registry.requests.map((request) => request.headers.authorization)).toEqual([undefined, basic('AWS', 'ecr-token-xyz'), basic('AWS', 'ecr-token-xyz')]);
    });

    it('throws RegistryUnauthorizedError saying no credentials are configured when a Basic challenge cannot be answered', async () => {
      const registry = await fakeRegistry({ tags: {}, auth: { scheme: 'basic', username: 'u', password: 'p' } });

      const error = await rejection(clientFor(registry, { credentials: async () => undefined }).getManifest(ref('1.0')));

      expect(error).toBeInstanceOf(RegistryUnauthorizedError);
      expect((error as RegistryUnauthorizedError).status).toBe(401);
      expect(error.message).toContain('No credentials are configured for quay.io');
      expect(registry.requests).toHaveLength(1);
    });

    it('reports a failing credentials provider as a RegistryError naming the host, keeping the cause', async () => {
      const registry = await fakeRegistry({ tags: {}, auth: { scheme: 'basic', username: 'u', password: 'p' } });
      const failure = new Error('AccessDeniedException: not allowed to read the secret');

      const error = await rejection(
        clientFor(registry, {
          credentials: async () => {
            throw failure;
          },
        }).getManifest(ref('1.0')),
      );

      expect(error).toBeInstanceOf(RegistryError);
      expect(error.message).toContain('could not get credentials for quay.io: AccessDeniedException');
      expect(error.cause).toBe(failure);
    });

    it('throws RegistryUnauthorizedError when the registry rejects the credentials, redacting an echoed secret', async () => {
      const password = 'echoed-password-789';
      const registry = await fakeRegistry({
        intercept: (request, response) => {
          if (request.headers.authorization === undefined) {
            sendJson(response, 401, registryErrors('UNAUTHORIZED', 'authentication required'), { 'www-authenticate': 'Basic realm="r"' });
          } else {
            // A careless registry quoting the request back.
            sendJson(response, 403, registryErrors('DENIED', `denied for header ${request.headers.authorization} (password ${password})`));
          }
          return true;
        },
      });

      const error = await rejection(clientFor(registry, { credentials: async () => ({ username: 'robot', password }) }).getManifest(ref('1.0')));

      expect(error).toBeInstanceOf(RegistryUnauthorizedError);
      expect((error as RegistryUnauthorizedError).registryCode).toBe('DENIED');
      expect(error.message).toContain('credentials for quay.io were rejected');
      expect(error.message).not.toContain(password);
      expect(error.message).not.toContain(Buffer.from(`robot:${password}`).toString('base64'));
      expect(error.message).toContain('denied for header');
    });
  });

  describe('Retries and failures', () => {
    it('retries a 500 and returns the manifest that follows', async () => {
      const { manifest } = image(AMD64);
      let failures = 1;
      const registry = await fakeRegistry({
        tags: { '1.0': manifest },
        intercept: (_request, response) => {
          if (failures-- <= 0) return false;
          sendJson(response, 500, registryErrors('UNKNOWN', 'database is down'));
          return true;
        },
      });

      const result = await clientFor(registry).getManifest(ref('1.0'));

      expect(result.digest).toBe(manifest.digest);
      expect(registry.requests).toHaveLength(2);
    });

    it('gives up after maxAttempts answers of 503 with a RegistryError carrying the status', async () => {
      const registry = await fakeRegistry({
        intercept: (_request, response) => {
          sendJson(response, 503, registryErrors('UNAVAILABLE', 'service unavailable'));
          return true;
        },
      });

      const error = await rejection(clientFor(registry, { maxAttempts: 3 }).getManifest(ref('1.0')));

      expect(error).toBeInstanceOf(RegistryError);
      expect(error).not.toBeInstanceOf(ManifestNotFoundError);
      expect((error as RegistryError).status).toBe(503);
      expect(error.message).toContain('after 3 attempts');
      expect(registry.requests).toHaveLength(3);
    });

    it('throws RegistryRateLimitedError with Retry-After when the registry asks for a long wait, without retrying', async () => {
      const registry = await fakeRegistry({
        intercept: (_request, response) => {
          sendJson(response, 429, registryErrors('TOOMANYREQUESTS', 'You have reached your pull rate limit'), { 'retry-after': '120' });
          return true;
        },
      });

      const error = await rejection(clientFor(registry).getManifest(ref('1.0')));

      expect(error).toBeInstanceOf(RegistryRateLimitedError);
      expect((error as RegistryRateLimitedError).retryAfterSeconds).toBe(120);
      expect(error.message).toContain('You have reached your pull rate limit');
      expect(error.message).toContain('120 s');
      expect(registry.requests).toHaveLength(1);
    });

    it('waits out a short Retry-After and succeeds', async () => {
      const { manifest } = image(AMD64);
      let limited = true;
      const registry = await fakeRegistry({
        tags: { '1.0': manifest },
        intercept: (_request, response) => {
          if (!limited) return false;
          limited = false;
          sendJson(response, 429, registryErrors('TOOMANYREQUESTS', 'slow down'), { 'retry-after': '0' });
          return true;
        },
      });

      expect((await clientFor(registry).getManifest(ref('1.0'))).digest).toBe(manifest.digest);
      expect(registry.requests).toHaveLength(2);
    });

    it('throws RegistryUnreachableError on a timeout when the server never answers, after retrying', async () => {
      const registry = await startServer(() => {
        /* accepts the request and never answers */
      });

      const error = await rejection(clientFor(registry, { timeoutMs: 150, maxAttempts: 2 }).getManifest(ref('1.0')));

      expect(error).toBeInstanceOf(RegistryUnreachableError);
      expect(error.message).toContain('no answer within 150 ms');
      expect(error.message).toContain(registry.url);
      expect(registry.requests).toHaveLength(2);
    });

    it('throws RegistryUnreachableError naming the registry when the connection is refused', async () => {
      const port = await closedPort();
      const client = new RegistryClient({ endpoints: new Map([['quay.io', `http://127.0.0.1:${port}`]]), retryDelayMs: 1 });

      const error = await rejection(client.getManifest(ref('1.0')));

      expect(error).toBeInstanceOf(RegistryUnreachableError);
      expect(error.message).toContain('quay.io/acme/app:1.0');
      expect(error.message).toContain('connection refused (ECONNREFUSED)');
      expect((error as RegistryUnreachableError).url).toContain(`127.0.0.1:${port}`);
    });
  });

  describe('Method: resolvePlatform', () => {
    async function multiPlatformRegistry(): Promise<{ registry: LocalServer; list: Content; amd: Content; arm: Content }> {
      const amd = image(AMD64).manifest;
      const arm = image(ARM64_V8).manifest;
      const attestation = attestationEntry(amd);
      const list = index([{ manifest: amd, platform: AMD64 }, { manifest: arm, platform: ARM64_V8 }, attestation]);
      const registry = await fakeRegistry({ tags: { '3.0': list }, manifests: [amd, arm, attestation.manifest] });
      return { registry, list, amd, arm };
    }

    it('picks the arm64 entry of an index, skipping the attestation', async () => {
      const { registry, list, arm } = await multiPlatformRegistry();

      const result = await clientFor(registry).resolvePlatform(ref('3.0'), 'arm64');

      expect(result).toEqual({
        digest: arm.digest,
        mediaType: MediaType.OciManifest,
        platform: 'linux/arm64',
        indexDigest: list.digest,
        available: ['linux/amd64', 'linux/arm64/v8'],
      });
    });

    it('picks the amd64 entry for x86_64', async () => {
      const { registry, amd } = await multiPlatformRegistry();

      const result = await clientFor(registry).resolvePlatform(ref('3.0'), 'x86_64');

      expect(result.digest).toBe(amd.digest);
      expect(result.platform).toBe('linux/amd64');
    });

    it('throws PlatformNotFoundError listing every available platform when the index lacks the architecture', async () => {
      const amd = image(AMD64).manifest;
      const s390x = image(S390X).manifest;
      const list = index([{ manifest: amd, platform: AMD64 }, { manifest: s390x, platform: S390X }, attestationEntry(amd)]);
      const registry = await fakeRegistry({ tags: { '3.0': list } });

      const error = await rejection(clientFor(registry).resolvePlatform(ref('3.0'), 'arm64'));

      expect(error).toBeInstanceOf(PlatformNotFoundError);
      const missing = error as PlatformNotFoundError;
      expect(missing.reason).toBe('image has linux/amd64, linux/s390x only; function Architectures is arm64');
      expect(missing.message).toBe('quay.io/acme/app:3.0: image has linux/amd64, linux/s390x only; function Architectures is arm64');
      expect(missing.available).toEqual(['linux/amd64', 'linux/s390x']);
    });

    it("reads a single manifest's config through a blob redirect to another host without forwarding Authorization", async () => {
      const { config, manifest } = image(AMD64);
      const store = await startServer((_request, response, url) => {
        const served = url.pathname === `/store/${config.digest}` ? config.bytes : Buffer.from('nope');
        response.writeHead(200, { 'content-type': 'application/octet-stream' });
        response.end(served);
      });
      const tokens = await tokenService({ token: 'blob-token-1', service: 's', scope: 'repository:acme/app:pull' });
      const registry = await fakeRegistry({
        tags: { '1.0': manifest },
        auth: { scheme: 'bearer', token: 'blob-token-1', challenge: `Bearer realm="${tokens.url}/token",service="s",scope="repository:acme/app:pull"` },
        blobRedirect: store.url,
      });

      const result = await clientFor(registry).resolvePlatform(ref('1.0'), 'x86_64');

      expect(result).toEqual({ digest: manifest.digest, mediaType: MediaType.OciManifest, platform: 'linux/amd64', available: ['linux/amd64'] });
      const blobRequest = registry.requests.find((request) => request.path.includes('/blobs/'));
      expect(blobRequest?.headers.authorization).toBe('Bearer blob-token-1');
      expect(store.requests).toHaveLength(1);
      expect(store.requests[0]?.query.get('X-Signature')).toBe('presigned');
      expect(store.requests[0]?.headers.authorization).toBeUndefined();
    });

    it('throws PlatformNotFoundError in the documented words for a single-platform image of the other architecture', async () => {
      const { config, manifest } = image(AMD64, 'docker');
      const registry = await fakeRegistry({ tags: { '1.0': manifest }, blobs: [config] });

      const error = await rejection(clientFor(registry).resolvePlatform(ref('1.0'), 'arm64'));

      expect(error).toBeInstanceOf(PlatformNotFoundError);
      expect((error as PlatformNotFoundError).reason).toBe('image has linux/amd64 only; function Architectures is arm64');
      expect(error.message).toBe('quay.io/acme/app:1.0: image has linux/amd64 only; function Architectures is arm64');
    });

    it('rejects a config blob whose bytes do not match its digest', async () => {
      const { config, manifest } = image(AMD64);
      const registry = await fakeRegistry({ tags: { '1.0': manifest }, blobs: [{ ...config, bytes: Buffer.from('{"os":"linux","architecture":"arm64"}') }] });

      const error = await rejection(clientFor(registry).resolvePlatform(ref('1.0'), 'arm64'));

      expect(error).toBeInstanceOf(RegistryProtocolError);
      expect(error.message).toContain(config.digest);
    });
  });
});

describe('Function: parseEndpointMap', () => {
  it('maps hosts to base URLs, normalising host case, the Docker Hub alias and a trailing slash', () => {
    const map = parseEndpointMap('{"Quay.IO": "http://127.0.0.1:5000/", "index.docker.io": "https://hub-proxy.example.com/v2-proxy"}');

    expect([...map]).toEqual([
      ['quay.io', 'http://127.0.0.1:5000'],
      ['docker.io', 'https://hub-proxy.example.com/v2-proxy'],
    ]);
  });

  it.each([undefined, '', '   '])('returns an empty map for %j', (value) => {
    expect(parseEndpointMap(value).size).toBe(0);
  });

  it.each([
    ['invalid JSON', '{"quay.io": ', /REGISTRY_ENDPOINTS is not valid JSON/],
    ['an array', '["quay.io"]', /REGISTRY_ENDPOINTS must be a JSON object/],
    ['a non-string value', '{"quay.io": 5000}', /value for "quay.io" must be a URL string, not number/],
    ['a relative URL', '{"quay.io": "127.0.0.1:5000"}', /URL for "quay.io" (is not an absolute URL|uses)/],
    ['an unsupported scheme', '{"quay.io": "ftp://proxy"}', /URL for "quay.io" uses "ftp:"/],
    ['a query string', '{"quay.io": "https://proxy/?a=b"}', /must not have a query or fragment/],
    ['a bad host key', '{"quay io": "https://proxy"}', /key "quay io" is not a registry host name/],
    ['a bad port in the key', '{"quay.io:99999": "https://proxy"}', /key "quay.io:99999" has a port/],
  ])('throws RegistryConfigError for %s', (_case, value, message) => {
    expect(() => parseEndpointMap(value)).toThrow(RegistryConfigError);
    expect(() => parseEndpointMap(value)).toThrow(message);
  });

  it('refuses credentials in an endpoint URL without echoing them', () => {
    const error = (() => {
      try {
        parseEndpointMap('{"quay.io": "https://user:s3cret-pass@proxy.example.com"}');
      } catch (caught) {
        return caught as Error;
      }
      throw new Error('expected parseEndpointMap to throw');
    })();

    expect(error).toBeInstanceOf(RegistryConfigError);
    expect(error.message).toContain('contains user information');
    expect(error.message).not.toContain('s3cret-pass');
  });
});
