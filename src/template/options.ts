// Options, later wins: macro defaults (its environment) < template Metadata.SysdigImageFix <
// resource Metadata.SysdigImageFix. Unknown keys and bad values are errors, never ignored: a typo
// in an option would otherwise silently mirror to the wrong place.
import { ALL_PLATFORMS, ARCHITECTURES, DEFAULT_SERVICE_TIMEOUT, METADATA_KEY, SERVICE_TIMEOUT_MAX, SERVICE_TIMEOUT_MIN, type Architecture } from '../contract.js';
import { DEFAULT_REPOSITORY_PREFIX, quoteForMessage, repositoryPrefixProblem } from '../reference/index.js';
import { InvalidOptionError } from './errors.js';
import { compactJson, getOwn, hasOwn, isJsonObject } from './json.js';
import type { Json, JsonObject, TransformDefaults } from './types.js';

/** Options that shape an injected mirror. */
export interface MirrorOptions {
  readonly repositoryPrefix: string;
  readonly serviceTimeout: number;
  /** Overrides the function's Architectures (a task definition's RuntimePlatform) when set. */
  readonly architecture?: Architecture;
  /** `all`: ECS task images are mirrored as published (whole index). Never applies to Lambda sites. */
  readonly platforms?: typeof ALL_PLATFORMS;
  /** Re-read the source tag on every deployment (the mirror gets a RefreshToken). */
  readonly refresh?: boolean;
}

/** The template's own options: the mirror options, plus what to mirror beyond Lambda image sites. */
export interface TemplateOptions extends MirrorOptions {
  /** Parameters whose value is mirrored as published and whose every use reads the mirror. */
  readonly mirrorParameters: readonly string[];
  /** Whether ECS task definitions' container images are image sites. */
  readonly ecs: boolean;
}

export interface ResourceOptions extends MirrorOptions {
  readonly skip: boolean;
  /** A task definition's own Ecs (over the template's). */
  readonly ecs?: boolean;
}

export const OptionKey = {
  Skip: 'Skip',
  RepositoryPrefix: 'RepositoryPrefix',
  Architecture: 'Architecture',
  ServiceTimeout: 'ServiceTimeout',
  MirrorParameters: 'MirrorParameters',
  Ecs: 'Ecs',
  Platforms: 'Platforms',
  Refresh: 'Refresh',
} as const;

const FUNCTION_KEYS: readonly string[] = [OptionKey.Skip, OptionKey.RepositoryPrefix, OptionKey.Architecture, OptionKey.ServiceTimeout, OptionKey.Refresh];
const TASK_DEFINITION_KEYS: readonly string[] = [...FUNCTION_KEYS, OptionKey.Ecs, OptionKey.Platforms];
const TEMPLATE_KEYS: readonly string[] = [
  OptionKey.RepositoryPrefix,
  OptionKey.Architecture,
  OptionKey.ServiceTimeout,
  OptionKey.MirrorParameters,
  OptionKey.Ecs,
  OptionKey.Platforms,
  OptionKey.Refresh,
];

export interface Parsed<T> {
  readonly options: T;
  readonly problems: readonly InvalidOptionError[];
}

/** Who an option block belongs to: the message owner and the logical id of problems. */
interface Owner {
  readonly label: string;
  readonly logicalId: string | undefined;
  readonly where: string;
}

const SERVICE_TIMEOUT_RANGE = `an integer from ${SERVICE_TIMEOUT_MIN} to ${SERVICE_TIMEOUT_MAX} (seconds; a number or a numeric string)`;

function shown(value: unknown): string {
  return typeof value === 'string' ? quoteForMessage(value) : compactJson(value);
}

function parseBoolean(value: Json): boolean | undefined {
  if (value === true || value === 'true') return true;
  if (value === false || value === 'false') return false;
  return undefined;
}

function parseServiceTimeout(value: Json | undefined): number | undefined {
  const number = typeof value === 'number' ? value : typeof value === 'string' && /^[0-9]{1,7}$/.test(value) ? Number(value) : NaN;
  return Number.isInteger(number) && number >= SERVICE_TIMEOUT_MIN && number <= SERVICE_TIMEOUT_MAX ? number : undefined;
}

/** Options found in one block, before they are laid over the outer level. */
interface FoundOptions {
  skip?: boolean;
  repositoryPrefix?: string;
  architecture?: Architecture;
  serviceTimeout?: number;
  mirrorParameters?: readonly string[];
  ecs?: boolean;
  platforms?: typeof ALL_PLATFORMS;
  refresh?: boolean;
}

/** A parsed value, or the allowed values (and why not) for the message. */
type ValueParse = { readonly ok: true; readonly set: (found: FoundOptions) => void } | { readonly ok: false; readonly allowed: string; readonly reason?: string };

const accept = (set: (found: FoundOptions) => void): ValueParse => ({ ok: true, set });

