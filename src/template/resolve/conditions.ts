// Conditions: the template's Conditions section evaluated by name (cached; cycles and chains too deep are
// blocked up front, so every outcome is the same from every starting point), and condition functions.
import { compactJson, getOwn, hasOwn, isJsonObject } from '../json.js';
import type { Json, JsonObject } from '../types.js';
import { asString, type ConditionOutcome, known, MAX_CONDITION_NESTING, MAX_EVALUATION_DEPTH, type Scope, unknownCondition } from './scope.js';

/** Fn::Equals compares values as strings: `!Equals [!Ref Count, 1]` holds for Count = "1". */
function comparable(v: Json): string {
  const scalar = asString(v);
  if (scalar !== undefined) return JSON.stringify(scalar);
  if (Array.isArray(v)) return `[${v.map(comparable).join(',')}]`;
  return compactJson(v);
}

export function conditionByName(scope: Scope, name: string): ConditionOutcome {
  const cached = scope.conditionCache.get(name);
  if (cached) return cached;
  const blocked = scope.conditionBlocks.get(name);
  // Each condition body is evaluated from depth 0: its outcome does not depend on who asked, so it is cached.
  const outcome = blocked
    ? unknownCondition(blocked)
    : hasOwn(scope.conditions, name)
      ? conditionExpression(scope, getOwn(scope.conditions, name) as Json, 0)
      : unknownCondition(`condition ${name} is not declared`);
  scope.conditionCache.set(name, outcome);
  return outcome;
}

function conditionExpression(scope: Scope, expression: Json, depth: number): ConditionOutcome {
  if (depth > MAX_EVALUATION_DEPTH) return unknownCondition(`condition nested more than ${MAX_EVALUATION_DEPTH} levels deep`);
  const keys = isJsonObject(expression) ? Object.keys(expression) : [];
  const name = keys.length === 1 ? keys[0]! : undefined;
  const arg = name === undefined ? undefined : (getOwn(expression, name) as Json);
  switch (name) {
    case 'Condition':
      return typeof arg === 'string' ? conditionByName(scope, arg) : unknownCondition('Condition takes a name');
    case 'Fn::Equals': {
      if (!Array.isArray(arg) || arg.length !== 2) return unknownCondition('Fn::Equals takes two values');
      const [left, right] = [scope.evaluate(arg[0] as Json, depth + 1), scope.evaluate(arg[1] as Json, depth + 1)];
      if (left.kind !== 'value') return unknownCondition(left.kind === 'unresolvable' ? left.reason : 'Fn::Equals of AWS::NoValue');
      if (right.kind !== 'value') return unknownCondition(right.kind === 'unresolvable' ? right.reason : 'Fn::Equals of AWS::NoValue');
      return known(comparable(left.value) === comparable(right.value));
    }
    case 'Fn::Not': {
      if (!Array.isArray(arg) || arg.length !== 1) return unknownCondition('Fn::Not takes one condition');
      const inner = conditionExpression(scope, arg[0] as Json, depth + 1);
      return inner.kind === 'known' ? known(!inner.value) : inner;
    }
    case 'Fn::And':
    case 'Fn::Or': {
      if (!Array.isArray(arg) || arg.length === 0) return unknownCondition(`${name} takes a list of conditions`);
      // A single decisive member settles the outcome even when another member is unknown.
      const decisive = name === 'Fn::Or';
      let firstUnknown: ConditionOutcome | undefined;
      for (const member of arg) {
        const outcome = conditionExpression(scope, member, depth + 1);
        if (outcome.kind === 'known' && outcome.value === decisive) return outcome;
        if (outcome.kind === 'unresolvable') firstUnknown ??= outcome;
      }
      return firstUnknown ?? known(!decisive);
    }
    default: {
      // Fn::If or Ref in a condition position yields a boolean-ish value.
      const result = scope.evaluate(expression, depth + 1);
      if (result.kind !== 'value') return unknownCondition(result.kind === 'unresolvable' ? result.reason : 'condition is AWS::NoValue');
      if (result.value === true || result.value === 'true') return known(true);
      if (result.value === false || result.value === 'false') return known(false);
      return unknownCondition(`${compactJson(expression)} is not a condition`);
    }
  }
}

