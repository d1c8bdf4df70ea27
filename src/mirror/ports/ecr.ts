// The ECR adapter: repositories, their policy, images, and authorization tokens.
import {
  CreateRepositoryCommand,
  DescribeImagesCommand,
  type ECRClient,
  GetAuthorizationTokenCommand,
  GetRepositoryPolicyCommand,
  ListTagsForResourceCommand,
  SetRepositoryPolicyCommand,
  TagResourceCommand,
  UntagResourceCommand,
} from '@aws-sdk/client-ecr';
import type { CallContext } from '../core/budget.js';
import { awsErrorName } from '../core/errors.js';
import { mergeStatement } from '../core/policy.js';
import { sendOptions } from './sdk.js';
import type { AwsPorts } from './types.js';

/** The ECR ports over one client (made on first use by `client`). */
export function ecrPorts(
  client: () => ECRClient,
): Pick<AwsPorts, 'ensureRepository' | 'ensureRepositoryPolicy' | 'imageTags' | 'repositoryTags' | 'tagRepository' | 'untagRepository'> {
  return {
    async ensureRepository(spec, call) {
      try {
        await client().send(
          new CreateRepositoryCommand({
            repositoryName: spec.repositoryName,
            imageTagMutability: spec.imageTagMutability,
            imageScanningConfiguration: { scanOnPush: true },
            encryptionConfiguration: spec.kmsKeyArn !== undefined ? { encryptionType: 'KMS', kmsKey: spec.kmsKeyArn } : { encryptionType: 'AES256' },
            tags: Object.entries(spec.tags).map(([Key, Value]) => ({ Key, Value })),
          }),
          sendOptions(call),
        );
        return 'created';
      } catch (error) {
        if (awsErrorName(error) === 'RepositoryAlreadyExistsException') return 'existed';
        throw error;
      }
    },

    async ensureRepositoryPolicy(repositoryName, statement, call) {
      let existing: string | undefined;
      try {
        existing = (await client().send(new GetRepositoryPolicyCommand({ repositoryName }), sendOptions(call))).policyText;
      } catch (error) {
        if (awsErrorName(error) !== 'RepositoryPolicyNotFoundException') throw error;
      }
      const merged = mergeStatement(existing, statement);
      if (!merged.changed) return 'unchanged';
      await client().send(new SetRepositoryPolicyCommand({ repositoryName, policyText: merged.document }), sendOptions(call));
      return 'written';
    },

    async imageTags(repositoryName, digest, call) {
      try {
        const answer = await client().send(new DescribeImagesCommand({ repositoryName, imageIds: [{ imageDigest: digest }] }), sendOptions(call));
        const image = (answer.imageDetails ?? []).find((candidate) => candidate.imageDigest === digest);
        // ECR leaves imageTags out for an untagged image: that image is there, with no tag.
        return image === undefined ? undefined : (image.imageTags ?? []);
      } catch (error) {
        if (awsErrorName(error) === 'ImageNotFoundException') return undefined;
        throw error;
      }
    },

    async repositoryTags(resourceArn, call) {
      const answer = await client().send(new ListTagsForResourceCommand({ resourceArn }), sendOptions(call));
      return Object.fromEntries((answer.tags ?? []).map((tag) => [tag.Key ?? '', tag.Value ?? '']));
    },

    async tagRepository(resourceArn, tags, call) {
      await client().send(new TagResourceCommand({ resourceArn, tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })) }), sendOptions(call));
    },

    async untagRepository(resourceArn, keys, call) {
      await client().send(new UntagResourceCommand({ resourceArn, tagKeys: [...keys] }), sendOptions(call));
    },
  };
}

/** GetAuthorizationToken of `client`'s region: the base64 `user:password` token, as ECR returns it. */
export async function ecrAuthorizationToken(client: ECRClient, call: CallContext | undefined): Promise<string | undefined> {
  const answer = await client.send(new GetAuthorizationTokenCommand({}), call ? sendOptions(call) : {});
  return answer.authorizationData?.[0]?.authorizationToken;
}
