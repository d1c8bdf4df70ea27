// What the reading client makes of a registry's answers it must not trust (client.ts): a manifest that is not JSON or
// not what its digests say, a HEAD whose digest header is wrong, an index entry that is not an image, a config that is
// not JSON or is missing. Each is refused with the image and the reason; nothing is guessed. A scripted registry
// (quay.io) serves exact bytes; every request is recorded.
import { describe, expect, it } from 'vitest';
import { RegistryClient } from '../../../../src/mirror/registry/client.js';
import { ManifestNotFoundError, PlatformNotFoundError, RegistryError, RegistryProtocolError, RegistryUnauthorizedError } from '../../../../src/mirror/registry/errors.js';
import { parseImageReference } from '../../../../src/reference/index.js';
import { MediaType } from '../../../support/media-types.js';
import { AMD64, ARM64_V8, content, image, index, rejection, sha256 } from './fake-registry.js';

interface Served {
  readonly status?: number;
  readonly headers?: Record<string, string>;
  readonly body?: Uint8Array | string;
}

/** quay.io answering each path from `routes` (404 elsewhere); HEAD gets the headers without the body. */
function registry(routes: Record<string, Served | ((method: string) => Served)>) {
  const asked: string[] = [];
  const fetch = (async (input: URL | string, init?: RequestInit) => {
    const url = new URL(String(input));
    const method = init?.method ?? 'GET';
    asked.push(`${method} ${url.pathname}`);
    const route = routes[url.pathname];
    const served = typeof route === 'function' ? route(method) : route;
    if (served === undefined) return new Response('{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown"}]}', { status: 404 });
    return new Response(method === 'HEAD' ? null : (served.body ?? null), { status: served.status ?? 200, headers: served.headers ?? {} });
  }) as typeof globalThis.fetch;
  return { client: new RegistryClient({ fetch, retryDelayMs: 1, maxAttempts: 1, lookup: async () => ['203.0.113.7'] }), asked };
}

const path = (reference: string) => `/v2/acme/app/manifests/${reference}`;
const blobPath = (digest: string) => `/v2/acme/app/blobs/${digest}`;
const ref = (reference: string) => parseImageReference(reference.startsWith('sha256:') ? `quay.io/acme/app@${reference}` : `quay.io/acme/app:${reference}`);
const served = (document: { mediaType: string; bytes: Buffer; digest: string }, headers: Record<string, string> = {}): Served => ({
  headers: { 'content-type': document.mediaType, 'docker-content-digest': document.digest, ...headers },
  body: document.bytes,
});

/** A registry whose tag 1.0 is one OCI image manifest, without layers, whose config is `configBytes`. */
function configRegistry(configBytes: Buffer) {
  const config = { mediaType: MediaType.OciConfig, bytes: configBytes, digest: sha256(configBytes) };
  const manifest = content(MediaType.OciManifest, {
    schemaVersion: 2,
    mediaType: MediaType.OciManifest,
    config: { mediaType: config.mediaType, digest: config.digest, size: configBytes.length },
    layers: [],
  });
  return { config, ...registry({ [path('1.0')]: served(manifest), [blobPath(config.digest)]: { body: configBytes } }) };
}

