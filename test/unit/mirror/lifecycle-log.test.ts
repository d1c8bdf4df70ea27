// What the lifecycle tells the operator reading the mirror function's log (and the Reason where it ends a request):
// which repository and policy it created or found, why it copies an image that is already there, which source reads
// it gave up on and why the copy resolves the image itself, and, when a request fails, the error with its cause.
import { describe, expect, it } from 'vitest';
import { RegistryUnreachableError } from '../../../src/mirror/registry/errors.js';
import { createEvent } from './fixtures/harness.js';
import { logLines, onlyLine } from './fixtures/log-lines.js';
import { baseProperties, onlyAnswer, SOURCE, TARGET_REPOSITORY, TARGET_REPOSITORY_URI, type Scenario, useScenario } from './fixtures/scenario.js';
import { BLACK_HOLE, digestOf } from './fixtures/world.js';

const failOn =
  (operation: string, error: Error) =>
  (op: string): Error | undefined =>
    op === operation ? error : undefined;

async function create(s: Scenario, properties: Record<string, string>, budgetMs?: number) {
  const url = s.newUrl();
  await s.harness.invoke(createEvent(url, properties), budgetMs === undefined ? {} : { budgetMs });
  return onlyAnswer(s.server, url);
}

const warnings = (s: Scenario) => logLines(s.harness).filter((line) => line.level === 'WARN' || line.level === 'ERROR');

describe('Function: lifecycle (repository and target, as logged)', () => {
  const s = useScenario();

  it('logs a repository and policy it created, then the ones it found, and nothing to worry about', async () => {
    expect((await create(s, baseProperties)).Status).toBe('SUCCESS');
    expect((await create(s, baseProperties)).Reason).toContain('no copy needed');
    expect(onlyLine(s.harness, 'created the ECR repository')).toMatchObject({ level: 'INFO', repositoryName: TARGET_REPOSITORY });
    expect(onlyLine(s.harness, 'set the Lambda pull statement of the repository policy')).toMatchObject({ repositoryName: TARGET_REPOSITORY });
    expect(onlyLine(s.harness, 'the ECR repository exists')).toMatchObject({ repositoryName: TARGET_REPOSITORY });
    expect(onlyLine(s.harness, 'the repository policy already lets Lambda pull')).toMatchObject({ repositoryName: TARGET_REPOSITORY });
    const messages = logLines(s.harness).map((line) => line.message);
    // The first Create created them, the second found them.
    expect(messages.filter((m) => /ECR repository|repository policy/.test(m))).toEqual([
      'created the ECR repository',
      'set the Lambda pull statement of the repository policy',
      'the ECR repository exists',
      'the repository policy already lets Lambda pull',
    ]);
    expect(messages).not.toContain('the image is in the repository without its tag; the build tags it');
    expect(warnings(s)).toEqual([]);
  });

  it('says why it builds when the image is in the repository without its tag', async () => {
    s.world.addRepository(TARGET_REPOSITORY, { images: [digestOf('serverless-patcher 6.2.0 linux/amd64')] });
    expect((await create(s, baseProperties)).Status).toBe('SUCCESS');
    expect(s.world.builds).toHaveLength(1);
    expect(onlyLine(s.harness, 'the image is in the repository without its tag; the build tags it')).toMatchObject({
      targetImage: expect.stringMatching(new RegExp(`^${TARGET_REPOSITORY_URI}:`)),
    });
  });

  it('copies, saying so, when the target cannot be checked', async () => {
    s.world.fault = failOn('ECR.DescribeImages', BLACK_HOLE);
    expect((await create(s, baseProperties)).Status).toBe('SUCCESS');
    expect(s.world.builds).toHaveLength(1);
    const line = onlyLine(s.harness, 'could not check the target for the image; copying it');
    expect(line).toMatchObject({ level: 'WARN', repositoryName: TARGET_REPOSITORY });
    expect(JSON.stringify(line.error)).toContain('ECR DescribeImages did not answer');
  });
});

