// How a request ends when it cannot be mirrored, as CloudFormation reads it (the Reason says what to fix) and as the
// operator reads it (the log keeps the error with its cause); an in-region ECR source answered as it is (pinned only
// to a digest Lambda takes); an Update whose old properties this version refuses; a renamed target, logged.
import { describe, expect, it } from 'vitest';
import { CONTINUATION_KEY, CONTINUATION_VERSION } from '../../../src/mirror/cfn/events.js';
import { AddressRefusedError } from '../../../src/mirror/registry/errors.js';
import { createEvent, updateEvent } from './fixtures/harness.js';
import { logLines, onlyLine } from './fixtures/log-lines.js';
import { baseProperties, onlyAnswer, SOURCE, SOURCE_AMD64, SOURCE_ARM64, TARGET_REPOSITORY, TARGET_REPOSITORY_URI, type Scenario, useScenario } from './fixtures/scenario.js';
import { BLACK_HOLE, digestOf, ECR_HOST, serviceError } from './fixtures/world.js';

const failOn =
  (operation: string, error: Error) =>
  (op: string): Error | undefined =>
    op === operation ? error : undefined;

async function create(s: Scenario, properties: Record<string, string>) {
  const url = s.newUrl();
  await s.harness.invoke(createEvent(url, properties));
  return onlyAnswer(s.server, url);
}

/** The logged error of 'the request failed', as JSON text (message, stack and cause chain). */
function failureLogged(s: Scenario): { line: Record<string, unknown>; cause: string } {
  const line = onlyLine(s.harness, 'the request failed');
  expect(line.level).toBe('ERROR');
  return { line, cause: JSON.stringify((line.error as { cause?: unknown }).cause ?? null) };
}

describe('Function: lifecycle (a request that fails: Reason and logged cause)', () => {
  const s = useScenario();

  it('a source that does not exist: the registry error is the cause', async () => {
    expect((await create(s, { SourceImage: 'quay.io/nobody/nothing:0' })).Status).toBe('FAILED');
    const { line, cause } = failureLogged(s);
    expect(line.requestType).toBe('Create');
    expect(cause).toContain('MANIFEST_UNKNOWN');
  });

  it('a source without the architecture: the platform error is the cause', async () => {
    s.world.addImage('docker.io/library/amd64-only:1', { digests: { x86_64: digestOf('amd64 only') } });
    expect((await create(s, { SourceImage: 'amd64-only:1', Architecture: 'arm64' })).Status).toBe('FAILED');
    expect(failureLogged(s).cause).toContain('function Architectures is arm64');
  });

  it('a private source without credentials: the refusal is the cause', async () => {
    s.world.addImage('registry.example.com/team/private:1', { digests: { x86_64: digestOf('private') }, requires: { username: 'u', password: 'p' } });
    expect((await create(s, { SourceImage: 'registry.example.com/team/private:1' })).Status).toBe('FAILED');
    expect(failureLogged(s).cause).toContain('the registry refused the credentials');
  });

  it('a registry that sends the function to a refused address: the refusal ends the request, and is the cause', async () => {
    const refusal = { host: 'cdn.quay.io', address: '169.254.169.254', rule: 'an instance metadata address' };
    const context = { registry: 'quay.io', repository: 'sysdig/serverless-patcher', reference: '6.2.0' };
    s.world.fault = failOn('Registry.resolvePlatform', new AddressRefusedError(context, 'https://cdn.quay.io/blob', refusal, 'the registry redirected to 169.254.169.254'));
    const answer = await create(s, baseProperties);
    expect(answer.Status).toBe('FAILED');
    expect(answer.Reason).toContain(`Cannot mirror ${SOURCE}: the registry redirected to 169.254.169.254`);
    expect(failureLogged(s).cause).toContain('AddressRefusedError');
    expect(s.world.builds).toHaveLength(0);
  });

  it('a source host that resolves to loopback: the Reason says why neither the function nor the job goes there', async () => {
    s.world.dns.set('quay.io', ['127.0.0.1']);
    const answer = await create(s, baseProperties);
    expect(answer.Status).toBe('FAILED');
    expect(answer.Reason).toContain(
      'Neither the mirror function nor the copy job connects to loopback, link-local, unspecified or instance metadata addresses: ' +
        "from there they reach the host's own services, not a registry",
    );
  });

  it('a repository that cannot be created: the Reason names the permissions, the AWS error is the cause', async () => {
    s.world.fault = failOn('ECR.CreateRepository', serviceError('AccessDeniedException', 'not authorized to perform: ecr:CreateRepository'));
    const answer = await create(s, baseProperties);
    expect(answer.Reason).toContain("The mirror function's role must allow ecr:CreateRepository and ecr:TagResource on repositories under its prefix");
    expect(failureLogged(s).cause).toContain('not authorized to perform: ecr:CreateRepository');
  });

  it('a repository policy that cannot be set: the Reason names the permissions, the AWS error is the cause', async () => {
    s.world.fault = failOn('ECR.SetRepositoryPolicy', serviceError('AccessDeniedException', 'not authorized to perform: ecr:SetRepositoryPolicy'));
    const answer = await create(s, baseProperties);
    expect(answer.Reason).toContain("The mirror function's role must allow ecr:GetRepositoryPolicy and ecr:SetRepositoryPolicy on it");
    expect(failureLogged(s).cause).toContain('not authorized to perform: ecr:SetRepositoryPolicy');
  });

  it('a repository policy call that never answers: the Reason names the call', async () => {
    s.world.fault = failOn('ECR.GetRepositoryPolicy', BLACK_HOLE);
    expect((await create(s, baseProperties)).Reason).toContain('ECR GetRepositoryPolicy/SetRepositoryPolicy did not answer');
  });
});