describe('Method: RegistryClient.getManifest (answers not to trust)', () => {
  it('refuses a manifest that is not JSON, or not UTF-8', async () => {
    for (const body of ['{"schemaVersion": 2', new Uint8Array([0x7b, 0xff, 0xfe, 0x7d])]) {
      const { client } = registry({ [path('1.0')]: { headers: { 'content-type': MediaType.OciManifest }, body } });
      const error = await rejection(client.getManifest(ref('1.0')));
      expect(error).toBeInstanceOf(RegistryProtocolError);
      expect(error.message).toBe('quay.io/acme/app:1.0: quay.io answered with a manifest that is not valid JSON');
    }
  });

  it('refuses a manifest of an unusable shape, naming what is wrong', async () => {
    const { client } = registry({ [path('1.0')]: { headers: { 'content-type': 'text/html' }, body: '{"schemaVersion": 2}' } });

    const error = await rejection(client.getManifest(ref('1.0')));

    expect(error).toBeInstanceOf(RegistryProtocolError);
    expect(error.message).toMatch(
      /^quay\.io\/acme\/app:1\.0: quay\.io sent an unusable manifest: the registry answered with Content-Type "text\/html", which is not one of /,
    );
  });

  it('names the digest it was asked for, and the header it was given, when the bytes match neither', async () => {
    const { manifest } = image(AMD64);
    const other = image(ARM64_V8).manifest;
    const byDigest = registry({ [path(manifest.digest)]: served(other, { 'docker-content-digest': other.digest }) });
    const asked = await rejection(byDigest.client.getManifest(ref(manifest.digest)));
    expect(asked.message).toMatch(
      new RegExp(`^quay\\.io/acme/app@${manifest.digest}: the manifest from quay\\.io does not match the requested digest ${manifest.digest}: .+; refusing to trust it$`),
    );

    const byTag = registry({ [path('1.0')]: served(manifest, { 'docker-content-digest': other.digest }) });
    const header = await rejection(byTag.client.getManifest(ref('1.0')));
    expect(header.message).toMatch(new RegExp(`the manifest from quay\\.io does not match the Docker-Content-Digest header ${other.digest}: .+; refusing to trust it$`));

    const invalid = registry({ [path('1.0')]: served(manifest, { 'docker-content-digest': 'latest' }) });
    const unreadable = await rejection(invalid.client.getManifest(ref('1.0')));
    expect(unreadable.message).toContain('does not match the Docker-Content-Digest header latest: it is not a valid digest; refusing to trust it');

    const long = `sha256:${'0'.repeat(200)}`;
    const cut = registry({ [path('1.0')]: served(manifest, { 'docker-content-digest': long }) });
    const shown = await rejection(cut.client.getManifest(ref('1.0')));
    expect(shown.message).toContain(`does not match the Docker-Content-Digest header ${long.slice(0, 150)}: `);
    expect(shown.message).not.toContain(long.slice(0, 151));
  });

  it('takes the digest of the bytes when the registry names none, and the requested one when asked by digest', async () => {
    const { manifest } = image(AMD64);
    const { client } = registry({ [path('1.0')]: { headers: { 'content-type': manifest.mediaType }, body: manifest.bytes }, [path(manifest.digest)]: served(manifest) });

    expect((await client.getManifest(ref('1.0'))).digest).toBe(manifest.digest);
    expect((await client.getManifest(ref(manifest.digest))).digest).toBe(manifest.digest);
  });

  it("refuses a manifest with a byte that is not UTF-8 inside a JSON string, keeping the decoder's complaint as the cause", async () => {
    const bytes = Buffer.concat([Buffer.from(`{"schemaVersion":2,"mediaType":"${MediaType.OciManifest}","annotations":{"a":"`), Buffer.from([0xff]), Buffer.from('"}}')]);
    const { client } = registry({ [path('1.0')]: { headers: { 'content-type': MediaType.OciManifest }, body: bytes } });

    const error = await rejection(client.getManifest(ref('1.0')));

    expect(error.message).toBe('quay.io/acme/app:1.0: quay.io answered with a manifest that is not valid JSON');
    expect(error.cause).toBeInstanceOf(TypeError);
  });

  it('reports a registry that fails to serve the manifest, saying what it failed to serve', async () => {
    const { client } = registry({ [path('1.0')]: { status: 500 } });

    const error = await rejection(client.getManifest(ref('1.0')));

    expect(error.message).toBe('quay.io/acme/app:1.0: quay.io failed to serve the manifest (HTTP 500). The registry is having problems; retry later');
  });

  it('reports a registry that refuses with the error of its answer', async () => {
    const { client } = registry({ [path('1.0')]: { status: 401, body: '{"errors":[{"code":"UNAUTHORIZED","message":"no"}]}' } });

    const error = await rejection(client.getManifest(ref('1.0')));

    expect(error).toBeInstanceOf(RegistryUnauthorizedError);
    expect(error.message).toContain('quay.io refused access to acme/app (HTTP 401; registry says "UNAUTHORIZED: no")');
  });
});

