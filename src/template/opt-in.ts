// The opt-in parts beyond Lambda image sites: parameter mirrors with every use rewritten (MirrorParameters), and
// the execution-role check of task definitions that read mirrored images (Ecs, or a mirrored parameter).
import { type TransformError, MissingExecutionRoleError } from './errors.js';
import { executionRoleWarning, hasExecutionRole } from './execution-role.js';
import { getOwn, isJsonObject } from './json.js';
import type { TemplateOptions } from './options.js';
import { decideParameter, type ParameterSiteEnv } from './parameter-sites.js';
import { rewriteParameterUses, type ParameterUse } from './parameter-uses.js';
import type { Resolver } from './resolve/resolver.js';
import type { MirrorRequest } from './rewrite.js';
import type { ImageSite } from './sites.js';
import { TASK_DEFINITION } from './task-sites.js';
import type { JsonObject, Mutable, SiteReport, TransformProblem } from './types.js';

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
 * The mirror's Condition: the one Condition every use sits under (the resources' or outputs' own), else none. A
 * mirror that no use reads is not injected: it would copy an image for nothing (a warning says so).
 */
function conditionOf(uses: readonly ParameterUse[]): string | undefined {
  const conditions = new Set(uses.map((use) => use.condition));
  return conditions.size === 1 ? uses[0]!.condition : undefined;
}

export function mirrorParameters(options: TemplateOptions, env: ParameterSiteEnv, sites: readonly ImageSite[]): ParameterMirrors {
  const reports: SiteReport[] = [];
  const candidates: MirrorRequest[] = [];
  const problems: TransformError[] = [];
  const warnings: TransformProblem[] = [];
  for (const parameter of options.mirrorParameters) {
    const outcome = decideParameter(parameter, options, env);
    reports.push(outcome.report);
    problems.push(...outcome.problems);
    if (outcome.request) candidates.push(outcome.request);
  }
  const excluded = new Set(sites.map((site) => siteKey(site.logicalId, site.path)));
  const mirrors = new Map(candidates.map((request) => [request.logicalId, request.mirror.logicalId]));
  const rewritten = rewriteParameterUses(env.template, { mirrors, excluded: (logicalId, path) => excluded.has(siteKey(logicalId, path)) });
  const requests: MirrorRequest[] = [];
  for (const candidate of candidates) {
    const uses = rewritten.uses.filter((use) => use.parameter === candidate.logicalId);
    if (uses.length === 0) {
      warnings.push({
        logicalId: candidate.logicalId,
        message:
          `Parameter ${candidate.logicalId} (Metadata.SysdigImageFix.MirrorParameters): nothing uses it outside image sites, which keep ` +
          'mirrors of their own (one platform each), so no whole-image mirror was injected',
      });
      const index = reports.findIndex((report) => report.logicalId === candidate.logicalId);
      const { mirrorLogicalId: _none, ...unused } = reports[index]!;
      reports[index] = { ...unused, verdict: 'keep' };
      continue;
    }
    const condition = conditionOf(uses);
    requests.push(condition === undefined ? candidate : { ...candidate, condition });
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
    if (getOwn(getOwn(resources, logicalId), 'Type') !== TASK_DEFINITION || !isContainerImage(path)) return;
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
