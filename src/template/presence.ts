// When a mirror is needed, as a condition formula over the template's own Conditions: a site needs its mirror when
// its resource exists (its Condition), its image value is not removed (`Fn::If` branches that are `AWS::NoValue`) and
// the function is an image function (`PackageType` through `Fn::If`). A mirror is needed when any of its sites needs
// it. Formulas are simplified as they are built and written back as CloudFormation condition functions.
import { getOwn, intrinsicOf } from './json.js';
import { MAX_EVALUATION_DEPTH } from './resolve/resolver.js';
import type { Json, JsonObject } from './types.js';

export type Formula =
  | { readonly kind: 'always' }
  | { readonly kind: 'never' }
  | { readonly kind: 'condition'; readonly name: string }
  | { readonly kind: 'not'; readonly of: Formula }
  | { readonly kind: 'and' | 'or'; readonly of: readonly Formula[] };

export const ALWAYS: Formula = { kind: 'always' };
export const NEVER: Formula = { kind: 'never' };
export const named = (name: string): Formula => ({ kind: 'condition', name });

const identities = new WeakMap<Formula, string>();

/**
 * A formula's identity, for removing repeats (members keep their first order: output stays in template order).
 * A name is prefixed with its length, so no name can read as a structure. Composite identities are remembered.
 */
function identity(formula: Formula): string {
  if (formula.kind === 'condition') return `${formula.name.length}:${formula.name}`;
  if (formula.kind === 'always' || formula.kind === 'never') return formula.kind;
  let found = identities.get(formula);
  if (found === undefined) {
    found = formula.kind === 'not' ? `!${identity(formula.of)}` : `${formula.kind}(${formula.of.map(identity).join(',')})`;
    identities.set(formula, found);
  }
  return found;
}

export function not(formula: Formula): Formula {
  if (formula.kind === 'always') return NEVER;
  if (formula.kind === 'never') return ALWAYS;
  if (formula.kind === 'not') return formula.of;
  return { kind: 'not', of: formula };
}

function combine(kind: 'and' | 'or', members: readonly Formula[]): Formula {
  const unit = kind === 'and' ? ALWAYS : NEVER;
  const zero = kind === 'and' ? NEVER : ALWAYS;
  // The common cases (an unconditional site, or one condition) without building anything: the one member that is
  // not the unit, when there is at most one.
  let other: Formula | undefined;
  let others = 0;
  for (const member of members) {
    // A zero decides it, whatever else is there (before any identity is made).
    if (member.kind === zero.kind) return zero;
    if (member.kind === unit.kind) continue;
    other = member;
    others += 1;
  }
  if (others === 0) return unit;
  if (others === 1 && other!.kind !== kind) return other!;
  const flat = new Map<string, Formula>();
  for (const member of members) {
    if (member.kind === unit.kind) continue;
    for (const part of member.kind === kind ? member.of : [member]) flat.set(identity(part), part);
  }
  const parts = [...flat.values()];
  // `A or not A` (and `A and not A`): whatever A is, the answer is known.
  if (parts.some((part) => flat.has(identity(not(part))))) return zero;
  if (parts.length === 0) return unit;
  if (parts.length === 1) return parts[0]!;
  // In an `and` the other members are read knowing its single conditions hold; in an `or`, knowing they do not
  // (else the `or` holds already): `C2 and (C3 and not C2 or not C3)` is `C2 and not C3`.
  const literals = parts.map(literalOf).filter((literal) => literal !== undefined);
  const known = (part: Formula) => literals.reduce((formula, [name, value]) => assume(formula, name, kind === 'and' ? value : !value), part);
  const simplified = literals.length === 0 ? parts : parts.map((part) => (literalOf(part) !== undefined ? part : known(part)));
  if (simplified.some((part, index) => part !== parts[index])) return combine(kind, simplified);
  return { kind, of: parts };
}

/** A single condition or its negation: its name and the value it requires. */
function literalOf(formula: Formula): readonly [string, boolean] | undefined {
  if (formula.kind === 'condition') return [formula.name, true];
  if (formula.kind === 'not' && formula.of.kind === 'condition') return [formula.of.name, false];
  return undefined;
}