describe('Method: RegistryClient.headManifest (answers not to trust)', () => {
  const { manifest } = image(AMD64);

  it('refuses a digest header that is not a digest', async () => {
    const { client } = registry({ [path('1.0')]: served(manifest, { 'docker-content-digest': 'latest' }) });

    const error = await rejection(client.headManifest(ref('1.0')));

    expect(error).toBeInstanceOf(RegistryProtocolError);
    expect(error.message).toBe('quay.io/acme/app:1.0: quay.io sent an invalid Docker-Content-Digest header');
  });

  it('refuses another digest than the one asked for', async () => {
    const other = `sha256:${'b'.repeat(64)}`;
    const { client } = registry({ [path(manifest.digest)]: served(manifest, { 'docker-content-digest': other }) });

    const error = await rejection(client.headManifest(ref(manifest.digest)));

    expect(error).toBeInstanceOf(RegistryProtocolError);
    expect(error.message).toBe(`quay.io/acme/app@${manifest.digest}: quay.io reported digest ${other} for a request by digest ${manifest.digest}`);
  });

  it('reads the body when the HEAD answer has a generic Content-Type, and takes the type the body declares', async () => {
    const { client, asked } = registry({ [path('1.0')]: served(manifest, { 'content-type': 'application/octet-stream' }) });

    expect(await client.headManifest(ref('1.0'))).toEqual({ digest: manifest.digest, mediaType: MediaType.OciManifest });
    expect(asked).toEqual([`HEAD ${path('1.0')}`, `GET ${path('1.0')}`]);
  });

  it('trusts a HEAD with a manifest Content-Type and a digest, without reading the body', async () => {
    const { client, asked } = registry({ [path('1.0')]: served(manifest, { 'content-type': `${MediaType.OciManifest}; charset=utf-8` }) });

    expect(await client.headManifest(ref('1.0'))).toEqual({ digest: manifest.digest, mediaType: MediaType.OciManifest });
    expect(asked).toEqual([`HEAD ${path('1.0')}`]);
  });

  it('reports a failed HEAD as it is, without reading the manifest instead', async () => {
    const { client, asked } = registry({ [path('1.0')]: (method) => (method === 'HEAD' ? { status: 500 } : served(manifest)) });

    const error = await rejection(client.headManifest(ref('1.0')));

    expect(error.message).toBe('quay.io/acme/app:1.0: quay.io failed to serve the manifest (HTTP 500). The registry is having problems; retry later');
    expect(asked).toEqual([`HEAD ${path('1.0')}`]);
  });

  it('reports a registry that fails the HEAD with the error of its answer', async () => {
    const { client } = registry({ [path('1.0')]: { status: 403 } });

    const error = await rejection(client.headManifest(ref('1.0')));

    expect(error).toBeInstanceOf(RegistryUnauthorizedError);
    expect(error.message).toContain('(HTTP 403)');
  });
});

