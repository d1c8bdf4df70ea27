// The registry client's test registry: scripted node:http servers on 127.0.0.1 play the registry, its token
// service and a blob store on another origin, with content fixtures whose digests are computed here,
// independently of the client. Shared by the test files of registry/.
import { createHash } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { RegistryClient, type RegistryClientOptions } from '../../../../src/mirror/registry/client.js';
import type { RegistryCredentials } from '../../../../src/mirror/registry/credentials.js';
import { parseImageReference } from '../../../../src/reference/index.js';
import { MediaType } from '../../../support/media-types.js';

// ---------------------------------------------------------------------------------------------------------------
// Content fixtures: JSON documents with their sha256 digests, computed here independently of the client;
// media types come from the test support, never from the client under test.

export interface Content {
  mediaType: string;
  bytes: Buffer;
  digest: string;
}

export function sha256(bytes: Buffer): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

export function content(mediaType: string, document: unknown): Content {
  const bytes = Buffer.from(JSON.stringify(document, null, 3));
  return { mediaType, bytes, digest: sha256(bytes) };
}

export interface TestPlatform {
  os: string;
  architecture: string;
  variant?: string;
}

export const AMD64: TestPlatform = { os: 'linux', architecture: 'amd64' };
export const ARM64_V8: TestPlatform = { os: 'linux', architecture: 'arm64', variant: 'v8' };
export const S390X: TestPlatform = { os: 'linux', architecture: 's390x' };
export const UNKNOWN: TestPlatform = { os: 'unknown', architecture: 'unknown' };

/** A single-platform image: its config blob and its manifest. */
export function image(platform: TestPlatform, format: 'oci' | 'docker' = 'oci'): { config: Content; manifest: Content } {
  const config = content(format === 'oci' ? MediaType.OciConfig : MediaType.DockerConfig, { ...platform, rootfs: { type: 'layers', diff_ids: [] } });
  const manifest = content(format === 'oci' ? MediaType.OciManifest : MediaType.DockerManifest, {
    schemaVersion: 2,
    mediaType: format === 'oci' ? MediaType.OciManifest : MediaType.DockerManifest,
    config: { mediaType: config.mediaType, digest: config.digest, size: config.bytes.length },
    layers: [],
  });
  return { config, manifest };
}

export interface IndexEntry {
  manifest: Content;
  platform: TestPlatform;
  annotations?: Record<string, string>;
}

export function index(entries: IndexEntry[], mediaType: string = MediaType.OciIndex): Content {
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
export function attestationEntry(subject: Content): IndexEntry {
  const manifest = content(MediaType.OciManifest, { schemaVersion: 2, mediaType: MediaType.OciManifest, note: `attestation of ${subject.digest}` });
  return {
    manifest,
    platform: UNKNOWN,
    annotations: { 'vnd.docker.reference.type': 'attestation-manifest', 'vnd.docker.reference.digest': subject.digest },
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Local HTTP servers, stopped after every test.

export interface RecordedRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
}

export interface LocalServer {
  url: string;
  requests: RecordedRequest[];
}

export type Handler = (request: IncomingMessage, response: ServerResponse, url: URL) => void;

export const running: Server[] = [];

/** Closes every server the current test started (each test file runs it after each test). */
export async function stopServers(): Promise<void> {
  await Promise.all(
    running.splice(0).map(
      (server) =>
        new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        }),
    ),
  );
}

export async function startServer(handler: Handler): Promise<LocalServer> {
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
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export function sendJson(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  response.writeHead(status, { 'content-type': 'application/json', ...headers });
  response.end(JSON.stringify(body));
}

export function registryErrors(code: string, message: string): { errors: { code: string; message: string }[] } {
  return { errors: [{ code, message }] };
}

export function basic(username: string, password: string): string {
  return `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
}

export type RegistryAuth = { scheme: 'basic'; username: string; password: string } | { scheme: 'bearer'; challenge: string; token: string };

export interface FakeRegistryOptions {
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
export function fakeRegistry(options: FakeRegistryOptions): Promise<LocalServer> {
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
export function tokenService(options: {
  token: string;
  service: string;
  scope: string;
  credentials?: RegistryCredentials;
  field?: 'token' | 'access_token';
}): Promise<LocalServer> {
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

export const SOURCE = 'quay.io/acme/app';

export function clientFor(server: LocalServer, options: Omit<RegistryClientOptions, 'endpoints'> = {}): RegistryClient {
  return new RegistryClient({ endpoints: new Map([['quay.io', server.url]]), retryDelayMs: 1, ...options });
}

export function ref(reference: string): ReturnType<typeof parseImageReference> {
  return parseImageReference(reference.startsWith('@') ? `${SOURCE}${reference}` : `${SOURCE}:${reference}`);
}

export async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof Error) return error;
    throw new Error(`rejected with a non-Error: ${String(error)}`);
  }
  throw new Error('expected a rejection, but the promise resolved');
}

// ---------------------------------------------------------------------------------------------------------------