/** The formula once condition `name` is known to be `value` (the same object when it does not mention it). */
function assume(formula: Formula, name: string, value: boolean): Formula {
  switch (formula.kind) {
    case 'condition':
      return formula.name === name ? (value ? ALWAYS : NEVER) : formula;
    case 'not': {
      const inner = assume(formula.of, name, value);
      return inner === formula.of ? formula : not(inner);
    }
    case 'and':
    case 'or': {
      const members = formula.of.map((member) => assume(member, name, value));
      return members.every((member, index) => member === formula.of[index]) ? formula : combine(formula.kind, members);
    }
    default:
      return formula;
  }
}

/** The formula's value when each condition has the value `assignment` gives it. */
function holdsWith(formula: Formula, assignment: ReadonlyMap<string, boolean>): boolean {
  switch (formula.kind) {
    case 'always':
      return true;
    case 'never':
      return false;
    case 'condition':
      return assignment.get(formula.name)!;
    case 'not':
      return !holdsWith(formula.of, assignment);
    case 'and':
      return formula.of.every((member) => holdsWith(member, assignment));
    default:
      return formula.of.some((member) => holdsWith(member, assignment));
  }
}

export const and = (...members: readonly Formula[]): Formula => combine('and', members);
export const or = (...members: readonly Formula[]): Formula => combine('or', members);

/** `[condition, whenTrue, whenFalse]` of a well-formed `Fn::If`. */
function ifArguments(expression: Json): readonly [string, Json, Json] | undefined {
  const intrinsic = intrinsicOf(expression);
  if (intrinsic?.[0] !== 'Fn::If') return undefined;
  const arg = intrinsic[1];
  if (!Array.isArray(arg) || arg.length !== 3 || typeof arg[0] !== 'string') return undefined;
  return [arg[0], arg[1] as Json, arg[2] as Json];
}

const isNoValue = (expression: Json): boolean => intrinsicOf(expression)?.[0] === 'Ref' && getOwn(expression, 'Ref') === 'AWS::NoValue';

/** When a value built of `Fn::If`s yields a leaf for which `leaf` holds. Deeper than the resolver goes: always. */
function when(expression: Json, leaf: (value: Json) => Formula, depth = 0): Formula {
  const branches = depth <= MAX_EVALUATION_DEPTH ? ifArguments(expression) : undefined;
  if (branches === undefined) return leaf(expression);
  const [condition, whenTrue, whenFalse] = branches;
  return or(and(named(condition), when(whenTrue, leaf, depth + 1)), and(not(named(condition)), when(whenFalse, leaf, depth + 1)));
}

/** A leaf value is present unless it is `AWS::NoValue`. */
const presentLeaf = (leaf: Json): Formula => (isNoValue(leaf) ? NEVER : ALWAYS);

/** When the value is present (not removed by an `AWS::NoValue` branch). */
export function presenceOf(expression: Json): Formula {
  return when(expression, presentLeaf);
}

/** A leaf PackageType runs an image unless it is `Zip`. */
const imageLeaf = (leaf: Json): Formula => (leaf === 'Zip' ? NEVER : ALWAYS);

/** When a function with this `PackageType` runs an image (absent, an unknown value: always; `Zip`: never). */
export function imageWhen(packageType: Json | undefined): Formula {
  if (packageType === undefined) return ALWAYS;
  return when(packageType, imageLeaf);
}

/**
 * The site's value once it reads the mirror: `reference` where the original yields an image, `AWS::NoValue` kept
 * where it yields none, the `Fn::If`s between kept, so the site reads the mirror only when the mirror exists.
 */
export function readingMirror(expression: Json, reference: Json, depth = 0): Json {
  if (isNoValue(expression)) return expression;
  const branches = depth <= MAX_EVALUATION_DEPTH ? ifArguments(expression) : undefined;
  if (branches === undefined || presenceOf(expression).kind === 'always') return reference;
  const [condition, whenTrue, whenFalse] = branches;
  return { 'Fn::If': [condition, readingMirror(whenTrue, reference, depth + 1), readingMirror(whenFalse, reference, depth + 1)] };
}

/** Whether every value the expression can yield (past `Fn::If`, `AWS::NoValue` aside) satisfies `test`, and one does. */
export function everyValue(expression: Json, test: (value: Json) => boolean): boolean {
  return valuesPassing(expression, test, 0) > 0;
}

