// MirrorParameters, what the caller and the user see for each outcome of one parameter: the site report (what
// `scan` prints), the problem's words, the mirror's DependsOn, and which task definitions need an execution role.
import { describe, expect, it } from 'vitest';
import { transform } from '../../../src/template/transform.js';
import type { Json, JsonObject, TransformContext } from '../../../src/template/types.js';
import {
  context,
  defaults,
  expectedMirrorId,
  expectFailure,
  expectSuccess,
  mirrorRef,
  mirrorsOf,
  PRIVATE_ECR_IMAGE,
  ref,
  siteOf,
  stringParameter,
  sub,
  template,
  AGENT,
  AGENT_MIRROR,
} from './fixtures.js';

const consumer = (value: Json, extra: JsonObject = {}): JsonObject => ({ Type: 'AWS::SSM::Parameter', ...extra, Properties: { Type: 'String', Value: value } });

function run(resources: JsonObject, parameters: JsonObject = { Agent: stringParameter(AGENT) }, names: Json = ['Agent'], ctx: Partial<TransformContext> = {}) {
  return transform(template(resources, { Parameters: parameters, Metadata: { SysdigImageFix: { MirrorParameters: names } } }), context(ctx), defaults());
}

describe('MirrorParameters: the report of each parameter', () => {
  it('a failed parameter is reported without an architecture or mirror', () => {
    const result = run({ C: consumer(ref('Agent')) }, { Agent: stringParameter('Not An Image') });
    expect(result.ok).toBe(false);
    expect(siteOf(result.sites, 'Agent')).toStrictEqual({
      logicalId: 'Agent',
      resourceType: 'Parameter',
      location: 'Parameters.Agent',
      image: '"Not An Image"',
      verdict: 'failed',
    });
  });

  it('a kept parameter names itself as the one that moves the registry (the CLI says so), and has no mirror', () => {
    const result = expectSuccess(run({ C: consumer(ref('Agent')) }, { Agent: stringParameter(PRIVATE_ECR_IMAGE) }));
    expect(siteOf(result.sites, 'Agent')).toStrictEqual({
      logicalId: 'Agent',
      resourceType: 'Parameter',
      location: 'Parameters.Agent',
      image: PRIVATE_ECR_IMAGE,
      verdict: 'keep',
      architecture: 'all',
      registryParameters: ['Agent'],
    });
  });

  it('a parameter without value is mirrored at deploy time, reported as the Ref the mirror reads', () => {
    const result = expectSuccess(run({ C: consumer(ref('Agent')) }, { Agent: stringParameter() }, [{ Name: 'Agent', Architecture: 'arm64' }]));
    const id = expectedMirrorId(ref('Agent'), 'arm64');
    expect(siteOf(result.sites, 'Agent')).toStrictEqual({
      logicalId: 'Agent',
      resourceType: 'Parameter',
      location: 'Parameters.Agent',
      image: '{"Ref":"Agent"}',
      verdict: 'deploy-time',
      architecture: 'arm64',
      mirrorLogicalId: id,
    });
    expect(mirrorsOf(result.fragment)[id]!.Properties).toMatchObject({ SourceImage: ref('Agent'), Architecture: 'arm64' });
  });

  it('a parameter mirrored at deploy time follows its tag with Refresh', () => {
    const input = template(
      { C: consumer(ref('Agent')) },
      { Parameters: { Agent: stringParameter() }, Metadata: { SysdigImageFix: { MirrorParameters: ['Agent'], Refresh: true } } },
    );
    const { fragment } = expectSuccess(transform(input, context({ refreshToken: 'deployment-2' }), defaults()));
    expect(mirrorsOf(fragment)[AGENT_MIRROR]!.Properties).toMatchObject({ SourceImage: ref('Agent'), RefreshToken: 'deployment-2' });
  });

  it('a parameter nothing else reads is reported as kept, with neither mirror nor registry parameters', () => {
    const result = expectSuccess(run({ Other: consumer('x') }));
    expect(result.warnings).toEqual([
      {
        logicalId: 'Agent',
        message:
          'Parameter Agent (MirrorParameters): nothing uses it outside image sites, which keep mirrors of their own (one platform each), so no mirror ' +
          'was injected for it',
      },
    ]);
    expect(siteOf(result.sites, 'Agent')).toStrictEqual({
      logicalId: 'Agent',
      resourceType: 'Parameter',
      location: 'Parameters.Agent',
      image: AGENT,
      verdict: 'keep',
      architecture: 'all',
    });
    expect(mirrorsOf(result.fragment)).toEqual({});
  });

  it('only the unused parameter loses its mirror when two are listed', () => {
    const parameters = { Agent: stringParameter(AGENT), Unused: stringParameter('quay.io/org/other:1') };
    const result = expectSuccess(run({ C: consumer(ref('Agent')) }, parameters, ['Agent', 'Unused']));
    expect(result.sites.map((site) => [site.logicalId, site.verdict, site.mirrorLogicalId])).toEqual([
      ['Agent', 'mirror', AGENT_MIRROR],
      ['Unused', 'keep', undefined],
    ]);
    expect(Object.keys(mirrorsOf(result.fragment))).toEqual([AGENT_MIRROR]);
  });
});

