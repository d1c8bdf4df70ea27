// Refresh (issue 20): a mirror with a RefreshToken reads its source tag again on every Update. An unchanged digest
// answers the same physical id and Data without a build (nothing downstream is updated); a moved tag is copied and
// answered as a new physical id (CloudFormation updates every reader; the old image stays). Without a token, or with
// a source pinned by digest, an Update with the same effective properties still answers at once.
import { describe, expect, it } from 'vitest';
import { parseProperties } from '../../../src/mirror/core/properties.js';
import { updateEvent } from './fixtures/harness.js';
import {
  baseProperties,
  createdResource,
  onlyAnswer,
  SOURCE,
  SOURCE_AMD64,
  SOURCE_ARM64,
  TARGET_REPOSITORY,
  TARGET_REPOSITORY_URI,
  useScenario,
} from './fixtures/scenario.js';
import { digestOf } from './fixtures/world.js';

const refreshing = (token: string) => ({ ...baseProperties, RefreshToken: token });

describe('Function: handler (Update of a mirror with Refresh)', () => {
  const s = useScenario();

  const created = (properties: Record<string, string>) => createdResource(s, properties);

  it('an unchanged source digest: the same physical id and Data, the registry read again, no build', async () => {
    const { physicalId, data } = await created(refreshing('deployment-1'));
    const builds = s.world.builds.length;
    const reads = s.world.operations.filter((operation) => operation.startsWith('Registry.')).length;
    const url = s.newUrl();
    await s.harness.invoke(updateEvent(url, physicalId, refreshing('deployment-2'), refreshing('deployment-1')));
    const answer = onlyAnswer(s.server, url);
    expect(answer).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: physicalId, Data: data });
    expect(answer.Reason).toContain('no copy needed');
    expect(s.world.builds).toHaveLength(builds);
    expect(s.world.operations.filter((operation) => operation.startsWith('Registry.')).length).toBeGreaterThan(reads);
  });

  it('a moved tag: the new image is copied and answered as a new physical id; the old image stays', async () => {
    const { physicalId } = await created(refreshing('deployment-1'));
    const moved = digestOf('serverless-patcher 6.2.0 rebuilt linux/amd64');
    s.world.addImage(SOURCE, { digests: { x86_64: moved, arm64: SOURCE_ARM64 } });
    const url = s.newUrl();
    await s.harness.invoke(updateEvent(url, physicalId, refreshing('deployment-2'), refreshing('deployment-1')));
    const answer = onlyAnswer(s.server, url);
    expect(answer.Status).toBe('SUCCESS');
    expect(answer.PhysicalResourceId).toBe(`${TARGET_REPOSITORY_URI}@${moved}`);
    expect(answer.Data).toMatchObject({ ImageUri: `${TARGET_REPOSITORY_URI}@${moved}`, ImageDigest: moved });
    expect(s.world.builds).toHaveLength(2);
    const images = s.world.repositories.get(TARGET_REPOSITORY)!.images;
    expect(images.has(SOURCE_AMD64) && images.has(moved)).toBe(true);
  });

  it('without a RefreshToken, or with a source pinned by digest, an Update that changes nothing else answers at once', async () => {
    const { physicalId } = await created(baseProperties);
    s.world.addImage(SOURCE, { digests: { x86_64: digestOf('moved'), arm64: SOURCE_ARM64 } });
    const operations = s.world.operations.length;
    const url = s.newUrl();
    await s.harness.invoke(updateEvent(url, physicalId, { ...baseProperties, ServiceTimeout: '900' }, baseProperties));
    expect(onlyAnswer(s.server, url)).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: physicalId });
    expect(s.world.operations).toHaveLength(operations);

    const pinnedSource = `quay.io/sysdig/serverless-patcher@${SOURCE_AMD64}`;
    s.world.addImage(pinnedSource, { digests: { x86_64: SOURCE_AMD64 } });
    const pinned = await created({ ...baseProperties, SourceImage: pinnedSource, RefreshToken: 'deployment-1' });
    const before = s.world.operations.length;
    const next = s.newUrl();
    await s.harness.invoke(
      updateEvent(
        next,
        pinned.physicalId,
        { ...baseProperties, SourceImage: pinnedSource, RefreshToken: 'deployment-2' },
        { ...baseProperties, SourceImage: pinnedSource, RefreshToken: 'deployment-1' },
      ),
    );
    expect(onlyAnswer(s.server, next)).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: pinned.physicalId, Data: pinned.data });
    expect(s.world.operations).toHaveLength(before);
  });
});

describe('Function: parseProperties (RefreshToken)', () => {
  it('takes any non-empty string, and refuses the rest naming the property', () => {
    expect(parseProperties({ SourceImage: SOURCE, RefreshToken: 'a5f1c9e2-request-id' }).refreshToken).toBe('a5f1c9e2-request-id');
    expect(parseProperties({ SourceImage: SOURCE }).refreshToken).toBeUndefined();
    for (const value of ['', 'x'.repeat(1025), 7, ['a']]) {
      expect(() => parseProperties({ SourceImage: SOURCE, RefreshToken: value })).toThrow(/RefreshToken must be a string of 1 to 1024 characters/);
    }
  });
});
