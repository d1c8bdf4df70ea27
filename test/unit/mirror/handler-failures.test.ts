// The mirror handler when things go wrong: the source registry, every AWS call, CodeBuild limits, the
// build itself and the deadline. Each case is answered exactly once, with a Reason that says what happened.
import { StartBuildCommand, StopBuildCommand } from '@aws-sdk/client-codebuild';
import { AccountLimitExceededException } from '@aws-sdk/client-codebuild';
import { describe, expect, it } from 'vitest';
import { createEvent } from './fixtures/harness.js';
import { baseProperties, onlyAnswer, SOURCE, SOURCE_AMD64, TARGET_REPOSITORY, TARGET_REPOSITORY_URI, useScenario } from './fixtures/scenario.js';
import { ACCOUNT, digestOf, PROJECT, REGION, serviceError } from './fixtures/world.js';
import { RegistryRateLimitedError, RegistryUnreachableError, RegistryProtocolError, type RegistryErrorContext } from '../../../src/mirror/registry/errors.js';

const SECRET_ARN = `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:registry-credentials-AbCdEf`;
const START = Date.UTC(2025, 0, 1);

function sourceImageOfBuild(s: ReturnType<typeof useScenario>): string | undefined {
  const input = s.world.codeBuild.commandCalls(StartBuildCommand)[0]?.args[0].input;
  return input?.environmentVariablesOverride?.find((v) => v.name === 'SOURCE_IMAGE')?.value;
}

function failOn(operation: string, error: () => Error): (op: string) => Error | undefined {
  return (op) => (op === operation ? error() : undefined);
}

