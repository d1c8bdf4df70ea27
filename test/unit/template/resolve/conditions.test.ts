// The Conditions section as the resolver evaluates it: each condition function, the reason given when an outcome
// cannot be known now, which conditions may differ in another deployment, and the limits on chains and nesting.
import { describe, expect, it } from 'vitest';
import { createResolver, MAX_CONDITION_NESTING, MAX_EVALUATION_DEPTH } from '../../../../src/template/resolve/resolver.js';
import type { Json, JsonObject } from '../../../../src/template/types.js';
import { context, equals, ifThen, NO_VALUE, ref, stringParameter, template } from '../fixtures.js';

const PARAMETERS: JsonObject = {
  Env: stringParameter('prod'),
  Flag: stringParameter('true'),
  Off: stringParameter('false'),
  NoDefault: { Type: 'String' },
  Count: { Type: 'Number', Default: 1 },
};

const resolverWith = (conditions: JsonObject, values: JsonObject = {}) =>
  createResolver(template({ Bucket: { Type: 'AWS::S3::Bucket' } }, { Parameters: PARAMETERS, Conditions: conditions }), context({ templateParameterValues: values }));

/** The outcome of condition `C` with the given body (and other conditions beside it). */
const outcome = (body: Json, others: JsonObject = {}, values: JsonObject = {}) => resolverWith({ ...others, C: body }, values).condition('C');

const known = (value: boolean) => ({ kind: 'known', value });
const unknown = (reason: string) => ({ kind: 'unresolvable', reason });

const IS_PROD = equals(ref('Env'), 'prod');
const LATER = equals(ref('AWS::StackName'), 'x');
const TRUE = equals('a', 'a');
const FALSE = equals('a', 'b');

