import { describe, expect, it } from 'vitest';
import { transform } from '../../../src/template/transform.js';
import type { Json, JsonObject } from '../../../src/template/types.js';
import {
  context,
  defaults,
  expectedMirrorId,
  expectFailure,
  expectSuccess,
  getAtt,
  ifThen,
  imageOf,
  lambdaFunction,
  mirrorRef,
  mirrorsOf,
  PRIVATE_ECR_IMAGE,
  QUAY_IMAGE,
  ref,
  siteOf,
  stringParameter,
  sub,
  template,
  AGENT,
  AGENT_MIRROR,
} from './fixtures.js';

const options = (extra: JsonObject = {}) => ({ Metadata: { SysdigImageFix: { MirrorParameters: ['Agent'], ...extra } } });

/** A resource that reads `value` in one property (an ECS service-like consumer of the parameter). */
const consumer = (value: Json, extra: JsonObject = {}): JsonObject => ({ Type: 'AWS::SSM::Parameter', ...extra, Properties: { Type: 'String', Value: value } });
const consumedValue = (fragment: JsonObject, id: string): Json => (((fragment.Resources as JsonObject)[id] as JsonObject).Properties as JsonObject).Value!;

function run(resources: JsonObject, sections: JsonObject = {}, parameterValues: Record<string, unknown> = {}) {
  const input = template(resources, { Parameters: { Agent: stringParameter(AGENT) }, ...options(), ...sections });
  return { input, result: transform(input, context({ templateParameterValues: parameterValues }), defaults()) };
}

