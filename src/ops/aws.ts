// The one module of src/ops that talks to AWS: every call `mirrors` and `prune` make, through the SDK's paginators
// (every page of every list), with credentials from the SDK's default chain (`profile` picks a named profile).
// Only what a caller needs comes back; deciding what it means is the pure modules' work.
import { CloudFormationClient, paginateDescribeStacks, paginateListStackResources } from '@aws-sdk/client-cloudformation';
import {
  BatchDeleteImageCommand,
  BatchGetImageCommand,
  ECRClient,
  GetLifecyclePolicyCommand,
  ListTagsForResourceCommand,
  paginateDescribeImages,
  paginateDescribeRepositories,
} from '@aws-sdk/client-ecr';
import { DescribeTaskDefinitionCommand, ECSClient, paginateListTaskDefinitions } from '@aws-sdk/client-ecs';
import { GetFunctionCommand, LambdaClient, paginateListFunctions } from '@aws-sdk/client-lambda';
import { MIRROR_RESOURCE_TYPE } from '../contract.js';
import { awsErrorName } from '../mirror/core/errors.js';
import { MANIFEST_MEDIA_TYPES } from '../mirror/registry/media.js';
import { indexChildDigests } from './manifests.js';
import type { DeleteResult, ImageRecord, MirrorResourceRecord, OpsPort, StackRecord } from './types.js';

export interface OpsAwsOptions {
  readonly region: string;
  /** A named profile of the shared config files; otherwise the default chain (environment, SSO, instance role, ...). */
  readonly profile?: string;
}

/** ECR's limit of image ids per BatchGetImage and BatchDeleteImage call. */
const IMAGE_IDS_PER_CALL = 100;

/**
 * The clients every call shares: bounded connection and request time (a silent endpoint must not hang the CLI), and
 * adaptive retries, since an account's every function and stack is read (a throttled call that still fails is
 * reported as unreadable, which blocks prune).
 */
function clientConfig(options: OpsAwsOptions) {
  return {
    region: options.region,
    maxAttempts: 6,
    retryMode: 'adaptive',
    ...(options.profile !== undefined ? { profile: options.profile } : {}),
    requestHandler: { connectionTimeout: 5_000, requestTimeout: 30_000, throwOnRequestTimeout: true },
  };
}

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let start = 0; start < items.length; start += size) out.push(items.slice(start, start + size));
  return out;
}

function toStackRecord(stack: {
  StackName?: string;
  StackId?: string;
  StackStatus?: string;
  Parameters?: { ParameterKey?: string; ParameterValue?: string; ResolvedValue?: string }[];
  Outputs?: { OutputKey?: string; OutputValue?: string; ExportName?: string }[];
}): StackRecord {
  const parameters: Record<string, string> = {};
  for (const parameter of stack.Parameters ?? []) {
    if (parameter.ParameterKey !== undefined) parameters[parameter.ParameterKey] = parameter.ResolvedValue ?? parameter.ParameterValue ?? '';
  }
  return {
    name: stack.StackName ?? '',
    id: stack.StackId ?? stack.StackName ?? '',
    status: stack.StackStatus ?? '',
    parameters,
    outputs: (stack.Outputs ?? []).map((output) => ({
      key: output.OutputKey ?? '',
      value: output.OutputValue ?? '',
      ...(output.ExportName !== undefined ? { exportName: output.ExportName } : {}),
    })),
  };
}

function toImageRecord(image: { imageDigest?: string; imageTags?: string[]; imageSizeInBytes?: number; imagePushedAt?: Date; imageManifestMediaType?: string }): ImageRecord {
  return {
    digest: image.imageDigest ?? '',
    tags: image.imageTags ?? [],
    ...(image.imageSizeInBytes !== undefined ? { sizeBytes: image.imageSizeInBytes } : {}),
    ...(image.imagePushedAt !== undefined ? { pushedAt: image.imagePushedAt.getTime() } : {}),
    ...(image.imageManifestMediaType !== undefined ? { mediaType: image.imageManifestMediaType } : {}),
  };
}

function cloudFormationPort(cfn: CloudFormationClient): Pick<OpsPort, 'listStacks' | 'listMirrorResources'> {
  return {
    async listStacks() {
      const stacks: StackRecord[] = [];
      for await (const page of paginateDescribeStacks({ client: cfn }, {})) stacks.push(...(page.Stacks ?? []).map(toStackRecord));
      return stacks;
    },
    async listMirrorResources(stackId) {
      const mirrors: MirrorResourceRecord[] = [];
      try {
        for await (const page of paginateListStackResources({ client: cfn }, { StackName: stackId })) {
          for (const resource of page.StackResourceSummaries ?? []) {
            if (resource.ResourceType !== MIRROR_RESOURCE_TYPE) continue;
            mirrors.push({
              logicalId: resource.LogicalResourceId ?? '',
              ...(resource.PhysicalResourceId ? { physicalId: resource.PhysicalResourceId } : {}),
              status: resource.ResourceStatus ?? '',
            });
          }
        }
      } catch (error) {
        // Deleted between DescribeStacks and now: CloudFormation answers ValidationError "Stack ... does not exist".
        if (awsErrorName(error) === 'ValidationError' && /does not exist/.test(String((error as Error).message))) return undefined;
        throw error;
      }
      return mirrors;
    },
  };
}

