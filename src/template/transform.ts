// The transform: fragment + stack context -> rewritten fragment, or every problem found.
// Data flow: options (defaults < template < resource) -> sites -> resolve each site -> verdict ->
// plan mirrors -> rewrite. Pure: no I/O, no clock, no randomness; the input is never mutated, and the
// result shares every unchanged subtree with it (see rewriteTemplate).
import { formatImageReference, quoteForMessage, tryParseImageReference } from '../reference/index.js';
import { InternalTransformError, InvalidArchitectureError, InvalidImageError, MalformedTemplateError, type TransformError, UnmappableSiteError } from './errors.js';
import { createImageClassifier, type ImageClassifier } from './images.js';
import { compactJson, getOwn, intrinsicOf, isJsonObject } from './json.js';
import { createResourceOptions, defaultOptions, templateOptions, type Parsed, type ResourceOptions } from './options.js';
import { createResolver, type Resolver } from './resolve/resolver.js';
import { createMirrorNamer, planMirrors, rewriteTemplate, type MirrorNamer, type MirrorRequest, type MirrorSource } from './rewrite.js';
import { architectureSource, chooseArchitecture, resolvedArchitecture, type ArchitectureChoice } from './architecture.js';
import { findImageSites, readsFromMirror, type ImageSite } from './sites.js';
import type { JsonObject, Mutable, SiteReport, Transform, TransformContext, TransformDefaults, TransformProblem, TransformResult, Verdict } from './types.js';
import { describeValue } from '../values.js';

/** What every site of one transform run shares. */
interface TransformRun {
  readonly template: JsonObject;
  readonly context: TransformContext;
  readonly resolver: Resolver;
  readonly resourceOptions: (resource: JsonObject, logicalId: string) => Parsed<ResourceOptions>;
  readonly nameMirror: MirrorNamer;
  readonly classifyImage: ImageClassifier;
}

interface SiteOutcome {
  /** Absent when no verdict could be reached (e.g. an invalid image). */
  readonly report?: SiteReport;
  readonly request?: MirrorRequest;
  readonly problems: readonly TransformError[];
}

function failure(problems: readonly TransformError[], sites: readonly SiteReport[]): TransformResult {
  return { ok: false, errors: problems.map((problem): TransformProblem => problem.toProblem()), sites };
}

function report(site: ImageSite, verdict: Verdict, image: string, architecture?: ArchitectureChoice, mirror?: string, parameters?: readonly string[]): SiteReport {
  // Optional fields are set only when present; spreads of conditional literals here, once per site, were a
  // measured cost.
  const result: Mutable<SiteReport> = { logicalId: site.logicalId, resourceType: site.resourceType, image, verdict };
  const literal = architecture === undefined ? undefined : resolvedArchitecture(architecture);
  if (literal !== undefined) result.architecture = literal;
  if (mirror !== undefined) result.mirrorLogicalId = mirror;
  if (parameters !== undefined && parameters.length > 0) result.parameters = parameters;
  return result;
}

/** `from Parameters.Img.Default`, `built from parameter A, parameter B`: where a bad value came from. */
function originOf(parameters: readonly string[], context: TransformContext): string | undefined {
  if (parameters.length === 0) return undefined;
  const origins = context.parameterOrigins ?? {};
  const described = parameters.map((name) => (Object.hasOwn(origins, name) ? origins[name]! : `parameter ${name}`));
  return `${parameters.length === 1 ? 'from' : 'built from'} ${described.join(', ')}`;
}

/** The site's architecture: the Metadata override, else its Architectures (throws for invalid values). */
function architectureOf(site: ImageSite, options: ResourceOptions, env: TransformRun): ArchitectureChoice {
  if (options.architecture !== undefined) return { kind: 'literal', architecture: options.architecture };
  return chooseArchitecture(site, architectureSource(site, env.template), env.resolver);
}

/** For sites that are not mirrored the architecture is informational only: never an error. */
function quietArchitecture(site: ImageSite, options: ResourceOptions, env: TransformRun): ArchitectureChoice | undefined {
  try {
    return architectureOf(site, options, env);
  } catch (error) {
    if (error instanceof InvalidArchitectureError) return undefined;
    throw error;
  }
}

