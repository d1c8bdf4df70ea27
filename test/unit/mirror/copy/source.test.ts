// What the function engine (CopyEngine function) refuses to copy from a source, as CloudFormation sees it: a FAILED
// answer naming the image and what is wrong with it, and nothing pushed to the target. Hand-made source images in the
// in-memory quay.io (copy-scenario.ts): indexes nested too deep or too large, an entry that is not what the index
// says, a config that names another platform or is unreadable, a manifest or index of an unusable shape, an empty
// index. Their well-formed neighbours are copied, so each refusal is the rule, not the fixture.
import { describe, expect, it } from 'vitest';
import { MediaType } from '../../../support/media-types.js';
import { ALL_PLATFORMS, createAnswer, loggedFailures, publishSource, SOURCE_REPOSITORY, SOURCE_TAG, useCopyScenario } from '../fixtures/copy-scenario.js';
import { baseProperties, SOURCE } from '../fixtures/scenario.js';
import { AMD64, ARM64_V8, content, image, index, sha256 } from '../registry/fake-registry.js';

describe('CopyEngine function: sources it refuses to copy', () => {
  const { s, copy } = useCopyScenario();

  /** Refused with `reason`; the log keeps the failure with its causes, named in `causes` (outermost first) when given. */
  async function refused(properties: Readonly<Record<string, string>>, reason: string, causes?: readonly string[]): Promise<void> {
    const answer = await createAnswer(s, properties);
    expect(answer.Status).toBe('FAILED');
    expect(answer.Reason).toContain(reason);
    expect(copy.ecr.pushedManifests).toEqual([]);
    if (causes !== undefined) expect(loggedFailures(s.harness).at(-1)).toEqual(causes);
  }

  const amd = image(AMD64);
  const arm = image(ARM64_V8);

  describe('Platforms all', () => {
    it('copies an index nested two deep, children before their parents', async () => {
      const inner = index([{ manifest: amd.manifest, platform: AMD64 }]);
      const top = index([{ manifest: inner, platform: AMD64 }]);
      publishSource(copy, top, [inner, amd.manifest], [amd.config]);

      const answer = await createAnswer(s, ALL_PLATFORMS);

      expect(answer.Status).toBe('SUCCESS');
      expect(copy.ecr.pushedManifests.map((pushed) => pushed.reference)).toEqual([amd.manifest.digest, inner.digest, `${SOURCE_TAG}-all`]);
    });

    it('refuses an index nested three deep', async () => {
      const innermost = index([{ manifest: amd.manifest, platform: AMD64 }]);
      const inner = index([{ manifest: innermost, platform: AMD64 }]);
      publishSource(copy, index([{ manifest: inner, platform: AMD64 }]), [inner, innermost, amd.manifest], [amd.config]);

      await refused(
        ALL_PLATFORMS,
        `Could not read ${SOURCE} (all platforms) to copy it: quay.io/${SOURCE_REPOSITORY}@${innermost.digest}: the image nests indexes more than two deep`,
        ['CopyError', 'RegistryProtocolError'],
      );
    });

    it('copies an index of 255 manifests, and refuses one of 256 (each manifest read is one of at most 256)', async () => {
      const entries = (count: number) => Array.from({ length: count }, () => ({ manifest: amd.manifest, platform: AMD64 }));
      publishSource(copy, index(entries(255)), [amd.manifest], [amd.config]);
      expect((await createAnswer(s, ALL_PLATFORMS)).Status).toBe('SUCCESS');

      copy.ecr.pushedManifests.length = 0;
      const large = index(entries(256));
      publishSource(copy, large, [amd.manifest], [amd.config]);
      await refused(ALL_PLATFORMS, `quay.io/${SOURCE_REPOSITORY}@${amd.manifest.digest}: the image has more than 256 manifests`);
    });

    it('refuses an index without any manifest or blob to copy', async () => {
      publishSource(copy, index([]));

      await refused(ALL_PLATFORMS, `${SOURCE} (all platforms) names no manifests or blobs to copy`);
    });

    it('refuses an index of an unusable shape, read when the source could not be resolved first', async () => {
      const broken = content(MediaType.OciIndex, { schemaVersion: 2, mediaType: MediaType.OciIndex, manifests: [{ mediaType: MediaType.OciManifest, size: 3 }] });
      publishSource(copy, broken);

      await refused(ALL_PLATFORMS, `quay.io/${SOURCE_REPOSITORY}@${broken.digest}: unusable index: index entry 1 has no valid "digest"`, [
        'CopyError',
        'RegistryProtocolError',
        'ManifestShapeError',
      ]);
    });

    it('refuses a child manifest with a layer of an unusable shape', async () => {
      const child = content(MediaType.OciManifest, {
        schemaVersion: 2,
        mediaType: MediaType.OciManifest,
        config: { mediaType: MediaType.OciConfig, digest: amd.config.digest, size: amd.config.bytes.length },
        layers: [{ mediaType: MediaType.OciLayerGzip, digest: 'not-a-digest', size: 1 }],
      });
      publishSource(copy, index([{ manifest: child, platform: AMD64 }]), [child], [amd.config]);

      await refused(ALL_PLATFORMS, `quay.io/${SOURCE_REPOSITORY}@${child.digest}: unusable manifest: layer 1 has no valid "digest"`, [
        'CopyError',
        'RegistryProtocolError',
        'ManifestShapeError',
      ]);
    });
    it('refuses a child manifest without a config', async () => {
      const child = content(MediaType.OciManifest, { schemaVersion: 2, mediaType: MediaType.OciManifest, layers: [] });
      publishSource(copy, index([{ manifest: child, platform: AMD64 }]), [child]);

      await refused(ALL_PLATFORMS, `quay.io/${SOURCE_REPOSITORY}@${child.digest}: unusable manifest: the manifest's "config" is not an object`);
    });
  });

  describe('one platform', () => {
    it("refuses an image whose config names another platform than the index's entry", async () => {
      const lying = index([{ manifest: arm.manifest, platform: AMD64 }]);
      publishSource(copy, lying, [arm.manifest], [arm.config]);

      await refused(
        baseProperties,
        `${SOURCE}@${arm.manifest.digest} is a linux/arm64/v8 image, not linux/amd64. Use an image for linux/amd64, or change the function's Architectures`,
      );
    });

    it('refuses an entry that is an index, not the image manifest its index entry says', async () => {
      const inner = index([{ manifest: amd.manifest, platform: AMD64 }]);
      const top = content(MediaType.OciIndex, {
        schemaVersion: 2,
        mediaType: MediaType.OciIndex,
        manifests: [{ mediaType: MediaType.OciManifest, digest: inner.digest, size: inner.bytes.length, platform: AMD64 }],
      });
      publishSource(copy, top, [inner, amd.manifest], [amd.config]);

      await refused(baseProperties, `${SOURCE}@${inner.digest} is an image index, not the amd64 image manifest Lambda runs`);
    });

    /** Publishes an amd64 index entry whose manifest's config holds `bytes`; resolves to the config's digest. */
    function publishWithConfig(bytes: Buffer): string {
      const config = { mediaType: MediaType.OciConfig, bytes, digest: sha256(bytes) };
      const manifest = content(MediaType.OciManifest, {
        schemaVersion: 2,
        mediaType: MediaType.OciManifest,
        config: { mediaType: MediaType.OciConfig, digest: config.digest, size: config.bytes.length },
        layers: [],
      });
      publishSource(copy, index([{ manifest, platform: AMD64 }]), [manifest], [config]);
      return config.digest;
    }

    it('refuses a config that is not JSON', async () => {
      const config = publishWithConfig(Buffer.from('not json'));

      await refused(baseProperties, `quay.io/${SOURCE_REPOSITORY}@${config}: the image config is unusable: `, ['CopyError', 'RegistryProtocolError', 'SyntaxError']);
    });

    it('refuses a config that is not UTF-8, even where the bytes sit inside a JSON string', async () => {
      const config = publishWithConfig(Buffer.concat([Buffer.from('{"os":"linux","architecture":"amd64","author":"'), Buffer.from([0xff, 0xfe]), Buffer.from('"}')]));

      await refused(baseProperties, `quay.io/${SOURCE_REPOSITORY}@${config}: the image config is unusable: `, ['CopyError', 'RegistryProtocolError', 'TypeError']);
    });

    it('refuses a platform manifest without a config', async () => {
      const manifest = content(MediaType.OciManifest, { schemaVersion: 2, mediaType: MediaType.OciManifest, layers: [] });
      publishSource(copy, index([{ manifest, platform: AMD64 }]), [manifest]);

      await refused(baseProperties, `quay.io/${SOURCE_REPOSITORY}@${manifest.digest}: unusable manifest: the manifest's "config" is not an object`, [
        'CopyError',
        'RegistryProtocolError',
        'ManifestShapeError',
      ]);
    });
  });
});
