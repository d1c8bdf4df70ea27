// Every use of a mirrored parameter reads its mirror instead: `{Ref: P}` becomes `{Fn::GetAtt: [M, ImageUri]}` and
// `${P}` in an Fn::Sub string becomes `${M.ImageUri}`. Rewritten: resource Properties and Metadata, SAM Globals and
// output Values. Never: Conditions, Mappings, Parameters, Rules (they cannot read resources), the arguments of
// Fn::FindInMap, Fn::ImportValue and Fn::Transform (same), Custom::ImageMirror resources (a mirror's SourceImage is
// the parameter itself), and the image sites the caller excludes (Lambda refuses a whole-image mirror).
import { METADATA_KEY, MIRROR_RESOURCE_TYPE, MirrorAttribute } from '../contract.js';
import { copyObject, getOwn, intrinsicOf, isJsonObject, setOwn } from './json.js';
import { SUB_PLACEHOLDER, placeholderVariable } from './sub.js';
import type { Json, JsonObject } from './types.js';

/** One place that reads a mirrored parameter (or, after an earlier run, its mirror). */
export interface ParameterUse {
  readonly parameter: string;
  /** `Resources`, `Outputs` or `Globals`. */
  readonly section: string;
  /** The resource or output; absent in Globals. */
  readonly logicalId?: string;
  /** Path inside the resource or output (list indexes as strings). */
  readonly path: readonly string[];
  /** The resource's or output's Condition. */
  readonly condition?: string;
}

export interface UseRewrite {
  /** Mirrored parameter -> logical id of its mirror. */
  readonly mirrors: ReadonlyMap<string, string>;
  /** Paths inside a resource that are left alone (image sites with mirrors of their own). */
  readonly excluded: (logicalId: string, path: readonly string[]) => boolean;
}

export interface RewrittenUses {
  /** The template with every use rewritten; unchanged subtrees are the input's own objects. */
  readonly template: JsonObject;
  readonly uses: readonly ParameterUse[];
}

/** Intrinsics whose arguments CloudFormation resolves before any resource exists. */
const BEFORE_RESOURCES = new Set(['Fn::FindInMap', 'Fn::ImportValue', 'Fn::Transform']);

interface Walk {
  readonly rewrite: UseRewrite;
  /** Mirror logical id -> parameter (an earlier run's `GetAtt [M, ImageUri]` is still a use). */
  readonly byMirror: ReadonlyMap<string, string>;
  readonly uses: ParameterUse[];
  readonly section: string;
  readonly logicalId?: string;
  readonly condition?: string;
  /** Apply the exclusions (inside a resource). */
  readonly excludes: boolean;
}

function record(walk: Walk, parameter: string, path: readonly string[]): void {
  const use: { -readonly [K in keyof ParameterUse]: ParameterUse[K] } = { parameter, section: walk.section, path };
  if (walk.logicalId !== undefined) use.logicalId = walk.logicalId;
  if (walk.condition !== undefined) use.condition = walk.condition;
  walk.uses.push(use);
}

/** The mirror an `Fn::GetAtt` reads the ImageUri of, if any. */
function getAttTarget(arg: Json): string | undefined {
  if (Array.isArray(arg) && arg.length === 2 && arg[1] === MirrorAttribute.ImageUri && typeof arg[0] === 'string') return arg[0];
  if (typeof arg === 'string' && arg.endsWith(`.${MirrorAttribute.ImageUri}`)) return arg.slice(0, -`.${MirrorAttribute.ImageUri}`.length);
  return undefined;
}

/** An Fn::Sub template string with `${P}` rewritten, except `${!P}` (a literal) and names the Sub's own map defines. */
function rewriteSubText(walk: Walk, text: string, variables: Json | undefined, path: readonly string[]): string {
  return text.replace(SUB_PLACEHOLDER, (whole, content: string) => {
    const name = placeholderVariable(content);
    if (name === undefined) return whole;
    if (isJsonObject(variables) && Object.hasOwn(variables, name)) return whole;
    const mirror = walk.rewrite.mirrors.get(name);
    if (mirror !== undefined) {
      record(walk, name, path);
      return `\${${mirror}.${MirrorAttribute.ImageUri}}`;
    }
    const dot = name.indexOf('.');
    const parameter = dot > 0 && name.slice(dot + 1) === MirrorAttribute.ImageUri ? walk.byMirror.get(name.slice(0, dot)) : undefined;
    if (parameter !== undefined) record(walk, parameter, path);
    return whole;
  });
}

function rewriteSub(walk: Walk, arg: Json, path: readonly string[]): Json {
  if (typeof arg === 'string') {
    const text = rewriteSubText(walk, arg, undefined, path);
    return text === arg ? arg : text;
  }
  if (!Array.isArray(arg) || arg.length !== 2 || typeof arg[0] !== 'string') return walkValue(walk, arg, [...path, 'Fn::Sub']);
  const text = rewriteSubText(walk, arg[0], arg[1], [...path, 'Fn::Sub', '0']);
  const variables = walkValue(walk, arg[1] as Json, [...path, 'Fn::Sub', '1']);
  return text === arg[0] && variables === arg[1] ? arg : [text, variables];
}

