// Where Lambda functions name their container image, and which architecture each one runs on.
// Only the two documented sites are touched: everything else that looks like an image (ECS task
// definitions, environment variables, outputs) is left alone on purpose.
import { ARCHITECTURES, DEFAULT_ARCHITECTURE, MIRROR_RESOURCE_TYPE, MirrorAttribute, type Architecture } from '../contract.js';
import { InvalidArchitectureError } from './errors.js';
import { compactJson, getOwn, hasOwn, intrinsicOf, isJsonObject } from './json.js';
import type { Resolver } from './resolve.js';
import type { Json, JsonObject, Mutable, SiteReport } from './types.js';

export const LAMBDA_FUNCTION = 'AWS::Lambda::Function';
export const SAM_FUNCTION = 'AWS::Serverless::Function';
export type FunctionType = SiteReport['resourceType'];

export interface ImageSite {
  readonly logicalId: string;
  readonly resourceType: FunctionType;
  /** The function resource as found in the template (read only). */
  readonly resource: JsonObject;
  /** Path of the image value inside the resource. */
  readonly path: readonly string[];
  /** The ImageUri value; for an opaque site, the whole `Code` expression. */
  readonly expression: Json;
  /**
   * `Code` itself is an intrinsic (e.g. Fn::If choosing between two Code objects). Rewriting inside
   * such a shape would mean rebuilding the user's logic; it is rare enough to leave alone, and a
   * user who needs it can move the Fn::If down to ImageUri.
   */
  readonly opaque: boolean;
  /** The function's `Condition` attribute, when it has one. */
  readonly condition?: string;
}

/** Where a site's architecture comes from. */
export interface ArchitectureSource {
  readonly where: string;
  /** Undefined: nothing set, Lambda's default applies. */
  readonly expression?: Json;
}

export type ArchitectureChoice =
  | { readonly kind: 'literal'; readonly architecture: Architecture }
  /** Known only at deploy time: the expression of ONE architecture (not the list) for the mirror's property. */
  | { readonly kind: 'expression'; readonly expression: Json };

const SAM_IMAGE_PATH: readonly string[] = ['Properties', 'ImageUri'];
const CODE_PATH: readonly string[] = ['Properties', 'Code'];
const CODE_IMAGE_PATH: readonly string[] = ['Properties', 'Code', 'ImageUri'];

/** Where a function names its image, if it does (an intrinsic `Code` is the opaque CODE_PATH). */
function imageLocation(type: FunctionType, properties: JsonObject): { path: readonly string[]; expression: Json } | undefined {
  if (type === SAM_FUNCTION) {
    // SAM has no ImageUri in Globals, so the resource's own property is the only site.
    return hasOwn(properties, 'ImageUri') ? { path: SAM_IMAGE_PATH, expression: getOwn(properties, 'ImageUri')! } : undefined;
  }
  const code = getOwn(properties, 'Code');
  if (intrinsicOf(code)) return { path: CODE_PATH, expression: code! };
  return hasOwn(code, 'ImageUri') ? { path: CODE_IMAGE_PATH, expression: getOwn(code, 'ImageUri')! } : undefined;
}

/** Every image site of the template, in resource order. Resources of other shapes are skipped. */
export function findImageSites(template: JsonObject): ImageSite[] {
  const resources = getOwn(template, 'Resources');
  if (!isJsonObject(resources)) return [];
  const sites: ImageSite[] = [];
  for (const logicalId of Object.keys(resources)) {
    const resource = resources[logicalId];
    if (!isJsonObject(resource)) continue;
    const type = getOwn(resource, 'Type');
    const properties = getOwn(resource, 'Properties');
    if ((type !== LAMBDA_FUNCTION && type !== SAM_FUNCTION) || !isJsonObject(properties)) continue;
    const location = imageLocation(type, properties);
    if (location === undefined) continue;
    // Built field by field, without closures or spreads of conditional literals: per-function allocations
    // were a measured share of the transform's time (npm run bench).
    const site: Mutable<ImageSite> = {
      logicalId,
      resourceType: type,
      resource,
      path: location.path,
      expression: location.expression,
      opaque: location.path === CODE_PATH,
    };
    const condition = getOwn(resource, 'Condition');
    if (typeof condition === 'string') site.condition = condition;
    sites.push(site);
  }
  return sites;
}

