// What an operator reads when the macro stack passes the mirror function an unusable setting: the setting, what is
// wrong with it (the value, cut short), and that the stack is where to fix it. Also the edges of what is accepted.
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../../src/mirror/core/config.js';
import { MirrorConfigError } from '../../../../src/mirror/core/errors.js';

const ARN = 'arn:aws:lambda:eu-west-1:123456789012:function:sysdig-image-fix-mirror';
const env = { AWS_REGION: 'eu-west-1', CODEBUILD_PROJECT_NAME: 'copy-project' };
const FIX = '. Fix it in the SysdigImageFix macro stack and redeploy that stack';

function refusal(environment: Record<string, string | undefined>, ...context: [arn: unknown] | []): string {
  try {
    loadConfig(environment, context.length === 0 ? ARN : context[0]);
  } catch (error) {
    expect(error).toBeInstanceOf(MirrorConfigError);
    const message = (error as Error).message;
    expect(message.endsWith(FIX)).toBe(true);
    return message.slice(0, -FIX.length);
  }
  throw new Error(`accepted ${JSON.stringify(environment)}`);
}

describe('Function: loadConfig (what a refusal says)', () => {
  it('names AWS_REGION unset, blank or not a region', () => {
    expect(refusal({ CODEBUILD_PROJECT_NAME: 'p' })).toBe("The mirror function's setting AWS_REGION is not set");
    expect(refusal({ ...env, AWS_REGION: '  ' })).toBe("The mirror function's setting AWS_REGION is not set");
    expect(refusal({ ...env, AWS_REGION: 'Europe' })).toBe(`The mirror function's setting AWS_REGION is not a region name: "Europe"`);
  });

  it('names a context without a function ARN, quoting at most 200 characters of it', () => {
    expect(refusal(env, undefined)).toBe(`The mirror function's setting invokedFunctionArn (Lambda context) is not a Lambda function ARN: ""`);
    expect(refusal(env, 42)).toBe(`The mirror function's setting invokedFunctionArn (Lambda context) is not a Lambda function ARN: ""`);
    const long = `arn:aws:lambda:eu-west-1:123456789012:function:${'f'.repeat(300)}`;
    expect(refusal(env, long)).toBe(`The mirror function's setting invokedFunctionArn (Lambda context) is not a Lambda function ARN: ${JSON.stringify(long.slice(0, 200))}`);
  });

  it('names the CodeBuild project, log group, prefix, KMS key and secret that are unusable', () => {
    expect(refusal({ AWS_REGION: 'eu-west-1' })).toBe("The mirror function's setting CODEBUILD_PROJECT_NAME is not set");
    expect(refusal({ ...env, CODEBUILD_PROJECT_NAME: 'bad name' })).toBe("The mirror function's setting CODEBUILD_PROJECT_NAME is not a CodeBuild project name");
    expect(refusal({ ...env, BUILD_LOG_GROUP_NAME: 'a b' })).toBe("The mirror function's setting BUILD_LOG_GROUP_NAME is not a CloudWatch Logs group name");
    expect(refusal({ ...env, REPOSITORY_PREFIX: 'UPPER' })).toBe(
      `The mirror function's setting REPOSITORY_PREFIX must be lower-case letters and digits separated by single ".", "_", "-" or "/" (an ECR repository name)`,
    );
    expect(refusal({ ...env, KMS_KEY_ARN: 'key; rm' })).toBe("The mirror function's setting KMS_KEY_ARN is not a KMS key ARN, key id or alias");
    expect(refusal({ ...env, REGISTRY_CREDENTIALS_SECRET_ARN: 'arn:aws:s3:::bucket' })).toBe(
      "The mirror function's setting REGISTRY_CREDENTIALS_SECRET_ARN is not a Secrets Manager secret ARN",
    );
  });

  it('quotes at most 50 characters of a wrong mutability or copy engine, and names the valid ones', () => {
    expect(refusal({ ...env, IMAGE_TAG_MUTABILITY: 'mutable' })).toBe(`The mirror function's setting IMAGE_TAG_MUTABILITY must be MUTABLE or IMMUTABLE, not "mutable"`);
    expect(refusal({ ...env, IMAGE_TAG_MUTABILITY: 'X'.repeat(80) })).toBe(
      `The mirror function's setting IMAGE_TAG_MUTABILITY must be MUTABLE or IMMUTABLE, not "${'X'.repeat(50)}"`,
    );
    expect(refusal({ ...env, COPY_ENGINE: 'skopeo' })).toBe(`The mirror function's setting COPY_ENGINE must be codebuild or function, not "skopeo"`);
    expect(refusal({ ...env, COPY_ENGINE: 'y'.repeat(80) })).toBe(`The mirror function's setting COPY_ENGINE must be codebuild or function, not "${'y'.repeat(50)}"`);
  });

  it('passes on what is wrong with REGISTRY_ENDPOINTS and the ECR sources', () => {
    expect(refusal({ ...env, REGISTRY_ENDPOINTS: '["quay.io"]' })).toBe(
      `The mirror function's setting REGISTRY_ENDPOINTS is unusable: environment variable REGISTRY_ENDPOINTS must be a JSON object mapping registry hosts to base URLs, such as {"quay.io": "https://quay-proxy.example.com"}`,
    );
    expect(refusal({ ...env, ECR_SOURCE_REPOSITORY_ARNS: 'team/*' })).toBe(
      `The mirror function's setting ECR_SOURCE_REPOSITORY_ARNS has "team/*", which is not an ECR repository ARN pattern (arn:<partition>:ecr:<region>:<account>:repository/<name>, with * and ? wildcards)`,
    );
  });
});

