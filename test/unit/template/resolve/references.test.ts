// `Ref` to pseudo parameters and template parameters: what is known at transform time, and why the rest is not. These
// reasons reach users: a Transform entry's `Parameters` Ref that has no value is refused with them
// (transform-parameters.test.ts).
import { describe, expect, it } from 'vitest';
import { createResolver } from '../../../../src/template/resolve/resolver.js';
import type { Json, JsonObject, TransformContext } from '../../../../src/template/types.js';
import { context, ref, sub, template } from '../fixtures.js';

const PARAMETERS: JsonObject = {
  Untyped: { Default: 'v' },
  UntypedObject: { Default: { a: 1 } },
  OddType: { Type: 7, Default: 'v' },
  Object: { Type: 'String', Default: { a: 1 } },
  NullDefault: { Type: 'String', Default: null },
  List: { Type: 'List<String>', Default: 'a' },
  Numbers: { Type: 'List<Number>' },
  CommaList: { Type: 'CommaDelimitedList' },
  SsmList: { Type: 'AWS::SSM::Parameter::Value<List<String>>', Default: '/k' },
};

const evaluate = (expression: Json, ctx: Partial<TransformContext> = {}, resources: JsonObject = {}) =>
  createResolver(template({ Bucket: { Type: 'AWS::S3::Bucket' }, ...resources }, { Parameters: PARAMETERS }), context(ctx)).evaluate(expression);

const value = (v: Json) => ({ kind: 'value', value: v });
const unknown = (reason: string) => ({ kind: 'unresolvable', reason });

describe('Function: createResolver, Ref', () => {
  describe('pseudo parameters without a region or account', () => {
    it.each<[string, Partial<TransformContext>]>([
      ['empty', { region: '', accountId: '' }],
      ['absent', { region: undefined as unknown as string, accountId: undefined as unknown as string }],
      ['not strings (a forged event)', { region: 5 as unknown as string, accountId: 5 as unknown as string }],
    ])('says what is not known when they are %s', (_case, ctx) => {
      expect(evaluate(ref('AWS::Region'), ctx)).toEqual(unknown('the stack region is not known'));
      expect(evaluate(ref('AWS::AccountId'), ctx)).toEqual(unknown('the stack account is not known'));
      expect(evaluate(ref('AWS::Partition'), ctx)).toEqual(unknown('the stack region is not known'));
      expect(evaluate(ref('AWS::URLSuffix'), ctx)).toEqual(unknown('the stack region is not known'));
    });
    it('takes partition and URL suffix from the context even without a region', () => {
      expect(evaluate(ref('AWS::Partition'), { region: '', partition: 'aws-cn' })).toEqual(value('aws-cn'));
      expect(evaluate(ref('AWS::URLSuffix'), { region: '', urlSuffix: 'amazonaws.com.cn' })).toEqual(value('amazonaws.com.cn'));
    });
    it('derives them from the region when the context gives them empty', () => {
      expect(evaluate(ref('AWS::Partition'), { region: 'cn-north-1', partition: '' })).toEqual(value('aws-cn'));
      expect(evaluate(ref('AWS::URLSuffix'), { region: 'cn-north-1', urlSuffix: '' })).toEqual(value('amazonaws.com.cn'));
    });
    it.each(['AWS::StackName', 'AWS::StackId', 'AWS::NotificationARNs'])('%s is known only at deploy time', (name) => {
      expect(evaluate(ref(name))).toEqual(unknown(`${name} is known only at deploy time`));
    });
  });

  describe('template parameters', () => {
    it('reads a parameter without a Type as a String', () => {
      expect(evaluate(ref('Untyped'))).toEqual(value('v'));
      expect(evaluate(ref('UntypedObject'))).toEqual(unknown('parameter UntypedObject of type String is not a string'));
      expect(evaluate(ref('OddType'))).toEqual(value('v'));
    });
    it.each<[string, JsonObject, string]>([
      ['an object Default', {}, 'parameter Object of type String is not a string'],
      ['a list value for a String', { Object: ['a'] }, 'parameter Object of type String is not a string'],
      ['a null Default', {}, 'parameter NullDefault has no value and no Default'],
    ])('refuses %s, saying why', (_case, values, reason) => {
      const name = reason.split(' ')[1]!;
      expect(evaluate(ref(name), { templateParameterValues: values })).toEqual(unknown(reason));
    });
    it('takes the given value over the Default, and a null given value as none', () => {
      expect(evaluate(ref('Untyped'), { templateParameterValues: { Untyped: 'given' } })).toEqual(value('given'));
      expect(evaluate(ref('Untyped'), { templateParameterValues: { Untyped: null } })).toEqual(value('v'));
    });
    it('reads list parameters from a comma string or a list of scalars', () => {
      expect(evaluate(ref('List'))).toEqual(value(['a']));
      expect(evaluate(ref('Numbers'), { templateParameterValues: { Numbers: [1, 2] } })).toEqual(value(['1', '2']));
      expect(evaluate(ref('CommaList'), { templateParameterValues: { CommaList: ' x ,y' } })).toEqual(value(['x', 'y']));
      expect(evaluate(ref('CommaList'), { templateParameterValues: { CommaList: 5 } })).toEqual(value(['5']));
    });
    it('refuses list parameters of other shapes, saying why', () => {
      expect(evaluate(ref('Numbers'), { templateParameterValues: { Numbers: [1, ['2']] } })).toEqual(unknown('parameter Numbers is not a list of strings'));
      expect(evaluate(ref('CommaList'), { templateParameterValues: { CommaList: { a: 1 } } })).toEqual(unknown('parameter CommaList is not a list'));
      expect(evaluate(ref('CommaList'))).toEqual(unknown('parameter CommaList has no value and no Default'));
    });
    it('leaves every SSM-typed parameter to deploy time', () => {
      expect(evaluate(ref('SsmList'))).toEqual(unknown('parameter SsmList is read from SSM Parameter Store at deploy time'));
    });
  });

  describe('names that are no parameter', () => {
    it('says so for a resource, even one the event gives a value for, and for an unknown name', () => {
      expect(evaluate(ref('Bucket'), { templateParameterValues: { Bucket: 'x' } })).toEqual(unknown('Ref Bucket is a resource, known only at deploy time'));
      expect(evaluate(ref('Nothing'))).toEqual(unknown('Ref Nothing names no parameter or resource'));
      expect(evaluate({ Ref: ['Untyped'] })).toEqual(unknown('Ref of a non-string'));
    });
  });
});

