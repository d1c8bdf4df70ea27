// CloudFormation YAML, read as CloudFormation and cfn-lint read it and written so that it reads back the same.
// Reading: the yaml library parses the text (keeping every node's position, for yaml-edit.ts); this module then
// turns the nodes into the template's JSON form the way cfn-lint's decoder (cfnlint/decode/cfn_yaml.py, on
// PyYAML's SafeLoader) does: YAML 1.1 scalars (yaml11.ts), any short tag `!Name` as `Fn::Name` (`!Ref` and
// `!Condition` as themselves; `!GetAtt A.B.C` as ["A", "B.C"]), merge keys, duplicate keys refused in plain
// mappings only. Writing is cfn-yaml-writer.ts's.
import {
  type Alias,
  type Document,
  isAlias,
  isMap,
  isScalar,
  isSeq,
  LineCounter,
  type Pair,
  parseDocument,
  Scalar,
  type YAMLMap,
  type CollectionTag,
  type DocumentOptions,
  type Node,
  type SchemaOptions,
  type ScalarTag,
} from 'yaml';
import type { Json, JsonObject } from '../template/types.js';
import { CfnYamlError } from './errors.js';
import { constructExactInt, constructNonSpecific, floatKey, plainScalarType, templateTags, timestampIdentity } from './yaml11.js';
import { aliasTargets, indexAliases, type ReadMeter, refuseYaml11LineBreaks } from './yaml-index.js';

export type { ReadMeter } from './yaml-index.js';

/**
 * Billion-laughs guard: the JSON form may hold at most this many nodes made by aliases and merge keys (keys
 * included), or as many as the text has characters when that is more, so reading stays linear in the text
 * (cfn-lint has no limit; templates need few).
 */
export const MAX_ALIASED_NODES = 10_000;

/** `!Name` (a local tag) -> the intrinsic's key in the JSON form. */
export function intrinsicNameOfTag(tag: string): string | undefined {
  if (!/^![^!<]/.test(tag)) return undefined;
  const suffix = tag.slice(1);
  return suffix === 'Ref' || suffix === 'Condition' ? suffix : `Fn::${suffix}`;
}

const UNRESOLVED_TAG = /^Unresolved tag: (\S+)/;

/**
 * Whether a yaml library warning is a tag PyYAML (so cfn-lint and CloudFormation) refuses. A local tag `!Name` is
 * unknown to the library's schema, which keeps the node as written with its tag (what the reader wants: `!Name` is
 * `Fn::Name`); any other unresolved tag is refused. (One schema tag per local tag name made each tagged node a search
 * through all of them: a template with thousands of different names took minutes.)
 */
function isRefusedTag(warning: { code: string; message: string }): boolean {
  if (warning.code !== 'TAG_RESOLVE_FAILED') return false;
  const tag = UNRESOLVED_TAG.exec(warning.message)?.[1];
  return tag === undefined || intrinsicNameOfTag(tag) === undefined;
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
  /** Nodes made by aliases and merges so far, and how many may be. */
  aliased: number;
  readonly aliasLimit: number;
  /** Above 0 while converting what an alias or a merge key copies. */
  depth: number;
  nanKeys: number;
  readonly meter?: ReadMeter;
}

function newWalk(document: Document.Parsed, lineCounter: LineCounter, textLength: number, meter?: ReadMeter): Walk {
  return { document, lineCounter, aliased: 0, aliasLimit: Math.max(MAX_ALIASED_NODES, textLength), depth: 0, nanKeys: 0, ...(meter ? { meter } : {}) };
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

/** A scalar under the non-specific tag `!`, of any style: PyYAML resolves its text as if it were plain. */
function resolveNonSpecific(walk: Walk, node: Scalar, key: boolean): Json {
  return constructNonSpecific(String(node.source), key, (message) => fail(walk, node, message));
}

function isPlain(node: Scalar): boolean {
  return node.type === Scalar.PLAIN || node.type === undefined;
}

/** Counts `count` nodes made by an alias or a merge key; fails past the walk's limit. */
function spend(walk: Walk, node: Node | null | undefined, count = 1): void {
  walk.aliased += count;
  if (walk.aliased > walk.aliasLimit) fail(walk, node, `aliases expand to more than ${walk.aliasLimit} nodes`);
}

/** The node an alias names (looked up in the document's index, never by walking the document). */
function aliasTarget(walk: Walk, alias: Alias): Node {
  if (walk.meter) walk.meter.steps += 1;
  return aliasTargets(walk.document)?.get(alias) ?? fail(walk, alias, `unknown alias *${alias.source}`);
}

/** The 1.1 type of a scalar: its explicit `!!type`, or what its text resolves to (plain, or under the tag `!`). */
function scalarType(node: Scalar): string {
  if (node.tag !== undefined && node.tag !== '!') return node.tag.replace('tag:yaml.org,2002:', '');
  return isPlain(node) || node.tag === '!' ? plainScalarType(String(node.source)) : 'str';
}

/** A mapping key as its JSON key (json.dumps: `true`, `493`, `1.0`), plus how Python compares keys. */
function keyOf(walk: Walk, node: Node | null): { json: string; identity: string } {
  if (walk.meter) walk.meter.steps += 1;
  if (walk.depth > 0 || isAlias(node)) spend(walk, node);
  const target = isAlias(node) ? aliasTarget(walk, node) : node;
  if (!isScalar(target)) fail(walk, node, 'a mapping key must be a scalar, not a list or mapping (nor a tagged value)');
  if (target.tag !== undefined && intrinsicNameOfTag(target.tag) !== undefined) {
    fail(walk, node, `a mapping key cannot be the intrinsic function ${target.tag}`);
  }
  const value = target.tag === '!' ? resolveNonSpecific(walk, target, true) : (target.value as unknown);
  if (value === null || value === undefined) fail(walk, node, `null key ${JSON.stringify(String(target.source ?? ''))} is not allowed`);
  if (typeof value === 'boolean') return { json: String(value), identity: `n:${Number(value)}` };
  if (typeof value === 'number') {
    // Python's integers are exact (a key keeps every digit) and keys compare by value: 1 == 1.0 == True, but
    // 2**53 + 1 != 2.0**53; a NaN equals nothing, not even itself.
    const type = scalarType(target);
    const exact = type === 'int' ? constructExactInt(String(target.source), () => undefined) : Number.isInteger(value) ? BigInt(value) : undefined;
    const json = type === 'float' ? floatKey(value) : String(exact ?? value);
    return { json, identity: Number.isNaN(value) ? `nan:${walk.nanKeys++}` : `n:${exact ?? value}` };
  }
  if (typeof value === 'string') return { json: value, identity: scalarType(target) === 'timestamp' ? timestampIdentity(value) : `s:${value}` };
  return fail(walk, node, `a mapping key must be a string, number or boolean`);
}

/** The JSON key of a mapping key node of `source` (what the reader makes of it). */
export function jsonKey(source: CfnYamlDocument, key: Node | null): string {
  return keyOf(newWalk(source.document, source.lineCounter, source.text.length), key).json;
}

/** A plain `<<` key (the yaml library resolves it to a symbol), or one under the tag `!`: PyYAML's merge. */
function isMergeKey(node: unknown): boolean {
  return isScalar(node) && (typeof node.value === 'symbol' || (node.tag === '!' && plainScalarType(String(node.source)) === 'merge'));
}

/**
 * PyYAML `flatten_mapping`: merged pairs first (earlier sources win), then the mapping's own pairs; `merged` is how
 * many pairs came from merge keys (the first ones).
 */
function flatten(walk: Walk, map: YAMLMap): { pairs: Pair[]; merged: number; usesMerge: boolean } {
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
    spend(walk, pair.value as Node, merged.length);
  }
  return { pairs: [...merged, ...own], merged: merged.length, usesMerge };
}

