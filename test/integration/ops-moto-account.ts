// The account the ops integration test reads, put into moto through the real SDK (IAM through moto's Query API).
// Manifests are small JSON documents made unique by their config digest (moto treats equal manifest text as one
// image); every PutImage names its digest (moto computes them wrongly).
import { CloudFormationClient, CreateStackCommand } from '@aws-sdk/client-cloudformation';
import { CreateRepositoryCommand, DescribeImagesCommand, type ECRClient, PutImageCommand, PutLifecyclePolicyCommand } from '@aws-sdk/client-ecr';
import { DeregisterTaskDefinitionCommand, ECSClient, RegisterTaskDefinitionCommand } from '@aws-sdk/client-ecs';
import { CreateFunctionCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { createHash } from 'node:crypto';
import { ecrClientFor, type LocalMoto, MOTO_ACCOUNT_ID, MOTO_CREDENTIALS, motoIamCall } from '../support/moto.js';

export const REGION = 'us-east-1';
export const APP = 'sysdig-image-fix/quay.io/e2e/app';
export const NGINX = 'sysdig-image-fix/docker.io/library/nginx';
export const HAND_MADE = 'sysdig-image-fix/hand-made';
export const OUTSIDE = 'team/app';
const HOST = `${MOTO_ACCOUNT_ID}.dkr.ecr.${REGION}.amazonaws.com`;
const ROLE = `arn:aws:iam::${MOTO_ACCOUNT_ID}:role/ops-test-function`;
const FILLER_STACKS = 51;

const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';

const sha256 = (text: string) => `sha256:${createHash('sha256').update(text).digest('hex')}`;

function manifest(seed: string): string {
  return JSON.stringify({
    schemaVersion: 2,
    mediaType: OCI_MANIFEST,
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha256(`config ${seed}`), size: 600 },
    layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: sha256(`layer ${seed}`), size: 2_000_000 }],
  });
}

async function put(ecr: ECRClient, repositoryName: string, text: string, mediaType: string, tag?: string): Promise<string> {
  const imageDigest = sha256(text);
  await ecr.send(
    new PutImageCommand({ repositoryName, imageManifest: text, imageManifestMediaType: mediaType, imageDigest, ...(tag !== undefined ? { imageTag: tag } : {}) }),
  );
  return imageDigest;
}

export interface Seeded {
  readonly digests: Record<'appOld' | 'appChildAmd64' | 'appChildArm64' | 'appIndex' | 'appNew' | 'nginx127' | 'nginx126' | 'nginx125' | 'hand' | 'outside', string>;
  readonly repositoryCount: number;
  readonly functionCount: number;
  readonly activeTaskDefinitionCount: number;
  readonly stackCount: number;
  addFunction(name: string, imageUri: string): Promise<void>;
  functionArn(name: string): string;
  addStack(name: string, template: unknown): Promise<void>;
}

async function seedRepositories(ecr: ECRClient): Promise<Seeded['digests']> {
  const managed = (source?: string) => [{ Key: 'ManagedBy', Value: 'sysdig-image-fix' }, ...(source !== undefined ? [{ Key: 'SourceImage', Value: source }] : [])];
  await ecr.send(new CreateRepositoryCommand({ repositoryName: APP, tags: managed('quay.io/e2e/app:1.0') }));
  await ecr.send(new CreateRepositoryCommand({ repositoryName: NGINX, tags: managed('docker.io/library/nginx:1.27') }));
  await ecr.send(new CreateRepositoryCommand({ repositoryName: HAND_MADE }));
  await ecr.send(new CreateRepositoryCommand({ repositoryName: OUTSIDE }));
  const appOld = await put(ecr, APP, manifest('app 0.9'), OCI_MANIFEST, '0.9');
  // The whole index (Platforms: all) and its amd64 child, which the one-platform mirror also pushed as 1.0.
  const appChildAmd64 = await put(ecr, APP, manifest('app 1.0 amd64'), OCI_MANIFEST);
  const appChildArm64 = await put(ecr, APP, manifest('app 1.0 arm64'), OCI_MANIFEST);
  const index = JSON.stringify({
    schemaVersion: 2,
    mediaType: OCI_INDEX,
    manifests: [
      { mediaType: OCI_MANIFEST, digest: appChildAmd64, size: 400, platform: { os: 'linux', architecture: 'amd64' } },
      { mediaType: OCI_MANIFEST, digest: appChildArm64, size: 400, platform: { os: 'linux', architecture: 'arm64' } },
    ],
  });
  const appIndex = await put(ecr, APP, index, OCI_INDEX, '1.0-all');
  await put(ecr, APP, manifest('app 1.0 amd64'), OCI_MANIFEST, '1.0');
  const appNew = await put(ecr, APP, manifest('app 1.1'), OCI_MANIFEST, '1.1');
  await ecr.send(
    new PutLifecyclePolicyCommand({
      repositoryName: APP,
      lifecyclePolicyText: JSON.stringify({
        rules: [
          {
            rulePriority: 1,
            description: 'expire old untagged',
            selection: { tagStatus: 'untagged', countType: 'sinceImagePushed', countUnit: 'days', countNumber: 14 },
            action: { type: 'expire' },
          },
        ],
      }),
    }),
  );
  return {
    appOld,
    appChildAmd64,
    appChildArm64,
    appIndex,
    appNew,
    nginx127: await put(ecr, NGINX, manifest('nginx 1.27'), OCI_MANIFEST, '1.27'),
    nginx126: await put(ecr, NGINX, manifest('nginx 1.26'), OCI_MANIFEST, '1.26'),
    nginx125: await put(ecr, NGINX, manifest('nginx 1.25'), OCI_MANIFEST, '1.25'),
    hand: await put(ecr, HAND_MADE, manifest('hand'), OCI_MANIFEST, 'x'),
    outside: await put(ecr, OUTSIDE, manifest('outside'), OCI_MANIFEST, 'v1'),
  };
}

