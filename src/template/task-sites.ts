// ECS task definitions as image sites (opt-in: `Ecs: true` on the template or the task definition): each
// `ContainerDefinitions[n].Image`, and the one platform its tasks run on (`RuntimePlatform.CpuArchitecture`).
import { DEFAULT_ARCHITECTURE, type Architecture } from '../contract.js';
import { ALL_PLATFORMS_CHOICE, type MirrorPlatform } from './architecture.js';
import { InvalidArchitectureError } from './errors.js';
import { compactJson, getOwn, hasOwn, intrinsicOf, isJsonObject } from './json.js';
import type { MirrorOptions } from './options.js';
import type { Resolver } from './resolve/resolver.js';
import type { ImageSite } from './sites.js';
import type { Json, JsonObject, Mutable } from './types.js';

export const TASK_DEFINITION = 'AWS::ECS::TaskDefinition';

/** ECS's CpuArchitecture values and the mirror architecture each means. */
const CPU_ARCHITECTURES: Readonly<Record<string, Architecture>> = { X86_64: 'x86_64', ARM64: 'arm64' };

/** The task definition resources of a template, by logical id, in order. */
export function taskDefinitions(template: JsonObject): [string, JsonObject][] {
  const resources = getOwn(template, 'Resources');
  if (!isJsonObject(resources)) return [];
  // A loop over the keys: Object.entries made a pair for every resource of the template, and most are not task definitions.
  const found: [string, JsonObject][] = [];
  for (const logicalId of Object.keys(resources)) {
    const resource = resources[logicalId];
    if (isJsonObject(resource) && getOwn(resource, 'Type') === TASK_DEFINITION) found.push([logicalId, resource]);
  }
  return found;
}

/**
 * The image sites of one task definition: each container definition with an `Image`. A ContainerDefinitions (or a
 * container definition) that is itself an intrinsic is left to CloudFormation, like an intrinsic Lambda `Code`.
 */
export function findTaskImageSites(logicalId: string, resource: JsonObject): ImageSite[] {
  const containers = getOwn(getOwn(resource, 'Properties'), 'ContainerDefinitions');
  if (!Array.isArray(containers)) return [];
  const sites: ImageSite[] = [];
  const condition = getOwn(resource, 'Condition');
  containers.forEach((container, index) => {
    if (!isJsonObject(container) || intrinsicOf(container) || !hasOwn(container, 'Image')) return;
    const site: Mutable<ImageSite> = {
      logicalId,
      resourceType: TASK_DEFINITION,
      resource,
      path: ['Properties', 'ContainerDefinitions', String(index), 'Image'],
      expression: getOwn(container, 'Image')!,
      opaque: false,
      location: `${logicalId}.ContainerDefinitions[${index}].Image`,
    };
    if (typeof condition === 'string') site.condition = condition;
    sites.push(site);
  });
  return sites;
}

function invalid(site: ImageSite, value: Json, reason: string): never {
  throw new InvalidArchitectureError(
    site.logicalId,
    'RuntimePlatform.CpuArchitecture',
    compactJson(value),
    reason,
    'Use X86_64 or ARM64, or set Metadata.SysdigImageFix.Architecture (x86_64, arm64) or Platforms: all on the task definition',
  );
}

/**
 * What a task image's mirror copies: `Platforms: all` when the options say so, else the Architecture option, else
 * `RuntimePlatform.CpuArchitecture` (ECS's default X86_64 when absent). A CpuArchitecture expression gets a whole-image
 * mirror: ECS, unlike Lambda, runs an image index, and only the whole image is right for every value the expression
 * may take at deploy time (the mirror's Architecture takes x86_64/arm64, not ECS's spelling). Throws
 * InvalidArchitectureError for a value ECS refuses.
 */
export function taskPlatform(site: ImageSite, options: MirrorOptions, resolver: Resolver): MirrorPlatform {
  if (options.platforms !== undefined) return ALL_PLATFORMS_CHOICE;
  if (options.architecture !== undefined) return { kind: 'literal', architecture: options.architecture };
  const platform = getOwn(getOwn(site.resource, 'Properties'), 'RuntimePlatform');
  const cpu = getOwn(platform, 'CpuArchitecture');
  if (cpu === undefined) return { kind: 'literal', architecture: DEFAULT_ARCHITECTURE };
  const evaluation = resolver.evaluate(cpu);
  if (evaluation.kind === 'no-value') return { kind: 'literal', architecture: DEFAULT_ARCHITECTURE };
  if (evaluation.kind === 'value') {
    const value = evaluation.value;
    const architecture = typeof value === 'string' && Object.hasOwn(CPU_ARCHITECTURES, value) ? CPU_ARCHITECTURES[value] : undefined;
    if (architecture === undefined) invalid(site, cpu, `${compactJson(value)} is not one of ${Object.keys(CPU_ARCHITECTURES).join(', ')}`);
    if (intrinsicOf(cpu) === undefined) return { kind: 'literal', architecture };
  }
  return ALL_PLATFORMS_CHOICE;
}
