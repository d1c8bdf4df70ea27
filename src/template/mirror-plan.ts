// Plans one Custom::ImageMirror per distinct (source, architecture): the sites that share it, checked against each
// other, the resource to inject, and the condition under which it exists (any of its sites needs it). Where it goes
// in the template, and what it waits for, is rewrite.ts and mirror-order.ts.
import { createHash } from 'node:crypto';
import { ALL_PLATFORMS, METADATA_KEY, MIRROR_LOGICAL_ID_PREFIX, MIRROR_RESOURCE_TYPE, MirrorAttribute, MirrorProperty } from '../contract.js';
import { quoteForMessage } from '../reference/index.js';
import { canonicalJson } from '../values.js';
import { expressionOf, type MirrorPlatform } from './architecture.js';
import { MirrorConflictError, MissingMirrorFunctionError, type TransformError } from './errors.js';
import { cloneJson, compactJson, getOwn, hasOwn } from './json.js';
import { shortList } from './message.js';
import type { MirrorOptions } from './options.js';
import { ALWAYS, conditionFunction, type Formula, or, reachableUnder } from './presence.js';
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
  /** When the site needs the mirror (presence.ts); absent: always. */
  readonly when?: Formula;
  /** What the site's resource waits for (its DependsOn): the mirror waits for it too (mirror-order.ts). */
  readonly dependsOn?: readonly string[];
  readonly source: MirrorSource;
  readonly architecture: MirrorPlatform;
  readonly options: MirrorOptions;
  readonly mirror: MirrorIdentity;
}

export interface PlannedMirror {
  readonly logicalId: string;
  /** The resource to inject, without DependsOn (mirror-order.ts adds it). */
  readonly resource: JsonObject;
  /** Its sites, in template order. */
  readonly requests: readonly MirrorRequest[];
  /** When it exists: when any of its sites needs it. */
  readonly when: Formula;
  /** A new Conditions entry the resource's Condition names, when `when` is more than one condition. */
  readonly condition?: { readonly name: string; readonly body: JsonObject };
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
  // canonicalJson({source, architecture}) written with its two keys in their sorted order (no object to build and
  // sort for every mirror); the namer's tests hold it to that.
  const key = `{"architecture":${canonicalJson(expressionOf(architecture))},"source":${canonicalJson(identifyingSource(source))}}`;
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
  // By architecture, then by source; spellings that differ only in key order get separate entries holding the
  // same identity.
  const identities: ByValue<ByValue<MirrorIdentity>> = byValue();
  return (source, architecture) => {
    const architectureValue = expressionOf(architecture);
    let bySource = lookUp(identities, architectureValue);
    if (bySource === undefined) {
      bySource = byValue();
      remember(identities, architectureValue, bySource);
    }
    const sourceValue = identifyingSource(source);
    let identity = lookUp(bySource, sourceValue);
    if (identity === undefined) {
      identity = mirrorIdentity(source, architecture);
      remember(bySource, sourceValue, identity);
    }
    return identity;
  };
}

/**
 * Entries by JSON value: a string under itself (most sources and architectures are strings, the same string for
 * every site of one image, and JSON for every site was a measured cost), anything else under its JSON, in a map of
 * its own, so that a string never meets the JSON of an expression.
 */
interface ByValue<T> {
  readonly strings: Map<string, T>;
  readonly others: Map<string, T>;
}

const byValue = <T>(): ByValue<T> => ({ strings: new Map(), others: new Map() });

function lookUp<T>(map: ByValue<T>, value: Json): T | undefined {
  return typeof value === 'string' ? map.strings.get(value) : map.others.get(JSON.stringify(value));
}

function remember<T>(map: ByValue<T>, value: Json, entry: T): void {
  if (typeof value === 'string') map.strings.set(value, entry);
  else map.others.set(JSON.stringify(value), entry);
}

export function mirrorReference(mirrorLogicalId: string): JsonObject {
  return { 'Fn::GetAtt': [mirrorLogicalId, MirrorAttribute.ImageUri] };
}

/** "image mirror <id> (<source>, <architecture>)", for messages. */
export function describeMirror(first: MirrorRequest): string {
  const { source, architecture } = first;
  const shownSource = source.kind === 'literal' ? source.image : compactJson(source.expression);
  return `image mirror ${first.mirror.logicalId} (${shownSource.length > 200 ? `${shownSource.slice(0, 200)}…` : shownSource}, ${compactJson(expressionOf(architecture))})`;
}

