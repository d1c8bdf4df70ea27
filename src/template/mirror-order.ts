// What each mirror waits for: everything its sites wait for (their DependsOn, merged in template order), so that a
// mirror never reads an image before the resource that pushes it exists. Two exceptions, each said in a warning:
// a resource that itself reads the mirror (directly or through others: waiting for it would be a circular
// dependency), and a resource with a Condition the mirror's own condition does not imply (it may not exist when the
// mirror does, and CloudFormation refuses a DependsOn on a resource that is not created).
import { SUB_PLACEHOLDER, placeholderVariable } from './sub.js';
import { getOwn, hasOwn, intrinsicOf, isJsonObject } from './json.js';
import { describeMirror, type PlannedMirror } from './mirror-plan.js';
import { implies } from './presence.js';
import type { Json, JsonObject, TransformProblem } from './types.js';

export interface MirrorOrder {
  /** Mirror logical id -> the resources it waits for (only mirrors that wait for any). */
  readonly dependsOn: ReadonlyMap<string, readonly string[]>;
  readonly warnings: readonly TransformProblem[];
}

/** A resource's DependsOn as a list of names (CloudFormation takes a string or a list of strings). */
export function dependsOnOf(resource: Json | undefined): string[] {
  const value = getOwn(resource, 'DependsOn');
  if (typeof value === 'string') return [value];
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : [];
}

/** The resource a `${...}` placeholder or a GetAtt string names: the part before the first dot. */
const resourcePart = (name: string): string => (name.includes('.') ? name.slice(0, name.indexOf('.')) : name);

/** The logical ids a dependency can name. */
type Names = Pick<ReadonlySet<string>, 'has'>;

/** Adds `name` to `found` when it is one of `names` (a module function: a closure per call was a measured cost). */
function addName(found: Set<string>, names: Names, name: unknown): void {
  if (typeof name === 'string' && names.has(name)) found.add(name);
}

/** Names of `names` that a value refers to (Ref, Fn::GetAtt, Fn::Sub placeholders). Iterative: any depth. */
function referencedNames(value: Json, names: Names): Set<string> {
  const found = new Set<string>();
  const stack: Json[] = [value];
  while (stack.length > 0) {
    const current = stack.pop()!;
    if (Array.isArray(current)) {
      for (const item of current) stack.push(item);
      continue;
    }
    if (!isJsonObject(current)) continue;
    const intrinsic = intrinsicOf(current);
    if (intrinsic?.[0] === 'Ref') addName(found, names, intrinsic[1]);
    else if (intrinsic?.[0] === 'Fn::GetAtt') {
      addName(found, names, Array.isArray(intrinsic[1]) ? intrinsic[1][0] : typeof intrinsic[1] === 'string' ? resourcePart(intrinsic[1]) : undefined);
    } else if (intrinsic?.[0] === 'Fn::Sub') {
      const arg = intrinsic[1];
      const [text, variables] = typeof arg === 'string' ? [arg, undefined] : Array.isArray(arg) ? [arg[0], arg[1]] : [undefined, undefined];
      if (typeof text === 'string') {
        for (const match of text.matchAll(SUB_PLACEHOLDER)) {
          const variable = placeholderVariable(match[1]!);
          if (variable !== undefined && !hasOwn(variables, variable)) addName(found, names, resourcePart(variable));
        }
      }
    }
    for (const key of Object.keys(current)) stack.push(current[key] as Json);
  }
  return found;
}

/** Whether `to` can be reached from `from` along the graph's edges. */
function reaches(graph: DependencyGraph, from: string, to: string): boolean {
  const seen = new Set([from]);
  const queue = [from];
  while (queue.length > 0) {
    const node = queue.pop()!;
    if (node === to) return true;
    for (const next of dependenciesOf(graph, node)) {
      if (!seen.has(next)) {
        seen.add(next);
        queue.push(next);
      }
    }
  }
  return false;
}

