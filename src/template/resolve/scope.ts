// What one resolution shares (see resolver.ts): the template's sections, the stack context, the caches, and
// `evaluate`, through which the modules of this folder recurse into each other without importing each other.
import type { Json, JsonObject, TransformContext } from '../types.js';

export type Evaluation =
  | { readonly kind: 'value'; readonly value: Json }
  /** `Ref: AWS::NoValue`: the property is removed. */
  | { readonly kind: 'no-value' }
  | { readonly kind: 'unresolvable'; readonly reason: string };

export type ConditionOutcome = { readonly kind: 'known'; readonly value: boolean } | { readonly kind: 'unresolvable'; readonly reason: string };

/** Intrinsics nest; templates never need more than a handful of levels, so deeper input is refused. */
export const MAX_EVALUATION_DEPTH = 40;
/** Longest chain of conditions referring to conditions that is evaluated (bounds the stack with the above). */
export const MAX_CONDITION_NESTING = 16;

export const value = (v: Json): Evaluation => ({ kind: 'value', value: v });
export const NO_VALUE: Evaluation = { kind: 'no-value' };
export const unresolvable = (reason: string): Evaluation => ({ kind: 'unresolvable', reason });
export const known = (v: boolean): ConditionOutcome => ({ kind: 'known', value: v });
export const unknownCondition = (reason: string): ConditionOutcome => ({ kind: 'unresolvable', reason });

/** A scalar as CloudFormation uses it in string positions (Sub, Join, map keys). */
export function asString(v: Json): string | undefined {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return undefined;
}

/** One resolution of one template: built by createResolver, read (never changed) by the modules of resolve/. */
export interface Scope {
  readonly context: TransformContext;
  readonly parameters: JsonObject;
  readonly mappings: JsonObject;
  readonly conditions: JsonObject;
  readonly resources: JsonObject;
  readonly parameterValues: unknown;
  readonly conditionCache: Map<string, ConditionOutcome>;
  /** A parameter's value is the same wherever it is used, and templates Ref a few parameters from many sites. */
  readonly parameterCache: Map<string, Evaluation>;
  /** Conditions that cannot be evaluated (cycles, too deep), with the reason (conditions.ts). */
  readonly conditionBlocks: ReadonlyMap<string, string>;
  /** intrinsics.ts's `evaluate`, for the modules it calls. */
  evaluate(expression: Json, depth: number): Evaluation;
}
