// The intrinsic functions the resolver evaluates, at the edges of what each takes: every refusal says what the
// function takes or which part cannot be known now, and parts known only at deploy time pass their reason on.
import { describe, expect, it } from 'vitest';
import { createResolver, MAX_EVALUATION_DEPTH } from '../../../../src/template/resolve/resolver.js';
import type { Json, JsonObject } from '../../../../src/template/types.js';
import { context, findInMap, ifThen, NO_VALUE, ref, stringParameter, sub, template } from '../fixtures.js';

const PARAMETERS: JsonObject = {
  Env: stringParameter('prod'),
  NoDefault: { Type: 'String' },
  Names: { Type: 'CommaDelimitedList', Default: 'a,b' },
};
const MAPPINGS: JsonObject = { Images: { prod: { Image: 'quay.io/a/b:1', Port: 80 } } };
const CONDITIONS: JsonObject = { IsProd: { 'Fn::Equals': [ref('Env'), 'prod'] }, Later: { 'Fn::Equals': [ref('AWS::StackName'), 'x'] } };

const evaluate = (expression: Json) =>
  createResolver(template({ Bucket: { Type: 'AWS::S3::Bucket' } }, { Parameters: PARAMETERS, Mappings: MAPPINGS, Conditions: CONDITIONS }), context()).evaluate(expression);

const value = (v: Json) => ({ kind: 'value', value: v });
const unknown = (reason: string) => ({ kind: 'unresolvable', reason });
const NO_DEFAULT = 'parameter NoDefault has no value and no Default';

