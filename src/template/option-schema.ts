// Every option key, in one table: where it is accepted and how its value is read. Adding a key is one entry here
// (plus the field its parser sets). Template-level keys are accepted alike in `Metadata.SysdigImageFix` and in the
// Transform entry's Parameters. Unknown keys and bad values are problems, never ignored: a typo in an option would
// otherwise silently mirror to the wrong place.
import { ALL_PLATFORMS, ARCHITECTURES, SERVICE_TIMEOUT_MAX, SERVICE_TIMEOUT_MIN, type Architecture } from '../contract.js';
import { DEFAULT_REPOSITORY_PREFIX, quoteForMessage, repositoryPrefixProblem } from '../reference/index.js';
import { InvalidOptionError } from './errors.js';
import { compactJson, getOwn, intrinsicOf, isJsonObject } from './json.js';
import { shortList } from './message.js';
import type { Json } from './types.js';

/** Where an option block is: the template (Metadata or Transform parameters), a function, a task definition. */
export type OptionLevel = 'template' | 'function' | 'task-definition';

/** A parameter named in MirrorParameters, with the one platform its mirror copies when given (else all). */
export interface ParameterChoice {
  readonly name: string;
  readonly architecture?: Architecture;
}

/** Options found in one block, before they are laid over the outer level. */
export interface FoundOptions {
  skip?: boolean;
  repositoryPrefix?: string;
  architecture?: Architecture;
  serviceTimeout?: number;
  mirrorParameters?: readonly ParameterChoice[];
  ecs?: boolean;
  platforms?: typeof ALL_PLATFORMS;
}

/** A parsed value, or the allowed values (and why not) for the message. */
type ValueParse = { readonly ok: true; readonly set: (found: FoundOptions) => void } | { readonly ok: false; readonly allowed: string; readonly reason?: string };

interface OptionSpec {
  readonly levels: readonly OptionLevel[];
  readonly parse: (value: Json) => ValueParse;
  /** Said after "unknown option" where the key is known but not accepted. */
  readonly misplaced?: string;
}

const accept = (set: (found: FoundOptions) => void): ValueParse => ({ ok: true, set });
const EVERYWHERE: readonly OptionLevel[] = ['template', 'function', 'task-definition'];

export const SERVICE_TIMEOUT_RANGE = `an integer from ${SERVICE_TIMEOUT_MIN} to ${SERVICE_TIMEOUT_MAX} (seconds; a number or a numeric string)`;

export function parseServiceTimeout(value: Json | undefined): number | undefined {
  const number = typeof value === 'number' ? value : typeof value === 'string' && /^[0-9]{1,7}$/.test(value) ? Number(value) : NaN;
  return Number.isInteger(number) && number >= SERVICE_TIMEOUT_MIN && number <= SERVICE_TIMEOUT_MAX ? number : undefined;
}

function parseBoolean(value: Json): boolean | undefined {
  if (value === true || value === 'true') return true;
  if (value === false || value === 'false') return false;
  return undefined;
}

/** A parser for a true/false option (a boolean or its string). */
const booleanOption =
  (set: (found: FoundOptions, value: boolean) => void) =>
  (value: Json): ValueParse => {
    const parsed = parseBoolean(value);
    return parsed === undefined ? { ok: false, allowed: 'true, false' } : accept((f) => set(f, parsed));
  };

const isArchitecture = (value: unknown): value is Architecture => typeof value === 'string' && (ARCHITECTURES as readonly string[]).includes(value);

/** `shown` for messages: a string quoted (and cut), anything else as compact JSON (cut). */
export function shown(value: unknown): string {
  if (typeof value === 'string') return quoteForMessage(value);
  const json = compactJson(value);
  return json.length > 200 ? `${json.slice(0, 200)}…` : json;
}

/** One MirrorParameters entry: a parameter name, or `{Name, Architecture}` for a one-platform mirror. */
function parameterChoice(entry: Json): ParameterChoice | string {
  if (typeof entry === 'string') return entry === '' ? `${shown(entry)} is not a parameter name` : { name: entry };
  if (!isJsonObject(entry)) return `${shown(entry)} is not a parameter name`;
  if (intrinsicOf(entry) !== undefined) return `${shown(entry)} is not a parameter name (write the parameter's name itself)`;
  const unknown = Object.keys(entry).filter((key) => key !== 'Name' && key !== 'Architecture');
  if (unknown.length > 0) return `${shown(entry)} has unknown key ${quoteForMessage(unknown[0]!)} (keys: Name, Architecture)`;
  const name = getOwn(entry, 'Name');
  if (typeof name !== 'string' || name === '') return `${shown(entry)} has no Name (the parameter's name)`;
  const architecture = getOwn(entry, 'Architecture');
  if (architecture === undefined) return { name };
  if (!isArchitecture(architecture)) return `${shown(entry)} has Architecture ${shown(architecture)}, not one of ${ARCHITECTURES.join(', ')}`;
  return { name, architecture };
}

