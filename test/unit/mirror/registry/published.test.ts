// RegistryClient.resolvePublished (registry/published.ts): what `Platforms: all` copies, read over real HTTP from the
// fake registry; digests are computed by the fixtures, independently of the client.
import { afterEach, describe, expect, it } from 'vitest';
import { ManifestNotFoundError, RegistryProtocolError } from '../../../../src/mirror/registry/errors.js';
import { MediaType } from '../../../support/media-types.js';
import { AMD64, ARM64_V8, attestationEntry, clientFor, content, fakeRegistry, image, index, ref, rejection, stopServers } from './fake-registry.js';

afterEach(stopServers);

describe('Method: RegistryClient.resolvePublished', () => {
  it.each([
    ['an OCI index', MediaType.OciIndex, 'oci'],
    ['a Docker manifest list', MediaType.DockerManifestList, 'docker'],
  ] as const)('%s: its own digest (of the bytes served), every entry and the attestation count', async (_label, mediaType, format) => {
    const amd = image(AMD64, format).manifest;
    const arm = image(ARM64_V8, format).manifest;
    const attestation = attestationEntry(amd);
    const list = index([{ manifest: amd, platform: AMD64 }, { manifest: arm, platform: ARM64_V8 }, attestation], mediaType);
    const registry = await fakeRegistry({ tags: { '3.0': list } });

    const published = await clientFor(registry).resolvePublished(ref('3.0'));

    expect(published.digest).toBe(list.digest);
    expect(published.mediaType).toBe(mediaType);
    expect(published.entries.map((entry) => entry.digest)).toEqual([amd.digest, arm.digest, attestation.manifest.digest]);
    expect(published.available).toEqual(['linux/amd64', 'linux/arm64/v8']);
    expect(published.attestations).toBe(1);
    // Only the index is read: its children are the build's to copy.
    expect(registry.requests.map((request) => request.path)).toEqual(['/v2/acme/app/manifests/3.0']);
  });

  it('a single image manifest: its digest, no entries, and its config is not downloaded', async () => {
    const { manifest } = image(AMD64);
    const registry = await fakeRegistry({ tags: { '1.0': manifest } });

    expect(await clientFor(registry).resolvePublished(ref('1.0'))).toEqual({
      digest: manifest.digest,
      mediaType: MediaType.OciManifest,
      entries: [],
      available: [],
      attestations: 0,
    });
    expect(registry.requests).toHaveLength(1);
  });

  it('an index pinned by digest is checked against that digest', async () => {
    const amd = image(AMD64).manifest;
    const list = index([{ manifest: amd, platform: AMD64 }]);
    const registry = await fakeRegistry({ tags: {}, manifests: [list] });
    expect((await clientFor(registry).resolvePublished(ref(`@${list.digest}`))).digest).toBe(list.digest);
  });

  it('refuses a single manifest that is not a container image (an OCI artifact)', async () => {
    const artifact = content(MediaType.OciManifest, {
      schemaVersion: 2,
      mediaType: MediaType.OciManifest,
      config: { mediaType: 'application/vnd.example.config+json', digest: `sha256:${'1'.repeat(64)}`, size: 2 },
      layers: [],
    });
    const registry = await fakeRegistry({ tags: { '1.0': artifact } });
    const error = await rejection(clientFor(registry).resolvePublished(ref('1.0')));
    expect(error).toBeInstanceOf(RegistryProtocolError);
    expect(error.message).toContain('not a container image');
  });

  it('a missing image is ManifestNotFoundError', async () => {
    const registry = await fakeRegistry({ tags: {} });
    expect(await rejection(clientFor(registry).resolvePublished(ref('9.9')))).toBeInstanceOf(ManifestNotFoundError);
  });
});
