// Plans one Custom::ImageMirror per distinct (source, architecture) and rewrites the template:
// sites read `Fn::GetAtt [<mirror>, ImageUri]`, mirrors are appended after the existing resources,
// and nothing else changes.
import { createHash } from 'node:crypto';
import {
  METADATA_KEY,
  MIRROR_LOGICAL_ID_PREFIX,
  MIRROR_RESOURCE_TYPE,
  MirrorAttribute,
  MirrorProperty,
} from '../contract.js';
import { quoteForMessage } from '../reference/index.js';
import { MirrorConflictError, MissingMirrorFunctionError, type TransformError } from './errors.js';
import { canonicalJson, cloneJson, compactJson, getOwn, hasOwn, isJsonObject, jsonEquals, setOwn } from './json.js';
import type { MirrorOptions } from './options.js';
import { expressionOf, type ArchitectureChoice } from './sites.js';
import type { Json, JsonObject } from './types.js';

export type MirrorSource =
  /** Known now: the normalised reference and its target repository. */
  | { readonly kind: 'literal'; readonly image: string; readonly repositoryName: string }
  /** Known at deploy time: the site's original expression. */
  | { readonly kind: 'expression'; readonly expression: Json };

/** One site that needs a mirror. */
export interface MirrorRequest {
  readonly logicalId: string;
  readonly path: readonly string[];
  readonly condition?: string;
  readonly source: MirrorSource;
  readonly architecture: ArchitectureChoice;
  readonly options: MirrorOptions;
}

export interface PlannedMirror {
  readonly logicalId: string;
  readonly resource: JsonObject;
  /** False when an identical resource already sits in the template under that id. */
  readonly append: boolean;
}

export interface MirrorPlan {
  readonly mirrors: readonly PlannedMirror[];
  readonly problems: readonly TransformError[];
}

/** What identifies a mirror: the source (normalised literal or expression) and the architecture. */
function mirrorKey(source: MirrorSource, architecture: ArchitectureChoice): string {
  return canonicalJson({
    source: source.kind === 'literal' ? source.image : source.expression,
    architecture: expressionOf(architecture),
  });
}

/** `ImageMirror` + the first 8 hex of sha256 of the canonical {source, architecture}. */
export function mirrorLogicalId(source: MirrorSource, architecture: ArchitectureChoice): string {
  return MIRROR_LOGICAL_ID_PREFIX + createHash('sha256').update(mirrorKey(source, architecture)).digest('hex').slice(0, 8);
}

export function mirrorReference(mirrorLogicalId: string): JsonObject {
  return { 'Fn::GetAtt': [mirrorLogicalId, MirrorAttribute.ImageUri] };
}

function describeSource(source: MirrorSource): string {
  return source.kind === 'literal' ? source.image : compactJson(source.expression);
}

function mirrorResource(first: MirrorRequest, condition: string | undefined, serviceToken: Json): JsonObject {
  const { source, architecture, options } = first;
  const properties: JsonObject = {
    [MirrorProperty.ServiceToken]: cloneJson(serviceToken),
    [MirrorProperty.ServiceTimeout]: options.serviceTimeout,
    [MirrorProperty.SourceImage]: source.kind === 'literal' ? source.image : cloneJson(source.expression),
    [MirrorProperty.Architecture]: cloneJson(expressionOf(architecture)),
    ...(source.kind === 'literal'
      ? { [MirrorProperty.RepositoryName]: source.repositoryName }
      : { [MirrorProperty.RepositoryPrefix]: options.repositoryPrefix }),
  };
  return {
    Type: MIRROR_RESOURCE_TYPE,
    ...(condition !== undefined ? { Condition: condition } : {}),
    Properties: properties,
  };
}

/** Groups requests into mirrors and checks them against each other and against the template. */
export function planMirrors(template: JsonObject, requests: readonly MirrorRequest[], serviceToken: Json | undefined): MirrorPlan {
  const problems: TransformError[] = [];
  if (requests.length > 0 && (serviceToken === undefined || serviceToken === null || serviceToken === '')) {
    problems.push(new MissingMirrorFunctionError([...new Set(requests.map((r) => r.logicalId))]));
  }
  const groups = new Map<string, MirrorRequest[]>();
  for (const request of requests) {
    const id = mirrorLogicalId(request.source, request.architecture);
    const group = groups.get(id);
    if (group) group.push(request);
    else groups.set(id, [request]);
  }
  const resources = getOwn(template, 'Resources');
  const parameters = getOwn(template, 'Parameters');
  const mirrors: PlannedMirror[] = [];
  for (const [id, group] of groups) {
    const first = group[0]!;
    const what = `image mirror ${id} (${describeSource(first.source)}, ${compactJson(expressionOf(first.architecture))})`;
    let consistent = true;
    for (const other of group.slice(1)) {
      if (mirrorKey(other.source, other.architecture) !== mirrorKey(first.source, first.architecture)) {
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
      ] as const) {
        if (a === b) continue;
        consistent = false;
        const show = (v: string | number) => (typeof v === 'string' ? quoteForMessage(v) : String(v));
        problems.push(
          new MirrorConflictError(
            `Resources ${first.logicalId} and ${other.logicalId} share ${what} but ask for different ${option} ` +
              `(${show(a)} and ${show(b)}); give both the same Metadata.${METADATA_KEY}.${option}`,
            other.logicalId,
          ),
        );
      }
    }
    if (!consistent) continue;
    // The mirror is only ever needed by its sites; a Condition they all share keeps it from being built alone.
    const conditions = new Set(group.map((r) => r.condition));
    const condition = conditions.size === 1 ? first.condition : undefined;
    const resource = mirrorResource(first, condition, serviceToken ?? null);
    const siteNames = [...new Set(group.map((r) => r.logicalId))].join(', ');
    if (hasOwn(parameters, id)) {
      problems.push(
        new MirrorConflictError(
          `Template: parameter ${id} has the logical id of the ${what} that ${siteNames} need; rename the parameter`,
          undefined,
        ),
      );
      continue;
    }
    if (hasOwn(resources, id)) {
      if (jsonEquals(getOwn(resources, id), resource)) {
        mirrors.push({ logicalId: id, resource, append: false });
      } else {
        problems.push(
          new MirrorConflictError(
            `Resource ${id}: this logical id is taken, but ${siteNames} need it for ${what}; rename the existing resource`,
            id,
          ),
        );
      }
      continue;
    }
    mirrors.push({ logicalId: id, resource, append: true });
  }
  return { mirrors, problems };
}

/** A new template: each request's site reads from its mirror, and new mirrors follow the existing resources. */
export function rewriteTemplate(template: JsonObject, requests: readonly MirrorRequest[], plan: MirrorPlan): JsonObject {
  const output = cloneJson(template);
  const resources = getOwn(output, 'Resources');
  if (!isJsonObject(resources)) return output;
  for (const request of requests) {
    let parent: Json | undefined = getOwn(resources, request.logicalId);
    for (const key of request.path.slice(0, -1)) parent = getOwn(parent, key);
    if (!isJsonObject(parent)) throw new Error(`site ${request.logicalId}.${request.path.join('.')} vanished while rewriting`);
    setOwn(parent, request.path[request.path.length - 1]!, mirrorReference(mirrorLogicalId(request.source, request.architecture)));
  }
  for (const mirror of plan.mirrors) {
    if (mirror.append) setOwn(resources, mirror.logicalId, cloneJson(mirror.resource));
  }
  return output;
}