describe('Function: lifecycle (an in-region ECR source)', () => {
  const s = useScenario();
  const KEPT = `${ECR_HOST}/team/app:1`;

  it('answers it pinned to its digest', async () => {
    s.world.addImage(KEPT, { digests: { x86_64: SOURCE_AMD64 } });
    expect((await create(s, { ...baseProperties, SourceImage: KEPT })).PhysicalResourceId).toBe(`${ECR_HOST}/team/app@${SOURCE_AMD64}`);
  });

  it('answers it as given, and says so, when its digest is not one Lambda takes', async () => {
    s.world.addImage(KEPT, { digests: { x86_64: `sha512:${'b'.repeat(128)}` } });
    expect((await create(s, { ...baseProperties, SourceImage: KEPT })).PhysicalResourceId).toBe(KEPT);
    expect(onlyLine(s.harness, 'the in-region ECR source has a digest Lambda does not take; answering it as given')).toMatchObject({ level: 'WARN', image: KEPT });
  });

  it('answers it as given, and says why, when its registry does not answer', async () => {
    s.world.addImage(KEPT, { digests: { x86_64: SOURCE_AMD64 } });
    s.world.fault = failOn('Registry.headManifest', BLACK_HOLE);
    expect((await create(s, { ...baseProperties, SourceImage: KEPT })).PhysicalResourceId).toBe(KEPT);
    const line = onlyLine(s.harness, 'could not read the digest of the in-region ECR source; answering it as given');
    expect(line).toMatchObject({ level: 'WARN', image: KEPT });
    expect(JSON.stringify(line.error)).toContain(`the registry ${ECR_HOST} did not answer`);
  });
});

describe('Function: lifecycle (Updates)', () => {
  const s = useScenario();

  it('mirrors an Update whose old properties this version refuses', async () => {
    const url = s.newUrl();
    const old = { SourceImage: SOURCE, Architecture: 'x86_64', RepositoryName: 'Not/A/Valid/Name' };
    await s.harness.invoke(updateEvent(url, `${TARGET_REPOSITORY_URI}@${SOURCE_AMD64}`, { ...baseProperties, Architecture: 'arm64' }, old));
    expect(onlyAnswer(s.server, url)).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: `${TARGET_REPOSITORY_URI}@${SOURCE_ARM64}` });
  });

  it('logs where a refused repository name was replaced', async () => {
    const evil = 'evil.example/x/y:5.0.1';
    s.world.addImage(evil, { digests: { x86_64: digestOf('evil') } });
    const url = s.newUrl();
    const hostile = { SourceImage: evil, Architecture: 'x86_64', RepositoryName: TARGET_REPOSITORY };
    await s.harness.invoke(updateEvent(url, `${TARGET_REPOSITORY_URI}@${SOURCE_AMD64}`, hostile, baseProperties));
    expect(onlyAnswer(s.server, url).Status).toBe('SUCCESS');
    expect(onlyLine(s.harness, 'the repository name the request gives is refused; mirroring to the expected one')).toMatchObject({
      level: 'WARN',
      property: 'RepositoryName',
      given: TARGET_REPOSITORY,
      expected: 'sysdig-image-fix/evil.example/x/y',
    });
  });
});

describe('Function: lifecycle (a continued wait that fails)', () => {
  const s = useScenario();

  it('answers FAILED and logs the build it waited for', async () => {
    s.world.buildScript = { statuses: ['IN_PROGRESS'] };
    const url = s.newUrl();
    await s.harness.invoke(createEvent(url, baseProperties), { budgetMs: 100_000 });
    const continuation = s.world.invokes().at(-1)!.payload as { [CONTINUATION_KEY]: { buildId: string; version: number } };
    expect(continuation[CONTINUATION_KEY].version).toBe(CONTINUATION_VERSION);
    s.world.buildScript = { statuses: ['SUCCEEDED'], exportedDigest: 'not-a-digest' };
    await s.harness.invoke(continuation);
    expect(onlyAnswer(s.server, url).Reason).toContain('exported no valid IMAGE_DIGEST');
    const line = onlyLine(s.harness, 'the build wait failed');
    expect(line).toMatchObject({ level: 'ERROR', buildId: continuation[CONTINUATION_KEY].buildId });
    expect(logLines(s.harness).map((l) => l.message)).not.toContain('the continued copy failed');
  });

  it('logs a continued copy that fails as a copy, not as a build wait', async () => {
    s.world.fault = (op) =>
      op === 'ECR.ListTagsForResource'
        ? serviceError('ThrottlingException', 'Rate exceeded')
        : op === 'Lambda.Invoke'
          ? serviceError('AccessDeniedException', 'not authorized')
          : undefined;
    const url = s.newUrl();
    await s.harness.invoke({ [CONTINUATION_KEY]: { version: CONTINUATION_VERSION, request: createEvent(url, baseProperties), copy: {} } });
    expect(onlyAnswer(s.server, url).Status).toBe('FAILED');
    expect(onlyLine(s.harness, 'the continued copy failed')).toMatchObject({ level: 'ERROR', error: { message: expect.stringContaining('not authorized') } });
    expect(logLines(s.harness).map((l) => l.message)).not.toContain('the build wait failed');
  });
});
