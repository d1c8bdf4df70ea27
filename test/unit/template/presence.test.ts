// The simplifications that keep a mirror's condition short (each written condition is one a reader of the output
// template has to follow), and implication over more conditions than are enumerated. The meaning of every formula is
// checked against an oracle in presence.property.test.ts; here, the shape.
import { describe, expect, it } from 'vitest';
import {
  ALWAYS,
  and,
  conditionFunction,
  everyValue,
  type Formula,
  imageWhen,
  implies,
  NEVER,
  named,
  not,
  or,
  presenceOf,
  reachableUnder,
  readingMirror,
} from '../../../src/template/presence.js';
import { MAX_EVALUATION_DEPTH } from '../../../src/template/resolve/resolver.js';
import type { Json } from '../../../src/template/types.js';
import { ifThen, NO_VALUE } from './fixtures.js';

const [A, B, C] = ['A', 'B', 'C'].map(named) as [Formula, Formula, Formula];
const many = (count: number, prefix = 'N') => Array.from({ length: count }, (_, i) => named(`${prefix}${i}`));

describe('Module: presence, simplification', () => {
  it.each<[string, Formula, Formula]>([
    ['and of nothing', and(), ALWAYS],
    ['or of nothing', or(), NEVER],
    ['and of one', and(A), A],
    ['and with always', and(ALWAYS, A, ALWAYS), A],
    ['or with never', or(NEVER, A), A],
    ['and with never', and(A, NEVER, B), NEVER],
    ['or with always', or(A, B, ALWAYS), ALWAYS],
    ['a repeated member', and(A, B, A), and(A, B)],
    ['a nested and', and(and(A, B), and(B, C)), { kind: 'and', of: [A, B, C] }],
    ['a nested or with a repeat', or(A, or(A, B)), { kind: 'or', of: [A, B] }],
    ['a member and its negation in an and', and(A, B, not(A)), NEVER],
    ['a member and its negation in an or', or(B, not(A), A), ALWAYS],
    ['a composite and its negation', or(and(A, B), not(and(A, B))), ALWAYS],
    ['a repeat that leaves one member', or(and(A, B), and(A, B)), and(A, B)],
    ['an or read knowing its condition does not hold', or(A, and(not(A), B)), or(A, B)],
    ['an and read knowing its conditions hold', and(B, or(and(C, not(B)), not(C))), and(B, not(C))],
    ['an and of a negated condition', and(not(A), or(A, B)), and(not(A), B)],
    ['a double negation', not(not(A)), A],
    ['not always', not(ALWAYS), NEVER],
    ['not never', not(NEVER), ALWAYS],
  ])('%s', (_case, formula, expected) => {
    expect(formula).toEqual(expected);
  });

  it('writes each kind of formula as the condition function CloudFormation reads', () => {
    expect(conditionFunction(A)).toEqual({ Condition: 'A' });
    expect(conditionFunction(not(A))).toEqual({ 'Fn::Not': [{ Condition: 'A' }] });
    expect(conditionFunction(and(A, or(B, C)))).toEqual({ 'Fn::And': [{ Condition: 'A' }, { 'Fn::Or': [{ Condition: 'B' }, { Condition: 'C' }] }] });
    expect(conditionFunction(ALWAYS)).toEqual({ 'Fn::Equals': ['true', 'true'] });
    expect(conditionFunction(NEVER)).toEqual({ 'Fn::Equals': ['true', 'false'] });
  });

  it('groups eleven members as ten and one, the one unwrapped', () => {
    const members = many(11);
    const written = members.map((member) => conditionFunction(member));
    expect(conditionFunction(or(...members))).toEqual({ 'Fn::Or': [{ 'Fn::Or': written.slice(0, 10) }, written[10]] });
    expect(conditionFunction(and(...many(10)))).toEqual({ 'Fn::And': many(10).map((member) => conditionFunction(member)) });
  });
});

