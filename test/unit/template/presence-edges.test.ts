// The formulas of values a template writes wrongly (a malformed Fn::If is a value, not a choice) and of formulas that
// never hold; presence.test.ts has the shapes of well-formed ones.
import { describe, expect, it } from 'vitest';
import {
  ALWAYS,
  and,
  conditionFunction,
  everyValue,
  imageWhen,
  implies,
  NEVER,
  named,
  not,
  presenceOf,
  reachableUnder,
  readingMirror,
} from '../../../src/template/presence.js';
import type { Json } from '../../../src/template/types.js';
import { ifThen, NO_VALUE } from './fixtures.js';

describe('Module: presence, a malformed Fn::If', () => {
  // CloudFormation refuses each of these; the transform reads them as one value (an image, present), never as a choice.
  it.each<[string, Json]>([
    ['four arguments', { 'Fn::If': ['C', 'Zip', 'Image', 'x'] }],
    ['two arguments', { 'Fn::If': ['C', 'Zip'] }],
    ['a condition name that is a list', { 'Fn::If': [['C'], 'Zip', 'Image'] }],
    ['a string of three characters', { 'Fn::If': 'CZI' }],
  ])('of %s is one value: an image function, present, read as the mirror', (_case, expression) => {
    expect(imageWhen(expression)).toEqual(ALWAYS);
    expect(presenceOf(expression)).toEqual(ALWAYS);
    expect(readingMirror(expression, 'M')).toBe('M');
    expect(everyValue(expression, (value) => value === expression)).toBe(true);
  });
  it('of four arguments with AWS::NoValue is one value, present', () => {
    const expression = { 'Fn::If': ['C', NO_VALUE, 'x', 'y'] };
    expect(presenceOf(expression)).toEqual(ALWAYS);
    expect(readingMirror(expression, 'M')).toBe('M');
  });
});

describe('Module: presence, AWS::NoValue', () => {
  it('is a Ref to it alone: an object with another key beside is a value, present', () => {
    const expression = { Ref: 'AWS::NoValue', Other: 'x' };
    expect(presenceOf(expression)).toEqual(ALWAYS);
    expect(presenceOf({ 'Fn::If': ['C', expression, NO_VALUE] })).toEqual({ kind: 'condition', name: 'C' });
    expect(readingMirror(expression, 'M')).toBe('M');
  });
});

describe('Module: presence, a formula that never holds', () => {
  it('implies every condition and every negation', () => {
    expect(implies(NEVER, 'A')).toBe(true);
    expect(implies(NEVER, 'A', false)).toBe(true);
    expect(implies(ALWAYS, 'A')).toBe(false);
  });
});

describe('Module: presence, simplification of a negated composite', () => {
  it('reads it knowing the single conditions beside it', () => {
    const [A, B] = [named('A'), named('B')];
    expect(and(A, not(and(A, B)))).toEqual(and(A, not(B)));
    expect(conditionFunction(and(A, not(and(A, B))))).toEqual({ 'Fn::And': [{ Condition: 'A' }, { 'Fn::Not': [{ Condition: 'B' }] }] });
  });
});

describe('Module: presence, reachableUnder', () => {
  it('keeps the branch that holds the value when the other removes it, whichever side that is', () => {
    expect(reachableUnder(ifThen('C', 'x', NO_VALUE), ALWAYS)).toBe('x');
    expect(reachableUnder(ifThen('C', NO_VALUE, 'y'), ALWAYS)).toBe('y');
  });
});

describe('Module: presence, conditionFunction', () => {
  it('groups twenty members as two groups of ten, no empty group after them', () => {
    const members = Array.from({ length: 20 }, (_, i) => named(`N${i}`));
    const written = members.map((member) => conditionFunction(member));
    expect(conditionFunction(and(...members))).toEqual({ 'Fn::And': [{ 'Fn::And': written.slice(0, 10) }, { 'Fn::And': written.slice(10) }] });
  });
});
