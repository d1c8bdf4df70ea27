// The typed failures of the mirror function: what each says to the person reading the stack events, the class name
// the log records, and how any other thrown value is described.
import { describe, expect, it } from 'vitest';
import {
  awsErrorName,
  BuildError,
  CopyError,
  describeError,
  InvalidPropertiesError,
  MirrorConfigError,
  MirrorError,
  PolicyDocumentError,
  RegistryCredentialsError,
  RepositoryError,
  SourceImageError,
} from '../../../../src/mirror/core/errors.js';
import { CallTimeoutError } from '../../../../src/mirror/core/budget.js';

const SECRET = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:creds-AbCdEf';

describe('Function: describeError', () => {
  it('gives our errors their message alone: the class name says nothing to the reader', () => {
    expect(describeError(new MirrorError('Cannot mirror quay.io/a/b'))).toBe('Cannot mirror quay.io/a/b');
    expect(describeError(new SourceImageError('quay.io/a/b:1', 'quay.io/a/b:1 was not found'))).toBe('quay.io/a/b:1 was not found');
    expect(describeError(new CallTimeoutError('ECR CreateRepository', 20_000, 'call'))).toBe('ECR CreateRepository did not answer within 20 s');
  });

  it('names the class of other errors, unless their message already starts with it or it is plain Error', () => {
    expect(describeError(new TypeError('fetch failed'))).toBe('TypeError: fetch failed');
    expect(describeError(Object.assign(new Error('User is not authorized'), { name: 'AccessDeniedException' }))).toBe('AccessDeniedException: User is not authorized');
    expect(describeError(Object.assign(new Error('ThrottlingException: Rate exceeded'), { name: 'ThrottlingException' }))).toBe('ThrottlingException: Rate exceeded');
    expect(describeError(new Error('boom'))).toBe('boom');
    expect(describeError(Object.assign(new Error('no name'), { name: '' }))).toBe('no name');
    expect(describeError(new PolicyDocumentError('the repository policy is not a JSON object'))).toBe('PolicyDocumentError: the repository policy is not a JSON object');
  });

  it('describes anything else thrown as its string', () => {
    expect(describeError('a string')).toBe('a string');
    expect(describeError(42)).toBe('42');
    expect(describeError(undefined)).toBe('undefined');
  });
});

describe('Function: awsErrorName', () => {
  it('reads the exception shape from name, and nothing from what has no string name', () => {
    expect(awsErrorName(Object.assign(new Error('x'), { name: 'RepositoryAlreadyExistsException' }))).toBe('RepositoryAlreadyExistsException');
    expect(awsErrorName({ name: 'ImageNotFoundException' })).toBe('ImageNotFoundException');
    for (const value of [null, undefined, 'RepositoryAlreadyExistsException', 42, { name: 42 }, {}]) expect(awsErrorName(value)).toBeUndefined();
  });
});

describe('Class: the typed errors', () => {
  it('InvalidPropertiesError lists every problem, naming each property', () => {
    const error = new InvalidPropertiesError([
      { property: 'SourceImage', problem: 'is required' },
      { property: 'Architecture', problem: 'must be x86_64 or arm64, not "sparc"' },
    ]);
    expect(error.message).toBe('Invalid Custom::ImageMirror properties: SourceImage is required; Architecture must be x86_64 or arm64, not "sparc"');
    expect(error.problems).toHaveLength(2);
  });

  it('MirrorConfigError names the setting and says where to fix it', () => {
    const error = new MirrorConfigError('KMS_KEY_ARN', 'is not a KMS key ARN, key id or alias');
    expect(error.message).toBe(
      "The mirror function's setting KMS_KEY_ARN is not a KMS key ARN, key id or alias. Fix it in the SysdigImageFix macro stack and redeploy that stack",
    );
    expect(error.variable).toBe('KMS_KEY_ARN');
  });

  it('RegistryCredentialsError names the secret and keeps the cause', () => {
    const cause = new Error('AccessDenied');
    const error = new RegistryCredentialsError(SECRET, 'could not be read', { cause });
    expect(error.message).toBe(`Registry credentials secret ${SECRET} could not be read`);
    expect(error.secretArn).toBe(SECRET);
    expect(error.cause).toBe(cause);
  });

  it('each class has its own name (what the log records of it) and keeps what it names', () => {
    const errors = [
      new MirrorError('m'),
      new InvalidPropertiesError([]),
      new MirrorConfigError('AWS_REGION', 'is not set'),
      new RegistryCredentialsError(SECRET, 'is empty'),
      new SourceImageError('quay.io/a/b:1', 'm'),
      new RepositoryError('sysdig-image-fix/quay.io/a/b', 'm'),
      new BuildError('copy:1', 'm'),
      new CopyError('m'),
      new PolicyDocumentError('m'),
      new CallTimeoutError('ECR CreateRepository', 20_000, 'call'),
    ];
    expect(errors.map((error) => error.name)).toEqual([
      'MirrorError',
      'InvalidPropertiesError',
      'MirrorConfigError',
      'RegistryCredentialsError',
      'SourceImageError',
      'RepositoryError',
      'BuildError',
      'CopyError',
      'PolicyDocumentError',
      'CallTimeoutError',
    ]);
    expect(errors.slice(0, 8).every((error) => error instanceof MirrorError)).toBe(true);
    expect(new SourceImageError('quay.io/a/b:1', 'm').image).toBe('quay.io/a/b:1');
    expect(new RepositoryError('sysdig-image-fix/quay.io/a/b', 'm').repositoryName).toBe('sysdig-image-fix/quay.io/a/b');
    expect(new BuildError(undefined, 'm').buildId).toBeUndefined();
  });
});
