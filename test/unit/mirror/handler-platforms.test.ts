// The mirror handler over the real createAwsPorts for `Platforms: all`: the whole image as published (index digest,
// every child and attestation) is copied by one build told ARCHITECTURE=all, and the answer names the index digest.
import { StartBuildCommand } from '@aws-sdk/client-codebuild';
import { describe, expect, it } from 'vitest';
import { createEvent, deleteEvent, updateEvent } from './fixtures/harness.js';
import { baseProperties, onlyAnswer, SOURCE, SOURCE_AMD64, SOURCE_ARM64, TARGET_REPOSITORY, TARGET_REPOSITORY_URI, useScenario } from './fixtures/scenario.js';
import { digestOf } from './fixtures/world.js';

const AGENT = 'quay.io/sysdig/workload-agent:6.2.0';
const AGENT_REPOSITORY = 'sysdig-image-fix/quay.io/sysdig/workload-agent';
const AGENT_REPOSITORY_URI = TARGET_REPOSITORY_URI.replace(TARGET_REPOSITORY, AGENT_REPOSITORY);
const AGENT_INDEX = digestOf('workload-agent 6.2.0 index');
const allProperties = { SourceImage: AGENT, Platforms: 'all' } as const;

function buildEnvironment(s: ReturnType<typeof useScenario>, index = 0): Record<string, string | undefined> {
  const input = s.world.codeBuild.commandCalls(StartBuildCommand)[index]!.args[0].input;
  return Object.fromEntries((input.environmentVariablesOverride ?? []).map((v) => [v.name, v.value]));
}

