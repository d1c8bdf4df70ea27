// Options, later wins: macro defaults (its environment) < template Metadata.SysdigImageFix <
// resource Metadata.SysdigImageFix. Unknown keys and bad values are errors, never ignored: a typo
// in an option would otherwise silently mirror to the wrong place.
import { ARCHITECTURES, DEFAULT_SERVICE_TIMEOUT, METADATA_KEY, SERVICE_TIMEOUT_MAX, SERVICE_TIMEOUT_MIN, type Architecture } from '../contract.js';
import { DEFAULT_REPOSITORY_PREFIX, quoteForMessage, repositoryPrefixProblem } from '../reference/index.js';
import { InvalidOptionError } from './errors.js';
import { compactJson, getOwn, hasOwn, isJsonObject } from './json.js';
import type { Json, JsonObject, TransformDefaults } from './types.js';

/** Options that shape an injected mirror. */
export interface MirrorOptions {
  readonly repositoryPrefix: string;
  readonly serviceTimeout: number;
  /** Overrides the function's Architectures when set. */
  readonly architecture?: Architecture;
}

export interface ResourceOptions extends MirrorOptions {
  readonly skip: boolean;
}

export const OptionKey = {
  Skip: 'Skip',
  RepositoryPrefix: 'RepositoryPrefix',
  Architecture: 'Architecture',
  ServiceTimeout: 'ServiceTimeout',
} as const;

const RESOURCE_KEYS: readonly string[] = [OptionKey.Skip, OptionKey.RepositoryPrefix, OptionKey.Architecture, OptionKey.ServiceTimeout];
const TEMPLATE_KEYS: readonly string[] = [OptionKey.RepositoryPrefix, OptionKey.Architecture, OptionKey.ServiceTimeout];

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

function parseSkip(value: Json): boolean | undefined {
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
    const bad = (allowedValues: string, reason = '') => problem(`option ${owner.where}.${key} ${shown(value)} is not valid${reason}; allowed values: ${allowedValues}`);
    switch (allowed.includes(key) ? key : undefined) {
      case OptionKey.Skip: {
        const skip = parseSkip(value);
        if (skip === undefined) bad('true, false');
        else found.skip = skip;
        break;
      }
      case OptionKey.RepositoryPrefix: {
        const reason = typeof value === 'string' ? repositoryPrefixProblem(value) : 'it is not a string';
        if (reason === undefined) found.repositoryPrefix = value as string;
        else bad(`a private ECR repository name prefix such as ${DEFAULT_REPOSITORY_PREFIX}`, `: it ${reason.replace(/^it /, '')}`);
        break;
      }
      case OptionKey.Architecture:
        if (typeof value === 'string' && (ARCHITECTURES as readonly string[]).includes(value)) found.architecture = value as Architecture;
        else bad(ARCHITECTURES.join(', '));
        break;
      case OptionKey.ServiceTimeout: {
        const timeout = parseServiceTimeout(value);
        if (timeout === undefined) bad(SERVICE_TIMEOUT_RANGE);
        else found.serviceTimeout = timeout;
        break;
      }
      default: {
        const hint = key === OptionKey.Skip ? ' (Skip belongs in the Metadata of a function resource)' : '';
        problem(`unknown option ${quoteForMessage(key)} in ${owner.where}${hint}; allowed keys: ${allowed.join(', ')}`);
      }
    }
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

function merge(base: MirrorOptions, found: FoundOptions): MirrorOptions {
  const architecture = found.architecture ?? base.architecture;
  return {
    repositoryPrefix: found.repositoryPrefix ?? base.repositoryPrefix,
    serviceTimeout: found.serviceTimeout ?? base.serviceTimeout,
    ...(architecture !== undefined ? { architecture } : {}),
  };
}

/** Template `Metadata.SysdigImageFix` over the macro defaults. */
export function templateOptions(template: JsonObject, base: MirrorOptions): Parsed<MirrorOptions> {
  const metadata = getOwn(template, 'Metadata');
  const block = hasOwn(metadata, METADATA_KEY) ? getOwn(metadata, METADATA_KEY) : undefined;
  const { found, problems } = parseBlock(block, { label: 'template Metadata', logicalId: undefined, where: `Metadata.${METADATA_KEY}` }, TEMPLATE_KEYS);
  return { options: merge(base, found), problems };
}

/** A resource's `Metadata.SysdigImageFix`, when it has one. */
function resourceBlock(resource: JsonObject): Json | undefined {
  const metadata = getOwn(resource, 'Metadata');
  return hasOwn(metadata, METADATA_KEY) ? getOwn(metadata, METADATA_KEY) : undefined;
}

/** A function resource's `Metadata.SysdigImageFix` over the template options. */
export function resourceOptions(resource: JsonObject, logicalId: string, base: MirrorOptions): Parsed<ResourceOptions> {
  const block = resourceBlock(resource);
  const { found, problems } = parseBlock(block, { label: `Resource ${logicalId}`, logicalId, where: `Metadata.${METADATA_KEY}` }, RESOURCE_KEYS);
  return { options: { ...merge(base, found), skip: found.skip ?? false }, problems };
}

/**
 * `resourceOptions` over one template's options, for many resources: those without a block of their own
 * (nearly all) share one result, computed once. Results are read only.
 */
export function createResourceOptions(base: MirrorOptions): (resource: JsonObject, logicalId: string) => Parsed<ResourceOptions> {
  let inherited: Parsed<ResourceOptions> | undefined;
  return (resource, logicalId) => {
    if (resourceBlock(resource) !== undefined) return resourceOptions(resource, logicalId, base);
    inherited ??= resourceOptions(resource, logicalId, base);
    return inherited;
  };
}