async function seedTaskDefinitions(ecs: ECSClient, d: Seeded['digests']): Promise<number> {
  const register = (family: string, image: string) =>
    ecs.send(new RegisterTaskDefinitionCommand({ family, containerDefinitions: [{ name: family === 'web' ? 'proxy' : 'job', image, memory: 128 }] }));
  await register('web', `${HOST}/${NGINX}@${d.nginx125}`);
  await ecs.send(new DeregisterTaskDefinitionCommand({ taskDefinition: 'web:1' }));
  await register('web', `${HOST}/${NGINX}@${d.nginx126}`);
  await register('web', `${HOST}/${NGINX}:1.27`);
  for (let i = 0; i < 3; i++) await register('batch', `${HOST}/${OUTSIDE}:v1`);
  return 5;
}

async function seedStacks(cfn: CloudFormationClient): Promise<number> {
  const macroStack = {
    Parameters: { RepositoryPrefix: { Type: 'String', Default: 'sysdig-image-fix' } },
    Resources: { Handle: { Type: 'AWS::CloudFormation::WaitConditionHandle' } },
    Outputs: {
      MirrorFunctionArn: {
        Value: `arn:aws:lambda:${REGION}:${MOTO_ACCOUNT_ID}:function:SysdigImageFix-mirror`,
        Export: { Name: 'SysdigImageFix-MirrorFunctionArn' },
      },
    },
  };
  await cfn.send(new CreateStackCommand({ StackName: 'sysdig-image-fix-macro', TemplateBody: JSON.stringify(macroStack) }));
  const filler = JSON.stringify({ Resources: { Handle: { Type: 'AWS::CloudFormation::WaitConditionHandle' } } });
  for (let i = 0; i < FILLER_STACKS; i++) await cfn.send(new CreateStackCommand({ StackName: `app-${i}`, TemplateBody: filler }));
  return FILLER_STACKS + 1;
}

/** Seeds moto (IAM checks off) and returns the digests and counts the test asserts on. */
export async function seedAccount(moto: LocalMoto): Promise<Seeded> {
  const config = { region: REGION, endpoint: moto.endpoint, credentials: { ...MOTO_CREDENTIALS } };
  const ecr = ecrClientFor(moto, REGION);
  const lambda = new LambdaClient(config);
  const ecs = new ECSClient(config);
  const cfn = new CloudFormationClient(config);
  try {
    const digests = await seedRepositories(ecr);
    // moto's CreateFunction wants the role to exist; it runs nothing (no Docker) for create, list and get.
    await motoIamCall(moto, 'CreateRole', { RoleName: 'ops-test-function', AssumeRolePolicyDocument: '{}' });
    const addFunction = async (name: string, imageUri: string) => {
      await lambda.send(new CreateFunctionCommand({ FunctionName: name, PackageType: 'Image', Code: { ImageUri: imageUri }, Role: ROLE }));
    };
    await addFunction('app-api', `${HOST}/${APP}@${digests.appChildAmd64}`);
    for (let i = 1; i <= 4; i++) await addFunction(`outside-${i}`, `${HOST}/${OUTSIDE}@${digests.outside}`);
    const activeTaskDefinitionCount = await seedTaskDefinitions(ecs, digests);
    const stackCount = await seedStacks(cfn);
    return {
      digests,
      repositoryCount: 4,
      functionCount: 5,
      activeTaskDefinitionCount,
      stackCount,
      addFunction,
      functionArn: (name) => `arn:aws:lambda:${REGION}:${MOTO_ACCOUNT_ID}:function:${name}`,
      addStack: async (name, template) => {
        await cfn.send(new CreateStackCommand({ StackName: name, TemplateBody: JSON.stringify(template) }));
      },
    };
  } finally {
    ecr.destroy();
    ecs.destroy();
  }
}

/** The digests a repository holds now (IAM checks must be off). */
export async function imageDigests(moto: LocalMoto, repositoryName: string): Promise<string[]> {
  const ecr = ecrClientFor(moto, REGION);
  try {
    const answer = await ecr.send(new DescribeImagesCommand({ repositoryName }));
    return (answer.imageDetails ?? []).map((image) => image.imageDigest!).sort();
  } finally {
    ecr.destroy();
  }
}
