// One image site's decision: options -> resolve the image -> verdict -> the mirror it needs, if any. Shared by
// Lambda function sites and (opt-in) ECS task definition sites.
import { formatImageReference, quoteForMessage, tryParseImageReference } from '../reference/index.js';
import { InvalidArchitectureError, InvalidImageError, type TransformError, UnmappableSiteError } from './errors.js';
import type { ImageClassifier } from './images.js';
import { compactJson, intrinsicOf } from './json.js';
import type { OptionsOwner, Parsed, ResourceOptions } from './options.js';
import type { Resolver } from './resolve/resolver.js';
import type { MirrorNamer, MirrorRequest, MirrorSource } from './mirror-plan.js';
import { dependsOnOf } from './mirror-order.js';
import { ALWAYS, and, conditionNames, type Formula, imageWhen as imageWhenPackage, named, presenceOf } from './presence.js';
import { architectureSource, chooseArchitecture, resolvedArchitecture, type MirrorPlatform } from './architecture.js';
import { registryParameters } from './kept.js';
import { readsFromMirror, type ImageSite } from './sites.js';
import { TASK_DEFINITION, taskPlatform } from './task-sites.js';
import type { Json, JsonObject, Mutable, SiteReport, TransformContext, Verdict } from './types.js';
import { describeValue } from '../values.js';

/** What every site of one transform run shares. */
export interface TransformRun {
  readonly template: JsonObject;
  readonly context: TransformContext;
  readonly resolver: Resolver;
  readonly resourceOptions: (resource: JsonObject, logicalId: string, kind?: OptionsOwner) => Parsed<ResourceOptions>;
  readonly nameMirror: MirrorNamer;
  readonly classifyImage: ImageClassifier;
}

export interface SiteOutcome {
  /** Absent when no verdict could be reached (e.g. an invalid image). */
  readonly report?: SiteReport;
  readonly request?: MirrorRequest;
  readonly problems: readonly TransformError[];
}

export function report(site: ImageSite, verdict: Verdict, image: string, architecture?: MirrorPlatform, mirror?: string, parameters?: readonly string[]): SiteReport {
  // Optional fields are set only when present; spreads of conditional literals here, once per site, were a
  // measured cost.
  const result: Mutable<SiteReport> = { logicalId: site.logicalId, resourceType: site.resourceType, image, verdict };
  if (site.location !== undefined) result.location = site.location;
  const literal = architecture === undefined ? undefined : resolvedArchitecture(architecture);
  if (literal !== undefined) result.architecture = literal;
  if (mirror !== undefined) result.mirrorLogicalId = mirror;
  if (parameters !== undefined && parameters.length > 0) result.parameters = parameters;
  return result;
}

/** `{origin: 'from Parameters.Img.Default'}`, `{origin: 'built from parameter A, parameter B'}`: where a bad value came from. */
function originOf(parameters: readonly string[], context: TransformContext): { origin?: string } {
  if (parameters.length === 0) return {};
  const origins = context.parameterOrigins ?? {};
  const described = parameters.map((name) => (Object.hasOwn(origins, name) ? origins[name]! : `parameter ${name}`));
  return { origin: `${parameters.length === 1 ? 'from' : 'built from'} ${described.join(', ')}` };
}

/**
 * The site's architecture: the Metadata override, else its Architectures (a task definition: see taskPlatform).
 * Throws for invalid values.
 */
function architectureOf(site: ImageSite, options: ResourceOptions, env: TransformRun): MirrorPlatform {
  if (site.resourceType === TASK_DEFINITION) return taskPlatform(site, options, env.resolver);
  if (options.architecture !== undefined) return { kind: 'literal', architecture: options.architecture };
  return chooseArchitecture(site, architectureSource(site, env.template), env.resolver);
}

/** For sites that are not mirrored the architecture is informational only: never an error. */
function quietArchitecture(site: ImageSite, options: ResourceOptions, env: TransformRun): MirrorPlatform | undefined {
  try {
    return architectureOf(site, options, env);
  } catch (error) {
    if (error instanceof InvalidArchitectureError) return undefined;
    throw error;
  }
}

