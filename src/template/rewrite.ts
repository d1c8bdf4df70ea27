// Plans one Custom::ImageMirror per distinct (source, architecture) and rewrites the template:
// sites read `Fn::GetAtt [<mirror>, ImageUri]`, mirrors are appended after the existing resources,
// and nothing else changes. The rewritten template shares every untouched subtree with the input.
import { createHash } from 'node:crypto';
import { ALL_PLATFORMS, METADATA_KEY, MIRROR_LOGICAL_ID_PREFIX, MIRROR_RESOURCE_TYPE, MirrorAttribute, MirrorProperty } from '../contract.js';
import { quoteForMessage } from '../reference/index.js';
import { MirrorConflictError, MissingMirrorFunctionError, type TransformError } from './errors.js';
import { canonicalJson } from '../values.js';
import { cloneJson, compactJson, copyObject, getOwn, hasOwn, isJsonObject, jsonEquals, setOwn } from './json.js';
import type { MirrorOptions } from './options.js';
import { expressionOf, type MirrorPlatform } from './architecture.js';
import type { Json, JsonObject } from './types.js';

export type MirrorSource =
  /** A literal string: its normalised reference identifies the mirror, is its SourceImage and names its repository. */
  | { readonly kind: 'literal'; readonly image: string; readonly repositoryName: string }
  /**
   * An intrinsic: it stays the SourceImage and identifies the mirror, and the mirror function names the repository
   * after the value CloudFormation passes (RepositoryPrefix), so the output stays right with other parameter values.
   * `image` is the value for the parameters known at transform time, when they resolve it.
   */
  | { readonly kind: 'expression'; readonly expression: Json; readonly image?: string };

/** What identifies a mirror (see MirrorNamer). */
export interface MirrorIdentity {
  /** Canonical JSON of {source, architecture}: the same for the same mirror whatever the key order. */
  readonly key: string;
  readonly logicalId: string;
}

/** One site that needs a mirror. */
export interface MirrorRequest {
  readonly logicalId: string;
  /** Where the site is in its resource; absent for a parameter mirror (its uses are rewritten instead). */
  readonly path?: readonly string[];
  readonly condition?: string;
  readonly source: MirrorSource;
  readonly architecture: MirrorPlatform;
  readonly options: MirrorOptions;
  readonly mirror: MirrorIdentity;
}

export interface PlannedMirror {
  readonly logicalId: string;
  readonly resource: JsonObject;
  /** False when an identical resource already sits in the template under that id. */
  readonly append: boolean;
}

/** The mirrors to inject into the template, or why they cannot be (what a Custom::ImageMirror request means is core/plan.ts's MirrorPlan). */
export interface InjectionPlan {
  readonly mirrors: readonly PlannedMirror[];
  readonly problems: readonly TransformError[];
}

/**
 * The source part of a mirror's identity: the normalised reference of a literal, else the expression. Two sites
 * `!Ref A` and `!Ref B` never share a mirror, even when A and B have the same value now: deployed with another
 * value for B, B's function would run A's image.
 */
function identifyingSource(source: MirrorSource): Json {
  return source.kind === 'literal' ? source.image : source.expression;
}

function mirrorIdentity(source: MirrorSource, architecture: MirrorPlatform): MirrorIdentity {
  const key = canonicalJson({ source: identifyingSource(source), architecture: expressionOf(architecture) });
  // `ImageMirror` + the first 8 hex of sha256 of the canonical {source, architecture}.
  return { key, logicalId: MIRROR_LOGICAL_ID_PREFIX + createHash('sha256').update(key).digest('hex').slice(0, 8) };
}

export function mirrorLogicalId(source: MirrorSource, architecture: MirrorPlatform): string {
  return mirrorIdentity(source, architecture).logicalId;
}

export type MirrorNamer = (source: MirrorSource, architecture: MirrorPlatform) => MirrorIdentity;

/**
 * Mirror identities computed once per distinct (source, architecture): templates repeat a few images
 * across many functions, and canonical JSON plus sha256 for every site was a measurable part of the
 * transform's time. One namer per transform run (no state survives a run).
 */
export function createMirrorNamer(): MirrorNamer {
  const identities = new Map<string, MirrorIdentity>();
  return (source, architecture) => {
    // Plain JSON is a cheap lookup key; spellings that differ only in key order get separate entries
    // holding the same identity.
    const lookup = JSON.stringify([identifyingSource(source), expressionOf(architecture)]);
    let identity = identities.get(lookup);
    if (identity === undefined) {
      identity = mirrorIdentity(source, architecture);
      identities.set(lookup, identity);
    }
    return identity;
  };
}