describe('Function: createResolver, condition', () => {
  describe('Fn::Equals compares values as CloudFormation does, as strings', () => {
    it.each<[string, Json, Json, boolean]>([
      ['a number and its string', ref('Count'), 1, true],
      ['a boolean and its string', true, 'true', true],
      ['two different strings', 'a', 'b', false],
      ['two equal lists', ['a', 'b'], ['a', 'b'], true],
      ['two lists of other members', ['a'], ['b'], false],
      ['lists of numbers and strings', [1, 'x'], ['1', 'x'], true],
      ['a list and a string', ['a'], 'a', false],
      ['two equal objects', { x: '1' }, { x: '1' }, true],
      ['two objects of other values', { x: '1' }, { x: '2' }, false],
    ])('%s', (_case, left, right, expected) => {
      expect(outcome(equals(left, right))).toEqual(known(expected));
    });
    it('evaluates both sides, whichever side holds the parameter', () => {
      expect(outcome(equals('prod', ref('Env')))).toEqual(known(true));
      expect(outcome(equals('prod', ref('Env')), {}, { Env: 'dev' })).toEqual(known(false));
    });
    it('is unknown, with the reason of the side that cannot be evaluated', () => {
      const reason = 'parameter NoDefault has no value and no Default';
      expect(outcome(equals(ref('NoDefault'), 'a'))).toEqual(unknown(reason));
      expect(outcome(equals('a', ref('NoDefault')))).toEqual(unknown(reason));
      expect(outcome(equals(NO_VALUE, 'a'))).toEqual(unknown('Fn::Equals of AWS::NoValue'));
      expect(outcome(equals('a', NO_VALUE))).toEqual(unknown('Fn::Equals of AWS::NoValue'));
    });
    it('refuses anything but two values', () => {
      expect(outcome({ 'Fn::Equals': ['a'] })).toEqual(unknown('Fn::Equals takes two values'));
      expect(outcome({ 'Fn::Equals': 'a' })).toEqual(unknown('Fn::Equals takes two values'));
    });
  });

  describe('Fn::Not, Fn::And, Fn::Or and Condition', () => {
    it.each<[string, Json, boolean]>([
      ['Not of true', { 'Fn::Not': [TRUE] }, false],
      ['Not of false', { 'Fn::Not': [FALSE] }, true],
      ['And of true members', { 'Fn::And': [TRUE, { Condition: 'IsProd' }] }, true],
      ['And with a false member', { 'Fn::And': [TRUE, FALSE] }, false],
      ['Or of false members', { 'Fn::Or': [FALSE, FALSE] }, false],
      ['Or with a true member', { 'Fn::Or': [FALSE, { Condition: 'IsProd' }] }, true],
      ['And with a false member after an unknown one', { 'Fn::And': [LATER, FALSE] }, false],
      ['Or with a true member after an unknown one', { 'Fn::Or': [LATER, TRUE] }, true],
    ])('%s', (_case, body, expected) => {
      expect(outcome(body, { IsProd: IS_PROD })).toEqual(known(expected));
    });
    it('is unknown when no member decides and one is unknown, with its reason', () => {
      const reason = 'AWS::StackName is known only at deploy time';
      expect(outcome({ 'Fn::And': [TRUE, LATER] })).toEqual(unknown(reason));
      expect(outcome({ 'Fn::Or': [FALSE, LATER, { 'Fn::Equals': [NO_VALUE, 'a'] }] })).toEqual(unknown(reason));
      expect(outcome({ 'Fn::Not': [LATER] })).toEqual(unknown(reason));
    });
    it('refuses malformed condition functions, saying what they take', () => {
      expect(outcome({ 'Fn::Not': [] })).toEqual(unknown('Fn::Not takes one condition'));
      expect(outcome({ 'Fn::Not': [TRUE, TRUE] })).toEqual(unknown('Fn::Not takes one condition'));
      expect(outcome({ 'Fn::And': [] })).toEqual(unknown('Fn::And takes a list of conditions'));
      expect(outcome({ 'Fn::Or': TRUE })).toEqual(unknown('Fn::Or takes a list of conditions'));
      expect(outcome({ Condition: 1 })).toEqual(unknown('Condition takes a name'));
      expect(outcome({ Condition: 'Undeclared' })).toEqual(unknown('condition Undeclared is not declared'));
    });
  });

  it('reads a body of two keys as a value, not a condition function, naming no condition', () => {
    expect(outcome({ 'Fn::Equals': ['a', 'a'], Extra: 1 })).toEqual(unknown('{"Fn::Equals":["a","a"],"Extra":1} is not a condition'));
    // Neither depends on B, so B's reference back to them is no cycle.
    const resolver = resolverWith({
      ByCondition: { Condition: 'B', Extra: 1 },
      ByIf: { 'Fn::If': ['B', true, false], Extra: 1 },
      B: { 'Fn::Or': [{ Condition: 'ByCondition' }, { Condition: 'ByIf' }] },
    });
    expect(resolver.condition('ByCondition')).toEqual(unknown('{"Condition":"B","Extra":1} is not a condition'));
    expect(resolver.condition('ByIf')).toEqual(unknown('{"Fn::If":["B",true,false],"Extra":1} is not a condition'));
  });

  describe('a value in a condition position (Ref, Fn::If)', () => {
    it.each<[string, Json, boolean]>([
      ['a parameter holding "true"', ref('Flag'), true],
      ['a parameter holding "false"', ref('Off'), false],
      ['an Fn::If of booleans', ifThen('IsProd', true, false), true],
      ['an Fn::If of booleans choosing false', ifThen('IsProd', false, true), false],
      ['an Fn::If of boolean strings', ifThen('IsProd', 'false', 'true'), false],
    ])('reads %s', (_case, body, expected) => {
      expect(outcome(body, { IsProd: IS_PROD })).toEqual(known(expected));
    });
    it('is unknown for any other value, saying why', () => {
      expect(outcome(ref('Env'))).toEqual(unknown('{"Ref":"Env"} is not a condition'));
      expect(outcome(NO_VALUE)).toEqual(unknown('condition is AWS::NoValue'));
      expect(outcome(ref('NoDefault'))).toEqual(unknown('parameter NoDefault has no value and no Default'));
    });
  });

  describe('limits', () => {
    const chain = (length: number): JsonObject => {
      const conditions: JsonObject = { C0: TRUE };
      for (let i = 1; i < length; i++) conditions[`C${i}`] = { 'Fn::Not': [{ Condition: `C${i - 1}` }] };
      return conditions;
    };
    it(`evaluates a chain of ${MAX_CONDITION_NESTING} conditions and refuses a longer one, from every link`, () => {
      const fits = resolverWith(chain(MAX_CONDITION_NESTING));
      expect(fits.condition(`C${MAX_CONDITION_NESTING - 1}`)).toEqual(known(MAX_CONDITION_NESTING % 2 === 1));
      const longer = resolverWith(chain(MAX_CONDITION_NESTING + 1));
      const last = `C${MAX_CONDITION_NESTING}`;
      expect(longer.condition(last)).toEqual(unknown(`condition ${last} is chained more than ${MAX_CONDITION_NESTING} conditions deep`));
      // The links below the limit still evaluate, asked before or after the one past it.
      expect(longer.condition('C1')).toEqual(known(false));
    });
    it('refuses every condition of a cycle, and those depending on it, but not the others', () => {
      const resolver = resolverWith({
        A: { 'Fn::Not': [{ Condition: 'B' }] },
        B: { 'Fn::And': [TRUE, ifThen('A', true, false)] },
        OnCycle: { 'Fn::Or': [FALSE, { Condition: 'A' }] },
        Fine: { 'Fn::Not': [FALSE] },
      });
      for (const name of ['A', 'B', 'OnCycle']) expect(resolver.condition(name)).toEqual(unknown(`condition ${name} refers to itself through a cycle of conditions`));
      expect(resolver.condition('Fine')).toEqual(known(true));
    });
    it('refuses a cycle whose members also depend on a condition outside it', () => {
      const resolver = resolverWith({
        Fine: TRUE,
        A: { 'Fn::And': [{ Condition: 'Fine' }, { Condition: 'B' }] },
        B: { 'Fn::Not': [{ Condition: 'A' }] },
      });
      for (const name of ['A', 'B']) expect(resolver.condition(name)).toEqual(unknown(`condition ${name} refers to itself through a cycle of conditions`));
      expect(resolver.condition('Fine')).toEqual(known(true));
    });
    it('finds a cycle through an Fn::If inside a value of several keys', () => {
      const body = equals({ Other: 'a', Chosen: ifThen('C', 'a', 'b') }, 'a');
      expect(outcome(body)).toEqual(unknown('condition C refers to itself through a cycle of conditions'));
    });
    it('reads a condition name that is not a string as no name, not as a reference to a condition', () => {
      // `Condition: [IsProd]` and `Fn::If: [[IsProd], ...]` name no condition: the body is malformed, not a cycle.
      expect(outcome({ Condition: ['IsProd'] }, { IsProd: IS_PROD })).toEqual(unknown('Condition takes a name'));
      expect(outcome({ 'Fn::If': [['IsProd'], true, false] }, { IsProd: IS_PROD })).toEqual(unknown('Fn::If takes [condition name, value if true, value if false]'));
    });
    const nots = (count: number): Json => {
      let body: Json = TRUE;
      for (let i = 0; i < count; i++) body = { 'Fn::Not': [body] };
      return body;
    };
    it(`evaluates a condition whose body is nested up to ${MAX_EVALUATION_DEPTH} levels deep and refuses deeper ones`, () => {
      // Each Fn::Not is two levels (the object and its list); the Fn::Equals and its list take the last two.
      const most = (MAX_EVALUATION_DEPTH - 2) / 2;
      expect(outcome(nots(most))).toEqual(known(most % 2 === 0));
      expect(outcome(nots(most + 1))).toEqual(unknown(`condition C is nested more than ${MAX_EVALUATION_DEPTH} levels deep`));
    });
  });
});

