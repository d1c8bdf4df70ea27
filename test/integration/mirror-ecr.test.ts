// The mirror function's ECR port through the real AWS SDK against moto_server: repository creation with
// its settings and tags, an existing repository tolerated, the Lambda pull statement merged into a
// foreign policy and not rewritten on a re-run, ECR tokens, the fast-path image check, and a whole
// fast-path Create through the handler.
import { randomUUID } from 'node:crypto';
import {
  DescribeRepositoriesCommand,
  GetRepositoryPolicyCommand,
  ListTagsForResourceCommand,
  PutImageCommand,
  SetRepositoryPolicyCommand,
  type ECRClient,
} from '@aws-sdk/client-ecr';
import { Logger } from '@aws-lambda-powertools/logger';
import type { Context } from 'aws-lambda';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig, type MirrorConfig } from '../../src/mirror/core/config.js';
import { createHandler } from '../../src/mirror/handler.js';
import { createMirrorLog, SERVICE_NAME } from '../../src/mirror/log.js';
import { lambdaPullStatement } from '../../src/mirror/core/policy.js';
import { createAwsPorts } from '../../src/mirror/ports/aws.js';
import type { RegistryPort, RegistryPortOptions } from '../../src/mirror/ports/types.js';
import { CodeBuildClient } from '@aws-sdk/client-codebuild';
import { unboundedCall } from '../support/call-context.js';
import { ecrClientFor, MOTO_ACCOUNT_ID, MOTO_CREDENTIALS, startMoto, type LocalMoto } from '../support/moto.js';
import { haveTools, TOOLS } from '../support/tools.js';
import { ResponseServer } from '../support/response-server.js';
import { readOnlyRegistry } from '../support/registry-port.js';

const REGION = 'us-east-1';
const FUNCTION_ARN = `arn:aws:lambda:${REGION}:${MOTO_ACCOUNT_ID}:function:sysdig-image-fix-mirror`;
const ECR_HOST = `${MOTO_ACCOUNT_ID}.dkr.ecr.${REGION}.amazonaws.com`;
const REPOSITORY = 'sysdig-image-fix/quay.io/sysdig/serverless-patcher';
const DIGEST = `sha256:${'5e'.repeat(32)}`;
const KMS_KEY = `arn:aws:kms:${REGION}:${MOTO_ACCOUNT_ID}:key/6f1c2d3e-4a5b-4c6d-8e7f-0a1b2c3d4e5f`;

function mirrorConfig(extra: Record<string, string> = {}): MirrorConfig {
  return loadConfig({ AWS_REGION: REGION, CODEBUILD_PROJECT_NAME: 'sysdig-image-fix-copy', ...extra }, FUNCTION_ARN);
}

/** A registry stand-in that knows one source digest and exposes the credentials callback createAwsPorts wires. */
function registryFactory(seen: { credentials?: RegistryPortOptions['credentials'] }) {
  return (options: RegistryPortOptions): RegistryPort => {
    seen.credentials = options.credentials;
    return readOnlyRegistry({
      resolvePlatform: async () => ({ digest: DIGEST, mediaType: 'application/vnd.oci.image.manifest.v1+json', platform: 'linux/amd64', available: ['linux/amd64'] }),
      headManifest: async () => undefined,
      resolvePublished: async () => ({ digest: DIGEST, mediaType: 'application/vnd.oci.image.manifest.v1+json', entries: [], available: [], attestations: 0 }),
      copySourceRefusal: async () => undefined,
    });
  };
}

/** Registers a tiny manifest as REPOSITORY:6.2.0 with DIGEST (moto computes PutImage digests wrongly: always pass imageDigest). */
async function putImageWithDigest(ecr: ECRClient): Promise<void> {
  await ecr.send(
    new PutImageCommand({
      repositoryName: REPOSITORY,
      imageManifest: JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config: {}, layers: [] }),
      imageManifestMediaType: 'application/vnd.oci.image.manifest.v1+json',
      imageTag: '6.2.0',
      imageDigest: DIGEST,
    }),
  );
}