/** One parser per option key. */
const PARSERS: Readonly<Record<string, (value: Json) => ValueParse>> = {
  [OptionKey.Skip]: (value) => {
    const skip = parseBoolean(value);
    return skip === undefined ? { ok: false, allowed: 'true, false' } : accept((f) => (f.skip = skip));
  },
  [OptionKey.RepositoryPrefix]: (value) => {
    const reason = typeof value === 'string' ? repositoryPrefixProblem(value) : 'it is not a string';
    if (reason === undefined) return accept((f) => (f.repositoryPrefix = value as string));
    return { ok: false, allowed: `a private ECR repository name prefix such as ${DEFAULT_REPOSITORY_PREFIX}`, reason: `: it ${reason.replace(/^it /, '')}` };
  },
  [OptionKey.Architecture]: (value) =>
    typeof value === 'string' && (ARCHITECTURES as readonly string[]).includes(value)
      ? accept((f) => (f.architecture = value as Architecture))
      : { ok: false, allowed: ARCHITECTURES.join(', ') },
  [OptionKey.ServiceTimeout]: (value) => {
    const timeout = parseServiceTimeout(value);
    return timeout === undefined ? { ok: false, allowed: SERVICE_TIMEOUT_RANGE } : accept((f) => (f.serviceTimeout = timeout));
  },
  [OptionKey.MirrorParameters]: (value) => {
    const allowed = 'a list of names of String parameters of this template';
    if (!Array.isArray(value)) return { ok: false, allowed, reason: ': it is not a list' };
    const bad = value.find((name) => typeof name !== 'string' || name === '');
    if (bad !== undefined) return { ok: false, allowed, reason: `: ${shown(bad)} is not a parameter name` };
    const names = [...new Set(value as string[])];
    return accept((f) => (f.mirrorParameters = names));
  },
  [OptionKey.Ecs]: (value) => {
    const ecs = parseBoolean(value);
    return ecs === undefined ? { ok: false, allowed: 'true, false' } : accept((f) => (f.ecs = ecs));
  },
  [OptionKey.Refresh]: (value) => {
    const refresh = parseBoolean(value);
    return refresh === undefined ? { ok: false, allowed: 'true, false' } : accept((f) => (f.refresh = refresh));
  },
  [OptionKey.Platforms]: (value) =>
    value === ALL_PLATFORMS ? accept((f) => (f.platforms = ALL_PLATFORMS)) : { ok: false, allowed: `${ALL_PLATFORMS} (or leave it out for one platform)` },
};

/** Why a known key is not allowed where it was found. */
function misplacedHint(key: string): string {
  if (key === OptionKey.Skip) return ' (Skip belongs in the Metadata of a function or task definition resource)';
  if (key === OptionKey.Platforms) return ' (Platforms: all is for ECS task definitions: Lambda refuses an image index)';
  if (key === OptionKey.Ecs) return ' (Ecs belongs in the template Metadata or in that of an AWS::ECS::TaskDefinition)';
  if (key === OptionKey.MirrorParameters) return ' (MirrorParameters belongs in the template Metadata)';
  return '';
}

function parseBlock(block: Json | undefined, owner: Owner, allowed: readonly string[]) {
  const problems: InvalidOptionError[] = [];
  const problem = (detail: string) => problems.push(new InvalidOptionError(owner.label, owner.logicalId, detail));
  const found: FoundOptions = {};
  if (block === undefined) return { found, problems };
  if (!isJsonObject(block)) {
    problem(`${owner.where} must be an object of options; allowed keys: ${allowed.join(', ')}`);
    return { found, problems };
  }
  for (const key of Object.keys(block)) {
    const value = block[key] as Json;
    const parser = allowed.includes(key) ? PARSERS[key] : undefined;
    if (parser === undefined) {
      const hint = Object.hasOwn(PARSERS, key) ? misplacedHint(key) : '';
      problem(`unknown option ${quoteForMessage(key)} in ${owner.where}${hint}; allowed keys: ${allowed.join(', ')}`);
      continue;
    }
    const parsed = parser(value);
    if (parsed.ok) parsed.set(found);
    else problem(`option ${owner.where}.${key} ${shown(value)} is not valid${parsed.reason ?? ''}; allowed values: ${parsed.allowed}`);
  }
  return { found, problems };
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
  const refresh = found.refresh ?? base.refresh;
  if (refresh !== undefined) merged.refresh = refresh;
  return merged;
}

/** A block's `Metadata.SysdigImageFix`, when it has one. */
function blockOf(owner: JsonObject): Json | undefined {
  const metadata = getOwn(owner, 'Metadata');
  return hasOwn(metadata, METADATA_KEY) ? getOwn(metadata, METADATA_KEY) : undefined;
}

/** Template `Metadata.SysdigImageFix` over the macro defaults. */
export function templateOptions(template: JsonObject, base: MirrorOptions): Parsed<TemplateOptions> {
  const { found, problems } = parseBlock(blockOf(template), { label: 'template Metadata', logicalId: undefined, where: `Metadata.${METADATA_KEY}` }, TEMPLATE_KEYS);
  return { options: { ...merge(base, found, false), mirrorParameters: found.mirrorParameters ?? [], ecs: found.ecs ?? false }, problems };
}

/** Which resources may carry which options. */
export type OptionsOwner = 'function' | 'task-definition';

/** A resource's `Metadata.SysdigImageFix` over the template options. */
export function resourceOptions(resource: JsonObject, logicalId: string, base: MirrorOptions, kind: OptionsOwner = 'function'): Parsed<ResourceOptions> {
  const owner = { label: `Resource ${logicalId}`, logicalId, where: `Metadata.${METADATA_KEY}` };
  const { found, problems } = parseBlock(blockOf(resource), owner, kind === 'function' ? FUNCTION_KEYS : TASK_DEFINITION_KEYS);
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
