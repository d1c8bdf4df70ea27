// The Transform entry's Parameters (`Transform: [{Name: SysdigImageFix, Parameters: {...}}]`) as CloudFormation hands
// them to the macro in the event's `params`. CloudFormation resolves a `Ref` to a template parameter (the value the
// stack is deployed with) or a pseudo parameter before it calls the macro, and refuses any other value that does not
// resolve to "a string, number, boolean or a list of any of these". The macro receives those values already resolved;
// the CLI hands the entry as written, and the same reading here makes both see the same options.
import { MACRO_NAME } from '../contract.js';
import { InvalidOptionError } from './errors.js';
import { intrinsicOf, isJsonObject, setOwn } from './json.js';
import { shown } from './option-schema.js';
import type { Resolver } from './resolve/resolver.js';
import type { Json, JsonObject, TransformProblem } from './types.js';

export interface TransformParameters {
  /** The parameters as the macro sees them; undefined when there are none. Not an object: passed on to be refused. */
  readonly parameters?: Json;
  readonly problems: readonly InvalidOptionError[];
  /** A Ref resolved here (the entry as written: the CLI): the result holds that value, not the Ref. */
  readonly warnings: readonly TransformProblem[];
}

const OWNER = `Transform ${MACRO_NAME}`;

const isScalar = (value: Json): value is string | number | boolean => typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean';

/** `{Ref: X}` resolved as CloudFormation would, or why it cannot be here. */
function resolvedRef(value: JsonObject, resolver: Resolver): { readonly value?: Json; readonly absent?: true; readonly problem?: string } {
  const evaluation = resolver.evaluate(value);
  if (evaluation.kind === 'no-value') return { absent: true };
  if (evaluation.kind === 'unresolvable') return { problem: `${shown(value)} has no value here (${evaluation.reason})` };
  return { value: evaluation.value };
}

function refused(key: string, value: Json): string {
  return (
    `Parameters.${key} ${shown(value)}: CloudFormation refuses it ("the value of parameter ${key} under transform ${MACRO_NAME} must resolve to a ` +
    'string, number, boolean or a list of any of these"); it resolves only Ref to a template or pseudo parameter there, so write the value or a Ref'
  );
}

interface ParameterValue {
  readonly value?: Json;
  readonly problem?: string;
  /** The template parameters a Ref named. */
  readonly parameters?: readonly string[];
}

/** A template parameter's name, when the Ref names one (not a pseudo parameter). */
const parameterOf = (ref: JsonObject): string[] => (typeof ref.Ref === 'string' && !ref.Ref.startsWith('AWS::') ? [ref.Ref] : []);

/** One parameter's value as the macro receives it, or the problem CloudFormation (or the missing value) would cause. */
function parameterValue(key: string, value: Json, resolver: Resolver): ParameterValue {
  if (isScalar(value)) return { value };
  const intrinsic = intrinsicOf(value);
  if (intrinsic?.[0] === 'Ref') {
    const ref = resolvedRef(value as JsonObject, resolver);
    if (ref.problem !== undefined) return { problem: `Parameters.${key} ${ref.problem}` };
    return ref.absent ? {} : { value: ref.value!, parameters: parameterOf(value as JsonObject) };
  }
  if (!Array.isArray(value)) return { problem: refused(key, value) };
  const items: Json[] = [];
  const parameters: string[] = [];
  for (const item of value) {
    if (isScalar(item)) items.push(item);
    else if (intrinsicOf(item)?.[0] === 'Ref') {
      const ref = resolvedRef(item as JsonObject, resolver);
      if (ref.problem !== undefined) return { problem: `Parameters.${key} ${ref.problem}` };
      if (ref.value !== undefined) items.push(ref.value);
      parameters.push(...parameterOf(item as JsonObject));
    } else return { problem: refused(key, value) };
  }
  return { value: items, parameters };
}

function resolvedWarning(key: string, written: Json, value: Json, parameters: readonly string[]): TransformProblem {
  return {
    message:
      `Template: Transform ${MACRO_NAME} Parameters.${key} is ${shown(written)}, ${shown(value)} here; the result is written for that value ` +
      `(run by CloudFormation, the macro gets the value the stack is deployed with): transform again when ${parameters.join(', ')} changes`,
  };
}

/**
 * The Transform parameters as CloudFormation passes them: absent, null or `{}` are none; a `Ref` is resolved; any
 * other value that is not a scalar or a list of them is refused, naming the key.
 */
export function resolveTransformParameters(params: unknown, resolver: Resolver): TransformParameters {
  if (params === undefined || params === null) return { problems: [], warnings: [] };
  if (!isJsonObject(params)) return { parameters: params as Json, problems: [], warnings: [] };
  const keys = Object.keys(params);
  if (keys.length === 0) return { problems: [], warnings: [] };
  const parameters: JsonObject = {};
  const problems: InvalidOptionError[] = [];
  const warnings: TransformProblem[] = [];
  for (const key of keys) {
    const outcome = parameterValue(key, params[key] as Json, resolver);
    if (outcome.problem !== undefined) problems.push(new InvalidOptionError(OWNER, undefined, outcome.problem));
    else if (outcome.value !== undefined) setOwn(parameters, key, outcome.value);
    if (outcome.value !== undefined && (outcome.parameters?.length ?? 0) > 0) warnings.push(resolvedWarning(key, params[key] as Json, outcome.value, outcome.parameters!));
  }
  return { parameters, problems, warnings };
}
