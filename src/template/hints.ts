// What a transform saw but did not act on, said so that a user who expected a mirror knows why and what to do: task
// definitions without the Ecs option, SAM functions that SAM reads as Zip, AWS::LanguageExtensions loops. Each hint
// is given only when its reason holds for this template (a task image already in private ECR of the region, or a
// task definition that chose Ecs either way, gets none). Pure, like the transform.
import { METADATA_KEY } from '../contract.js';
import { createImageClassifier } from './images.js';
import { getOwn, hasOwn, isJsonObject } from './json.js';
import { createResolver } from './resolve/resolver.js';
import { LAMBDA_FUNCTION, SAM_FUNCTION } from './sites.js';
import { TASK_DEFINITION, findTaskImageSites, taskDefinitions } from './task-sites.js';
import type { JsonObject, SiteReport, TransformContext } from './types.js';

export interface Hint {
  /** `warning`: the deployment will likely fail as written; `note`: something the user may have expected. */
  readonly level: 'note' | 'warning';
  readonly logicalId?: string;
  readonly message: string;
}

export interface HintInput {
  /** The template without its Transform section (what the macro gets). */
  readonly template: JsonObject;
  readonly context: TransformContext;
  readonly sites: readonly SiteReport[];
  /**
   * Whether the Transform section lists AWS::LanguageExtensions before this macro (the CLI knows; a macro that still
   * sees an Fn::ForEach loop runs before the loop is expanded).
   */
  readonly languageExtensionsFirst?: boolean;
}

const LANGUAGE_EXTENSIONS = 'AWS::LanguageExtensions';

const IMAGE_RESOURCE_TYPES = new Set([LAMBDA_FUNCTION, SAM_FUNCTION, TASK_DEFINITION]);

/** Whether `Metadata.SysdigImageFix` of the template or of a resource says anything about Ecs. */
function choosesEcs(owner: JsonObject): boolean {
  return hasOwn(getOwn(getOwn(owner, 'Metadata'), METADATA_KEY), 'Ecs');
}

/** Task definitions that are not sites and hold images that would be mirrored with `Ecs: true`. */
function ecsHints(input: HintInput): Hint[] {
  // Ecs set anywhere above the task definition (template Metadata or the Transform entry's Parameters) was a choice.
  if (choosesEcs(input.template) || hasOwn(input.context.transformParameters, 'Ecs')) return [];
  const withSites = new Set(input.sites.filter((site) => site.resourceType === TASK_DEFINITION).map((site) => site.logicalId));
  const resolver = createResolver(input.template, input.context);
  const classify = createImageClassifier(input.context);
  const hints: Hint[] = [];
  for (const [logicalId, resource] of taskDefinitions(input.template)) {
    if (withSites.has(logicalId) || choosesEcs(resource)) continue;
    const outside = findTaskImageSites(logicalId, resource).flatMap((site) => {
      const evaluation = resolver.evaluate(site.expression);
      if (evaluation.kind === 'no-value') return [];
      if (evaluation.kind === 'unresolvable') return [`${site.location} (known at deploy time)`];
      if (typeof evaluation.value !== 'string') return [];
      const classified = classify(evaluation.value, '');
      return classified.kind === 'mirror' || classified.kind === 'unmappable' ? [classified.image] : [];
    });
    if (outside.length === 0) continue;
    hints.push({
      level: 'note',
      logicalId,
      message:
        `${logicalId} (${TASK_DEFINITION}) runs ${outside.join(', ')}, outside private ECR of ${input.context.region}: task definitions are ` +
        `left as they are unless Metadata.${METADATA_KEY}.Ecs is true (ECS pulls from other registries itself; set Ecs: true in the ` +
        `template's or the task definition's Metadata.${METADATA_KEY} when its tasks have no route to them, e.g. in private subnets)`,
    });
  }
  return hints;
}

/** SAM functions with ImageUri and no PackageType: SAM reads them as Zip (its default) and never reads ImageUri. */
function samPackageTypeHints(input: HintInput): Hint[] {
  const resources = getOwn(input.template, 'Resources');
  if (!isJsonObject(resources)) return [];
  return Object.entries(resources).flatMap(([logicalId, resource]): Hint[] => {
    const properties = getOwn(resource, 'Properties');
    if (getOwn(resource, 'Type') !== SAM_FUNCTION || !hasOwn(properties, 'ImageUri') || hasOwn(properties, 'PackageType')) return [];
    return [
      {
        level: 'warning',
        logicalId,
        message:
          `Resource ${logicalId} (${SAM_FUNCTION}) has ImageUri but no PackageType: SAM reads it as a Zip function (its default), ` +
          `so its image is not a site and SAM refuses the function ("Only one of 'InlineCode' or 'CodeUri' can be set"), or ` +
          'ignores ImageUri when CodeUri is given. Add PackageType: Image',
      },
    ];
  });
}

/** Whether a loop's body (or a loop nested in it) holds a resource of a type with image sites. */
function loopMakesImageResources(loop: unknown): boolean {
  if (!Array.isArray(loop) || loop.length < 3) return false;
  const body = loop[2];
  if (!isJsonObject(body)) return false;
  return Object.entries(body).some(([key, value]) =>
    key.startsWith('Fn::ForEach::') ? loopMakesImageResources(value) : IMAGE_RESOURCE_TYPES.has(getOwn(value, 'Type') as string),
  );
}

/** `Fn::ForEach` loops of Resources: CloudFormation's AWS::LanguageExtensions expands them; this transform cannot. */
function forEachHints(input: HintInput): Hint[] {
  const resources = getOwn(input.template, 'Resources');
  if (!isJsonObject(resources)) return [];
  const expandedFirst = input.languageExtensionsFirst === true;
  return Object.entries(resources)
    .filter(([key, loop]) => key.startsWith('Fn::ForEach::') && loopMakesImageResources(loop))
    .map(
      ([key]): Hint => ({
        level: expandedFirst ? 'note' : 'warning',
        message: expandedFirst
          ? `Resources.${key} is an ${LANGUAGE_EXTENSIONS} loop, which only CloudFormation expands: the image sites it makes are not seen ` +
            `here, and this output does not mirror them. Deployed with the macro, CloudFormation expands the loop before the macro runs (it ` +
            'comes after AWS::LanguageExtensions in Transform), so deploy the template itself rather than this output'
          : `Resources.${key} is an ${LANGUAGE_EXTENSIONS} loop, which only CloudFormation expands: the image sites it makes are not ` +
            `mirrored. List ${LANGUAGE_EXTENSIONS} before the macro in Transform, so that CloudFormation expands the loop before the macro runs`,
      }),
    );
}

/** Every hint for one transform, in a stable order. */
export function explainTransform(input: HintInput): Hint[] {
  return [...samPackageTypeHints(input), ...ecsHints(input), ...forEachHints(input)];
}
