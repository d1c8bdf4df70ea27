import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../../src/mirror/core/config.js';
import { MirrorConfigError } from '../../../../src/mirror/core/errors.js';

const ARN = 'arn:aws:lambda:eu-west-1:123456789012:function:sysdig-image-fix-mirror';
const env = { AWS_REGION: 'eu-west-1', CODEBUILD_PROJECT_NAME: 'copy-project' };

describe('Function: loadConfig', () => {
  it('derives location from the function ARN and AWS_REGION and applies defaults', () => {
    const config = loadConfig(env, ARN);
    expect(config).toMatchObject({
      partition: 'aws',
      region: 'eu-west-1',
      accountId: '123456789012',
      urlSuffix: 'amazonaws.com',
      functionArn: ARN,
      projectName: 'copy-project',
      buildLogGroupName: undefined,
      defaultRepositoryPrefix: 'sysdig-image-fix',
      imageTagMutability: 'MUTABLE',
      kmsKeyArn: undefined,
      registryCredentialsSecretArn: undefined,
    });
    expect([...config.registryEndpoints]).toEqual([]);
  });

  it('reads the China partition and keeps an alias qualifier for the self-invoke', () => {
    const arn = 'arn:aws-cn:lambda:cn-north-1:123456789012:function:mirror:live';
    expect(loadConfig({ ...env, AWS_REGION: 'cn-north-1' }, arn)).toMatchObject({ partition: 'aws-cn', urlSuffix: 'amazonaws.com.cn', functionArn: arn });
  });

  it('treats blank optional settings as unset and reads the set ones', () => {
    const config = loadConfig(
      {
        ...env,
        KMS_KEY_ARN: '',
        REGISTRY_CREDENTIALS_SECRET_ARN: ' ',
        IMAGE_TAG_MUTABILITY: 'IMMUTABLE',
        REPOSITORY_PREFIX: 'mirrors',
        BUILD_LOG_GROUP_NAME: '/aws/codebuild/copy',
        REGISTRY_ENDPOINTS: '{"quay.io": "http://127.0.0.1:5000"}',
      },
      ARN,
    );
    expect(config).toMatchObject({
      kmsKeyArn: undefined,
      registryCredentialsSecretArn: undefined,
      imageTagMutability: 'IMMUTABLE',
      defaultRepositoryPrefix: 'mirrors',
      buildLogGroupName: '/aws/codebuild/copy',
    });
    expect(config.registryEndpoints.get('quay.io')).toBe('http://127.0.0.1:5000');
  });

  it('reads the ECR sources it may mirror: any when unset (an older macro stack), none when empty, else the patterns', () => {
    expect(loadConfig(env, ARN).ecrSources).toEqual({ kind: 'any' });
    expect(loadConfig({ ...env, ECR_SOURCE_REPOSITORY_ARNS: '' }, ARN).ecrSources).toEqual({ kind: 'none' });
    expect(loadConfig({ ...env, ECR_SOURCE_REPOSITORY_ARNS: 'arn:aws:ecr:*:123456789012:repository/team/*' }, ARN).ecrSources).toEqual({
      kind: 'patterns',
      patterns: ['arn:aws:ecr:*:123456789012:repository/team/*'],
    });
  });

  it.each([
    [{ AWS_REGION: 'Europe' }, ARN, 'AWS_REGION'],
    [env, 'not-an-arn', 'invokedFunctionArn'],
    [env, undefined, 'invokedFunctionArn'],
    [{ AWS_REGION: 'eu-west-1' }, ARN, 'CODEBUILD_PROJECT_NAME'],
    [{ ...env, CODEBUILD_PROJECT_NAME: 'bad name' }, ARN, 'CODEBUILD_PROJECT_NAME'],
    [{ ...env, BUILD_LOG_GROUP_NAME: 'a b' }, ARN, 'BUILD_LOG_GROUP_NAME'],
    [{ ...env, REPOSITORY_PREFIX: 'UPPER' }, ARN, 'REPOSITORY_PREFIX'],
    [{ ...env, KMS_KEY_ARN: 'key; rm' }, ARN, 'KMS_KEY_ARN'],
    [{ ...env, REGISTRY_CREDENTIALS_SECRET_ARN: 'arn:aws:s3:::bucket' }, ARN, 'REGISTRY_CREDENTIALS_SECRET_ARN'],
    [{ ...env, REGISTRY_ENDPOINTS: '["quay.io"]' }, ARN, 'REGISTRY_ENDPOINTS'],
    [{ ...env, ECR_SOURCE_REPOSITORY_ARNS: 'team/*' }, ARN, 'ECR_SOURCE_REPOSITORY_ARNS'],
  ])('rejects %o / %s naming %s', (environment, arn, variable) => {
    let thrown: unknown;
    try {
      loadConfig(environment, arn);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(MirrorConfigError);
    expect((thrown as MirrorConfigError).variable).toContain(variable);
  });
});
