// `Ref`: pseudo parameters of the stack, template parameters (their given value or Default), resources.
import { partitionForRegion, urlSuffixForRegion } from '../../reference/index.js';
import { getOwn, hasOwn } from '../json.js';
import type { Json } from '../types.js';
import { asString, type Evaluation, NO_VALUE, type Scope, unresolvable, value } from './scope.js';

/** Pseudo parameters whose value exists only once the stack does. */
const DEPLOY_TIME_PSEUDO = new Set(['AWS::StackName', 'AWS::StackId', 'AWS::NotificationARNs']);

/** CloudFormation passes list parameters as comma-separated strings and trims each member. */
function splitList(text: string): string[] {
  return text.split(',').map((member) => member.trim());
}

function pseudo(scope: Scope, name: string): Evaluation | undefined {
  // An empty region is as unknown as none: every use below tests it for truth.
  const region = typeof scope.context.region === 'string' ? scope.context.region : undefined;
  switch (name) {
    case 'AWS::NoValue':
      return NO_VALUE;
    case 'AWS::Region':
      return region ? value(region) : unresolvable('the stack region is not known');
    case 'AWS::AccountId':
      return typeof scope.context.accountId === 'string' && scope.context.accountId !== '' ? value(scope.context.accountId) : unresolvable('the stack account is not known');
    case 'AWS::Partition':
      if (scope.context.partition) return value(scope.context.partition);
      return region ? value(partitionForRegion(region)) : unresolvable('the stack region is not known');
    case 'AWS::URLSuffix':
      if (scope.context.urlSuffix) return value(scope.context.urlSuffix);
      return region ? value(urlSuffixForRegion(region)) : unresolvable('the stack region is not known');
    default:
      if (DEPLOY_TIME_PSEUDO.has(name)) return unresolvable(`${name} is known only at deploy time`);
      return undefined;
  }
}

function parameter(scope: Scope, name: string, declaration: Json | undefined): Evaluation {
  const type = typeof getOwn(declaration, 'Type') === 'string' ? (getOwn(declaration, 'Type') as string) : 'String';
  // The value of an SSM-typed parameter is the SSM key; CloudFormation reads the real value at deploy time.
  if (type.startsWith('AWS::SSM::Parameter::Value<')) {
    return unresolvable(`parameter ${name} is read from SSM Parameter Store at deploy time`);
  }
  const given = hasOwn(scope.parameterValues, name) ? getOwn(scope.parameterValues, name) : undefined;
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

export function ref(scope: Scope, target: Json): Evaluation {
  if (typeof target !== 'string') return unresolvable('Ref of a non-string');
  const fromPseudo = pseudo(scope, target);
  if (fromPseudo) return fromPseudo;
  if (hasOwn(scope.parameters, target)) return cachedParameter(scope, target, getOwn(scope.parameters, target));
  if (hasOwn(scope.resources, target)) return unresolvable(`Ref ${target} is a resource, known only at deploy time`);
  // Not declared here (e.g. a fragment without its Parameters section): trust the event's value if any.
  if (hasOwn(scope.parameterValues, target)) return cachedParameter(scope, target, undefined);
  return unresolvable(`Ref ${target} names no parameter or resource`);
}

/** `parameter`, once per name (callers only read evaluations, so sharing a list value is safe). */
function cachedParameter(scope: Scope, name: string, declaration: Json | undefined): Evaluation {
  let result = scope.parameterCache.get(name);
  if (result === undefined) {
    result = parameter(scope, name, declaration);
    scope.parameterCache.set(name, result);
  }
  return result;
}

export function isParameter(scope: Scope, name: string): boolean {
  return pseudo(scope, name) === undefined && (hasOwn(scope.parameters, name) || (!hasOwn(scope.resources, name) && hasOwn(scope.parameterValues, name)));
}
