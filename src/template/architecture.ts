// Which architecture each image site runs on: the function's Architectures, combined with SAM's Globals the way
// the SAM translator combines them, resolved like images, or kept as an expression for the mirror to follow.
import { ALL_PLATFORMS, ARCHITECTURES, DEFAULT_ARCHITECTURE, type Architecture } from '../contract.js';
import { InvalidArchitectureError } from './errors.js';
import { compactJson, getOwn, hasOwn, intrinsicOf, isJsonObject } from './json.js';
import type { Resolver } from './resolve/resolver.js';
import { type ImageSite, SAM_FUNCTION } from './sites.js';
import type { Json, JsonObject } from './types.js';

/** Where a site's architecture comes from. */
export interface ArchitectureSource {
  readonly where: string;
  /** Undefined: nothing set, Lambda's default applies. */
  readonly expression?: Json;
}

export type ArchitectureChoice =
  | { readonly kind: 'literal'; readonly architecture: Architecture }
  /**
   * An expression of ONE architecture (not the list) for the mirror's property, so that the mirror follows the
   * value CloudFormation resolves at deploy time; `resolved` is its value for the parameters known now, if any.
   */
  | { readonly kind: 'expression'; readonly expression: Json; readonly resolved?: Architecture };

/**
 * SAM's `IgnoreGlobals` resource attribute (samtranslator plugins/globals/globals.py): `'*'` turns every Global off
 * for the resource, a list turns off the properties it names.
 */
function ignoresGlobal(resource: JsonObject, property: string): boolean {
  const ignore = getOwn(resource, 'IgnoreGlobals');
  return ignore === '*' || (Array.isArray(ignore) && ignore.includes(property));
}

/**
 * The resource's own Architectures; for SAM functions combined with Globals.Function.Architectures the way
 * the SAM translator combines them (two lists are concatenated, otherwise the resource's value wins; none
 * when IgnoreGlobals turns them off), so the macro sees the same value whichever side of SAM it runs on; else
 * nothing (Lambda's default).
 */
export function architectureSource(site: ImageSite, template: JsonObject): ArchitectureSource {
  const properties = getOwn(site.resource, 'Properties');
  const own = hasOwn(properties, 'Architectures') ? getOwn(properties, 'Architectures')! : undefined;
  const globalFunction = site.resourceType === SAM_FUNCTION && !ignoresGlobal(site.resource, 'Architectures') ? getOwn(getOwn(template, 'Globals'), 'Function') : undefined;
  const global = hasOwn(globalFunction, 'Architectures') ? getOwn(globalFunction, 'Architectures')! : undefined;
  if (Array.isArray(own) && Array.isArray(global)) {
    return { where: 'Globals.Function.Architectures + Architectures (SAM concatenates the lists)', expression: [...global, ...own] };
  }
  if (own !== undefined) return { where: 'Architectures', expression: own };
  if (global !== undefined) return { where: 'Globals.Function.Architectures', expression: global };
  return { where: 'Architectures' };
}

function lengthProblem(length: number): string {
  return length === 0 ? 'the list is empty' : `the list has ${length} entries; Lambda takes exactly one`;
}

function isArchitecture(value: unknown): value is Architecture {
  return typeof value === 'string' && (ARCHITECTURES as readonly string[]).includes(value);
}

/**
 * The one architecture a site runs on. Resolved like images; when that is impossible, an expression
 * for the mirror's Architecture property: `<expr>` for `[<expr>]`, `{"Fn::Select": [0, <expr>]}` for
 * an intrinsic yielding the whole list. Throws InvalidArchitectureError for values Lambda refuses.
 */
export function chooseArchitecture(site: ImageSite, source: ArchitectureSource, resolver: Resolver): ArchitectureChoice {
  if (source.expression === undefined) return { kind: 'literal', architecture: DEFAULT_ARCHITECTURE };
  return choose(source.expression, { site, source, resolver });
}

/**
 * What choosing an architecture needs besides the expression. Module functions taking it, rather than
 * closures made on every call: this runs for every site, and the closures were a measured cost.
 */
interface Choosing {
  readonly site: ImageSite;
  readonly source: ArchitectureSource;
  readonly resolver: Resolver;
}

function invalid(choosing: Choosing, shown: Json, reason: string): never {
  throw new InvalidArchitectureError(choosing.site.logicalId, choosing.source.where, compactJson(shown), reason);
}

function validate(choosing: Choosing, resolved: Json, shown: Json): ArchitectureChoice {
  if (!Array.isArray(resolved)) return invalid(choosing, shown, 'it must be a list holding one architecture');
  if (resolved.length !== 1) return invalid(choosing, shown, lengthProblem(resolved.length));
  const only = resolved[0];
  if (!isArchitecture(only)) return invalid(choosing, shown, `${compactJson(only)} is not one of ${ARCHITECTURES.join(', ')}`);
  return { kind: 'literal', architecture: only };
}