/** The normalised image when the site resolves to a valid reference, else its expression as compact JSON. */
export function quietImage(site: ImageSite, env: TransformRun): string {
  const evaluation = env.resolver.evaluate(site.expression);
  if (evaluation.kind === 'value' && typeof evaluation.value === 'string') {
    const parsed = tryParseImageReference(evaluation.value);
    if (parsed.ok) return formatImageReference(parsed.reference);
  }
  return compactJson(site.expression);
}

function kept(site: ImageSite, image: string, options: ResourceOptions, env: TransformRun, problems: TransformError[]): SiteOutcome {
  return { report: report(site, 'keep', image, quietArchitecture(site, options, env)), problems };
}

/** A site's request for its mirror, with when it needs it and what its resource waits for. */
function mirrorRequest(
  site: ImageSite,
  { source, architecture, options, mirror }: Pick<MirrorRequest, 'source' | 'architecture' | 'options' | 'mirror'>,
  when: Formula,
): MirrorRequest {
  const request: Mutable<MirrorRequest> = { logicalId: site.logicalId, path: site.path, source, architecture, options, mirror };
  if (when.kind !== 'always') request.when = when;
  const dependsOn = dependsOnOf(site.resource);
  if (dependsOn.length > 0) request.dependsOn = dependsOn;
  return request;
}

/** Where the site's image comes from, how it is reported, or the outcome that ends the decision. */
type Sourced = { readonly source: MirrorSource; readonly verdict: Verdict; readonly image: string } | { readonly outcome: SiteOutcome };

/** What deciding one site carries (a module function taking it, not a closure per site: those were a measured cost). */
interface Deciding {
  readonly site: ImageSite;
  readonly options: ResourceOptions;
  readonly env: TransformRun;
  /** The site's problems so far (the outcome carries them). */
  readonly problems: TransformError[];
  /** The site's value is an intrinsic (not a literal string). */
  readonly isExpression: boolean;
  /** The template parameters the site's value is built from (none for a literal). */
  readonly parameters: readonly string[];
}

/** The outcome of a site that failed with `problem` (added to the site's problems), reported as `shown`. */
function failed({ site, problems, parameters }: Deciding, shown: string, problem: TransformError): SiteOutcome {
  problems.push(problem);
  return { report: report(site, 'failed', shown, undefined, undefined, parameters), problems };
}

/** A value resolved now: validated and classified (kept, or mirrored under its normalised name or expression). */
function fromValue(value: Json, deciding: Deciding): Sourced {
  const { site, options, env, problems, isExpression, parameters } = deciding;
  if (typeof value !== 'string') {
    const shown = compactJson(value);
    return {
      outcome: failed(
        deciding,
        shown,
        new InvalidImageError(site.logicalId, shown, `it resolves to ${describeValue(value, { article: true })}, not a string`, originOf(parameters, env.context)),
      ),
    };
  }
  const classified = env.classifyImage(value, options.repositoryPrefix);
  if (classified.kind === 'invalid') {
    const { error } = classified;
    return {
      outcome: failed(
        deciding,
        quoteForMessage(value),
        new InvalidImageError(site.logicalId, quoteForMessage(value), error.reason, { cause: error, ...originOf(parameters, env.context) }),
      ),
    };
  }
  const image = classified.image;
  if (classified.kind === 'keep') {
    const kept: Mutable<SiteReport> = report(site, 'keep', image, quietArchitecture(site, options, env), undefined, parameters);
    const movable = parameters.length > 0 ? registryParameters(site.expression, parameters, env, options.repositoryPrefix) : [];
    if (movable.length > 0) kept.registryParameters = movable;
    return { outcome: { report: kept, problems } };
  }
  if (classified.kind === 'unmappable') {
    const { error } = classified;
    return {
      outcome: failed(deciding, image, new UnmappableSiteError(site.logicalId, quoteForMessage(image), error.reason, { cause: error, ...originOf(parameters, env.context) })),
    };
  }
  // An intrinsic (e.g. `!Ref SysdigServerlessPatcherImage`) stays the SourceImage: the parameter stays in use as
  // the user wrote it (otherwise cfn-lint reports W2001 "Parameter ... not used"), and the mirror follows the value
  // CloudFormation passes when the stack is deployed with other parameter values. A literal string is normalised.
  const source: MirrorSource = isExpression
    ? { kind: 'expression', expression: site.expression, image }
    : { kind: 'literal', image, repositoryName: classified.repositoryName };
  return { source, verdict: 'mirror', image };
}

