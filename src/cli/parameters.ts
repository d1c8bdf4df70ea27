// Stack parameter values from the command line: `--parameter K=V` (repeatable) and `--parameter-overrides`, spelled
// as the AWS CLI (`aws cloudformation deploy --parameter-overrides K=V K2=V2`) and SAM CLI (`sam deploy
// --parameter-overrides 'K=V K2="a b"'` or `ParameterKey=K,ParameterValue=V`) spell it. `--parameter-overrides`
// takes every following word up to the next option (a word starting with `-`, `-` for standard input included) or
// `--`; each word holds one or more pairs separated by spaces.
import { UsageError } from './errors.js';

const PARAMETER_NAME = /^[A-Za-z0-9]+$/;
const OVERRIDES = '--parameter-overrides';
/** Options whose value may be the next word (it is then not a parameter word). */
const TAKES_NEXT = new Set(['--region', '--account', '--parameter', '--mirror-function-arn', '--format', '--output', '-o']);

export function parseParameters(pairs: readonly string[]): Map<string, string> {
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

/** `"a b"` or `'a b'` without its quotes; `\ `, `\"` and `\'` unescaped (SAM CLI's rule for shell-quoted values). */
function unquote(value: string): string {
  const quoted = value.length >= 2 && (value[0] === '"' || value[0] === "'") && value.at(-1) === value[0];
  return (quoted ? value.slice(1, -1) : value).replace(/\\([ "'])/g, '$1');
}

/** The space-separated items of one word; a quoted value keeps its spaces. */
function items(word: string): string[] {
  return [...word.matchAll(/(?:"(?:\\.|[^"\\])*"|'(?:\\.|[^'\\])*'|\\.|[^\s"'\\])+/g)].map((match) => match[0]);
}

function pairOf(item: string): [string, string] {
  const long = /^ParameterKey=([^,]*),ParameterValue=(.*)$/s.exec(item);
  const equals = item.indexOf('=');
  const [name, value] = long ? [long[1]!, long[2]!] : [item.slice(0, Math.max(equals, 0)), item.slice(equals + 1)];
  if ((long === null && equals === -1) || !PARAMETER_NAME.test(name)) {
    throw new UsageError(
      `${OVERRIDES} "${item}" is not NAME=VALUE (or ParameterKey=NAME,ParameterValue=VALUE): it takes every word up to the next ` +
        'option, so give FILE before it, or end its list with --',
    );
  }
  return [name, unquote(value)];
}

/** The pairs of `--parameter-overrides` words, in order. */
export function parseParameterOverrides(words: readonly string[]): [string, string][] {
  return words.flatMap((word) => items(word).map(pairOf));
}

/**
 * The command line with each `--parameter-overrides W...` turned into `--parameter=K=V` words in its place (so a later
 * value wins whichever spelling gave it); Node's parseArgs does the rest.
 */
export function expandParameterOverrides(argv: readonly string[]): string[] {
  const rest: string[] = [];
  for (let index = 0; index < argv.length; index++) {
    const word = argv[index]!;
    if (word === '--') {
      rest.push(...argv.slice(index));
      break;
    }
    if (word !== OVERRIDES && !word.startsWith(`${OVERRIDES}=`)) {
      rest.push(word);
      if (TAKES_NEXT.has(word) && index + 1 < argv.length) rest.push(argv[++index]!);
      continue;
    }
    const words = word === OVERRIDES ? [] : [word.slice(OVERRIDES.length + 1)];
    while (index + 1 < argv.length && !argv[index + 1]!.startsWith('-')) words.push(argv[++index]!);
    if (words.every((candidate) => candidate.trim().length === 0)) throw new UsageError(`${OVERRIDES} needs at least one NAME=VALUE`);
    for (const [name, value] of parseParameterOverrides(words)) rest.push(`--parameter=${name}=${value}`);
  }
  return rest;
}