describe('Function: handler (Platforms: all)', () => {
  const s = useScenario();
  const addAgent = () => s.world.addImage(AGENT, { digests: { x86_64: digestOf('agent amd64'), arm64: digestOf('agent arm64') }, index: AGENT_INDEX });

  it('copies the whole index with ARCHITECTURE=all pinned to the index digest and answers <repositoryUri>@<index digest>', async () => {
    addAgent();
    const url = s.newUrl();
    await s.harness.invoke(createEvent(url, allProperties));

    expect(buildEnvironment(s)).toEqual({
      SOURCE_IMAGE: `quay.io/sysdig/workload-agent@${AGENT_INDEX}`,
      TARGET_IMAGE: `${AGENT_REPOSITORY_URI}:6.2.0-all`,
      ARCHITECTURE: 'all',
      SYSDIG_IMAGE_FIX_BINDING: expect.stringContaining('"platforms":"all"'),
    });
    expect(JSON.parse(buildEnvironment(s).SYSDIG_IMAGE_FIX_BINDING!)).toMatchObject({ expectedDigest: AGENT_INDEX, targetTagKind: 'source-tag' });
    const answer = onlyAnswer(s.server, url);
    expect(answer).toMatchObject({
      Status: 'SUCCESS',
      PhysicalResourceId: `${AGENT_REPOSITORY_URI}@${AGENT_INDEX}`,
      Data: {
        ImageUri: `${AGENT_REPOSITORY_URI}@${AGENT_INDEX}`,
        ImageDigest: AGENT_INDEX,
        RepositoryUri: AGENT_REPOSITORY_URI,
        RepositoryName: AGENT_REPOSITORY,
        SourceImage: AGENT,
        Platform: 'all',
      },
    });
    expect(answer.Reason).toContain(`Mirrored ${AGENT} (all platforms) to ${AGENT_REPOSITORY_URI}@${AGENT_INDEX}`);
    // The platform resolution of the one-platform path is never asked for.
    expect(s.world.registryCalls.map((call) => call.method)).toEqual(['resolvePublished']);
    expect(s.harness.logText()).toContain('the source is an index; copying it whole');
  });

  it('a single-manifest source is copied as it is and answered by its own digest', async () => {
    const single = 'quay.io/team/tool:1';
    s.world.addImage(single, { digests: { arm64: digestOf('tool arm64') } });
    const url = s.newUrl();
    await s.harness.invoke(createEvent(url, { SourceImage: single, Platforms: 'all' }));

    expect(buildEnvironment(s).SOURCE_IMAGE).toBe(`quay.io/team/tool@${digestOf('tool arm64')}`);
    expect(onlyAnswer(s.server, url)).toMatchObject({ Status: 'SUCCESS', Data: { ImageDigest: digestOf('tool arm64'), Platform: 'all' } });
  });

  it('takes the fast path when the target already holds the index digest: no build', async () => {
    addAgent();
    s.world.addRepository(AGENT_REPOSITORY, { tags: { [AGENT_INDEX]: ['6.2.0-all'] } });
    const url = s.newUrl();
    await s.harness.invoke(createEvent(url, allProperties));

    expect(s.world.builds).toHaveLength(0);
    expect(onlyAnswer(s.server, url)).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: `${AGENT_REPOSITORY_URI}@${AGENT_INDEX}`, Data: { Platform: 'all' } });
  });

  it('IMMUTABLE: tags sha256-<index hex>; unresolved: <source tag>-all, and a taken tag says what to do', async () => {
    s.reconfigure({ env: { IMAGE_TAG_MUTABILITY: 'IMMUTABLE' } });
    addAgent();
    await s.harness.invoke(createEvent(s.newUrl(), allProperties));
    expect(buildEnvironment(s).TARGET_IMAGE).toBe(`${AGENT_REPOSITORY_URI}:${AGENT_INDEX.replace(':', '-')}`);

    s.world.addImage(AGENT, { digests: {}, error: (c) => new Error(`unreachable ${c.registry}`) });
    s.world.buildScript = {
      statuses: ['FAILED'],
      logLines: [`ERROR: the tag ${AGENT_REPOSITORY_URI}:6.2.0-all already exists and holds sha256:${'9'.repeat(64)}, not ${AGENT}`],
    };
    const url = s.newUrl();
    await s.harness.invoke(createEvent(url, allProperties));
    expect(buildEnvironment(s, 1)).toMatchObject({ SOURCE_IMAGE: AGENT, TARGET_IMAGE: `${AGENT_REPOSITORY_URI}:6.2.0-all`, ARCHITECTURE: 'all' });
    const answer = onlyAnswer(s.server, url);
    expect(answer.Status).toBe('FAILED');
    expect(answer.Reason).toContain(`The target tag 6.2.0-all already exists in the IMMUTABLE repository ${AGENT_REPOSITORY} with other content`);
  });

  it('a build that pushed another digest than the index is FAILED naming both', async () => {
    addAgent();
    s.world.buildScript = { statuses: ['SUCCEEDED'], exportedDigest: digestOf('agent amd64') };
    const url = s.newUrl();
    await s.harness.invoke(createEvent(url, allProperties));
    const answer = onlyAnswer(s.server, url);
    expect(answer.Status).toBe('FAILED');
    expect(answer.Reason).toContain(
      `pushed ${digestOf('agent amd64')} to ${AGENT_REPOSITORY_URI}, but the published image (index or manifest) of ${AGENT} is ${AGENT_INDEX}`,
    );
  });

  it('an in-region ECR source is kept, pinned to its index digest, with Platform all; nothing is copied', async () => {
    const inRegion = `${TARGET_REPOSITORY_URI.split('/')[0]}/agents/agent:3`;
    s.world.addImage(inRegion, { digests: { x86_64: digestOf('in-region amd64') }, index: digestOf('in-region index') });
    const url = s.newUrl();
    await s.harness.invoke(createEvent(url, { SourceImage: inRegion, Platforms: 'all' }));
    expect(s.world.builds).toHaveLength(0);
    expect(onlyAnswer(s.server, url)).toMatchObject({
      Status: 'SUCCESS',
      PhysicalResourceId: inRegion.replace(':3', `@${digestOf('in-region index')}`),
      Data: { ImageDigest: digestOf('in-region index'), Platform: 'all', SourceImage: inRegion },
    });
  });

  it('Platforms together with Architecture is FAILED naming both; nothing is called', async () => {
    const url = s.newUrl();
    await s.harness.invoke(createEvent(url, { ...allProperties, Architecture: 'x86_64' }));
    const answer = onlyAnswer(s.server, url);
    expect(answer.Status).toBe('FAILED');
    expect(answer.Reason).toContain('Platforms and Architecture are both set');
    expect(s.world.awsCallCount()).toBe(0);
  });

  it('an Update from one architecture to all platforms copies again and answers a new physical id; Delete keeps the image', async () => {
    s.world.addImage(SOURCE, { digests: { x86_64: SOURCE_AMD64, arm64: SOURCE_ARM64 }, index: digestOf('patcher index') });
    const first = s.newUrl();
    await s.harness.invoke(createEvent(first, baseProperties));
    const physicalId = onlyAnswer(s.server, first).PhysicalResourceId;
    expect(physicalId).toBe(`${TARGET_REPOSITORY_URI}@${SOURCE_AMD64}`);

    const update = s.newUrl();
    await s.harness.invoke(updateEvent(update, physicalId, { SourceImage: SOURCE, Platforms: 'all' }, baseProperties));
    const updated = onlyAnswer(s.server, update);
    expect(updated).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: `${TARGET_REPOSITORY_URI}@${digestOf('patcher index')}`, Data: { Platform: 'all' } });
    expect(s.world.builds).toHaveLength(2);
    expect(buildEnvironment(s, 1).ARCHITECTURE).toBe('all');

    // Same properties again: unchanged, no call.
    const operations = s.world.operations.length;
    const again = s.newUrl();
    await s.harness.invoke(
      updateEvent(again, updated.PhysicalResourceId, { SourceImage: SOURCE, Platforms: 'all', ServiceTimeout: '900' }, { SourceImage: SOURCE, Platforms: 'all' }),
    );
    expect(onlyAnswer(s.server, again)).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: updated.PhysicalResourceId, Data: updated.Data });
    expect(s.world.operations).toHaveLength(operations);

    const gone = s.newUrl();
    await s.harness.invoke(deleteEvent(gone, updated.PhysicalResourceId, { SourceImage: SOURCE, Platforms: 'all' }));
    expect(onlyAnswer(s.server, gone)).toMatchObject({ Status: 'SUCCESS', Reason: 'Image kept in ECR: functions may still run it' });
    expect(s.world.repositories.get(TARGET_REPOSITORY)!.images.has(digestOf('patcher index'))).toBe(true);
  });
});
