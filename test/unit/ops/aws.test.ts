// The AWS edge of src/ops with mocked SDK clients: every list read to its last page, answers mapped, "gone meanwhile"
// answers told apart from failures, and ECR's 100 image ids per call respected.
import { CloudFormationClient, DescribeStacksCommand, ListStackResourcesCommand } from '@aws-sdk/client-cloudformation';
import {
  BatchDeleteImageCommand,
  BatchGetImageCommand,
  DescribeImagesCommand,
  DescribeRepositoriesCommand,
  ECRClient,
  GetLifecyclePolicyCommand,
  ListTagsForResourceCommand,
} from '@aws-sdk/client-ecr';
import { DescribeTaskDefinitionCommand, ECSClient, ListTaskDefinitionsCommand } from '@aws-sdk/client-ecs';
import { GetFunctionCommand, LambdaClient, ListFunctionsCommand } from '@aws-sdk/client-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { createOpsPort } from '../../../src/ops/aws.js';
import { digest } from './world.js';

const ecr = mockClient(ECRClient);
const lambda = mockClient(LambdaClient);
const ecs = mockClient(ECSClient);
const cfn = mockClient(CloudFormationClient);

/** Answers `pages` in turn, recording each request as sent (paginators reuse one input object, so calls recorded later all show the last token). */
function pages<T>(answers: T[], seen: Record<string, unknown>[]) {
  let next = 0;
  return (input: Record<string, unknown>) => {
    seen.push({ ...input });
    return answers[next++];
  };
}

function serviceError(name: string, message = name): Error {
  return Object.assign(new Error(message), { name, $metadata: {} });
}

afterEach(() => {
  for (const mock of [ecr, lambda, ecs, cfn]) mock.reset();
});