/** How many values the expression can yield (as everyValue counts them), or -1 when one of them fails `test`. */
function valuesPassing(value: Json, test: (value: Json) => boolean, depth: number): number {
  if (isNoValue(value)) return 0;
  const branches = depth <= MAX_EVALUATION_DEPTH ? ifArguments(value) : undefined;
  if (branches === undefined) return test(value) ? 1 : -1;
  const whenTrue = valuesPassing(branches[1], test, depth + 1);
  if (whenTrue < 0) return -1;
  const whenFalse = valuesPassing(branches[2], test, depth + 1);
  return whenFalse < 0 ? -1 : whenTrue + whenFalse;
}

/** The condition names a formula mentions. */
export function conditionNames(formula: Formula): string[] {
  if (formula.kind === 'condition') return [formula.name];
  if (formula.kind === 'not') return conditionNames(formula.of);
  if (formula.kind === 'and' || formula.kind === 'or') return formula.of.flatMap(conditionNames);
  return [];
}

/** Up to this many conditions, implication is decided over every assignment (4,096); past it, structurally. */
const MAX_ENUMERATED = 12;

/**
 * Whether `formula` holding means condition `name` holds (or, with `holds` false, does not hold), the template's
 * conditions taken as independent (what the transform cannot evaluate, it cannot relate).
 */
export function implies(formula: Formula, name: string, holds = true): boolean {
  const names = [...new Set([...conditionNames(formula), name])];
  if (names.length > MAX_ENUMERATED) return impliesStructurally(formula, name, holds);
  for (let bits = 0; bits < 2 ** names.length; bits += 1) {
    const assignment = new Map(names.map((n, i) => [n, ((bits >> i) & 1) === 1]));
    if (holdsWith(formula, assignment) && assignment.get(name) !== holds) return false;
  }
  return true;
}

function impliesStructurally(formula: Formula, name: string, holds: boolean): boolean {
  if (formula.kind === 'condition') return holds && formula.name === name;
  if (formula.kind === 'not') return !holds && formula.of.kind === 'condition' && formula.of.name === name;
  if (formula.kind === 'and') return formula.of.some((member) => impliesStructurally(member, name, holds));
  if (formula.kind === 'or') return formula.of.every((member) => impliesStructurally(member, name, holds));
  return formula.kind === 'never';
}

/**
 * The expression as it can evaluate while `when` holds: an Fn::If whose condition `when` decides, or one of whose
 * branches removes the value (the mirror exists only when there is one), is replaced by the branch taken. A mirror's
 * properties then hold no branch CloudFormation can never take there (cfn-lint W1028).
 */
export function reachableUnder(expression: Json, when: Formula, depth = 0): Json {
  const branches = depth <= MAX_EVALUATION_DEPTH ? ifArguments(expression) : undefined;
  if (branches === undefined) return expression;
  const [condition, whenTrue, whenFalse] = branches;
  if (implies(when, condition) || presenceOf(whenFalse).kind === 'never') return reachableUnder(whenTrue, when, depth + 1);
  if (implies(when, condition, false) || presenceOf(whenTrue).kind === 'never') return reachableUnder(whenFalse, when, depth + 1);
  const [a, b] = [reachableUnder(whenTrue, when, depth + 1), reachableUnder(whenFalse, when, depth + 1)];
  return a === whenTrue && b === whenFalse ? expression : { 'Fn::If': [condition, a, b] };
}

/** CloudFormation takes 2 to 10 conditions in one Fn::And or Fn::Or. */
const MAX_MEMBERS = 10;

/** The formula as a condition function for the Conditions section (not `always`/`never`: those need no condition). */
export function conditionFunction(formula: Formula): JsonObject {
  switch (formula.kind) {
    case 'condition':
      return { Condition: formula.name };
    case 'not':
      return { 'Fn::Not': [conditionFunction(formula.of)] };
    case 'and':
    case 'or':
      return grouped(formula.kind === 'and' ? 'Fn::And' : 'Fn::Or', formula.of.map(conditionFunction));
    default:
      // Callers leave a condition out for these; a constant still has to be a valid condition.
      return { 'Fn::Equals': ['true', formula.kind === 'always' ? 'true' : 'false'] };
  }
}

function grouped(name: string, members: JsonObject[]): JsonObject {
  if (members.length <= MAX_MEMBERS) return { [name]: members };
  const groups: JsonObject[] = [];
  for (let start = 0; start < members.length; start += MAX_MEMBERS) {
    const group = members.slice(start, start + MAX_MEMBERS);
    groups.push(group.length === 1 ? group[0]! : { [name]: group });
  }
  return grouped(name, groups);
}
