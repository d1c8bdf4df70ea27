// Plain scalars as CloudFormation reads them: the YAML 1.1 rules of PyYAML's SafeLoader, which cfn-lint's
// decoder (cfnlint/decode/cfn_yaml.py) uses and which the differential test compares us with. The regular
// expressions are PyYAML's resolvers (yaml/resolver.py) and the values its constructors (yaml/constructor.py):
//   `0755` is 493, `084828588479` stays a string (8 and 9 are not octal), `yes`/`off` are booleans but `y`/`n` are
//   strings, `1_000` is 1000, `0x1F` 31, `1:20` 80 (base 60), `.5` a float but `1e3` a string (1.1 floats need a
//   dot), `~` null, and a timestamp becomes the ISO 8601 text of Python's `isoformat()` (a date stays `2010-09-09`).
// Under an explicit `!!int` or `!!float` the digits are Python's int() and float() (yaml11-numbers.ts): spaces around
// them, a second sign, a `0o` or repeated `0x` prefix, other scripts' digits, `inf` and `nan` are all taken.
// The same tests decide which strings the writer must quote, so what we write reads back as what we meant.
import type { CollectionTag, ScalarTag } from 'yaml';
import { pythonInt, sexagesimalFloat, sexagesimalInt } from './yaml11-numbers.js';