describe('Function: createResolver, conditionVaries', () => {
  const conditions: JsonObject = {
    IsProd: IS_PROD,
    Constant: TRUE,
    OnRegion: equals(ref('AWS::Region'), 'eu-west-1'),
    ThroughCondition: { 'Fn::Not': [{ Condition: 'IsProd' }] },
    ThroughConstant: { 'Fn::And': [{ Condition: 'Constant' }, FALSE] },
    ThroughIf: equals(ifThen('IsProd', 'a', 'b'), 'a'),
    ThroughIfOfConstant: equals(ifThen('Constant', 'a', 'b'), 'a'),
    // A list where a condition name goes names no condition: the Fn::If cannot be evaluated in any deployment.
    IfOfNoName: equals({ 'Fn::If': [['IsProd'], 'a', 'b'] }, 'a'),
    Deep: { 'Fn::Or': [FALSE, [[{ 'Fn::Equals': [{ x: ref('Env') }, 'a'] }]]] },
    ToUndeclared: { Condition: 'Undeclared' },
    LoopA: { Condition: 'LoopB' },
    LoopB: { Condition: 'LoopA' },
    Diamond: { 'Fn::And': [{ Condition: 'Constant' }, { Condition: 'ThroughConstant' }, { Condition: 'Constant' }] },
  };
  const varies = (name: string) => resolverWith(conditions).conditionVaries(name);
  it.each([
    ['IsProd', 'refers to a parameter'],
    ['OnRegion', 'refers to a pseudo parameter'],
    ['ThroughCondition', 'names a condition that refers to a parameter'],
    ['ThroughIf', 'holds an Fn::If over a condition that refers to a parameter'],
    ['Deep', 'holds a Ref anywhere in its body'],
    ['ToUndeclared', 'names an undeclared condition'],
    ['LoopA', 'is part of a cycle'],
    ['Undeclared', 'is not declared'],
  ])('%s may differ in another deployment: it %s', (name) => {
    expect(varies(name)).toBe(true);
  });
  // Without remembering the conditions seen, this would walk 10^15 paths.
  it('reads each condition once however often it is referenced', () => {
    const layered: JsonObject = { D0: TRUE };
    for (let i = 1; i < 16; i++) layered[`D${i}`] = { 'Fn::And': Array.from({ length: 10 }, () => ({ Condition: `D${i - 1}` })) };
    expect(resolverWith(layered).conditionVaries('D15')).toBe(false);
  });
  it.each(['Constant', 'ThroughConstant', 'ThroughIfOfConstant', 'Diamond', 'IfOfNoName'])('%s, of constants only, is the same in every deployment', (name) => {
    expect(varies(name)).toBe(false);
  });
});
