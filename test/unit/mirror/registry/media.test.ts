// The shape checks a registry's documents pass before anything is trusted (media.ts): which media type a manifest is
// read as (its Content-Type and its own mediaType must agree), and what a descriptor, an index, a manifest's config
// and an image config must hold. Each refusal names what is wrong, in words the copy's failure passes on.
import { describe, expect, it } from 'vitest';
import { ManifestShapeError } from '../../../../src/mirror/registry/errors.js';
import {
  bareContentType,
  manifestMediaType,
  parseDescriptor,
  parseImageConfigPlatform,
  parseImageManifestConfig,
  parseIndex,
} from '../../../../src/mirror/registry/media.js';
import { MediaType } from '../../../support/media-types.js';

const DIGEST = `sha256:${'a'.repeat(64)}`;
const descriptor = (overrides: Record<string, unknown> = {}) => ({ mediaType: MediaType.OciManifest, digest: DIGEST, size: 10, ...overrides });

function refusal(check: () => unknown): string {
  try {
    check();
  } catch (error) {
    expect(error).toBeInstanceOf(ManifestShapeError);
    return (error as Error).message;
  }
  throw new Error('expected a ManifestShapeError');
}

describe('Function: bareContentType', () => {
  it('drops parameters and case, and reads a missing header as empty', () => {
    expect(bareContentType(' Application/VND.oci.image.manifest.v1+json ; charset=utf-8')).toBe(MediaType.OciManifest);
    expect(bareContentType(null)).toBe('');
  });
});

describe('Function: manifestMediaType', () => {
  const manifest = (mediaType?: string) => ({ schemaVersion: 2, ...(mediaType !== undefined ? { mediaType } : {}) });

  it.each([MediaType.OciManifest, MediaType.OciIndex, MediaType.DockerManifest, MediaType.DockerManifestList])(
    'reads %s from the Content-Type, with or without the same mediaType in the body',
    (type) => {
      expect(manifestMediaType(`${type}; charset=utf-8`, manifest())).toBe(type);
      expect(manifestMediaType(type, manifest(type))).toBe(type);
    },
  );

  it.each([null, 'application/json', 'application/octet-stream', 'text/plain; charset=utf-8'])(
    'with the generic Content-Type %j, reads the type the body declares',
    (header) => {
      expect(manifestMediaType(header, manifest(MediaType.DockerManifestList))).toBe(MediaType.DockerManifestList);
    },
  );

  it('refuses a body whose mediaType contradicts the Content-Type', () => {
    expect(refusal(() => manifestMediaType(MediaType.OciManifest, manifest(MediaType.OciIndex)))).toBe(
      `Content-Type is "${MediaType.OciManifest}" but the manifest declares "${MediaType.OciIndex}"`,
    );
  });

  it('refuses a generic Content-Type when the body declares no manifest type, or none at all', () => {
    expect(refusal(() => manifestMediaType('application/json', manifest('application/vnd.example+json')))).toBe(
      `the registry answered with Content-Type "application/json", which is not one of ${MediaType.OciManifest}, ${MediaType.OciIndex}, ` +
        `${MediaType.DockerManifest}, ${MediaType.DockerManifestList}`,
    );
    expect(refusal(() => manifestMediaType(null, manifest()))).toMatch(/^the registry answered with no Content-Type, which is not one of /);
  });

  it('refuses a specific Content-Type that is not a manifest, whatever the body declares', () => {
    expect(refusal(() => manifestMediaType('text/html', manifest(MediaType.OciManifest)))).toMatch(/^the registry answered with Content-Type "text\/html", which/);
  });

  it('refuses a Docker schema 1 manifest, saying so', () => {
    expect(refusal(() => manifestMediaType('application/vnd.docker.distribution.manifest.v1+prettyjws', manifest()))).toBe(
      'the registry answered with a Docker schema 1 manifest ("application/vnd.docker.distribution.manifest.v1+prettyjws"), which is not supported; ' +
        're-push the image with a current tool',
    );
  });

  it('refuses anything but a JSON object', () => {
    for (const json of [null, [], 'manifest', 2]) expect(refusal(() => manifestMediaType(MediaType.OciManifest, json))).toBe('the manifest is not a JSON object');
  });

  it('reads the type from the Content-Type when the body has a mediaType that is not a string', () => {
    expect(manifestMediaType(MediaType.OciManifest, { schemaVersion: 2, mediaType: 1 })).toBe(MediaType.OciManifest);
    expect(manifestMediaType(MediaType.OciIndex, { schemaVersion: 2, mediaType: null })).toBe(MediaType.OciIndex);
  });

  it('cuts what it quotes from the registry to 100 characters', () => {
    const long = `application/${'x'.repeat(200)}`;
    const schema1 = `application/vnd.docker.distribution.manifest.v1+${'x'.repeat(200)}`;
    expect(refusal(() => manifestMediaType(schema1, manifest()))).toContain(`("${schema1.slice(0, 100)}")`);
    expect(refusal(() => manifestMediaType(long, manifest()))).toContain(`"${long.slice(0, 100)}"`);
    expect(refusal(() => manifestMediaType(MediaType.OciManifest, manifest(long)))).toContain(`declares "${long.slice(0, 100)}"`);
  });
});

