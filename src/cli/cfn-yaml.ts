// CloudFormation YAML, read as CloudFormation and cfn-lint read it and written so that it reads back the same.
// Reading: the yaml library parses the text (keeping every node's position, for yaml-edit.ts); this module then
// turns the nodes into the template's JSON form the way cfn-lint's decoder (cfnlint/decode/cfn_yaml.py, on
// PyYAML's SafeLoader) does: YAML 1.1 scalars (yaml11.ts), any short tag `!Name` as `Fn::Name` (`!Ref` and
// `!Condition` as themselves; `!GetAtt A.B.C` as ["A", "B.C"]), merge keys, duplicate keys refused in plain
// mappings only. Writing is cfn-yaml-writer.ts's.
import {
  CST,
  type Document,
  isAlias,
  isMap,
  isScalar,
  isSeq,
  Lexer,
  LineCounter,
  type Pair,
  parseDocument,
  Scalar,
  visit,
  type YAMLMap,
  type CollectionTag,
  type DocumentOptions,
  type Node,
  type ParseOptions,
  type SchemaOptions,
  type ScalarTag,
} from 'yaml';
import type { Json, JsonObject } from '../template/types.js';
import { CfnYamlError } from './errors.js';
import { plainScalarType, templateTags, yaml11ScalarTags } from './yaml11.js';

/** Billion-laughs guard: nodes reached through aliases (cfn-lint has no limit; templates need few). */
export const MAX_ALIASED_NODES = 10_000;

/** `!Name` (a local tag) -> the intrinsic's key in the JSON form. */
export function intrinsicNameOfTag(tag: string): string | undefined {
  if (!/^![^!<]/.test(tag)) return undefined;
  const suffix = tag.slice(1);
  return suffix === 'Ref' || suffix === 'Condition' ? suffix : `Fn::${suffix}`;
}

/** An identity tag for each local tag the text uses, so the yaml library keeps the node as it is written. */
function localTags(text: string): (ScalarTag | CollectionTag)[] {
  const names = new Set<string>();
  for (const token of new Lexer().lex(text)) {
    if (CST.tokenType(token) === 'tag' && intrinsicNameOfTag(token) !== undefined) names.add(token);
  }
  return [...names].flatMap((tag): (ScalarTag | CollectionTag)[] => [
    { tag, resolve: (source: string) => source },
    { tag, collection: 'seq', resolve: (node) => node },
    { tag, collection: 'map', resolve: (node) => node },
  ]);
}

/** Options shared by reading and writing: YAML 1.1 and the template schema. */
export function schemaOptions(extra: (ScalarTag | CollectionTag)[] = []): DocumentOptions & SchemaOptions {
  return { version: '1.1', customTags: (tags) => [...templateTags(tags as (ScalarTag | CollectionTag)[]), ...extra] };
}

export interface CfnYamlDocument {
  readonly text: string;
  /** The parsed document; its nodes carry `range` offsets into `text`. */
  readonly document: Document.Parsed;
  readonly lineCounter: LineCounter;
  /** The template in its JSON form. */
  readonly value: Json;
}

interface Walk {
  readonly document: Document.Parsed;
  readonly lineCounter: LineCounter;
  aliased: number;
  depth: number;
  nanKeys: number;
}

/** `at line L, column C`, as the yaml library words its own errors. */
function where(walk: Walk, node: Node | null | undefined): string {
  const offset = node?.range?.[0];
  if (offset === undefined) return '';
  const { line, col } = walk.lineCounter.linePos(offset);
  return `at line ${line}, column ${col}`;
}

function fail(walk: Walk, node: Node | null | undefined, message: string, detail = ''): never {
  const position = where(walk, node);
  throw new CfnYamlError(`${message}${position === '' ? '' : ` ${position}`}${detail}`);
}

const PLAIN_DEFAULT_TAGS = yaml11ScalarTags().filter((tag) => tag.default === true);

/** What a plain scalar means under the 1.1 rules (for `! value`, the non-specific tag, which PyYAML resolves). */
function resolvePlain(source: string, walk: Walk, node: Node): Json {
  const tag = PLAIN_DEFAULT_TAGS.find((candidate) => candidate.test?.test(source));
  if (tag === undefined) return source;
  return tag.resolve(source, (message) => fail(walk, node, message), {} as ParseOptions) as Json;
}

/** Python's `repr` of a float, as json.dumps writes float mapping keys (`1.0`, `Infinity`). */
function floatKey(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (!Number.isFinite(value)) return value < 0 ? '-Infinity' : 'Infinity';
  if (Number.isInteger(value) && Math.abs(value) < 1e16) return `${Object.is(value, -0) ? '-0' : value}.0`;
  return String(value);
}

function isPlain(node: Scalar): boolean {
  return node.type === Scalar.PLAIN || node.type === undefined;
}

/** The 1.1 type of a scalar: its explicit `!!type`, or what its plain text resolves to. */
function scalarType(node: Scalar): string {
  if (node.tag !== undefined) return node.tag.replace('tag:yaml.org,2002:', '');
  return isPlain(node) ? plainScalarType(String(node.source)) : 'str';
}