describe('Function: handler (source registry problems)', () => {
  const s = useScenario();

  it('fails before any build when the image lacks the function architecture', async () => {
    s.world.addImage('docker.io/library/amd64-only:1', { digests: { x86_64: digestOf('amd64 only') } });
    const url = s.newUrl();
    await s.harness.invoke(createEvent(url, { SourceImage: 'amd64-only:1', Architecture: 'arm64' }));
    const answer = onlyAnswer(s.server, url);
    expect(answer.Status).toBe('FAILED');
    expect(answer.Reason).toContain('image has linux/amd64 only; function Architectures is arm64');
    expect(answer.Reason).toContain('docker.io/library/amd64-only:1');
    // Only the registry, and (meanwhile) the look for a build an earlier delivery started.
    expect([...s.world.operations].sort()).toEqual(['CodeBuild.ListBuildsForProject', 'Registry.resolvePlatform']);
  });

  it('fails with the registry message when the image does not exist', async () => {
    const url = s.newUrl();
    await s.harness.invoke(createEvent(url, { SourceImage: 'quay.io/nobody/nothing:0' }));
    const answer = onlyAnswer(s.server, url);
    expect(answer.Status).toBe('FAILED');
    expect(answer.Reason).toContain('MANIFEST_UNKNOWN: manifest unknown');
    expect(s.world.repositories.size).toBe(0);
    expect(s.world.builds).toHaveLength(0);
  });

  it('fails saying how to configure credentials when the registry refuses and no secret is configured', async () => {
    s.world.addImage('registry.example.com/team/private:1', { digests: { x86_64: digestOf('private') }, requires: { username: 'u', password: 'p' } });
    const url = s.newUrl();
    await s.harness.invoke(createEvent(url, { SourceImage: 'registry.example.com/team/private:1' }));
    const answer = onlyAnswer(s.server, url);
    expect(answer.Status).toBe('FAILED');
    expect(answer.Reason).toMatch(/unauthorized/);
    expect(answer.Reason).toContain('RegistryCredentialsSecretArn');
    expect(answer.Reason).toContain('"registry.example.com": {"username"');
    expect(s.world.builds).toHaveLength(0);
  });

  it('lets the build resolve the image when the registry refuses the configured secret', async () => {
    s.world.addImage('registry.example.com/team/private:1', { digests: { x86_64: digestOf('private') }, requires: { username: 'u', password: 'right-password' } });
    s.world.secretString = JSON.stringify({ 'registry.example.com': { username: 'u', password: 'stale-password' } });
    s.world.buildScript = { statuses: ['SUCCEEDED'], exportedDigest: digestOf('private') };
    s.reconfigure({ env: { REGISTRY_CREDENTIALS_SECRET_ARN: SECRET_ARN } });
    const url = s.newUrl();
    await s.harness.invoke(createEvent(url, { SourceImage: 'registry.example.com/team/private:1' }));
    const answer = onlyAnswer(s.server, url);
    expect(answer.Status).toBe('SUCCESS');
    expect(answer.Data.ImageDigest).toBe(digestOf('private'));
    expect(sourceImageOfBuild(s)).toBe('registry.example.com/team/private:1');
  });

  it('IMMUTABLE with an unresolvable source: tags <source tag>-<arch>, and a build refused on that existing tag says what to do', async () => {
    s.reconfigure({ env: { IMAGE_TAG_MUTABILITY: 'IMMUTABLE' } });
    s.world.addImage(SOURCE, { digests: {}, error: (c) => new RegistryUnreachableError(c, 'https://quay.io/v2/', 'connect ETIMEDOUT') });
    s.world.buildScript = {
      statuses: ['FAILED'],
      phases: [
        {
          phaseType: 'BUILD',
          phaseStatus: 'FAILED',
          contexts: [{ statusCode: 'COMMAND_EXECUTION_ERROR', message: 'Error while executing command: . "$MIRROR_STEPS"; copy_platform. Reason: exit status 1' }],
        },
      ],
      logLines: [`ERROR: the tag ${TARGET_REPOSITORY_URI}:6.2.0-amd64 already exists and holds sha256:${'9'.repeat(64)}, not the linux/amd64 image of ${SOURCE}`],
    };
    const url = s.newUrl();
    await s.harness.invoke(createEvent(url, baseProperties));

    const target = s.world.codeBuild.commandCalls(StartBuildCommand)[0]!.args[0].input.environmentVariablesOverride?.find((v) => v.name === 'TARGET_IMAGE');
    expect(target?.value).toBe(`${TARGET_REPOSITORY_URI}:6.2.0-amd64`);
    const answer = onlyAnswer(s.server, url);
    expect(answer.Status).toBe('FAILED');
    const summary = answer.Reason!.split('\n')[0]!;
    expect(summary).toContain(`The target tag 6.2.0-amd64 already exists in the IMMUTABLE repository ${TARGET_REPOSITORY} with other content`);
    expect(summary).toContain(`delete the tag 6.2.0-amd64 from ${TARGET_REPOSITORY}`);
    expect(summary).toContain('ImageTagMutability to MUTABLE');
  });

  const unreliable: [string, (c: RegistryErrorContext) => Error][] = [
    ['unreachable', (c) => new RegistryUnreachableError(c, 'https://quay.io/v2/', 'connect ETIMEDOUT')],
    ['rate limited', (c) => new RegistryRateLimitedError(c, 30)],
    ['answering oddly', (c) => new RegistryProtocolError(c, 'the manifest is not JSON')],
  ];
  it.each(unreliable)('lets the build resolve an unpinned source when the registry is %s', async (_label, error) => {
    s.world.addImage(SOURCE, { digests: {}, error });
    s.world.buildScript = { statuses: ['IN_PROGRESS', 'SUCCEEDED'], exportedDigest: SOURCE_AMD64 };
    const url = s.newUrl();
    await s.harness.invoke(createEvent(url, baseProperties));
    expect(onlyAnswer(s.server, url)).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: `${TARGET_REPOSITORY_URI}@${SOURCE_AMD64}` });
    expect(sourceImageOfBuild(s)).toBe(SOURCE);
    // Without a known digest there is no fast-path check.
    expect(s.world.operations).not.toContain('ECR.DescribeImages');
  });

  it('fails naming the secret when it cannot be read, and never quotes its content', async () => {
    s.world.addImage('registry.example.com/team/private:1', { digests: { x86_64: digestOf('private') }, requires: { username: 'u', password: 'p' } });
    s.reconfigure({ env: { REGISTRY_CREDENTIALS_SECRET_ARN: SECRET_ARN } });
    s.world.fault = failOn('SecretsManager.GetSecretValue', () => serviceError('AccessDeniedException', 'not authorized to perform secretsmanager:GetSecretValue'));
    const url = s.newUrl();
    await s.harness.invoke(createEvent(url, { SourceImage: 'registry.example.com/team/private:1' }));
    const answer = onlyAnswer(s.server, url);
    expect(answer.Status).toBe('FAILED');
    expect(answer.Reason).toContain(SECRET_ARN);
    expect(answer.Reason).toContain('AccessDeniedException');
    expect(s.world.builds).toHaveLength(0);
  });

  it('fails naming the secret when its JSON has the wrong shape', async () => {
    const leaked = 'hunter2-do-not-print';
    s.world.addImage('registry.example.com/team/private:1', { digests: { x86_64: digestOf('private') }, requires: { username: 'u', password: 'p' } });
    s.world.secretString = JSON.stringify({ 'registry.example.com': { user: 'u', pass: leaked } });
    s.reconfigure({ env: { REGISTRY_CREDENTIALS_SECRET_ARN: SECRET_ARN } });
    const url = s.newUrl();
    await s.harness.invoke(createEvent(url, { SourceImage: 'registry.example.com/team/private:1' }));
    const answer = onlyAnswer(s.server, url);
    expect(answer.Status).toBe('FAILED');
    expect(answer.Reason).toContain(`${SECRET_ARN} is not JSON of the form`);
    expect(answer.Reason).not.toContain(leaked);
    expect(s.harness.logText()).not.toContain(leaked);
  });
});