export function mirrorReference(mirrorLogicalId: string): JsonObject {
  return { 'Fn::GetAtt': [mirrorLogicalId, MirrorAttribute.ImageUri] };
}

/** "image mirror <id> (<source>, <architecture>)", for messages. */
function describeMirror(first: MirrorRequest): string {
  const { source, architecture } = first;
  const shownSource = source.kind === 'literal' ? source.image : compactJson(source.expression);
  return `image mirror ${first.mirror.logicalId} (${shownSource}, ${compactJson(expressionOf(architecture))})`;
}

/** The distinct logical ids of a group's sites, for messages. */
function siteNamesOf(group: readonly MirrorRequest[]): string {
  return [...new Set(group.map((r) => r.logicalId))].join(', ');
}

/** A new resource: the values taken from the template are copied, so no object appears twice in the output. */
function mirrorResource(first: MirrorRequest, condition: string | undefined, serviceToken: Json, refreshToken: Json | undefined): JsonObject {
  const { source, architecture, options } = first;
  const properties: JsonObject = {
    [MirrorProperty.ServiceToken]: cloneJson(serviceToken),
    [MirrorProperty.ServiceTimeout]: options.serviceTimeout,
    [MirrorProperty.SourceImage]: source.kind === 'literal' ? source.image : cloneJson(source.expression),
    // A whole-image mirror has Platforms instead of Architecture (the contract makes them exclusive).
    ...(architecture.kind === 'all' ? { [MirrorProperty.Platforms]: ALL_PLATFORMS } : { [MirrorProperty.Architecture]: cloneJson(expressionOf(architecture)) }),
    ...(source.kind === 'literal' ? { [MirrorProperty.RepositoryName]: source.repositoryName } : { [MirrorProperty.RepositoryPrefix]: options.repositoryPrefix }),
    ...(refreshToken !== undefined ? { [MirrorProperty.RefreshToken]: cloneJson(refreshToken) } : {}),
  };
  return {
    Type: MIRROR_RESOURCE_TYPE,
    ...(condition !== undefined ? { Condition: condition } : {}),
    Properties: properties,
  };
}

/**
 * Groups requests into mirrors and checks them against each other and against the template. Sites share a
 * mirror when they have the same literal image (`nginx:1.27` and `docker.io/library/nginx:1.27`) or the same
 * expression, and the same architecture; a mirror is built from the first request of its group in template order.
 */
export function planMirrors(
  template: JsonObject,
  requests: readonly MirrorRequest[],
  serviceToken: Json | undefined,
  /** The RefreshToken of the mirror built from this request (refresh.ts), if it refreshes. */
  refreshTokenOf: (first: MirrorRequest) => Json | undefined = () => undefined,
): InjectionPlan {
  const problems: TransformError[] = [];
  if (requests.length > 0 && (serviceToken === undefined || serviceToken === null || serviceToken === '')) {
    problems.push(new MissingMirrorFunctionError([...new Set(requests.map((r) => r.logicalId))]));
  }
  const mirrors: PlannedMirror[] = [];
  for (const [id, group] of groupByMirror(requests)) {
    if (!checkGroup(id, group, problems)) continue;
    const placed = placeMirror(template, id, group, serviceToken, refreshTokenOf(group[0]!), problems);
    if (placed !== undefined) mirrors.push(placed);
  }
  return { mirrors, problems };
}

/** The requests of each mirror, by its logical id, in template order. */
function groupByMirror(requests: readonly MirrorRequest[]): Map<string, MirrorRequest[]> {
  const groups = new Map<string, MirrorRequest[]>();
  for (const request of requests) {
    const id = request.mirror.logicalId;
    const group = groups.get(id);
    if (group) group.push(request);
    else groups.set(id, [request]);
  }
  return groups;
}

