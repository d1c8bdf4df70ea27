// Which template parameters an expression takes its value from (for messages and the CLI's notes).
import { hasOwn, intrinsicOf, isJsonObject } from '../json.js';
import type { Json } from '../types.js';
import { SUB_PLACEHOLDER, placeholderVariable } from '../sub.js';
import { conditionByName } from './conditions.js';
import { isParameter } from './references.js';
import { MAX_EVALUATION_DEPTH, type Scope } from './scope.js';

export function collectParameters(scope: Scope, expression: Json, found: Set<string>, depth: number): void {
  if (depth > MAX_EVALUATION_DEPTH) return;
  if (Array.isArray(expression)) {
    for (const item of expression) collectParameters(scope, item, found, depth + 1);
    return;
  }
  if (!isJsonObject(expression)) return;
  const intrinsic = intrinsicOf(expression);
  if (intrinsic === undefined) {
    for (const key of Object.keys(expression)) collectParameters(scope, expression[key] as Json, found, depth + 1);
    return;
  }
  const [name, arg] = intrinsic;
  if (name === 'Ref') {
    if (typeof arg === 'string' && isParameter(scope, arg)) found.add(arg);
  } else if (name === 'Fn::Sub') {
    const [text, variables] = typeof arg === 'string' ? [arg, {}] : Array.isArray(arg) ? [arg[0], isJsonObject(arg[1]) ? arg[1] : {}] : [undefined, {}];
    if (typeof text === 'string') {
      for (const match of text.matchAll(SUB_PLACEHOLDER)) {
        const variable = placeholderVariable(match[1]!);
        if (variable !== undefined && !hasOwn(variables, variable) && isParameter(scope, variable)) found.add(variable);
      }
    }
    collectParameters(scope, variables, found, depth + 1);
  } else if (name === 'Fn::If' && Array.isArray(arg) && arg.length === 3 && typeof arg[0] === 'string') {
    const outcome = conditionByName(scope, arg[0]);
    if (outcome.kind === 'known') collectParameters(scope, (outcome.value ? arg[1] : arg[2]) as Json, found, depth + 1);
    else collectParameters(scope, [arg[1], arg[2]] as Json, found, depth + 1);
  } else collectParameters(scope, arg, found, depth + 1);
}