describe('Function: handler (an AWS call fails)', () => {
  const s = useScenario();
  const denied = (what: string) => () => serviceError('AccessDeniedException', `User is not authorized to perform: ${what}`);

  const fatal: [string, string][] = [
    ['ECR.CreateRepository', `Could not create ECR repository ${TARGET_REPOSITORY}`],
    ['ECR.GetRepositoryPolicy', `Could not set the policy of ECR repository ${TARGET_REPOSITORY}`],
    ['ECR.SetRepositoryPolicy', `Could not set the policy of ECR repository ${TARGET_REPOSITORY}`],
    ['CodeBuild.StartBuild', `Could not start CodeBuild project ${PROJECT}`],
  ];
  it.each(fatal)('answers FAILED once when %s is denied', async (operation, expected) => {
    s.world.fault = failOn(operation, denied(operation));
    const url = s.newUrl();
    await s.harness.invoke(createEvent(url, baseProperties));
    const answer = onlyAnswer(s.server, url);
    expect(answer.Status).toBe('FAILED');
    expect(answer.PhysicalResourceId).toMatch(/^sysdig-image-fix-failed-/);
    expect(answer.Reason).toContain(expected);
    expect(answer.Reason).toContain('AccessDeniedException');
    expect(answer.Reason).toContain(SOURCE);
    expect(answer.Data).toEqual({});
    expect(s.world.builds).toHaveLength(0);
  });

  it('copies anyway when the fast-path check (DescribeImages) fails', async () => {
    s.world.fault = failOn('ECR.DescribeImages', denied('ecr:DescribeImages'));
    const url = s.newUrl();
    await s.harness.invoke(createEvent(url, baseProperties));
    expect(onlyAnswer(s.server, url)).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: `${TARGET_REPOSITORY_URI}@${SOURCE_AMD64}` });
    expect(s.world.builds).toHaveLength(1);
  });

  it('copies anyway when the registry client fails unexpectedly', async () => {
    s.world.fault = failOn('Registry.resolvePlatform', () => new TypeError('fetch failed'));
    const url = s.newUrl();
    await s.harness.invoke(createEvent(url, baseProperties));
    expect(onlyAnswer(s.server, url).Status).toBe('SUCCESS');
    expect(sourceImageOfBuild(s)).toBe(SOURCE);
  });

  it('rides out a few failed status polls', async () => {
    let polls = 0;
    s.world.fault = (op) => (op === 'CodeBuild.BatchGetBuilds' && ++polls <= 3 ? serviceError('ThrottlingException', 'Rate exceeded') : undefined);
    const url = s.newUrl();
    await s.harness.invoke(createEvent(url, baseProperties));
    expect(onlyAnswer(s.server, url).Status).toBe('SUCCESS');
  });

  it('stops the build and fails when its status cannot be read five times in a row', async () => {
    s.world.fault = failOn('CodeBuild.BatchGetBuilds', denied('codebuild:BatchGetBuilds'));
    const url = s.newUrl();
    await s.harness.invoke(createEvent(url, baseProperties));
    const answer = onlyAnswer(s.server, url);
    expect(answer.Status).toBe('FAILED');
    expect(answer.Reason).toContain(`Could not read the status of CodeBuild build ${s.world.builds[0]!.id}`);
    expect(s.world.codeBuild.commandCalls(StopBuildCommand).map((c) => c.args[0].input.id)).toEqual([s.world.builds[0]!.id]);
    expect(s.world.operations.filter((op) => op === 'CodeBuild.BatchGetBuilds')).toHaveLength(5);
  });

  it('still explains a failed build when its log cannot be read', async () => {
    s.world.buildScript = { statuses: ['FAILED'], logLines: ['never shown'] };
    s.world.fault = failOn('Logs.GetLogEvents', denied('logs:GetLogEvents'));
    const url = s.newUrl();
    await s.harness.invoke(createEvent(url, baseProperties));
    const answer = onlyAnswer(s.server, url);
    expect(answer.Status).toBe('FAILED');
    expect(answer.Reason).toContain('ended FAILED');
    expect(answer.Reason).toContain('Build log unavailable: AccessDeniedException');
    expect(answer.Reason).not.toContain('never shown');
  });
});