/** A mapping key as its JSON key (json.dumps: `true`, `493`, `1.0`), plus how Python compares keys. */
function keyOf(walk: Walk, node: Node | null): { json: string; identity: string } {
  const target = isAlias(node) ? (node.resolve(walk.document) as Node | undefined) : node;
  if (!isScalar(target)) fail(walk, node, 'a mapping key must be a scalar, not a list or mapping (nor a tagged value)');
  if (target.tag !== undefined && intrinsicNameOfTag(target.tag) !== undefined) {
    fail(walk, node, `a mapping key cannot be the intrinsic function ${target.tag}`);
  }
  const value = target.tag === '!' && isPlain(target) ? resolvePlain(String(target.source), walk, target) : (target.value as unknown);
  if (value === null || value === undefined) fail(walk, node, `null key ${JSON.stringify(String(target.source ?? ''))} is not allowed`);
  if (typeof value === 'boolean') return { json: String(value), identity: `n:${Number(value)}` };
  if (typeof value === 'number') {
    const json = scalarType(target) === 'float' ? floatKey(value) : String(value);
    // Python compares keys by value (1 == 1.0 == True), and a NaN equals nothing, not even itself.
    return { json, identity: Number.isNaN(value) ? `nan:${walk.nanKeys++}` : `n:${value}` };
  }
  if (typeof value === 'string') return { json: value, identity: `${scalarType(target) === 'timestamp' ? 't' : 's'}:${value}` };
  return fail(walk, node, `a mapping key must be a string, number or boolean`);
}

/** The JSON key of a mapping key node of `source` (what the reader makes of it). */
export function jsonKey(source: CfnYamlDocument, key: Node | null): string {
  return keyOf({ document: source.document, lineCounter: source.lineCounter, aliased: 0, depth: 0, nanKeys: 0 }, key).json;
}

/** A plain `<<` key: PyYAML's merge (the yaml library resolves it to a symbol). */
function isMergeKey(node: unknown): boolean {
  return isScalar(node) && typeof node.value === 'symbol';
}

/** PyYAML `flatten_mapping`: merged pairs first (earlier sources win), then the mapping's own pairs. */
function flatten(walk: Walk, map: YAMLMap): { pairs: Pair[]; merged: boolean } {
  const merged: Pair[] = [];
  const own: Pair[] = [];
  let usesMerge = false;
  for (const pair of map.items as Pair[]) {
    if (!isMergeKey(pair.key)) {
      own.push(pair);
      continue;
    }
    usesMerge = true;
    const source = derefForMerge(walk, pair.value as Node | null);
    const sources = isSeq(source) ? (source.items as Node[]).map((item) => derefForMerge(walk, item)) : [source];
    const flattened: Pair[][] = [];
    for (const item of sources) {
      if (!isMap(item)) fail(walk, pair.value as Node, 'a merge key "<<" takes a mapping or a list of mappings');
      flattened.push(flatten(walk, item).pairs);
    }
    for (const pairs of flattened.reverse()) merged.push(...pairs);
    // Merged pairs are copies too: repeated merges of merges must not expand without bound.
    walk.aliased += merged.length;
    if (walk.aliased > MAX_ALIASED_NODES) fail(walk, pair.value as Node, `aliases expand to more than ${MAX_ALIASED_NODES} nodes`);
  }
  return { pairs: [...merged, ...own], merged: usesMerge };
}

function derefForMerge(walk: Walk, node: Node | null): Node | null {
  if (!isAlias(node)) return node;
  return (node.resolve(walk.document) as Node | undefined) ?? fail(walk, node, `unknown alias *${node.source}`);
}

function wrapIntrinsic(tag: string | undefined, value: Json): Json {
  const name = tag === undefined ? undefined : intrinsicNameOfTag(tag);
  return name === undefined ? value : { [name]: value };
}

function convertMap(walk: Walk, map: YAMLMap): JsonObject {
  const { pairs, merged } = flatten(walk, map);
  // cfn-lint refuses duplicate keys in plain mappings without merges; tagged mappings take the last value (PyYAML).
  const checkDuplicates = !merged && (map.tag === undefined || map.tag === 'tag:yaml.org,2002:map');
  const seen = new Map<string, Node | null>();
  const result: JsonObject = {};
  for (const pair of pairs) {
    const keyNode = pair.key as Node | null;
    const key = keyOf(walk, keyNode);
    if (checkDuplicates && seen.has(key.identity)) {
      const first = seen.get(key.identity);
      fail(walk, keyNode, `duplicate key ${JSON.stringify(key.json)}`, ` (first ${where(walk, first)})`);
    }
    seen.set(key.identity, keyNode);
    const value = convert(walk, pair.value as Node | null);
    // Own data property even for "__proto__": template keys are data.
    Object.defineProperty(result, key.json, { value, enumerable: true, writable: true, configurable: true });
  }
  return result;
}

