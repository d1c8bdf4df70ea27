// The mirror function's registry client against the real reference registry (Debian docker-registry 2.8.2):
// one anonymous "quay.io" and one htpasswd-protected stand-in for private ECR, both reached through the
// REGISTRY_ENDPOINTS map exactly as the deployed function would be configured. Images are generated and
// pushed by test/support; every expected digest is the one pushImage reported.
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManifestNotFoundError, PlatformNotFoundError, RegistryUnauthorizedError } from '../../src/mirror/registry/errors.js';
import { RegistryClient, type RegistryClientOptions } from '../../src/mirror/registry/client.js';
import { parseEndpointMap } from '../../src/mirror/registry/endpoints.js';
import type { RegistryCredentials } from '../../src/mirror/registry/credentials.js';
import { parseImageReference } from '../../src/reference/index.js';
import { generateImage, pushImage, type PushedImage } from '../support/images.js';
import { startRegistry, type LocalRegistry } from '../support/registry.js';
import { haveTools, TOOLS } from '../support/tools.js';
import { MediaType } from '../support/media-types.js';

// Media types come from the test support (test/support/media-types.ts), never from the client under test.

const SOURCE_HOST = 'quay.io';
const TARGET_HOST = '123456789012.dkr.ecr.eu-west-1.amazonaws.com';
const TARGET_CREDENTIALS: RegistryCredentials = { username: 'AWS', password: 'integration-ecr-token-5c1d' };

function sha256(bytes: Uint8Array): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
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

