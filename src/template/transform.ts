// The transform: fragment + stack context -> rewritten fragment, or every problem found.
// Data flow: options (defaults < template < resource) -> sites -> resolve each site -> verdict ->
// plan mirrors -> rewrite. Pure: no I/O, no clock, no randomness; the input is never mutated.
import {
  formatImageReference,
  isUsableByLambda,
  quoteForMessage,
  targetRepositoryName,
  tryParseImageReference,
  UnmappableImageError,
} from '../reference/index.js';
import {
  InternalTransformError,
  InvalidArchitectureError,
  InvalidImageError,
  MalformedTemplateError,
  TransformError,
  UnmappableSiteError,
} from './errors.js';
import { compactJson, getOwn, isJsonObject } from './json.js';
import { defaultOptions, resourceOptions, templateOptions, type MirrorOptions, type ResourceOptions } from './options.js';
import { createResolver, type Resolver } from './resolve.js';
import { mirrorLogicalId, planMirrors, rewriteTemplate, type MirrorRequest, type MirrorSource } from './rewrite.js';
import {
  architectureSource,
  chooseArchitecture,
  findImageSites,
  readsFromMirror,
  type ArchitectureChoice,
  type ImageSite,
} from './sites.js';
import type {
  JsonObject,
  SiteReport,
  Transform,
  TransformContext,
  TransformDefaults,
  TransformProblem,
  TransformResult,
  Verdict,
} from './types.js';

interface Environment {
  readonly template: JsonObject;
  readonly context: TransformContext;
  readonly resolver: Resolver;
  readonly options: MirrorOptions;
}

interface SiteOutcome {
  /** Absent when no verdict could be reached (e.g. an invalid image). */
  readonly report?: SiteReport;
  readonly request?: MirrorRequest;
  readonly problems: readonly TransformError[];
}

/** "a list", "null", "a number", ... for messages about values of the wrong kind. */
function kindOf(value: unknown): string {
  if (Array.isArray(value)) return 'a list';
  if (value === null) return 'null';
  if (typeof value === 'object') return 'an object';
  return `a ${typeof value}`;
}

function failure(problems: readonly TransformError[], sites: readonly SiteReport[]): TransformResult {
  return { ok: false, errors: problems.map((problem): TransformProblem => problem.toProblem()), sites };
}

function report(site: ImageSite, verdict: Verdict, image: string, architecture?: ArchitectureChoice, mirror?: string): SiteReport {
  return {
    logicalId: site.logicalId,
    resourceType: site.resourceType,
    image,
    verdict,
    ...(architecture?.kind === 'literal' ? { architecture: architecture.architecture } : {}),
    ...(mirror !== undefined ? { mirrorLogicalId: mirror } : {}),
  };
}

/** The site's architecture: the Metadata override, else its Architectures (throws for invalid values). */
function architectureOf(site: ImageSite, options: ResourceOptions, env: Environment): ArchitectureChoice {
  if (options.architecture !== undefined) return { kind: 'literal', architecture: options.architecture };
  return chooseArchitecture(site, architectureSource(site, env.template), env.resolver);
}

/** For sites that are not mirrored the architecture is informational only: never an error. */
function quietArchitecture(site: ImageSite, options: ResourceOptions, env: Environment): ArchitectureChoice | undefined {
  try {
    return architectureOf(site, options, env);
  } catch (error) {
    if (error instanceof InvalidArchitectureError) return undefined;
    throw error;
  }
}

/** The normalised image when the site resolves to a valid reference, else its expression as compact JSON. */
function quietImage(site: ImageSite, env: Environment): string {
  const evaluation = env.resolver.evaluate(site.expression);
  if (evaluation.kind === 'value' && typeof evaluation.value === 'string') {
    const parsed = tryParseImageReference(evaluation.value);
    if (parsed.ok) return formatImageReference(parsed.reference);
  }
  return compactJson(site.expression);
}

function decideSite(site: ImageSite, env: Environment): SiteOutcome {
  const { options, problems: optionProblems } = resourceOptions(site.resource, site.logicalId, env.options);
  const problems: TransformError[] = [...optionProblems];
  const keep = (image: string): SiteOutcome => ({
    report: report(site, 'keep', image, quietArchitecture(site, options, env)),
    problems,
  });

  if (options.skip) {
    return { report: report(site, 'skip', quietImage(site, env), quietArchitecture(site, options, env)), problems };
  }
  // An intrinsic `Code` (see ImageSite.opaque) is left to CloudFormation: no error for an exotic shape.
  if (site.opaque) return { report: report(site, 'keep', compactJson(site.expression)), problems };
  if (readsFromMirror(site.expression, env.template)) return keep(compactJson(site.expression));

  const evaluation = env.resolver.evaluate(site.expression);
  if (evaluation.kind === 'no-value') return keep(compactJson(site.expression));

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
      problems.push(new InvalidImageError(site.logicalId, compactJson(value), `it resolves to ${kindOf(value)}, not a string`));
      return { problems };
    }
    const parsed = tryParseImageReference(value);
    if (!parsed.ok) {
      problems.push(new InvalidImageError(site.logicalId, quoteForMessage(value), parsed.error.reason, { cause: parsed.error }));
      return { problems };
    }
    image = formatImageReference(parsed.reference);
    const { region, urlSuffix } = env.context;
    if (isUsableByLambda(parsed.reference, { region, ...(urlSuffix ? { urlSuffix } : {}) })) return keep(image);
    verdict = 'mirror';
    let repositoryName: string | undefined;
    try {
      repositoryName = targetRepositoryName(parsed.reference, options.repositoryPrefix);
    } catch (error) {
      if (!(error instanceof UnmappableImageError)) throw error;
      problems.push(new UnmappableSiteError(site.logicalId, quoteForMessage(image), error.reason, { cause: error }));
    }
    if (repositoryName === undefined) return { report: report(site, verdict, image), problems };
    source = { kind: 'literal', image, repositoryName };
  }

  let architecture: ArchitectureChoice;
  try {
    architecture = architectureOf(site, options, env);
  } catch (error) {
    if (!(error instanceof InvalidArchitectureError)) throw error;
    problems.push(error);
    return { report: report(site, verdict, image), problems };
  }
  const request: MirrorRequest = {
    logicalId: site.logicalId,
    path: site.path,
    ...(site.condition !== undefined ? { condition: site.condition } : {}),
    source,
    architecture,
    options,
  };
  return { report: report(site, verdict, image, architecture, mirrorLogicalId(source, architecture)), request, problems };
}

function run(fragment: unknown, context: TransformContext, defaults: TransformDefaults, sites: SiteReport[]): TransformResult {
  if (!isJsonObject(fragment)) {
    return failure([new MalformedTemplateError(`the fragment is ${kindOf(fragment)}, not a template object`)], sites);
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

  const env: Environment = { template, context, resolver: createResolver(template, context), options: fromTemplate.options };
  const requests: MirrorRequest[] = [];
  for (const site of findImageSites(template)) {
    let outcome: SiteOutcome;
    try {
      outcome = decideSite(site, env);
    } catch (error) {
      // One resource tripping over an unforeseen shape must not hide what is wrong with the others.
      outcome = { problems: [new InternalTransformError(site.logicalId, error)] };
    }
    if (outcome.report) sites.push(outcome.report);
    if (outcome.request) requests.push(outcome.request);
    problems.push(...outcome.problems);
  }

  const plan = planMirrors(template, requests, defaults.mirrorFunctionArn);
  problems.push(...plan.problems);
  if (problems.length > 0) return failure(problems, sites);
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