describe('Function: handler (CodeBuild limits)', () => {
  const s = useScenario();

  it('retries throttling and the concurrent build limit with growing, jittered delays and the same token', async () => {
    const refusals = [
      () => serviceError('ThrottlingException', 'Rate exceeded'),
      () => new AccountLimitExceededException({ message: 'Cannot have more than 60 active builds for the account', $metadata: {} }),
    ];
    s.world.fault = (op) => (op === 'CodeBuild.StartBuild' ? refusals.shift()?.() : undefined);
    const url = s.newUrl();
    await s.harness.invoke(createEvent(url, baseProperties));
    expect(onlyAnswer(s.server, url).Status).toBe('SUCCESS');
    const tokens = s.world.codeBuild.commandCalls(StartBuildCommand).map((c) => c.args[0].input.idempotencyToken);
    expect(tokens).toHaveLength(3);
    expect(new Set(tokens).size).toBe(1);
    // Base 2 s doubling per attempt; with the virtual clock's random() = 0.5 the jitter puts each at 3/4 of its ceiling.
    expect(s.harness.clock.sleeps.slice(0, 2)).toEqual([1_500, 3_000]);
  });

  it('gives up before the ServiceTimeout when the limit never clears, saying why', async () => {
    s.world.fault = (op) =>
      op === 'CodeBuild.StartBuild' ? new AccountLimitExceededException({ message: 'Cannot have more than 60 active builds', $metadata: {} }) : undefined;
    const url = s.newUrl();
    await s.harness.invoke(createEvent(url, { ...baseProperties, ServiceTimeout: '600' }));
    const answer = onlyAnswer(s.server, url);
    expect(answer.Status).toBe('FAILED');
    expect(answer.Reason).toContain('kept refusing to start the build');
    expect(answer.Reason).toContain('AccountLimitExceededException');
    expect(answer.Reason).toContain('concurrent build quota');
    expect(s.world.operations.filter((op) => op === 'CodeBuild.StartBuild').length).toBeGreaterThan(5);
    expect(s.harness.clock.now()).toBeLessThan(START + 600_000);
  });
});