/**
 * The decision for one site. `parsed`: the resource's options when the caller parsed them already (a task
 * definition has a site per container, and its option problems are reported once, by the caller).
 */
export function decideSite(site: ImageSite, env: TransformRun, parsed?: ResourceOptions): SiteOutcome {
  const { options, problems: optionProblems } = parsed !== undefined ? { options: parsed, problems: [] } : env.resourceOptions(site.resource, site.logicalId);
  const problems: TransformError[] = [...optionProblems];
  // When the site runs an image at all: its value is not removed (Fn::If/AWS::NoValue) and its PackageType is Image.
  const imageWhen = and(presenceOf(site.expression), imageWhenPackage(site.packageType));
  // No image now (a Zip PackageType, AWS::NoValue), but maybe in a deployment with other parameter values.
  const later = imageWhen.kind !== 'always' && conditionNames(imageWhen).some((name) => env.resolver.conditionVaries(name));
  const packageType = site.packageType === undefined ? undefined : env.resolver.evaluate(site.packageType);
  const zipNow = packageType?.kind === 'value' && packageType.value === 'Zip';
  if (zipNow && !later) return { problems };
  if (options.skip) {
    return { report: report(site, 'skip', quietImage(site, env), quietArchitecture(site, options, env)), problems };
  }
  // An intrinsic `Code` (see ImageSite.opaque) is left to CloudFormation: no error for an exotic shape.
  if (site.opaque) return { report: report(site, 'keep', compactJson(site.expression)), problems };
  // When the site needs a mirror: its resource exists (its Condition) and it runs an image.
  const when = and(site.condition !== undefined ? named(site.condition) : ALWAYS, imageWhen);
  if (readsFromMirror(site.expression, env.template) || when.kind === 'never') return kept(site, compactJson(site.expression), options, env, problems);
  const evaluation = env.resolver.evaluate(site.expression);
  if (evaluation.kind === 'no-value' && !later) return kept(site, compactJson(site.expression), options, env, problems);

  const isExpression = intrinsicOf(site.expression) !== undefined;
  const parameters = isExpression ? env.resolver.parameters(site.expression) : [];
  const deciding: Deciding = { site, options, env, problems, isExpression, parameters };
  // Not known now: the mirror function resolves the original expression's value at deploy time and decides then.
  const sourced: Sourced =
    // A literal is checked even where the function is a Zip function now: no other value can reach it.
    evaluation.kind === 'value' && (!zipNow || !isExpression)
      ? fromValue(evaluation.value, deciding)
      : { source: { kind: 'expression', expression: site.expression }, verdict: 'deploy-time', image: compactJson(site.expression) };
  if ('outcome' in sourced) return sourced.outcome;
  const { source, verdict, image } = sourced;

  let architecture: MirrorPlatform;
  try {
    architecture = architectureOf(site, options, env);
  } catch (error) {
    if (!(error instanceof InvalidArchitectureError)) throw error;
    return failed(deciding, image, error);
  }
  const mirror = env.nameMirror(source, architecture);
  const request = mirrorRequest(site, { source, architecture, options, mirror }, when);
  return { report: report(site, verdict, image, architecture, mirror.logicalId, parameters), request, problems };
}
