import { describe, expect, it } from 'vitest';
import { partitionForRegion } from '../../../../src/reference/index.js';
import { createResolver, type Evaluation } from '../../../../src/template/resolve/resolver.js';
import type { Json, JsonObject, TransformContext } from '../../../../src/template/types.js';
import { context, equals, findInMap, ifThen, NO_VALUE, ref, stringParameter, sub, template } from '../fixtures.js';

const PARAMETERS: JsonObject = {
  Image: stringParameter('quay.io/a/b:1'),
  Tag: stringParameter('1.0'),
  NoDefault: { Type: 'String' },
  Count: { Type: 'Number', Default: 2 },
  Names: { Type: 'CommaDelimitedList', Default: 'x86_64, arm64' },
  Numbers: { Type: 'List<Number>', Default: '1,2' },
  FromSsm: { Type: 'AWS::SSM::Parameter::Value<String>', Default: '/images/app' },
  Env: stringParameter('prod'),
};
const MAPPINGS: JsonObject = {
  Images: {
    'ap-northeast-1': { Patcher: 'quay.io/sysdig/serverless-patcher:5.0.1', Archs: ['arm64'] },
    prod: { Patcher: 'prod-image' },
  },
  Keys: { prod: { Name: 'Patcher' } },
};
const CONDITIONS: JsonObject = {
  IsProd: equals(ref('Env'), 'prod'),
  IsTokyo: equals(ref('AWS::Region'), 'ap-northeast-1'),
  IsStackX: equals(ref('AWS::StackName'), 'x'),
  ProdAndTokyo: { 'Fn::And': [{ Condition: 'IsProd' }, { Condition: 'IsTokyo' }] },
  NotProd: { 'Fn::Not': [{ Condition: 'IsProd' }] },
  ProdOrStack: { 'Fn::Or': [{ Condition: 'IsProd' }, { Condition: 'IsStackX' }] },
  NotProdAndStack: { 'Fn::And': [{ Condition: 'NotProd' }, { Condition: 'IsStackX' }] },
  ProdAndStack: { 'Fn::And': [{ Condition: 'IsProd' }, { Condition: 'IsStackX' }] },
  CountIsTwo: equals(ref('Count'), 2),
  LoopA: { 'Fn::Not': [{ Condition: 'LoopB' }] },
  LoopB: { 'Fn::Not': [{ Condition: 'LoopA' }] },
  Missing: { Condition: 'NotDeclared' },
};

function evaluate(expression: Json, ctx: Partial<TransformContext> = {}, extra: JsonObject = {}): Evaluation {
  const t = template({ Bucket: { Type: 'AWS::S3::Bucket' }, ...extra }, { Parameters: PARAMETERS, Mappings: MAPPINGS, Conditions: CONDITIONS });
  return createResolver(t, context(ctx)).evaluate(expression);
}

const resolved = (value: Json) => ({ kind: 'value', value });
const isUnresolvable = (e: Evaluation) => expect(e.kind).toBe('unresolvable');

