// The intrinsic functions the transform can evaluate (Ref, Fn::Sub, Fn::Join, Fn::Select, Fn::Split,
// Fn::FindInMap, Fn::If); every other one is known only at deploy time.
import { getOwn, hasOwn, intrinsicOf, isJsonObject, setOwn } from '../json.js';
import type { Json, JsonObject } from '../types.js';
import { SUB_PLACEHOLDER, placeholderVariable } from '../sub.js';
import { conditionByName } from './conditions.js';
import { ref } from './references.js';
import { asString, type Evaluation, MAX_EVALUATION_DEPTH, type Scope, unresolvable, value } from './scope.js';

export function evaluate(scope: Scope, expression: Json, depth: number): Evaluation {
  if (depth > MAX_EVALUATION_DEPTH) return unresolvable(`expression nested more than ${MAX_EVALUATION_DEPTH} levels deep`);
  if (Array.isArray(expression)) {
    const items: Json[] = [];
    for (const item of expression) {
      const result = evaluate(scope, item, depth + 1);
      if (result.kind === 'unresolvable') return result;
      if (result.kind === 'value') items.push(result.value);
    }
    return value(items);
  }
  if (isJsonObject(expression)) {
    const intrinsic = intrinsicOf(expression);
    if (intrinsic) return call(scope, intrinsic[0], intrinsic[1], depth + 1);
    const out: JsonObject = {};
    for (const key of Object.keys(expression)) {
      const result = evaluate(scope, expression[key] as Json, depth + 1);
      if (result.kind === 'unresolvable') return result;
      if (result.kind === 'value') setOwn(out, key, result.value);
    }
    return value(out);
  }
  return value(expression);
}

/** Evaluates to a string, or says why not. */
function evaluateString(scope: Scope, expression: Json, depth: number, what: string): string | Evaluation {
  const result = evaluate(scope, expression, depth);
  if (result.kind !== 'value') return result.kind === 'no-value' ? unresolvable(`${what} is AWS::NoValue`) : result;
  return asString(result.value) ?? unresolvable(`${what} is not a string`);
}

function evaluateList(scope: Scope, expression: Json, depth: number, what: string): Json[] | Evaluation {
  const result = evaluate(scope, expression, depth);
  if (result.kind !== 'value') return result.kind === 'no-value' ? unresolvable(`${what} is AWS::NoValue`) : result;
  return Array.isArray(result.value) ? result.value : unresolvable(`${what} is not a list`);
}

function call(scope: Scope, name: string, arg: Json, depth: number): Evaluation {
  switch (name) {
    case 'Ref':
      return ref(scope, arg);
    case 'Fn::Sub':
      return sub(scope, arg, depth);
    case 'Fn::Join':
      return join(scope, arg, depth);
    case 'Fn::Select':
      return select(scope, arg, depth);
    case 'Fn::Split':
      return split(scope, arg, depth);
    case 'Fn::FindInMap':
      return findInMap(scope, arg, depth);
    case 'Fn::If':
      return ifThenElse(scope, arg, depth);
    default:
      // Fn::GetAtt, Fn::ImportValue, Fn::GetAZs, Fn::Base64, ...: values of the deployed world.
      return unresolvable(`${name} is known only at deploy time`);
  }
}

function sub(scope: Scope, arg: Json, depth: number): Evaluation {
  let text: Json | undefined;
  let variables: JsonObject = {};
  if (typeof arg === 'string') text = arg;
  else if (Array.isArray(arg) && arg.length === 2 && isJsonObject(arg[1])) [text, variables] = [arg[0], arg[1]];
  if (typeof text !== 'string') return unresolvable('Fn::Sub takes a string or [string, {variables}]');
  // Each variable is evaluated once however often it appears, so nested Subs stay linear in size.
  const evaluatedVariables = new Map<string, string | Evaluation>();
  let out = '';
  let last = 0;
  for (const match of text.matchAll(SUB_PLACEHOLDER)) {
    out += text.slice(last, match.index);
    last = match.index + match[0].length;
    const inner = match[1]!;
    const name = placeholderVariable(inner);
    if (name === undefined) {
      out += `\${${inner.slice(1)}}`;
      continue;
    }
    let part: string | Evaluation;
    if (hasOwn(variables, name)) part = subVariable(scope, name, variables, evaluatedVariables, depth);
    else if (name.includes('.')) part = unresolvable(`\${${name}} is a resource attribute, known only at deploy time`);
    else {
      const result = ref(scope, name);
      part =
        result.kind === 'value'
          ? (asString(result.value) ?? unresolvable(`\${${name}} is not a string`))
          : result.kind === 'no-value'
            ? unresolvable(`\${${name}} is AWS::NoValue`)
            : result;
    }
    if (typeof part !== 'string') return part;
    out += part;
  }
  return value(out + text.slice(last));
}

