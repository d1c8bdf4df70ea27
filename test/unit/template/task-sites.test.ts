import { describe, expect, it } from 'vitest';
import { transform } from '../../../src/template/transform.js';
import type { Json, JsonObject } from '../../../src/template/types.js';
import {
  context,
  defaults,
  expectedMirrorId,
  expectFailure,
  expectSuccess,
  lambdaFunction,
  mirrorRef,
  mirrorsOf,
  PRIVATE_ECR_IMAGE,
  QUAY_IMAGE,
  ref,
  stringParameter,
  sub,
  template,
} from './fixtures.js';

const ORCHESTRATOR = 'quay.io/sysdig/orchestrator-agent:5.0.1';
const ROLE_ARN = 'arn:aws:iam::123456789012:role/ecsTaskExecutionRole';
const MANAGED = 'arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy';

interface TaskOptions {
  readonly images?: readonly Json[];
  readonly cpu?: Json;
  readonly role?: Json | null;
  readonly options?: Json;
  readonly condition?: string;
}

function taskDefinition(o: TaskOptions = {}): JsonObject {
  const properties: JsonObject = {
    ...(o.role === null ? {} : { ExecutionRoleArn: o.role ?? ROLE_ARN }),
    ...(o.cpu !== undefined ? { RuntimePlatform: { OperatingSystemFamily: 'LINUX', CpuArchitecture: o.cpu } } : {}),
    ContainerDefinitions: (o.images ?? [ORCHESTRATOR]).map((image, index) => ({ Name: `c${index}`, Image: image })),
  };
  return {
    Type: 'AWS::ECS::TaskDefinition',
    ...(o.condition !== undefined ? { Condition: o.condition } : {}),
    ...(o.options !== undefined ? { Metadata: { SysdigImageFix: o.options } } : {}),
    Properties: properties,
  };
}

const ecsOn = { Metadata: { SysdigImageFix: { Ecs: true } } };
const imageAt = (fragment: JsonObject, id: string, index = 0): Json =>
  ((((fragment.Resources as JsonObject)[id] as JsonObject).Properties as JsonObject).ContainerDefinitions as JsonObject[])[index]!.Image!;
