// The macro stack's contract with the rest of the project, read from template.yaml and samconfig.toml.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MIRROR_FUNCTION_ARN_EXPORT } from '../../../src/cli/help.js';
import { COPY_ENGINES, DEFAULT_SERVICE_TIMEOUT, MACRO_NAME, MacroEnv, MirrorEnv, SERVICE_TIMEOUT_MAX, SERVICE_TIMEOUT_MIN } from '../../../src/contract.js';
import { DEFAULT_REPOSITORY_PREFIX, repositoryPrefixProblem } from '../../../src/reference/index.js';
import type { Json, JsonObject } from '../../../src/template/types.js';
import { TEMPLATE_PATH, parseTemplate } from '../../../scripts/package-stackset.js';
import { ECR_SOURCES_ENV } from '../../../src/mirror/core/ecr-sources.js';
import { DEFAULT_PSEUDO, auditPolicies, decideResources, policyStatements } from './policy-audit.js';

const template = parseTemplate(readFileSync(TEMPLATE_PATH, 'utf8'));
const parameters = template.Parameters as Record<string, JsonObject>;
const resources = template.Resources as Record<string, JsonObject>;
const outputs = template.Outputs as Record<string, JsonObject>;

const propertiesOf = (logicalId: string): JsonObject => resources[logicalId]!.Properties as JsonObject;
const allowedPattern = (name: string): RegExp => new RegExp(parameters[name]!.AllowedPattern as string);
const getAtt = (id: string, attribute: string): Json => ({ 'Fn::GetAtt': [id, attribute] });
const ref = (name: string): Json => ({ Ref: name });

/** CloudWatch Logs retention values (PutRetentionPolicy). */
const LOG_RETENTION_DAYS = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653];
const SECRET_ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:registry/quay-AbCdEf';
const KEY_ARN = 'arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';

describe('template.yaml: parameters', () => {
  it('has the documented defaults', () => {
    const defaults = Object.fromEntries(Object.entries(parameters).map(([name, p]) => [name, p.Default]));
    expect(defaults).toEqual({
      MacroName: MACRO_NAME,
      RepositoryPrefix: DEFAULT_REPOSITORY_PREFIX,
      ImageTagMutability: 'MUTABLE',
      KmsKeyArn: '',
      RegistryCredentialsSecretArn: '',
      EcrSourceRepositoryArns: '*',
      CopyEngine: 'codebuild',
      MirrorMemorySize: 256,
      BuildImage: 'aws/codebuild/standard:7.0',
      BuildComputeType: 'BUILD_GENERAL1_SMALL',
      BuildTimeoutInMinutes: 30,
      MirrorServiceTimeout: DEFAULT_SERVICE_TIMEOUT,
      LogRetentionInDays: 30,
    });
  });

  it('accepts exactly the repository prefixes the macro and the mirror function accept', () => {
    const pattern = allowedPattern('RepositoryPrefix');
    const maxLength = parameters.RepositoryPrefix!.MaxLength as number;
    const samples = ['sysdig-image-fix', 'team/mirror', 'a.b_c-d', 'a', 'x'.repeat(200), 'x'.repeat(201), 'UPPER', 'a//b', 'a--b', '-a', 'a/', '', 'a b'];
    for (const sample of samples) {
      expect(pattern.test(sample) && sample.length <= maxLength, sample).toBe(repositoryPrefixProblem(sample) === undefined);
    }
  });

  it('keeps MacroName short enough for the derived function names (64 characters)', () => {
    const pattern = allowedPattern('MacroName');
    const longest = `A${'a'.repeat(47)}`;
    expect(pattern.test(longest)).toBe(true);
    expect(pattern.test(`${longest}a`)).toBe(false);
    expect(`${longest}-mirror`.length).toBeLessThanOrEqual(64);
    expect(pattern.test(MACRO_NAME)).toBe(true);
    expect(pattern.test('Sysdig-Image-Fix')).toBe(false);
  });

  it('accepts only complete secret ARNs, so the policy can name exactly one secret', () => {
    const pattern = allowedPattern('RegistryCredentialsSecretArn');
    expect(pattern.test('')).toBe(true);
    expect(pattern.test(SECRET_ARN)).toBe(true);
    expect(pattern.test('arn:aws:secretsmanager:eu-west-1:123456789012:secret:registry/quay')).toBe(false);
    expect(pattern.test('arn:aws:secretsmanager:eu-west-1:123456789012:secret:*')).toBe(false);
  });

  it('accepts only KMS key ARNs', () => {
    const pattern = allowedPattern('KmsKeyArn');
    expect(pattern.test('')).toBe(true);
    expect(pattern.test(KEY_ARN)).toBe(true);
    expect(pattern.test('alias/aws/ecr')).toBe(false);
  });

  it('bounds the timeouts by the custom resource ServiceTimeout limits', () => {
    expect(parameters.MirrorServiceTimeout).toMatchObject({ MinValue: SERVICE_TIMEOUT_MIN, MaxValue: SERVICE_TIMEOUT_MAX });
    expect(parameters.BuildTimeoutInMinutes!.MaxValue as number).toBeLessThanOrEqual(SERVICE_TIMEOUT_MAX / 60);
  });

  it('offers the CloudWatch Logs retention values and the documented choices', () => {
    expect(parameters.LogRetentionInDays!.AllowedValues).toEqual(LOG_RETENTION_DAYS);
    expect(parameters.ImageTagMutability!.AllowedValues).toEqual(['MUTABLE', 'IMMUTABLE']);
    expect(parameters.BuildComputeType!.AllowedValues).toContain('BUILD_GENERAL1_SMALL');
  });
});