/**
 * Each resource's dependencies (DependsOn and references), planned mirrors as they will be written (a mirror's over
 * a resource of the same logical id). A resource's are read when a search first reaches it: reading every resource
 * of the template up front cost as much as the rest of the transform, and a search rarely goes far.
 */
interface DependencyGraph {
  readonly resources: JsonObject;
  readonly mirrors: ReadonlyMap<string, JsonObject>;
  /** Every logical id a dependency can name: the template's resources and the planned mirrors. */
  readonly names: Names;
  /** The dependencies read so far, with the edges accepted since. */
  readonly edges: Map<string, Set<string>>;
}

function dependencyGraph(resources: JsonObject, mirrors: readonly PlannedMirror[]): DependencyGraph {
  const byId = new Map(mirrors.map((m) => [m.logicalId, m.resource]));
  // Looked up, not listed: a set of every logical id cost more than the searches that read it.
  const names: Names = { has: (name) => byId.has(name) || hasOwn(resources, name) };
  return { resources, mirrors: byId, names, edges: new Map() };
}

/** The node's dependencies, read from its resource the first time (none for a name that is no resource). */
function dependenciesOf(graph: DependencyGraph, id: string): Set<string> {
  let dependencies = graph.edges.get(id);
  if (dependencies === undefined) {
    const resource = graph.mirrors.get(id) ?? (hasOwn(graph.resources, id) ? getOwn(graph.resources, id)! : undefined);
    dependencies = resource === undefined ? new Set() : referencedNames(resource, graph.names);
    for (const name of dependsOnOf(resource)) if (graph.names.has(name)) dependencies.add(name);
    graph.edges.set(id, dependencies);
  }
  return dependencies;
}

/** What one mirror's sites wait for, each with the first site that does, in template order. */
function candidates(mirror: PlannedMirror): Map<string, string> {
  const found = new Map<string, string>();
  for (const request of mirror.requests) {
    for (const name of request.dependsOn ?? []) if (name !== mirror.logicalId && !found.has(name)) found.set(name, request.logicalId);
  }
  return found;
}

/** How a warning about a wait the mirror cannot take begins (made only for a warning: describing the mirror costs). */
function waitSubject(site: string, name: string, mirror: PlannedMirror): string {
  return `Resource ${site}: it waits for ${name} (DependsOn), but its ${describeMirror(mirror.requests[0]!)} cannot`;
}

/**
 * The DependsOn of each planned mirror, decided in plan order over the output template (`resources`: the sites
 * already read their mirrors), each accepted edge joining the graph the next decision sees.
 */
export function orderMirrors(resources: JsonObject, mirrors: readonly PlannedMirror[]): MirrorOrder {
  const wanted = mirrors.map((mirror) => [mirror, candidates(mirror)] as const).filter(([, found]) => found.size > 0);
  if (wanted.length === 0) return { dependsOn: new Map(), warnings: [] };
  const graph = dependencyGraph(resources, mirrors);
  const dependsOn = new Map<string, string[]>();
  const warnings: TransformProblem[] = [];
  for (const [mirror, found] of wanted) {
    const accepted: string[] = [];
    for (const [name, site] of found) {
      const target = getOwn(resources, name);
      if (target === undefined) continue; // The site names no resource: CloudFormation reports that template error itself.
      const condition = getOwn(target, 'Condition');
      if (typeof condition === 'string' && !implies(mirror.when, condition)) {
        warnings.push({
          logicalId: site,
          message: `${waitSubject(site, name, mirror)}: ${name} has Condition ${condition}, and the mirror may exist when ${name} does not; give them the same Condition, or make ${name} unconditional`,
        });
        continue;
      }
      if (reaches(graph, name, mirror.logicalId)) {
        warnings.push({
          logicalId: site,
          message: `${waitSubject(site, name, mirror)}: ${name} reads that mirror itself (directly or through other resources), so waiting for it would be a circular dependency`,
        });
        continue;
      }
      accepted.push(name);
      dependenciesOf(graph, mirror.logicalId).add(name);
    }
    if (accepted.length > 0) dependsOn.set(mirror.logicalId, accepted);
  }
  return { dependsOn, warnings };
}