describe('MirrorParameters: what the problem says', () => {
  const messages = (result: ReturnType<typeof run>) => expectFailure(result).map((problem) => problem.message);

  it('names the value as "its value" when the caller gave no origin', () => {
    expect(messages(run({ C: consumer(ref('Agent')) }, { Agent: stringParameter('Not An Image') }))[0]).toMatch(
      /^Parameter Agent \(MirrorParameters\): its value "Not An Image" is not a valid image reference: \S/,
    );
  });

  it('says which parameters the template declares, each cut and at most ten', () => {
    const long = `P${'x'.repeat(100)}`;
    const declared = Object.fromEntries([long, ...Array.from({ length: 11 }, (_, i) => `Q${i}`)].map((name) => [name, stringParameter(AGENT)]));
    expect(messages(run({}, declared, ['Agnet']))).toEqual([
      `Parameter Agnet (MirrorParameters): there is no such parameter; the template declares ${long.slice(0, 63)}…, Q0, Q1, Q2, Q3, Q4, Q5, Q6, Q7, Q8 and 2 more`,
    ]);
    expect(messages(run({}, {}, ['Agnet']))).toEqual(['Parameter Agnet (MirrorParameters): there is no such parameter; the template declares no parameters']);
    // Reported as failed, with no image to show.
    expect(siteOf(run({}, {}, ['Agnet']).sites, 'Agnet')).toStrictEqual({
      logicalId: 'Agnet',
      resourceType: 'Parameter',
      location: 'Parameters.Agnet',
      image: '-',
      verdict: 'failed',
    });
  });

  it('names a Type that is not a string by what it is', () => {
    expect(siteOf(run({}, { Agent: { Type: 5 } }).sites, 'Agent')).toMatchObject({ image: '-', verdict: 'failed' });
    expect(messages(run({}, { Agent: { Type: 5 } }))).toEqual([
      'Parameter Agent (MirrorParameters): its Type is a number; only a String parameter holds one image reference',
    ]);
    expect(messages(run({}, { Agent: { Default: AGENT } }))).toEqual([
      'Parameter Agent (MirrorParameters): its Type is undefined; only a String parameter holds one image reference',
    ]);
  });

  it('says why an image cannot get a repository name, naming the image', () => {
    const long = `quay.io/${'a'.repeat(240)}/b:1`;
    const result = run({ C: consumer(ref('Agent')) }, { Agent: stringParameter(long) });
    expect(messages(result)[0]).toMatch(
      /^Parameter Agent \(MirrorParameters\): cannot mirror its value "quay\.io\/a+…": target repository name .* is 267 characters; ECR allows 256/,
    );
    expect(siteOf(result.sites, 'Agent')).toMatchObject({ verdict: 'failed', image: long });
  });
});

describe('MirrorParameters: the mirror waits for what its readers wait for', () => {
  it('takes the DependsOn of every resource that reads the parameter, once each', () => {
    const resources = {
      Setup: consumer('x'),
      Other: consumer('y'),
      A: consumer(ref('Agent'), { DependsOn: 'Setup' }),
      B: consumer(sub('${Agent}'), { DependsOn: ['Setup', 'Other'] }),
    };
    const result = expectSuccess(run(resources, { Agent: stringParameter(AGENT) }, ['Agent']));
    expect(mirrorsOf(result.fragment)[AGENT_MIRROR]!.DependsOn).toEqual(['Setup', 'Other']);
  });

  it('an output that reads it adds no DependsOn, even named like a resource that has one (as SAM templates do)', () => {
    const input = template(
      { Setup: consumer('x'), A: consumer(ref('Agent')), O: consumer('y', { DependsOn: 'Setup' }) },
      { Parameters: { Agent: stringParameter(AGENT) }, Metadata: { SysdigImageFix: { MirrorParameters: ['Agent'] } }, Outputs: { O: { Value: ref('Agent') } } },
    );
    const result = expectSuccess(transform(input, context(), defaults()));
    expect(mirrorsOf(result.fragment)[AGENT_MIRROR]!.DependsOn).toBeUndefined();
    expect((result.fragment.Outputs as JsonObject).O).toEqual({ Value: mirrorRef(AGENT_MIRROR) });
  });
});

