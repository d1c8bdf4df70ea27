// The OCI image spec and Docker's v2 formats fix `schemaVersion: 2` in every manifest and index. A document with any
// other value is not one of the formats this client reads (a schema 1 manifest relabelled, a future format, a
// registry's garbage), whatever its Content-Type says: it is refused naming schemaVersion, never read by guesswork.
import { afterEach, describe, expect, it } from 'vitest';
import { RegistryProtocolError } from '../../../../src/mirror/registry/errors.js';
import { MediaType } from '../../../support/media-types.js';
import { AMD64, clientFor, content, fakeRegistry, image, index, ref, rejection, stopServers, type Content } from './fake-registry.js';

afterEach(stopServers);

/** `document` with its schemaVersion replaced (absent when `version` is undefined), as new content. */
function withSchemaVersion(document: Content, version: unknown): Content {
  const { schemaVersion: _dropped, ...rest } = JSON.parse(document.bytes.toString()) as Record<string, unknown>;
  return content(document.mediaType, version === undefined ? rest : { schemaVersion: version, ...rest });
}

const amd = image(AMD64);
const DOCUMENTS = [
  ['an OCI image manifest', amd.manifest],
  ['a Docker image manifest', image(AMD64, 'docker').manifest],
  ['an OCI index', index([{ manifest: amd.manifest, platform: AMD64 }])],
  ['a Docker manifest list', index([{ manifest: image(AMD64, 'docker').manifest, platform: AMD64 }], MediaType.DockerManifestList)],
] as const;
const WRONG_VERSIONS = [1, 3, '2', 2.5, null, undefined] as const;

describe('Class: RegistryClient (schemaVersion)', () => {
  it.each(DOCUMENTS)('reads %s with schemaVersion 2', async (_case, document) => {
    const registry = await fakeRegistry({ tags: { '1.0': document } });
    const result = await clientFor(registry).getManifest(ref('1.0'));
    expect(result.digest).toBe(document.digest);
    expect(result.mediaType).toBe(document.mediaType);
  });

  it.each(DOCUMENTS)('refuses %s with any other schemaVersion, naming it', async (_case, document) => {
    for (const version of WRONG_VERSIONS) {
      const changed = withSchemaVersion(document, version);
      const registry = await fakeRegistry({ tags: { '1.0': changed } });

      const error = await rejection(clientFor(registry).getManifest(ref('1.0')));

      expect(error, `schemaVersion ${JSON.stringify(version)}`).toBeInstanceOf(RegistryProtocolError);
      expect(error.message).toContain('quay.io/acme/app:1.0');
      expect(error.message).toContain(`schemaVersion ${JSON.stringify(version ?? null)}`);
      await stopServers();
    }
  });

  it('refuses an index with schemaVersion 1 when choosing a platform, before reading any child', async () => {
    const list = withSchemaVersion(index([{ manifest: amd.manifest, platform: AMD64 }]), 1);
    const registry = await fakeRegistry({ tags: { '1.0': list }, manifests: [amd.manifest], blobs: [amd.config] });

    const error = await rejection(clientFor(registry).resolvePlatform(ref('1.0'), 'x86_64'));

    expect(error).toBeInstanceOf(RegistryProtocolError);
    expect(error.message).toContain('schemaVersion 1');
    expect(registry.requests.map((request) => request.path)).toEqual(['/v2/acme/app/manifests/1.0']);
  });
});
