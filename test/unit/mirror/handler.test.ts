// The mirror handler over the real createAwsPorts: the paths that end in SUCCESS, and the lifecycle of
// a resource across Create, Update and Delete.
import { CreateRepositoryCommand, SetRepositoryPolicyCommand } from '@aws-sdk/client-ecr';
import { StartBuildCommand } from '@aws-sdk/client-codebuild';
import { describe, expect, it } from 'vitest';
import { createEvent, deleteEvent, updateEvent } from './fixtures/harness.js';
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
import { ACCOUNT, digestOf, ECR_HOST, ECR_PASSWORD, PROJECT, REGION } from './fixtures/world.js';
import { requestDigest } from '../../../src/mirror/build/binding.js';

const SECRET_ARN = `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:registry-credentials-AbCdEf`;

function environmentOf(input: { environmentVariablesOverride?: { name?: string; value?: string; type?: string }[] }) {
  return Object.fromEntries((input.environmentVariablesOverride ?? []).map((v) => [v.name, { value: v.value, type: v.type }]));
}

describe('Function: handler (Create)', () => {
  const s = useScenario();

  it('copies one platform with a build and answers the ECR image pinned by digest', async () => {
    const url = s.newUrl();
    const event = createEvent(url, baseProperties);
    const { threw } = await s.harness.invoke(event);
    expect(threw).toBeUndefined();

    const answer = onlyAnswer(s.server, url);
    expect(answer).toEqual({
      Status: 'SUCCESS',
      Reason: expect.any(String),
      PhysicalResourceId: `${TARGET_REPOSITORY_URI}@${SOURCE_AMD64}`,
      StackId: event.StackId,
      RequestId: event.RequestId,
      LogicalResourceId: event.LogicalResourceId,
      NoEcho: false,
      Data: {
        ImageUri: `${TARGET_REPOSITORY_URI}@${SOURCE_AMD64}`,
        ImageDigest: SOURCE_AMD64,
        RepositoryUri: TARGET_REPOSITORY_URI,
        RepositoryName: TARGET_REPOSITORY,
        SourceImage: SOURCE,
        Platform: 'linux/amd64',
      },
    });
    expect(s.server.attemptsFor(url)[0]!.contentType).toBe('');

    const repository = s.world.repositories.get(TARGET_REPOSITORY)!;
    expect(repository.input).toEqual({
      repositoryName: TARGET_REPOSITORY,
      imageTagMutability: 'MUTABLE',
      imageScanningConfiguration: { scanOnPush: true },
      encryptionConfiguration: { encryptionType: 'AES256' },
      tags: [
        { Key: 'ManagedBy', Value: 'sysdig-image-fix' },
        { Key: 'SourceImage', Value: SOURCE },
      ],
    });
    expect(JSON.parse(repository.policy!)).toEqual({
      Version: '2012-10-17',
      Statement: [
        {
          Sid: 'SysdigImageFixLambdaPull',
          Effect: 'Allow',
          Principal: { Service: 'lambda.amazonaws.com' },
          Action: ['ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer'],
          Condition: { StringLike: { 'aws:sourceArn': `arn:aws:lambda:${REGION}:${ACCOUNT}:function:*` } },
        },
      ],
    });

    const starts = s.world.codeBuild.commandCalls(StartBuildCommand);
    expect(starts).toHaveLength(1);
    const input = starts[0]!.args[0].input;
    expect(input.projectName).toBe(PROJECT);
    expect(environmentOf(input)).toEqual({
      SOURCE_IMAGE: { value: `quay.io/sysdig/serverless-patcher@${SOURCE_AMD64}`, type: 'PLAINTEXT' },
      TARGET_IMAGE: { value: `${TARGET_REPOSITORY_URI}:6.2.0`, type: 'PLAINTEXT' },
      ARCHITECTURE: { value: 'x86_64', type: 'PLAINTEXT' },
      // What binds the build to this request (build/binding.ts); no ResponseURL, only a digest of the request.
      SYSDIG_IMAGE_FIX_BINDING: { value: expect.stringContaining(`"request":"${requestDigest(event)}"`), type: 'PLAINTEXT' },
    });
    expect(JSON.stringify(input)).not.toContain(new URL(url).searchParams.get('X-Amz-Signature')!);
    expect(input.idempotencyToken!.length).toBeLessThanOrEqual(64);
    expect(input.idempotencyToken).not.toContain(event.RequestId);
    // Polled every 10 s while the build ran.
    expect(s.harness.clock.sleeps).toEqual([10_000]);
    expect(s.world.invokes()).toEqual([]);
  });

  it('derives the idempotency token from the request: a repeated request gets the same build', async () => {
    // A failing build leaves the target empty, so the repeat really calls StartBuild again.
    s.world.buildScript = { statuses: ['FAILED'] };
    const first = createEvent(s.newUrl(), baseProperties);
    await s.harness.invoke(first);
    await s.harness.invoke({ ...first, ResponseURL: s.newUrl() });
    await s.harness.invoke(createEvent(s.newUrl(), baseProperties));
    const tokens = s.world.codeBuild.commandCalls(StartBuildCommand).map((call) => call.args[0].input.idempotencyToken);
    expect(tokens).toHaveLength(3);
    expect(tokens[1]).toBe(tokens[0]);
    expect(tokens[2]).not.toBe(tokens[0]);
    expect(s.world.builds).toHaveLength(2);
  });

  it('answers at once without a build when the target already holds the digest', async () => {
    s.world.addRepository(TARGET_REPOSITORY, { tags: { [SOURCE_AMD64]: ['6.2.0'] } });
    const url = s.newUrl();
    await s.harness.invoke(createEvent(url, baseProperties));
    const answer = onlyAnswer(s.server, url);
    expect(answer.Status).toBe('SUCCESS');
    expect(answer.PhysicalResourceId).toBe(`${TARGET_REPOSITORY_URI}@${SOURCE_AMD64}`);
    expect(s.world.codeBuild.commandCalls(StartBuildCommand)).toHaveLength(0);
    // The existing repository still got the pull statement.
    expect(s.world.repositories.get(TARGET_REPOSITORY)!.policy).toContain('SysdigImageFixLambdaPull');
    expect(s.harness.clock.sleeps).toEqual([]);
  });

  it('copies the arm64 platform for Architecture arm64 (also given as a one-element list)', async () => {
    const url = s.newUrl();
    await s.harness.invoke(createEvent(url, { SourceImage: SOURCE, Architecture: ['arm64'] }));
    const answer = onlyAnswer(s.server, url);
    expect(answer.PhysicalResourceId).toBe(`${TARGET_REPOSITORY_URI}@${SOURCE_ARM64}`);
    expect(answer.Data.Platform).toBe('linux/arm64');
    const env = environmentOf(s.world.codeBuild.commandCalls(StartBuildCommand)[0]!.args[0].input);
    expect(env.ARCHITECTURE!.value).toBe('arm64');
    expect(env.SOURCE_IMAGE!.value).toBe(`quay.io/sysdig/serverless-patcher@${SOURCE_ARM64}`);
  });

  it('names the target from RepositoryPrefix or takes RepositoryName when it names the source under the stack prefix', async () => {
    const prefixed = s.newUrl();
    await s.harness.invoke(createEvent(prefixed, { ...baseProperties, RepositoryPrefix: 'sysdig-image-fix/mirrors' }));
    expect(onlyAnswer(s.server, prefixed).Data.RepositoryName).toBe('sysdig-image-fix/mirrors/quay.io/sysdig/serverless-patcher');
    const named = s.newUrl();
    await s.harness.invoke(createEvent(named, { ...baseProperties, RepositoryName: 'sysdig-image-fix/team/quay.io/sysdig/serverless-patcher' }));
    expect(onlyAnswer(s.server, named).Data).toMatchObject({
      RepositoryName: 'sysdig-image-fix/team/quay.io/sysdig/serverless-patcher',
      RepositoryUri: `${ECR_HOST}/sysdig-image-fix/team/quay.io/sysdig/serverless-patcher`,
    });
  });

  it('creates repositories with the configured tag mutability and KMS key', async () => {
    const key = `arn:aws:kms:${REGION}:${ACCOUNT}:key/0f6d2c3e-1111-4222-8333-944455556666`;
    s.reconfigure({ env: { IMAGE_TAG_MUTABILITY: 'IMMUTABLE', KMS_KEY_ARN: key } });
    const url = s.newUrl();
    await s.harness.invoke(createEvent(url, baseProperties));
    expect(onlyAnswer(s.server, url).Status).toBe('SUCCESS');
    expect(s.world.repositories.get(TARGET_REPOSITORY)!.input).toMatchObject({
      imageTagMutability: 'IMMUTABLE',
      encryptionConfiguration: { encryptionType: 'KMS', kmsKey: key },
    });
  });

  it('with IMMUTABLE repositories the build pushes a tag naming the platform digest; one per architecture', async () => {
    s.reconfigure({ env: { IMAGE_TAG_MUTABILITY: 'IMMUTABLE' } });
    for (const [architecture, digest] of [
      ['x86_64', SOURCE_AMD64],
      ['arm64', SOURCE_ARM64],
    ] as const) {
      const url = s.newUrl();
      await s.harness.invoke(createEvent(url, { SourceImage: SOURCE, Architecture: architecture }));
      expect(onlyAnswer(s.server, url).PhysicalResourceId).toBe(`${TARGET_REPOSITORY_URI}@${digest}`);
    }
    const targets = s.world.codeBuild.commandCalls(StartBuildCommand).map((call) => environmentOf(call.args[0].input).TARGET_IMAGE!.value);
    expect(targets).toEqual([`${TARGET_REPOSITORY_URI}:${SOURCE_AMD64.replace(':', '-')}`, `${TARGET_REPOSITORY_URI}:${SOURCE_ARM64.replace(':', '-')}`]);
  });

  it('with IMMUTABLE repositories an image already mirrored is still answered at once, without a build', async () => {
    s.reconfigure({ env: { IMAGE_TAG_MUTABILITY: 'IMMUTABLE' } });
    s.world.addRepository(TARGET_REPOSITORY, { tags: { [SOURCE_AMD64]: [SOURCE_AMD64.replace(':', '-')] } });
    const url = s.newUrl();
    await s.harness.invoke(createEvent(url, baseProperties));
    expect(onlyAnswer(s.server, url)).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: `${TARGET_REPOSITORY_URI}@${SOURCE_AMD64}` });
    expect(s.world.codeBuild.commandCalls(StartBuildCommand)).toHaveLength(0);
  });

  it('with IMMUTABLE repositories an image there without its tag (a child of a whole-image mirror) gets it from a build', async () => {
    s.reconfigure({ env: { IMAGE_TAG_MUTABILITY: 'IMMUTABLE' } });
    s.world.addRepository(TARGET_REPOSITORY, { images: [SOURCE_AMD64] });
    const url = s.newUrl();
    await s.harness.invoke(createEvent(url, baseProperties));
    expect(onlyAnswer(s.server, url)).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: `${TARGET_REPOSITORY_URI}@${SOURCE_AMD64}` });
    const [start] = s.world.codeBuild.commandCalls(StartBuildCommand);
    expect(environmentOf(start!.args[0].input).TARGET_IMAGE!.value).toBe(`${TARGET_REPOSITORY_URI}:${SOURCE_AMD64.replace(':', '-')}`);
    expect([...s.world.repositories.get(TARGET_REPOSITORY)!.imageTags.get(SOURCE_AMD64)!]).toEqual([SOURCE_AMD64.replace(':', '-')]);
  });

  it('with MUTABLE repositories an image already there with any tag is answered at once; an untagged one gets its tag from a build', async () => {
    s.world.addRepository(TARGET_REPOSITORY, { tags: { [SOURCE_AMD64]: ['6.1.9'] } });
    const tagged = s.newUrl();
    await s.harness.invoke(createEvent(tagged, baseProperties));
    expect(onlyAnswer(s.server, tagged)).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: `${TARGET_REPOSITORY_URI}@${SOURCE_AMD64}` });
    expect(s.world.codeBuild.commandCalls(StartBuildCommand)).toHaveLength(0);

    s.world.addRepository(TARGET_REPOSITORY, { images: [SOURCE_AMD64] });
    const untagged = s.newUrl();
    await s.harness.invoke(createEvent(untagged, baseProperties));
    expect(onlyAnswer(s.server, untagged)).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: `${TARGET_REPOSITORY_URI}@${SOURCE_AMD64}` });
    expect([...s.world.repositories.get(TARGET_REPOSITORY)!.imageTags.get(SOURCE_AMD64)!]).toEqual(['6.2.0']);
  });

  it('keeps a foreign statement of an existing repository policy and writes ours once', async () => {
    const foreign = { Sid: 'CrossAccountPull', Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::210987654321:root' }, Action: 'ecr:BatchGetImage' };
    s.world.addRepository(TARGET_REPOSITORY, { policy: JSON.stringify({ Version: '2012-10-17', Statement: [foreign] }) });
    await s.harness.invoke(createEvent(s.newUrl(), baseProperties));
    await s.harness.invoke(createEvent(s.newUrl(), baseProperties));
    const policy = JSON.parse(s.world.repositories.get(TARGET_REPOSITORY)!.policy!);
    expect(policy.Statement.map((st: { Sid: string }) => st.Sid)).toEqual(['CrossAccountPull', 'SysdigImageFixLambdaPull']);
    expect(policy.Statement[0]).toEqual(foreign);
    expect(s.world.ecr.commandCalls(SetRepositoryPolicyCommand)).toHaveLength(1);
    expect(s.world.ecr.commandCalls(CreateRepositoryCommand)).toHaveLength(2);
  });

  it('reads private source credentials from the secret, pins the source and passes the secret ARN to the build', async () => {
    const credentials = { username: 'robot$mirror', password: 'registry-password-9f8e7d6c' };
    const source = 'registry.example.com:5000/team/tool:1.0';
    s.world.addImage(source, { digests: { x86_64: digestOf('tool amd64') }, requires: credentials });
    s.world.secretString = JSON.stringify({ 'registry.example.com:5000': credentials });
    s.reconfigure({ env: { REGISTRY_CREDENTIALS_SECRET_ARN: SECRET_ARN } });
    const url = s.newUrl();
    await s.harness.invoke(createEvent(url, { SourceImage: source, Architecture: 'x86_64' }));
    expect(onlyAnswer(s.server, url).PhysicalResourceId).toBe(`${ECR_HOST}/sysdig-image-fix/registry.example.com_5000/team/tool@${digestOf('tool amd64')}`);
    expect(s.world.registryCalls.find((c) => c.image === source)?.credentials).toEqual(credentials);
    expect(environmentOf(s.world.codeBuild.commandCalls(StartBuildCommand)[0]!.args[0].input)).toMatchObject({
      SOURCE_IMAGE: { value: `registry.example.com:5000/team/tool@${digestOf('tool amd64')}` },
      REGISTRY_CREDENTIALS_SECRET_ARN: { value: SECRET_ARN, type: 'PLAINTEXT' },
    });
    expect(s.harness.logText()).not.toContain(credentials.password);
  });
});

