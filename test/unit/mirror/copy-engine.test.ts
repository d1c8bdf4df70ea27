// The function engine (CopyEngine function) through the real handler, ports and RegistryClient, against in-memory
// registries on the virtual clock: what arrives in the target, what is not copied again, IMMUTABLE tags, the answer
// compared with the CodeBuild engine's, and the copy record that vouches for hand-overs.
import { StartBuildCommand } from '@aws-sdk/client-codebuild';
import { describe, expect, it } from 'vitest';
import { MirrorEnv } from '../../../src/contract.js';
import { RECORD_KEY_PREFIX } from '../../../src/mirror/copy/record.js';
import { createEvent } from './fixtures/harness.js';
import { SOURCE_REPOSITORY, SOURCE_TAG, useCopyScenario } from './fixtures/copy-scenario.js';
import { baseProperties, onlyAnswer, SOURCE, TARGET_REPOSITORY, TARGET_REPOSITORY_URI } from './fixtures/scenario.js';
import { ECR_HOST, serviceError } from './fixtures/world.js';

describe('Function: handler with CopyEngine function', () => {
  const { s, copy } = useCopyScenario();

  it('copies one platform itself: config and layers, then the platform manifest under the source tag, and answers as the job does', async () => {
    const url = s.newUrl();
    const { threw } = await s.harness.invoke(createEvent(url, baseProperties));
    expect(threw).toBeUndefined();
    const amd64 = copy.image.platforms['linux/amd64']!;
    const answer = onlyAnswer(s.server, url);
    expect(answer.Status).toBe('SUCCESS');
    expect(answer.PhysicalResourceId).toBe(`${TARGET_REPOSITORY_URI}@${amd64.digest}`);
    expect(answer.Data).toEqual({
      ImageUri: `${TARGET_REPOSITORY_URI}@${amd64.digest}`,
      ImageDigest: amd64.digest,
      RepositoryUri: TARGET_REPOSITORY_URI,
      RepositoryName: TARGET_REPOSITORY,
      SourceImage: SOURCE,
      Platform: 'linux/amd64',
    });
    // Exactly the platform's blobs, each once; the manifest byte for byte under the source tag.
    const json = amd64.json as { config: { digest: string }; layers: { digest: string }[] };
    expect(copy.ecr.uploaded.map((blob) => blob.digest).sort()).toEqual([json.config.digest, ...json.layers.map((layer) => layer.digest)].sort());
    const tagged = copy.ecr.manifest(TARGET_REPOSITORY, SOURCE_TAG)!;
    expect(tagged.digest).toBe(amd64.digest);
    expect(Buffer.compare(tagged.bytes, amd64.bytes)).toBe(0);
    expect(tagged.mediaType).toBe(amd64.mediaType);
    // No build; the record was written, then removed.
    expect(s.world.codeBuild.commandCalls(StartBuildCommand)).toHaveLength(0);
    expect(s.world.operations).toEqual(expect.arrayContaining(['ECR.TagResource', 'ECR.UntagResource']));
    expect([...s.world.repositories.get(TARGET_REPOSITORY)!.tags.keys()].filter((key) => key.startsWith(RECORD_KEY_PREFIX))).toEqual([]);
  });

  it('answers with the same physical id and attributes as the CodeBuild engine, for one platform and for all', async () => {
    for (const properties of [baseProperties, { ...baseProperties, Architecture: 'arm64' }, { SourceImage: SOURCE, Platforms: 'all' }]) {
      const fromFunction = s.newUrl();
      await s.harness.invoke(createEvent(fromFunction, properties));
      const job = s.reconfigure({ env: { [MirrorEnv.CopyEngine]: 'codebuild' } });
      s.world.repositories.clear();
      const fromJob = s.newUrl();
      await job.invoke(createEvent(fromJob, properties));
      const [a, b] = [onlyAnswer(s.server, fromFunction), onlyAnswer(s.server, fromJob)];
      expect([a.Status, b.Status]).toEqual(['SUCCESS', 'SUCCESS']);
      expect(a.PhysicalResourceId).toBe(b.PhysicalResourceId);
      expect(a.Data).toEqual(b.Data);
      s.reconfigure({});
      s.world.repositories.clear();
    }
  });

  it('Platforms all: every child (attestations too) by digest, then the index under the tag, digest unchanged', async () => {
    const url = s.newUrl();
    await s.harness.invoke(createEvent(url, { SourceImage: SOURCE, Platforms: 'all' }));
    const answer = onlyAnswer(s.server, url);
    expect(answer.Status).toBe('SUCCESS');
    expect(answer.Data!.ImageDigest).toBe(copy.image.digest);
    const pushed = copy.ecr.pushedManifests.map((manifest) => manifest.reference);
    // The whole image has a tag of its own (`<tag>-all`): it never takes the one-platform mirror's tag.
    expect(pushed).toEqual([...copy.image.children.map((child) => child.digest), `${SOURCE_TAG}-all`]);
    expect(copy.ecr.manifest(TARGET_REPOSITORY, `${SOURCE_TAG}-all`)!.digest).toBe(copy.image.digest);
    expect(new Set(copy.ecr.uploaded.map((blob) => blob.digest))).toEqual(new Set(copy.image.blobs.map((blob) => blob.digest)));
  });

  it('does not copy blobs the target already has: it asks first (HEAD), then uploads only the missing ones', async () => {
    const amd64 = copy.image.platforms['linux/amd64']!.json as { layers: { digest: string }[] };
    s.world.addRepository(TARGET_REPOSITORY);
    const present = amd64.layers[0]!.digest;
    copy.ecr.repository(TARGET_REPOSITORY).blobs.set(present, copy.quay.repository(SOURCE_REPOSITORY).blobs.get(present)!);
    const url = s.newUrl();
    await s.harness.invoke(createEvent(url, baseProperties));
    expect(onlyAnswer(s.server, url).Status).toBe('SUCCESS');
    expect(copy.ecr.uploaded.map((blob) => blob.digest)).not.toContain(present);
    expect(copy.ecr.uploaded).toHaveLength(2);
    const ecrRequests = copy.registries.requests.filter((request) => request.host === ECR_HOST);
    const firstPost = ecrRequests.findIndex((request) => request.method === 'POST');
    const asked = ecrRequests.slice(0, firstPost).filter((request) => request.method === 'HEAD' && request.path.includes('/blobs/'));
    expect(new Set(asked.map((request) => request.path)).size).toBe(3);
    // The source's copy of the present layer was never read.
    expect(copy.registries.requests.filter((request) => request.host === 'quay.io' && request.path.endsWith(present))).toEqual([]);
  });

  it('IMMUTABLE: a tag already holding the same image is fine (ECR refuses even an identical re-push)', async () => {
    const harness = s.reconfigure({ env: { [MirrorEnv.CopyEngine]: 'function', [MirrorEnv.ImageTagMutability]: 'IMMUTABLE' } });
    const amd64 = copy.image.platforms['linux/amd64']!;
    s.world.addRepository(TARGET_REPOSITORY, { mutability: 'IMMUTABLE' });
    const tag = `sha256-${amd64.digest.slice('sha256:'.length)}`;
    const ecrRepository = copy.ecr.repository(TARGET_REPOSITORY);
    ecrRepository.manifests.set(amd64.digest, { bytes: amd64.bytes, mediaType: amd64.mediaType });
    ecrRepository.tags.set(tag, amd64.digest);
    const url = s.newUrl();
    await harness.invoke(createEvent(url, baseProperties));
    expect(onlyAnswer(s.server, url).Status).toBe('SUCCESS');
    expect(harness.logText()).toMatch(
      new RegExp(`"message":"the target tag already holds this image; nothing to push".*"targetImage":"${TARGET_REPOSITORY_URI}:${tag}","digest":"${amd64.digest}"`),
    );
  });

  it('IMMUTABLE: a tag holding other content fails naming both digests, as the job does', async () => {
    const harness = s.reconfigure({ env: { [MirrorEnv.CopyEngine]: 'function', [MirrorEnv.ImageTagMutability]: 'IMMUTABLE' } });
    const amd64 = copy.image.platforms['linux/amd64']!;
    const arm64 = copy.image.platforms['linux/arm64']!;
    s.world.addRepository(TARGET_REPOSITORY, { mutability: 'IMMUTABLE' });
    const tag = `sha256-${amd64.digest.slice('sha256:'.length)}`;
    const ecrRepository = copy.ecr.repository(TARGET_REPOSITORY);
    ecrRepository.manifests.set(arm64.digest, { bytes: arm64.bytes, mediaType: arm64.mediaType });
    ecrRepository.tags.set(tag, arm64.digest);
    const url = s.newUrl();
    await harness.invoke(createEvent(url, baseProperties));
    const answer = onlyAnswer(s.server, url);
    expect(answer.Status).toBe('FAILED');
    expect(answer.Reason).toContain(`the tag ${TARGET_REPOSITORY_URI}:${tag} already exists and holds ${arm64.digest}`);
    expect(answer.Reason).toContain(amd64.digest);
    expect(answer.Reason).toContain('IMMUTABLE');
  });

  it('refuses a pushed manifest that does not read back as the source digest', async () => {
    copy.ecr.onManifestStored = (repository, _reference, digest) => {
      const stored = copy.ecr.repository(repository).manifests.get(digest)!;
      copy.ecr.repository(repository).manifests.set(digest, { ...stored, bytes: Buffer.concat([stored.bytes, Buffer.from(' ')]) });
    };
    const url = s.newUrl();
    await s.harness.invoke(createEvent(url, baseProperties));
    const answer = onlyAnswer(s.server, url);
    expect(answer.Status).toBe('FAILED');
    expect(answer.Reason).toContain(`Cannot read back ${TARGET_REPOSITORY_URI}@${copy.image.platforms['linux/amd64']!.digest}`);
    expect(answer.Reason).toContain('does not match');
  });

  it('a redelivered Create finds the copy under way through its record and goes on with it (no second record)', async () => {
    const event = createEvent(s.newUrl(), baseProperties);
    copy.quay.blobServing = () => ({ chunkDelayMs: 5_000, chunkBytes: 1024 });
    await s.harness.invoke(event, { budgetMs: 100_000 });
    expect(s.world.deliveredInvokes).toHaveLength(1);
    copy.quay.blobServing = () => ({});
    const again = s.reconfigure({});
    await again.invoke(event);
    expect(s.world.operations.filter((op) => op === 'ECR.TagResource')).toHaveLength(1);
    expect(again.logText()).toContain('this request was delivered before and its copy is under way');
    expect(onlyAnswer(s.server, event.ResponseURL).Status).toBe('SUCCESS');
  });

  it('fails naming the permissions when the copy cannot be recorded on the repository, before anything is copied', async () => {
    s.world.fault = (op) => (op === 'ECR.TagResource' ? serviceError('AccessDeniedException', 'User is not authorized to perform: ecr:TagResource') : undefined);
    const url = s.newUrl();
    await s.harness.invoke(createEvent(url, baseProperties));
    const answer = onlyAnswer(s.server, url);
    expect(answer.Status).toBe('FAILED');
    expect(answer.Reason).toContain(`Could not record the copy of ${SOURCE} on ECR repository ${TARGET_REPOSITORY}`);
    expect(answer.Reason).toContain('ecr:TagResource, ecr:ListTagsForResource and ecr:UntagResource');
    expect(copy.ecr.uploaded).toEqual([]);
  });

  it('with 50 tags on the repository, drops records of copies long past their deadline and records this one', async () => {
    s.world.addRepository(TARGET_REPOSITORY);
    const tags = s.world.repositories.get(TARGET_REPOSITORY)!.tags;
    for (let i = 0; i < 48; i++) tags.set(`team:${i}`, 'x');
    tags.set(`${RECORD_KEY_PREFIX}${'a'.repeat(64)}`, `deadline=${s.harness.clock.now() - 7_200_000} digest=none tag=source-tag`);
    tags.set(`${RECORD_KEY_PREFIX}${'b'.repeat(64)}`, `deadline=${s.harness.clock.now() + 600_000} digest=none tag=source-tag`);
    const url = s.newUrl();
    await s.harness.invoke(createEvent(url, baseProperties));
    expect(onlyAnswer(s.server, url).Status).toBe('SUCCESS');
    // The stale record went; the live one (another copy under way) stayed; this copy's own came and went.
    expect(tags.has(`${RECORD_KEY_PREFIX}${'a'.repeat(64)}`)).toBe(false);
    expect(tags.has(`${RECORD_KEY_PREFIX}${'b'.repeat(64)}`)).toBe(true);
    expect(tags.size).toBe(49);
  });
});