describe('Module: presence, implies', () => {
  // (A or B) and (not A or B) is B, which no member says alone: only enumeration sees it.
  const onlyEnumerated = (others: number) => and(or(A, B), or(not(A), B), ...many(others));
  it('enumerates up to twelve conditions', () => {
    expect(implies(onlyEnumerated(10), 'B')).toBe(true);
  });
  it('past twelve, decides by structure: a member of an and, every member of an or', () => {
    expect(implies(onlyEnumerated(11), 'B')).toBe(false);
    const wide = many(12);
    expect(implies(and(...wide, B), 'B')).toBe(true);
    expect(implies(and(...wide, B), 'B', false)).toBe(false);
    expect(implies(and(...wide, not(B)), 'B', false)).toBe(true);
    expect(implies(and(...wide, not(B)), 'B')).toBe(false);
    expect(implies(and(...wide, not(C)), 'B', false)).toBe(false);
    expect(implies(and(...wide, C), 'B')).toBe(false);
    expect(implies(or(and(B, ...many(6)), and(B, ...many(6, 'M'))), 'B')).toBe(true);
    expect(implies(or(and(B, ...many(6)), and(C, ...many(6, 'M'))), 'B')).toBe(false);
    expect(implies(and(or(and(B, ...many(6)), and(B, ...many(6, 'M'))), C), 'B')).toBe(true);
  });
  it('reads an Fn::If decided by a wide condition by structure', () => {
    const when = and(...many(12), not(B));
    expect(reachableUnder(ifThen('B', 'x', 'y'), when)).toBe('y');
    expect(reachableUnder(ifThen('B', 'x', 'y'), and(...many(12), B))).toBe('x');
  });
});

describe('Module: presence, depth', () => {
  type Side = 'true' | 'false';
  /** `inner` under `levels` Fn::Ifs over B (on the given branch), so that it is read at depth `levels`. */
  const under = (levels: number, inner: Json, side: Side): Json => {
    let expression = inner;
    for (let i = 0; i < levels; i++) expression = side === 'true' ? ifThen('B', expression, 'y') : ifThen('B', 'y', expression);
    return expression;
  };
  const innermost = (expression: Json, side: Side): Json => {
    const branch = (expression as { 'Fn::If': Json[] })['Fn::If'][side === 'true' ? 1 : 2]!;
    return typeof branch === 'object' && branch !== null && 'Fn::If' in branch ? innermost(branch, side) : expression;
  };
  const removable = ifThen('A', NO_VALUE, 'x');
  const taken = (side: Side) => (side === 'true' ? B : not(B));
  const last = (side: Side, value: Json) => (side === 'true' ? ifThen('B', value, 'y') : ifThen('B', 'y', value));
  it.each<Side>(['true', 'false'])(`follows an Fn::If ${MAX_EVALUATION_DEPTH} levels deep through the %s branch, as the resolver does`, (side) => {
    const deepest = under(MAX_EVALUATION_DEPTH, removable, side);
    expect(presenceOf(deepest).kind).toBe('or');
    expect(imageWhen(under(MAX_EVALUATION_DEPTH, ifThen('A', 'Zip', 'Image'), side)).kind).toBe('or');
    expect(innermost(readingMirror(deepest, 'M'), side)).toEqual(ifThen('A', NO_VALUE, 'M'));
    expect(everyValue(deepest, (value) => typeof value === 'string')).toBe(true);
    expect(innermost(reachableUnder(deepest, ALWAYS), side)).toEqual(last(side, 'x'));
    // Where the formula decides B, the branch taken replaces each Fn::If.
    expect(reachableUnder(deepest, taken(side))).toBe('x');
  });
  it.each<Side>(['true', 'false'])('reads an Fn::If one level deeper through the %s branch as a value', (side) => {
    const deeper = under(MAX_EVALUATION_DEPTH + 1, removable, side);
    expect(presenceOf(deeper)).toEqual(ALWAYS);
    expect(imageWhen(under(MAX_EVALUATION_DEPTH + 1, ifThen('A', 'Zip', 'Image'), side))).toEqual(ALWAYS);
    expect(readingMirror(deeper, 'M')).toBe('M');
    // Under one more Fn::If that removes the value: the Fn::Ifs are followed down to the limit, and no deeper.
    const removedElsewhere = ifThen('C', under(MAX_EVALUATION_DEPTH, removable, side), NO_VALUE);
    const reading = readingMirror(removedElsewhere, 'M') as { 'Fn::If': Json[] };
    expect(reading['Fn::If'][2]).toEqual(NO_VALUE);
    expect(innermost(reading['Fn::If'][1]!, side)).toEqual(ifThen('B', 'M', 'M'));
    expect(everyValue(deeper, (value) => typeof value === 'string')).toBe(false);
    expect(innermost(reachableUnder(deeper, ALWAYS), side)).toEqual(removable);
    expect(reachableUnder(deeper, taken(side))).toEqual(removable);
  });
});