function walkIntrinsic(walk: Walk, value: JsonObject, name: string, arg: Json, path: readonly string[]): Json {
  if (name === 'Ref' && typeof arg === 'string') {
    const mirror = walk.rewrite.mirrors.get(arg);
    if (mirror === undefined) return value;
    record(walk, arg, path);
    return { 'Fn::GetAtt': [mirror, MirrorAttribute.ImageUri] };
  }
  if (name === 'Fn::GetAtt') {
    const target = getAttTarget(arg);
    const parameter = target === undefined ? undefined : walk.byMirror.get(target);
    if (parameter !== undefined) record(walk, parameter, path);
    return value;
  }
  if (BEFORE_RESOURCES.has(name)) return value;
  const rewritten = name === 'Fn::Sub' ? rewriteSub(walk, arg, path) : walkValue(walk, arg, [...path, name]);
  return rewritten === arg ? value : { [name]: rewritten };
}

function walkValue(walk: Walk, value: Json, path: readonly string[]): Json {
  if (walk.excludes && walk.logicalId !== undefined && walk.rewrite.excluded(walk.logicalId, path)) return value;
  if (Array.isArray(value)) {
    let copy: Json[] | undefined;
    value.forEach((item, index) => {
      const rewritten = walkValue(walk, item, [...path, String(index)]);
      if (rewritten === item) return;
      copy ??= [...value];
      copy[index] = rewritten;
    });
    return copy ?? value;
  }
  if (!isJsonObject(value)) return value;
  const intrinsic = intrinsicOf(value);
  if (intrinsic !== undefined) return walkIntrinsic(walk, value, intrinsic[0], intrinsic[1], path);
  let copy: JsonObject | undefined;
  for (const key of Object.keys(value)) {
    const item = value[key] as Json;
    const rewritten = walkValue(walk, item, [...path, key]);
    if (rewritten === item) continue;
    copy ??= copyObject(value);
    setOwn(copy, key, rewritten);
  }
  return copy ?? value;
}

/** One entry (resource or output): the listed keys are walked, the rest kept. */
function walkEntry(walk: Walk, entry: JsonObject, keys: readonly string[]): JsonObject {
  let copy: JsonObject | undefined;
  for (const key of keys) {
    const item = getOwn(entry, key);
    if (item === undefined) continue;
    // The macro's own options are not template values.
    const target = key === 'Metadata' && isJsonObject(item) ? withoutOptions(walk, item) : walkValue(walk, item, [key]);
    if (target === item) continue;
    copy ??= copyObject(entry);
    setOwn(copy, key, target);
  }
  return copy ?? entry;
}

function withoutOptions(walk: Walk, metadata: JsonObject): Json {
  let copy: JsonObject | undefined;
  for (const key of Object.keys(metadata)) {
    if (key === METADATA_KEY) continue;
    const item = metadata[key] as Json;
    const rewritten = walkValue(walk, item, ['Metadata', key]);
    if (rewritten === item) continue;
    copy ??= copyObject(metadata);
    setOwn(copy, key, rewritten);
  }
  return copy ?? metadata;
}

/** Walks one section's entries; returns the section (a copy only when something changed). */
function walkSection(template: JsonObject, name: string, keys: readonly string[] | undefined, base: Omit<Walk, 'section'>): Json | undefined {
  const section = getOwn(template, name);
  if (!isJsonObject(section)) return section;
  if (keys === undefined) return walkValue({ ...base, section: name, excludes: false }, section, []);
  let copy: JsonObject | undefined;
  for (const id of Object.keys(section)) {
    const entry = section[id];
    if (!isJsonObject(entry) || (name === 'Resources' && getOwn(entry, 'Type') === MIRROR_RESOURCE_TYPE)) continue;
    const condition = getOwn(entry, 'Condition');
    const walk: Walk = { ...base, section: name, logicalId: id, excludes: name === 'Resources', ...(typeof condition === 'string' ? { condition } : {}) };
    const rewritten = walkEntry(walk, entry, name === 'Resources' ? ['Properties', 'Metadata'] : keys);
    if (rewritten === entry) continue;
    copy ??= copyObject(section);
    setOwn(copy, id, rewritten);
  }
  return copy ?? section;
}

/** Every use of the mirrored parameters, found and rewritten in one walk. */
export function rewriteParameterUses(template: JsonObject, rewrite: UseRewrite): RewrittenUses {
  const uses: ParameterUse[] = [];
  if (rewrite.mirrors.size === 0) return { template, uses };
  const byMirror = new Map([...rewrite.mirrors].map(([parameter, mirror]) => [mirror, parameter]));
  const base = { rewrite, byMirror, uses, excludes: false };
  let output: JsonObject | undefined;
  for (const [name, keys] of [
    ['Resources', []],
    ['Outputs', ['Value']],
    ['Globals', undefined],
  ] as const) {
    const section = getOwn(template, name);
    const rewritten = walkSection(template, name, keys, base);
    if (rewritten === section || rewritten === undefined) continue;
    output ??= copyObject(template);
    setOwn(output, name, rewritten);
  }
  return { template: output ?? template, uses };
}