function derefForMerge(walk: Walk, node: Node | null): Node | null {
  return isAlias(node) ? aliasTarget(walk, node) : node;
}

function wrapIntrinsic(tag: string | undefined, value: Json): Json {
  const name = tag === undefined ? undefined : intrinsicNameOfTag(tag);
  return name === undefined ? value : { [name]: value };
}

function convertMap(walk: Walk, map: YAMLMap): JsonObject {
  const { pairs, merged, usesMerge } = flatten(walk, map);
  // cfn-lint refuses duplicate keys in plain mappings without merges; tagged mappings take the last value (PyYAML).
  const checkDuplicates = !usesMerge && (map.tag === undefined || map.tag === 'tag:yaml.org,2002:map');
  const seen = new Map<string, Node | null>();
  const result: JsonObject = {};
  for (const [index, pair] of pairs.entries()) {
    // What a merge key copies counts like what an alias copies.
    const copied = index < merged ? 1 : 0;
    walk.depth += copied;
    try {
      const keyNode = pair.key as Node | null;
      const key = keyOf(walk, keyNode);
      if (checkDuplicates && seen.has(key.identity)) {
        const first = seen.get(key.identity);
        fail(walk, keyNode, `duplicate key ${JSON.stringify(key.json)}`, ` (first ${where(walk, first)})`);
      }
      seen.set(key.identity, keyNode);
      const value = convert(walk, pair.value as Node | null);
      // Own data property even for "__proto__": template keys are data (defined only there: defineProperty is slow).
      if (key.json === '__proto__') Object.defineProperty(result, key.json, { value, enumerable: true, writable: true, configurable: true });
      else result[key.json] = value;
    } finally {
      walk.depth -= copied;
    }
  }
  return result;
}

function convert(walk: Walk, node: Node | null | undefined): Json {
  if (walk.meter) walk.meter.steps += 1;
  if (walk.depth > 0) spend(walk, node);
  if (node === null || node === undefined) return null;
  if (isAlias(node)) {
    const target = aliasTarget(walk, node);
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
    if (node.tag === '!') return resolveNonSpecific(walk, node, false);
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

/**
 * Reads a CloudFormation YAML template (JSON is YAML too) into its JSON form, keeping the parsed document.
 * Throws CfnYamlError for syntax errors, duplicate keys, values PyYAML cannot load and multiple documents.
 */
export function readCfnYaml(text: string, options: { meter?: ReadMeter } = {}): CfnYamlDocument {
  const lineCounter = new LineCounter();
  let document: Document.Parsed;
  try {
    document = parseDocument(text, { ...schemaOptions(), uniqueKeys: false, prettyErrors: true, lineCounter });
  } catch (error) {
    throw new CfnYamlError(error instanceof Error ? error.message : String(error), { cause: error });
  }
  // An unresolved tag is only a warning for the yaml library, but PyYAML (and CloudFormation) refuse it.
  const problems = [...document.errors, ...document.warnings.filter(isRefusedTag)];
  if (problems.length > 0) throw new CfnYamlError(problems.map((problem) => problem.message.trimEnd()).join('\n'), { cause: problems[0] });
  refuseYaml11LineBreaks(text, document, lineCounter, options.meter);
  // Without an anchor or alias indicator anywhere there is nothing to index.
  if (/[&*]/.test(text)) indexAliases(document, lineCounter, options.meter);
  const value = convert(newWalk(document, lineCounter, text.length, options.meter), document.contents as Node | null);
  return { text, document, lineCounter, value };
}

/** The JSON form of a YAML template. Throws CfnYamlError (see readCfnYaml). */
export function parseCfnYaml(text: string): unknown {
  return readCfnYaml(text).value;
}
