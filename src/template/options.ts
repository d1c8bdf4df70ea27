// Options, later wins: macro defaults (its environment) < the Transform entry's Parameters < template
// Metadata.SysdigImageFix < resource Metadata.SysdigImageFix. Which key is accepted where, and how each value is read,
// is option-schema.ts (one table); this module lays the levels over each other.
import { type ALL_PLATFORMS, type Architecture, DEFAULT_SERVICE_TIMEOUT, MACRO_NAME, METADATA_KEY } from '../contract.js';
import { DEFAULT_REPOSITORY_PREFIX, repositoryPrefixProblem } from '../reference/index.js';
import { InvalidOptionError } from './errors.js';
import { getOwn, hasOwn, isJsonObject, jsonEquals } from './json.js';
import { type FoundOptions, type OptionLevel, type Owner, type ParameterChoice, parseBlock, parseServiceTimeout, SERVICE_TIMEOUT_RANGE, shown } from './option-schema.js';
import type { Json, JsonObject, TransformDefaults, TransformProblem } from './types.js';

export type { ParameterChoice } from './option-schema.js';

/** Options that shape an injected mirror. */
export interface MirrorOptions {
  readonly repositoryPrefix: string;
  readonly serviceTimeout: number;
  /** Overrides the function's Architectures (a task definition's RuntimePlatform) when set. */
  readonly architecture?: Architecture;
  /** `all`: ECS task images are mirrored as published (whole index). Never applies to Lambda sites. */
  readonly platforms?: typeof ALL_PLATFORMS;
}

/** The template's own options: the mirror options, plus what to mirror beyond Lambda image sites. */
export interface TemplateOptions extends MirrorOptions {
  /** Parameters whose value is mirrored as published and whose every use reads the mirror. */
  readonly mirrorParameters: readonly ParameterChoice[];
  /** Whether ECS task definitions' container images are image sites. */
  readonly ecs: boolean;
}

export interface ResourceOptions extends MirrorOptions {
  readonly skip: boolean;
  /** A task definition's own Ecs (over the template's). */
  readonly ecs?: boolean;
}

export interface Parsed<T> {
  readonly options: T;
  readonly problems: readonly InvalidOptionError[];
}

/** The macro's own defaults (its environment), validated; invalid ones fall back to the built-in defaults. */
export function defaultOptions(defaults: TransformDefaults): Parsed<MirrorOptions> {
  const problems: InvalidOptionError[] = [];
  const owner = 'Macro configuration';
  let repositoryPrefix = DEFAULT_REPOSITORY_PREFIX;
  if (defaults.repositoryPrefix !== undefined) {
    const prefix: unknown = defaults.repositoryPrefix;
    const reason = typeof prefix === 'string' ? repositoryPrefixProblem(prefix) : 'is not a string';
    if (reason === undefined) repositoryPrefix = prefix as string;
    else problems.push(new InvalidOptionError(owner, undefined, `REPOSITORY_PREFIX ${shown(prefix)} ${reason}`));
  }
  let serviceTimeout = DEFAULT_SERVICE_TIMEOUT;
  if (defaults.serviceTimeout !== undefined) {
    const timeout = parseServiceTimeout(defaults.serviceTimeout);
    if (timeout !== undefined) serviceTimeout = timeout;
    else {
      const detail = `SERVICE_TIMEOUT ${shown(defaults.serviceTimeout)} is not ${SERVICE_TIMEOUT_RANGE}`;
      problems.push(new InvalidOptionError(owner, undefined, detail));
    }
  }
  return { options: { repositoryPrefix, serviceTimeout }, problems };
}

/**
 * `found` over `base`. On a resource, Architecture and Platforms replace each other (a task definition saying
 * `Architecture: arm64` under a template saying `Platforms: all` means arm64); the template may hold both, its
 * Architecture then being for Lambda functions and its Platforms for task definitions.
 */
function merge(base: MirrorOptions, found: FoundOptions, exclusive: boolean): MirrorOptions {
  const replaced = exclusive && (found.architecture !== undefined || found.platforms !== undefined);
  const architecture = found.architecture ?? (replaced ? undefined : base.architecture);
  const platforms = found.platforms ?? (replaced ? undefined : base.platforms);
  const merged: { -readonly [K in keyof MirrorOptions]: MirrorOptions[K] } = {
    repositoryPrefix: found.repositoryPrefix ?? base.repositoryPrefix,
    serviceTimeout: found.serviceTimeout ?? base.serviceTimeout,
  };
  if (architecture !== undefined) merged.architecture = architecture;
  if (platforms !== undefined) merged.platforms = platforms;
  return merged;
}

