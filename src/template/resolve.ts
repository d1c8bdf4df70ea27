// Evaluates CloudFormation intrinsic functions as far as the transform can know them: parameter
// values from the macro event (or the parameter's Default), pseudo parameters of the stack, Mappings
// and Conditions. Anything known only at deploy time (resource attributes, imports, SSM values, the
// stack name) is `unresolvable`; the caller then defers the decision to the mirror function.
import { partitionForRegion, urlSuffixForRegion } from '../reference/index.js';
import { compactJson, getOwn, hasOwn, intrinsicOf, isJsonObject, setOwn } from './json.js';
import type { Json, JsonObject, TransformContext } from './types.js';

export type Evaluation =
  | { readonly kind: 'value'; readonly value: Json }
  /** `Ref: AWS::NoValue`: the property is removed. */
  | { readonly kind: 'no-value' }
  | { readonly kind: 'unresolvable'; readonly reason: string };

export type ConditionOutcome = { readonly kind: 'known'; readonly value: boolean } | { readonly kind: 'unresolvable'; readonly reason: string };

export interface Resolver {
  /** Evaluates an expression; arrays and objects are evaluated element by element. */
  evaluate(expression: Json): Evaluation;
  /** Evaluates the named entry of the template's Conditions section. */
  condition(name: string): ConditionOutcome;
  /**
   * Template parameters an expression takes its value from (`Ref` and `Fn::Sub` variables; of an Fn::If over a
   * known condition only the branch taken), in the order they appear, once each.
   */
  parameters(expression: Json): string[];
}

/** Intrinsics nest; templates never need more than a handful of levels, so deeper input is refused. */
export const MAX_EVALUATION_DEPTH = 40;
/** Longest chain of conditions referring to conditions that is evaluated (bounds the stack with the above). */
export const MAX_CONDITION_NESTING = 16;

const value = (v: Json): Evaluation => ({ kind: 'value', value: v });
const NO_VALUE: Evaluation = { kind: 'no-value' };
const unresolvable = (reason: string): Evaluation => ({ kind: 'unresolvable', reason });
const known = (v: boolean): ConditionOutcome => ({ kind: 'known', value: v });
const unknownCondition = (reason: string): ConditionOutcome => ({ kind: 'unresolvable', reason });

/** Pseudo parameters whose value exists only once the stack does. */
const DEPLOY_TIME_PSEUDO = new Set(['AWS::StackName', 'AWS::StackId', 'AWS::NotificationARNs']);

/** CloudFormation passes list parameters as comma-separated strings and trims each member. */
function splitList(text: string): string[] {
  return text.split(',').map((member) => member.trim());
}

/** A scalar as CloudFormation uses it in string positions (Sub, Join, map keys). */
function asString(v: Json): string | undefined {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return undefined;
}

/** Fn::Equals compares values as strings: `!Equals [!Ref Count, 1]` holds for Count = "1". */
function comparable(v: Json): string {
  const scalar = asString(v);
  if (scalar !== undefined) return JSON.stringify(scalar);
  if (Array.isArray(v)) return `[${v.map(comparable).join(',')}]`;
  return compactJson(v);
}

