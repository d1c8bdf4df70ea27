// The transform: fragment + stack context -> rewritten fragment, or every problem found.
// Data flow: options (defaults < Transform parameters < template < resource) -> sites (Lambda functions; opt-in: ECS task definitions and
// parameters) -> resolve each site -> verdict -> plan mirrors -> rewrite sites, place mirrors (conditions, order) -> quotas. Pure: no I/O, no clock, no randomness; the
// input is never mutated, and the result shares every unchanged subtree with it (see rewriteSites).
import { decideSite, quietImage, report, type SiteOutcome, type TransformRun } from './decide.js';
import { InternalTransformError, MalformedTemplateError, type TransformError } from './errors.js';
import { createImageClassifier } from './images.js';
import { getOwn, isJsonObject } from './json.js';
import { createMirrorNamer, type InjectionPlan, type MirrorRequest, planMirrors } from './mirror-plan.js';
import { orderMirrors } from './mirror-order.js';
import { createResourceOptions, defaultOptions, templateOptions } from './options.js';
import { checkTaskRoles, mirrorParameters } from './opt-in.js';
import { checkQuotas } from './quotas.js';
import { createResolver } from './resolve/resolver.js';
import { placeMirrors, rewriteSites } from './rewrite.js';
import { resolveTransformParameters } from './transform-parameters.js';
import { addRefreshParameter, refreshTokenOf } from './refresh.js';
import { findImageSites, type ImageSite } from './sites.js';
import { findTaskImageSites, taskDefinitions } from './task-sites.js';
import type { JsonObject, SiteReport, Transform, TransformContext, TransformDefaults, TransformProblem, TransformResult } from './types.js';
import { describeValue } from '../values.js';

function failure(problems: readonly TransformError[], sites: readonly SiteReport[], warnings: readonly TransformProblem[] = []): TransformResult {
  return { ok: false, errors: problems.map((problem): TransformProblem => problem.toProblem()), sites, warnings };
}

/** One site's outcome, with an unforeseen exception turned into a problem of that resource. */
function safely(site: ImageSite, decide: () => SiteOutcome): SiteOutcome {
  try {
    return decide();
  } catch (error) {
    // One resource tripping over an unforeseen shape must not hide what is wrong with the others.
    return { problems: [new InternalTransformError(site.logicalId, error)] };
  }
}

/** The image sites of the task definitions that have Ecs on (theirs, else the template's), with their outcomes. */
function taskSites(env: TransformRun, ecs: boolean, problems: TransformError[]): [ImageSite, SiteOutcome][] {
  const decided: [ImageSite, SiteOutcome][] = [];
  for (const [logicalId, resource] of taskDefinitions(env.template)) {
    const parsed = env.resourceOptions(resource, logicalId, 'task-definition');
    problems.push(...parsed.problems);
    if (!(parsed.options.ecs ?? ecs)) continue;
    for (const site of findTaskImageSites(logicalId, resource)) decided.push([site, safely(site, () => decideSite(site, env, parsed.options))]);
  }
  return decided;
}

/** The options, the resolver and the other things every site of this run shares, with the problems found reading them. */
function prepare(template: JsonObject, context: TransformContext, defaults: TransformDefaults, problems: TransformError[], warnings: TransformProblem[]) {
  const resolver = createResolver(template, context);
  const base = defaultOptions(defaults);
  const fromTransform = resolveTransformParameters(context.transformParameters, resolver);
  const fromTemplate = templateOptions(template, base.options, fromTransform.parameters);
  problems.push(...base.problems, ...fromTransform.problems, ...fromTemplate.problems);
  warnings.push(...fromTransform.warnings, ...fromTemplate.warnings);
  const resources = getOwn(template, 'Resources');
  if (resources !== undefined && resources !== null && !isJsonObject(resources)) {
    problems.push(new MalformedTemplateError('Resources must be an object of resources by logical id'));
  }
  const env: TransformRun = {
    template,
    context,
    resolver,
    resourceOptions: createResourceOptions(fromTemplate.options),
    nameMirror: createMirrorNamer(),
    classifyImage: createImageClassifier(context),
  };
  return { env, options: fromTemplate.options };
}

/** Every site's decision (Lambda functions, then task definitions), its report and its request. */
function decideSites(env: TransformRun, ecs: boolean, sites: SiteReport[], requests: MirrorRequest[], problems: TransformError[]): ImageSite[] {
  const decided: [ImageSite, SiteOutcome][] = findImageSites(env.template).map((site) => [site, safely(site, () => decideSite(site, env))]);
  decided.push(...taskSites(env, ecs, problems));
  for (const [site, outcome] of decided) {
    // Every site with a problem counts as failed, whatever verdict it would otherwise have had.
    if (outcome.report) sites.push(outcome.report);
    else if (outcome.problems.length > 0) sites.push(report(site, 'failed', quietImage(site, env)));
    if (outcome.request) requests.push(outcome.request);
    problems.push(...outcome.problems);
  }
  return decided.map(([site]) => site);
}

/** The plan written into the template: sites rewritten, mirrors placed with their order, quotas checked. */
function inject(input: JsonObject, template: JsonObject, requests: readonly MirrorRequest[], plan: InjectionPlan, problems: TransformError[], warnings: TransformProblem[]) {
  const output = rewriteSites(template, requests);
  const order = orderMirrors(getOwn(output, 'Resources') as JsonObject, plan.mirrors);
  warnings.push(...order.warnings);
  problems.push(...placeMirrors(output, plan.mirrors, order));
  // Counted only on a template that is whole (a mirror that could not be placed would be missing from the count).
  if (problems.length === 0) problems.push(...checkQuotas(output, input));
  return output;
}

function run(fragment: unknown, context: TransformContext, defaults: TransformDefaults, sites: SiteReport[]): TransformResult {
  if (!isJsonObject(fragment)) {
    return failure([new MalformedTemplateError(`the fragment is ${describeValue(fragment, { article: true })}, not a template object`)], sites);
  }
  const template: JsonObject = fragment;
  const problems: TransformError[] = [];
  const warnings: TransformProblem[] = [];
  const { env, options } = prepare(template, context, defaults, problems, warnings);
  const requests: MirrorRequest[] = [];
  const imageSites = decideSites(env, options.ecs, sites, requests, problems);

  const parameters = mirrorParameters(options, env, imageSites);
  sites.push(...parameters.reports);
  requests.push(...parameters.requests);
  problems.push(...parameters.problems);
  const roles = checkTaskRoles(template, requests, parameters.uses, env.resolver);
  problems.push(...roles.problems);
  warnings.push(...parameters.warnings, ...roles.warnings);

  const plan = planMirrors(template, requests, defaults.mirrorFunctionArn, (first) => refreshTokenOf(first, context));
  problems.push(...plan.problems);
  const refresh = addRefreshParameter(parameters.template, plan.mirrors, context);
  problems.push(...refresh.problems);
  warnings.push(...refresh.warnings);
  // Injected even when problems were found: placing the mirrors finds problems of its own (a taken logical id or
  // condition name), reported together with the others.
  const output = inject(template, refresh.template, requests, plan, problems, warnings);
  if (problems.length > 0) {
    // Every site a problem names has failed, whatever verdict it would otherwise have had; nothing is injected.
    const failed = new Set(problems.map((problem) => problem.logicalId));
    sites.forEach((site, index) => {
      if (!failed.has(site.logicalId)) return;
      const { mirrorLogicalId: _notInjected, ...rest } = site;
      sites[index] = { ...rest, verdict: 'failed' };
    });
    return failure(problems, sites, warnings);
  }
  return { ok: true, fragment: output, sites, warnings };
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
