// Command line -> what to do. Every mistake is a UsageError (exit 2) naming the flag and the fix.
import { parseArgs } from 'node:util';
import { isAccountId, isRegion } from '../reference/index.js';
import { UsageError } from './errors.js';
import { closest } from './suggest.js';
import { TEMPLATE_FORMATS, type TemplateFormat } from './template-text.js';

export type CliCommandName = 'transform' | 'scan';
export const CLI_COMMANDS: readonly CliCommandName[] = ['transform', 'scan'];

export interface CliOptions {
  readonly command: CliCommandName;
  /** A path, or `-` for standard input. */
  readonly file: string;
  readonly region?: string;
  readonly account?: string;
  /** `--parameter K=V` in order; a later value for the same K wins. */
  readonly parameters: ReadonlyMap<string, string>;
  readonly mirrorFunctionArn?: string;
  readonly format?: TemplateFormat;
}

export type CliRequest = { readonly kind: 'help' } | { readonly kind: 'version' } | { readonly kind: 'run'; readonly options: CliOptions };

const OPTIONS = {
  region: { type: 'string' },
  account: { type: 'string' },
  parameter: { type: 'string', multiple: true },
  'mirror-function-arn': { type: 'string' },
  format: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean' },
} as const;

/** Node's parseArgs messages, reworded as one plain line with the fix (and the flag meant, when it is close). */
function usageProblem(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const code = (error as { code?: unknown } | null)?.code;
  const unknown = /Unknown option '([^']+)'/.exec(message);
  if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' && unknown) {
    const flag = unknown[1]!;
    const names = Object.keys(OPTIONS);
    const meant = closest(flag.replace(/^-+/, '').split('=')[0]!, names);
    return meant !== undefined
      ? `unknown option ${flag}; did you mean --${meant}?`
      : `unknown option ${flag}; the options are ${names.map((name) => `--${name}`).join(', ')}`;
  }
  const missing = /Option '(-[^ ']*(?:, )?--[^ ']+|--[^ ']+) <value>' argument missing/.exec(message);
  if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE' && missing) return `${missing[1]!.split(', ').pop()} needs a value`;
  return message.split('\n')[0]!;
}

function unknownCommand(command: string): string {
  const meant = closest(command, CLI_COMMANDS);
  return meant !== undefined ? `unknown command "${command}"; did you mean "${meant}"?` : `unknown command "${command}": use "transform" or "scan"`;
}

const PARAMETER_NAME = /^[A-Za-z0-9]+$/;

function parseParameters(pairs: readonly string[]): Map<string, string> {
  const parameters = new Map<string, string>();
  for (const pair of pairs) {
    const equals = pair.indexOf('=');
    const name = equals === -1 ? pair : pair.slice(0, equals);
    if (equals === -1 || !PARAMETER_NAME.test(name)) {
      throw new UsageError(`--parameter "${pair}": expected NAME=VALUE, NAME being a template parameter (letters and digits)`);
    }
    parameters.set(name, pair.slice(equals + 1));
  }
  return parameters;
}

/** Node's parseArgs over the CLI's options; its refusals become UsageErrors. */
function parseOptions(argv: readonly string[]) {
  try {
    return parseArgs({ args: [...argv], allowPositionals: true, strict: true, options: OPTIONS });
  } catch (error) {
    throw new UsageError(usageProblem(error), { cause: error });
  }
}

export function parseCliArgs(argv: readonly string[]): CliRequest {
  const { values, positionals } = parseOptions(argv);
  if (values.help) return { kind: 'help' };
  if (values.version) return { kind: 'version' };

  const [command, file, ...extra] = positionals;
  if (command === undefined) throw new UsageError('no command given: use "transform" or "scan"');
  if (!(CLI_COMMANDS as readonly string[]).includes(command)) {
    throw new UsageError(unknownCommand(command));
  }
  if (file === undefined) throw new UsageError(`${command}: give a template FILE, or - to read standard input`);
  if (extra.length > 0) throw new UsageError(`${command}: one template at a time; unexpected "${extra.join(' ')}"`);

  if (values.region !== undefined && !isRegion(values.region)) {
    throw new UsageError(`--region "${values.region}" is not an AWS region (e.g. us-east-1)`);
  }
  if (values.account !== undefined && !isAccountId(values.account)) {
    throw new UsageError(`--account "${values.account}" is not a 12-digit AWS account id`);
  }
  if (values.format !== undefined && !(TEMPLATE_FORMATS as readonly string[]).includes(values.format)) {
    throw new UsageError(`--format "${values.format}": use yaml or json`);
  }
  const mirrorFunctionArn = values['mirror-function-arn'];
  if (mirrorFunctionArn !== undefined && mirrorFunctionArn.trim().length === 0) {
    throw new UsageError('--mirror-function-arn is empty: give the mirror function ARN, or leave the flag out');
  }

  return {
    kind: 'run',
    options: {
      command: command as CliCommandName,
      file,
      ...(values.region !== undefined ? { region: values.region } : {}),
      ...(values.account !== undefined ? { account: values.account } : {}),
      parameters: parseParameters(values.parameter ?? []),
      ...(mirrorFunctionArn !== undefined ? { mirrorFunctionArn } : {}),
      ...(values.format !== undefined ? { format: values.format as TemplateFormat } : {}),
    },
  };
}
