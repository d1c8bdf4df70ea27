// Properties of the condition formulas (presence.ts) against an oracle that evaluates what CloudFormation would: a
// formula built with and/or/not is the same boolean function as the expression it was built from, under every
// assignment of its conditions, once written back as a condition function; the values an Fn::If tree yields decide
// presence, image functions and what a site reading the mirror reads; implication is checked by enumeration.
import fc from 'fast-check';
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
import type { Json, JsonObject } from '../../../src/template/types.js';
import { ifThen, NO_VALUE } from './fixtures.js';

const RUNS = Number(process.env.PRESENCE_RUNS ?? 400);
const NAMES = ['A', 'B', 'C', 'D'];
type Assignment = ReadonlyMap<string, boolean>;
const ASSIGNMENTS: Assignment[] = Array.from({ length: 2 ** NAMES.length }, (_, bits) => new Map(NAMES.map((name, i) => [name, ((bits >> i) & 1) === 1])));

/** What a formula is built from: the oracle evaluates this, the product builds a Formula of it. */
type Shape = boolean | string | { not: Shape } | { and: Shape[] } | { or: Shape[] };

const { shape } = fc.letrec<{ shape: Shape }>((tie) => ({
  shape: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constantFrom<Shape>(...NAMES, true, false),
    tie('shape').map((of) => ({ not: of })),
    fc.array(tie('shape'), { maxLength: 4 }).map((of) => ({ and: of })),
    fc.array(tie('shape'), { maxLength: 4 }).map((of) => ({ or: of })),
  ),
}));

function build(s: Shape): Formula {
  if (s === true) return ALWAYS;
  if (s === false) return NEVER;
  if (typeof s === 'string') return named(s);
  if ('not' in s) return not(build(s.not));
  if ('and' in s) return and(...s.and.map(build));
  return or(...s.or.map(build));
}

function truth(s: Shape, assignment: Assignment): boolean {
  if (typeof s === 'boolean') return s;
  if (typeof s === 'string') return assignment.get(s)!;
  if ('not' in s) return !truth(s.not, assignment);
  if ('and' in s) return s.and.every((member) => truth(member, assignment));
  return s.or.some((member) => truth(member, assignment));
}

const isObject = (value: unknown): value is JsonObject => typeof value === 'object' && value !== null && !Array.isArray(value);

/** A condition function as CloudFormation evaluates it; every Fn::And and Fn::Or must have 2 to 10 members. */
function holds(body: Json, assignment: Assignment): boolean {
  if (!isObject(body) || Object.keys(body).length !== 1) throw new Error(`not a condition: ${JSON.stringify(body)}`);
  if (typeof body.Condition === 'string') return assignment.get(body.Condition)!;
  const [name, arg] = Object.entries(body)[0]!;
  if (!Array.isArray(arg)) throw new Error(`not a condition: ${JSON.stringify(body)}`);
  if (name === 'Fn::Equals') return arg[0] === arg[1];
  if (name === 'Fn::Not' && arg.length === 1) return !holds(arg[0] as Json, assignment);
  if ((name === 'Fn::And' || name === 'Fn::Or') && arg.length >= 2 && arg.length <= 10) {
    const members = arg.map((member) => holds(member as Json, assignment));
    return name === 'Fn::And' ? members.every(Boolean) : members.some(Boolean);
  }
  throw new Error(`not a condition: ${JSON.stringify(body)}`);
}

/** A formula's value, through the condition function it is written as. */
const formulaHolds = (formula: Formula, assignment: Assignment): boolean => holds(conditionFunction(formula), assignment);

describe('Module: presence (condition formulas)', () => {
  it('builds the same boolean function as the expression it is built from', () => {
    fc.assert(
      fc.property(shape, (s) => {
        const formula = build(s);
        const values = ASSIGNMENTS.map((assignment) => truth(s, assignment));
        for (const [i, assignment] of ASSIGNMENTS.entries()) expect(formulaHolds(formula, assignment)).toBe(values[i]);
      }),
      { numRuns: RUNS },
    );
  });

  it('decides implication exactly, for a condition or its negation', () => {
    fc.assert(
      fc.property(shape, fc.constantFrom(...NAMES), fc.boolean(), (s, name, value) => {
        const expected = ASSIGNMENTS.every((assignment) => !truth(s, assignment) || assignment.get(name) === value);
        expect(implies(build(s), name, value)).toBe(expected);
      }),
      { numRuns: RUNS },
    );
  });

  it('writes long Fn::And and Fn::Or lists in groups CloudFormation takes (2 to 10 members), keeping their meaning', () => {
    for (const count of [10, 11, 21, 25, 101]) {
      const names = Array.from({ length: count }, (_, i) => `N${i}`);
      const bodies = [conditionFunction(or(...names.map(named))), conditionFunction(and(...names.map(named)))];
      for (const trueOne of [-1, 0, count - 1]) {
        const assignment = new Map(names.map((name, i) => [name, i === trueOne]));
        expect(holds(bodies[0]!, assignment)).toBe(trueOne >= 0);
        const allButOne = new Map(names.map((name, i) => [name, i !== trueOne]));
        expect(holds(bodies[1]!, allButOne)).toBe(trueOne < 0);
      }
    }
  });
});

