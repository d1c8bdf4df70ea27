// The opt-in parts beyond Lambda image sites: parameter mirrors with every use rewritten (MirrorParameters), and
// the execution-role check of task definitions that read mirrored images (Ecs, or a mirrored parameter).
import { type TransformError, MissingExecutionRoleError } from './errors.js';
import { executionRoleWarning, hasExecutionRole } from './execution-role.js';
import { getOwn, isJsonObject } from './json.js';
import type { TemplateOptions } from './options.js';
import { decideParameter, type ParameterSiteEnv } from './parameter-sites.js';
import { rewriteParameterUses, type ParameterUse } from './parameter-uses.js';
import type { Resolver } from './resolve/resolver.js';
import type { MirrorRequest } from './mirror-plan.js';
import { dependsOnOf } from './mirror-order.js';
import { ALWAYS, named, or } from './presence.js';
import type { ImageSite } from './sites.js';
import { TASK_DEFINITION } from './task-sites.js';
import type { Json, JsonObject, Mutable, SiteReport, TransformProblem } from './types.js';

export interface ParameterMirrors {
  readonly reports: readonly SiteReport[];
  readonly requests: readonly MirrorRequest[];
  readonly problems: readonly TransformError[];
  readonly warnings: readonly TransformProblem[];
  /** The template with every use of a mirrored parameter rewritten (the input itself when there are none). */
  readonly template: JsonObject;
  readonly uses: readonly ParameterUse[];
}

/** Keys of the image sites that keep their own decision (and mirror): no parameter use is rewritten there. */
function siteKey(logicalId: string, path: readonly string[]): string {
  return JSON.stringify([logicalId, ...path]);
}

/**
 * When the mirror is needed (any use's resource or output exists: their Conditions) and what it waits for (the
 * DependsOn of the resources using it). A mirror that no use reads is not injected: it would copy an image for
 * nothing (a warning says so).
 */
function usedBy(candidate: MirrorRequest, uses: readonly ParameterUse[], resources: Json | undefined): MirrorRequest {
  const when = or(...uses.map((use) => (use.condition === undefined ? ALWAYS : named(use.condition))));
  const dependsOn = [...new Set(uses.flatMap((use) => (use.section === 'Resources' && use.logicalId !== undefined ? dependsOnOf(getOwn(resources, use.logicalId)) : [])))];
  return { ...candidate, ...(when.kind !== 'always' ? { when } : {}), ...(dependsOn.length > 0 ? { dependsOn } : {}) };
}

/** Resource types whose Parameters hand a value to another template, where this transform cannot see how it is used. */
const CHILD_TEMPLATES: Readonly<Record<string, string>> = { 'AWS::CloudFormation::Stack': 'nested stack', 'AWS::Serverless::Application': 'SAM application' };

/**
 * A whole-image mirror handed to a child template: a Lambda function there refuses an image index. A parameter
 * with a chosen Architecture hands over one platform and needs no warning.
 */
function childWarnings(candidate: MirrorRequest, uses: readonly ParameterUse[], resources: Json | undefined): TransformProblem[] {
  if (candidate.architecture.kind !== 'all') return [];
  const parameter = candidate.logicalId;
  return uses
    .filter((use) => use.section === 'Resources' && use.logicalId !== undefined && use.path[0] === 'Properties' && use.path[1] === 'Parameters')
    .flatMap((use) => {
      const type = getOwn(getOwn(resources, use.logicalId!), 'Type');
      if (typeof type !== 'string' || !Object.hasOwn(CHILD_TEMPLATES, type)) return [];
      const kind = CHILD_TEMPLATES[type]!;
      return [
        {
          logicalId: use.logicalId!,
          message:
            `Resource ${use.logicalId} passes parameter ${parameter} (MirrorParameters) to its ${kind} as Parameters.${use.path[2]}: the ${kind} now ` +
            'receives the whole-image mirror (an image index of every platform), which ECS runs but a Lambda function refuses; if the child ' +
            `template uses it as a Lambda image, list it as {Name: ${parameter}, Architecture: x86_64 or arm64} in MirrorParameters, or leave it out and ` +
            `add Transform: SysdigImageFix to the child template`,
        },
      ];
    });
}