describe('Function: loadConfig (what the log records)', () => {
  it("keeps the endpoint map's own error as the cause of an unusable REGISTRY_ENDPOINTS", () => {
    let thrown: unknown;
    try {
      loadConfig({ ...env, REGISTRY_ENDPOINTS: '{nope' }, ARN);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(MirrorConfigError);
    expect((thrown as Error).cause).toBeInstanceOf(Error);
    expect((thrown as Error).message).toContain(((thrown as Error).cause as Error).message);
  });
});

describe('Function: loadConfig (what it accepts)', () => {
  it('trims the settings it reads and takes each copy engine', () => {
    const config = loadConfig(
      { ...env, AWS_REGION: ' eu-west-1 ', CODEBUILD_PROJECT_NAME: ' copy-project ', IMAGE_TAG_MUTABILITY: ' IMMUTABLE ', COPY_ENGINE: ' function ' },
      ARN,
    );
    expect(config).toMatchObject({ region: 'eu-west-1', projectName: 'copy-project', imageTagMutability: 'IMMUTABLE', copyEngine: 'function' });
    expect(loadConfig(env, ARN).copyEngine).toBe('codebuild');
    expect(loadConfig({ ...env, COPY_ENGINE: 'codebuild' }, ARN).copyEngine).toBe('codebuild');
  });

  it('takes every form of KMS key CreateRepository does, and a secret ARN', () => {
    for (const key of [
      'arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab',
      'arn:aws-us-gov:kms:us-gov-west-1:123456789012:alias/ecr',
      '1234abcd-12ab-34cd-56ef-1234567890ab',
      'alias/ecr/mirrors',
      `mrk-${'0'.repeat(32)}`,
    ]) {
      expect(loadConfig({ ...env, KMS_KEY_ARN: key }, ARN).kmsKeyArn).toBe(key);
    }
    for (const key of [
      'arn:aws:kms:eu-west-1:123456789012:key/',
      'alias/',
      `mrk-${'0'.repeat(31)}`,
      `x${'1234abcd-12ab-34cd-56ef-1234567890ab'}`,
      '1234abcd-12ab-34cd-56ef-1234567890a',
      '1234abcd-12ab-34cd-56ef-1234567890abc',
    ]) {
      expect(() => loadConfig({ ...env, KMS_KEY_ARN: key }, ARN)).toThrow('KMS_KEY_ARN');
    }
    const secret = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:registry/creds-AbCdEf';
    expect(loadConfig({ ...env, REGISTRY_CREDENTIALS_SECRET_ARN: secret }, ARN).registryCredentialsSecretArn).toBe(secret);
  });

  it('takes a function ARN with a version or alias, and refuses one of another service or without an account', () => {
    expect(loadConfig(env, `${ARN}:7`).functionArn).toBe(`${ARN}:7`);
    for (const arn of [
      'arn:aws:iam::123456789012:role/mirror',
      'arn:aws:lambda:eu-west-1::function:mirror',
      'arn:aws:lambda:eu-west-1:12345678901:function:mirror',
      `${ARN}:a:b`,
      `x${ARN}`,
    ]) {
      expect(() => loadConfig(env, arn), arn).toThrow('invokedFunctionArn');
    }
  });

  it('takes project and log group names at their edges', () => {
    expect(loadConfig({ ...env, CODEBUILD_PROJECT_NAME: 'ab' }, ARN).projectName).toBe('ab');
    expect(() => loadConfig({ ...env, CODEBUILD_PROJECT_NAME: 'a' }, ARN)).toThrow('CODEBUILD_PROJECT_NAME');
    expect(() => loadConfig({ ...env, CODEBUILD_PROJECT_NAME: '-ab' }, ARN)).toThrow('CODEBUILD_PROJECT_NAME');
    expect(() => loadConfig({ ...env, CODEBUILD_PROJECT_NAME: 'a'.repeat(256) }, ARN)).toThrow('CODEBUILD_PROJECT_NAME');
    expect(loadConfig({ ...env, CODEBUILD_PROJECT_NAME: 'a'.repeat(255) }, ARN).projectName).toHaveLength(255);
    expect(loadConfig({ ...env, BUILD_LOG_GROUP_NAME: '/aws/codebuild/a#b.c_d-e' }, ARN).buildLogGroupName).toBe('/aws/codebuild/a#b.c_d-e');
    expect(() => loadConfig({ ...env, BUILD_LOG_GROUP_NAME: 'g'.repeat(513) }, ARN)).toThrow('BUILD_LOG_GROUP_NAME');
  });
});