describe('template.yaml: functions', () => {
  it.each([
    ['MacroFunction', 'dist/macro/'],
    ['MirrorFunction', 'dist/mirror/'],
  ])('%s runs the CommonJS bundle that sam build makes with scripts/sam/Makefile, on nodejs24.x arm64', (logicalId, codeUri) => {
    // SAM CLI's makefile builder: `make --makefile <ContextPath>/Makefile build-<LogicalId>` in WorkingDirectory.
    expect(resources[logicalId]).toEqual(
      expect.objectContaining({
        Type: 'AWS::Serverless::Function',
        Metadata: { BuildMethod: 'makefile', ContextPath: 'scripts/sam', WorkingDirectory: '.' },
      }),
    );
    const makefile = readFileSync(join(TEMPLATE_PATH, '..', 'scripts', 'sam', 'Makefile'), 'utf8');
    const target = new RegExp(`^build-${logicalId}:\\n\\t\\$\\(call bundle,${codeUri.split('/')[1]}\\)$`, 'm');
    expect(makefile).toMatch(target);
    expect(propertiesOf(logicalId)).toMatchObject({
      CodeUri: codeUri,
      Handler: 'index.handler',
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
    });
  });

  it('gives the macro exactly its MacroEnv variables', () => {
    const variables = (propertiesOf('MacroFunction').Environment as JsonObject).Variables as JsonObject;
    expect(variables).toEqual({
      [MacroEnv.MirrorFunctionArn]: getAtt('MirrorFunction', 'Arn'),
      [MacroEnv.RepositoryPrefix]: ref('RepositoryPrefix'),
      [MacroEnv.ServiceTimeout]: ref('MirrorServiceTimeout'),
    });
  });

  it('gives the mirror function its MirrorEnv variables, without REGISTRY_ENDPOINTS', () => {
    const variables = (propertiesOf('MirrorFunction').Environment as JsonObject).Variables as JsonObject;
    expect(variables).toEqual({
      [MirrorEnv.ProjectName]: ref('MirrorBuildProject'),
      [MirrorEnv.BuildLogGroupName]: ref('MirrorBuildLogGroup'),
      [MirrorEnv.RepositoryPrefix]: ref('RepositoryPrefix'),
      [MirrorEnv.ImageTagMutability]: ref('ImageTagMutability'),
      [MirrorEnv.KmsKeyArn]: ref('KmsKeyArn'),
      [MirrorEnv.RegistryCredentialsSecretArn]: ref('RegistryCredentialsSecretArn'),
      [ECR_SOURCES_ENV]: { 'Fn::Join': [',', ref('EcrSourceRepositoryArns')] },
      [MirrorEnv.CopyEngine]: ref('CopyEngine'),
    });
    expect(parameters.CopyEngine!.AllowedValues).toEqual([...COPY_ENGINES]);
    expect(Object.keys(variables)).not.toContain(MirrorEnv.RegistryEndpoints);
    expect(propertiesOf('MirrorFunction').Timeout).toBe(900);
  });

  it('registers the macro under MacroName with the macro function', () => {
    expect(resources.Macro).toEqual({
      Type: 'AWS::CloudFormation::Macro',
      Properties: expect.objectContaining({ Name: ref('MacroName'), FunctionName: getAtt('MacroFunction', 'Arn') }),
    });
  });

  it('lets the mirror function invoke itself, derived from MacroName', () => {
    const decided = decideResources(template, { MacroName: 'Other' });
    expect((decided.MirrorFunction!.Properties as JsonObject).FunctionName).toBe('Other-mirror');
    const invoke = policyStatements(decided).find((s) => s.actions.includes('lambda:InvokeFunction'));
    expect(invoke?.resource).toBe('MirrorRole');
    expect(invoke?.resources).toEqual(['arn:aws:lambda:eu-west-1:123456789012:function:Other-mirror', 'arn:aws:lambda:eu-west-1:123456789012:function:Other-mirror:*']);
  });

  it('writes each function log to its own retained log group, named as Lambda would', () => {
    const decided = decideResources(template);
    for (const [fn, group] of [
      ['MacroFunction', 'MacroLogGroup'],
      ['MirrorFunction', 'MirrorLogGroup'],
    ] as const) {
      expect(propertiesOf(fn).LoggingConfig).toEqual({ LogGroup: ref(group) });
      const name = (decided[fn]!.Properties as JsonObject).FunctionName as string;
      expect(decided[group]!.Properties).toEqual({ LogGroupName: `/aws/lambda/${name}`, RetentionInDays: '30' });
    }
  });
});