function parseMirrorParameters(value: Json): ValueParse {
  const allowed = `a list of names of String parameters of this template, each a name or {Name: <parameter>, Architecture: ${ARCHITECTURES.join(' | ')}}`;
  if (!Array.isArray(value)) return { ok: false, allowed, reason: ': it is not a list' };
  const choices = new Map<string, ParameterChoice>();
  for (const entry of value) {
    const choice = parameterChoice(entry);
    if (typeof choice === 'string') return { ok: false, allowed, reason: `: ${choice}` };
    const earlier = choices.get(choice.name);
    if (earlier !== undefined && earlier.architecture !== choice.architecture) {
      return { ok: false, allowed, reason: `: parameter ${quoteForMessage(choice.name)} is listed twice with different Architecture` };
    }
    choices.set(choice.name, choice);
  }
  return accept((f) => (f.mirrorParameters = [...choices.values()]));
}

/** Every option, in the order messages list them. */
const OPTIONS: Readonly<Record<string, OptionSpec>> = {
  Skip: {
    levels: ['function', 'task-definition'],
    parse: booleanOption((f, skip) => (f.skip = skip)),
    misplaced: ' (Skip belongs in the Metadata of a function or task definition resource)',
  },
  RepositoryPrefix: {
    levels: EVERYWHERE,
    parse: (value) => {
      const reason = typeof value === 'string' ? repositoryPrefixProblem(value) : 'it is not a string';
      if (reason === undefined) return accept((f) => (f.repositoryPrefix = value as string));
      return { ok: false, allowed: `a private ECR repository name prefix such as ${DEFAULT_REPOSITORY_PREFIX}`, reason: `: it ${reason.replace(/^it /, '')}` };
    },
  },
  Architecture: {
    levels: EVERYWHERE,
    parse: (value) => (isArchitecture(value) ? accept((f) => (f.architecture = value)) : { ok: false, allowed: ARCHITECTURES.join(', ') }),
  },
  ServiceTimeout: {
    levels: EVERYWHERE,
    parse: (value) => {
      const timeout = parseServiceTimeout(value);
      return timeout === undefined ? { ok: false, allowed: SERVICE_TIMEOUT_RANGE } : accept((f) => (f.serviceTimeout = timeout));
    },
  },
  MirrorParameters: {
    levels: ['template'],
    parse: parseMirrorParameters,
    misplaced: ' (MirrorParameters belongs in the template Metadata or the Transform parameters)',
  },
  Ecs: {
    levels: ['template', 'task-definition'],
    parse: booleanOption((f, ecs) => (f.ecs = ecs)),
    misplaced: ' (Ecs belongs in the template Metadata or in that of an AWS::ECS::TaskDefinition)',
  },
  Platforms: {
    levels: ['template', 'task-definition'],
    parse: (value) =>
      value === ALL_PLATFORMS ? accept((f) => (f.platforms = ALL_PLATFORMS)) : { ok: false, allowed: `${ALL_PLATFORMS} (or leave it out for one platform)` },
    misplaced: ' (Platforms: all is for ECS task definitions: Lambda refuses an image index)',
  },
};

/** Every option key, in message order. */
export function allOptionKeys(): readonly string[] {
  return Object.keys(OPTIONS);
}

/** The keys accepted at a level, in message order. */
export function optionKeys(level: OptionLevel): readonly string[] {
  return Object.keys(OPTIONS).filter((key) => OPTIONS[key]!.levels.includes(level));
}

/** Who an option block belongs to: the message owner and the logical id of problems. */
export interface Owner {
  readonly label: string;
  readonly logicalId: string | undefined;
  /** Where the block is, e.g. `Metadata.SysdigImageFix`, `Transform Parameters`. */
  readonly where: string;
}

export interface ParsedBlock {
  readonly found: FoundOptions;
  readonly problems: InvalidOptionError[];
}

/** Reads one option block: every key checked against the level and its parser; every problem collected. */
export function parseBlock(block: Json | undefined, owner: Owner, level: OptionLevel): ParsedBlock {
  const allowed = optionKeys(level);
  const problems: InvalidOptionError[] = [];
  const problem = (detail: string) => problems.push(new InvalidOptionError(owner.label, owner.logicalId, detail));
  const found: FoundOptions = {};
  if (block === undefined) return { found, problems };
  if (!isJsonObject(block)) {
    problem(`${owner.where} must be an object of options; allowed keys: ${allowed.join(', ')}`);
    return { found, problems };
  }
  const unknown: string[] = [];
  let unknownAt = 0;
  for (const key of Object.keys(block)) {
    const spec = Object.hasOwn(OPTIONS, key) ? OPTIONS[key]! : undefined;
    if (spec === undefined || !spec.levels.includes(level)) {
      if (spec?.misplaced !== undefined) problem(`unknown option ${quoteForMessage(key)} in ${owner.where}${spec.misplaced}; allowed keys: ${allowed.join(', ')}`);
      else if (unknown.push(key) === 1) unknownAt = problems.length;
      continue;
    }
    const value = block[key] as Json;
    const parsed = spec.parse(value);
    if (parsed.ok) parsed.set(found);
    else problem(`option ${owner.where}.${key} ${shown(value)} is not valid${parsed.reason ?? ''}; allowed values: ${parsed.allowed}`);
  }
  // One problem for all unknown keys of a block, where the first one is: many typos in a block are said once.
  if (unknown.length > 0) {
    const keys = shortList(unknown.map((key) => quoteForMessage(key, 64)));
    problem(`unknown option${unknown.length === 1 ? '' : 's'} ${keys} in ${owner.where}; allowed keys: ${allowed.join(', ')}`);
    problems.splice(unknownAt, 0, problems.pop()!);
  }
  return { found, problems };
}