const mirrorOf = (fragment: JsonObject, id: string, index = 0): JsonObject => {
  const [mirror] = (imageAt(fragment, id, index) as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'];
  return (fragment.Resources as JsonObject)[mirror] as JsonObject;
};
const transformed = (resources: JsonObject, sections: JsonObject = ecsOn) => transform(template(resources, sections), context(), defaults());

describe('Options: Ecs (task definition images)', () => {
  it('leaves task definitions alone without the option (byte for byte)', () => {
    const input = template({ T: taskDefinition({ role: null }) });
    const { fragment, sites } = expectSuccess(transform(input, context(), defaults()));
    expect(JSON.stringify(fragment)).toBe(JSON.stringify(input));
    expect(sites).toEqual([]);
  });

  it('mirrors and rewrites each container image outside private ECR, x86_64 by default', () => {
    const { fragment, sites } = expectSuccess(transformed({ T: taskDefinition({ images: [ORCHESTRATOR, PRIVATE_ECR_IMAGE] }) }));
    const id = expectedMirrorId(ORCHESTRATOR, 'x86_64');
    expect(imageAt(fragment, 'T', 0)).toEqual(mirrorRef(id));
    expect(imageAt(fragment, 'T', 1)).toBe(PRIVATE_ECR_IMAGE);
    expect(mirrorsOf(fragment)[id]!.Properties).toMatchObject({
      SourceImage: ORCHESTRATOR,
      Architecture: 'x86_64',
      RepositoryName: `sysdig-image-fix/${ORCHESTRATOR.split(':')[0]}`,
    });
    expect(sites.map((site) => [site.location, site.resourceType, site.verdict, site.architecture])).toEqual([
      ['T.ContainerDefinitions[0].Image', 'AWS::ECS::TaskDefinition', 'mirror', 'x86_64'],
      ['T.ContainerDefinitions[1].Image', 'AWS::ECS::TaskDefinition', 'keep', 'x86_64'],
    ]);
  });

  it.each<[Json, string]>([
    ['X86_64', 'x86_64'],
    ['ARM64', 'arm64'],
    [ref('AWS::NoValue'), 'x86_64'],
  ])('RuntimePlatform.CpuArchitecture %j mirrors %s', (cpu, architecture) => {
    const { fragment } = expectSuccess(transformed({ T: taskDefinition({ cpu }) }));
    expect(mirrorOf(fragment, 'T').Properties).toMatchObject({ Architecture: architecture });
  });

  it('a CpuArchitecture expression gets a whole-image mirror (right for every value it may take)', () => {
    const input = template({ T: taskDefinition({ cpu: ref('Cpu') }) }, { ...ecsOn, Parameters: { Cpu: stringParameter('ARM64') } });
    const { fragment, sites } = expectSuccess(transform(input, context(), defaults()));
    expect(mirrorOf(fragment, 'T').Properties).toMatchObject({ Platforms: 'all' });
    expect(mirrorOf(fragment, 'T').Properties).not.toHaveProperty('Architecture');
    expect(sites[0]!.architecture).toBe('all');
  });

  it('refuses a CpuArchitecture ECS does not take, naming the task definition', () => {
    const [problem] = expectFailure(transformed({ T: taskDefinition({ cpu: 'arm64' }) }));
    expect(problem).toEqual({
      logicalId: 'T',
      message:
        'Resource T: RuntimePlatform.CpuArchitecture "arm64" is not valid: "arm64" is not one of X86_64, ARM64. Use X86_64 or ARM64, or set ' +
        'Metadata.SysdigImageFix.Architecture (x86_64, arm64) or Platforms: all on the task definition',
    });
  });

  it('Platforms: all on the task definition (or the template) mirrors the whole image; Architecture overrides it', () => {
    const { fragment } = expectSuccess(
      transformed(
        {
          A: taskDefinition({ options: { Platforms: 'all' } }),
          B: taskDefinition({ images: ['nginx:1'], options: { Architecture: 'arm64' } }),
          C: taskDefinition({ images: ['redis:7'] }),
        },
        { Metadata: { SysdigImageFix: { Ecs: true, Platforms: 'all', Architecture: 'x86_64' } } },
      ),
    );
    expect(mirrorOf(fragment, 'A').Properties).toMatchObject({ Platforms: 'all' });
    expect(mirrorOf(fragment, 'B').Properties).toMatchObject({ Architecture: 'arm64' });
    expect(mirrorOf(fragment, 'C').Properties).toMatchObject({ Platforms: 'all' });
  });

  it('Ecs on one task definition only, and Ecs: false opts one out', () => {
    const { fragment } = expectSuccess(transformed({ A: taskDefinition({ options: { Ecs: true } }), B: taskDefinition() }, {}));
    expect(imageAt(fragment, 'A')).toHaveProperty('Fn::GetAtt');
    expect(imageAt(fragment, 'B')).toBe(ORCHESTRATOR);
    const out = expectSuccess(transformed({ A: taskDefinition({ options: { Ecs: false } }), B: taskDefinition() }));
    expect(imageAt(out.fragment, 'A')).toBe(ORCHESTRATOR);
    expect(imageAt(out.fragment, 'B')).toHaveProperty('Fn::GetAtt');
  });

  it('shares one mirror between an ECS and a Lambda site with the same source and architecture', () => {
    const { fragment } = expectSuccess(transformed({ F: lambdaFunction(QUAY_IMAGE), T: taskDefinition({ images: [QUAY_IMAGE] }) }));
    expect(Object.keys(mirrorsOf(fragment))).toEqual([expectedMirrorId(QUAY_IMAGE, 'x86_64')]);
  });

  it('keeps an intrinsic image as SourceImage with RepositoryPrefix, and the task definition Condition', () => {
    const input = template(
      { T: taskDefinition({ images: [ref('Image')], condition: 'Yes' }) },
      { ...ecsOn, Parameters: { Image: stringParameter(ORCHESTRATOR) }, Conditions: { Yes: { 'Fn::Equals': ['a', 'a'] } } },
    );
    const { fragment } = expectSuccess(transform(input, context(), defaults()));
    const mirror = mirrorOf(fragment, 'T');
    expect(mirror.Condition).toBe('Yes');
    expect(mirror.Properties).toMatchObject({ SourceImage: ref('Image'), RepositoryPrefix: 'sysdig-image-fix' });
  });

  it('Skip: true on the task definition reports the sites as skip', () => {
    const result = expectSuccess(transformed({ T: taskDefinition({ options: { Skip: true } }) }));
    expect(result.sites.map((site) => site.verdict)).toEqual(['skip']);
    expect(imageAt(result.fragment, 'T')).toBe(ORCHESTRATOR);
  });

  it('is idempotent', () => {
    const once = expectSuccess(transformed({ T: taskDefinition({ images: [ORCHESTRATOR, sub('quay.io/a/b:${AWS::Region}')] }) })).fragment;
    expect(JSON.stringify(expectSuccess(transform(once, context(), defaults())).fragment)).toBe(JSON.stringify(once));
  });

  it('refuses unknown options and bad values on the task definition, naming it', () => {
    const problems = expectFailure(transformed({ T: taskDefinition({ options: { Ecs: 'yes', Platforms: 'some', Colour: 1 } }) }));
    expect(problems.map((problem) => problem.message)).toEqual([
      'Resource T: option Metadata.SysdigImageFix.Ecs "yes" is not valid; allowed values: true, false',
      'Resource T: option Metadata.SysdigImageFix.Platforms "some" is not valid; allowed values: all (or leave it out for one platform)',
      'Resource T: unknown option "Colour" in Metadata.SysdigImageFix; allowed keys: Skip, RepositoryPrefix, Architecture, ServiceTimeout, Ecs, Platforms',
    ]);
    expect(expectFailure(transformed({ T: taskDefinition({ options: { Architecture: 'arm64', Platforms: 'all' } }) }))[0]!.message).toContain('exclude each other');
    expect(expectFailure(transformed({ F: lambdaFunction(QUAY_IMAGE, { options: { Platforms: 'all' } }) }))[0]!.message).toContain('Lambda refuses an image index');
  });

  describe('execution role', () => {
    it('a mirrored task definition without ExecutionRoleArn is an error saying why', () => {
      expect(expectFailure(transformed({ T: taskDefinition({ role: null }) }))).toEqual([
        {
          logicalId: 'T',
          message:
            "Resource T: ContainerDefinitions[0].Image would come from private ECR (mirrored by SysdigImageFix), which ECS pulls with the task's " +
            'execution role, but the task definition has no ExecutionRoleArn; add an execution role with ECR pull permission ' +
            '(e.g. one with the managed policy AmazonECSTaskExecutionRolePolicy)',
        },
      ]);
    });

    it('so is a container Image reading a mirrored parameter, even without Ecs', () => {
      const input = template(
        { T: taskDefinition({ role: null, images: [ref('Agent')] }) },
        { Parameters: { Agent: stringParameter(QUAY_IMAGE) }, Metadata: { SysdigImageFix: { MirrorParameters: ['Agent'] } } },
      );
      expect(expectFailure(transform(input, context(), defaults()))[0]!.logicalId).toBe('T');
    });

    it('no error when every image stays (private ECR of the region)', () => {
      expect(transformed({ T: taskDefinition({ role: null, images: [PRIVATE_ECR_IMAGE] }) }).ok).toBe(true);
    });

    const role = (properties: JsonObject): JsonObject => ({ Type: 'AWS::IAM::Role', Properties: { AssumeRolePolicyDocument: {}, ...properties } });
    const statement = (actions: Json) => ({
      PolicyName: 'pull',
      PolicyDocument: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: actions, Resource: '*' }] },
    });

    it.each<[string, JsonObject]>([
      ['the managed policy (literal)', { ManagedPolicyArns: [MANAGED] }],
      [
        'the managed policy (Fn::Sub with the partition)',
        { ManagedPolicyArns: [sub('arn:${AWS::Partition}:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy')] },
      ],
      [
        'the managed policy (Fn::Join with the partition)',
        { ManagedPolicyArns: [{ 'Fn::Join': ['', ['arn:', ref('AWS::Partition'), ':iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy']] }] },
      ],
      ['the managed policy (GovCloud partition)', { ManagedPolicyArns: ['arn:aws-us-gov:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy'] }],
      ['the three actions inline', { Policies: [statement(['ecr:GetAuthorizationToken', 'ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer'])] }],
      ['ecr:*', { Policies: [statement('ecr:*')] }],
      ['ecr:Get* and ecr:BatchGet*', { Policies: [statement(['ecr:Get*', 'ecr:BatchGet*'])] }],
      ['an ARN not known at transform time', { ManagedPolicyArns: [{ 'Fn::ImportValue': 'PullPolicy' }] }],
    ])('no warning when the role has %s', (_, properties) => {
      const result = transformed({ R: role(properties), T: taskDefinition({ role: { 'Fn::GetAtt': ['R', 'Arn'] } }) });
      expect(result.ok).toBe(true);
      expect(result.warnings).toEqual([]);
    });

    it.each<[string, JsonObject]>([
      ['no policy at all', {}],
      ['a managed policy without ECR pull', { ManagedPolicyArns: ['arn:aws:iam::aws:policy/CloudWatchLogsFullAccess'] }],
      ['ECR Public read access (another service)', { ManagedPolicyArns: ['arn:aws:iam::aws:policy/AmazonElasticContainerRegistryPublicReadOnly'] }],
      ['a pull policy under a path it does not have', { ManagedPolicyArns: ['arn:aws:iam::aws:policy/AmazonECSTaskExecutionRolePolicy'] }],
      ['a customer policy named like an AWS one', { ManagedPolicyArns: ['arn:aws:iam::123456789012:policy/AmazonEC2ContainerRegistryReadOnly'] }],
      ['only some of the actions', { Policies: [statement(['ecr:GetAuthorizationToken', 'ecr:BatchGetImage'])] }],
      ['the actions denied', { Policies: [{ PolicyName: 'p', PolicyDocument: { Statement: [{ Effect: 'Deny', Action: 'ecr:*', Resource: '*' }] } }] }],
    ])('warns, naming the role and the task definition, when the role has %s', (_, properties) => {
      const result = transformed({ R: role(properties), T: taskDefinition({ role: ref('R') }) });
      expect(result.ok).toBe(true);
      expect(result.warnings).toHaveLength(1);
      expect(result.warnings[0]!.logicalId).toBe('T');
      expect(result.warnings[0]!.message).toMatch(/^Resource T: .*execution role R grants no ECR pull permission/);
    });

    // Every AWS managed policy whose default version allows the three pull actions on every repository, unconditionally
    // (the AWS managed policy reference, March 2026), in each partition's ARN form.
    it.each(
      [
        'AmazonEC2ContainerRegistryReadOnly',
        'AmazonEC2ContainerRegistryPullOnly',
        'AmazonEC2ContainerRegistryPowerUser',
        'AmazonEC2ContainerRegistryFullAccess',
        'service-role/AmazonECSTaskExecutionRolePolicy',
        'service-role/AmazonEC2ContainerServiceforEC2Role',
        'service-role/AWSAppRunnerServicePolicyForECRAccess',
        'AmazonEKSFargatePodExecutionRolePolicy',
        'EC2InstanceProfileForImageBuilderECRContainerBuilds',
        'AdministratorAccess',
        'PowerUserAccess',
        'ReadOnlyAccess',
        'AmazonSageMakerFullAccess',
      ].flatMap((name) => ['aws', 'aws-cn', 'aws-us-gov', 'aws-iso', 'aws-iso-b'].map((partition) => `arn:${partition}:iam::aws:policy/${name}`)),
    )('no warning when the role has the AWS managed policy %s', (arn) => {
      const result = transformed({ R: role({ ManagedPolicyArns: [arn] }), T: taskDefinition({ role: ref('R') }) });
      expect(result.warnings).toEqual([]);
    });

    it('no warning for AmazonEC2ContainerRegistryReadOnly written with the stack partition (aws-app-mesh-examples)', () => {
      const arn = sub('arn:${AWS::Partition}:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly');
      expect(transformed({ R: role({ ManagedPolicyArns: [arn] }), T: taskDefinition({ role: { 'Fn::GetAtt': ['R', 'Arn'] } }) }).warnings).toEqual([]);
    });

    it('counts a policy resource of the template attached to the role', () => {
      const policy = {
        Type: 'AWS::IAM::Policy',
        Properties: { PolicyName: 'p', Roles: [ref('R')], PolicyDocument: { Statement: [{ Effect: 'Allow', Action: 'ecr:*', Resource: '*' }] } },
      };
      expect(transformed({ R: role({}), P: policy, T: taskDefinition({ role: ref('R') }) }).warnings).toEqual([]);
    });
  });
});