/** Condition names a condition body refers to (`{Condition: X}` and `Fn::If: [X, ...]`). */
function referencedConditions(body: Json, found: Set<string>, depth = 0): boolean {
  if (depth > MAX_EVALUATION_DEPTH) return false;
  if (Array.isArray(body)) return body.every((item) => referencedConditions(item, found, depth + 1));
  if (!isJsonObject(body)) return true;
  const keys = Object.keys(body);
  if (keys.length === 1 && keys[0] === 'Condition' && typeof body.Condition === 'string') found.add(body.Condition);
  const ifArgs = getOwn(body, 'Fn::If');
  if (keys.length === 1 && Array.isArray(ifArgs) && typeof ifArgs[0] === 'string') found.add(ifArgs[0]);
  return keys.every((key) => referencedConditions(body[key] as Json, found, depth + 1));
}

/**
 * Conditions that cannot be evaluated whatever asks for them: part of (or depending on) a cycle, or
 * chained deeper than MAX_CONDITION_NESTING. Worked out up front (Kahn's algorithm, no recursion) so
 * that every condition's outcome is the same from every starting point and can be cached.
 */
export function blockedConditions(conditions: JsonObject): Map<string, string> {
  const blocked = new Map<string, string>();
  const dependencies = new Map<string, string[]>();
  for (const name of Object.keys(conditions)) {
    const found = new Set<string>();
    if (!referencedConditions(conditions[name] as Json, found)) {
      blocked.set(name, `condition ${name} is nested more than ${MAX_EVALUATION_DEPTH} levels deep`);
    }
    dependencies.set(
      name,
      [...found].filter((dependency) => hasOwn(conditions, dependency)),
    );
  }
  const dependents = new Map<string, string[]>();
  const waitingOn = new Map<string, number>();
  for (const [name, deps] of dependencies) {
    waitingOn.set(name, deps.length);
    for (const dependency of deps) dependents.set(dependency, [...(dependents.get(dependency) ?? []), name]);
  }
  const height = new Map<string, number>();
  const ready = [...dependencies.keys()].filter((name) => waitingOn.get(name) === 0);
  while (ready.length > 0) {
    const name = ready.pop()!;
    height.set(name, 1 + Math.max(0, ...dependencies.get(name)!.map((dependency) => height.get(dependency) ?? 0)));
    for (const dependent of dependents.get(name) ?? []) {
      const left = waitingOn.get(dependent)! - 1;
      waitingOn.set(dependent, left);
      if (left === 0) ready.push(dependent);
    }
  }
  for (const name of dependencies.keys()) {
    const h = height.get(name);
    if (h === undefined) blocked.set(name, `condition ${name} refers to itself through a cycle of conditions`);
    else if (h > MAX_CONDITION_NESTING) {
      blocked.set(name, `condition ${name} is chained more than ${MAX_CONDITION_NESTING} conditions deep`);
    }
  }
  return blocked;
}

/**
 * Whether a condition's outcome can differ between deployments: its body (or a condition it names) refers to a
 * parameter or pseudo parameter. A condition of constants only (`!Equals [a, a]`) is decided once for all.
 */
export function conditionVaries(scope: Scope, name: string): boolean {
  const seen = new Set<string>();
  const pending = [name];
  while (pending.length > 0) {
    const current = pending.pop()!;
    if (seen.has(current)) continue;
    seen.add(current);
    // An undeclared or blocked condition is not known to be constant.
    if (!hasOwn(scope.conditions, current) || scope.conditionBlocks.has(current)) return true;
    const stack: Json[] = [getOwn(scope.conditions, current) as Json];
    while (stack.length > 0) {
      const value = stack.pop()!;
      if (Array.isArray(value)) {
        for (const item of value) stack.push(item);
      } else if (isJsonObject(value)) {
        if (hasOwn(value, 'Ref')) return true;
        if (typeof value.Condition === 'string') pending.push(value.Condition);
        // An Fn::If in a condition takes the outcome of the condition it names.
        const ifArgs = getOwn(value, 'Fn::If');
        if (Array.isArray(ifArgs) && typeof ifArgs[0] === 'string') pending.push(ifArgs[0]);
        for (const key of Object.keys(value)) stack.push(value[key] as Json);
      }
    }
  }
  return false;
}
