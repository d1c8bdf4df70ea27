// Options given the CloudFormation way: `Transform: [{Name: SysdigImageFix, Parameters: {...}}]`. CloudFormation hands
// the Parameters to the macro as the event's `params`, with a Ref to a template or pseudo parameter resolved (a run
// recorded against AWS: localstack tests/aws/services/cloudformation/test_template_engine.snapshot.json,
// test_functions_and_references_during_transformation), and refuses other values that are not a string, number,
// boolean or list (DataDog/datadog-cloudformation-macro#25).
import { describe, expect, it } from 'vitest';
import { transform } from '../../../src/template/transform.js';
import type { Json, JsonObject, TransformContext, TransformDefaults } from '../../../src/template/types.js';
import { context, defaults, expectFailure, expectSuccess, lambdaFunction, mirrorsOf, onlyMirror, QUAY_IMAGE, ref, siteOf, stringParameter, template } from './fixtures.js';

const TEMPLATE_KEYS = 'allowed keys: RepositoryPrefix, Architecture, ServiceTimeout, MirrorParameters, Ecs, Platforms, Refresh';

function run(params: unknown, input: JsonObject = template({ F: lambdaFunction(QUAY_IMAGE) }), ctx: Partial<TransformContext> = {}, macro: Partial<TransformDefaults> = {}) {
  return transform(input, context({ transformParameters: params, ...ctx }), defaults(macro));
}

function properties(params: unknown, input?: JsonObject, macro: Partial<TransformDefaults> = {}): JsonObject {
  return onlyMirror(expectSuccess(run(params, input, {}, macro)).fragment)[1].Properties as JsonObject;
}