const INT = /^(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+|[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+)$/;
const FLOAT =
  /^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$/;
const BOOL = /^(?:yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF)$/;
const NULL = /^(?:~|null|Null|NULL|)$/;
const MERGE = /^<<$/;
/** What PyYAML's resolver takes for a timestamp (a date needs two-digit month and day; a time, any). */
const TIMESTAMP =
  /^(?:[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]|[0-9][0-9][0-9][0-9]-[0-9][0-9]?-[0-9][0-9]?(?:[Tt]|[ \t]+)[0-9][0-9]?:[0-9][0-9]:[0-9][0-9](?:\.[0-9]*)?(?:[ \t]*(?:Z|[-+][0-9][0-9]?(?::[0-9][0-9])?))?)$/;
/** PyYAML's constructor regular expression (also what an explicit `!!timestamp` must match). */
const TIMESTAMP_PARTS =
  /^([0-9]{4})-([0-9][0-9]?)-([0-9][0-9]?)(?:(?:[Tt]|[ \t]+)([0-9][0-9]?):([0-9][0-9]):([0-9][0-9])(?:\.([0-9]*))?(?:[ \t]*(Z|([-+])([0-9][0-9]?)(?::([0-9][0-9]))?))?)?$/;
/** `=` is PyYAML's "value" type, which SafeLoader cannot construct (a plain `=` value fails to load). */
const VALUE_INDICATOR = /^=$/;

type OnError = (message: string) => void;

/**
 * Python's re.match(pattern, text): its `$` also matches before a line break that ends the text. (A lone line break
 * is not the empty text: PyYAML picks the patterns to try by the text's first character.)
 */
function pythonMatch(pattern: RegExp, text: string): RegExpExecArray | null {
  return pattern.exec(text) ?? (text.length > 1 && text.endsWith('\n') ? pattern.exec(text.slice(0, -1)) : null);
}

/**
 * PyYAML `construct_yaml_int`, exactly: underscores dropped, `0b`, `0x`, leading-zero octal, base-60 with `:`, the
 * digits read by Python's int(). Undefined (after `onError`) when it is not an integer.
 */
export function constructExactInt(source: string, onError: OnError): bigint | undefined {
  let text = source.replace(/_/g, '');
  const sign = text.startsWith('-') ? -1n : 1n;
  if (text.startsWith('-') || text.startsWith('+')) text = text.slice(1);
  let value: bigint | undefined;
  if (text === '0') value = 0n;
  else if (text.startsWith('0b')) value = pythonInt(text.slice(2), 2);
  else if (text.startsWith('0x')) value = pythonInt(text.slice(2), 16);
  else if (text.startsWith('0')) value = pythonInt(text, 8);
  else value = sexagesimalInt(text);
  if (value === undefined) onError(`${JSON.stringify(source)} is not an integer`);
  return value === undefined ? undefined : sign * value;
}

/** PyYAML `construct_yaml_int` as a JavaScript number (the nearest one past 2^53). */
export function constructInt(source: string, onError: OnError): number {
  const value = constructExactInt(source, onError);
  return value === undefined ? NaN : Number(value);
}

/** PyYAML `construct_yaml_float`. */
export function constructFloat(source: string, onError: OnError): number {
  let text = source.replace(/_/g, '').toLowerCase();
  const sign = text.startsWith('-') ? -1 : 1;
  if (text.startsWith('-') || text.startsWith('+')) text = text.slice(1);
  if (text === '.inf') return sign * Infinity;
  if (text === '.nan') return NaN;
  const value = sexagesimalFloat(text);
  if (value === undefined) {
    onError(`${JSON.stringify(source)} is not a floating point number`);
    return NaN;
  }
  return sign * value;
}

const BOOL_VALUES: Readonly<Record<string, boolean>> = { yes: true, no: false, true: true, false: false, on: true, off: false };

export function constructBool(source: string, onError: OnError): boolean {
  const value = BOOL_VALUES[source.toLowerCase()];
  if (value === undefined) onError(`${JSON.stringify(source)} is not a boolean`);
  return value ?? false;
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

const pad = (value: number, width: number) => String(value).padStart(width, '0');

/**
 * PyYAML `construct_yaml_timestamp` (a `datetime.date` or `datetime.datetime`) written as Python's
 * `isoformat()`, the text cfn-lint itself compares such values as: `2010-09-09`, or
 * `2001-12-14T21:59:43.100000-05:00`. Values Python refuses (month 13, February 30, hour 24) are errors.
 */
export function constructTimestamp(source: string, onError: OnError): string {
  const match = pythonMatch(TIMESTAMP_PARTS, source);
  if (match === null) {
    onError(`${JSON.stringify(source)} is not a timestamp`);
    return source;
  }
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  if (year < 1 || month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) {
    onError(`timestamp ${JSON.stringify(source)} is not a calendar date`);
    return source;
  }
  const date = `${pad(year, 4)}-${pad(month, 2)}-${pad(day, 2)}`;
  if (match[4] === undefined) return date;
  const [hour, minute, second] = [Number(match[4]), Number(match[5]), Number(match[6])];
  if (hour > 23 || minute > 59 || second > 59) {
    onError(`timestamp ${JSON.stringify(source)} is not a time of day`);
    return source;
  }
  const fraction = match[7] ? Number(match[7].slice(0, 6).padEnd(6, '0')) : 0;
  let zone = '';
  if (match[9] !== undefined) {
    const minutes = Number(match[10]) * 60 + Number(match[11] ?? 0);
    if (minutes >= 24 * 60) {
      onError(`timestamp ${JSON.stringify(source)} has a time zone offset of a day or more`);
      return source;
    }
    zone = `${match[9] === '-' && minutes !== 0 ? '-' : '+'}${pad(Math.floor(minutes / 60), 2)}:${pad(minutes % 60, 2)}`;
  } else if (match[8] === 'Z') zone = '+00:00';
  return `${date}T${pad(hour, 2)}:${pad(minute, 2)}:${pad(second, 2)}${fraction !== 0 ? `.${pad(fraction, 6)}` : ''}${zone}`;
}

/**
 * Python's `repr` of a float, as json.dumps writes float mapping keys: `1.0`, `0.0001`, `1e-05`, `1.5e+16`, `NaN`,
 * `-Infinity`. The digits are the shortest that read back (JavaScript and Python agree on them); Python writes them
 * with an exponent when it is below -4 or above 15.
 */
export function floatKey(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (!Number.isFinite(value)) return value < 0 ? '-Infinity' : 'Infinity';
  const [mantissa, power] = Math.abs(value).toExponential().split('e') as [string, string];
  const sign = value < 0 || Object.is(value, -0) ? '-' : '';
  const digits = mantissa.replace('.', '');
  const exponent = Number(power);
  if (exponent < -4 || exponent > 15) return `${sign}${mantissa}e${exponent < 0 ? '-' : '+'}${pad(Math.abs(exponent), 2)}`;
  if (exponent < 0) return `${sign}0.${'0'.repeat(-exponent - 1)}${digits}`;
  return `${sign}${digits.slice(0, exponent + 1).padEnd(exponent + 1, '0')}.${digits.slice(exponent + 1) || '0'}`;
}

/**
 * The identity of a timestamp mapping key as Python compares keys: a date by its day, a time without a zone by its
 * fields, a time with one by the instant it names (`10:00:00+01:00` is `09:00:00Z`); `iso` is constructTimestamp's.
 */
export function timestampIdentity(iso: string): string {
  const match = /^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(\.\d{6})?([-+])(\d\d):(\d\d)$/.exec(iso);
  if (match === null) return `t:${iso}`;
  const offset = (match[8] === '-' ? -1 : 1) * (Number(match[9]) * 60 + Number(match[10]));
  const instant = new Date(0);
  instant.setUTCFullYear(Number(match[1]), Number(match[2]) - 1, Number(match[3]));
  instant.setUTCHours(Number(match[4]), Number(match[5]) - offset, Number(match[6]));
  return `tz:${instant.getTime()}${match[7] ?? ''}`;
}

export type PlainScalarType = 'null' | 'bool' | 'int' | 'float' | 'timestamp' | 'value' | 'merge' | 'str';

const RESOLVED: readonly (readonly [RegExp, PlainScalarType])[] = [
  [NULL, 'null'],
  [BOOL, 'bool'],
  [FLOAT, 'float'],
  [INT, 'int'],
  [TIMESTAMP, 'timestamp'],
  [VALUE_INDICATOR, 'value'],
  [MERGE, 'merge'],
];

/**
 * What PyYAML's resolver makes of a plain scalar, or of any scalar under the non-specific tag `!`: the first of its
 * patterns that matches, each with Python's `$` (`! "12\n"` is an int).
 */
export function plainScalarType(source: string): PlainScalarType {
  return RESOLVED.find(([pattern]) => pythonMatch(pattern, source) !== null)?.[1] ?? 'str';
}

/**
 * A scalar under the non-specific tag `!`, of any style: PyYAML resolves its text as if it were plain. A text that
 * resolves to `=` or `<<` is not a value (PyYAML has no constructor for either); as a mapping key, `=` is that string.
 */
export function constructNonSpecific(source: string, key: boolean, onError: OnError): null | boolean | number | string {
  const type = plainScalarType(source);
  if (!key && (type === 'value' || type === 'merge')) {
    onError(`! ${JSON.stringify(source)} reads as a plain ${type === 'value' ? '=' : '<<'}, which is not a value in YAML 1.1 (PyYAML cannot load it)`);
  }
  if (type === 'null') return null;
  if (type === 'bool') return constructBool(source, onError);
  if (type === 'int') return constructInt(source, onError);
  if (type === 'float') return constructFloat(source, onError);
  return type === 'timestamp' ? constructTimestamp(source, onError) : source;
}

const TAG = {
  null: 'tag:yaml.org,2002:null',
  bool: 'tag:yaml.org,2002:bool',
  int: 'tag:yaml.org,2002:int',
  float: 'tag:yaml.org,2002:float',
  timestamp: 'tag:yaml.org,2002:timestamp',
  value: 'tag:yaml.org,2002:value',
} as const;

/** Numbers in a form a 1.1 reader takes back as numbers: an exponent needs a dot in the mantissa (`1.0e-07`). */
const stringifyNumber = ({ value }: { value: unknown }): string => {
  const number = Number(value);
  if (Number.isNaN(number)) return '.nan';
  if (!Number.isFinite(number)) return number < 0 ? '-.inf' : '.inf';
  const text = String(number);
  const [mantissa, exponent] = text.split('e');
  if (exponent === undefined) return text;
  return `${mantissa!.includes('.') ? mantissa : `${mantissa}.0`}e${exponent}`;
};

/**
 * Each type once for plain scalars (`default`, with PyYAML's test), once for an explicit `!!type` (no test: the
 * constructor decides). Only the first of each may be picked to write a JavaScript value (`identify`).
 */
function scalarType(tag: string, test: RegExp, resolve: (source: string, onError: OnError) => unknown, write?: Partial<ScalarTag>): ScalarTag[] {
  return [
    { tag, default: true, test, resolve, ...write },
    { tag, resolve },
  ];
}

/** The YAML 1.1 scalar types; `map`, `seq`, `str` and the merge key `<<` come from the yaml library itself. */
export function yaml11ScalarTags(): ScalarTag[] {
  return [
    ...scalarType(TAG.null, NULL, () => null, { identify: (value) => value === null || value === undefined, stringify: () => 'null' }),
    ...scalarType(TAG.bool, BOOL, constructBool, {
      identify: (value) => typeof value === 'boolean',
      stringify: ({ value }) => (value ? 'true' : 'false'),
    }),
    ...scalarType(TAG.int, INT, constructInt, { identify: (value) => typeof value === 'number' && Number.isInteger(value), stringify: stringifyNumber }),
    ...scalarType(TAG.float, FLOAT, constructFloat, { identify: (value) => typeof value === 'number', stringify: stringifyNumber }),
    ...scalarType(TAG.timestamp, TIMESTAMP, constructTimestamp),
    // PyYAML reads a plain `=` key as the string "=" but cannot load a plain `=` value; the reader checks values
    // (cfn-yaml.ts), and this entry makes the writer quote the string "=".
    { tag: TAG.value, default: 'key', test: VALUE_INDICATOR, resolve: (source) => source },
  ];
}

/** Tags of the yaml library's own schema that CloudFormation templates may use. */
const LIBRARY_TAGS = new Set(['tag:yaml.org,2002:map', 'tag:yaml.org,2002:seq', 'tag:yaml.org,2002:str', 'tag:yaml.org,2002:merge']);

/**
 * The library's merge key takes the string "<<" for itself when writing, and writes it plain: a `<<` value that
 * PyYAML cannot load, a `<<` key that merges. Only the key the reader made (a symbol) is a merge key; the string is
 * quoted like every other string a 1.1 reader would resolve.
 */
function mergeKeyOnly(tag: ScalarTag | CollectionTag): ScalarTag | CollectionTag {
  if (tag.tag !== 'tag:yaml.org,2002:merge') return tag;
  return { ...tag, identify: (value: unknown) => typeof value === 'symbol' && value.description === '<<' } as ScalarTag;
}

/** The schema of templates: the yaml library's collections, strings and merge key, then the 1.1 scalars above. */
export function templateTags(libraryTags: readonly (ScalarTag | CollectionTag)[]): (ScalarTag | CollectionTag)[] {
  return [...libraryTags.filter((tag) => LIBRARY_TAGS.has(tag.tag)).map(mergeKeyOnly), ...yaml11ScalarTags()];
}