describe('template.yaml: CodeBuild project', () => {
  it('runs the buildspec inline without source or artifacts, unprivileged, logging to a named group', () => {
    const project = propertiesOf('MirrorBuildProject');
    expect(project).toMatchObject({
      ServiceRole: getAtt('MirrorBuildRole', 'Arn'),
      Artifacts: { Type: 'NO_ARTIFACTS' },
      Source: { Type: 'NO_SOURCE', BuildSpec: expect.any(String) },
      Environment: { Type: 'LINUX_CONTAINER', Image: ref('BuildImage'), ComputeType: ref('BuildComputeType'), PrivilegedMode: false },
      TimeoutInMinutes: ref('BuildTimeoutInMinutes'),
      LogsConfig: { CloudWatchLogs: { Status: 'ENABLED', GroupName: ref('MirrorBuildLogGroup') } },
    });
    expect(propertiesOf('MirrorBuildLogGroup')).toEqual({
      LogGroupName: { 'Fn::Sub': '/aws/codebuild/${MacroName}-mirror' },
      RetentionInDays: ref('LogRetentionInDays'),
    });
  });
});

describe('template.yaml: IAM', () => {
  it.each([
    ['defaults', {}],
    ['a secret, a key and another prefix', { RegistryCredentialsSecretArn: SECRET_ARN, KmsKeyArn: KEY_ARN, RepositoryPrefix: 'team/mirror' }],
  ])('passes the least-privilege audit with %s', (_, overrides: Record<string, string>) => {
    const decided = decideResources(template, overrides);
    expect(
      auditPolicies(decided, {
        pseudo: DEFAULT_PSEUDO,
        repositoryPrefix: overrides.RepositoryPrefix ?? DEFAULT_REPOSITORY_PREFIX,
        registryCredentialsSecretArn: overrides.RegistryCredentialsSecretArn ?? '',
        kmsKeyArn: overrides.KmsKeyArn ?? '',
      }),
    ).toEqual([]);
  });

  it('grants the secret to the mirror function and the copy job only when one is configured', () => {
    const holders = (overrides: Record<string, string>) =>
      policyStatements(decideResources(template, overrides))
        .filter((s) => s.actions.includes('secretsmanager:GetSecretValue'))
        .map((s) => [s.resource, s.resources]);
    expect(holders({})).toEqual([]);
    expect(holders({ RegistryCredentialsSecretArn: SECRET_ARN })).toEqual([
      ['MirrorRole', [SECRET_ARN]],
      ['MirrorBuildRole', [SECRET_ARN]],
    ]);
  });

  it('lets both roles read exactly the ECR sources EcrSourceRepositoryArns lists (default: any), and the function knows the list', () => {
    const readers = (overrides: Record<string, string>) =>
      policyStatements(decideResources(template, overrides))
        .filter((s) => s.actions.includes('ecr:BatchGetImage') && !s.resources.some((r) => r.includes(':repository/sysdig-image-fix/')))
        .map((s) => [s.resource, s.resources]);
    expect(readers({})).toEqual([
      ['MirrorRole', ['arn:aws:ecr:*:*:repository/*']],
      ['MirrorBuildRole', ['arn:aws:ecr:*:*:repository/*']],
    ]);
    const team = ['arn:aws:ecr:us-east-1:123456789012:repository/team/*', 'arn:aws:ecr:*:210987654321:repository/base-images/*'];
    expect(readers({ EcrSourceRepositoryArns: team.join(',') })).toEqual([
      ['MirrorRole', team],
      ['MirrorBuildRole', team],
    ]);
    expect(readers({ EcrSourceRepositoryArns: '' })).toEqual([]);
    const decided = decideResources(template, { EcrSourceRepositoryArns: team.join(',') });
    const variables = ((decided.MirrorFunction!.Properties as JsonObject).Environment as JsonObject).Variables as JsonObject;
    expect(variables[ECR_SOURCES_ENV]).toBe(team.join(','));
    expect(auditPolicies(decided, { pseudo: DEFAULT_PSEUDO, repositoryPrefix: DEFAULT_REPOSITORY_PREFIX, registryCredentialsSecretArn: '', kmsKeyArn: '' })).toEqual([]);
  });

  it("lets the mirror function list its own project's builds (a redelivered request finds its build), nothing more", () => {
    const list = policyStatements(decideResources(template)).filter((s) => s.actions.includes('codebuild:ListBuildsForProject'));
    expect(list.map((s) => [s.resource, s.resources])).toEqual([['MirrorRole', ['<MirrorBuildProject.Arn>']]]);
  });

  it('passes the least-privilege audit with CopyEngine function', () => {
    const decided = decideResources(template, { CopyEngine: 'function', RepositoryPrefix: 'team/mirror' });
    expect(auditPolicies(decided, { pseudo: DEFAULT_PSEUDO, repositoryPrefix: 'team/mirror', registryCredentialsSecretArn: '', kmsKeyArn: '' })).toEqual([]);
  });

  it('lets the mirror function push only with CopyEngine function, and only under the prefix; the copy job always may', () => {
    const push = ['ecr:InitiateLayerUpload', 'ecr:UploadLayerPart', 'ecr:CompleteLayerUpload', 'ecr:PutImage'];
    const pushers = (overrides: Record<string, string>) =>
      policyStatements(decideResources(template, overrides))
        .filter((s) => s.actions.some((action) => push.includes(action)))
        .map((s) => [s.resource, s.resources, push.filter((action) => s.actions.includes(action))]);
    const prefix = ['arn:aws:ecr:eu-west-1:123456789012:repository/sysdig-image-fix/*'];
    expect(pushers({})).toEqual([['MirrorBuildRole', prefix, push]]);
    expect(pushers({ CopyEngine: 'codebuild' })).toEqual([['MirrorBuildRole', prefix, push]]);
    expect(pushers({ CopyEngine: 'function' })).toEqual([
      ['MirrorRole', prefix, push],
      ['MirrorBuildRole', prefix, push],
    ]);
    // The copy record (a tag on the target repository) is read and removed only by a function that copies.
    const tagReaders = (overrides: Record<string, string>) =>
      policyStatements(decideResources(template, overrides))
        .filter((s) => s.actions.includes('ecr:ListTagsForResource') || s.actions.includes('ecr:UntagResource'))
        .map((s) => [s.resource, s.resources]);
    expect(tagReaders({})).toEqual([]);
    expect(tagReaders({ CopyEngine: 'function' })).toEqual([['MirrorRole', prefix]]);
  });

  it('names no role, so CAPABILITY_IAM is enough', () => {
    for (const resource of Object.values(resources).filter((r) => r.Type === 'AWS::IAM::Role')) {
      expect((resource.Properties as JsonObject).RoleName).toBeUndefined();
    }
  });
});