/** The sites of one mirror against each other: a hash collision, or options that differ. False when any is found. */
function checkGroup(id: string, group: readonly MirrorRequest[], problems: TransformError[]): boolean {
  const first = group[0]!;
  let consistent = true;
  for (const other of group.slice(1)) {
    if (other.mirror.key !== first.mirror.key) {
      // Two different images with the same 8 hex: vanishingly rare, but never merge them silently.
      consistent = false;
      problems.push(
        new MirrorConflictError(
          `Resources ${first.logicalId} and ${other.logicalId}: different images hash to the same mirror id ${id}; ` +
            'set Metadata.SysdigImageFix.Skip on one of them and mirror it by hand',
          other.logicalId,
        ),
      );
      continue;
    }
    for (const [option, a, b] of [
      ['RepositoryPrefix', first.options.repositoryPrefix, other.options.repositoryPrefix],
      ['ServiceTimeout', first.options.serviceTimeout, other.options.serviceTimeout],
      ['Refresh', first.options.refresh ?? false, other.options.refresh ?? false],
    ] as const) {
      if (a === b) continue;
      consistent = false;
      const show = (v: string | number | boolean) => (typeof v === 'string' ? quoteForMessage(v) : String(v));
      problems.push(
        new MirrorConflictError(
          `Resources ${first.logicalId} and ${other.logicalId} share ${describeMirror(first)} but ask for different ${option} ` +
            `(${show(a)} and ${show(b)}); give both the same Metadata.${METADATA_KEY}.${option}`,
          other.logicalId,
        ),
      );
    }
  }
  return consistent;
}

/** Where one mirror goes: appended, already in the template as it would be written, or a clash with the template. */
function placeMirror(
  template: JsonObject,
  id: string,
  group: readonly MirrorRequest[],
  serviceToken: Json | undefined,
  refreshToken: Json | undefined,
  problems: TransformError[],
): PlannedMirror | undefined {
  const first = group[0]!;
  // The mirror is only ever needed by its sites; a Condition they all share keeps it from being built alone.
  const conditions = new Set(group.map((r) => r.condition));
  const condition = conditions.size === 1 ? first.condition : undefined;
  const resource = mirrorResource(first, condition, serviceToken ?? null, refreshToken);
  if (hasOwn(getOwn(template, 'Parameters'), id)) {
    problems.push(
      new MirrorConflictError(
        `Template: parameter ${id} has the logical id of the ${describeMirror(first)} that ${siteNamesOf(group)} need; rename the parameter`,
        undefined,
      ),
    );
    return undefined;
  }
  const resources = getOwn(template, 'Resources');
  if (hasOwn(resources, id)) {
    if (jsonEquals(getOwn(resources, id), resource)) return { logicalId: id, resource, append: false };
    problems.push(
      new MirrorConflictError(`Resource ${id}: this logical id is taken, but ${siteNamesOf(group)} need it for ${describeMirror(first)}; rename the existing resource`, id),
    );
    return undefined;
  }
  return { logicalId: id, resource, append: true };
}

/**
 * A copy of `object` with the value at `path` replaced (a numeric key indexes a list). Only the objects and lists
 * along the path are copied; undefined when the path does not lead through them.
 */
function replacedAt(object: Json | undefined, path: readonly string[], value: Json): Json[] | JsonObject | undefined {
  const [key, ...rest] = path;
  if (key === undefined) return undefined;
  if (Array.isArray(object)) {
    const index = /^(0|[1-9][0-9]*)$/.test(key) ? Number(key) : -1;
    if (index < 0 || index >= object.length) return undefined;
    const child = rest.length === 0 ? value : replacedAt(object[index], rest, value);
    if (child === undefined) return undefined;
    const copy = [...object];
    copy[index] = child;
    return copy;
  }
  if (!isJsonObject(object)) return undefined;
  const child = rest.length === 0 ? value : replacedAt(getOwn(object, key), rest, value);
  if (child === undefined) return undefined;
  const copy = copyObject(object);
  setOwn(copy, key, child);
  return copy;
}

/**
 * A new template: each request's site reads from its mirror, and new mirrors follow the existing resources.
 * Structural sharing: only the top level, `Resources` and the objects on the path to each rewritten site are
 * new; every other subtree IS the input's object. The input is never mutated, so this is safe, but the result
 * may share subtrees with the input: a caller that edits the result must copy what it edits.
 */
export function rewriteTemplate(template: JsonObject, requests: readonly MirrorRequest[], plan: InjectionPlan): JsonObject {
  const output = copyObject(template);
  const resources = getOwn(template, 'Resources');
  if (!isJsonObject(resources)) return output;
  const outputResources = copyObject(resources);
  setOwn(output, 'Resources', outputResources);
  for (const request of requests) {
    if (request.path === undefined) continue;
    const reference = mirrorReference(request.mirror.logicalId);
    const rewritten = replacedAt(getOwn(outputResources, request.logicalId), request.path, reference);
    if (rewritten === undefined) throw new Error(`site ${request.logicalId}.${request.path.join('.')} vanished while rewriting`);
    setOwn(outputResources, request.logicalId, rewritten);
  }
  for (const mirror of plan.mirrors) {
    // Each planned resource is built fresh for this run, so it goes in as is.
    if (mirror.append) setOwn(outputResources, mirror.logicalId, mirror.resource);
  }
  return output;
}