/** Whether a value contains an intrinsic function, i.e. may resolve differently with other parameter values. */
function hasIntrinsic(value: Json): boolean {
  if (intrinsicOf(value)) return true;
  if (Array.isArray(value)) return value.some(hasIntrinsic);
  return isJsonObject(value) && Object.values(value).some(hasIntrinsic);
}

/** The expression of the one architecture in an Architectures expression: `x` for `[x]`, else `Select 0`. */
function firstOf(expression: Json): Json {
  return Array.isArray(expression) && expression.length === 1 ? (expression[0] as Json) : { 'Fn::Select': [0, expression] };
}

function literalOf(choice: ArchitectureChoice): Architecture | undefined {
  return choice.kind === 'literal' ? choice.architecture : choice.resolved;
}

/** Both branches of an Fn::If, as one choice: the common literal, or the Fn::If of the two. */
function eitherOf(condition: string, whenTrue: ArchitectureChoice, whenFalse: ArchitectureChoice, resolved?: Architecture): ArchitectureChoice {
  if (whenTrue.kind === 'literal' && whenFalse.kind === 'literal' && whenTrue.architecture === whenFalse.architecture) return whenTrue;
  const expression = { 'Fn::If': [condition, expressionOf(whenTrue), expressionOf(whenFalse)] };
  return resolved !== undefined ? { kind: 'expression', expression, resolved } : { kind: 'expression', expression };
}

function choose(expression: Json, choosing: Choosing): ArchitectureChoice {
  const { resolver } = choosing;
  // Fn::If: choose per branch, so that an AWS::NoValue branch becomes Lambda's default instead of a Select over
  // nothing, and the mirror follows the condition CloudFormation evaluates at deploy time.
  const intrinsic = intrinsicOf(expression);
  if (intrinsic && intrinsic[0] === 'Fn::If') {
    const arg = intrinsic[1];
    if (Array.isArray(arg) && arg.length === 3 && typeof arg[0] === 'string') {
      const outcome = resolver.condition(arg[0]);
      if (outcome.kind === 'known') {
        // The branch taken now is checked; the other one joins the expression only when it is valid too.
        const taken = choose((outcome.value ? arg[1] : arg[2]) as Json, choosing);
        let other: ArchitectureChoice;
        try {
          other = choose((outcome.value ? arg[2] : arg[1]) as Json, choosing);
        } catch (error) {
          if (error instanceof InvalidArchitectureError) return taken;
          throw error;
        }
        const [whenTrue, whenFalse] = outcome.value ? [taken, other] : [other, taken];
        return eitherOf(arg[0], whenTrue, whenFalse, literalOf(taken));
      }
      return eitherOf(arg[0], choose(arg[1] as Json, choosing), choose(arg[2] as Json, choosing));
    }
  }
  const evaluation = resolver.evaluate(expression);
  if (evaluation.kind === 'value') {
    const literal = validate(choosing, evaluation.value, expression);
    // Resolved from parameters now, but CloudFormation resolves it again at deploy time (maybe with other values).
    if (literal.kind === 'literal' && hasIntrinsic(expression)) return { kind: 'expression', expression: firstOf(expression), resolved: literal.architecture };
    return literal;
  }
  if (evaluation.kind === 'no-value') return { kind: 'literal', architecture: DEFAULT_ARCHITECTURE };
  if (Array.isArray(expression) && expression.length !== 1) return invalid(choosing, expression, lengthProblem(expression.length));
  return { kind: 'expression', expression: firstOf(expression) };
}

/** What a mirror copies: one architecture, or (`all`, ECS and parameter mirrors only) the image as published. */
export type MirrorPlatform = ArchitectureChoice | { readonly kind: 'all' };

export const ALL_PLATFORMS_CHOICE: MirrorPlatform = { kind: 'all' };

/** The architecture part of a mirror's identity: the literal or expression, `all` for a whole-image mirror. */
export function expressionOf(choice: MirrorPlatform): Json {
  if (choice.kind === 'all') return ALL_PLATFORMS;
  return choice.kind === 'literal' ? choice.architecture : choice.expression;
}

/** The architecture for the parameter values known at transform time, when there is one (`all` for all). */
export function resolvedArchitecture(choice: MirrorPlatform): Architecture | typeof ALL_PLATFORMS | undefined {
  return choice.kind === 'all' ? ALL_PLATFORMS : literalOf(choice);
}