describe('Function: createResolver, parameters', () => {
  const parameters = (expression: Json, values: JsonObject = {}) =>
    createResolver(
      template(
        { Bucket: { Type: 'AWS::S3::Bucket' } },
        { Parameters: PARAMETERS, Conditions: { Yes: { 'Fn::Equals': ['a', 'a'] }, Later: { 'Fn::Equals': [ref('AWS::StackName'), 'a'] } } },
      ),
      context({ templateParameterValues: values }),
    ).parameters(expression);
  it('counts a name the event gives a value for, unless it is a resource or a pseudo parameter', () => {
    const values = { Undeclared: 'x', Bucket: 'y', 'AWS::Region': 'z' };
    expect(parameters([ref('Undeclared'), ref('Bucket'), ref('AWS::Region'), ref('Unknown')], values)).toEqual(['Undeclared']);
  });
  it('does not count a Sub variable the Sub itself declares, nor a Ref that is not a name', () => {
    expect(parameters({ 'Fn::Sub': ['${Untyped}', { Untyped: 'x' }] })).toEqual([]);
    expect(parameters({ Ref: ['Untyped'] })).toEqual([]);
  });
  it('reads the variables of a Sub whose text is not a string, and the text of one whose variables are not a map', () => {
    expect(parameters({ 'Fn::Sub': [ref('Untyped'), { V: ref('OddType') }] })).toEqual(['OddType']);
    expect(parameters({ 'Fn::Sub': ['${Untyped}', 'x'] })).toEqual(['Untyped']);
    expect(parameters({ 'Fn::Sub': 7 })).toEqual([]);
  });
  it('reads no variable from an escaped placeholder, whatever the parameters are named', () => {
    const resolver = createResolver(template({}, { Parameters: { undefined: { Type: 'String' } } }), context());
    expect(resolver.parameters(sub('${!Literal}'))).toEqual([]);
  });
  it('reads every member of a malformed Fn::If', () => {
    expect(parameters({ 'Fn::If': ['Yes', ref('Untyped')] })).toEqual(['Untyped']);
    expect(parameters({ 'Fn::If': [ref('List'), ref('Untyped'), ref('OddType')] })).toEqual(['List', 'Untyped', 'OddType']);
    expect(parameters({ 'Fn::If': ['Yes', ref('Untyped'), ref('OddType')] })).toEqual(['Untyped']);
    expect(parameters({ 'Fn::If': ['Yes', 'a', 'b', ref('Untyped')] })).toEqual(['Untyped']);
  });
  it('reads every argument of another function, even one whose first argument names a condition', () => {
    expect(parameters({ 'Fn::FindInMap': ['Yes', 'k', ref('Untyped')] })).toEqual(['Untyped']);
    expect(parameters({ 'Fn::FindInMap': ['Yes', 'k', 's', { DefaultValue: ref('OddType') }] })).toEqual(['OddType']);
  });
  /** [what, the expression around `inner`, how many levels first go past the limit (as evaluate counts them)]. */
  it.each<[string, (inner: Json) => Json, number]>([
    ['a list', (inner) => [inner], 41],
    ['an object value', (inner) => ({ k: inner }), 41],
    ['the variables of a Sub', (inner) => ({ 'Fn::Sub': ['x', { V: inner }] }), 21],
    ['the branch a known condition takes', (inner) => ({ 'Fn::If': ['Yes', inner, 'b'] }), 41],
    ['a branch of an unknown condition', (inner) => ({ 'Fn::If': ['Later', 'b', inner] }), 21],
    ['the argument of another function', (inner) => ({ 'Fn::Base64': inner }), 41],
  ])('finds parameters nested through %s up to the evaluation limit, not past it', (_case, around, past) => {
    let expression: Json = ref('Untyped');
    for (let i = 1; i < past; i++) expression = around(expression);
    expect(parameters(expression)).toEqual(['Untyped']);
    expect(parameters(around(expression))).toEqual([]);
  });
});

describe('Function: createResolver, sections', () => {
  it('reads a section left empty in YAML (null) or of the wrong shape as none', () => {
    const resolver = createResolver({ Parameters: null, Mappings: 'x', Conditions: null, Resources: null }, context({ templateParameterValues: { P: 'v' } }));
    expect(resolver.evaluate(ref('P'))).toEqual(value('v'));
    expect(resolver.condition('C')).toEqual(unknown('condition C is not declared'));
    expect(resolver.evaluate({ 'Fn::FindInMap': ['x', '0', 'a'] })).toEqual(unknown('Fn::FindInMap found no x.0.a'));
  });
});
