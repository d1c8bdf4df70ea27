// The AWS adapters of the mirror function, each against its SDK client (aws-sdk-client-mock): what each call sends,
// and how the answers are read, including the shapes real services answer with (missing fields, dates, CRLF lines,
// other builds in one page, errors that mean "not there").
import {
  BatchGetBuildsCommand,
  CodeBuildClient,
  type EnvironmentVariable,
  ListBuildsForProjectCommand,
  StartBuildCommand,
  StopBuildCommand,
} from '@aws-sdk/client-codebuild';
import { CloudWatchLogsClient, GetLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import {
  CreateRepositoryCommand,
  DescribeImagesCommand,
  ECRClient,
  GetAuthorizationTokenCommand,
  GetRepositoryPolicyCommand,
  ListTagsForResourceCommand,
  SetRepositoryPolicyCommand,
  type Tag,
  TagResourceCommand,
  UntagResourceCommand,
} from '@aws-sdk/client-ecr';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { lambdaPullStatement } from '../../../../src/mirror/core/policy.js';
import { codeBuildPorts } from '../../../../src/mirror/ports/codebuild.js';
import { ecrAuthorizationToken, ecrPorts } from '../../../../src/mirror/ports/ecr.js';
import { lambdaPorts } from '../../../../src/mirror/ports/lambda.js';
import { logsPorts } from '../../../../src/mirror/ports/logs.js';
import { clientSettings } from '../../../../src/mirror/ports/sdk.js';
import { readSecretString } from '../../../../src/mirror/ports/secrets.js';
import { unboundedCall } from '../../../support/call-context.js';
import { serviceError } from '../fixtures/world.js';

const ecrMock = mockClient(ECRClient);
const codeBuildMock = mockClient(CodeBuildClient);
const logsMock = mockClient(CloudWatchLogsClient);
const lambdaMock = mockClient(LambdaClient);
const secretsMock = mockClient(SecretsManagerClient);
const mocks = [ecrMock, codeBuildMock, logsMock, lambdaMock, secretsMock];
afterEach(() => {
  for (const mock of mocks) mock.reset();
});
afterAll(() => {
  for (const mock of mocks) mock.restore();
});

const DIGEST = `sha256:${'a'.repeat(64)}`;
const ecr = ecrPorts(() => new ECRClient({ region: 'eu-west-1' }));
const codeBuild = codeBuildPorts(() => new CodeBuildClient({ region: 'eu-west-1' }));
const call = unboundedCall();

describe('Function: ecrPorts', () => {
  const spec = {
    repositoryName: 'sysdig-image-fix/quay.io/a/b',
    imageTagMutability: 'IMMUTABLE',
    kmsKeyArn: undefined,
    tags: { ManagedBy: 'sysdig-image-fix', Source: 'quay.io/a/b' },
  } as const;

  it('creates a scanned repository with AES256 (or the KMS key) and the tags, and takes an existing one as it is', async () => {
    ecrMock.on(CreateRepositoryCommand).resolvesOnce({}).rejects(serviceError('RepositoryAlreadyExistsException'));
    expect(await ecr.ensureRepository(spec, call)).toBe('created');
    expect(ecrMock.commandCalls(CreateRepositoryCommand)[0]!.args[0].input).toEqual({
      repositoryName: 'sysdig-image-fix/quay.io/a/b',
      imageTagMutability: 'IMMUTABLE',
      imageScanningConfiguration: { scanOnPush: true },
      encryptionConfiguration: { encryptionType: 'AES256' },
      tags: [
        { Key: 'ManagedBy', Value: 'sysdig-image-fix' },
        { Key: 'Source', Value: 'quay.io/a/b' },
      ],
    });
    expect(await ecr.ensureRepository({ ...spec, kmsKeyArn: 'alias/ecr' }, call)).toBe('existed');
    expect(ecrMock.commandCalls(CreateRepositoryCommand)[1]!.args[0].input.encryptionConfiguration).toEqual({ encryptionType: 'KMS', kmsKey: 'alias/ecr' });
  });

  it('passes on any other CreateRepository failure', async () => {
    ecrMock.on(CreateRepositoryCommand).rejects(serviceError('AccessDeniedException', 'not authorized'));
    await expect(ecr.ensureRepository(spec, call)).rejects.toThrow('not authorized');
  });

  it('writes a policy into a repository that has none, and passes on a failure to read one', async () => {
    const ours = lambdaPullStatement({ partition: 'aws', region: 'eu-west-1', accountId: '123456789012' });
    ecrMock.on(GetRepositoryPolicyCommand).rejectsOnce(serviceError('RepositoryPolicyNotFoundException')).rejects(serviceError('AccessDeniedException', 'denied'));
    ecrMock.on(SetRepositoryPolicyCommand).resolves({});
    expect(await ecr.ensureRepositoryPolicy('r', ours, call)).toBe('written');
    expect(ecrMock.commandCalls(GetRepositoryPolicyCommand)[0]!.args[0].input).toEqual({ repositoryName: 'r' });
    const written = ecrMock.commandCalls(SetRepositoryPolicyCommand)[0]!.args[0].input;
    expect(written.repositoryName).toBe('r');
    expect(JSON.parse(written.policyText!)).toEqual({ Version: '2012-10-17', Statement: [ours] });
    await expect(ecr.ensureRepositoryPolicy('r', ours, call)).rejects.toThrow('denied');
    expect(ecrMock.commandCalls(SetRepositoryPolicyCommand)).toHaveLength(1);
  });

  it('reads the tags of the image with the digest asked (none: []), and undefined when the repository holds no such image', async () => {
    ecrMock
      .on(DescribeImagesCommand)
      .resolvesOnce({
        imageDetails: [
          { imageDigest: `sha256:${'b'.repeat(64)}`, imageTags: ['other'] },
          { imageDigest: DIGEST, imageTags: ['1', '1-arm64'] },
        ],
      })
      .resolvesOnce({ imageDetails: [{ imageDigest: DIGEST }] })
      .resolvesOnce({ imageDetails: [{ imageDigest: `sha256:${'b'.repeat(64)}`, imageTags: ['other'] }] })
      .resolvesOnce({})
      .rejectsOnce(serviceError('ImageNotFoundException'))
      .rejects(serviceError('RepositoryNotFoundException', 'no repository'));
    expect(await ecr.imageTags('r', DIGEST, call)).toEqual(['1', '1-arm64']);
    expect(ecrMock.commandCalls(DescribeImagesCommand)[0]!.args[0].input).toEqual({ repositoryName: 'r', imageIds: [{ imageDigest: DIGEST }] });
    // ECR leaves imageTags out for an untagged image.
    expect(await ecr.imageTags('r', DIGEST, call)).toEqual([]);
    expect(await ecr.imageTags('r', DIGEST, call)).toBeUndefined();
    expect(await ecr.imageTags('r', DIGEST, call)).toBeUndefined();
    expect(await ecr.imageTags('r', DIGEST, call)).toBeUndefined();
    await expect(ecr.imageTags('r', DIGEST, call)).rejects.toThrow('no repository');
  });

  it('reads, adds and removes repository tags', async () => {
    const arn = 'arn:aws:ecr:eu-west-1:123456789012:repository/r';
    ecrMock
      .on(ListTagsForResourceCommand)
      .resolvesOnce({ tags: [{ Key: 'a', Value: '1' }, { Key: 'b' } as Tag] })
      .resolves({});
    ecrMock.on(TagResourceCommand).resolves({});
    ecrMock.on(UntagResourceCommand).resolves({});
    expect(await ecr.repositoryTags(arn, call)).toEqual({ a: '1', b: '' });
    expect(ecrMock.commandCalls(ListTagsForResourceCommand)[0]!.args[0].input).toEqual({ resourceArn: arn });
    expect(await ecr.repositoryTags(arn, call)).toEqual({});
    await ecr.tagRepository(arn, { copy: 'x', by: 'y' }, call);
    expect(ecrMock.commandCalls(TagResourceCommand)[0]!.args[0].input).toEqual({
      resourceArn: arn,
      tags: [
        { Key: 'copy', Value: 'x' },
        { Key: 'by', Value: 'y' },
      ],
    });
    await ecr.untagRepository(arn, ['copy', 'by'], call);
    expect(ecrMock.commandCalls(UntagResourceCommand)[0]!.args[0].input).toEqual({ resourceArn: arn, tagKeys: ['copy', 'by'] });
  });

  it("reads the first authorization token of the client's region, with the call's signal when there is one", async () => {
    ecrMock
      .on(GetAuthorizationTokenCommand)
      .resolvesOnce({ authorizationData: [{ authorizationToken: 'dG9rZW4=' }, { authorizationToken: 'other' }] })
      .resolves({});
    const client = new ECRClient({ region: 'us-west-2' });
    expect(await ecrAuthorizationToken(client, call)).toBe('dG9rZW4=');
    expect((ecrMock.commandCalls(GetAuthorizationTokenCommand)[0]!.args as unknown[])[1]).toEqual({ abortSignal: call.signal });
    expect(await ecrAuthorizationToken(client, undefined)).toBeUndefined();
    expect((ecrMock.commandCalls(GetAuthorizationTokenCommand)[1]!.args as unknown[])[1]).toEqual({});
  });
});

describe('Function: codeBuildPorts', () => {
  it('starts a build with PLAINTEXT overrides and the idempotency token, and refuses an answer without a build id', async () => {
    codeBuildMock
      .on(StartBuildCommand)
      .resolvesOnce({ build: { id: 'copy:1' } })
      .resolvesOnce({ build: { id: '' } })
      .resolves({});
    const input = { projectName: 'copy', idempotencyToken: 'tok', environment: [{ name: 'SOURCE_IMAGE', value: 'quay.io/a/b:1' }] };
    expect(await codeBuild.startBuild(input, call)).toBe('copy:1');
    expect(codeBuildMock.commandCalls(StartBuildCommand)[0]!.args[0].input).toEqual({
      projectName: 'copy',
      idempotencyToken: 'tok',
      environmentVariablesOverride: [{ name: 'SOURCE_IMAGE', value: 'quay.io/a/b:1', type: 'PLAINTEXT' }],
    });
    await expect(codeBuild.startBuild(input, call)).rejects.toThrow('CodeBuild StartBuild of copy returned no build id');
    await expect(codeBuild.startBuild(input, call)).rejects.toThrow('CodeBuild StartBuild of copy returned no build id');
  });

  it('reads a build with its times in epoch milliseconds and fills what CodeBuild leaves out', async () => {
    const started = new Date('2025-01-01T00:00:00Z');
    const ended = new Date('2025-01-01T00:01:30Z');
    codeBuildMock.on(BatchGetBuildsCommand).resolves({
      builds: [
        { id: 'copy:0', buildStatus: 'SUCCEEDED' },
        {
          id: 'copy:1',
          currentPhase: 'COMPLETED',
          startTime: started,
          endTime: ended,
          environment: {
            type: 'LINUX_CONTAINER',
            image: 'i',
            computeType: 'BUILD_GENERAL1_SMALL',
            environmentVariables: [{ name: 'A', value: '1' }, { name: 'B' } as EnvironmentVariable, { value: '2' } as EnvironmentVariable],
          },
          phases: [{ phaseType: 'BUILD', phaseStatus: 'SUCCEEDED', startTime: started, endTime: ended, durationInSeconds: 90 }, { contexts: [{}] }],
        },
      ],
    });
    expect(await codeBuild.getBuild('copy:1', call)).toEqual({
      id: 'copy:1',
      projectName: undefined,
      environment: { A: '1' },
      status: 'IN_PROGRESS',
      phases: [
        { type: 'BUILD', status: 'SUCCEEDED', messages: [], startTime: started.getTime(), endTime: ended.getTime(), durationSeconds: 90 },
        { type: 'UNKNOWN', status: undefined, messages: [], startTime: undefined, endTime: undefined, durationSeconds: undefined },
      ],
      exportedVariables: {},
      logGroupName: undefined,
      logStreamName: undefined,
      currentPhase: 'COMPLETED',
      startTime: started.getTime(),
      endTime: ended.getTime(),
    });
    expect(codeBuildMock.commandCalls(BatchGetBuildsCommand)[0]!.args[0].input).toEqual({ ids: ['copy:1'] });
    expect(await codeBuild.getBuild('copy:9', call)).toBeUndefined();
  });

  it('lists the newest builds, reads at most 100 of them in one BatchGetBuilds, and none when the project has none', async () => {
    const ids = Array.from({ length: 120 }, (_, i) => `copy:${120 - i}`);
    codeBuildMock.on(ListBuildsForProjectCommand).resolvesOnce({ ids }).resolves({});
    codeBuildMock.on(BatchGetBuildsCommand).resolves({ builds: [{ id: 'copy:120', buildStatus: 'IN_PROGRESS' }, { buildStatus: 'FAILED' }] });
    const reports = await codeBuild.recentBuilds('copy', call);
    expect(codeBuildMock.commandCalls(ListBuildsForProjectCommand)[0]!.args[0].input).toEqual({ projectName: 'copy', sortOrder: 'DESCENDING' });
    expect(codeBuildMock.commandCalls(BatchGetBuildsCommand)[0]!.args[0].input).toEqual({ ids: ids.slice(0, 100) });
    expect(reports.map((report) => [report.id, report.status])).toEqual([
      ['copy:120', 'IN_PROGRESS'],
      ['', 'FAILED'],
    ]);
    expect(await codeBuild.recentBuilds('copy', call)).toEqual([]);
    expect(codeBuildMock.commandCalls(BatchGetBuildsCommand)).toHaveLength(1);
  });

  it('stops a build by its id', async () => {
    codeBuildMock.on(StopBuildCommand).resolves({});
    await codeBuild.stopBuild('copy:1', call);
    expect(codeBuildMock.commandCalls(StopBuildCommand)[0]!.args[0].input).toEqual({ id: 'copy:1' });
    expect((codeBuildMock.commandCalls(StopBuildCommand)[0]!.args as unknown[])[1]).toEqual({ abortSignal: call.signal });
  });
});

describe('Function: logsPorts', () => {
  const logs = logsPorts(() => new CloudWatchLogsClient({ region: 'eu-west-1' }));

  it('splits events at LF and CRLF, drops the final line break of each and keeps the last lines asked', async () => {
    logsMock
      .on(GetLogEventsCommand)
      .resolvesOnce({ events: [{ message: 'a\r\nb\r\n' }, {}, { message: 'c\n\nd' }] })
      .resolves({});
    expect(await logs.tailBuildLog('g', 's', 10, call)).toEqual(['a', 'b', '', 'c', '', 'd']);
    expect(logsMock.commandCalls(GetLogEventsCommand)[0]!.args[0].input).toEqual({ logGroupName: 'g', logStreamName: 's', limit: 10, startFromHead: false });
    logsMock.reset();
    logsMock
      .on(GetLogEventsCommand)
      .resolvesOnce({ events: [{ message: 'one\r\ntwo' }, { message: 'three\nfour\nfive\n' }] })
      .resolves({});
    // Events hold several lines each: only the last lines asked are kept.
    expect(await logs.tailBuildLog('g', 's', 4, call)).toEqual(['two', 'three', 'four', 'five']);
    expect(await logs.tailBuildLog('g', 's', 2, call)).toEqual([]);
  });
});

describe('Function: lambdaPorts', () => {
  it('takes 202 or no status as accepted and names any other status', async () => {
    const lambda = lambdaPorts(() => new LambdaClient({ region: 'eu-west-1' }));
    lambdaMock.on(InvokeCommand).resolvesOnce({}).resolves({ StatusCode: 429 });
    await expect(lambda.invokeSelf('arn', '{}', call)).resolves.toBeUndefined();
    await expect(lambda.invokeSelf('arn', '{}', call)).rejects.toThrow('Lambda accepted the asynchronous invoke with status 429, not 202');
  });
});

describe('Function: readSecretString', () => {
  it("reads the secret's string, with the call's signal when there is one", async () => {
    secretsMock
      .on(GetSecretValueCommand)
      .resolvesOnce({ SecretString: '{}' })
      .resolves({ SecretBinary: new Uint8Array([1]) });
    const client = new SecretsManagerClient({ region: 'eu-west-1' });
    expect(await readSecretString(client, 'arn:s', call)).toBe('{}');
    expect((secretsMock.commandCalls(GetSecretValueCommand)[0]!.args as unknown[])[1]).toEqual({ abortSignal: call.signal });
    expect(await readSecretString(client, 'arn:s', undefined)).toBeUndefined();
    expect((secretsMock.commandCalls(GetSecretValueCommand)[1]!.args as unknown[])[1]).toEqual({});
  });
});

describe('Function: clientSettings', () => {
  it('gives each client its region, 3 attempts and its own request handler settings', () => {
    const a = clientSettings('eu-west-1');
    const b = clientSettings('us-east-1');
    expect(a).toEqual({ region: 'eu-west-1', maxAttempts: 3, requestHandler: { connectionTimeout: 3_000, requestTimeout: 10_000, throwOnRequestTimeout: true } });
    expect(b.region).toBe('us-east-1');
    expect(a.requestHandler).not.toBe(b.requestHandler);
  });
});
