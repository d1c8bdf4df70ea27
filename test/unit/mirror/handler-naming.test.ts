// A repository's name tells its real source (issue 16), through the handler: a hand-written Custom::ImageMirror that
// names another image's repository is refused on Create, and an Update never writes there either, nor fails (its
// rollback re-sends the old properties, which must succeed so the stack is not stranded).
import { describe, expect, it } from 'vitest';
import { createEvent, updateEvent } from './fixtures/harness.js';
import { baseProperties, onlyAnswer, SOURCE_AMD64, TARGET_REPOSITORY, TARGET_REPOSITORY_URI, useScenario } from './fixtures/scenario.js';
import { digestOf, ECR_HOST } from './fixtures/world.js';

const EVIL = 'evil.example/x/y:5.0.1';
const EVIL_AMD64 = digestOf('evil 5.0.1 linux/amd64');
const EVIL_REPOSITORY = 'sysdig-image-fix/evil.example/x/y';
/** The hand-written resource: another image pushed into the repository everyone reads as Sysdig's. */
const HOSTILE = { SourceImage: EVIL, Architecture: 'x86_64', RepositoryName: TARGET_REPOSITORY } as const;

describe('Function: handler (repository names)', () => {
  const s = useScenario();

  it("refuses a Create whose RepositoryName is not its source's, before any call, naming the name, the source and the expected name", async () => {
    s.world.addImage(EVIL, { digests: { x86_64: EVIL_AMD64 } });
    const url = s.newUrl();
    await s.harness.invoke(createEvent(url, HOSTILE));
    const answer = onlyAnswer(s.server, url);
    expect(answer.Status).toBe('FAILED');
    expect(answer.PhysicalResourceId).toMatch(/^sysdig-image-fix-failed-/);
    expect(answer.Reason).toContain(`RepositoryName "${TARGET_REPOSITORY}" does not name ${EVIL}`);
    expect(answer.Reason).toContain(`the repository of ${EVIL} is "${EVIL_REPOSITORY}"`);
    expect(s.world.operations).toEqual([]);
    expect(s.world.builds).toHaveLength(0);
  });

  it('refuses a Create whose RepositoryPrefix is outside the stack prefix (the roles could not write there)', async () => {
    const url = s.newUrl();
    await s.harness.invoke(createEvent(url, { ...baseProperties, RepositoryPrefix: 'platform/mirrors' }));
    const answer = onlyAnswer(s.server, url);
    expect(answer.Status).toBe('FAILED');
    expect(answer.Reason).toContain(`RepositoryPrefix "platform/mirrors" is not this macro stack's prefix "sysdig-image-fix" or one under it`);
    expect(s.world.operations).toEqual([]);
  });

  it("an Update to another image under Sysdig's name mirrors it to its own repository and says so; nothing lands in Sysdig's", async () => {
    s.world.addImage(EVIL, { digests: { x86_64: EVIL_AMD64 } });
    const physicalId = `${TARGET_REPOSITORY_URI}@${SOURCE_AMD64}`;
    const url = s.newUrl();
    await s.harness.invoke(updateEvent(url, physicalId, HOSTILE, baseProperties));
    const answer = onlyAnswer(s.server, url);
    expect(answer).toMatchObject({
      Status: 'SUCCESS',
      PhysicalResourceId: `${ECR_HOST}/${EVIL_REPOSITORY}@${EVIL_AMD64}`,
      Data: { RepositoryName: EVIL_REPOSITORY, SourceImage: EVIL },
    });
    expect(answer.Reason).toContain(`RepositoryName "${TARGET_REPOSITORY}" does not name ${EVIL}`);
    expect(answer.Reason).toMatch(/; mirrored there$/);
    expect([...s.world.repositories.keys()]).toEqual([EVIL_REPOSITORY]);
  });

  it('the rollback of an Update back to properties whose name is now refused succeeds (the stack is not stranded)', async () => {
    // Created before names were checked: Sysdig's repository holds the other image. The stack's update to proper
    // properties succeeded (new physical id); another resource failed, so CloudFormation rolls this one back.
    s.world.addImage(EVIL, { digests: { x86_64: EVIL_AMD64 } });
    const updatedId = `${ECR_HOST}/${EVIL_REPOSITORY}@${EVIL_AMD64}`;
    const url = s.newUrl();
    await s.harness.invoke(updateEvent(url, updatedId, HOSTILE, { SourceImage: EVIL, Architecture: 'x86_64' }));
    expect(onlyAnswer(s.server, url)).toMatchObject({ Status: 'SUCCESS', Data: { RepositoryName: EVIL_REPOSITORY } });
    expect(s.world.repositories.has(TARGET_REPOSITORY)).toBe(false);
  });

  it('an Update that changes nothing the image depends on keeps a name written before names were checked, without any call', async () => {
    const legacyId = `${TARGET_REPOSITORY_URI}@${EVIL_AMD64}`;
    const url = s.newUrl();
    await s.harness.invoke(updateEvent(url, legacyId, { ...HOSTILE, ServiceTimeout: '900' }, HOSTILE));
    expect(onlyAnswer(s.server, url)).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: legacyId, Data: { RepositoryName: TARGET_REPOSITORY } });
    expect(s.world.operations).toEqual([]);
  });
});