describe('Method: RegistryClient.resolvePlatform (answers not to trust)', () => {
  it('refuses an index whose entry for the platform is not an image manifest', async () => {
    const nested = index([{ manifest: image(AMD64).manifest, platform: AMD64 }]);
    const top = index([{ manifest: nested, platform: AMD64 }]);
    const { client, asked } = registry({ [path('1.0')]: served(top) });

    const error = await rejection(client.resolvePlatform(ref('1.0'), 'x86_64'));

    expect(error).toBeInstanceOf(RegistryProtocolError);
    expect(error.message).toBe(`quay.io/acme/app:1.0: the index entry for linux/amd64 has media type "${MediaType.OciIndex}", not a single-platform image manifest`);
    expect(asked).toHaveLength(1);
  });

  it('refuses an index entry of an unusable shape, naming it', async () => {
    const top = content(MediaType.OciIndex, { schemaVersion: 2, mediaType: MediaType.OciIndex, manifests: [{ mediaType: MediaType.OciManifest, size: 1 }] });
    const { client } = registry({ [path('1.0')]: served(top) });

    const error = await rejection(client.resolvePlatform(ref('1.0'), 'x86_64'));

    expect(error.message).toBe('quay.io/acme/app:1.0: quay.io sent an unusable manifest: index entry 1 has no valid "digest"');
  });

  it('refuses a config that is not JSON, or names no platform', async () => {
    for (const [configBytes, reason] of [
      [Buffer.from('not json'), 'is not valid JSON'],
      [Buffer.from('{"rootfs":{}}'), ''],
    ] as const) {
      const { config, client } = configRegistry(configBytes);
      const error = await rejection(client.resolvePlatform(ref('1.0'), 'x86_64'));
      expect(error).toBeInstanceOf(RegistryProtocolError);
      expect(error.message).toBe(
        reason === ''
          ? 'quay.io/acme/app:1.0: quay.io sent an unusable manifest: the image config has no string "os" and "architecture"'
          : `quay.io/acme/app:1.0: the image config ${config.digest} is not valid JSON`,
      );
    }
  });

  it('cuts the media type of an index entry that is not an image to 100 characters', async () => {
    const long = `application/vnd.example.${'x'.repeat(200)}`;
    const entry = { ...image(AMD64).manifest, mediaType: long };
    const { client } = registry({ [path('1.0')]: served(index([{ manifest: entry, platform: AMD64 }])) });

    const error = await rejection(client.resolvePlatform(ref('1.0'), 'x86_64'));

    expect(error.message).toBe(`quay.io/acme/app:1.0: the index entry for linux/amd64 has media type "${long.slice(0, 100)}", not a single-platform image manifest`);
  });

  it("refuses a config with a byte that is not UTF-8 inside a JSON string, keeping the decoder's complaint as the cause", async () => {
    const configBytes = Buffer.concat([Buffer.from('{"os":"linux","architecture":"amd64","author":"'), Buffer.from([0xff]), Buffer.from('"}')]);
    const { config, client } = configRegistry(configBytes);

    const error = await rejection(client.resolvePlatform(ref('1.0'), 'x86_64'));

    expect(error.message).toBe(`quay.io/acme/app:1.0: the image config ${config.digest} is not valid JSON`);
    expect(error.cause).toBeInstanceOf(TypeError);
  });

  it('refuses a manifest whose config is missing from the registry: the image is incomplete', async () => {
    const { manifest, config } = image(AMD64);
    const { client } = registry({ [path('1.0')]: served(manifest) });

    const error = await rejection(client.resolvePlatform(ref('1.0'), 'x86_64'));

    expect(error).toBeInstanceOf(RegistryProtocolError);
    expect(error).not.toBeInstanceOf(ManifestNotFoundError);
    expect(error.message).toBe(`quay.io/acme/app:1.0: the manifest references blob ${config.digest}, which quay.io does not have (the image is incomplete) (HTTP 404)`);
  });

  it('refuses a config that is not what its digest says, and reports a config the registry fails to serve', async () => {
    const { manifest, config } = image(AMD64);
    const wrong = registry({ [path('1.0')]: served(manifest), [blobPath(config.digest)]: { body: Buffer.from('{"os":"linux","architecture":"amd64"}') } });
    const mismatch = await rejection(wrong.client.resolvePlatform(ref('1.0'), 'x86_64'));
    expect(mismatch.message).toMatch(new RegExp(`^quay\\.io/acme/app:1\\.0: blob ${config.digest} from quay\\.io does not match its digest: .+; refusing to trust it$`));

    const failing = registry({ [path('1.0')]: served(manifest), [blobPath(config.digest)]: { status: 500 } });
    const failed = await rejection(failing.client.resolvePlatform(ref('1.0'), 'x86_64'));
    expect(failed).toBeInstanceOf(RegistryError);
    expect(failed.message).toContain(`quay.io failed to serve blob ${config.digest} (HTTP 500)`);
  });

  it('takes a single image of the architecture, variant v8 for arm64 included', async () => {
    const { manifest, config } = image(ARM64_V8);
    const { client } = registry({ [path('1.0')]: served(manifest), [blobPath(config.digest)]: { body: config.bytes } });

    expect(await client.resolvePlatform(ref('1.0'), 'arm64')).toEqual({
      digest: manifest.digest,
      mediaType: MediaType.OciManifest,
      platform: 'linux/arm64',
      available: ['linux/arm64/v8'],
    });
    await expect(client.resolvePlatform(ref('1.0'), 'x86_64')).rejects.toThrow(PlatformNotFoundError);
  });
});

describe('Method: RegistryClient.readBlob', () => {
  it('returns a blob whole, checked against its digest, within the size it was given', async () => {
    const { config } = image(AMD64);
    const { client } = registry({ [blobPath(config.digest)]: { body: config.bytes } });

    expect(Buffer.from(await client.readBlob(ref('1.0'), config.digest, 1024)).equals(config.bytes)).toBe(true);
    const error = await rejection(client.readBlob(ref('1.0'), config.digest, config.bytes.length - 1));
    expect(error).toBeInstanceOf(RegistryProtocolError);
    expect(error.message).toContain(`larger than the limit of ${config.bytes.length - 1} bytes`);
  });
});

describe('Method: RegistryClient.resolvePublished', () => {
  it('names the image when the manifest is of an unusable shape', async () => {
    const artifact = content(MediaType.OciManifest, {
      schemaVersion: 2,
      mediaType: MediaType.OciManifest,
      config: { mediaType: 'application/vnd.example.sbom', digest: `sha256:${'c'.repeat(64)}`, size: 2 },
      layers: [],
    });
    const { client } = registry({ [path('1.0')]: served(artifact) });

    const error = await rejection(client.resolvePublished(ref('1.0')));

    expect(error).toBeInstanceOf(RegistryProtocolError);
    expect(error.message).toMatch(/^quay\.io\/acme\/app:1\.0: quay\.io sent an unusable manifest: the manifest's config has media type "application\/vnd\.example\.sbom"/);
    // The log prints the cause: the shape check's own complaint, by its name.
    expect((error.cause as Error).name).toBe('ManifestShapeError');
  });
});