describe('Function: handler (build outcomes and the deadline)', () => {
  const s = useScenario();

  it.each(['FAILED', 'FAULT', 'STOPPED', 'TIMED_OUT'])('explains a build that ended %s within 4096 bytes', async (status) => {
    const lines = Array.from({ length: 60 }, (_, i) => `line ${String(i).padStart(2, '0')} ${'skopeo copy output '.repeat(8)}`);
    s.world.buildScript = {
      statuses: ['IN_PROGRESS', status],
      phases: [
        { phaseType: 'SUBMITTED', phaseStatus: 'SUCCEEDED' },
        { phaseType: 'PRE_BUILD', phaseStatus: 'SUCCEEDED' },
        {
          phaseType: 'BUILD',
          phaseStatus: status,
          contexts: [{ statusCode: 'COMMAND_EXECUTION_ERROR', message: 'Error while executing command: skopeo copy. Reason: exit status 1' }],
        },
      ],
      logLines: lines,
    };
    const url = s.newUrl();
    await s.harness.invoke(createEvent(url, baseProperties));
    const answer = onlyAnswer(s.server, url);
    const body = s.server.attemptsFor(url).find((a) => a.accepted)!.body;
    expect(Buffer.byteLength(body)).toBeLessThanOrEqual(4096);
    const buildId = s.world.builds[0]!.id;
    expect(answer.Status).toBe('FAILED');
    expect(answer.Reason).toContain(`CodeBuild build ${buildId}`);
    expect(answer.Reason).toContain(`ended ${status}`);
    expect(answer.Reason).toContain(`phase BUILD (${status}): Error while executing command: skopeo copy. Reason: exit status 1`);
    expect(answer.Reason).toContain('line 59 ');
    expect(answer.Reason).not.toContain('line 00 ');
    expect(answer.Reason).toContain('omitted');
    expect(answer.Reason).toContain(
      `https://${REGION}.console.aws.amazon.com/codesuite/codebuild/${ACCOUNT}/projects/${PROJECT}/build/${encodeURIComponent(buildId)}/?region=${REGION}`,
    );
    expect(s.world.repositories.get(TARGET_REPOSITORY)!.images.size).toBe(0);
  });

  it('says so when the build reported no log stream', async () => {
    s.world.buildScript = { statuses: ['FAULT'], noLogs: true };
    const url = s.newUrl();
    await s.harness.invoke(createEvent(url, baseProperties));
    expect(onlyAnswer(s.server, url).Reason).toContain('reported no CloudWatch Logs stream');
    expect(s.world.operations).not.toContain('Logs.GetLogEvents');
  });

  it('fails when the build pushed another digest than the one resolved', async () => {
    s.world.buildScript = { statuses: ['SUCCEEDED'], exportedDigest: digestOf('something else') };
    const url = s.newUrl();
    await s.harness.invoke(createEvent(url, baseProperties));
    const answer = onlyAnswer(s.server, url);
    expect(answer.Status).toBe('FAILED');
    expect(answer.Reason).toContain(digestOf('something else'));
    expect(answer.Reason).toContain(SOURCE_AMD64);
    expect(answer.Reason).toContain('did not preserve the digest');
  });

  it('fails when the build exported no valid IMAGE_DIGEST', async () => {
    s.world.buildScript = { statuses: ['SUCCEEDED'], exportedDigest: 'sha256:not-a-digest' };
    const url = s.newUrl();
    await s.harness.invoke(createEvent(url, baseProperties));
    const answer = onlyAnswer(s.server, url);
    expect(answer.Status).toBe('FAILED');
    expect(answer.Reason).toContain('exported no valid IMAGE_DIGEST');
  });

  it('stops the build and fails naming it when the ServiceTimeout runs out', async () => {
    s.world.buildScript = { statuses: ['IN_PROGRESS'] };
    const url = s.newUrl();
    await s.harness.invoke(createEvent(url, { ...baseProperties, ServiceTimeout: '300' }));
    const answer = onlyAnswer(s.server, url);
    const buildId = s.world.builds[0]!.id;
    expect(answer.Status).toBe('FAILED');
    expect(answer.Reason).toContain(`CodeBuild build ${buildId}`);
    expect(answer.Reason).toContain("did not finish within the resource's ServiceTimeout");
    expect(s.world.codeBuild.commandCalls(StopBuildCommand).map((c) => c.args[0].input.id)).toEqual([buildId]);
    // Answered before CloudFormation's own timeout, with time to spare.
    expect(s.harness.clock.now()).toBeLessThan(START + 300_000);
    expect(s.world.invokes()).toEqual([]);
  });

  it('answers once even when stopping the late build fails', async () => {
    s.world.buildScript = { statuses: ['IN_PROGRESS'] };
    s.world.fault = failOn('CodeBuild.StopBuild', () => serviceError('InvalidInputException', 'Build already complete'));
    const url = s.newUrl();
    await s.harness.invoke(createEvent(url, { ...baseProperties, ServiceTimeout: '120' }));
    expect(onlyAnswer(s.server, url).Status).toBe('FAILED');
  });
});

describe('Function: handler (misconfigured function)', () => {
  const s = useScenario();

  it.each([
    [{ CODEBUILD_PROJECT_NAME: undefined }, 'CODEBUILD_PROJECT_NAME is not set'],
    [{ IMAGE_TAG_MUTABILITY: 'SOMETIMES' }, 'IMAGE_TAG_MUTABILITY must be MUTABLE or IMMUTABLE'],
    [{ REGISTRY_ENDPOINTS: '{not json' }, 'REGISTRY_ENDPOINTS'],
    [{ REGISTRY_CREDENTIALS_SECRET_ARN: 'my-secret' }, 'REGISTRY_CREDENTIALS_SECRET_ARN is not a Secrets Manager secret ARN'],
    [{ AWS_REGION: undefined }, 'AWS_REGION is not set'],
  ])('answers FAILED naming the setting (%o) without calling AWS', async (env, expected) => {
    s.reconfigure({ env });
    const url = s.newUrl();
    await s.harness.invoke(createEvent(url, baseProperties));
    const answer = onlyAnswer(s.server, url);
    expect(answer.Status).toBe('FAILED');
    expect(answer.Reason).toContain(expected);
    expect(answer.Reason).toContain('SysdigImageFix macro stack');
    expect(s.world.operations).toEqual([]);
  });

  it("reports the template author's bad SourceImage before its own misconfiguration", async () => {
    s.reconfigure({ env: { CODEBUILD_PROJECT_NAME: undefined } });
    const url = s.newUrl();
    await s.harness.invoke(createEvent(url, { SourceImage: 'a;rm -rf /' }));
    const answer = onlyAnswer(s.server, url);
    expect(answer.Status).toBe('FAILED');
    expect(answer.Reason).toContain('SourceImage is invalid image reference');
  });
});
