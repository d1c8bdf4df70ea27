// Evaluates CloudFormation intrinsic functions as far as the transform can know them: parameter
// values from the macro event (or the parameter's Default), pseudo parameters of the stack, Mappings
// and Conditions. Anything known only at deploy time (resource attributes, imports, SSM values, the
// stack name) is `unresolvable`; the caller then defers the decision to the mirror function.
import { getOwn, isJsonObject } from '../json.js';
import type { Json, JsonObject, TransformContext } from '../types.js';
import { blockedConditions, conditionByName, conditionVaries } from './conditions.js';
import { evaluate } from './intrinsics.js';
import { collectParameters } from './parameters.js';
import type { ConditionOutcome, Evaluation, Scope } from './scope.js';

export type { ConditionOutcome, Evaluation } from './scope.js';
export { MAX_CONDITION_NESTING, MAX_EVALUATION_DEPTH } from './scope.js';

export interface Resolver {
  /** Evaluates an expression; arrays and objects are evaluated element by element. */
  evaluate(expression: Json): Evaluation;
  /** Evaluates the named entry of the template's Conditions section. */
  condition(name: string): ConditionOutcome;
  /** Whether the named condition may have another outcome in another deployment (it refers to a parameter). */
  conditionVaries(name: string): boolean;
  /**
   * Template parameters an expression takes its value from (`Ref` and `Fn::Sub` variables; of an Fn::If over a
   * known condition only the branch taken), in the order they appear, once each.
   */
  parameters(expression: Json): string[];
}

export function createResolver(template: JsonObject, context: TransformContext): Resolver {
  const section = (name: string): JsonObject => {
    const found = getOwn(template, name);
    return isJsonObject(found) ? found : {};
  };
  const conditions = section('Conditions');
  const scope: Scope = {
    context,
    parameters: section('Parameters'),
    mappings: section('Mappings'),
    conditions,
    resources: section('Resources'),
    parameterValues: context.templateParameterValues,
    conditionCache: new Map<string, ConditionOutcome>(),
    parameterCache: new Map<string, Evaluation>(),
    conditionBlocks: blockedConditions(conditions),
    evaluate: (expression, depth) => evaluate(scope, expression, depth),
  };
  return {
    evaluate: (expression) => evaluate(scope, expression, 0),
    condition: (name) => conditionByName(scope, name),
    conditionVaries: (name) => conditionVaries(scope, name),
    parameters: (expression) => {
      const found = new Set<string>();
      collectParameters(scope, expression, found, 0);
      return [...found];
    },
  };
}