describe('Function: handler (source already private ECR in this region)', () => {
  const s = useScenario();
  const inRegion = `${ECR_HOST}/apps/worker:2.1`;

  it('answers the image pinned by digest, read with an ECR token, without creating anything', async () => {
    const digest = digestOf('worker 2.1');
    s.world.addImage(inRegion, { digests: { x86_64: digest } });
    const url = s.newUrl();
    await s.harness.invoke(createEvent(url, { SourceImage: inRegion, Architecture: 'x86_64' }));
    const answer = onlyAnswer(s.server, url);
    expect(answer.Status).toBe('SUCCESS');
    expect(answer.PhysicalResourceId).toBe(`${ECR_HOST}/apps/worker@${digest}`);
    expect(answer.Data).toEqual({
      ImageUri: `${ECR_HOST}/apps/worker@${digest}`,
      ImageDigest: digest,
      RepositoryUri: `${ECR_HOST}/apps/worker`,
      RepositoryName: 'apps/worker',
      SourceImage: inRegion,
      Platform: 'linux/amd64',
    });
    expect(s.world.registryCalls).toEqual([{ method: 'headManifest', image: inRegion, credentials: { username: 'AWS', password: ECR_PASSWORD } }]);
    expect(s.world.operations).toEqual(['Registry.headManifest', 'ECR.GetAuthorizationToken']);
  });

  it('answers the image as given when its digest cannot be read', async () => {
    s.world.fault = (operation) => (operation === 'ECR.GetAuthorizationToken' ? new Error('AccessDeniedException: not allowed') : undefined);
    const url = s.newUrl();
    await s.harness.invoke(createEvent(url, { SourceImage: inRegion, Architecture: 'x86_64' }));
    const answer = onlyAnswer(s.server, url);
    expect(answer.Status).toBe('SUCCESS');
    expect(answer.PhysicalResourceId).toBe(inRegion);
    expect(answer.Data.ImageDigest).toBe('');
    expect(s.world.repositories.size).toBe(0);
    expect(s.world.builds).toHaveLength(0);
  });

  it('keeps a source given by digest as repo@digest without asking the registry', async () => {
    const digest = digestOf('worker pinned');
    const url = s.newUrl();
    await s.harness.invoke(createEvent(url, { SourceImage: `${ECR_HOST}/apps/worker:2.1@${digest}` }));
    expect(onlyAnswer(s.server, url).PhysicalResourceId).toBe(`${ECR_HOST}/apps/worker@${digest}`);
    expect(s.world.operations).toEqual([]);
  });
});

