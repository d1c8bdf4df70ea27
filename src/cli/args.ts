// Command line -> what to do. Every mistake is a UsageError (exit 2) naming the flag and the fix.
import { parseArgs } from 'node:util';
import { isAccountId, isRegion } from '../reference/index.js';
import { COMMAND_NAMES, commandSpec } from './commands.js';
import { UsageError } from './errors.js';
import type { CliOptions, CommandName, OutputFormat } from './io.js';
import { expandParameterOverrides, parseParameters } from './parameters.js';
import { KNOWN_REGIONS } from './regions.js';
import { closest } from './suggest.js';

export type CliRequest = { readonly kind: 'help'; readonly command?: CommandName } | { readonly kind: 'version' } | { readonly kind: 'run'; readonly options: CliOptions };

export const OPTIONS = {
  region: { type: 'string' },
  account: { type: 'string' },
  parameter: { type: 'string', multiple: true },
  // Expanded into --parameter words before parsing (parameters.ts); listed for suggestions and the option list.
  'parameter-overrides': { type: 'string', multiple: true },
  'mirror-function-arn': { type: 'string' },
  format: { type: 'string' },
  output: { type: 'string', short: 'o' },
  quiet: { type: 'boolean', short: 'q' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean' },
} as const;

/** Node's parseArgs messages, reworded as one plain line with the fix (and the flag meant, when it is close). */
export function usageProblem(error: unknown, names: readonly string[] = Object.keys(OPTIONS)): string {
  const message = error instanceof Error ? error.message : String(error);
  const code = (error as { code?: unknown } | null)?.code;
  const unknown = /Unknown option '([^']+)'/.exec(message);
  if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' && unknown) {
    const flag = unknown[1]!;
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
  const meant = closest(command, COMMAND_NAMES);
  const list = COMMAND_NAMES.map((name) => `"${name}"`).join(', ');
  return meant !== undefined ? `unknown command "${command}"; did you mean "${meant}"?` : `unknown command "${command}": the commands are ${list}`;
}

/** `--region` (or AWS_REGION) that is not a region name: the closest known one, whatever its case. */
export function regionProblem(value: string, source: string): string {
  const meant = closest(value, KNOWN_REGIONS);
  return `${source} "${value}" is not an AWS region name${meant !== undefined ? `; did you mean ${meant}?` : ' (e.g. us-east-1)'}`;
}

/** Node's parseArgs over the CLI's options; its refusals become UsageErrors. */
function parseOptions(argv: readonly string[]) {
  try {
    return parseArgs({ args: [...argv], allowPositionals: true, strict: true, options: OPTIONS });
  } catch (error) {
    throw new UsageError(usageProblem(error), { cause: error });
  }
}

type Values = ReturnType<typeof parseOptions>['values'];

/** The values every command checks the same way. */
function checkValues(command: CommandName, values: Values): void {
  if (values.region !== undefined && !isRegion(values.region)) throw new UsageError(regionProblem(values.region, '--region'));
  if (values.account !== undefined && !isAccountId(values.account)) {
    throw new UsageError(`--account "${values.account}" is not a 12-digit AWS account id`);
  }
  const formats = commandSpec(command).formats;
  if (values.format !== undefined && !(formats as readonly string[]).includes(values.format)) {
    const others = COMMAND_NAMES.filter((name) => (commandSpec(name).formats as readonly string[]).includes(values.format!));
    throw new UsageError(`${command} --format "${values.format}": use ${formats.join(' or ')}${others.length > 0 ? ` (${values.format} is for ${others.join(', ')})` : ''}`);
  }
  const mirrorFunctionArn = values['mirror-function-arn'];
  if (mirrorFunctionArn !== undefined && mirrorFunctionArn.trim().length === 0) {
    throw new UsageError('--mirror-function-arn is empty: give the mirror function ARN, or leave the flag out');
  }
  if (values.output !== undefined && values.output.length === 0) throw new UsageError('--output is empty: give a file name, or - for standard output');
}

function commandOf(name: string | undefined): CommandName {
  if (name === undefined) throw new UsageError(`no command given: use ${COMMAND_NAMES.map((command) => `"${command}"`).join(', ')}`);
  if (!(COMMAND_NAMES as readonly string[]).includes(name)) throw new UsageError(unknownCommand(name));
  return name as CommandName;
}

export function parseCliArgs(argv: readonly string[]): CliRequest {
  const { values, positionals } = parseOptions(expandParameterOverrides(argv));
  if (values.version) return { kind: 'version' };
  if (positionals[0] === 'help') {
    if (positionals.length > 2) throw new UsageError(`help: one command at a time; unexpected "${positionals.slice(2).join(' ')}"`);
    return positionals[1] === undefined || positionals[1] === 'help' ? { kind: 'help' } : { kind: 'help', command: commandOf(positionals[1]) };
  }
  if (values.help) return positionals[0] === undefined ? { kind: 'help' } : { kind: 'help', command: commandOf(positionals[0]) };

  const [name, ...files] = positionals;
  const command = commandOf(name);
  const spec = commandSpec(command);
  if (spec.files === 'none' && files.length > 0) throw new UsageError(`${command} takes no FILE; unexpected "${files.join(' ')}"`);
  if (spec.files !== 'none' && files.length === 0) throw new UsageError(`${command}: give a template FILE, or - to read standard input`);
  if (files.length > 1 && spec.files === 'one') {
    throw new UsageError(`${command}: one template at a time; unexpected "${files.slice(1).join(' ')}" (scan takes several)`);
  }
  if (files.filter((file) => file === '-').length > 1) throw new UsageError(`${command}: standard input (-) can be read once`);
  checkValues(command, values);

  const parameters = parseParameters(values.parameter ?? []);
  const mirrorFunctionArn = values['mirror-function-arn'];
  return {
    kind: 'run',
    options: {
      command,
      files,
      ...(values.region !== undefined ? { region: values.region } : {}),
      ...(values.account !== undefined ? { account: values.account } : {}),
      parameters,
      ...(mirrorFunctionArn !== undefined ? { mirrorFunctionArn } : {}),
      ...(values.format !== undefined ? { format: values.format as OutputFormat } : {}),
      ...(values.output !== undefined ? { output: values.output } : {}),
      quiet: values.quiet ?? false,
    },
  };
}