/** The normalised image when the site resolves to a valid reference, else its expression as compact JSON. */
function quietImage(site: ImageSite, env: TransformRun): string {
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

function decideSite(site: ImageSite, env: TransformRun): SiteOutcome {
  const { options, problems: optionProblems } = env.resourceOptions(site.resource, site.logicalId);
  const problems: TransformError[] = [...optionProblems];

  // `PackageType: !If [...]` that resolves to Zip: ImageUri is not what Lambda runs.
  if (site.packageType !== undefined) {
    const packageType = env.resolver.evaluate(site.packageType);
    if (packageType.kind === 'value' && packageType.value === 'Zip') return { problems };
  }
  if (options.skip) {
    return { report: report(site, 'skip', quietImage(site, env), quietArchitecture(site, options, env)), problems };
  }
  // An intrinsic `Code` (see ImageSite.opaque) is left to CloudFormation: no error for an exotic shape.
  if (site.opaque) return { report: report(site, 'keep', compactJson(site.expression)), problems };
  if (readsFromMirror(site.expression, env.template)) return kept(site, compactJson(site.expression), options, env, problems);

  const evaluation = env.resolver.evaluate(site.expression);
  if (evaluation.kind === 'no-value') return kept(site, compactJson(site.expression), options, env, problems);

  const isExpression = intrinsicOf(site.expression) !== undefined;
  const parameters = isExpression ? env.resolver.parameters(site.expression) : [];
  const origin = originOf(parameters, env.context);
  const failed = (shown: string, problem: TransformError): SiteOutcome => {
    problems.push(problem);
    return { report: report(site, 'failed', shown, undefined, undefined, parameters), problems };
  };

  let source: MirrorSource;
  let verdict: Verdict;
  let image: string;
  if (evaluation.kind === 'unresolvable') {
    // The mirror function resolves the original expression's value at deploy time and decides then.
    source = { kind: 'expression', expression: site.expression };
    verdict = 'deploy-time';
    image = compactJson(site.expression);
  } else {
    const value = evaluation.value;
    if (typeof value !== 'string') {
      return failed(
        compactJson(value),
        new InvalidImageError(site.logicalId, compactJson(value), `it resolves to ${describeValue(value, { article: true })}, not a string`, {
          ...(origin ? { origin } : {}),
        }),
      );
    }
    const classified = env.classifyImage(value, options.repositoryPrefix);
    if (classified.kind === 'invalid') {
      const { error } = classified;
      return failed(quoteForMessage(value), new InvalidImageError(site.logicalId, quoteForMessage(value), error.reason, { cause: error, ...(origin ? { origin } : {}) }));
    }
    image = classified.image;
    if (classified.kind === 'keep') {
      return { report: report(site, 'keep', image, quietArchitecture(site, options, env), undefined, parameters), problems };
    }
    verdict = 'mirror';
    if (classified.kind === 'unmappable') {
      const { error } = classified;
      return failed(image, new UnmappableSiteError(site.logicalId, quoteForMessage(image), error.reason, { cause: error, ...(origin ? { origin } : {}) }));
    }
    // An intrinsic (e.g. `!Ref SysdigServerlessPatcherImage`) stays the SourceImage: the parameter stays in use as
    // the user wrote it (otherwise cfn-lint reports W2001 "Parameter ... not used"), and the mirror follows the value
    // CloudFormation passes when the stack is deployed with other parameter values. A literal string is normalised.
    source = isExpression ? { kind: 'expression', expression: site.expression, image } : { kind: 'literal', image, repositoryName: classified.repositoryName };
  }

  let architecture: ArchitectureChoice;
  try {
    architecture = architectureOf(site, options, env);
  } catch (error) {
    if (!(error instanceof InvalidArchitectureError)) throw error;
    return failed(image, error);
  }
  const mirror = env.nameMirror(source, architecture);
  const request: Mutable<MirrorRequest> = { logicalId: site.logicalId, path: site.path, source, architecture, options, mirror };
  if (site.condition !== undefined) request.condition = site.condition;
  return { report: report(site, verdict, image, architecture, mirror.logicalId, parameters), request, problems };
}

function run(fragment: unknown, context: TransformContext, defaults: TransformDefaults, sites: SiteReport[]): TransformResult {
  if (!isJsonObject(fragment)) {
    return failure([new MalformedTemplateError(`the fragment is ${describeValue(fragment, { article: true })}, not a template object`)], sites);
  }
  const template: JsonObject = fragment;
  const problems: TransformError[] = [];
  const base = defaultOptions(defaults);
  const fromTemplate = templateOptions(template, base.options);
  problems.push(...base.problems, ...fromTemplate.problems);

  const resources = getOwn(template, 'Resources');
  if (resources !== undefined && resources !== null && !isJsonObject(resources)) {
    problems.push(new MalformedTemplateError('Resources must be an object of resources by logical id'));
  }

  const env: TransformRun = {
    template,
    context,
    resolver: createResolver(template, context),
    resourceOptions: createResourceOptions(fromTemplate.options),
    nameMirror: createMirrorNamer(),
    classifyImage: createImageClassifier(context),
  };
  const requests: MirrorRequest[] = [];
  for (const site of findImageSites(template)) {
    let outcome: SiteOutcome;
    try {
      outcome = decideSite(site, env);
    } catch (error) {
      // One resource tripping over an unforeseen shape must not hide what is wrong with the others.
      outcome = { problems: [new InternalTransformError(site.logicalId, error)] };
    }
    // Every site with a problem counts as failed, whatever verdict it would otherwise have had.
    if (outcome.report) sites.push(outcome.report);
    else if (outcome.problems.length > 0) sites.push(report(site, 'failed', quietImage(site, env)));
    if (outcome.request) requests.push(outcome.request);
    problems.push(...outcome.problems);
  }

  const plan = planMirrors(template, requests, defaults.mirrorFunctionArn);
  problems.push(...plan.problems);
  if (problems.length > 0) {
    // Every site a problem names has failed, whatever verdict it would otherwise have had; nothing is injected.
    const failed = new Set(problems.map((problem) => problem.logicalId));
    sites.forEach((site, index) => {
      if (!failed.has(site.logicalId)) return;
      const { mirrorLogicalId: _notInjected, ...rest } = site;
      sites[index] = { ...rest, verdict: 'failed' };
    });
    return failure(problems, sites);
  }
  return { ok: true, fragment: rewriteTemplate(template, requests, plan), sites };
}

/** See `Transform` in types.ts. Never throws: unexpected exceptions become a problem. */
export function transform(fragment: unknown, context: TransformContext, defaults: TransformDefaults): TransformResult {
  const sites: SiteReport[] = [];
  try {
    return run(fragment, context, defaults, sites);
  } catch (error) {
    return failure([new InternalTransformError(undefined, error)], sites);
  }
}

// Keeps the implementation and the published signature from drifting apart.
transform satisfies Transform;