/**
 * `{"Fn::GetAtt": [<id>, "ImageUri"]}` (or `"<id>.ImageUri"`) naming a Custom::ImageMirror of this
 * template: the site was rewritten by an earlier run, which keeps the transform idempotent.
 */
export function readsFromMirror(expression: Json, template: JsonObject): boolean {
  const intrinsic = intrinsicOf(expression);
  if (!intrinsic || intrinsic[0] !== 'Fn::GetAtt') return false;
  const arg = intrinsic[1];
  let target: Json | undefined;
  let attribute: Json | undefined;
  if (Array.isArray(arg) && arg.length === 2) [target, attribute] = arg;
  else if (typeof arg === 'string' && arg.includes('.')) {
    const dot = arg.indexOf('.');
    [target, attribute] = [arg.slice(0, dot), arg.slice(dot + 1)];
  }
  if (typeof target !== 'string' || attribute !== MirrorAttribute.ImageUri) return false;
  return getOwn(getOwn(getOwn(template, 'Resources'), target), 'Type') === MIRROR_RESOURCE_TYPE;
}

/**
 * The resource's own Architectures; for SAM functions combined with Globals.Function.Architectures the way
 * the SAM translator combines them (two lists are concatenated, otherwise the resource's value wins), so
 * the macro sees the same value whichever side of SAM it runs on; else nothing (Lambda's default).
 */
export function architectureSource(site: ImageSite, template: JsonObject): ArchitectureSource {
  const properties = getOwn(site.resource, 'Properties');
  const own = hasOwn(properties, 'Architectures') ? getOwn(properties, 'Architectures')! : undefined;
  const globalFunction = site.resourceType === SAM_FUNCTION ? getOwn(getOwn(template, 'Globals'), 'Function') : undefined;
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

function choose(expression: Json, choosing: Choosing): ArchitectureChoice {
  const { resolver } = choosing;
  // Fn::If over a condition known only at deploy time: choose per branch, so that an
  // AWS::NoValue branch becomes Lambda's default instead of a Select over nothing.
  const intrinsic = intrinsicOf(expression);
  if (intrinsic && intrinsic[0] === 'Fn::If') {
    const arg = intrinsic[1];
    if (Array.isArray(arg) && arg.length === 3 && typeof arg[0] === 'string') {
      const outcome = resolver.condition(arg[0]);
      if (outcome.kind === 'known') return choose((outcome.value ? arg[1] : arg[2]) as Json, choosing);
      const [whenTrue, whenFalse] = [choose(arg[1] as Json, choosing), choose(arg[2] as Json, choosing)];
      if (whenTrue.kind === 'literal' && whenFalse.kind === 'literal' && whenTrue.architecture === whenFalse.architecture) {
        return whenTrue;
      }
      return { kind: 'expression', expression: { 'Fn::If': [arg[0], expressionOf(whenTrue), expressionOf(whenFalse)] } };
    }
  }
  const evaluation = resolver.evaluate(expression);
  if (evaluation.kind === 'value') return validate(choosing, evaluation.value, expression);
  if (evaluation.kind === 'no-value') return { kind: 'literal', architecture: DEFAULT_ARCHITECTURE };
  if (Array.isArray(expression)) {
    if (expression.length !== 1) return invalid(choosing, expression, lengthProblem(expression.length));
    return { kind: 'expression', expression: expression[0] as Json };
  }
  return { kind: 'expression', expression: { 'Fn::Select': [0, expression] } };
}

export function expressionOf(choice: ArchitectureChoice): Json {
  return choice.kind === 'literal' ? choice.architecture : choice.expression;
}