function subVariable(scope: Scope, name: string, variables: JsonObject, evaluated: Map<string, string | Evaluation>, depth: number): string | Evaluation {
  let result = evaluated.get(name);
  if (result === undefined) {
    result = evaluateString(scope, getOwn(variables, name) as Json, depth + 1, `Fn::Sub variable ${name}`);
    evaluated.set(name, result);
  }
  return result;
}

function join(scope: Scope, arg: Json, depth: number): Evaluation {
  if (!Array.isArray(arg) || arg.length !== 2) return unresolvable('Fn::Join takes [delimiter, list]');
  const delimiter = evaluateString(scope, arg[0] as Json, depth + 1, 'Fn::Join delimiter');
  if (typeof delimiter !== 'string') return delimiter;
  const list = evaluateList(scope, arg[1] as Json, depth + 1, 'Fn::Join list');
  if (!Array.isArray(list)) return list;
  const parts = list.map(asString);
  if (!parts.every((p): p is string => p !== undefined)) return unresolvable('Fn::Join list holds a non-string');
  return value(parts.join(delimiter));
}

function select(scope: Scope, arg: Json, depth: number): Evaluation {
  if (!Array.isArray(arg) || arg.length !== 2) return unresolvable('Fn::Select takes [index, list]');
  const indexText = evaluateString(scope, arg[0] as Json, depth + 1, 'Fn::Select index');
  if (typeof indexText !== 'string') return indexText;
  if (!/^[0-9]+$/.test(indexText)) return unresolvable(`Fn::Select index ${JSON.stringify(indexText)} is not a whole number`);
  const list = evaluateList(scope, arg[1] as Json, depth + 1, 'Fn::Select list');
  if (!Array.isArray(list)) return list;
  const index = Number(indexText);
  return index < list.length ? value(list[index] as Json) : unresolvable(`Fn::Select index ${index} is out of range`);
}

function split(scope: Scope, arg: Json, depth: number): Evaluation {
  if (!Array.isArray(arg) || arg.length !== 2) return unresolvable('Fn::Split takes [delimiter, string]');
  const delimiter = evaluateString(scope, arg[0] as Json, depth + 1, 'Fn::Split delimiter');
  if (typeof delimiter !== 'string') return delimiter;
  if (delimiter === '') return unresolvable('Fn::Split delimiter is empty');
  const source = evaluateString(scope, arg[1] as Json, depth + 1, 'Fn::Split source');
  if (typeof source !== 'string') return source;
  return value(source.split(delimiter));
}

function findInMap(scope: Scope, arg: Json, depth: number): Evaluation {
  if (!Array.isArray(arg) || (arg.length !== 3 && arg.length !== 4)) {
    return unresolvable('Fn::FindInMap takes [map, top-level key, second-level key, {DefaultValue}?]');
  }
  const keys: string[] = [];
  for (const [i, what] of ['map name', 'top-level key', 'second-level key'].entries()) {
    const key = evaluateString(scope, arg[i] as Json, depth + 1, `Fn::FindInMap ${what}`);
    if (typeof key !== 'string') return key;
    keys.push(key);
  }
  const [mapName, top, second] = keys as [string, string, string];
  const map = getOwn(scope.mappings, mapName);
  const level = getOwn(map, top);
  // Mapping values are literals in CloudFormation; they are not evaluated (no recursion through Mappings).
  if (hasOwn(level, second)) return value(getOwn(level, second) as Json);
  const options = arg[3];
  if (hasOwn(options, 'DefaultValue')) return evaluate(scope, getOwn(options, 'DefaultValue') as Json, depth + 1);
  return unresolvable(`Fn::FindInMap found no ${mapName}.${top}.${second}`);
}

function ifThenElse(scope: Scope, arg: Json, depth: number): Evaluation {
  if (!Array.isArray(arg) || arg.length !== 3 || typeof arg[0] !== 'string') {
    return unresolvable('Fn::If takes [condition name, value if true, value if false]');
  }
  const outcome = conditionByName(scope, arg[0]);
  if (outcome.kind === 'unresolvable') return outcome;
  return evaluate(scope, (outcome.value ? arg[1] : arg[2]) as Json, depth + 1);
}