function convert(walk: Walk, node: Node | null | undefined): Json {
  if (walk.depth > 0) walk.aliased += 1;
  if (walk.aliased > MAX_ALIASED_NODES) fail(walk, node, `aliases expand to more than ${MAX_ALIASED_NODES} nodes`);
  if (node === null || node === undefined) return null;
  if (isAlias(node)) {
    const target = node.resolve(walk.document) as Node | undefined;
    if (target === undefined) fail(walk, node, `unknown alias *${node.source}`);
    walk.depth += 1;
    try {
      return convert(walk, target);
    } finally {
      walk.depth -= 1;
    }
  }
  if (isScalar(node)) {
    const local = node.tag !== undefined && intrinsicNameOfTag(node.tag) !== undefined;
    if (local) {
      const text = String(node.value ?? '');
      if (node.tag === '!GetAtt') {
        const dot = text.indexOf('.');
        return { 'Fn::GetAtt': dot === -1 ? [text] : [text.slice(0, dot), text.slice(dot + 1)] };
      }
      return wrapIntrinsic(node.tag, text);
    }
    if (node.tag === '!' && isPlain(node)) return resolvePlain(String(node.source), walk, node);
    const value = node.value as unknown;
    if (isPlain(node) && node.tag === undefined && (value === '=' || value === '<<')) {
      fail(walk, node, `a plain ${value} is not a value in YAML 1.1 (PyYAML cannot load it); quote it: "${value}"`);
    }
    if (typeof value === 'symbol') fail(walk, node, 'a merge key "<<" is not a value');
    if (value === undefined) return null;
    if (value !== null && typeof value === 'object') fail(walk, node, 'this value has no JSON form');
    return value as Json;
  }
  if (isSeq(node)) {
    const items = (node.items as Node[]).map((item) => convert(walk, item));
    return wrapIntrinsic(node.tag, items);
  }
  if (isMap(node)) return wrapIntrinsic(node.tag, convertMap(walk, node));
  return fail(walk, node, 'unsupported YAML node');
}

const YAML11_LINE_BREAK = /[\u0085\u2028\u2029]/g;

/**
 * NEL, LS and PS are line breaks in YAML 1.1 (PyYAML, so CloudFormation and cfn-lint break the line there) but
 * ordinary characters in 1.2 (the yaml library). Outside quotes they would change the template's structure for one
 * reader and not the other, so they are refused there. Inside quotes PyYAML keeps LS and PS as they are (as the
 * yaml library does) but folds NEL into a space, so NEL is refused everywhere.
 */
function refuseYaml11LineBreaks(text: string, document: Document.Parsed, lineCounter: LineCounter): void {
  const found = [...text.matchAll(YAML11_LINE_BREAK)].map((match) => match.index);
  if (found.length === 0) return;
  const quoted: [number, number][] = [];
  visit(document, {
    Scalar(_key, node) {
      if ((node.type === Scalar.QUOTE_DOUBLE || node.type === Scalar.QUOTE_SINGLE) && node.range) quoted.push([node.range[0], node.range[1]]);
    },
  });
  const outside = found.find((offset) => text[offset] === '\u0085' || !quoted.some(([start, end]) => offset > start && offset < end));
  if (outside === undefined) return;
  const { line, col } = lineCounter.linePos(outside);
  const code = `U+${text.charCodeAt(outside).toString(16).toUpperCase().padStart(4, '0')}`;
  throw new CfnYamlError(
    `${code} at line ${line}, column ${col} is a line break in YAML 1.1, which CloudFormation uses (YAML 1.2 readers do not break the line there): put the value in quotes or remove the character`,
  );
}

/**
 * Reads a CloudFormation YAML template (JSON is YAML too) into its JSON form, keeping the parsed document.
 * Throws CfnYamlError for syntax errors, duplicate keys, values PyYAML cannot load and multiple documents.
 */
export function readCfnYaml(text: string): CfnYamlDocument {
  const lineCounter = new LineCounter();
  let document: Document.Parsed;
  try {
    document = parseDocument(text, { ...schemaOptions(localTags(text)), uniqueKeys: false, prettyErrors: true, lineCounter });
  } catch (error) {
    throw new CfnYamlError(error instanceof Error ? error.message : String(error), { cause: error });
  }
  // An unresolved tag is only a warning for the yaml library, but PyYAML (and CloudFormation) refuse it.
  const problems = [...document.errors, ...document.warnings.filter((warning) => warning.code === 'TAG_RESOLVE_FAILED')];
  if (problems.length > 0) throw new CfnYamlError(problems.map((problem) => problem.message.trimEnd()).join('\n'), { cause: problems[0] });
  refuseYaml11LineBreaks(text, document, lineCounter);
  const value = convert({ document, lineCounter, aliased: 0, depth: 0, nanKeys: 0 }, document.contents as Node | null);
  return { text, document, lineCounter, value };
}

/** The JSON form of a YAML template. Throws CfnYamlError (see readCfnYaml). */
export function parseCfnYaml(text: string): unknown {
  return readCfnYaml(text).value;
}