/** A block's `Metadata.SysdigImageFix`, when it has one. */
function blockOf(owner: JsonObject): Json | undefined {
  const metadata = getOwn(owner, 'Metadata');
  return hasOwn(metadata, METADATA_KEY) ? getOwn(metadata, METADATA_KEY) : undefined;
}

/** The template-wide options: macro defaults < Transform parameters < template `Metadata.SysdigImageFix`. */
export interface TemplateLevel extends Parsed<TemplateOptions> {
  /** Keys given in both places with different values (the Metadata's wins). */
  readonly warnings: readonly TransformProblem[];
}

const TRANSFORM_OWNER: Owner = { label: `Transform ${MACRO_NAME}`, logicalId: undefined, where: 'Parameters' };
const METADATA_OWNER: Owner = { label: 'template Metadata', logicalId: undefined, where: `Metadata.${METADATA_KEY}` };

/**
 * Template `Metadata.SysdigImageFix` over the Transform entry's Parameters (as CloudFormation passes them: see
 * transform-parameters.ts) over the macro defaults.
 */
export function templateOptions(template: JsonObject, base: MirrorOptions, transformParameters?: Json): TemplateLevel {
  const fromTransform = parseBlock(transformParameters, TRANSFORM_OWNER, 'template');
  const fromMetadata = parseBlock(blockOf(template), METADATA_OWNER, 'template');
  const found: FoundOptions = { ...fromTransform.found, ...fromMetadata.found };
  const options: TemplateOptions = { ...merge(base, found, false), mirrorParameters: found.mirrorParameters ?? [], ecs: found.ecs ?? false };
  return { options, problems: [...fromTransform.problems, ...fromMetadata.problems], warnings: overridden(transformParameters, blockOf(template)) };
}

/** A warning for each key both blocks set to different values: the user wrote two answers to one question. */
function overridden(transformParameters: Json | undefined, metadata: Json | undefined): TransformProblem[] {
  if (!isJsonObject(transformParameters) || !isJsonObject(metadata)) return [];
  return Object.keys(transformParameters)
    .filter((key) => Object.hasOwn(metadata, key) && !jsonEquals(metadata[key], transformParameters[key]))
    .map((key) => ({
      message:
        `Template: ${METADATA_OWNER.where}.${key} ${shown(metadata[key])} overrides the Transform parameter ${key} ${shown(transformParameters[key])} ` +
        '(template Metadata wins over Transform parameters); give it in one place',
    }));
}

/** Which resources may carry which options. */
export type OptionsOwner = Exclude<OptionLevel, 'template'>;

/** A resource's `Metadata.SysdigImageFix` over the template options. */
export function resourceOptions(resource: JsonObject, logicalId: string, base: MirrorOptions, kind: OptionsOwner = 'function'): Parsed<ResourceOptions> {
  const owner = { label: `Resource ${logicalId}`, logicalId, where: `Metadata.${METADATA_KEY}` };
  const { found, problems } = parseBlock(blockOf(resource), owner, kind);
  if (found.architecture !== undefined && found.platforms !== undefined) {
    problems.push(new InvalidOptionError(owner.label, logicalId, `options ${owner.where}.Architecture and .Platforms exclude each other; give one of them`));
  }
  const options: ResourceOptions = { ...merge(base, found, true), skip: found.skip ?? false, ...(found.ecs !== undefined ? { ecs: found.ecs } : {}) };
  return { options, problems };
}

/**
 * `resourceOptions` over one template's options, for many resources: those without a block of their own
 * (nearly all) share one result, computed once. Results are read only.
 */
export function createResourceOptions(base: MirrorOptions): (resource: JsonObject, logicalId: string, kind?: OptionsOwner) => Parsed<ResourceOptions> {
  let inherited: Parsed<ResourceOptions> | undefined;
  return (resource, logicalId, kind = 'function') => {
    if (blockOf(resource) !== undefined) return resourceOptions(resource, logicalId, base, kind);
    inherited ??= resourceOptions(resource, logicalId, base, kind);
    return inherited;
  };
}