describe('template.yaml: outputs', () => {
  it('exports the mirror function ARN under the name the offline CLI imports by default', () => {
    expect(outputs.MirrorFunctionArn!.Value).toEqual(getAtt('MirrorFunction', 'Arn'));
    expect(outputs.MirrorFunctionArn!.Export).toEqual({ Name: { 'Fn::Sub': '${MacroName}-MirrorFunctionArn' } });
    expect(`${parameters.MacroName!.Default as string}-MirrorFunctionArn`).toBe(MIRROR_FUNCTION_ARN_EXPORT);
  });

  it('names the macro and the build project', () => {
    expect(outputs.MacroName!.Value).toEqual(ref('MacroName'));
    expect(outputs.MirrorBuildProjectName!.Value).toEqual(ref('MirrorBuildProject'));
  });
});

describe('samconfig.toml', () => {
  const settings = new Map(
    readFileSync(join(TEMPLATE_PATH, '..', 'samconfig.toml'), 'utf8')
      .split('\n')
      .map((line) => /^\s*([a-z0-9_]+)\s*=\s*(.+?)\s*$/.exec(line))
      .filter((match): match is RegExpExecArray => match !== null)
      .map((match) => [match[1]!, match[2]!]),
  );

  it('deploys the stack sysdig-image-fix with IAM capability, a managed bucket and a change set to confirm', () => {
    expect(settings.get('stack_name')).toBe('"sysdig-image-fix"');
    expect(settings.get('capabilities')).toBe('"CAPABILITY_IAM"');
    expect(settings.get('resolve_s3')).toBe('true');
    expect(settings.get('confirm_changeset')).toBe('true');
  });

  it('leaves the region to sam deploy --guided', () => {
    expect(settings.has('region')).toBe(false);
  });
});