describe('Options: Transform parameters', () => {
  it('uses RepositoryPrefix from the Transform parameters (ignored before: the mirror went to sysdig-image-fix/...)', () => {
    expect(properties({ RepositoryPrefix: 'team/mirrors' })).toMatchObject({ RepositoryName: 'team/mirrors/quay.io/sysdig/serverless-patcher' });
  });

  it('refuses an unknown key with the same message as in Metadata, naming the Transform (ignored before)', () => {
    const errors = expectFailure(run({ RepositoryPrefix: 'team/mirrors', Bogus: 1 }));
    expect(errors).toEqual([{ message: `Transform SysdigImageFix: unknown option "Bogus" in Parameters; ${TEMPLATE_KEYS}` }]);
  });

  it.each<[string, Json, string]>([
    ['RepositoryPrefix', 'Bad Prefix', 'allowed values: a private ECR repository name prefix'],
    ['Architecture', 'ppc', 'allowed values: x86_64, arm64'],
    ['ServiceTimeout', 0, 'allowed values: an integer from 1 to 3600'],
    ['Ecs', 'yes', 'allowed values: true, false'],
    ['Platforms', 'All', 'allowed values: all'],
    ['MirrorParameters', 'Image', 'it is not a list'],
  ])('validates %s %j like the template Metadata does', (key, value, detail) => {
    const [fromTransform] = expectFailure(run({ [key]: value }));
    const [fromMetadata] = expectFailure(run(undefined, { ...template({ F: lambdaFunction(QUAY_IMAGE) }), Metadata: { SysdigImageFix: { [key]: value } } }));
    expect(fromTransform!.message).toContain(detail);
    // The same words after the owner: only who and where differ.
    expect(fromTransform!.message.replace('Transform SysdigImageFix: option Parameters.', '')).toBe(
      fromMetadata!.message.replace('template Metadata: option Metadata.SysdigImageFix.', ''),
    );
  });

  it('refuses Skip, which belongs to a resource', () => {
    const [error] = expectFailure(run({ Skip: true }));
    expect(error!.message).toContain('unknown option "Skip" in Parameters (Skip belongs in the Metadata of a function or task definition resource)');
  });

  it.each([undefined, null, {}])('takes %j as no parameters', (params) => {
    expect(properties(params)).toEqual(properties(undefined));
  });

  it('refuses Parameters that are not an object, with that problem alone', () => {
    const result = run(['RepositoryPrefix']);
    expect(expectFailure(result)).toEqual([{ message: `Transform SysdigImageFix: Parameters must be an object of options; ${TEMPLATE_KEYS}` }]);
    expect(result.warnings).toEqual([]);
  });

  describe('precedence: macro defaults < Transform parameters < template Metadata < resource Metadata', () => {
    const macro = { repositoryPrefix: 'macro', serviceTimeout: 60 };
    it('Transform parameters override the macro defaults', () => {
      expect(properties({ RepositoryPrefix: 'transform', ServiceTimeout: '900' }, undefined, macro)).toMatchObject({
        RepositoryName: 'transform/quay.io/sysdig/serverless-patcher',
        ServiceTimeout: 900,
      });
    });
    it('template Metadata overrides the Transform parameters, key by key, with a warning for each key both give', () => {
      const input = { ...template({ F: lambdaFunction(QUAY_IMAGE) }), Metadata: { SysdigImageFix: { RepositoryPrefix: 'metadata' } } };
      const result = expectSuccess(run({ RepositoryPrefix: 'transform', ServiceTimeout: 900 }, input, {}, macro));
      expect(onlyMirror(result.fragment)[1].Properties).toMatchObject({ RepositoryName: 'metadata/quay.io/sysdig/serverless-patcher', ServiceTimeout: 900 });
      expect(result.warnings).toEqual([
        {
          message:
            'Template: Metadata.SysdigImageFix.RepositoryPrefix "metadata" overrides the Transform parameter RepositoryPrefix "transform" ' +
            '(template Metadata wins over Transform parameters); give it in one place',
        },
      ]);
    });
    it('says nothing when both give the same value', () => {
      const input = { ...template({ F: lambdaFunction(QUAY_IMAGE) }), Metadata: { SysdigImageFix: { RepositoryPrefix: 'same' } } };
      expect(expectSuccess(run({ RepositoryPrefix: 'same' }, input)).warnings).toEqual([]);
    });
    it('resource Metadata overrides both', () => {
      const input = { ...template({ F: lambdaFunction(QUAY_IMAGE, { options: { RepositoryPrefix: 'resource' } }) }), Metadata: { SysdigImageFix: { ServiceTimeout: 120 } } };
      expect(properties({ RepositoryPrefix: 'transform', ServiceTimeout: 900 }, input)).toMatchObject({
        RepositoryName: 'resource/quay.io/sysdig/serverless-patcher',
        ServiceTimeout: 120,
      });
    });
  });

  describe('values as CloudFormation passes them', () => {
    const withParameters = (parameters: JsonObject) => template({ F: lambdaFunction(QUAY_IMAGE) }, { Parameters: parameters });

    it('resolves a Ref to a template parameter to the value the stack is deployed with, and says the result holds it', () => {
      const input = withParameters({ Prefix: stringParameter('default/prefix') });
      const result = expectSuccess(run({ RepositoryPrefix: ref('Prefix') }, input, { templateParameterValues: { Prefix: 'given/prefix' } }));
      expect(onlyMirror(result.fragment)[1].Properties).toMatchObject({ RepositoryName: 'given/prefix/quay.io/sysdig/serverless-patcher' });
      expect(result.warnings).toEqual([
        { message: expect.stringContaining('Transform SysdigImageFix Parameters.RepositoryPrefix is {"Ref":"Prefix"}, "given/prefix" here') },
      ]);
    });

    it('resolves a Ref to a pseudo parameter', () => {
      const input = template({ F: lambdaFunction(QUAY_IMAGE) });
      expect(onlyMirror(expectSuccess(run({ RepositoryPrefix: ref('AWS::Region') }, input)).fragment)[1].Properties).toMatchObject({
        RepositoryName: 'ap-northeast-1/quay.io/sysdig/serverless-patcher',
      });
    });

    it('names a Ref that has no value here', () => {
      const [error] = expectFailure(run({ ServiceTimeout: ref('Missing') }, withParameters({ Missing: stringParameter() })));
      expect(error!.message).toBe('Transform SysdigImageFix: Parameters.ServiceTimeout {"Ref":"Missing"} has no value here (parameter Missing has no value and no Default)');
    });

    it.each<[string, Json]>([
      ['Fn::Sub', { 'Fn::Sub': 'team/${AWS::Region}' }],
      ['Fn::ImportValue', { 'Fn::ImportValue': 'Prefix' }],
      ['an object', { Name: 'x' }],
      ['null', null],
      ['a list holding an object', [{ Name: 'Agent', Architecture: 'arm64' }]],
    ])('refuses %s as CloudFormation does, naming the key', (_case, value) => {
      const [error] = expectFailure(run({ MirrorParameters: value }));
      expect(error!.message).toMatch(
        /^Transform SysdigImageFix: Parameters\.MirrorParameters .*: CloudFormation refuses it \("the value of parameter MirrorParameters under transform SysdigImageFix must resolve to a string, number, boolean or a list of any of these"\)/,
      );
    });

    it('reads MirrorParameters from a list of names and Refs', () => {
      const input = template(
        { F: lambdaFunction(QUAY_IMAGE), Consumer: { Type: 'AWS::SSM::Parameter', Properties: { Type: 'String', Value: ref('Agent') } } },
        { Parameters: { Agent: stringParameter('quay.io/sysdig/agent:1'), Which: stringParameter('Agent') } },
      );
      const viaName = expectSuccess(run({ MirrorParameters: ['Agent'] }, input));
      const viaRef = expectSuccess(run({ MirrorParameters: [ref('Which')] }, input));
      expect(siteOf(viaName.sites, 'Agent').verdict).toBe('mirror');
      expect(viaRef.fragment).toEqual(viaName.fragment);
      expect(Object.keys(mirrorsOf(viaName.fragment))).toHaveLength(2);
    });

    it('drops a key whose Ref is AWS::NoValue', () => {
      expect(properties({ RepositoryPrefix: ref('AWS::NoValue') })).toEqual(properties(undefined));
    });
  });
});