export function createResolver(template: JsonObject, context: TransformContext): Resolver {
  const section = (name: string): JsonObject => {
    const found = getOwn(template, name);
    return isJsonObject(found) ? found : {};
  };
  const parameters = section('Parameters');
  const mappings = section('Mappings');
  const conditions = section('Conditions');
  const resources = section('Resources');
  const parameterValues: unknown = context.templateParameterValues;

  const conditionCache = new Map<string, ConditionOutcome>();
  // A parameter's value is the same wherever it is used, and templates Ref a few parameters from many sites.
  const parameterCache = new Map<string, Evaluation>();
  const conditionBlocks = blockedConditions(conditions);

  function pseudo(name: string): Evaluation | undefined {
    const region = typeof context.region === 'string' && context.region !== '' ? context.region : undefined;
    switch (name) {
      case 'AWS::NoValue':
        return NO_VALUE;
      case 'AWS::Region':
        return region ? value(region) : unresolvable('the stack region is not known');
      case 'AWS::AccountId':
        return typeof context.accountId === 'string' && context.accountId !== '' ? value(context.accountId) : unresolvable('the stack account is not known');
      case 'AWS::Partition':
        if (context.partition) return value(context.partition);
        return region ? value(partitionForRegion(region)) : unresolvable('the stack region is not known');
      case 'AWS::URLSuffix':
        if (context.urlSuffix) return value(context.urlSuffix);
        return region ? value(urlSuffixForRegion(region)) : unresolvable('the stack region is not known');
      default:
        if (DEPLOY_TIME_PSEUDO.has(name)) return unresolvable(`${name} is known only at deploy time`);
        return undefined;
    }
  }

  function parameter(name: string, declaration: Json | undefined): Evaluation {
    const type = typeof getOwn(declaration, 'Type') === 'string' ? (getOwn(declaration, 'Type') as string) : 'String';
    // The value of an SSM-typed parameter is the SSM key; CloudFormation reads the real value at deploy time.
    if (type.startsWith('AWS::SSM::Parameter::Value<')) {
      return unresolvable(`parameter ${name} is read from SSM Parameter Store at deploy time`);
    }
    const given = hasOwn(parameterValues, name) ? getOwn(parameterValues, name) : undefined;
    const raw = given ?? getOwn(declaration, 'Default');
    if (raw === undefined || raw === null) return unresolvable(`parameter ${name} has no value and no Default`);
    const isList = type === 'CommaDelimitedList' || type.startsWith('List<');
    if (isList) {
      if (Array.isArray(raw)) {
        const members = raw.map(asString);
        return members.every((m): m is string => m !== undefined) ? value(members) : unresolvable(`parameter ${name} is not a list of strings`);
      }
      const text = asString(raw);
      return text === undefined ? unresolvable(`parameter ${name} is not a list`) : value(splitList(text));
    }
    const text = asString(raw);
    return text === undefined ? unresolvable(`parameter ${name} of type ${type} is not a string`) : value(text);
  }

  function ref(target: Json): Evaluation {
    if (typeof target !== 'string') return unresolvable('Ref of a non-string');
    const fromPseudo = pseudo(target);
    if (fromPseudo) return fromPseudo;
    if (hasOwn(parameters, target)) return cachedParameter(target, getOwn(parameters, target));
    if (hasOwn(resources, target)) return unresolvable(`Ref ${target} is a resource, known only at deploy time`);
    // Not declared here (e.g. a fragment without its Parameters section): trust the event's value if any.
    if (hasOwn(parameterValues, target)) return cachedParameter(target, undefined);
    return unresolvable(`Ref ${target} names no parameter or resource`);
  }

  /** `parameter`, once per name (callers only read evaluations, so sharing a list value is safe). */
  function cachedParameter(name: string, declaration: Json | undefined): Evaluation {
    let result = parameterCache.get(name);
    if (result === undefined) {
      result = parameter(name, declaration);
      parameterCache.set(name, result);
    }
    return result;
  }

  function evaluate(expression: Json, depth: number): Evaluation {
    if (depth > MAX_EVALUATION_DEPTH) return unresolvable(`expression nested more than ${MAX_EVALUATION_DEPTH} levels deep`);
    if (Array.isArray(expression)) {
      const items: Json[] = [];
      for (const item of expression) {
        const result = evaluate(item, depth + 1);
        if (result.kind === 'unresolvable') return result;
        if (result.kind === 'value') items.push(result.value);
      }
      return value(items);
    }
    if (isJsonObject(expression)) {
      const intrinsic = intrinsicOf(expression);
      if (intrinsic) return call(intrinsic[0], intrinsic[1], depth + 1);
      const out: JsonObject = {};
      for (const key of Object.keys(expression)) {
        const result = evaluate(expression[key] as Json, depth + 1);
        if (result.kind === 'unresolvable') return result;
        if (result.kind === 'value') setOwn(out, key, result.value);
      }
      return value(out);
    }
    return value(expression);
  }

  /** Evaluates to a string, or says why not. */
  function evaluateString(expression: Json, depth: number, what: string): string | Evaluation {
    const result = evaluate(expression, depth);
    if (result.kind !== 'value') return result.kind === 'no-value' ? unresolvable(`${what} is AWS::NoValue`) : result;
    return asString(result.value) ?? unresolvable(`${what} is not a string`);
  }

  function evaluateList(expression: Json, depth: number, what: string): Json[] | Evaluation {
    const result = evaluate(expression, depth);
    if (result.kind !== 'value') return result.kind === 'no-value' ? unresolvable(`${what} is AWS::NoValue`) : result;
    return Array.isArray(result.value) ? result.value : unresolvable(`${what} is not a list`);
  }

  function call(name: string, arg: Json, depth: number): Evaluation {
    switch (name) {
      case 'Ref':
        return ref(arg);
      case 'Fn::Sub':
        return sub(arg, depth);
      case 'Fn::Join':
        return join(arg, depth);
      case 'Fn::Select':
        return select(arg, depth);
      case 'Fn::Split':
        return split(arg, depth);
      case 'Fn::FindInMap':
        return findInMap(arg, depth);
      case 'Fn::If':
        return ifThenElse(arg, depth);
      default:
        // Fn::GetAtt, Fn::ImportValue, Fn::GetAZs, Fn::Base64, ...: values of the deployed world.
        return unresolvable(`${name} is known only at deploy time`);
    }
  }

  function sub(arg: Json, depth: number): Evaluation {
    let text: Json | undefined;
    let variables: JsonObject = {};
    if (typeof arg === 'string') text = arg;
    else if (Array.isArray(arg) && arg.length === 2 && isJsonObject(arg[1])) [text, variables] = [arg[0], arg[1]];
    if (typeof text !== 'string') return unresolvable('Fn::Sub takes a string or [string, {variables}]');
    // Each variable is evaluated once however often it appears, so nested Subs stay linear in size.
    const evaluatedVariables = new Map<string, string | Evaluation>();
    let out = '';
    let last = 0;
    for (const match of text.matchAll(/\$\{([^}]*)\}/g)) {
      out += text.slice(last, match.index);
      last = match.index + match[0].length;
      const inner = match[1]!;
      // `${!Name}` is the escape for a literal `${Name}`.
      if (inner.startsWith('!')) {
        out += `\${${inner.slice(1)}}`;
        continue;
      }
      const name = inner.trim();
      let part: string | Evaluation;
      if (hasOwn(variables, name)) part = subVariable(name, variables, evaluatedVariables, depth);
      else if (name.includes('.')) part = unresolvable(`\${${name}} is a resource attribute, known only at deploy time`);
      else {
        const result = ref(name);
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

  function subVariable(name: string, variables: JsonObject, evaluated: Map<string, string | Evaluation>, depth: number): string | Evaluation {
    let result = evaluated.get(name);
    if (result === undefined) {
      result = evaluateString(getOwn(variables, name) as Json, depth + 1, `Fn::Sub variable ${name}`);
      evaluated.set(name, result);
    }
    return result;
  }

  function join(arg: Json, depth: number): Evaluation {
    if (!Array.isArray(arg) || arg.length !== 2) return unresolvable('Fn::Join takes [delimiter, list]');
    const delimiter = evaluateString(arg[0] as Json, depth + 1, 'Fn::Join delimiter');
    if (typeof delimiter !== 'string') return delimiter;
    const list = evaluateList(arg[1] as Json, depth + 1, 'Fn::Join list');
    if (!Array.isArray(list)) return list;
    const parts = list.map(asString);
    if (!parts.every((p): p is string => p !== undefined)) return unresolvable('Fn::Join list holds a non-string');
    return value(parts.join(delimiter));
  }

  function select(arg: Json, depth: number): Evaluation {
    if (!Array.isArray(arg) || arg.length !== 2) return unresolvable('Fn::Select takes [index, list]');
    const indexText = evaluateString(arg[0] as Json, depth + 1, 'Fn::Select index');
    if (typeof indexText !== 'string') return indexText;
    if (!/^[0-9]+$/.test(indexText)) return unresolvable(`Fn::Select index ${JSON.stringify(indexText)} is not a whole number`);
    const list = evaluateList(arg[1] as Json, depth + 1, 'Fn::Select list');
    if (!Array.isArray(list)) return list;
    const index = Number(indexText);
    return index < list.length ? value(list[index] as Json) : unresolvable(`Fn::Select index ${index} is out of range`);
  }

  function split(arg: Json, depth: number): Evaluation {
    if (!Array.isArray(arg) || arg.length !== 2) return unresolvable('Fn::Split takes [delimiter, string]');
    const delimiter = evaluateString(arg[0] as Json, depth + 1, 'Fn::Split delimiter');
    if (typeof delimiter !== 'string') return delimiter;
    if (delimiter === '') return unresolvable('Fn::Split delimiter is empty');
    const source = evaluateString(arg[1] as Json, depth + 1, 'Fn::Split source');
    if (typeof source !== 'string') return source;
    return value(source.split(delimiter));
  }

  function findInMap(arg: Json, depth: number): Evaluation {
    if (!Array.isArray(arg) || (arg.length !== 3 && arg.length !== 4)) {
      return unresolvable('Fn::FindInMap takes [map, top-level key, second-level key, {DefaultValue}?]');
    }
    const keys: string[] = [];
    for (const [i, what] of ['map name', 'top-level key', 'second-level key'].entries()) {
      const key = evaluateString(arg[i] as Json, depth + 1, `Fn::FindInMap ${what}`);
      if (typeof key !== 'string') return key;
      keys.push(key);
    }
    const [mapName, top, second] = keys as [string, string, string];
    const map = getOwn(mappings, mapName);
    const level = getOwn(map, top);
    // Mapping values are literals in CloudFormation; they are not evaluated (no recursion through Mappings).
    if (hasOwn(level, second)) return value(getOwn(level, second) as Json);
    const options = arg[3];
    if (hasOwn(options, 'DefaultValue')) return evaluate(getOwn(options, 'DefaultValue') as Json, depth + 1);
    return unresolvable(`Fn::FindInMap found no ${mapName}.${top}.${second}`);
  }

  function ifThenElse(arg: Json, depth: number): Evaluation {
    if (!Array.isArray(arg) || arg.length !== 3 || typeof arg[0] !== 'string') {
      return unresolvable('Fn::If takes [condition name, value if true, value if false]');
    }
    const outcome = conditionByName(arg[0]);
    if (outcome.kind === 'unresolvable') return outcome;
    return evaluate((outcome.value ? arg[1] : arg[2]) as Json, depth + 1);
  }

  function conditionByName(name: string): ConditionOutcome {
    const cached = conditionCache.get(name);
    if (cached) return cached;
    const blocked = conditionBlocks.get(name);
    // Each condition body is evaluated from depth 0: its outcome does not depend on who asked, so it is cached.
    const outcome = blocked
      ? unknownCondition(blocked)
      : hasOwn(conditions, name)
        ? conditionExpression(getOwn(conditions, name) as Json, 0)
        : unknownCondition(`condition ${name} is not declared`);
    conditionCache.set(name, outcome);
    return outcome;
  }

  function conditionExpression(expression: Json, depth: number): ConditionOutcome {
    if (depth > MAX_EVALUATION_DEPTH) return unknownCondition(`condition nested more than ${MAX_EVALUATION_DEPTH} levels deep`);
    const keys = isJsonObject(expression) ? Object.keys(expression) : [];
    const name = keys.length === 1 ? keys[0]! : undefined;
    const arg = name === undefined ? undefined : (getOwn(expression, name) as Json);
    switch (name) {
      case 'Condition':
        return typeof arg === 'string' ? conditionByName(arg) : unknownCondition('Condition takes a name');
      case 'Fn::Equals': {
        if (!Array.isArray(arg) || arg.length !== 2) return unknownCondition('Fn::Equals takes two values');
        const [left, right] = [evaluate(arg[0] as Json, depth + 1), evaluate(arg[1] as Json, depth + 1)];
        if (left.kind !== 'value') return unknownCondition(left.kind === 'unresolvable' ? left.reason : 'Fn::Equals of AWS::NoValue');
        if (right.kind !== 'value') return unknownCondition(right.kind === 'unresolvable' ? right.reason : 'Fn::Equals of AWS::NoValue');
        return known(comparable(left.value) === comparable(right.value));
      }
      case 'Fn::Not': {
        if (!Array.isArray(arg) || arg.length !== 1) return unknownCondition('Fn::Not takes one condition');
        const inner = conditionExpression(arg[0] as Json, depth + 1);
        return inner.kind === 'known' ? known(!inner.value) : inner;
      }
      case 'Fn::And':
      case 'Fn::Or': {
        if (!Array.isArray(arg) || arg.length === 0) return unknownCondition(`${name} takes a list of conditions`);
        // A single decisive member settles the outcome even when another member is unknown.
        const decisive = name === 'Fn::Or';
        let firstUnknown: ConditionOutcome | undefined;
        for (const member of arg) {
          const outcome = conditionExpression(member, depth + 1);
          if (outcome.kind === 'known' && outcome.value === decisive) return outcome;
          if (outcome.kind === 'unresolvable') firstUnknown ??= outcome;
        }
        return firstUnknown ?? known(!decisive);
      }
      default: {
        // Fn::If or Ref in a condition position yields a boolean-ish value.
        const result = evaluate(expression, depth + 1);
        if (result.kind !== 'value') return unknownCondition(result.kind === 'unresolvable' ? result.reason : 'condition is AWS::NoValue');
        if (result.value === true || result.value === 'true') return known(true);
        if (result.value === false || result.value === 'false') return known(false);
        return unknownCondition(`${compactJson(expression)} is not a condition`);
      }
    }
  }

  function isParameter(name: string): boolean {
    return pseudo(name) === undefined && (hasOwn(parameters, name) || (!hasOwn(resources, name) && hasOwn(parameterValues, name)));
  }

  function collectParameters(expression: Json, found: Set<string>, depth: number): void {
    if (depth > MAX_EVALUATION_DEPTH) return;
    if (Array.isArray(expression)) {
      for (const item of expression) collectParameters(item, found, depth + 1);
      return;
    }
    if (!isJsonObject(expression)) return;
    const intrinsic = intrinsicOf(expression);
    if (intrinsic === undefined) {
      for (const key of Object.keys(expression)) collectParameters(expression[key] as Json, found, depth + 1);
      return;
    }
    const [name, arg] = intrinsic;
    if (name === 'Ref') {
      if (typeof arg === 'string' && isParameter(arg)) found.add(arg);
    } else if (name === 'Fn::Sub') {
      const [text, variables] = typeof arg === 'string' ? [arg, {}] : Array.isArray(arg) ? [arg[0], isJsonObject(arg[1]) ? arg[1] : {}] : [undefined, {}];
      if (typeof text === 'string') {
        for (const match of text.matchAll(/\$\{([^}!][^}]*)\}/g)) {
          const variable = match[1]!.trim();
          if (!hasOwn(variables, variable) && isParameter(variable)) found.add(variable);
        }
      }
      collectParameters(variables, found, depth + 1);
    } else if (name === 'Fn::If' && Array.isArray(arg) && arg.length === 3 && typeof arg[0] === 'string') {
      const outcome = conditionByName(arg[0]);
      if (outcome.kind === 'known') collectParameters((outcome.value ? arg[1] : arg[2]) as Json, found, depth + 1);
      else collectParameters([arg[1], arg[2]] as Json, found, depth + 1);
    } else collectParameters(arg, found, depth + 1);
  }

  return {
    evaluate: (expression) => evaluate(expression, 0),
    condition: (name) => conditionByName(name),
    parameters: (expression) => {
      const found = new Set<string>();
      collectParameters(expression, found, 0);
      return [...found];
    },
  };
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
function blockedConditions(conditions: JsonObject): Map<string, string> {
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