describe.skipIf(!haveTools(TOOLS.moto))('Function: createAwsPorts (ECR through the SDK against moto_server)', () => {
  let moto: LocalMoto;
  let ecr: ECRClient;

  beforeAll(async () => {
    moto = await startMoto();
    ecr = ecrClientFor(moto, REGION);
  });
  afterAll(async () => {
    ecr?.destroy();
    await moto?.stop();
  });
  beforeEach(async () => {
    await moto.reset();
  });

  async function describeRepository(name: string) {
    const answer = await ecr.send(new DescribeRepositoriesCommand({ repositoryNames: [name] }));
    return answer.repositories![0]!;
  }

  async function tagsOf(arn: string) {
    return (await ecr.send(new ListTagsForResourceCommand({ resourceArn: arn }))).tags;
  }

  it('creates the repository with scan on push, tag mutability, AES256 and our tags', async () => {
    const ports = createAwsPorts(mirrorConfig(), { clients: { ecr } });
    await expect(
      ports.ensureRepository(
        {
          repositoryName: REPOSITORY,
          imageTagMutability: 'MUTABLE',
          kmsKeyArn: undefined,
          tags: { ManagedBy: 'sysdig-image-fix', SourceImage: 'quay.io/sysdig/serverless-patcher:6.2.0' },
        },
        unboundedCall(),
      ),
    ).resolves.toBe('created');
    const repository = await describeRepository(REPOSITORY);
    expect(repository.repositoryUri).toBe(`${ECR_HOST}/${REPOSITORY}`);
    expect(repository.imageScanningConfiguration).toEqual({ scanOnPush: true });
    expect(repository.imageTagMutability).toBe('MUTABLE');
    expect(repository.encryptionConfiguration).toMatchObject({ encryptionType: 'AES256' });
    expect(await tagsOf(repository.repositoryArn!)).toEqual([
      { Key: 'ManagedBy', Value: 'sysdig-image-fix' },
      { Key: 'SourceImage', Value: 'quay.io/sysdig/serverless-patcher:6.2.0' },
    ]);
  });

  it('creates IMMUTABLE KMS-encrypted repositories when configured, and tolerates an existing one', async () => {
    const ports = createAwsPorts(mirrorConfig(), { clients: { ecr } });
    const spec = { repositoryName: REPOSITORY, imageTagMutability: 'IMMUTABLE' as const, kmsKeyArn: KMS_KEY, tags: { ManagedBy: 'sysdig-image-fix' } };
    await expect(ports.ensureRepository(spec, unboundedCall())).resolves.toBe('created');
    await expect(ports.ensureRepository({ ...spec, imageTagMutability: 'MUTABLE', kmsKeyArn: undefined }, unboundedCall())).resolves.toBe('existed');
    const repository = await describeRepository(REPOSITORY);
    // The existing repository is left exactly as it was.
    expect(repository.imageTagMutability).toBe('IMMUTABLE');
    expect(repository.encryptionConfiguration).toEqual({ encryptionType: 'KMS', kmsKey: KMS_KEY });
  });

  it('merges the Lambda pull statement into a foreign policy, keeps the foreign statement, and does not rewrite on a re-run', async () => {
    const ports = createAwsPorts(mirrorConfig(), { clients: { ecr } });
    await ports.ensureRepository({ repositoryName: REPOSITORY, imageTagMutability: 'MUTABLE', kmsKeyArn: undefined, tags: {} }, unboundedCall());
    const foreign = {
      Sid: 'CrossAccountPull',
      Effect: 'Allow',
      Principal: { AWS: 'arn:aws:iam::210987654321:root' },
      Action: ['ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer'],
    };
    await ecr.send(new SetRepositoryPolicyCommand({ repositoryName: REPOSITORY, policyText: JSON.stringify({ Version: '2012-10-17', Statement: [foreign] }) }));
    const ours = lambdaPullStatement({ partition: 'aws', region: REGION, accountId: MOTO_ACCOUNT_ID });

    await expect(ports.ensureRepositoryPolicy(REPOSITORY, ours, unboundedCall())).resolves.toBe('written');
    const stored = await ecr.send(new GetRepositoryPolicyCommand({ repositoryName: REPOSITORY }));
    const policy = JSON.parse(stored.policyText!);
    expect(policy.Statement).toEqual([foreign, ours]);
    expect(policy.Statement[1].Condition).toEqual({ StringLike: { 'aws:sourceArn': `arn:aws:lambda:${REGION}:${MOTO_ACCOUNT_ID}:function:*` } });

    await expect(ports.ensureRepositoryPolicy(REPOSITORY, ours, unboundedCall())).resolves.toBe('unchanged');
    const again = await ecr.send(new GetRepositoryPolicyCommand({ repositoryName: REPOSITORY }));
    expect(again.policyText).toBe(stored.policyText);
  });

  it('writes a new policy on a repository that has none', async () => {
    const ports = createAwsPorts(mirrorConfig(), { clients: { ecr } });
    await ports.ensureRepository({ repositoryName: REPOSITORY, imageTagMutability: 'MUTABLE', kmsKeyArn: undefined, tags: {} }, unboundedCall());
    const ours = lambdaPullStatement({ partition: 'aws', region: REGION, accountId: MOTO_ACCOUNT_ID });
    await expect(ports.ensureRepositoryPolicy(REPOSITORY, ours, unboundedCall())).resolves.toBe('written');
    const policy = JSON.parse((await ecr.send(new GetRepositoryPolicyCommand({ repositoryName: REPOSITORY }))).policyText!);
    expect(policy).toEqual({ Version: '2012-10-17', Statement: [ours] });
  });

  it('tells whether the repository holds a digest, and its tags', async () => {
    const ports = createAwsPorts(mirrorConfig(), { clients: { ecr } });
    await ports.ensureRepository({ repositoryName: REPOSITORY, imageTagMutability: 'MUTABLE', kmsKeyArn: undefined, tags: {} }, unboundedCall());
    expect(await ports.imageTags(REPOSITORY, DIGEST, unboundedCall())).toBeUndefined();
    await putImageWithDigest(ecr);
    expect(await ports.imageTags(REPOSITORY, DIGEST, unboundedCall())).toEqual(['6.2.0']);
    expect(await ports.imageTags(REPOSITORY, `sha256:${'00'.repeat(32)}`, unboundedCall())).toBeUndefined();
  });

  it('hands the registry client ECR credentials from GetAuthorizationToken', async () => {
    const seen: { credentials?: RegistryPortOptions['credentials'] } = {};
    const ports = createAwsPorts(mirrorConfig(), { clients: { ecr }, registry: registryFactory(seen) });
    await ports.resolveSourcePlatform({ registry: 'quay.io', repository: 'sysdig/serverless-patcher', tag: '6.2.0' }, 'x86_64', unboundedCall());
    expect(await seen.credentials!(ECR_HOST)).toEqual({ username: 'AWS', password: `${MOTO_ACCOUNT_ID}-auth-token` });
    expect(await seen.credentials!('quay.io')).toBeUndefined();
  });

  it('answers a Create from the fast path when ECR already holds the digest, all ECR calls real', async () => {
    const server = await ResponseServer.start();
    try {
      const ports = createAwsPorts(mirrorConfig(), { clients: { ecr } });
      await ports.ensureRepository({ repositoryName: REPOSITORY, imageTagMutability: 'MUTABLE', kmsKeyArn: undefined, tags: {} }, unboundedCall());
      await putImageWithDigest(ecr);
      // moto's CodeBuild knows no project: the look for an earlier delivery's build finds nothing and the request goes on.
      const codeBuild = new CodeBuildClient({ region: REGION, endpoint: moto.endpoint, credentials: { ...MOTO_CREDENTIALS } });
      const handler = createHandler({
        env: { AWS_REGION: REGION, CODEBUILD_PROJECT_NAME: 'sysdig-image-fix-copy' },
        createPorts: (config) => createAwsPorts(config, { clients: { ecr, codeBuild }, registry: registryFactory({}) }),
        createLog: () => createMirrorLog(new Logger({ serviceName: SERVICE_NAME, logLevel: 'WARN' })),
      });
      const url = server.url();
      const event = {
        RequestType: 'Create',
        ServiceToken: FUNCTION_ARN,
        ResponseURL: url,
        StackId: `arn:aws:cloudformation:${REGION}:${MOTO_ACCOUNT_ID}:stack/app/${randomUUID()}`,
        RequestId: randomUUID(),
        LogicalResourceId: 'ImageMirror1a2b3c4d',
        ResourceType: 'Custom::ImageMirror',
        ResourceProperties: { ServiceToken: FUNCTION_ARN, SourceImage: 'quay.io/sysdig/serverless-patcher:6.2.0', Architecture: 'x86_64' },
      };
      const context = { invokedFunctionArn: FUNCTION_ARN, getRemainingTimeInMillis: () => 300_000 } as unknown as Context;
      await handler(event, context);
      const answers = server.answersFor(url);
      expect(answers).toHaveLength(1);
      expect(answers[0]).toMatchObject({
        Status: 'SUCCESS',
        PhysicalResourceId: `${ECR_HOST}/${REPOSITORY}@${DIGEST}`,
        Data: { RepositoryName: REPOSITORY, ImageDigest: DIGEST, Platform: 'linux/amd64' },
      });
      const policy = JSON.parse((await ecr.send(new GetRepositoryPolicyCommand({ repositoryName: REPOSITORY }))).policyText!);
      expect(policy.Statement.map((s: { Sid: string }) => s.Sid)).toEqual(['SysdigImageFixLambdaPull']);
    } finally {
      await server.stop();
    }
  });
});