describe('Function: createOpsPort', () => {
  const port = () => createOpsPort({ region: 'eu-west-1' });

  it('reads every page of DescribeRepositories and DescribeImages', async () => {
    const repositoryRequests: Record<string, unknown>[] = [];
    const imageRequests: Record<string, unknown>[] = [];
    ecr
      .on(DescribeRepositoriesCommand)
      .callsFake(
        pages(
          [
            { repositories: [{ repositoryName: 'a', repositoryUri: 'h/a', repositoryArn: 'arn:a' }], nextToken: 't1' },
            { repositories: [{ repositoryName: 'b', repositoryUri: 'h/b', repositoryArn: 'arn:b' }] },
          ],
          repositoryRequests,
        ),
      );
    ecr.on(DescribeImagesCommand).callsFake(
      pages(
        [
          {
            imageDetails: [{ imageDigest: digest(1), imageTags: ['1.0'], imageSizeInBytes: 10, imagePushedAt: new Date(5000), imageManifestMediaType: 'm' }],
            nextToken: 'x',
          },
          { imageDetails: [{ imageDigest: digest(2) }] },
        ],
        imageRequests,
      ),
    );
    expect(await port().listRepositories()).toEqual([
      { name: 'a', uri: 'h/a', arn: 'arn:a' },
      { name: 'b', uri: 'h/b', arn: 'arn:b' },
    ]);
    expect(repositoryRequests.map((input) => input.nextToken)).toEqual([undefined, 't1']);
    expect(await port().listImages('a')).toEqual([
      { digest: digest(1), tags: ['1.0'], sizeBytes: 10, pushedAt: 5000, mediaType: 'm' },
      { digest: digest(2), tags: [] },
    ]);
    expect(imageRequests).toEqual([{ repositoryName: 'a' }, { repositoryName: 'a', nextToken: 'x' }]);
  });

  it('reads every page of ListFunctions, keeping image functions, and maps GetFunction', async () => {
    const listRequests: Record<string, unknown>[] = [];
    lambda.on(ListFunctionsCommand).callsFake(
      pages(
        [
          {
            Functions: [
              { FunctionName: 'img', PackageType: 'Image' },
              { FunctionName: 'zip', PackageType: 'Zip' },
            ],
            NextMarker: 'm',
          },
          { Functions: [{ FunctionName: 'img2', PackageType: 'Image' }] },
        ],
        listRequests,
      ),
    );
    lambda.on(GetFunctionCommand, { FunctionName: 'img' }).resolves({ Code: { ImageUri: 'h/a:1', ResolvedImageUri: `h/a@${digest(1)}` } });
    lambda.on(GetFunctionCommand, { FunctionName: 'gone' }).rejects(serviceError('ResourceNotFoundException'));
    lambda.on(GetFunctionCommand, { FunctionName: 'denied' }).rejects(serviceError('AccessDeniedException'));
    expect(await port().listImageFunctions()).toEqual(['img', 'img2']);
    expect(listRequests.map((input) => input.Marker)).toEqual([undefined, 'm']);
    expect(await port().functionImage('img')).toEqual({ name: 'img', imageUri: 'h/a:1', resolvedImageUri: `h/a@${digest(1)}` });
    expect(await port().functionImage('gone')).toBeUndefined();
    await expect(port().functionImage('denied')).rejects.toMatchObject({ name: 'AccessDeniedException' });
  });

  it('reads every page of ListTaskDefinitions (ACTIVE) and skips a definition deregistered meanwhile', async () => {
    const listRequests: Record<string, unknown>[] = [];
    ecs.on(ListTaskDefinitionsCommand).callsFake(pages([{ taskDefinitionArns: ['arn:td/web:1'], nextToken: 'n' }, { taskDefinitionArns: ['arn:td/web:2'] }], listRequests));
    ecs.on(DescribeTaskDefinitionCommand, { taskDefinition: 'arn:td/web:1' }).resolves({
      taskDefinition: { family: 'web', revision: 1, status: 'ACTIVE', containerDefinitions: [{ name: 'a', image: 'h/a:1' }, { name: 'no-image' }] },
    });
    ecs.on(DescribeTaskDefinitionCommand, { taskDefinition: 'arn:td/web:2' }).resolves({ taskDefinition: { family: 'web', revision: 2, status: 'INACTIVE' } });
    expect(await port().listActiveTaskDefinitions()).toEqual(['arn:td/web:1', 'arn:td/web:2']);
    expect(listRequests).toEqual([{ status: 'ACTIVE' }, { status: 'ACTIVE', nextToken: 'n' }]);
    expect(await port().taskDefinition('arn:td/web:1')).toEqual({ name: 'web:1', containers: [{ name: 'a', image: 'h/a:1' }] });
    expect(await port().taskDefinition('arn:td/web:2')).toBeUndefined();
  });

  it('reads every page of DescribeStacks and ListStackResources, keeping only Custom::ImageMirror; a deleted stack is undefined', async () => {
    cfn
      .on(DescribeStacksCommand)
      .resolvesOnce({
        Stacks: [
          {
            StackName: 'm',
            StackId: 'id-m',
            StackStatus: 'CREATE_COMPLETE',
            CreationTime: new Date(0),
            Parameters: [{ ParameterKey: 'RepositoryPrefix', ParameterValue: 'p' }],
            Outputs: [{ OutputKey: 'MirrorFunctionArn', OutputValue: 'arn', ExportName: 'X-MirrorFunctionArn' }],
          },
        ],
        NextToken: 'page2',
      })
      .resolvesOnce({ Stacks: [{ StackName: 'app', StackId: 'id-app', StackStatus: 'UPDATE_COMPLETE', CreationTime: new Date(0) }] });
    cfn
      .on(ListStackResourcesCommand, { StackName: 'id-app' })
      .resolvesOnce({
        StackResourceSummaries: [
          { LogicalResourceId: 'Fn', ResourceType: 'AWS::Lambda::Function', PhysicalResourceId: 'fn', ResourceStatus: 'CREATE_COMPLETE', LastUpdatedTimestamp: new Date(0) },
        ],
        NextToken: 'r2',
      })
      .resolvesOnce({
        StackResourceSummaries: [
          {
            LogicalResourceId: 'ImageMirror1',
            ResourceType: 'Custom::ImageMirror',
            PhysicalResourceId: `h/a@${digest(1)}`,
            ResourceStatus: 'UPDATE_COMPLETE',
            LastUpdatedTimestamp: new Date(0),
          },
        ],
      });
    cfn.on(ListStackResourcesCommand, { StackName: 'id-gone' }).rejects(serviceError('ValidationError', 'Stack with id id-gone does not exist'));
    cfn.on(ListStackResourcesCommand, { StackName: 'id-denied' }).rejects(serviceError('AccessDenied'));
    expect(await port().listStacks()).toEqual([
      {
        name: 'm',
        id: 'id-m',
        status: 'CREATE_COMPLETE',
        parameters: { RepositoryPrefix: 'p' },
        outputs: [{ key: 'MirrorFunctionArn', value: 'arn', exportName: 'X-MirrorFunctionArn' }],
      },
      { name: 'app', id: 'id-app', status: 'UPDATE_COMPLETE', parameters: {}, outputs: [] },
    ]);
    expect(await port().listMirrorResources('id-app')).toEqual([{ logicalId: 'ImageMirror1', physicalId: `h/a@${digest(1)}`, status: 'UPDATE_COMPLETE' }]);
    expect(await port().listMirrorResources('id-gone')).toBeUndefined();
    await expect(port().listMirrorResources('id-denied')).rejects.toMatchObject({ name: 'AccessDenied' });
  });

  it('reads index manifests 100 digests per BatchGetImage, with every manifest media type accepted', async () => {
    const digests = Array.from({ length: 150 }, (_, i) => digest(`i${i}`));
    ecr.on(BatchGetImageCommand).callsFake((input: { imageIds: { imageDigest: string }[] }) => ({
      images: input.imageIds.map(({ imageDigest }) => ({
        imageId: { imageDigest },
        imageManifest: JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests: [{ digest: digest(`${imageDigest}-child`) }] }),
      })),
    }));
    const children = await port().indexChildren('a', digests);
    expect(children.size).toBe(150);
    expect(children.get(digests[0]!)).toEqual([digest(`${digests[0]}-child`)]);
    const calls = ecr.commandCalls(BatchGetImageCommand).map((call) => call.args[0].input);
    expect(calls.map((input) => input.imageIds?.length)).toEqual([100, 50]);
    expect(calls[0]!.acceptedMediaTypes).toEqual(
      expect.arrayContaining(['application/vnd.oci.image.index.v1+json', 'application/vnd.docker.distribution.manifest.list.v2+json']),
    );
  });

  it('maps tags, a missing lifecycle policy, and deletes 100 digests per BatchDeleteImage with failures kept', async () => {
    ecr.on(ListTagsForResourceCommand).resolves({ tags: [{ Key: 'ManagedBy', Value: 'sysdig-image-fix' }] });
    ecr.on(GetLifecyclePolicyCommand, { repositoryName: 'none' }).rejects(serviceError('LifecyclePolicyNotFoundException'));
    ecr.on(GetLifecyclePolicyCommand, { repositoryName: 'some' }).resolves({ lifecyclePolicyText: '{"rules":[]}' });
    ecr.on(BatchDeleteImageCommand).callsFake((input: { imageIds: { imageDigest: string }[] }) => ({
      imageIds: input.imageIds.slice(1),
      failures: [{ imageId: input.imageIds[0], failureCode: 'ImageReferencedByManifestList', failureReason: 'listed' }],
    }));
    expect(await port().repositoryTags('arn')).toEqual({ ManagedBy: 'sysdig-image-fix' });
    expect(await port().lifecyclePolicy('none')).toBeUndefined();
    expect(await port().lifecyclePolicy('some')).toBe('{"rules":[]}');
    const digests = Array.from({ length: 101 }, (_, i) => digest(`d${i}`));
    const result = await port().deleteImages('a', digests);
    expect(ecr.commandCalls(BatchDeleteImageCommand).map((call) => call.args[0].input.imageIds?.length)).toEqual([100, 1]);
    expect(result.deleted).toHaveLength(99);
    expect(result.failures).toEqual([
      { digest: digests[0], code: 'ImageReferencedByManifestList', reason: 'listed' },
      { digest: digests[100], code: 'ImageReferencedByManifestList', reason: 'listed' },
    ]);
  });

  it('passes the profile to the clients and closes them', async () => {
    const withProfile = createOpsPort({ region: 'eu-west-1', profile: 'ops' });
    ecr.on(DescribeRepositoriesCommand).resolves({ repositories: [] });
    await withProfile.listRepositories();
    const client = ecr.commandCalls(DescribeRepositoriesCommand)[0]!.thisValue as ECRClient;
    expect(client.config.profile).toBe('ops');
    expect(await client.config.region()).toBe('eu-west-1');
    withProfile.close();
  });
});
