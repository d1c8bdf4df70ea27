// Command lines of the commands that read AWS (`mirrors`, `prune`). Every mistake is a UsageError naming the flag
// and the fix. Kept apart from args.ts so that the offline commands never load anything of these.
import { parseArgs } from 'node:util';
import type { EnvironmentVariables } from '../contract.js';
import { isRegion, repositoryPrefixProblem } from '../reference/index.js';
import { type AwsCommandName, isAwsCommand } from './aws-command-names.js';
import { UsageError } from './errors.js';
import { closest } from './suggest.js';

export type OpsFormat = 'table' | 'json';

export interface OpsOptions {
  readonly command: AwsCommandName;
  /** `--help`: print the command's help, read nothing. */
  readonly help?: true;
  readonly region: string;
  readonly profile?: string;
  readonly prefix?: string;
  readonly format: OpsFormat;
}

export interface PruneCliOptions extends OpsOptions {
  readonly command: 'prune';
  readonly olderThanMs: number;
  /** As given (`30d`), for messages. */
  readonly olderThan: string;
  readonly keepLast: number;
  readonly yes: boolean;
}

export const DEFAULT_OLDER_THAN = '30d';

const COMMON = {
  region: { type: 'string' },
  profile: { type: 'string' },
  prefix: { type: 'string' },
  format: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

const PRUNE = { ...COMMON, 'older-than': { type: 'string' }, 'keep-last': { type: 'string' }, yes: { type: 'boolean' } } as const;

const UNITS: Readonly<Record<string, number>> = { d: 86_400_000, h: 3_600_000 };

/** `30d`, `12h`: a whole number of days or hours. */
export function parseAge(text: string): number | undefined {
  const match = /^([0-9]{1,5})([dh])$/.exec(text);
  return match ? Number(match[1]) * UNITS[match[2]!]! : undefined;
}

function parseWith<T extends typeof COMMON | typeof PRUNE>(command: AwsCommandName, argv: readonly string[], options: T) {
  try {
    return parseArgs({ args: [...argv], allowPositionals: true, strict: true, options });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const unknown = /Unknown option '([^']+)'/.exec(message);
    if (unknown) {
      const meant = closest(unknown[1]!.replace(/^-+/, '').split('=')[0]!, Object.keys(options));
      const known = Object.keys(options)
        .map((name) => `--${name}`)
        .join(', ');
      throw new UsageError(`${command}: unknown option ${unknown[1]}; ${meant !== undefined ? `did you mean --${meant}?` : `the options are ${known}`}`, { cause: error });
    }
    throw new UsageError(`${command}: ${message.split('\n')[0]}`, { cause: error });
  }
}

function common(command: AwsCommandName, values: Record<string, string | boolean | undefined>, positionals: readonly string[], env: EnvironmentVariables): OpsOptions {
  if (values.help === true) return { command, region: '', format: 'table', help: true };
  if (positionals.length > 0) throw new UsageError(`${command} takes no file or other argument; unexpected "${positionals.join(' ')}"`);
  const given = values.region as string | undefined;
  const region = given ?? (env.AWS_REGION || env.AWS_DEFAULT_REGION || undefined);
  if (region === undefined) throw new UsageError(`${command} reads AWS: give --region (e.g. --region us-east-1), or set AWS_REGION`);
  if (!isRegion(region)) throw new UsageError(`${given !== undefined ? '--region' : 'AWS_REGION'} "${region}" is not an AWS region (e.g. us-east-1)`);
  const profile = values.profile as string | undefined;
  if (profile !== undefined && profile.trim() === '') throw new UsageError('--profile is empty: give a profile name of your AWS config, or leave the flag out');
  const prefix = values.prefix as string | undefined;
  const problem = prefix !== undefined ? repositoryPrefixProblem(prefix) : undefined;
  if (problem !== undefined) throw new UsageError(`--prefix "${prefix}" ${problem}`);
  const format = (values.format as string | undefined) ?? 'table';
  if (format !== 'table' && format !== 'json') throw new UsageError(`--format "${format}": use table or json`);
  return { command, region, ...(profile !== undefined ? { profile } : {}), ...(prefix !== undefined ? { prefix } : {}), format };
}

/** `argv` starts with the command name. */
export function parseOpsArgs(argv: readonly string[], env: EnvironmentVariables): OpsOptions | PruneCliOptions {
  const [command, ...rest] = argv;
  if (!isAwsCommand(command)) throw new UsageError(`not a command that reads AWS: ${String(command)}`);
  if (command === 'mirrors') {
    const { values, positionals } = parseWith(command, rest, COMMON);
    return common(command, values, positionals, env);
  }
  const { values, positionals } = parseWith(command, rest, PRUNE);
  const base = common(command, values, positionals, env);
  if (base.help) return base;
  const olderThan = values['older-than'] ?? DEFAULT_OLDER_THAN;
  const olderThanMs = parseAge(olderThan);
  if (olderThanMs === undefined) throw new UsageError(`--older-than "${olderThan}": give days or hours, e.g. 30d or 12h`);
  const keepText = values['keep-last'] ?? '0';
  if (!/^[0-9]{1,4}$/.test(keepText)) throw new UsageError(`--keep-last "${keepText}": give a whole number of images to keep per repository, e.g. 2`);
  return { ...base, command, olderThan, olderThanMs, keepLast: Number(keepText), yes: values.yes === true };
}