/** Fn::If trees over A..D whose leaves are images, AWS::NoValue or package types. */
const LEAVES: Json[] = ['img1', 'img2', NO_VALUE, 'Zip', 'Image'];
const { value } = fc.letrec<{ value: Json }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constantFrom(...LEAVES),
    fc.tuple(fc.constantFrom(...NAMES), tie('value'), tie('value')).map(([c, a, b]) => ifThen(c, a, b)),
  ),
}));

const isNoValue = (v: Json): boolean => isObject(v) && v.Ref === 'AWS::NoValue';

/** The value with its Fn::Ifs taken; undefined for AWS::NoValue. */
function taken(v: Json, assignment: Assignment): Json | undefined {
  if (isNoValue(v)) return undefined;
  if (isObject(v) && Array.isArray(v['Fn::If'])) {
    const [name, a, b] = v['Fn::If'] as [string, Json, Json];
    return taken(assignment.get(name) ? a : b, assignment);
  }
  return v;
}

/** The leaves of an Fn::If tree, every branch as written. */
function leaves(v: Json): Json[] {
  if (!isObject(v) || !Array.isArray(v['Fn::If'])) return [v];
  const [, a, b] = v['Fn::If'] as [string, Json, Json];
  return [...leaves(a), ...leaves(b)];
}

/** Whether a value holds an Fn::If over a condition that `when` decides. */
function hasDecidedIf(v: Json, when: Formula): boolean {
  if (!isObject(v) || !Array.isArray(v['Fn::If'])) return false;
  const [name, a, b] = v['Fn::If'] as [string, Json, Json];
  return implies(when, name) || implies(when, name, false) || hasDecidedIf(a, when) || hasDecidedIf(b, when);
}

const MIRROR: Json = { 'Fn::GetAtt': ['Mirror', 'ImageUri'] };

describe('Module: presence (values of Fn::If trees)', () => {
  it('knows when a value is present, when it runs an image, and whether every value passes a test', () => {
    fc.assert(
      fc.property(value, (v) => {
        const values = ASSIGNMENTS.map((assignment) => taken(v, assignment));
        for (const [i, assignment] of ASSIGNMENTS.entries()) {
          expect(formulaHolds(presenceOf(v), assignment)).toBe(values[i] !== undefined);
          expect(formulaHolds(imageWhen(v), assignment)).toBe(values[i] !== 'Zip');
        }
        // everyValue reads every branch as written, whether or not an assignment takes it.
        const written = leaves(v).filter((x) => !isNoValue(x));
        expect(everyValue(v, (x) => x !== 'Zip')).toBe(written.length > 0 && written.every((x) => x !== 'Zip'));
        expect(everyValue(v, () => true)).toBe(written.length > 0);
      }),
      { numRuns: RUNS },
    );
  });

  it('reads the mirror exactly where the value is present, and removes the value elsewhere', () => {
    fc.assert(
      fc.property(value, (v) => {
        const reading = readingMirror(v, MIRROR);
        for (const assignment of ASSIGNMENTS) expect(taken(reading, assignment)).toEqual(taken(v, assignment) === undefined ? undefined : MIRROR);
      }),
      { numRuns: RUNS },
    );
  });

  it('keeps, while a formula holds, the value wherever it is present, without an Fn::If the formula decides', () => {
    fc.assert(
      fc.property(value, shape, (v, s) => {
        const when = build(s);
        const reachable = reachableUnder(v, when);
        for (const assignment of ASSIGNMENTS) {
          const original = taken(v, assignment);
          if (truth(s, assignment) && original !== undefined) expect(taken(reachable, assignment)).toEqual(original);
        }
        expect(hasDecidedIf(reachable, when)).toBe(false);
        // Nothing to change: the very same value.
        if (!hasDecidedIf(v, when) && JSON.stringify(v).indexOf('AWS::NoValue') === -1) expect(reachable).toBe(v);
      }),
      { numRuns: RUNS },
    );
  });

  it('reads an absent PackageType as an image function', () => {
    expect(imageWhen(undefined)).toEqual(ALWAYS);
  });
});