describe.skipIf(!haveTools(TOOLS.registry, TOOLS.htpasswd))('Class: RegistryClient (real docker-registry)', () => {
  let source: LocalRegistry | undefined;
  let target: LocalRegistry | undefined;
  /** What pushImage reported, by name of the fixture. */
  const pushed: Record<string, PushedImage> = {};
  const askedFor: string[] = [];

  function client(credentials?: RegistryCredentials, options: Omit<RegistryClientOptions, 'endpoints' | 'credentials'> = {}): RegistryClient {
    // Through the same JSON the mirror function reads from REGISTRY_ENDPOINTS.
    const endpoints = parseEndpointMap(JSON.stringify({ [SOURCE_HOST]: source!.url, [TARGET_HOST]: target!.url }));
    return new RegistryClient({
      endpoints,
      credentials: async (host) => {
        askedFor.push(host);
        return host === TARGET_HOST ? credentials : undefined;
      },
      retryDelayMs: 50,
      ...options,
    });
  }

  beforeAll(async () => {
    [source, target] = await Promise.all([startRegistry({ name: 'quay' }), startRegistry({ name: 'ecr', htpasswd: { ...TARGET_CREDENTIALS } })]);
    const fixtures: Array<[string, LocalRegistry, string, string, Parameters<typeof generateImage>[0]]> = [
      ['ociIndex', source, 'sysdig/serverless-patcher', '6.3.0', { platforms: ['linux/amd64', 'linux/arm64/v8'], format: 'oci', attestation: true }],
      ['dockerList', source, 'acme/docker-multi', '1.0', { platforms: ['linux/arm64', 'linux/amd64'], format: 'docker', attestation: true }],
      ['ociAmd64', source, 'acme/amd64-only', '1.0', { platforms: ['linux/amd64'], format: 'oci' }],
      ['dockerArm64', source, 'acme/arm64-only', '1.0', { platforms: ['linux/arm64'], format: 'docker' }],
      ['private', target, 'sysdig-image-fix/quay.io/sysdig/serverless-patcher', '6.3.0', { platforms: ['linux/amd64', 'linux/arm64/v8'], format: 'oci', attestation: true }],
    ];
    for (const [name, registry, repository, tag, options] of fixtures) {
      pushed[name] = await pushImage(registry.url, repository, tag, generateImage({ ...options, layerBytes: 1024 }), registry.auth);
    }
  });

  afterAll(async () => {
    await Promise.all([source?.stop(), target?.stop()]);
  });

  describe('anonymous source registry', () => {
    const patcher = parseImageReference(`${SOURCE_HOST}/sysdig/serverless-patcher:6.3.0`);

    it('reads an OCI index with its exact bytes and digest', async () => {
      const manifest = await client().getManifest(patcher);

      expect(manifest.mediaType).toBe(MediaType.OciIndex);
      expect(manifest.digest).toBe(pushed.ociIndex!.digest);
      expect(sha256(manifest.bytes)).toBe(pushed.ociIndex!.digest);
    });

    it('pins arm64 and amd64 to exactly the pushed platform manifests, skipping the attestations', async () => {
      const registry = client();
      const arm = await registry.resolvePlatform(patcher, 'arm64');
      const amd = await registry.resolvePlatform(patcher, 'x86_64');

      expect(pushed.ociIndex!.attestations).toHaveLength(2);
      expect(arm).toEqual({
        digest: pushed.ociIndex!.platforms['linux/arm64']!.digest,
        mediaType: MediaType.OciManifest,
        platform: 'linux/arm64',
        indexDigest: pushed.ociIndex!.digest,
        available: ['linux/amd64', 'linux/arm64/v8'],
      });
      expect(amd.digest).toBe(pushed.ociIndex!.platforms['linux/amd64']!.digest);
      expect(amd.platform).toBe('linux/amd64');
      expect(amd.indexDigest).toBe(pushed.ociIndex!.digest);
    });

    it('reads a Docker manifest list as a list (never downgraded to one child) and pins both platforms', async () => {
      const ref = parseImageReference(`${SOURCE_HOST}/acme/docker-multi:1.0`);
      const registry = client();

      const manifest = await registry.getManifest(ref);
      const arm = await registry.resolvePlatform(ref, 'arm64');
      const amd = await registry.resolvePlatform(ref, 'x86_64');

      expect(manifest.mediaType).toBe(MediaType.DockerManifestList);
      expect(manifest.digest).toBe(pushed.dockerList!.digest);
      expect(arm).toMatchObject({ digest: pushed.dockerList!.platforms['linux/arm64']!.digest, mediaType: MediaType.DockerManifest });
      expect(amd).toMatchObject({ digest: pushed.dockerList!.platforms['linux/amd64']!.digest, mediaType: MediaType.DockerManifest });
      expect(arm.available).toEqual(['linux/arm64', 'linux/amd64']);
    });

    it('fetches a platform manifest by digest and verifies it', async () => {
      const digest = pushed.ociIndex!.platforms['linux/arm64']!.digest;

      const manifest = await client().getManifest(parseImageReference(`${SOURCE_HOST}/sysdig/serverless-patcher@${digest}`));

      expect(manifest.mediaType).toBe(MediaType.OciManifest);
      expect(sha256(manifest.bytes)).toBe(digest);
    });

    it('resolves a single-platform OCI image from its config blob', async () => {
      const result = await client().resolvePlatform(parseImageReference(`${SOURCE_HOST}/acme/amd64-only:1.0`), 'x86_64');

      expect(result).toEqual({ digest: pushed.ociAmd64!.digest, mediaType: MediaType.OciManifest, platform: 'linux/amd64', available: ['linux/amd64'] });
    });

    it('throws PlatformNotFoundError in the documented words for a single-platform image of the other architecture', async () => {
      const amdOnly = await rejection(client().resolvePlatform(parseImageReference(`${SOURCE_HOST}/acme/amd64-only:1.0`), 'arm64'));
      const armOnly = await rejection(client().resolvePlatform(parseImageReference(`${SOURCE_HOST}/acme/arm64-only:1.0`), 'x86_64'));

      expect(amdOnly).toBeInstanceOf(PlatformNotFoundError);
      expect((amdOnly as PlatformNotFoundError).reason).toBe('image has linux/amd64 only; function Architectures is arm64');
      expect(amdOnly.message).toBe('quay.io/acme/amd64-only:1.0: image has linux/amd64 only; function Architectures is arm64');
      expect(armOnly).toBeInstanceOf(PlatformNotFoundError);
      expect((armOnly as PlatformNotFoundError).reason).toBe('image has linux/arm64 only; function Architectures is x86_64');
    });

    it('resolvePublished (Platforms: all): the index or list digest as served, every entry, and a single image as it is', async () => {
      for (const [name, reference] of [
        ['ociIndex', patcher],
        ['dockerList', parseImageReference(`${SOURCE_HOST}/acme/docker-multi:1.0`)],
      ] as const) {
        const published = await client().resolvePublished(reference);
        expect(published.digest).toBe(pushed[name]!.digest);
        expect(published.mediaType).toBe(pushed[name]!.mediaType);
        const children = [...Object.values(pushed[name]!.platforms).map((child) => child.digest), ...pushed[name]!.attestations.map((a) => a.digest)];
        expect(published.entries.map((entry) => entry.digest).sort()).toEqual(children.sort());
        expect(published.attestations).toBe(2);
      }
      const single = await client().resolvePublished(parseImageReference(`${SOURCE_HOST}/acme/arm64-only:1.0`));
      expect(single).toEqual({ digest: pushed.dockerArm64!.digest, mediaType: MediaType.DockerManifest, entries: [], available: [], attestations: 0 });
    });

    it("throws ManifestNotFoundError carrying the registry's own message for a missing tag and a missing repository", async () => {
      const missingTag = await rejection(client().getManifest(parseImageReference(`${SOURCE_HOST}/sysdig/serverless-patcher:9.9.9`)));
      const missingRepo = await rejection(client().getManifest(parseImageReference(`${SOURCE_HOST}/nobody/nothing:1`)));

      expect(missingTag).toBeInstanceOf(ManifestNotFoundError);
      expect(missingTag).toMatchObject({ registry: SOURCE_HOST, repository: 'sysdig/serverless-patcher', reference: '9.9.9', status: 404 });
      expect((missingTag as ManifestNotFoundError).registryCode).toBe('MANIFEST_UNKNOWN');
      expect((missingTag as ManifestNotFoundError).registryMessage).toBe('manifest unknown');
      expect(missingTag.message).toContain('quay.io/sysdig/serverless-patcher:9.9.9');
      // docker-registry 2.8.2 answers MANIFEST_UNKNOWN for an unknown repository too (NAME_UNKNOWN only on tags/list).
      expect(missingRepo).toBeInstanceOf(ManifestNotFoundError);
      expect(missingRepo).toMatchObject({ repository: 'nobody/nothing', status: 404, registryCode: 'MANIFEST_UNKNOWN' });
      expect(missingRepo.message).toContain('quay.io/nobody/nothing:1');
    });
  });

  describe('htpasswd target registry (private ECR stand-in)', () => {
    const mirrored = parseImageReference(`${TARGET_HOST}/sysdig-image-fix/quay.io/sysdig/serverless-patcher:6.3.0`);

    it('answers the Basic challenge with the credentials the provider returns for the registry host', async () => {
      askedFor.length = 0;

      const arm = await client(TARGET_CREDENTIALS).resolvePlatform(mirrored, 'arm64');

      expect(arm.digest).toBe(pushed.private!.platforms['linux/arm64']!.digest);
      expect(askedFor).toEqual([TARGET_HOST]);
    });

    it('headManifest finds a present tag and digest, and returns undefined for absent ones', async () => {
      const registry = client(TARGET_CREDENTIALS);
      const childDigest = pushed.private!.platforms['linux/amd64']!.digest;
      const repository = `${TARGET_HOST}/sysdig-image-fix/quay.io/sysdig/serverless-patcher`;

      expect(await registry.headManifest(mirrored)).toEqual({ digest: pushed.private!.digest, mediaType: MediaType.OciIndex });
      expect(await registry.headManifest(parseImageReference(`${repository}@${childDigest}`))).toEqual({
        digest: childDigest,
        mediaType: MediaType.OciManifest,
      });
      expect(await registry.headManifest(parseImageReference(`${repository}:absent`))).toBeUndefined();
      expect(await registry.headManifest(parseImageReference(`${repository}@sha256:${'0'.repeat(64)}`))).toBeUndefined();
    });

    it('throws RegistryUnauthorizedError for a wrong password, never showing it', async () => {
      const wrong = { username: 'AWS', password: 'not-the-ecr-token-77' };

      const error = await rejection(client(wrong).getManifest(mirrored));

      expect(error).toBeInstanceOf(RegistryUnauthorizedError);
      expect(error).toMatchObject({ registry: TARGET_HOST, status: 401 });
      expect(error.message).toContain(`${TARGET_HOST}/sysdig-image-fix/quay.io/sysdig/serverless-patcher:6.3.0`);
      expect(error.message).toContain('were rejected');
      expect(error.message).not.toContain(wrong.password);
    });

    it('throws RegistryUnauthorizedError saying no credentials are configured when the provider has none', async () => {
      const error = await rejection(client(undefined).headManifest(mirrored));

      expect(error).toBeInstanceOf(RegistryUnauthorizedError);
      expect(error.message).toContain(`No credentials are configured for ${TARGET_HOST}`);
    });
  });
});
