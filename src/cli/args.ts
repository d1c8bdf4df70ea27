// Command line -> what to do. Every mistake is a UsageError (exit 2) naming the flag and the fix.
import { parseArgs } from 'node:util';
import { isAccountId, isRegion } from '../reference/index.js';
import { UsageError } from './errors.js';
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

export type CliRequest = { readonly kind: 'help' } | { readonly kind: 'run'; readonly options: CliOptions };

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

export function parseCliArgs(argv: readonly string[]): CliRequest {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      strict: true,
      options: {
        region: { type: 'string' },
        account: { type: 'string' },
        parameter: { type: 'string', multiple: true },
        'mirror-function-arn': { type: 'string' },
        format: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error), { cause: error });
  }
  const { values, positionals } = parsed;
  if (values.help) return { kind: 'help' };

  const [command, file, ...extra] = positionals;
  if (command === undefined) throw new UsageError('no command given: use "transform" or "scan"');
  if (!(CLI_COMMANDS as readonly string[]).includes(command)) {
    throw new UsageError(`unknown command "${command}": use "transform" or "scan"`);
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