describe('Function: lifecycle (source reads it gives up on)', () => {
  const s = useScenario();

  it('lets the copy resolve the image when the registry does not answer, within a third of the work time', async () => {
    s.world.fault = failOn('Registry.resolvePlatform', BLACK_HOLE);
    const budgetMs = 120_000;
    expect((await create(s, baseProperties, budgetMs)).Status).toBe('SUCCESS');
    const line = onlyLine(s.harness, 'the source registry did not answer in time; the copy will resolve the image');
    expect(line).toMatchObject({ level: 'WARN', image: SOURCE, registry: 'quay.io' });
    const waited = /^the registry quay\.io did not answer within (\d+(?:\.\d+)?) s/.exec(String(line.error));
    expect(waited, String(line.error)).not.toBeNull();
    expect(Number(waited![1]) * 1000).toBeLessThanOrEqual(budgetMs / 3);
  });

  it('names the registry it waited for when reading a whole image', async () => {
    s.world.addImage('quay.io/sysdig/agent:1', { digests: { x86_64: digestOf('agent amd64') }, index: digestOf('agent index') });
    s.world.fault = failOn('Registry.resolvePublished', BLACK_HOLE);
    expect((await create(s, { SourceImage: 'quay.io/sysdig/agent:1', Platforms: 'all' })).Status).toBe('SUCCESS');
    expect(String(onlyLine(s.harness, 'the source registry did not answer in time; the copy will resolve the image').error)).toContain('the registry quay.io did not answer');
  });

  it('leaves the host check to the copy job when the registry host cannot be resolved in time', async () => {
    (s.world.dns as { get: (host: string) => unknown }).get = () => new Promise(() => undefined);
    expect((await create(s, baseProperties)).Status).toBe('SUCCESS');
    const line = onlyLine(s.harness, 'could not resolve the source registry host in time; the copy job checks it again');
    expect(line).toMatchObject({ level: 'WARN', image: SOURCE, registry: 'quay.io' });
    expect(JSON.stringify(line.error)).toContain('the address of the registry quay.io did not answer');
  });

  it('lets the copy resolve the image when the registry is unreachable, with the registry error', async () => {
    s.world.addImage(SOURCE, { digests: {}, error: (c) => new RegistryUnreachableError(c, 'https://quay.io/v2/', 'connect ECONNREFUSED') });
    expect((await create(s, baseProperties)).Status).toBe('SUCCESS');
    const line = onlyLine(s.harness, 'could not resolve the source digest; the copy will resolve the image');
    expect(line).toMatchObject({ level: 'WARN', image: SOURCE, error: expect.stringContaining('ECONNREFUSED') });
  });

  it('lets the copy resolve an image whose digest is not sha256, and says so', async () => {
    s.world.addImage(SOURCE, { digests: { x86_64: `sha512:${'a'.repeat(128)}` } });
    s.world.buildScript = { statuses: ['SUCCEEDED'], exportedDigest: digestOf('copied') };
    expect((await create(s, baseProperties)).Status).toBe('SUCCESS');
    const variables = s.world.builds[0]!.input.environmentVariablesOverride ?? [];
    expect(variables.find((v) => v.name === 'SOURCE_IMAGE')?.value).toBe(SOURCE);
    expect(variables.find((v) => v.name === 'SYSDIG_IMAGE_FIX_BINDING')?.value).not.toContain('expectedDigest');
    expect(onlyLine(s.harness, 'the source digest is not sha256; the copy resolves the image itself')).toMatchObject({ level: 'WARN', image: SOURCE });
  });

  it('says whether a whole-image source is an index or a single manifest', async () => {
    const index = digestOf('agent index');
    s.world.addImage('quay.io/sysdig/agent:1', { digests: { x86_64: digestOf('agent amd64'), arm64: digestOf('agent arm64') }, index });
    s.world.addImage('quay.io/sysdig/tool:1', { digests: { arm64: digestOf('tool arm64') } });
    await create(s, { SourceImage: 'quay.io/sysdig/agent:1', Platforms: 'all' });
    expect(onlyLine(s.harness, 'the source is an index; copying it whole')).toMatchObject({
      image: 'quay.io/sysdig/agent:1',
      digest: index,
      platforms: ['linux/amd64', 'linux/arm64'],
      attestations: 2,
    });
    await create(s, { SourceImage: 'quay.io/sysdig/tool:1', Platforms: 'all' });
    expect(onlyLine(s.harness, 'the source is a single image manifest; copying it')).toMatchObject({ image: 'quay.io/sysdig/tool:1', digest: digestOf('tool arm64') });
  });
});