export function mirrorParameters(options: TemplateOptions, env: ParameterSiteEnv, sites: readonly ImageSite[]): ParameterMirrors {
  const reports: SiteReport[] = [];
  const candidates: MirrorRequest[] = [];
  const problems: TransformError[] = [];
  const warnings: TransformProblem[] = [];
  for (const choice of options.mirrorParameters) {
    const outcome = decideParameter(choice, options, env);
    reports.push(outcome.report);
    problems.push(...outcome.problems);
    if (outcome.request) candidates.push(outcome.request);
  }
  // Without a parameter to mirror there is no use to rewrite: the site keys are not even built.
  const excluded = new Set(candidates.length > 0 ? sites.map((site) => siteKey(site.logicalId, site.path)) : []);
  const mirrors = new Map(candidates.map((request) => [request.logicalId, request.mirror.logicalId]));
  const rewritten = rewriteParameterUses(env.template, { mirrors, excluded: (logicalId, path) => excluded.has(siteKey(logicalId, path)) });
  const resources = getOwn(env.template, 'Resources');
  const requests: MirrorRequest[] = [];
  for (const candidate of candidates) {
    const uses = rewritten.uses.filter((use) => use.parameter === candidate.logicalId);
    if (uses.length === 0) {
      warnings.push({
        logicalId: candidate.logicalId,
        message:
          `Parameter ${candidate.logicalId} (MirrorParameters): nothing uses it outside image sites, which keep ` +
          'mirrors of their own (one platform each), so no mirror was injected for it',
      });
      const index = reports.findIndex((report) => report.logicalId === candidate.logicalId);
      const { mirrorLogicalId: _none, ...unused } = reports[index]!;
      reports[index] = { ...unused, verdict: 'keep' };
      continue;
    }
    requests.push(usedBy(candidate, uses, resources));
    warnings.push(...childWarnings(candidate, uses, resources));
  }
  return { reports, requests, problems, warnings, template: rewritten.template, uses: rewritten.uses };
}

/** `Properties.ContainerDefinitions.<n>.Image...`: a use that ECS pulls. */
function isContainerImage(path: readonly string[]): boolean {
  return path[0] === 'Properties' && path[1] === 'ContainerDefinitions' && path[3] === 'Image';
}

export interface RoleCheck {
  readonly problems: readonly TransformError[];
  readonly warnings: readonly TransformProblem[];
}

/**
 * Task definitions that will read a mirrored image (an ECS site's mirror, or a mirrored parameter in a container's
 * Image) need an execution role that can pull from private ECR.
 */
export function checkTaskRoles(template: JsonObject, requests: readonly MirrorRequest[], uses: readonly ParameterUse[], resolver: Resolver): RoleCheck {
  const resources = getOwn(template, 'Resources');
  if (!isJsonObject(resources)) return { problems: [], warnings: [] };
  const images = new Map<string, string[]>();
  const add = (logicalId: string, path: readonly string[]) => {
    if (!isContainerImage(path) || getOwn(getOwn(resources, logicalId), 'Type') !== TASK_DEFINITION) return;
    const list = images.get(logicalId) ?? [];
    const where = `ContainerDefinitions[${path[2]}].Image`;
    if (!list.includes(where)) list.push(where);
    images.set(logicalId, list);
  };
  for (const request of requests) if (request.path !== undefined) add(request.logicalId, request.path);
  for (const use of uses) if (use.section === 'Resources' && use.logicalId !== undefined) add(use.logicalId, use.path);
  const problems: TransformError[] = [];
  const warnings: Mutable<TransformProblem>[] = [];
  for (const [logicalId, where] of images) {
    const taskDefinition = getOwn(resources, logicalId) as JsonObject;
    if (!hasExecutionRole(taskDefinition)) problems.push(new MissingExecutionRoleError(logicalId, where));
    else {
      const warning = executionRoleWarning(logicalId, taskDefinition, resources, resolver);
      if (warning !== undefined) warnings.push(warning);
    }
  }
  return { problems, warnings };
}