describe('Function: parseDescriptor', () => {
  it('keeps media type, digest, size, platform (with a variant when it has one) and string annotations', () => {
    expect(parseDescriptor(descriptor({ platform: { os: 'linux', architecture: 'arm64', variant: 'v8' }, annotations: { a: 'b', n: 1 }, urls: ['x'] }), 'entry')).toEqual({
      mediaType: MediaType.OciManifest,
      digest: DIGEST,
      size: 10,
      platform: { os: 'linux', architecture: 'arm64', variant: 'v8' },
      annotations: { a: 'b' },
    });
    expect(parseDescriptor(descriptor({ size: 0, platform: { os: 'linux', architecture: 'amd64', variant: '' } }), 'entry')).toEqual({
      mediaType: MediaType.OciManifest,
      digest: DIGEST,
      size: 0,
      platform: { os: 'linux', architecture: 'amd64' },
    });
    expect(parseDescriptor(descriptor({ annotations: ['x'] }), 'entry')).toEqual(descriptor());
    // A variant that is not a string is no variant: linux/amd64 stays linux/amd64, which x86_64 functions can run.
    expect(parseDescriptor(descriptor({ platform: { os: 'linux', architecture: 'amd64', variant: 1 } }), 'entry').platform).toStrictEqual({
      os: 'linux',
      architecture: 'amd64',
    });
  });

  it.each([
    ['not an object', ['x'], 'layer 2 is not an object'],
    ['without a mediaType', descriptor({ mediaType: 7 }), 'layer 2 has no "mediaType"'],
    ['with an invalid digest', descriptor({ digest: 'latest' }), 'layer 2 has no valid "digest"'],
    ['with a size that is not a number', descriptor({ size: '10' }), 'layer 2 has no valid "size"'],
    ['with a negative size', descriptor({ size: -1 }), 'layer 2 has no valid "size"'],
    ['with a fractional size', descriptor({ size: 1.5 }), 'layer 2 has no valid "size"'],
    ['with an unsafe size', descriptor({ size: 2 ** 53 }), 'layer 2 has no valid "size"'],
    ['with a platform that is not an object', descriptor({ platform: 'linux/amd64' }), 'layer 2 has a platform without string "os" and "architecture"'],
    ['with a platform without os', descriptor({ platform: { architecture: 'amd64' } }), 'layer 2 has a platform without string "os" and "architecture"'],
    ['with a platform without architecture', descriptor({ platform: { os: 'linux' } }), 'layer 2 has a platform without string "os" and "architecture"'],
  ])('refuses one %s', (_case, value, message) => {
    expect(refusal(() => parseDescriptor(value, 'layer 2'))).toBe(message);
  });
});

describe('Function: parseIndex', () => {
  it('reads every entry, numbering a bad one from 1', () => {
    expect(parseIndex({ manifests: [descriptor(), descriptor({ size: 3 })] }).map((entry) => entry.size)).toEqual([10, 3]);
    expect(refusal(() => parseIndex({ manifests: [descriptor(), descriptor({ size: -3 })] }))).toBe('index entry 2 has no valid "size"');
  });

  it('refuses a document without a manifests array', () => {
    for (const json of [null, [], { manifests: {} }, {}]) expect(refusal(() => parseIndex(json))).toBe('the index has no "manifests" array');
  });
});

describe('Function: parseImageManifestConfig', () => {
  it.each([MediaType.OciConfig, MediaType.DockerConfig])('reads a config of type %s', (type) => {
    expect(parseImageManifestConfig({ config: descriptor({ mediaType: type }) })).toEqual(descriptor({ mediaType: type }));
  });

  it('refuses an artifact (another config type), a missing config and a document that is not an object', () => {
    expect(refusal(() => parseImageManifestConfig({ config: descriptor({ mediaType: 'application/vnd.example.sbom' }) }))).toBe(
      `the manifest's config has media type "application/vnd.example.sbom", so it is not a container image (an OCI artifact?)`,
    );
    const long = `application/vnd.example.${'x'.repeat(200)}`;
    expect(refusal(() => parseImageManifestConfig({ config: descriptor({ mediaType: long }) }))).toBe(
      `the manifest's config has media type "${long.slice(0, 100)}", so it is not a container image (an OCI artifact?)`,
    );
    expect(refusal(() => parseImageManifestConfig({}))).toBe('the manifest\'s "config" is not an object');
    expect(refusal(() => parseImageManifestConfig([]))).toBe('the manifest is not a JSON object');
  });
});

describe('Function: parseImageConfigPlatform', () => {
  it('reads os, architecture and a non-empty variant', () => {
    expect(parseImageConfigPlatform({ os: 'linux', architecture: 'arm64', variant: 'v8', rootfs: {} })).toEqual({ os: 'linux', architecture: 'arm64', variant: 'v8' });
    expect(parseImageConfigPlatform({ os: 'linux', architecture: 'amd64', variant: '' })).toEqual({ os: 'linux', architecture: 'amd64' });
    expect(parseImageConfigPlatform({ os: 'linux', architecture: 'amd64', variant: 8 })).toEqual({ os: 'linux', architecture: 'amd64' });
  });

  it('refuses a config without string os and architecture', () => {
    for (const json of [null, { os: 'linux' }, { architecture: 'amd64' }, { os: 1, architecture: 'amd64' }]) {
      expect(refusal(() => parseImageConfigPlatform(json))).toBe('the image config has no string "os" and "architecture"');
    }
  });
});