describe('MirrorParameters: task definitions that read the mirror need an execution role', () => {
  const task = (containers: JsonObject[], extra: JsonObject = {}): JsonObject => ({
    Type: 'AWS::ECS::TaskDefinition',
    Properties: { ContainerDefinitions: containers, ...extra },
  });

  it('names each container Image once, whatever reads the parameter in it', () => {
    const containers: JsonObject[] = [
      { Name: 'a', Image: sub('${Agent}-${Agent}') },
      { Name: 'b', Image: ref('Agent'), Environment: [{ Name: 'AGENT', Value: ref('Agent') }] },
    ];
    const problems = expectFailure(run({ T: task(containers) }));
    expect(problems).toEqual([
      {
        logicalId: 'T',
        message:
          "Resource T: ContainerDefinitions[0].Image, ContainerDefinitions[1].Image would come from private ECR (mirrored by SysdigImageFix), which ECS pulls with the task's " +
          'execution role, but the task definition has no ExecutionRoleArn; add an execution role with ECR pull permission ' +
          '(e.g. one with the managed policy AmazonECSTaskExecutionRolePolicy)',
      },
    ]);
  });

  it('finds the use inside any intrinsic of the Image: both forms of Fn::Sub, its variables, Fn::Join', () => {
    const containers: JsonObject[] = [
      { Name: 'a', Image: sub('${Agent}', { Unused: 'x' }) },
      { Name: 'b', Image: sub('${Image}', { Image: ref('Agent') }) },
      { Name: 'c', Image: { 'Fn::Join': ['', [ref('Agent')]] } },
      { Name: 'd', Image: { 'Fn::Sub': [ref('Agent'), {}, 'x'] } },
    ];
    const [problem] = expectFailure(run({ T: task(containers) }));
    expect(problem!.message).toMatch(
      /^Resource T: ContainerDefinitions\[0\]\.Image, ContainerDefinitions\[1\]\.Image, ContainerDefinitions\[2\]\.Image, ContainerDefinitions\[3\]\.Image would come from private ECR/,
    );
  });

  it('asks nothing of a task definition that reads it elsewhere than an Image, or whose Images name no mirror, nor of another type with the same shape', () => {
    const elsewhere = task([
      { Name: 'a', Image: 'public.ecr.aws/x/y:1', Environment: [{ Name: 'AGENT', Value: ref('Agent') }] },
      { Name: 'b', Image: { 'Fn::GetAtt': ['Repo', 'RepositoryUri'] } },
      // Placeholders that name no mirror: neither a pseudo parameter nor another resource's attribute is a use.
      { Name: 'c', Image: sub('${AWS::AccountId}.dkr.ecr.${AWS::Region}.amazonaws.com/app:1') },
      { Name: 'd', Image: sub('${Repo.RepositoryUri}:1') },
    ]);
    const lookalike = {
      Type: 'Custom::Tasks',
      Properties: { ServiceToken: 'arn:aws:lambda:us-east-1:123456789012:function:f', ContainerDefinitions: [{ Image: ref('Agent') }] },
    };
    const result = expectSuccess(run({ T: elsewhere, L: lookalike, Repo: { Type: 'AWS::ECR::Repository' } }));
    expect(result.warnings).toEqual([]);
    expect(((result.fragment.Resources as JsonObject).L as JsonObject).Properties).toMatchObject({ ContainerDefinitions: [{ Image: mirrorRef(AGENT_MIRROR) }] });
  });

  it('asks nothing for an Image under another key of the task definition', () => {
    const elsewhere = {
      ...task([{ Name: 'a', Image: 'public.ecr.aws/x/y:1' }], { Volumes: [{ Name: 'v', Image: ref('Agent') }] }),
      Metadata: { ContainerDefinitions: [{ Image: ref('Agent') }], Containers: [{ Image: ref('Agent') }] },
    };
    const result = expectSuccess(run({ T: elsewhere, C: consumer(ref('Agent')) }));
    expect(((result.fragment.Resources as JsonObject).T as JsonObject).Metadata).toEqual({
      ContainerDefinitions: [{ Image: mirrorRef(AGENT_MIRROR) }],
      Containers: [{ Image: mirrorRef(AGENT_MIRROR) }],
    });
  });

  it('a template whose Resources is not an object is refused for that alone', () => {
    const result = run([] as unknown as JsonObject);
    expect(expectFailure(result)).toEqual([{ message: 'Template: Resources must be an object of resources by logical id' }]);
    // The parameter's own warning, and nothing from the execution-role check.
    expect(result.warnings).toEqual([{ logicalId: 'Agent', message: expect.stringContaining('nothing uses it outside image sites') }]);
  });

  it('an output reading the parameter asks for no role', () => {
    const input = template(
      { T: task([{ Name: 'a', Image: 'public.ecr.aws/x/y:1' }]), C: consumer(ref('Agent')) },
      { Parameters: { Agent: stringParameter(AGENT) }, Metadata: { SysdigImageFix: { MirrorParameters: ['Agent'] } }, Outputs: { O: { Value: ref('Agent') } } },
    );
    expect(transform(input, context(), defaults()).ok).toBe(true);
  });
});
