// What the function engine (CopyEngine function) reads from a source and copies, as it arrives in the target: the
// digest a copy's record names, whatever the source tag says now; every blob once, however many manifests name it;
// manifests without layers; all platforms of an image that is a single manifest; the platform's config read once.
// In-memory registries (copy-scenario.ts) on the virtual clock; hand-made source images (fake-registry.ts).
import { describe, expect, it } from 'vitest';
import { MediaType } from '../../../support/media-types.js';
import { ALL_PLATFORMS, createAnswer, publishSource, recordedCopy, SOURCE_REPOSITORY, SOURCE_TAG, useCopyScenario } from '../fixtures/copy-scenario.js';
import { baseProperties, onlyAnswer, SOURCE } from '../fixtures/scenario.js';
import { AMD64, ARM64_V8, type Content, content, image, index, sha256 } from '../registry/fake-registry.js';

describe('CopyEngine function: what is read and copied', () => {
  const { s, copy } = useCopyScenario();

  function uploaded(): string[] {
    return copy.ecr.uploaded.map((blob) => blob.digest).sort();
  }

  const amd = image(AMD64);
  const arm = image(ARM64_V8);

  const layerBytes = Buffer.from('a layer both platforms share');
  const layer: Content = { mediaType: MediaType.OciLayerGzip, bytes: layerBytes, digest: sha256(layerBytes) };

  /** Publishes an index of an amd64 and an arm64 manifest that both name `layer`, with the sizes given. */
  function publishSharingLayer(amdLayerSize: number, armLayerSize: number): void {
    const withLayer = (config: Content, size: number) =>
      content(MediaType.OciManifest, {
        schemaVersion: 2,
        mediaType: MediaType.OciManifest,
        config: { mediaType: config.mediaType, digest: config.digest, size: config.bytes.length },
        layers: [{ mediaType: layer.mediaType, digest: layer.digest, size }],
      });
    const [a, b] = [withLayer(amd.config, amdLayerSize), withLayer(arm.config, armLayerSize)];
    publishSource(
      copy,
      index([
        { manifest: a, platform: AMD64 },
        { manifest: b, platform: ARM64_V8 },
      ]),
      [a, b],
      [amd.config, arm.config, layer],
    );
  }

  it('copies each blob once, however many manifests name it', async () => {
    publishSharingLayer(layer.bytes.length, layer.bytes.length);

    const answer = await createAnswer(s, ALL_PLATFORMS);

    expect(answer.Status).toBe('SUCCESS');
    expect(uploaded()).toEqual([amd.config.digest, arm.config.digest, layer.digest].sort());
  });

  it('checks a blob its manifests give different sizes against the size the first gives: here a wrong one, so the copy fails naming it', async () => {
    publishSharingLayer(layer.bytes.length + 1, layer.bytes.length);

    const answer = await createAnswer(s, ALL_PLATFORMS);

    expect(answer.Status).toBe('FAILED');
    expect(answer.Reason).toContain(`Could not copy blob ${layer.digest} (0.0 MB) of ${SOURCE} (all platforms)`);
    expect(uploaded()).not.toContain(layer.digest);
  });

  it('names the source read that does not answer: the manifest read by its digest, or the tag the copy resolves itself', async () => {
    // Reading the source may take 20 s here: less than the transport's three tries of 15 s each.
    const harness = s.reconfigure({ timing: { sourceResolutionMaxMs: 20_000 } });
    const platform = copy.image.platforms['linux/amd64']!.digest;
    const handle = copy.quay.handle.bind(copy.quay);
    const silent = (manifest: (path: string) => boolean) => {
      copy.quay.handle = async (url, init) => (manifest(url.pathname) ? new Promise<Response>(() => undefined) : handle(url, init));
    };

    // The lifecycle resolved the tag; the copy reads the platform's manifest by that digest.
    silent((path) => path.endsWith(`/manifests/${platform}`));
    expect((await createAnswer(s, baseProperties, harness)).Reason).toContain('the registry quay.io did not answer within 20 s');

    // The lifecycle could not resolve the tag either (it leaves that to the copy).
    silent((path) => path.includes('/manifests/'));
    expect((await createAnswer(s, baseProperties, harness)).Reason).toContain('the registry quay.io did not answer within 20 s');
    expect(harness.logText()).toContain('the source registry did not answer in time; the copy will resolve the image');
  });

  it('copies a manifest without layers (an artifact) with its config', async () => {
    const artifact = content(MediaType.OciManifest, {
      schemaVersion: 2,
      mediaType: MediaType.OciManifest,
      config: { mediaType: amd.config.mediaType, digest: amd.config.digest, size: amd.config.bytes.length },
    });
    publishSource(copy, index([{ manifest: artifact, platform: AMD64 }]), [artifact], [amd.config]);

    const answer = await createAnswer(s, ALL_PLATFORMS);

    expect(answer.Status).toBe('SUCCESS');
    expect(uploaded()).toEqual([amd.config.digest]);
    expect(copy.ecr.pushedManifests.map((pushed) => pushed.reference)).toEqual([artifact.digest, `${SOURCE_TAG}-all`]);
  });

  it('copies all platforms of an image that is a single manifest, not an index', async () => {
    publishSource(copy, amd.manifest, [], [amd.config]);

    const answer = await createAnswer(s, ALL_PLATFORMS);

    expect(answer.Status).toBe('SUCCESS');
    expect(answer.Data!.ImageDigest).toBe(amd.manifest.digest);
    expect(copy.ecr.pushedManifests.map((pushed) => pushed.reference)).toEqual([`${SOURCE_TAG}-all`]);
    expect(uploaded()).toEqual([amd.config.digest]);
  });

  it('copies an index whose only child is an empty index: manifests, no blob', async () => {
    const empty = index([]);
    const top = content(MediaType.OciIndex, {
      schemaVersion: 2,
      mediaType: MediaType.OciIndex,
      manifests: [{ mediaType: MediaType.OciIndex, digest: empty.digest, size: empty.bytes.length }],
    });
    publishSource(copy, top, [empty]);

    const answer = await createAnswer(s, ALL_PLATFORMS);

    expect(answer.Status).toBe('SUCCESS');
    expect(copy.ecr.pushedManifests.map((pushed) => pushed.reference)).toEqual([empty.digest, `${SOURCE_TAG}-all`]);
    expect(uploaded()).toEqual([]);
  });

  it('reads the platform config once: it is uploaded from what was read and checked, not downloaded again', async () => {
    const config = (copy.image.platforms['linux/amd64']!.json as { config: { digest: string } }).config.digest;

    expect((await createAnswer(s, baseProperties)).Status).toBe('SUCCESS');

    expect(copy.registries.requests.filter((request) => request.host === 'quay.io' && request.path.endsWith(`/blobs/${config}`))).toHaveLength(1);
    expect(uploaded()).toContain(config);
  });

  it('resolves the source tag itself when the lifecycle could not, and copies what it resolved', async () => {
    // The source's first manifest reads fail (one exchange of three tries): the lifecycle leaves resolving to the copy.
    const handle = copy.quay.handle.bind(copy.quay);
    let failures = 3;
    copy.quay.handle = async (url, init) =>
      url.pathname.includes('/manifests/') && failures-- > 0 ? new Response('{"errors":[{"code":"UNAVAILABLE","message":"try later"}]}', { status: 503 }) : handle(url, init);

    for (const [properties, digest] of [
      [baseProperties, copy.image.platforms['linux/amd64']!.digest],
      [ALL_PLATFORMS, copy.image.digest],
    ] as const) {
      failures = 3;
      const answer = await createAnswer(s, properties);
      expect(answer.Status).toBe('SUCCESS');
      expect(answer.Data!.ImageDigest).toBe(digest);
    }
    expect(failures).toBeLessThan(0);
  });

  describe('a continuation copies the digest its record names, even once the source tag has gone', () => {
    async function continued(properties: Readonly<Record<string, string>>, expectedDigest: string) {
      const { url, continuation } = recordedCopy(s, properties, { deadline: s.harness.clock.now() + 600_000, expectedDigest, targetTagKind: 'source-tag' });
      copy.quay.repository(SOURCE_REPOSITORY).tags.delete(SOURCE_TAG);

      await s.harness.invoke(continuation);
      return onlyAnswer(s.server, url);
    }

    it('one platform', async () => {
      const digest = copy.image.platforms['linux/amd64']!.digest;
      const answer = await continued(baseProperties, digest);
      expect(answer.Status).toBe('SUCCESS');
      expect(answer.Data!.ImageDigest).toBe(digest);
    });

    it('all platforms', async () => {
      const answer = await continued(ALL_PLATFORMS, copy.image.digest);
      expect(answer.Status).toBe('SUCCESS');
      expect(answer.Data!.ImageDigest).toBe(copy.image.digest);
    });
  });
});
