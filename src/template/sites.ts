// Where Lambda functions name their container image (their architecture: architecture.ts).
// Only the two documented sites are touched: everything else that looks like an image (environment variables,
// outputs) is left alone on purpose; ECS task definitions and parameters are opt-in (task-sites.ts,
// parameter-sites.ts).
import { MIRROR_RESOURCE_TYPE, MirrorAttribute } from '../contract.js';
import { getOwn, hasOwn, intrinsicOf, isJsonObject } from './json.js';
import { everyValue } from './presence.js';
import type { Json, JsonObject, Mutable } from './types.js';

export const LAMBDA_FUNCTION = 'AWS::Lambda::Function';
export const SAM_FUNCTION = 'AWS::Serverless::Function';
export type FunctionType = typeof LAMBDA_FUNCTION | typeof SAM_FUNCTION;

export interface ImageSite {
  readonly logicalId: string;
  readonly resourceType: FunctionType | 'AWS::ECS::TaskDefinition';
  /** SiteReport.location (task definition sites). */
  readonly location?: string;
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
  /** `PackageType` when it is an intrinsic: a site only if it does not resolve to `Zip`. */
  readonly packageType?: Json;
}

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

/**
 * A literal `PackageType: Zip` makes `ImageUri` a stray property nobody reads; so does a SAM function without
 * PackageType, whose default is Zip (the SAM translator then builds the function from CodeUri or InlineCode).
 */
function isZipPackage(type: FunctionType, properties: JsonObject): boolean {
  const packageType = getOwn(properties, 'PackageType');
  return packageType === 'Zip' || (type === SAM_FUNCTION && packageType === undefined);
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
    if (isZipPackage(type, properties)) continue;
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
    const packageType = getOwn(properties, 'PackageType');
    if (intrinsicOf(packageType)) site.packageType = packageType!;
    sites.push(site);
  }
  return sites;
}

/** `{"Fn::GetAtt": [<id>, "ImageUri"]}` (or `"<id>.ImageUri"`) naming a Custom::ImageMirror of this template. */
function isMirrorImage(expression: Json, template: JsonObject): boolean {
  const intrinsic = intrinsicOf(expression);
  if (intrinsic?.[0] !== 'Fn::GetAtt') return false;
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
 * Every image the site can take is a Custom::ImageMirror's ImageUri of this template (through the `Fn::If`s that
 * remove the value, as rewrite.ts writes them): the site was rewritten by an earlier run, which keeps the transform
 * idempotent.
 */
export function readsFromMirror(expression: Json, template: JsonObject): boolean {
  return everyValue(expression, (value) => isMirrorImage(value, template));
}