function ecrPort(ecr: ECRClient): Pick<OpsPort, 'listRepositories' | 'repositoryTags' | 'listImages' | 'indexChildren' | 'lifecyclePolicy' | 'deleteImages'> {
  return {
    async listRepositories() {
      const repositories = [];
      for await (const page of paginateDescribeRepositories({ client: ecr }, {})) {
        for (const repository of page.repositories ?? []) {
          repositories.push({ name: repository.repositoryName ?? '', uri: repository.repositoryUri ?? '', arn: repository.repositoryArn ?? '' });
        }
      }
      return repositories;
    },
    async repositoryTags(arn) {
      const answer = await ecr.send(new ListTagsForResourceCommand({ resourceArn: arn }));
      return Object.fromEntries((answer.tags ?? []).map((tag) => [tag.Key ?? '', tag.Value ?? '']));
    },
    async listImages(repositoryName) {
      const images: ImageRecord[] = [];
      for await (const page of paginateDescribeImages({ client: ecr }, { repositoryName })) images.push(...(page.imageDetails ?? []).map(toImageRecord));
      return images;
    },
    async indexChildren(repositoryName, digests) {
      const children = new Map<string, string[]>();
      for (const batch of chunks(digests, IMAGE_IDS_PER_CALL)) {
        const answer = await ecr.send(
          new BatchGetImageCommand({ repositoryName, imageIds: batch.map((imageDigest) => ({ imageDigest })), acceptedMediaTypes: [...MANIFEST_MEDIA_TYPES] }),
        );
        for (const image of answer.images ?? []) {
          const digest = image.imageId?.imageDigest;
          const listed = indexChildDigests(image.imageManifest);
          if (digest !== undefined && listed !== undefined) children.set(digest, listed);
        }
      }
      return children;
    },
    async lifecyclePolicy(repositoryName) {
      try {
        return (await ecr.send(new GetLifecyclePolicyCommand({ repositoryName }))).lifecyclePolicyText;
      } catch (error) {
        if (awsErrorName(error) === 'LifecyclePolicyNotFoundException') return undefined;
        throw error;
      }
    },
    async deleteImages(repositoryName, digests): Promise<DeleteResult> {
      const deleted: string[] = [];
      const failures: DeleteResult['failures'][number][] = [];
      for (const batch of chunks(digests, IMAGE_IDS_PER_CALL)) {
        const answer = await ecr.send(new BatchDeleteImageCommand({ repositoryName, imageIds: batch.map((imageDigest) => ({ imageDigest })) }));
        for (const id of answer.imageIds ?? []) if (id.imageDigest !== undefined && !deleted.includes(id.imageDigest)) deleted.push(id.imageDigest);
        for (const failure of answer.failures ?? []) {
          failures.push({ digest: failure.imageId?.imageDigest ?? '', code: failure.failureCode ?? '', reason: failure.failureReason ?? '' });
        }
      }
      return { deleted, failures };
    },
  };
}

function consumerPorts(lambda: LambdaClient, ecs: ECSClient): Pick<OpsPort, 'listImageFunctions' | 'functionImage' | 'listActiveTaskDefinitions' | 'taskDefinition'> {
  return {
    async listImageFunctions() {
      const names: string[] = [];
      for await (const page of paginateListFunctions({ client: lambda }, {})) {
        for (const fn of page.Functions ?? []) if (fn.PackageType === 'Image' && fn.FunctionName !== undefined) names.push(fn.FunctionName);
      }
      return names;
    },
    async functionImage(name) {
      try {
        const code = (await lambda.send(new GetFunctionCommand({ FunctionName: name }))).Code;
        return { name, ...(code?.ImageUri ? { imageUri: code.ImageUri } : {}), ...(code?.ResolvedImageUri ? { resolvedImageUri: code.ResolvedImageUri } : {}) };
      } catch (error) {
        if (awsErrorName(error) === 'ResourceNotFoundException') return undefined;
        throw error;
      }
    },
    async listActiveTaskDefinitions() {
      const arns: string[] = [];
      for await (const page of paginateListTaskDefinitions({ client: ecs }, { status: 'ACTIVE' })) arns.push(...(page.taskDefinitionArns ?? []));
      return arns;
    },
    async taskDefinition(arn) {
      const definition = (await ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: arn }))).taskDefinition;
      // Deregistered since it was listed: no longer ACTIVE, so no longer a user.
      if (definition === undefined || (definition.status !== undefined && definition.status !== 'ACTIVE')) return undefined;
      return {
        name: `${definition.family ?? arn}:${definition.revision ?? ''}`,
        containers: (definition.containerDefinitions ?? []).filter((c) => c.image !== undefined).map((c) => ({ name: c.name ?? '', image: c.image! })),
      };
    },
  };
}

/** The port over real SDK clients; `close` releases their connections. */
export function createOpsPort(options: OpsAwsOptions): OpsPort & { close(): void } {
  const config = clientConfig(options);
  const cfn = new CloudFormationClient(config);
  const ecr = new ECRClient(config);
  const lambda = new LambdaClient(config);
  const ecs = new ECSClient(config);
  return {
    ...cloudFormationPort(cfn),
    ...ecrPort(ecr),
    ...consumerPorts(lambda, ecs),
    close() {
      for (const client of [cfn, ecr, lambda, ecs]) client.destroy();
    },
  };
}
