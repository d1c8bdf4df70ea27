// RegistryClient reading manifests (getManifest, headManifest) and choosing a platform (resolvePlatform), against
// real HTTP: every byte crosses a socket (fake-registry.ts).
import { afterEach, describe, expect, it } from 'vitest';
import { ManifestNotFoundError, PlatformNotFoundError, RegistryProtocolError } from '../../../../src/mirror/registry/errors.js';
import { MediaType } from '../../../support/media-types.js';
import {
  AMD64,
  ARM64_V8,
  type Content,
  type LocalServer,
  S390X,
  attestationEntry,
  clientFor,
  fakeRegistry,
  image,
  index,
  ref,
  rejection,
  startServer,
  stopServers,
  tokenService,
} from './fake-registry.js';

afterEach(stopServers);

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