describe('Options: MirrorParameters', () => {
  it('injects one whole-image mirror (Platforms: all, no Architecture) whose SourceImage is the parameter', () => {
    const { result } = run({ C: consumer(ref('Agent')) });
    const { fragment, sites } = expectSuccess(result);
    expect(mirrorsOf(fragment)).toEqual({
      [AGENT_MIRROR]: {
        Type: 'Custom::ImageMirror',
        Properties: {
          ServiceToken: defaults().mirrorFunctionArn,
          ServiceTimeout: 3600,
          SourceImage: ref('Agent'),
          Platforms: 'all',
          RepositoryPrefix: 'sysdig-image-fix',
        },
      },
    });
    expect(consumedValue(fragment, 'C')).toEqual(mirrorRef(AGENT_MIRROR));
    expect(siteOf(sites, 'Agent')).toEqual({
      logicalId: 'Agent',
      resourceType: 'Parameter',
      location: 'Parameters.Agent',
      image: AGENT,
      verdict: 'mirror',
      architecture: 'all',
      mirrorLogicalId: AGENT_MIRROR,
    });
  });

  it('takes RepositoryPrefix and ServiceTimeout from the template options', () => {
    const { result } = run({ C: consumer(ref('Agent')) }, options({ RepositoryPrefix: 'team', ServiceTimeout: 900 }));
    const mirror = mirrorsOf(expectSuccess(result).fragment)[AGENT_MIRROR]!;
    expect(mirror.Properties).toMatchObject({ RepositoryPrefix: 'team', ServiceTimeout: 900 });
  });

  it('rewrites Refs in nested intrinsics, both Fn::If branches and Outputs', () => {
    const { result } = run(
      {
        J: consumer({ 'Fn::Join': [',', [ref('Agent'), 'x']] }),
        I: consumer(ifThen('Always', ref('Agent'), { 'Fn::Select': [0, [ref('Agent')]] })),
      },
      { Conditions: { Always: { 'Fn::Equals': ['a', 'a'] } }, Outputs: { Image: { Value: ref('Agent') } } },
    );
    const { fragment } = expectSuccess(result);
    expect(consumedValue(fragment, 'J')).toEqual({ 'Fn::Join': [',', [mirrorRef(AGENT_MIRROR), 'x']] });
    expect(consumedValue(fragment, 'I')).toEqual(ifThen('Always', mirrorRef(AGENT_MIRROR), { 'Fn::Select': [0, [mirrorRef(AGENT_MIRROR)]] }));
    expect(fragment.Outputs).toEqual({ Image: { Value: mirrorRef(AGENT_MIRROR) } });
  });

  it('rewrites ${Agent} in Fn::Sub (string and list forms), but not ${!Agent} nor a name the Sub map defines', () => {
    const { result } = run({
      S: consumer(sub('image=${Agent} literal=${!Agent} region=${AWS::Region}')),
      L: consumer(sub('${Agent}/${Other}', { Other: ref('Agent') })),
      M: consumer(sub('${Agent}', { Agent: 'mine' })),
    });
    const { fragment } = expectSuccess(result);
    expect(consumedValue(fragment, 'S')).toEqual(sub(`image=\${${AGENT_MIRROR}.ImageUri} literal=\${!Agent} region=\${AWS::Region}`));
    expect(consumedValue(fragment, 'L')).toEqual(sub(`\${${AGENT_MIRROR}.ImageUri}/\${Other}`, { Other: mirrorRef(AGENT_MIRROR) }));
    expect(consumedValue(fragment, 'M')).toEqual(sub('${Agent}', { Agent: 'mine' }));
  });

  it('never rewrites Conditions, Mappings, Rules, Parameters, Fn::FindInMap arguments or the mirror SourceImage', () => {
    const sections = {
      Conditions: { IsDefault: { 'Fn::Equals': [ref('Agent'), AGENT] } },
      Mappings: { M: { K: { V: 'x' } } },
      Rules: { R: { Assertions: [{ Assert: { 'Fn::Not': [{ 'Fn::Equals': [ref('Agent'), ''] }] } }] } },
    };
    const { input, result } = run({ C: consumer(ref('Agent')), F: consumer({ 'Fn::FindInMap': ['M', ref('Agent'), 'V'] }) }, sections);
    const { fragment } = expectSuccess(result);
    for (const section of ['Conditions', 'Mappings', 'Rules', 'Parameters']) expect(fragment[section]).toEqual(input[section]);
    expect(consumedValue(fragment, 'F')).toEqual({ 'Fn::FindInMap': ['M', ref('Agent'), 'V'] });
    expect((mirrorsOf(fragment)[AGENT_MIRROR]!.Properties as JsonObject).SourceImage).toEqual(ref('Agent'));
  });

  it('keeps a Lambda ImageUri site on its own one-platform mirror (Lambda refuses an index)', () => {
    const { result } = run({ F: lambdaFunction(ref('Agent'), { properties: { Environment: { Variables: { AGENT: ref('Agent') } } } }) });
    const { fragment } = expectSuccess(result);
    const lambdaMirror = expectedMirrorId(ref('Agent'), 'x86_64');
    expect(Object.keys(mirrorsOf(fragment)).sort()).toEqual([AGENT_MIRROR, lambdaMirror].sort());
    expect(imageOf(fragment, 'F')).toEqual(mirrorRef(lambdaMirror));
    const variables = (((fragment.Resources as JsonObject).F as JsonObject).Properties as JsonObject).Environment as JsonObject;
    expect(variables).toEqual({ Variables: { AGENT: mirrorRef(AGENT_MIRROR) } });
  });

  it('a skipped Lambda site keeps reading the parameter', () => {
    const { result } = run({ F: lambdaFunction(ref('Agent'), { options: { Skip: true } }), C: consumer(ref('Agent')) });
    const { fragment } = expectSuccess(result);
    expect(imageOf(fragment, 'F')).toEqual(ref('Agent'));
  });

  it('carries the Condition every use shares, either one when the uses differ, and none when a use has none', () => {
    const conditions = { Conditions: { A: { 'Fn::Equals': ['a', 'a'] }, B: { 'Fn::Equals': ['b', 'b'] } } };
    const same = run({ X: consumer(ref('Agent'), { Condition: 'A' }), Y: consumer(ref('Agent'), { Condition: 'A' }) }, conditions);
    expect(mirrorsOf(expectSuccess(same.result).fragment)[AGENT_MIRROR]!.Condition).toBe('A');
    const mixed = run({ X: consumer(ref('Agent'), { Condition: 'A' }), Y: consumer(ref('Agent'), { Condition: 'B' }) }, conditions);
    const mixedFragment = expectSuccess(mixed.result).fragment;
    expect(mirrorsOf(mixedFragment)[AGENT_MIRROR]!.Condition).toBe(`${AGENT_MIRROR}Needed`);
    expect((mixedFragment.Conditions as JsonObject)[`${AGENT_MIRROR}Needed`]).toEqual({ 'Fn::Or': [{ Condition: 'A' }, { Condition: 'B' }] });
    const withOutput = run({ X: consumer(ref('Agent'), { Condition: 'A' }) }, { ...conditions, Outputs: { O: { Value: ref('Agent') } } });
    expect(mirrorsOf(expectSuccess(withOutput.result).fragment)[AGENT_MIRROR]!.Condition).toBeUndefined();
  });

  it('is idempotent: transforming the output again changes nothing', () => {
    const conditions = { Conditions: { A: { 'Fn::Equals': ['a', 'a'] } } };
    const { result } = run({ X: consumer(sub('${Agent}'), { Condition: 'A' }), F: lambdaFunction(ref('Agent'), { condition: 'A' }) }, conditions);
    const once = expectSuccess(result).fragment;
    const twice = expectSuccess(transform(once, context(), defaults()));
    expect(JSON.stringify(twice.fragment)).toBe(JSON.stringify(once));
    expect(siteOf(twice.sites, 'Agent').verdict).toBe('mirror');
  });

  it('keeps a value already in private ECR of the region: no mirror, uses unchanged', () => {
    const { input, result } = run({ C: consumer(ref('Agent')) }, {}, { Agent: PRIVATE_ECR_IMAGE });
    const { fragment, sites } = expectSuccess(result);
    expect(fragment).toEqual(input);
    expect(siteOf(sites, 'Agent')).toMatchObject({ verdict: 'keep', image: PRIVATE_ECR_IMAGE });
  });

  it('mirrors at deploy time a parameter without value or Default', () => {
    const input = template({ C: consumer(ref('Agent')) }, { Parameters: { Agent: stringParameter() }, ...options() });
    const { fragment, sites } = expectSuccess(transform(input, context(), defaults()));
    expect(siteOf(sites, 'Agent')).toMatchObject({ verdict: 'deploy-time', mirrorLogicalId: AGENT_MIRROR });
    expect(consumedValue(fragment, 'C')).toEqual(mirrorRef(AGENT_MIRROR));
  });

  it('warns and injects nothing when only Lambda image sites use the parameter', () => {
    const { result } = run({ F: lambdaFunction(ref('Agent')) });
    expect(result.ok).toBe(true);
    expect(result.warnings).toEqual([{ logicalId: 'Agent', message: expect.stringContaining('no mirror was injected for it') }]);
    expect(Object.keys(mirrorsOf(expectSuccess(result).fragment))).toEqual([expectedMirrorId(ref('Agent'), 'x86_64')]);
    expect(siteOf(result.sites, 'Agent').verdict).toBe('keep');
  });

  describe('errors name the parameter', () => {
    const failing = (parameters: JsonObject, names: Json, values: Record<string, unknown> = {}) =>
      expectFailure(
        transform(
          template({ C: consumer(ref('Agent')) }, { Parameters: parameters, Metadata: { SysdigImageFix: { MirrorParameters: names } } }),
          context({ templateParameterValues: values, parameterOrigins: { Agent: 'Parameters.Agent.Default' } }),
          defaults(),
        ),
      );
    it('an unknown parameter', () => {
      expect(failing({ Agent: stringParameter(AGENT) }, ['Agnet'])).toEqual([
        { logicalId: 'Agnet', message: 'Parameter Agnet (MirrorParameters): there is no such parameter; the template declares Agent' },
      ]);
    });
    it('a parameter that is not a String', () => {
      expect(failing({ Agent: { Type: 'CommaDelimitedList', Default: 'a,b' } }, ['Agent'])[0]!.message).toBe(
        'Parameter Agent (MirrorParameters): its Type is "CommaDelimitedList"; only a String parameter holds one image reference',
      );
    });
    it('a value that is not an image reference, with the reason', () => {
      const [problem] = failing({ Agent: stringParameter('Not An Image') }, ['Agent']);
      expect(problem!.logicalId).toBe('Agent');
      expect(problem!.message).toMatch(/^Parameter Agent \(MirrorParameters\): Parameters\.Agent\.Default "Not An Image" is not a valid image reference: .+/);
    });
    it('a MirrorParameters that is not a list of names', () => {
      expect(failing({ Agent: stringParameter(AGENT) }, 'Agent')[0]!.message).toContain('MirrorParameters "Agent" is not valid: it is not a list');
      expect(failing({ Agent: stringParameter(AGENT) }, ['Agent', 3])[0]!.message).toContain('3 is not a parameter name');
    });
  });

  it('merges with an ECS site of the same parameter asking for Platforms: all', () => {
    const task = {
      Type: 'AWS::ECS::TaskDefinition',
      Properties: { ExecutionRoleArn: 'arn:aws:iam::123456789012:role/x', ContainerDefinitions: [{ Name: 'a', Image: ref('Agent') }] },
    };
    const { result } = run({ T: task, C: consumer(ref('Agent')) }, options({ Ecs: true, Platforms: 'all' }));
    const { fragment } = expectSuccess(result);
    expect(Object.keys(mirrorsOf(fragment))).toEqual([AGENT_MIRROR]);
    expect(getAtt(AGENT_MIRROR, 'ImageUri')).toEqual(consumedValue(fragment, 'C'));
  });

  it('leaves QUAY images of functions alone when the option names no parameter', () => {
    const input = template({ F: lambdaFunction(QUAY_IMAGE) }, { Metadata: { SysdigImageFix: { MirrorParameters: [] } } });
    expect(Object.keys(mirrorsOf(expectSuccess(transform(input, context(), defaults())).fragment))).toHaveLength(1);
  });
});
