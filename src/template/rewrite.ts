// Writes the plan into the template: sites read `Fn::GetAtt [<mirror>, ImageUri]` (inside the `Fn::If`s that may
// remove their value), mirrors follow the existing resources with their Condition and DependsOn, their new
// Conditions entries follow the existing ones, and nothing else changes. The rewritten template shares every
// untouched subtree with the input.
import { MirrorConflictError, MalformedTemplateError, type TransformError } from './errors.js';
import { copyObject, getOwn, hasOwn, isJsonObject, jsonEquals, setOwn } from './json.js';
import { describeMirror, type MirrorRequest, mirrorReference, type PlannedMirror, siteNamesOf } from './mirror-plan.js';
import type { MirrorOrder } from './mirror-order.js';
import { readingMirror } from './presence.js';
import type { Json, JsonObject } from './types.js';

export { mirrorLogicalId, mirrorReference } from './mirror-plan.js';

/**
 * A copy of `object` with the value at `path` replaced (a numeric key indexes a list). Only the objects and lists
 * along the path are copied; undefined when the path does not lead through them.
 */
function replacedAt(object: Json | undefined, path: readonly string[], value: (current: Json) => Json, at = 0): Json[] | JsonObject | undefined {
  // The path is read by index (`at`): destructuring a copy of its rest at every level was a measured cost.
  const key = path[at];
  if (key === undefined) return undefined;
  const last = at === path.length - 1;
  if (Array.isArray(object)) {
    const index = /^(0|[1-9][0-9]*)$/.test(key) ? Number(key) : -1;
    if (index < 0 || index >= object.length) return undefined;
    const child = last ? value(object[index] as Json) : replacedAt(object[index], path, value, at + 1);
    if (child === undefined) return undefined;
    const copy = [...object];
    copy[index] = child;
    return copy;
  }
  if (!isJsonObject(object) || !hasOwn(object, key)) return undefined;
  const child = last ? value(getOwn(object, key)!) : replacedAt(getOwn(object, key), path, value, at + 1);
  if (child === undefined) return undefined;
  const copy = copyObject(object);
  setOwn(copy, key, child);
  return copy;
}

/** What a site holds once it reads its mirror: the reference, inside the Fn::Ifs that remove the value. */
function siteValue(request: MirrorRequest, current: Json): Json {
  const reference = mirrorReference(request.mirror.logicalId);
  return request.source.kind === 'expression' ? readingMirror(current, reference) : reference;
}

/**
 * A new template where each request's site reads from its mirror. Structural sharing: only the top level,
 * `Resources` and the objects on the path to each rewritten site are new; every other subtree IS the input's
 * object. The input is never mutated, but the result may share subtrees with it: copy before editing.
 */
export function rewriteSites(template: JsonObject, requests: readonly MirrorRequest[]): JsonObject {
  const output = copyObject(template);
  const resources = getOwn(template, 'Resources');
  if (!isJsonObject(resources)) return output;
  // The rewritten resources by logical id (a resource with several sites is rewritten once per site), then the
  // section written once, in the input's order: copying the whole section and replacing entries in the copy cost
  // more than the rewriting (a section of hundreds of resources).
  const rewritten = new Map<string, Json>();
  for (const request of requests) {
    if (request.path === undefined) continue;
    const current = rewritten.has(request.logicalId) ? rewritten.get(request.logicalId) : getOwn(resources, request.logicalId);
    const resource = replacedAt(current, request.path, (value) => siteValue(request, value));
    if (resource === undefined) throw new Error(`site ${request.logicalId}.${request.path.join('.')} vanished while rewriting`);
    rewritten.set(request.logicalId, resource);
  }
  const outputResources: JsonObject = {};
  for (const logicalId of Object.keys(resources)) setOwn(outputResources, logicalId, rewritten.has(logicalId) ? rewritten.get(logicalId)! : resources[logicalId]!);
  setOwn(output, 'Resources', outputResources);
  return output;
}

/** The mirror resource as written: Type, Condition, DependsOn (when it waits for anything), Properties. */
function finished(mirror: PlannedMirror, order: MirrorOrder): JsonObject {
  const dependsOn = order.dependsOn.get(mirror.logicalId);
  if (dependsOn === undefined) return mirror.resource;
  // The planned resource's own keys (Type, Condition) then DependsOn, then Properties; copied by a loop, since a rest
  // pattern and a spread for every mirror were a measured cost.
  const resource: JsonObject = {};
  for (const key of Object.keys(mirror.resource)) if (key !== 'Properties') resource[key] = mirror.resource[key]!;
  resource.DependsOn = [...dependsOn];
  resource.Properties = mirror.resource.Properties!;
  return resource;
}

/**
 * Appends the planned mirrors and their Conditions entries to `output` (from rewriteSites; edited in place). A
 * logical id or condition name already in the template is accepted only when it holds exactly what would be
 * written (a template transformed before); anything else is a conflict.
 */
export function placeMirrors(output: JsonObject, mirrors: readonly PlannedMirror[], order: MirrorOrder): TransformError[] {
  const problems: TransformError[] = [];
  if (mirrors.length === 0) return problems;
  // A template without Resources (absent or empty, `Resources:`; any other non-object was refused) can still have
  // mirrors: those of parameters that only its Outputs read. They get the section.
  let resources = getOwn(output, 'Resources');
  if (!isJsonObject(resources)) {
    resources = {};
    setOwn(output, 'Resources', resources);
  }
  for (const mirror of mirrors) {
    const resource = finished(mirror, order);
    const id = mirror.logicalId;
    if (!hasOwn(resources, id)) setOwn(resources, id, resource);
    else if (!jsonEquals(getOwn(resources, id), resource)) {
      const message = `Resource ${id}: this logical id is taken, but ${siteNamesOf(mirror.requests)} need it for ${describeMirror(mirror.requests[0]!)}; rename the existing resource`;
      problems.push(new MirrorConflictError(message, id));
    }
    if (mirror.condition !== undefined) problems.push(...placeCondition(output, mirror));
  }
  return problems;
}

/** The mirror's Conditions entry (see placeMirrors); its sites are named only in a message. */
function placeCondition(output: JsonObject, mirror: PlannedMirror): TransformError[] {
  const { name, body } = mirror.condition!;
  const existing = getOwn(output, 'Conditions');
  if (existing !== undefined && !isJsonObject(existing)) {
    return [new MalformedTemplateError(`Conditions must be an object of conditions by name (${describeMirror(mirror.requests[0]!)} needs condition ${name})`)];
  }
  const conditions = existing === undefined ? {} : copyObject(existing);
  if (hasOwn(conditions, name)) {
    if (jsonEquals(getOwn(conditions, name), body)) return [];
    const message = `Template: condition ${name} is taken, but ${describeMirror(mirror.requests[0]!)} (for ${siteNamesOf(mirror.requests)}) needs that name for when it exists; rename the condition`;
    return [new MirrorConflictError(message, undefined)];
  }
  setOwn(conditions, name, body);
  setOwn(output, 'Conditions', conditions);
  return [];
}