describe('Function: createResolver', () => {
  describe('parameters (where a value comes from)', () => {
    const parameters = (expression: Json) =>
      createResolver(template({ Bucket: { Type: 'AWS::S3::Bucket' } }, { Parameters: PARAMETERS, Conditions: CONDITIONS }), context()).parameters(expression);
    it.each<[string, Json, string[]]>([
      ['a Ref', ref('Image'), ['Image']],
      ['a pseudo parameter or a resource', [ref('AWS::Region'), ref('Bucket')], []],
      ['Sub variables, once each, not its own variables nor escapes', sub('${Image}-${Tag}-${Image}-${!Env}-${Local}-${Bucket.Arn}'), ['Image', 'Tag']],
      ['the variables map of a Sub', { 'Fn::Sub': ['${Local}', { Local: ref('Env') }] }, ['Env']],
      ['only the branch a known condition takes', ifThen('IsProd', ref('Image'), ref('Tag')), ['Image']],
      ['both branches of an unknown condition', ifThen('IsStackX', ref('Image'), ref('Tag')), ['Image', 'Tag']],
      ['anything nested', { 'Fn::Join': ['', [ref('Tag'), findInMap('Images', ref('Env'), 'Patcher')]] }, ['Tag', 'Env']],
    ])('%s', (_case, expression, expected) => {
      expect(parameters(expression)).toEqual(expected);
    });
  });

  describe('Ref to parameters', () => {
    it('takes the value from templateParameterValues', () => {
      expect(evaluate(ref('Image'), { templateParameterValues: { Image: 'nginx:1.27' } })).toEqual(resolved('nginx:1.27'));
    });
    it('falls back to the Default when the event has no value', () => {
      expect(evaluate(ref('Image'))).toEqual(resolved('quay.io/a/b:1'));
    });
    it('reads a numeric Default as a string', () => {
      expect(evaluate(ref('Count'))).toEqual(resolved('2'));
    });
    it('is unresolvable without value or Default', () => {
      isUnresolvable(evaluate(ref('NoDefault')));
    });
    it('splits a CommaDelimitedList Default and trims each member', () => {
      expect(evaluate(ref('Names'))).toEqual(resolved(['x86_64', 'arm64']));
    });
    it('accepts a list value or a comma string for list types', () => {
      expect(evaluate(ref('Names'), { templateParameterValues: { Names: ['arm64'] } })).toEqual(resolved(['arm64']));
      expect(evaluate(ref('Numbers'), { templateParameterValues: { Numbers: '3,4' } })).toEqual(resolved(['3', '4']));
    });
    it('treats SSM-typed parameters as unresolvable (their value is an SSM key)', () => {
      isUnresolvable(evaluate(ref('FromSsm')));
      isUnresolvable(evaluate(ref('FromSsm'), { templateParameterValues: { FromSsm: '/images/app' } }));
    });
    it('uses an event value for a name the fragment does not declare', () => {
      expect(evaluate(ref('Undeclared'), { templateParameterValues: { Undeclared: 'v' } })).toEqual(resolved('v'));
    });
    it('is unresolvable for resources and unknown names, including Object.prototype members', () => {
      isUnresolvable(evaluate(ref('Bucket')));
      isUnresolvable(evaluate(ref('Nothing')));
      isUnresolvable(evaluate(ref('constructor')));
      isUnresolvable(evaluate(ref('toString')));
    });
  });

  describe('pseudo parameters', () => {
    it('knows region and account from the context', () => {
      expect(evaluate(ref('AWS::Region'))).toEqual(resolved('ap-northeast-1'));
      expect(evaluate(ref('AWS::AccountId'))).toEqual(resolved('123456789012'));
    });
    it('derives partition and URL suffix from the region when the context has none', () => {
      expect(evaluate(ref('AWS::Partition'))).toEqual(resolved('aws'));
      expect(evaluate(ref('AWS::URLSuffix'))).toEqual(resolved('amazonaws.com'));
      expect(evaluate(ref('AWS::Partition'), { region: 'cn-north-1' })).toEqual(resolved('aws-cn'));
      expect(evaluate(ref('AWS::URLSuffix'), { region: 'cn-north-1' })).toEqual(resolved('amazonaws.com.cn'));
      expect(evaluate(ref('AWS::Partition'), { region: 'us-gov-west-1' })).toEqual(resolved('aws-us-gov'));
    });
    it('prefers partition and URL suffix given by the context', () => {
      expect(evaluate(ref('AWS::Partition'), { partition: 'aws-x' })).toEqual(resolved('aws-x'));
      expect(evaluate(ref('AWS::URLSuffix'), { urlSuffix: 'example.test' })).toEqual(resolved('example.test'));
    });
    it('is unresolvable for StackName, StackId and NotificationARNs', () => {
      for (const name of ['AWS::StackName', 'AWS::StackId', 'AWS::NotificationARNs']) isUnresolvable(evaluate(ref(name)));
    });
    it('returns no-value for AWS::NoValue', () => {
      expect(evaluate(NO_VALUE)).toEqual({ kind: 'no-value' });
    });
  });

  describe('Fn::Sub', () => {
    it('substitutes parameters and pseudo parameters in the string form', () => {
      expect(evaluate(sub('${AWS::AccountId}.dkr.ecr.${AWS::Region}.${AWS::URLSuffix}/app:${Tag}'))).toEqual(
        resolved('123456789012.dkr.ecr.ap-northeast-1.amazonaws.com/app:1.0'),
      );
    });
    it('substitutes variables of the [string, variables] form, which may be intrinsics', () => {
      expect(evaluate(sub('${Repo}:${V}', { Repo: 'quay.io/x/y', V: ref('Tag') }))).toEqual(resolved('quay.io/x/y:1.0'));
    });
    it('keeps ${!Literal} escapes as literal ${Literal}', () => {
      expect(evaluate(sub('a${!Tag}b${Tag}'))).toEqual(resolved('a${Tag}b1.0'));
    });
    it('is unresolvable for ${Resource.Attribute}', () => {
      isUnresolvable(evaluate(sub('${Bucket.Arn}/x')));
    });
    it('is unresolvable when a name is a list or unknown', () => {
      isUnresolvable(evaluate(sub('${Names}')));
      isUnresolvable(evaluate(sub('${AWS::StackName}')));
    });
  });

  describe('Fn::Join, Fn::Select, Fn::Split', () => {
    it('joins literals and evaluated members', () => {
      expect(evaluate({ 'Fn::Join': ['/', ['quay.io', ref('Env'), 'app']] })).toEqual(resolved('quay.io/prod/app'));
    });
    it('joins a list parameter and drops AWS::NoValue members', () => {
      expect(evaluate({ 'Fn::Join': ['-', ref('Names')] })).toEqual(resolved('x86_64-arm64'));
      expect(evaluate({ 'Fn::Join': ['', ['a', NO_VALUE, 'b']] })).toEqual(resolved('ab'));
    });
    it('selects by number or numeric string, from literals, Split and list parameters', () => {
      expect(evaluate({ 'Fn::Select': [1, ['a', 'b']] })).toEqual(resolved('b'));
      expect(evaluate({ 'Fn::Select': ['0', { 'Fn::Split': [',', 'q,r'] }] })).toEqual(resolved('q'));
      expect(evaluate({ 'Fn::Select': [ref('Count'), ['a', 'b', 'c']] })).toEqual(resolved('c'));
      expect(evaluate({ 'Fn::Select': [1, ref('Names')] })).toEqual(resolved('arm64'));
    });
    it('is unresolvable for an out-of-range index or a deploy-time list', () => {
      isUnresolvable(evaluate({ 'Fn::Select': [5, ['a']] }));
      isUnresolvable(evaluate({ 'Fn::Select': [0, { 'Fn::GetAZs': '' }] }));
    });
    it('splits strings', () => {
      expect(evaluate({ 'Fn::Split': [':', sub('${Image}')] })).toEqual(resolved(['quay.io/a/b', '1']));
    });
    it('is unresolvable for malformed arguments', () => {
      isUnresolvable(evaluate({ 'Fn::Join': ['/'] }));
      isUnresolvable(evaluate({ 'Fn::Select': 'x' }));
      isUnresolvable(evaluate({ 'Fn::Split': ['', 'abc'] }));
    });
  });

  describe('Fn::FindInMap', () => {
    it('looks up literal keys', () => {
      expect(evaluate(findInMap('Images', 'prod', 'Patcher'))).toEqual(resolved('prod-image'));
    });
    it('evaluates nested Refs and FindInMaps in keys', () => {
      expect(evaluate(findInMap('Images', ref('AWS::Region'), 'Patcher'))).toEqual(resolved(QUAY));
      expect(evaluate(findInMap('Images', ref('Env'), findInMap('Keys', ref('Env'), 'Name')))).toEqual(resolved('prod-image'));
    });
    it('returns list values', () => {
      expect(evaluate(findInMap('Images', ref('AWS::Region'), 'Archs'))).toEqual(resolved(['arm64']));
    });
    it('uses DefaultValue only when the key is missing', () => {
      expect(evaluate(findInMap('Images', 'dev', 'Patcher', { DefaultValue: 'fallback' }))).toEqual(resolved('fallback'));
      expect(evaluate(findInMap('Images', 'prod', 'Patcher', { DefaultValue: 'fallback' }))).toEqual(resolved('prod-image'));
    });
    it('is unresolvable for a missing key without DefaultValue, and never reads Object.prototype', () => {
      isUnresolvable(evaluate(findInMap('Images', 'dev', 'Patcher')));
      isUnresolvable(evaluate(findInMap('Images', 'prod', 'toString')));
      isUnresolvable(evaluate(findInMap('constructor', 'prototype', 'x')));
    });
  });

  describe('Fn::If and conditions', () => {
    it('chooses by Fn::Equals over parameters and pseudo parameters', () => {
      expect(evaluate(ifThen('IsProd', 'p', 'd'))).toEqual(resolved('p'));
      expect(evaluate(ifThen('IsProd', 'p', 'd'), { templateParameterValues: { Env: 'dev' } })).toEqual(resolved('d'));
      expect(evaluate(ifThen('IsTokyo', 'tokyo', 'other'), { region: 'eu-west-1' })).toEqual(resolved('other'));
    });
    it('evaluates Fn::And, Fn::Or, Fn::Not and Condition references', () => {
      expect(evaluate(ifThen('ProdAndTokyo', 'y', 'n'))).toEqual(resolved('y'));
      expect(evaluate(ifThen('NotProd', 'y', 'n'))).toEqual(resolved('n'));
    });
    it('compares numbers and numeric strings as equal', () => {
      expect(evaluate(ifThen('CountIsTwo', 'y', 'n'))).toEqual(resolved('y'));
    });
    it('settles And/Or by a decisive member even when another is unknown', () => {
      expect(evaluate(ifThen('ProdOrStack', 'y', 'n'))).toEqual(resolved('y'));
      expect(evaluate(ifThen('NotProdAndStack', 'y', 'n'))).toEqual(resolved('n'));
      isUnresolvable(evaluate(ifThen('ProdAndStack', 'y', 'n')));
    });
    it('is unresolvable for deploy-time, cyclic and undeclared conditions', () => {
      isUnresolvable(evaluate(ifThen('IsStackX', 'y', 'n')));
      isUnresolvable(evaluate(ifThen('LoopA', 'y', 'n')));
      isUnresolvable(evaluate(ifThen('Missing', 'y', 'n')));
      isUnresolvable(evaluate(ifThen('NotDeclared', 'y', 'n')));
    });
    it('yields no-value for an AWS::NoValue branch', () => {
      expect(evaluate(ifThen('IsProd', NO_VALUE, 'x'))).toEqual({ kind: 'no-value' });
    });
  });

  describe('deploy-time intrinsics', () => {
    it.each(['Fn::GetAtt', 'Fn::ImportValue', 'Fn::GetAZs', 'Fn::Base64', 'Fn::Cidr', 'Fn::Transform'])('%s is unresolvable', (name) => {
      isUnresolvable(evaluate({ [name]: ['Bucket', 'Arn'] }));
    });
  });

  describe('guards', () => {
    it('stops at deep nesting instead of overflowing the stack', () => {
      let deep: Json = 'x';
      for (let i = 0; i < 5000; i++) deep = { 'Fn::Select': [0, [deep]] };
      isUnresolvable(evaluate(deep));
      let shallow: Json = 'x';
      for (let i = 0; i < 10; i++) shallow = { 'Fn::Select': [0, [shallow]] };
      expect(evaluate(shallow)).toEqual(resolved('x'));
    });
    it('refuses long condition chains, and evaluates short ones', () => {
      const chain = (length: number): JsonObject => {
        const conditions: JsonObject = { C0: equals('a', 'a') };
        for (let i = 1; i < length; i++) conditions[`C${i}`] = { 'Fn::Not': [{ Condition: `C${i - 1}` }] };
        return conditions;
      };
      const at = (length: number) => createResolver(template({}, { Conditions: chain(length) }), context()).condition(`C${length - 1}`);
      expect(at(5)).toEqual({ kind: 'known', value: true });
      expect(at(5000).kind).toBe('unresolvable');
    });
    // Without per-Sub memoisation and the condition cache these two would take 3^19 and 10^15 steps.
    it('evaluates each Fn::Sub variable once however often it is used', () => {
      let expression: Json = '';
      for (let i = 0; i < 19; i++) expression = sub('${x}${x}${x}', { x: expression });
      expect(evaluate(expression)).toEqual(resolved(''));
    });
    it('reads each parameter value once however often it is referenced', () => {
      let reads = 0;
      const templateParameterValues = Object.defineProperty({}, 'Tag', {
        enumerable: true,
        get: () => {
          reads += 1;
          return '2.0';
        },
      });
      const resolver = createResolver(template({}, { Parameters: PARAMETERS }), context({ templateParameterValues }));
      const joined = { 'Fn::Join': [':', [ref('Tag'), sub('v${Tag}'), ref('Tag')]] };
      expect(resolver.evaluate(joined)).toEqual(resolved('2.0:v2.0:2.0'));
      expect(resolver.evaluate(ref('Tag'))).toEqual(resolved('2.0'));
      expect(reads).toBe(1);
    });
    it('evaluates each condition once however often it is referenced', () => {
      const conditions: JsonObject = { D0: equals(ref('AWS::StackName'), 'x') };
      for (let i = 1; i < 16; i++) conditions[`D${i}`] = { 'Fn::And': Array.from({ length: 10 }, () => ({ Condition: `D${i - 1}` })) };
      const resolver = createResolver(template({}, { Conditions: conditions }), context());
      expect(resolver.condition('D15').kind).toBe('unresolvable');
    });
  });
});

const QUAY = 'quay.io/sysdig/serverless-patcher:5.0.1';

describe('Function: partitionForRegion', () => {
  it.each([
    ['us-east-1', 'aws'],
    ['cn-northwest-1', 'aws-cn'],
    ['us-gov-east-1', 'aws-us-gov'],
    ['us-iso-east-1', 'aws-iso'],
    ['us-isob-east-1', 'aws-iso-b'],
    ['eu-isoe-west-1', 'aws-iso-e'],
    ['us-isof-south-1', 'aws-iso-f'],
  ])('%s is in %s', (region, partition) => {
    expect(partitionForRegion(region)).toBe(partition);
  });
});