/** The distinct logical ids of a group's sites, for messages. */
export function siteNamesOf(group: readonly MirrorRequest[]): string {
  return shortList([...new Set(group.map((r) => r.logicalId))]);
}

/** The Conditions entry of a mirror whose condition is more than one named condition. */
export const mirrorConditionName = (mirrorLogicalId: string): string => `${mirrorLogicalId}Needed`;

/** A new resource: the values taken from the template are copied, so no object appears twice in the output. */
function mirrorResource(first: MirrorRequest, when: Formula, condition: string | undefined, serviceToken: Json, refreshToken: Json | undefined): JsonObject {
  const { source, architecture, options } = first;
  // Built property by property, in the order written (spreads of conditional literals, once per mirror, were a
  // measured cost).
  const properties: JsonObject = {};
  properties[MirrorProperty.ServiceToken] = cloneJson(serviceToken);
  properties[MirrorProperty.ServiceTimeout] = options.serviceTimeout;
  // Expressions as they evaluate while the mirror exists (its identity is still the site's whole expression).
  properties[MirrorProperty.SourceImage] = source.kind === 'literal' ? source.image : cloneJson(reachableUnder(source.expression, when));
  // A whole-image mirror has Platforms instead of Architecture (the contract makes them exclusive).
  if (architecture.kind === 'all') properties[MirrorProperty.Platforms] = ALL_PLATFORMS;
  else properties[MirrorProperty.Architecture] = cloneJson(reachableUnder(expressionOf(architecture), when));
  if (source.kind === 'literal') properties[MirrorProperty.RepositoryName] = source.repositoryName;
  else properties[MirrorProperty.RepositoryPrefix] = options.repositoryPrefix;
  if (refreshToken !== undefined) properties[MirrorProperty.RefreshToken] = cloneJson(refreshToken);
  const resource: JsonObject = { Type: MIRROR_RESOURCE_TYPE };
  if (condition !== undefined) resource.Condition = condition;
  resource.Properties = properties;
  return resource;
}

/**
 * Groups requests into mirrors and checks them against each other and against the template's parameters. Sites
 * share a mirror when they have the same literal image (`nginx:1.27` and `docker.io/library/nginx:1.27`) or the same
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
    if (hasOwn(getOwn(template, 'Parameters'), id)) {
      const message = `Template: parameter ${id} has the logical id of the ${describeMirror(group[0]!)} that ${siteNamesOf(group)} need; rename the parameter`;
      problems.push(new MirrorConflictError(message, undefined));
      continue;
    }
    mirrors.push(plannedMirror(id, group, serviceToken ?? null, refreshTokenOf(group[0]!)));
  }
  return { mirrors, problems };
}

/** The mirror of one group: its condition is when any of its sites needs it. */
function plannedMirror(id: string, group: readonly MirrorRequest[], serviceToken: Json, refreshToken: Json | undefined): PlannedMirror {
  const when = or(...group.map((request) => request.when ?? ALWAYS));
  const first = group[0]!;
  if (when.kind === 'always' || when.kind === 'never' || when.kind === 'condition') {
    const resource = mirrorResource(first, when, when.kind === 'condition' ? when.name : undefined, serviceToken, refreshToken);
    return { logicalId: id, resource, requests: group, when };
  }
  const name = mirrorConditionName(id);
  const resource = mirrorResource(first, when, name, serviceToken, refreshToken);
  return { logicalId: id, resource, requests: group, when, condition: { name, body: conditionFunction(when) } };
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

/**
 * The sites of one mirror against each other: a hash collision, or options that differ. False on a collision (the
 * group is no one mirror); options that differ are reported, and the mirror is still checked and placed, so the run
 * reports its other problems (a parameter or resource holding its logical id) too.
 */
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
    // Sites without options of their own share one options object: nothing to compare.
    if (other.options === first.options) continue;
    for (const [option, a, b] of [
      ['RepositoryPrefix', first.options.repositoryPrefix, other.options.repositoryPrefix],
      ['ServiceTimeout', first.options.serviceTimeout, other.options.serviceTimeout],
      ['Refresh', first.options.refresh ?? false, other.options.refresh ?? false],
    ] as const) {
      if (a === b) continue;
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
