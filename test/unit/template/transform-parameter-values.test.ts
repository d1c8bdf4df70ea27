// The Transform entry's Parameters as the macro receives them, at their edges: lists with Refs in them, Refs to
// pseudo parameters (no warning: every deployment has the same), and the whole words of the warning and refusals.
import { describe, expect, it } from 'vitest';
import { transform } from '../../../src/template/transform.js';
import type { Json, JsonObject, TransformContext } from '../../../src/template/types.js';
import {
  context,
  defaults,
  expectFailure,
  expectSuccess,
  lambdaFunction,
  mirrorsOf,
  NO_VALUE,
  onlyMirror,
  QUAY_IMAGE,
  ref,
  siteOf,
  stringParameter,
  template,
} from './fixtures.js';

const CONSUMERS = {
  F: lambdaFunction(QUAY_IMAGE),
  A: { Type: 'AWS::SSM::Parameter', Properties: { Type: 'String', Value: ref('Agent') } },
  B: { Type: 'AWS::SSM::Parameter', Properties: { Type: 'String', Value: ref('Other') } },
};
const PARAMETERS = {
  Agent: stringParameter('quay.io/sysdig/agent:1'),
  Other: stringParameter('quay.io/sysdig/other:1'),
  First: stringParameter('Agent'),
  Second: stringParameter('Other'),
};
const run = (params: Json, ctx: Partial<TransformContext> = {}) =>
  transform(template(CONSUMERS, { Parameters: PARAMETERS }), context({ transformParameters: params, ...ctx }), defaults());

describe('Transform parameters: lists', () => {
  it('resolves each Ref of a list, drops one to AWS::NoValue, and warns naming every parameter the list read', () => {
    const result = run({ MirrorParameters: [ref('First'), NO_VALUE, 'Other', ref('Second')] });
    const { sites } = expectSuccess(result);
    expect(sites.filter((site) => site.resourceType === 'Parameter').map((site) => [site.logicalId, site.verdict])).toEqual([
      ['Agent', 'mirror'],
      ['Other', 'mirror'],
    ]);
    expect(result.warnings).toEqual([
      {
        message:
          'Template: Transform SysdigImageFix Parameters.MirrorParameters is [{"Ref":"First"},{"Ref":"AWS::NoValue"},"Other",{"Ref":"Second"}], ' +
          '["Agent","Other","Other"] here; the result is written for that value (run by CloudFormation, the macro gets the value the stack is deployed ' +
          'with): transform again when First, Second changes',
      },
    ]);
  });

  it('a list of plain names, or of pseudo parameters, gives no warning', () => {
    expect(run({ MirrorParameters: ['Agent'] }).warnings).toEqual([]);
    const pseudo = run({ RepositoryPrefix: ref('AWS::Region'), MirrorParameters: ['Agent', ref('AWS::NoValue')] });
    expect(pseudo.warnings).toEqual([]);
    expect(siteOf(expectSuccess(pseudo).sites, 'Agent').verdict).toBe('mirror');
  });

  it('names a Ref in a list that has no value here', () => {
    const input = template(CONSUMERS, { Parameters: { ...PARAMETERS, Missing: stringParameter() } });
    expect(expectFailure(transform(input, context({ transformParameters: { MirrorParameters: ['Agent', ref('Missing')] } }), defaults()))).toEqual([
      {
        message: 'Transform SysdigImageFix: Parameters.MirrorParameters {"Ref":"Missing"} has no value here (parameter Missing has no value and no Default)',
      },
    ]);
  });

  it('refuses a list holding another intrinsic, with the whole words', () => {
    expect(expectFailure(run({ MirrorParameters: ['Agent', { 'Fn::Sub': 'Other' }] }))).toEqual([
      {
        message:
          'Transform SysdigImageFix: Parameters.MirrorParameters ["Agent",{"Fn::Sub":"Other"}]: CloudFormation refuses it ("the value of parameter ' +
          'MirrorParameters under transform SysdigImageFix must resolve to a string, number, boolean or a list of any of these"); it resolves only ' +
          'Ref to a template or pseudo parameter there, so write the value or a Ref',
      },
    ]);
  });

  it('takes numbers and booleans as they are', () => {
    const result = expectSuccess(run({ ServiceTimeout: 60, Refresh: false, Ecs: true }));
    expect(onlyMirror(result.fragment)[1].Properties).toMatchObject({ ServiceTimeout: 60 });
    expect(result.warnings).toEqual([]);
  });

  it('every problem of the parameters is reported, the good keys still read', () => {
    const input = template(CONSUMERS, { Parameters: { ...PARAMETERS, Missing: stringParameter() } });
    const result = transform(
      input,
      context({ transformParameters: { ServiceTimeout: ref('Missing'), RepositoryPrefix: { 'Fn::Sub': 'x' }, Architecture: 'arm64' } }),
      defaults(),
    );
    expect(expectFailure(result).map((problem) => /^Transform SysdigImageFix: Parameters\.(\w+) /.exec(problem.message)?.[1])).toEqual([
      'ServiceTimeout',
      'RepositoryPrefix',
    ]);
    expect(siteOf(result.sites, 'F').architecture).toBe('arm64');
  });

  it('a Ref resolved to a value is that value, with a warning; the mirror follows it', () => {
    const result = run({ ServiceTimeout: ref('Timeout') }, { templateParameterValues: { Timeout: '120' } });
    const withTimeout = transform(
      template(CONSUMERS, { Parameters: { ...PARAMETERS, Timeout: stringParameter('60') } }),
      context({ transformParameters: { ServiceTimeout: ref('Timeout') } }),
      defaults(),
    );
    expect(Object.values(mirrorsOf(expectSuccess(withTimeout).fragment)).map((mirror) => (mirror.Properties as JsonObject).ServiceTimeout)).toEqual([60]);
    expect(withTimeout.warnings.map((warning) => warning.message)).toEqual([
      'Template: Transform SysdigImageFix Parameters.ServiceTimeout is {"Ref":"Timeout"}, "60" here; the result is written for that value (run by ' +
        'CloudFormation, the macro gets the value the stack is deployed with): transform again when Timeout changes',
    ]);
    expect(result.ok).toBe(true);
  });
});
