// What CloudFormation does around a macro, emulated offline: the fragment is the template without
// its Transform section, parameter values are the Defaults overridden by what the user passes, and
// transforms listed after ours stay in the template for CloudFormation to run next.
import { MACRO_NAME } from '../contract.js';
import { isJsonObject } from '../template/json.js';
import type { Json, JsonObject } from '../template/types.js';
import { UsageError } from './errors.js';

export interface SplitTemplate {
  /** The template minus its Transform section: what CloudFormation hands the macro. */
  readonly fragment: JsonObject;
  /** Transform entries other than ours, in their order and original shape; undefined when none remain. */
  readonly otherTransforms: Json | undefined;
  /** Whether the template's Transform section names this macro. */
  readonly hasOurTransform: boolean;
  /**
   * The Parameters of our entry (`{Name: SysdigImageFix, Parameters: {...}}`) as written: the transform reads them as
   * CloudFormation passes them to the macro (a Ref resolved; see src/template/transform-parameters.ts).
   */
  readonly transformParameters?: Json;
}

function isOurTransform(entry: Json): boolean {
  if (entry === MACRO_NAME) return true;
  // The long form `{Name: SysdigImageFix}` is also accepted by CloudFormation in the Transform section.
  return isJsonObject(entry) && entry.Name === MACRO_NAME;
}

/** Our entry's Parameters, when it has them. Throws UsageError when the section names this macro more than once. */
function parametersOf(ours: readonly Json[]): { transformParameters?: Json } {
  if (ours.length > 1) {
    throw new UsageError(`the Transform section names ${MACRO_NAME} ${ours.length} times; CloudFormation would run it once per entry: give it once`);
  }
  const entry = ours[0];
  return isJsonObject(entry) && Object.hasOwn(entry, 'Parameters') ? { transformParameters: entry.Parameters! } : {};
}

export function splitTransforms(template: JsonObject): SplitTemplate {
  const { Transform: transforms, ...fragment } = template;
  if (transforms === undefined) return { fragment, otherTransforms: undefined, hasOurTransform: false };
  const entries = Array.isArray(transforms) ? transforms : [transforms];
  const ours = entries.filter(isOurTransform);
  const others = entries.filter((entry) => !isOurTransform(entry));
  // Our entry leaves the output (the transform is done); the others stay, in their order and shape.
  const otherTransforms = others.length === 0 ? undefined : Array.isArray(transforms) ? others : transforms;
  return { fragment, otherTransforms, hasOurTransform: ours.length > 0, ...parametersOf(ours) };
}

/**
 * The transformed fragment as a whole template again: keys keep the original template's order and the
 * remaining transforms return to where the Transform section was (it is deleted when none remain).
 */
export function reassembleTemplate(original: JsonObject, transformed: JsonObject, otherTransforms: Json | undefined): JsonObject {
  const result: JsonObject = {};
  for (const key of Object.keys(original)) {
    if (key === 'Transform') {
      if (otherTransforms !== undefined) result.Transform = otherTransforms;
    } else if (key in transformed) {
      result[key] = transformed[key]!;
    }
  }
  for (const [key, value] of Object.entries(transformed)) {
    if (!(key in result) && key !== 'Transform') result[key] = value;
  }
  return result;
}

export interface StackParameters {
  /** What the macro event's `templateParameterValues` would hold. */
  readonly values: Record<string, Json>;
  /** Parameters without a value here: CloudFormation would ask for one; the transform sees them as unknown. */
  readonly unresolved: readonly string[];
  /** SSM-typed parameters: their value is looked up by CloudFormation at deploy time. */
  readonly resolvedAtDeployTime: readonly string[];
  /** Where each value came from, for messages: `--parameter Img` or `Parameters.Img.Default`. */
  readonly origins: Record<string, string>;
}

/** `List<...>` and `CommaDelimitedList` values reach a macro as arrays of strings. */
function parameterValue(type: Json | undefined, value: Json): Json {
  const isList = type === 'CommaDelimitedList' || (typeof type === 'string' && type.startsWith('List<'));
  if (isList && typeof value === 'string') return value.split(',');
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return value;
}

/**
 * Parameter values as CloudFormation would pass them: each Default, overridden by `overrides`.
 * Throws UsageError when an override names a parameter the template does not declare.
 */
export function stackParameterValues(template: JsonObject, overrides: ReadonlyMap<string, string>): StackParameters {
  const declared = isJsonObject(template.Parameters) ? template.Parameters : {};
  const unknown = [...overrides.keys()].filter((name) => !Object.hasOwn(declared, name));
  if (unknown.length > 0) {
    const known = Object.keys(declared);
    throw new UsageError(
      `--parameter ${unknown.map((name) => `"${name}"`).join(', ')}: the template declares no such parameter` +
        (known.length > 0 ? ` (it declares: ${known.join(', ')})` : ' (it declares none)'),
    );
  }
  const values: Record<string, Json> = {};
  const origins: Record<string, string> = {};
  const unresolved: string[] = [];
  const resolvedAtDeployTime: string[] = [];
  for (const [name, declaration] of Object.entries(declared)) {
    const type = isJsonObject(declaration) ? declaration.Type : undefined;
    if (typeof type === 'string' && type.startsWith('AWS::SSM::Parameter::')) {
      resolvedAtDeployTime.push(name);
      continue;
    }
    const value = overrides.get(name) ?? (isJsonObject(declaration) ? declaration.Default : undefined);
    if (value === undefined || value === null) unresolved.push(name);
    else {
      values[name] = parameterValue(type, value);
      origins[name] = overrides.has(name) ? `--parameter ${name}` : `Parameters.${name}.Default`;
    }
  }
  return { values, unresolved, resolvedAtDeployTime, origins };
}
