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

/** A formula's identity, for removing repeats (members keep their first order: output stays in template order). */
const identity = (formula: Formula): string => JSON.stringify(formula);

export function not(formula: Formula): Formula {
  if (formula.kind === 'always') return NEVER;
  if (formula.kind === 'never') return ALWAYS;
  if (formula.kind === 'not') return formula.of;
  return { kind: 'not', of: formula };
}

function combine(kind: 'and' | 'or', members: readonly Formula[]): Formula {
  const [unit, zero] = kind === 'and' ? [ALWAYS, NEVER] : [NEVER, ALWAYS];
  // The common case (an unconditional site of a literal image) without building anything.
  if (members.every((member) => member.kind === unit.kind)) return unit;
  const flat = new Map<string, Formula>();
  for (const member of members) {
    if (member.kind === zero.kind) return zero;
    if (member.kind === unit.kind) continue;
    for (const part of member.kind === kind ? member.of : [member]) flat.set(identity(part), part);
  }
  const parts = [...flat.values()];
  // `A or not A` (and `A and not A`): whatever A is, the answer is known.
  if (parts.some((part) => flat.has(identity(not(part))))) return zero;
  if (parts.length === 0) return unit;
  return parts.length === 1 ? parts[0]! : { kind, of: parts };
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

/** When the value is present (not removed by an `AWS::NoValue` branch). */
export function presenceOf(expression: Json): Formula {
  return when(expression, (leaf) => (isNoValue(leaf) ? NEVER : ALWAYS));
}

/** When a function with this `PackageType` runs an image (absent, an unknown value: always; `Zip`: never). */
export function imageWhen(packageType: Json | undefined): Formula {
  if (packageType === undefined) return ALWAYS;
  return when(packageType, (leaf) => (leaf === 'Zip' ? NEVER : ALWAYS));
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
  let values = 0;
  const all = (value: Json, depth: number): boolean => {
    if (isNoValue(value)) return true;
    const branches = depth <= MAX_EVALUATION_DEPTH ? ifArguments(value) : undefined;
    if (branches === undefined) {
      values += 1;
      return test(value);
    }
    return all(branches[1], depth + 1) && all(branches[2], depth + 1);
  };
  return all(expression, 0) && values > 0;
}

/** Whether `formula` holding means condition `name` holds (recognised structurally: enough for DependsOn). */
export function implies(formula: Formula, name: string): boolean {
  if (formula.kind === 'condition') return formula.name === name;
  if (formula.kind === 'and') return formula.of.some((member) => implies(member, name));
  if (formula.kind === 'or') return formula.of.every((member) => implies(member, name));
  return formula.kind === 'never';
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
