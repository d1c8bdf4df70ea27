// The last steps of a function copy as CloudFormation sees them: ECR refusing a child manifest or the tagged one (in
// ECR's words, or, for a tag IMMUTABLE keeps, saying what to do about it), a manifest refused for a blob the target
// is still settling (another copy of the same image writing it at the same moment: pushed again), and a pushed
// manifest that does not read back as it was pushed. In-memory registries (copy-scenario.ts) whose ECR is scripted per test.
import { describe, expect, it } from 'vitest';
import { MirrorEnv } from '../../../../src/contract.js';
import { MediaType } from '../../../support/media-types.js';
import { ALL_PLATFORMS, createAnswer, loggedFailures, registryError, SOURCE_REPOSITORY, SOURCE_TAG, useCopyScenario } from '../fixtures/copy-scenario.js';
import { createEvent, type Harness } from '../fixtures/harness.js';
import { baseProperties, onlyAnswer, SOURCE, TARGET_REPOSITORY, TARGET_REPOSITORY_URI } from '../fixtures/scenario.js';
import { AMD64, content, image } from '../registry/fake-registry.js';
import { ECR_HOST } from '../fixtures/world.js';

describe('CopyEngine function: pushing the manifests', () => {
  const { s, copy } = useCopyScenario();

  /** ECR refuses a manifest PUT under `reference` with `answer`; every other step as before. */
  function refuseManifest(reference: (reference: string) => boolean, answer: () => Response): void {
    const rules = copy.ecr.refuse;
    copy.ecr.refuse = (step, repository, ref) => (step === 'manifest' && reference(ref) ? answer() : rules(step, repository, ref));
  }

  /** What docker-registry 2.8 answered in CI when another copy of the same image was writing the same blob. */
  const blobSettling = (): Response =>
    new Response(
      JSON.stringify({
        errors: [
          { code: 'DIGEST_INVALID', message: 'provided digest did not match uploaded content' },
          { code: 'MANIFEST_BLOB_UNKNOWN', message: 'blob unknown to registry', detail: 'sha256:0' },
        ],
      }),
      { status: 400, headers: { 'content-type': 'application/json' } },
    );

  /** ECR refuses the first `times` pushes under `reference` with `answer`; returns the count of pushes tried there. */
  function refuseFirst(reference: string, times: number, answer: () => Response): { tries: number } {
    const seen = { tries: 0 };
    const rules = copy.ecr.refuse;
    copy.ecr.refuse = (step, repository, ref) => {
      if (step !== 'manifest' || ref !== reference) return rules(step, repository, ref);
      seen.tries++;
      return seen.tries <= times ? answer() : rules(step, repository, ref);
    };
    return seen;
  }

  /** The target repository holds the arm64 manifest (not the amd64 one a copy pushes) under `tag`; returns it. */
  function arm64Under(tag: string) {
    const arm64 = copy.image.platforms['linux/arm64']!;
    const repository = copy.ecr.repository(TARGET_REPOSITORY);
    repository.manifests.set(arm64.digest, { bytes: arm64.bytes, mediaType: arm64.mediaType });
    repository.tags.set(tag, arm64.digest);
    return arm64;
  }

  /** A function configured for IMMUTABLE tags, and its IMMUTABLE target repository holding arm64 under `tag`. */
  function immutableTargetHoldingArm64(tag: string): { harness: Harness; arm64: ReturnType<typeof arm64Under> } {
    const harness = s.reconfigure({ env: { [MirrorEnv.CopyEngine]: 'function', [MirrorEnv.ImageTagMutability]: 'IMMUTABLE' } });
    s.world.addRepository(TARGET_REPOSITORY, { mutability: 'IMMUTABLE' });
    return { harness, arm64: arm64Under(tag) };
  }

  /** The source's first 3 manifest reads fail (one exchange of three tries): the lifecycle leaves resolving it to the copy. */
  function failFirstSourceManifestReads(): void {
    const handle = copy.quay.handle.bind(copy.quay);
    let failures = 3;
    copy.quay.handle = async (url, init) => (url.pathname.includes('/manifests/') && failures-- > 0 ? registryError(503, 'UNAVAILABLE', 'try later') : handle(url, init));
  }

  it('a child manifest ECR refuses fails the copy naming it, in ECR’s words, before the tag is pushed', async () => {
    const child = copy.image.children[1]!.digest;
    refuseManifest(
      (reference) => reference === child,
      () => registryError(400, 'MANIFEST_INVALID', 'manifest invalid'),
    );

    const answer = await createAnswer(s, ALL_PLATFORMS);

    expect(answer.Status).toBe('FAILED');
    expect(answer.Reason).toContain(`ECR refused manifest ${child} of ${SOURCE} (all platforms): `);
    expect(answer.Reason).toContain('(HTTP 400; registry says "MANIFEST_INVALID: manifest invalid")');
    expect(copy.ecr.pushedManifests.map((pushed) => pushed.reference)).toEqual([copy.image.children[0]!.digest]);
    // The log keeps ECR's refusal as the cause.
    expect(loggedFailures(s.harness)).toEqual([['CopyError', 'RegistryPushError']]);
  });

  it('a tag ECR refuses for another reason than a taken tag fails in ECR’s words, whether the tag can be read or holds another image', async () => {
    const target = `${TARGET_REPOSITORY_URI}:${SOURCE_TAG}`;
    refuseManifest(
      (reference) => reference === SOURCE_TAG,
      () => registryError(403, 'DENIED', 'not authorized to perform ecr:PutImage'),
    );

    const unread = await createAnswer(s, baseProperties);
    expect(unread.Status).toBe('FAILED');
    expect(unread.Reason).toContain(`ECR refused the manifest of ${SOURCE} under ${target}: `);
    expect(unread.Reason).toContain('registry says "DENIED: not authorized to perform ecr:PutImage"');
    expect(unread.Reason).toContain('ecr:PutImage, ecr:BatchCheckLayerAvailability');

    arm64Under(SOURCE_TAG);
    const other = await createAnswer(s, baseProperties);
    expect(other.Status).toBe('FAILED');
    expect(other.Reason).toContain(`ECR refused the manifest of ${SOURCE} under ${target}: `);
    expect(other.Reason).not.toContain('IMMUTABLE');
    expect(loggedFailures(s.harness)).toEqual([
      ['CopyError', 'RegistryPushError'],
      ['CopyError', 'RegistryPushError'],
    ]);
  });

  it('a tagged manifest refused twice for a blob the target does not know yet is pushed again, 1 s then 2 s later, and the copy succeeds', async () => {
    const pushes = refuseFirst(SOURCE_TAG, 2, blobSettling);
    const sleepsBefore = s.harness.clock.sleeps.length;

    const answer = await createAnswer(s, baseProperties);

    expect(answer.Status).toBe('SUCCESS');
    expect(pushes.tries).toBe(3);
    expect(s.harness.clock.sleeps.slice(sleepsBefore)).toEqual(expect.arrayContaining([1_000, 2_000]));
    expect(copy.ecr.repository(TARGET_REPOSITORY).tags.get(SOURCE_TAG)).toBe(copy.image.platforms['linux/amd64']!.digest);
    expect(s.harness.logText()).toMatch(
      new RegExp(`"message":"the target refused a manifest naming a blob it does not have yet; pushing it again".*"reference":"${SOURCE_TAG}","attempt":2`),
    );
  });

  it('a child manifest refused once for an unknown blob (ECR’s LayersNotFoundException) is pushed again; the whole image is published', async () => {
    const child = copy.image.children[0]!.digest;
    const pushes = refuseFirst(child, 1, () => registryError(400, 'LayersNotFoundException', 'Layers with digests [sha256:0] required for pushing image were not found'));

    const answer = await createAnswer(s, ALL_PLATFORMS);

    expect(answer.Status).toBe('SUCCESS');
    expect(pushes.tries).toBe(2);
    expect(copy.ecr.repository(TARGET_REPOSITORY).manifests.has(copy.image.digest)).toBe(true);
  });

  it('a manifest refused for an unknown blob on every push fails after 3 pushes, in the registry’s words', async () => {
    const pushes = refuseFirst(SOURCE_TAG, Number.POSITIVE_INFINITY, blobSettling);

    const answer = await createAnswer(s, baseProperties);

    expect(answer.Status).toBe('FAILED');
    expect(pushes.tries).toBe(3);
    expect(answer.Reason).toContain(`ECR refused the manifest of ${SOURCE} under ${TARGET_REPOSITORY_URI}:${SOURCE_TAG}: `);
    expect(answer.Reason).toContain('blob unknown to registry');
  });

  it('a manifest refused for any other reason is pushed once: no pause, no second push', async () => {
    const pushes = refuseFirst(SOURCE_TAG, Number.POSITIVE_INFINITY, () => registryError(400, 'MANIFEST_INVALID', 'manifest invalid'));
    const sleepsBefore = s.harness.clock.sleeps.length;

    const answer = await createAnswer(s, baseProperties);

    expect(answer.Status).toBe('FAILED');
    expect(answer.Reason).toContain('MANIFEST_INVALID: manifest invalid');
    expect(pushes.tries).toBe(1);
    expect(s.harness.clock.sleeps.slice(sleepsBefore)).not.toContain(1_000);
  });

  it('no pause is taken that would leave no time for the push after it: the refusal is the answer at once', async () => {
    const pushes = refuseFirst(SOURCE_TAG, Number.POSITIVE_INFINITY, blobSettling);
    const url = s.newUrl();
    // The answer reserve of a 20 s invocation is 2 s; the copy before the push takes no virtual time.
    await s.harness.invoke(createEvent(url, baseProperties), { budgetMs: 2_000 + 1_000 + 200 });
    const answer = onlyAnswer(s.server, url);

    expect(answer.Status).toBe('FAILED');
    expect(pushes.tries).toBe(1);
    expect(answer.Reason).toContain('blob unknown to registry');
  });

  it('IMMUTABLE: a content tag holding other content says something else was pushed under it, and what to do', async () => {
    const amd64 = copy.image.platforms['linux/amd64']!;
    const tag = `sha256-${amd64.digest.slice('sha256:'.length)}`;
    const { harness, arm64 } = immutableTargetHoldingArm64(tag);

    const answer = await createAnswer(s, baseProperties, harness);

    expect(answer.Reason).toBe(
      `Copying ${SOURCE} in the mirror function failed: the tag ${TARGET_REPOSITORY_URI}:${tag} already exists and holds ${arm64.digest}, not the ` +
        `linux/amd64 image of ${SOURCE} (${amd64.digest}), and the repository's tags are IMMUTABLE: something else was pushed under this tag. ` +
        "Delete that tag from the repository, or set the macro stack's ImageTagMutability to MUTABLE.",
    );
    expect(loggedFailures(harness)).toEqual([['CopyError', 'RegistryPushError']]);
  });

  it('IMMUTABLE: a source tag mirrored before that has moved since says so, and what to do (the source read by the copy itself)', async () => {
    const amd64 = copy.image.platforms['linux/amd64']!;
    const { harness, arm64 } = immutableTargetHoldingArm64(`${SOURCE_TAG}-amd64`);
    failFirstSourceManifestReads();

    const answer = await createAnswer(s, baseProperties, harness);

    expect(answer.Reason).toBe(
      `Copying ${SOURCE} in the mirror function failed: the tag ${TARGET_REPOSITORY_URI}:${SOURCE_TAG}-amd64 already exists and holds ${arm64.digest}, not ` +
        `the linux/amd64 image of ${SOURCE} (${amd64.digest}), and the repository's tags are IMMUTABLE: the source tag was mirrored before and has moved ` +
        "since. Delete that tag from the repository, or use a new source tag or pin the source by digest, or set the macro stack's ImageTagMutability to MUTABLE.",
    );
  });

  it('IMMUTABLE, all platforms: names the published image', async () => {
    const { harness, arm64 } = immutableTargetHoldingArm64(`sha256-${copy.image.digest.slice('sha256:'.length)}`);

    const answer = await createAnswer(s, ALL_PLATFORMS, harness);

    expect(answer.Reason).toContain(`holds ${arm64.digest}, not the published image of ${SOURCE} (${copy.image.digest}), and the repository's tags are IMMUTABLE`);
  });

  it('IMMUTABLE, all platforms: a source tag mirrored before that has moved since says so, and what to do (the source read by the copy itself)', async () => {
    const { harness, arm64 } = immutableTargetHoldingArm64(`${SOURCE_TAG}-all`);
    failFirstSourceManifestReads();

    const answer = await createAnswer(s, ALL_PLATFORMS, harness);

    expect(answer.Reason).toBe(
      `Copying ${SOURCE} in the mirror function failed: the tag ${TARGET_REPOSITORY_URI}:${SOURCE_TAG}-all already exists and holds ${arm64.digest}, not ` +
        `the published image of ${SOURCE} (${copy.image.digest}), and the repository's tags are IMMUTABLE: the source tag was mirrored before and has moved ` +
        "since. Delete that tag from the repository, or use a new source tag or pin the source by digest, or set the macro stack's ImageTagMutability to MUTABLE.",
    );
  });

  it('a tag is taken only when the registry says so: in its code or in its words, not in the tag’s name', async () => {
    const amd64 = copy.image.platforms['linux/amd64']!;
    const cases = [
      { tag: 'tag_invalid', answer: () => registryError(403, 'DENIED', 'not authorized to perform ecr:PutImage'), taken: false },
      { tag: '7.0.0', answer: () => registryError(400, 'TAG_INVALID', 'the tag is taken'), taken: true },
      { tag: '7.0.1', answer: () => new Response('tag 7.0.1 already exists', { status: 400, headers: { 'content-type': 'text/plain' } }), taken: true },
      // The registry's own message may quote the tag: a tag named like the words still does not count.
      { tag: 'ImageTagAlreadyExists', answer: () => registryError(403, 'DENIED', "not authorized to push 'ImageTagAlreadyExists'"), taken: false },
    ];
    for (const { tag, answer, taken } of cases) {
      copy.quay.addImage(SOURCE_REPOSITORY, tag, copy.image);
      s.world.addRepository(TARGET_REPOSITORY);
      const arm64 = arm64Under(tag);
      refuseManifest((reference) => reference === tag, answer);

      const reason = (await createAnswer(s, { SourceImage: `quay.io/${SOURCE_REPOSITORY}:${tag}`, Architecture: 'x86_64' })).Reason;

      if (taken) expect(reason).toContain(`already exists and holds ${arm64.digest}, not the linux/amd64 image of quay.io/${SOURCE_REPOSITORY}:${tag} (${amd64.digest})`);
      else {
        expect(reason).toContain(`ECR refused the manifest of quay.io/${SOURCE_REPOSITORY}:${tag} under ${TARGET_REPOSITORY_URI}:${tag}: `);
        expect(reason).not.toContain('IMMUTABLE');
      }
    }
  });

  it('a tagged manifest ECR cannot be reached for fails in those words, not as a refusal', async () => {
    const handle = copy.ecr.handle.bind(copy.ecr);
    copy.ecr.handle = async (url, init) =>
      init.method === 'PUT' && url.pathname.endsWith(`/manifests/${SOURCE_TAG}`)
        ? Promise.reject(Object.assign(new Error('other side closed'), { code: 'ECONNRESET' }))
        : handle(url, init);

    const answer = await createAnswer(s, baseProperties);

    expect(answer.Status).toBe('FAILED');
    expect(answer.Reason).toContain(`cannot reach ${ECR_HOST}`);
    expect(answer.Reason).toContain('connection reset (ECONNRESET)');
    expect(answer.Reason).not.toContain('ECR refused');
  });

  it('names the push or the read-back that does not answer', async () => {
    const digest = copy.image.platforms['linux/amd64']!.digest;
    const handle = copy.ecr.handle.bind(copy.ecr);
    const silent = (method: string, path: string) => {
      copy.ecr.handle = async (url, init) => ((init.method ?? 'GET') === method && url.pathname.endsWith(path) ? new Promise<Response>(() => undefined) : handle(url, init));
    };

    silent('PUT', `/manifests/${SOURCE_TAG}`);
    expect((await createAnswer(s, baseProperties)).Reason).toContain(`ECR (pushing manifest ${SOURCE_TAG}) did not answer within 20 s`);

    silent('GET', `/manifests/${digest}`);
    expect((await createAnswer(s, baseProperties)).Reason).toContain(
      `Cannot read back ${TARGET_REPOSITORY_URI}@${digest} after pushing ${SOURCE}: ECR (reading back ${TARGET_REPOSITORY_URI}@${digest}) did not answer within 20 s`,
    );
    expect(loggedFailures(s.harness)).toEqual([['CallTimeoutError'], ['CopyError', 'CallTimeoutError']]);
  });

  it('a tag refused as taken whose image cannot be read fails in ECR’s words, not naming an image it could not see', async () => {
    refuseManifest(
      (reference) => reference === SOURCE_TAG,
      () => registryError(400, 'TAG_INVALID', 'cannot be overwritten because the repository is immutable'),
    );
    const handle = copy.ecr.handle.bind(copy.ecr);
    copy.ecr.handle = async (url, init) =>
      (init.method ?? 'GET') === 'GET' && url.pathname.endsWith(`/manifests/${SOURCE_TAG}`) ? registryError(500, 'UNKNOWN', 'try later') : handle(url, init);

    const answer = await createAnswer(s, baseProperties);

    expect(answer.Reason).toContain(`ECR refused the manifest of ${SOURCE} under ${TARGET_REPOSITORY_URI}:${SOURCE_TAG}: `);
    expect(answer.Reason).toContain('TAG_INVALID: cannot be overwritten');
    expect(answer.Reason).not.toContain('holds');
  });

  it('refuses a pushed manifest that reads back with another media type', async () => {
    // A manifest whose body does not declare its type (OCI allows it): only the Content-Type says what it is.
    const { config } = image(AMD64);
    const manifest = content(MediaType.OciManifest, {
      schemaVersion: 2,
      config: { mediaType: config.mediaType, digest: config.digest, size: config.bytes.length },
      layers: [],
    });
    const source = copy.quay.repository(SOURCE_REPOSITORY);
    source.manifests.set(manifest.digest, { bytes: manifest.bytes, mediaType: manifest.mediaType });
    source.blobs.set(config.digest, config.bytes);
    source.tags.set(SOURCE_TAG, manifest.digest);
    const stored = copy.ecr.onManifestStored;
    copy.ecr.onManifestStored = (repository, reference, digest) => {
      stored(repository, reference, digest);
      const pushed = copy.ecr.repository(repository).manifests.get(digest)!;
      copy.ecr.repository(repository).manifests.set(digest, { ...pushed, mediaType: MediaType.DockerManifest });
    };

    const answer = await createAnswer(s, baseProperties);

    expect(answer.Status).toBe('FAILED');
    expect(answer.Reason).toContain(
      `${TARGET_REPOSITORY_URI}@${manifest.digest} answered media type ${MediaType.DockerManifest}, not the ${MediaType.OciManifest} that was pushed for ${SOURCE}`,
    );
  });
});