describe('Function: createResolver, evaluate', () => {
  describe('values', () => {
    it('evaluates lists and objects member by member, dropping AWS::NoValue members', () => {
      expect(evaluate(['a', NO_VALUE, ref('Env')])).toEqual(value(['a', 'prod']));
      // Strictly: a member removed is no key at all (not a key holding undefined).
      expect(evaluate({ a: NO_VALUE, b: ref('Env'), c: 1 })).toStrictEqual(value({ b: 'prod', c: 1 }));
    });
    it('passes on the reason of a member that cannot be evaluated', () => {
      expect(evaluate(['a', ref('NoDefault')])).toEqual(unknown(NO_DEFAULT));
      expect(evaluate({ a: 'x', b: ref('NoDefault') })).toEqual(unknown(NO_DEFAULT));
    });
    it('keeps a "__proto__" key as data', () => {
      const result = evaluate(JSON.parse('{"__proto__": {"Ref": "Env"}}') as Json);
      expect(result.kind).toBe('value');
      const object = (result as { value: JsonObject }).value;
      expect(Object.getPrototypeOf(object)).toBe(Object.prototype);
      expect(Object.keys(object)).toEqual(['__proto__']);
      expect(Object.getOwnPropertyDescriptor(object, '__proto__')?.value).toBe('prod');
    });
    const nested = (levels: number, leaf: Json): Json => {
      let expression = leaf;
      for (let i = 0; i < levels; i++) expression = [expression];
      return expression;
    };
    it(`evaluates a value nested ${MAX_EVALUATION_DEPTH} levels deep and refuses one level more`, () => {
      expect(evaluate(nested(MAX_EVALUATION_DEPTH, ref('Env')))).toEqual(value(nested(MAX_EVALUATION_DEPTH, 'prod')));
      expect(evaluate(nested(MAX_EVALUATION_DEPTH + 1, 'x'))).toEqual(unknown(`expression nested more than ${MAX_EVALUATION_DEPTH} levels deep`));
    });
    it(`evaluates an object nested ${MAX_EVALUATION_DEPTH} levels deep and refuses one level more`, () => {
      const inObjects = (levels: number, leaf: Json): Json => {
        let expression = leaf;
        for (let i = 0; i < levels; i++) expression = { k: expression };
        return expression;
      };
      expect(evaluate(inObjects(MAX_EVALUATION_DEPTH, ref('Env')))).toEqual(value(inObjects(MAX_EVALUATION_DEPTH, 'prod')));
      expect(evaluate(inObjects(MAX_EVALUATION_DEPTH + 1, 'x'))).toEqual(unknown(`expression nested more than ${MAX_EVALUATION_DEPTH} levels deep`));
    });
    it('says which intrinsics are known only at deploy time', () => {
      expect(evaluate({ 'Fn::GetAtt': ['Bucket', 'Arn'] })).toEqual(unknown('Fn::GetAtt is known only at deploy time'));
      expect(evaluate({ 'Fn::ImportValue': 'x' })).toEqual(unknown('Fn::ImportValue is known only at deploy time'));
    });
  });

  describe('Fn::Sub', () => {
    it('prefers its own variables to parameters of the same name', () => {
      expect(evaluate(sub('${Env}', { Env: 'local' }))).toEqual(value('local'));
    });
    it('trims the spaces around a name, and keeps text around and between placeholders', () => {
      expect(evaluate(sub('<${ Env }|${!Env}|${!}>'))).toEqual(value('<prod|${Env}|${}>'));
      expect(evaluate(sub('no placeholder'))).toEqual(value('no placeholder'));
    });
    it('reads a dotted name as a variable when the variables map declares it', () => {
      expect(evaluate(sub('${Bucket.Arn}', { 'Bucket.Arn': 'x' }))).toEqual(value('x'));
    });
    it.each<[string, Json, string]>([
      ['a number', { 'Fn::Sub': 1 }, 'Fn::Sub takes a string or [string, {variables}]'],
      ['a list of one', { 'Fn::Sub': ['${Env}'] }, 'Fn::Sub takes a string or [string, {variables}]'],
      ['variables that are not a map', { 'Fn::Sub': ['${Env}', 'x'] }, 'Fn::Sub takes a string or [string, {variables}]'],
      ['a text that is not a string', { 'Fn::Sub': [1, {}] }, 'Fn::Sub takes a string or [string, {variables}]'],
      ['a list of three', { 'Fn::Sub': ['${Env}', {}, 'x'] }, 'Fn::Sub takes a string or [string, {variables}]'],
      ['a map whose keys are 0 and 1', { 'Fn::Sub': { 0: '${Env}', 1: {} } }, 'Fn::Sub takes a string or [string, {variables}]'],
      ['a resource attribute', sub('a-${Bucket.Arn}'), '${Bucket.Arn} is a resource attribute, known only at deploy time'],
      ['a list parameter', sub('${Names}'), '${Names} is not a string'],
      ['AWS::NoValue', sub('${AWS::NoValue}'), '${AWS::NoValue} is AWS::NoValue'],
      ['a parameter without value', sub('x${NoDefault}'), NO_DEFAULT],
      ['an undeclared name', sub('${Nothing}'), 'Ref Nothing names no parameter or resource'],
      ['a variable that is AWS::NoValue', sub('${V}', { V: NO_VALUE }), 'Fn::Sub variable V is AWS::NoValue'],
      ['a variable that is a list', sub('${V}', { V: ['a'] }), 'Fn::Sub variable V is not a string'],
      ['a variable known only at deploy time', sub('${V}', { V: ref('NoDefault') }), NO_DEFAULT],
    ])('refuses %s, saying why', (_case, expression, reason) => {
      expect(evaluate(expression)).toEqual(unknown(reason));
    });
  });

  describe('Fn::Join', () => {
    it('joins strings, numbers and booleans', () => {
      expect(evaluate({ 'Fn::Join': ['-', ['a', 1, true]] })).toEqual(value('a-1-true'));
      expect(evaluate({ 'Fn::Join': [ref('Env'), ['a', 'b']] })).toEqual(value('aprodb'));
    });
    it.each<[string, Json, string]>([
      ['a string', 'x', 'Fn::Join takes [delimiter, list]'],
      ['three arguments', ['-', ['a'], 'x'], 'Fn::Join takes [delimiter, list]'],
      ['an AWS::NoValue delimiter', [NO_VALUE, ['a']], 'Fn::Join delimiter is AWS::NoValue'],
      ['a list delimiter', [['-'], ['a']], 'Fn::Join delimiter is not a string'],
      ['a delimiter known only at deploy time', [ref('NoDefault'), ['a']], NO_DEFAULT],
      ['a string to join', ['-', 'ab'], 'Fn::Join list is not a list'],
      ['an AWS::NoValue list', ['-', NO_VALUE], 'Fn::Join list is AWS::NoValue'],
      ['a list known only at deploy time', ['-', ref('NoDefault')], NO_DEFAULT],
      ['a list of lists', ['-', [['a']]], 'Fn::Join list holds a non-string'],
      ['a list with one list among strings', ['-', ['a', ['b'], 'c']], 'Fn::Join list holds a non-string'],
    ])('refuses %s, saying why', (_case, arg, reason) => {
      expect(evaluate({ 'Fn::Join': arg })).toEqual(unknown(reason));
    });
  });

  describe('Fn::Select', () => {
    it('selects the last member', () => {
      expect(evaluate({ 'Fn::Select': ['1', ['a', 'b']] })).toEqual(value('b'));
      expect(evaluate({ 'Fn::Select': ['10', Array.from({ length: 11 }, (_, i) => `m${i}`)] })).toEqual(value('m10'));
    });
    it.each<[string, Json, string]>([
      ['a string', 'x', 'Fn::Select takes [index, list]'],
      ['one argument', [0], 'Fn::Select takes [index, list]'],
      ['a list as index', [['0'], ['a']], 'Fn::Select index is not a string'],
      ['a word as index', ['x', ['a']], 'Fn::Select index "x" is not a whole number'],
      ['a negative index', ['-1', ['a']], 'Fn::Select index "-1" is not a whole number'],
      ['an index with a trailing word', ['1x', ['a', 'b']], 'Fn::Select index "1x" is not a whole number'],
      ['an index with a leading word', ['x1', ['a', 'b']], 'Fn::Select index "x1" is not a whole number'],
      ['a fraction', ['0.5', ['a', 'b']], 'Fn::Select index "0.5" is not a whole number'],
      ['an index known only at deploy time', [ref('NoDefault'), ['a']], NO_DEFAULT],
      ['an index past the end', [1, ['a']], 'Fn::Select index 1 is out of range'],
      ['a string to select from', [0, 'ab'], 'Fn::Select list is not a list'],
      ['a list known only at deploy time', [0, ref('NoDefault')], NO_DEFAULT],
    ])('refuses %s, saying why', (_case, arg, reason) => {
      expect(evaluate({ 'Fn::Select': arg })).toEqual(unknown(reason));
    });
  });

  describe('Fn::Split', () => {
    it.each<[string, Json, string]>([
      ['a string', 'x', 'Fn::Split takes [delimiter, string]'],
      ['an empty delimiter', ['', 'abc'], 'Fn::Split delimiter is empty'],
      ['three arguments', [',', 'a,b', 'x'], 'Fn::Split takes [delimiter, string]'],
      ['a list delimiter', [[','], 'a,b'], 'Fn::Split delimiter is not a string'],
      ['a delimiter known only at deploy time', [ref('NoDefault'), 'a'], NO_DEFAULT],
      ['a list to split', [',', ['a']], 'Fn::Split source is not a string'],
      ['a source known only at deploy time', [',', ref('NoDefault')], NO_DEFAULT],
    ])('refuses %s, saying why', (_case, arg, reason) => {
      expect(evaluate({ 'Fn::Split': arg })).toEqual(unknown(reason));
    });
  });

  describe('Fn::FindInMap', () => {
    it('returns the mapped value as written, and evaluates a DefaultValue', () => {
      expect(evaluate(findInMap('Images', 'prod', 'Port'))).toEqual(value(80));
      expect(evaluate(findInMap('Images', 'prod', 'Nothing', { DefaultValue: ref('Env') }))).toEqual(value('prod'));
    });
    it.each<[string, Json, string]>([
      ['two arguments', ['Images', 'prod'], 'Fn::FindInMap takes [map, top-level key, second-level key, {DefaultValue}?]'],
      ['five arguments', ['Images', 'prod', 'Image', {}, 'x'], 'Fn::FindInMap takes [map, top-level key, second-level key, {DefaultValue}?]'],
      ['a map name known only at deploy time', [ref('NoDefault'), 'prod', 'Image'], NO_DEFAULT],
      ['a top-level key known only at deploy time', ['Images', ref('NoDefault'), 'Image'], NO_DEFAULT],
      ['a second-level key known only at deploy time', ['Images', 'prod', ref('NoDefault')], NO_DEFAULT],
      ['a map name that is a list', [['Images'], 'prod', 'Image'], 'Fn::FindInMap map name is not a string'],
      ['a top-level key that is a list', ['Images', ['prod'], 'Image'], 'Fn::FindInMap top-level key is not a string'],
      ['a second-level key that is a list', ['Images', 'prod', ['Image']], 'Fn::FindInMap second-level key is not a string'],
      ['a missing key with options but no DefaultValue', ['Images', 'prod', 'Nothing', { Other: 'x' }], 'Fn::FindInMap found no Images.prod.Nothing'],
    ])('refuses %s, saying why', (_case, arg, reason) => {
      expect(evaluate({ 'Fn::FindInMap': arg })).toEqual(unknown(reason));
    });
  });

  describe('Fn::If', () => {
    it('evaluates the branch taken only', () => {
      expect(evaluate(ifThen('IsProd', ref('Env'), ref('NoDefault')))).toEqual(value('prod'));
    });
    it.each<[string, Json, string]>([
      ['two arguments', ['IsProd', 'a'], 'Fn::If takes [condition name, value if true, value if false]'],
      ['a condition that is not a name', [1, 'a', 'b'], 'Fn::If takes [condition name, value if true, value if false]'],
      ['a string', 'IsProd', 'Fn::If takes [condition name, value if true, value if false]'],
      ['a condition known only at deploy time', ['Later', 'a', 'b'], 'AWS::StackName is known only at deploy time'],
    ])('refuses %s, saying why', (_case, arg, reason) => {
      expect(evaluate({ 'Fn::If': arg })).toEqual(unknown(reason));
    });
  });

  describe('nesting through each argument', () => {
    /**
     * [what, the expression around `inner`, the innermost value (which every level yields too), how many levels first
     * go past the limit]: each function counts one level, each argument one more, each list or object one more.
     */
    const THROUGH: [string, (inner: Json) => Json, Json, number][] = [
      ['a Sub variable', (inner) => sub('${V}', { V: inner }), 'a', 21],
      ['a Join delimiter', (inner) => ({ 'Fn::Join': [inner, ['-']] }), '-', 20],
      ['a Join list', (inner) => ({ 'Fn::Join': ['', [inner]] }), 'a', 14],
      ['a Select index', (inner) => ({ 'Fn::Select': [inner, ['0']] }), '0', 20],
      ['a Select list', (inner) => ({ 'Fn::Select': ['0', [inner]] }), 'a', 14],
      ['a Split delimiter', (inner) => ({ 'Fn::Join': ['', [{ 'Fn::Select': ['0', { 'Fn::Split': [inner, ',a'] }] }, ',']] }), ',', 6],
      ['a Split source', (inner) => ({ 'Fn::Select': ['0', { 'Fn::Split': [',', inner] }] }), 'a', 11],
      ['a FindInMap map name', (inner) => findInMap(inner, 'M', 'M'), 'M', 21],
      ['a FindInMap key', (inner) => findInMap('M', inner, 'M'), 'M', 21],
      ['a FindInMap second key', (inner) => findInMap('M', 'M', inner), 'M', 21],
      ['a FindInMap DefaultValue', (inner) => findInMap('M', 'M', 'Missing', { DefaultValue: inner }), 'a', 21],
      ['an Fn::If branch', (inner) => ifThen('IsProd', inner, 'b'), 'a', 21],
    ];
    const chain = (levels: number, around: (inner: Json) => Json, leaf: Json): Json => {
      let expression = leaf;
      for (let i = 0; i < levels; i++) expression = around(expression);
      return expression;
    };
    const deep = (expression: Json) =>
      createResolver(template({}, { Mappings: { M: { M: { M: 'M' } } }, Conditions: CONDITIONS, Parameters: PARAMETERS }), context()).evaluate(expression);
    it.each(THROUGH)('counts the levels through %s', (_case, around, leaf, past) => {
      expect(deep(chain(past - 1, around, leaf))).toEqual(value(leaf));
      expect(deep(chain(past, around, leaf))).toEqual(unknown(`expression nested more than ${MAX_EVALUATION_DEPTH} levels deep`));
    });
  });
});