describe('Function: handler (Update and Delete)', () => {
  const s = useScenario();

  const created = () => createdResource(s, baseProperties);

  it('Delete answers SUCCESS for the same physical id and makes no AWS call', async () => {
    const { physicalId } = await created();
    const before = s.world.awsCallCount();
    const operations = s.world.operations.length;
    const url = s.newUrl();
    await s.harness.invoke(deleteEvent(url, physicalId, baseProperties));
    const answer = onlyAnswer(s.server, url);
    expect(answer.Status).toBe('SUCCESS');
    expect(answer.PhysicalResourceId).toBe(physicalId);
    expect(s.world.awsCallCount()).toBe(before);
    expect(s.world.operations).toHaveLength(operations);
    expect(s.world.repositories.get(TARGET_REPOSITORY)!.images.has(SOURCE_AMD64)).toBe(true);
  });

  it('Update with the same effective properties keeps the physical id and Data without any call', async () => {
    const { physicalId, data } = await created();
    const operations = s.world.operations.length;
    const url = s.newUrl();
    // ServiceTimeout and the way the name is given changed; the image did not.
    await s.harness.invoke(updateEvent(url, physicalId, { ...baseProperties, ServiceTimeout: '900', RepositoryName: TARGET_REPOSITORY }, baseProperties));
    const answer = onlyAnswer(s.server, url);
    expect(answer).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: physicalId, Data: data });
    expect(s.world.operations).toHaveLength(operations);
  });

  it('Update to a new source builds it and answers a new physical id', async () => {
    const { physicalId } = await created();
    const newSource = 'quay.io/sysdig/serverless-patcher:6.3.0';
    const newDigest = digestOf('serverless-patcher 6.3.0 linux/amd64');
    s.world.addImage(newSource, { digests: { x86_64: newDigest } });
    const url = s.newUrl();
    await s.harness.invoke(updateEvent(url, physicalId, { ...baseProperties, SourceImage: newSource }, baseProperties));
    const answer = onlyAnswer(s.server, url);
    expect(answer.Status).toBe('SUCCESS');
    expect(answer.PhysicalResourceId).toBe(`${TARGET_REPOSITORY_URI}@${newDigest}`);
    expect(answer.Data.SourceImage).toBe(newSource);
    expect(s.world.builds).toHaveLength(2);
  });

  it('a failed Create answers a placeholder id whose rollback Delete succeeds without any call', async () => {
    const url = s.newUrl();
    const event = createEvent(url, { ...baseProperties, SourceImage: 'quay.io/sysdig/does-not-exist:1' });
    await s.harness.invoke(event);
    const failed = onlyAnswer(s.server, url);
    expect(failed.Status).toBe('FAILED');
    expect(failed.PhysicalResourceId).toMatch(/^sysdig-image-fix-failed-[0-9a-f]+$/);
    expect(failed.PhysicalResourceId).not.toContain(event.RequestId);
    expect(failed.Reason).toContain('quay.io/sysdig/does-not-exist:1');
    expect(failed.Reason).toContain('not found');

    const calls = s.world.awsCallCount();
    const operations = s.world.operations.length;
    const rollback = s.newUrl();
    await s.harness.invoke(deleteEvent(rollback, failed.PhysicalResourceId, { ...baseProperties, SourceImage: 'quay.io/sysdig/does-not-exist:1' }));
    expect(onlyAnswer(s.server, rollback)).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: failed.PhysicalResourceId });
    expect(s.world.awsCallCount()).toBe(calls);
    expect(s.world.operations).toHaveLength(operations);
  });

  it('a failed Update keeps the old physical id (CloudFormation rolls back to it)', async () => {
    const { physicalId } = await created();
    const url = s.newUrl();
    await s.harness.invoke(updateEvent(url, physicalId, { ...baseProperties, Architecture: 'sparc' }, baseProperties));
    const answer = onlyAnswer(s.server, url);
    expect(answer.Status).toBe('FAILED');
    expect(answer.PhysicalResourceId).toBe(physicalId);
    expect(answer.Reason).toContain('Architecture');
  });
});

describe('Function: handler (answering)', () => {
  const s = useScenario();

  it('retries a response PUT that fails twice and then succeeds, with backoff', async () => {
    s.world.addRepository(TARGET_REPOSITORY, { tags: { [SOURCE_AMD64]: ['6.2.0'] } });
    const url = s.newUrl();
    s.server.failNextPuts(2);
    await s.harness.invoke(createEvent(url, baseProperties));
    expect(s.server.attemptsFor(url).map((a) => a.accepted)).toEqual([false, false, true]);
    expect(onlyAnswer(s.server, url).Status).toBe('SUCCESS');
    expect(s.harness.clock.sleeps).toEqual([1_000, 2_000]);
  });

  it('gives up after five refused PUTs without throwing', async () => {
    const url = s.newUrl();
    s.server.failNextPuts(5);
    const { threw } = await s.harness.invoke(deleteEvent(url, 'some-id', baseProperties));
    expect(threw).toBeUndefined();
    expect(s.server.attemptsFor(url)).toHaveLength(5);
    expect(s.server.answersFor(url)).toEqual([]);
    s.server.failNextPuts(0);
  });
});
