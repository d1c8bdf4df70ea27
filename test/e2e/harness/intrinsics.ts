// A small CloudFormation intrinsic resolver for the deploy driver, written independently of the product's
// src/template/resolve.ts: the driver must not trust the code it checks. It resolves what CloudFormation resolves
// at deploy time for the values the e2e checks look at (custom resource properties, function ImageUri and
// Architectures, the macro stack's settings): Ref (parameters, pseudo parameters, resources), Fn::Sub, Fn::Join,
// Fn::Select, Fn::Split, Fn::If, Fn::FindInMap, Fn::GetAtt, Fn::ImportValue, conditions, and AWS::NoValue.

/** A JSON value as templates hold it. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

/** A value CloudFormation could not resolve here (unknown parameter, missing attribute, bad shape). */
export class IntrinsicError extends Error {
  override readonly name = 'IntrinsicError';
}

/** What a Ref or GetAtt of a resource yields, supplied by the caller (the deployed resources). */
export interface ResourceLookup {
  ref(logicalId: string): string | undefined;
  getAtt(logicalId: string, attribute: string): Json | undefined;
}

export interface ResolveScope {
  /** Parameter values (lists already split). */
  readonly parameters: Readonly<Record<string, Json>>;
  readonly region: string;
  readonly accountId: string;
  readonly stackName: string;
  readonly stackId: string;
  readonly mappings: JsonObject;
  /** Evaluated conditions by name. */
  readonly conditions: Readonly<Record<string, boolean>>;
  readonly resources: ResourceLookup;
  /** Exports of other stacks (Fn::ImportValue). */
  readonly imports?: Readonly<Record<string, string>>;
}

/** Marker for `Ref: AWS::NoValue`: the property is removed. */
const NO_VALUE = Symbol('AWS::NoValue');
type Resolved = Json | typeof NO_VALUE;

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function partitionOf(region: string): string {
  if (region.startsWith('cn-')) return 'aws-cn';
  if (region.startsWith('us-gov-')) return 'aws-us-gov';
  return 'aws';
}

export function urlSuffixOf(region: string): string {
  return region.startsWith('cn-') ? 'amazonaws.com.cn' : 'amazonaws.com';
}

function pseudo(name: string, scope: ResolveScope): Json | typeof NO_VALUE | undefined {
  switch (name) {
    case 'AWS::Region':
      return scope.region;
    case 'AWS::AccountId':
      return scope.accountId;
    case 'AWS::Partition':
      return partitionOf(scope.region);
    case 'AWS::URLSuffix':
      return urlSuffixOf(scope.region);
    case 'AWS::StackName':
      return scope.stackName;
    case 'AWS::StackId':
      return scope.stackId;
    case 'AWS::NoValue':
      return NO_VALUE;
    case 'AWS::NotificationARNs':
      return [];
    default:
      return undefined;
  }
}

function ref(name: Json, scope: ResolveScope): Resolved {
  if (typeof name !== 'string') throw new IntrinsicError(`Ref must name a parameter or resource, got ${JSON.stringify(name)}`);
  const fromPseudo = pseudo(name, scope);
  if (fromPseudo !== undefined) return fromPseudo;
  if (Object.hasOwn(scope.parameters, name)) return scope.parameters[name]!;
  const physical = scope.resources.ref(name);
  if (physical !== undefined) return physical;
  throw new IntrinsicError(`Ref ${name}: no such parameter, pseudo parameter or resource`);
}

function getAtt(args: Json, scope: ResolveScope): Json {
  let logicalId: Json | undefined;
  let attribute: Json | undefined;
  if (typeof args === 'string') {
    const dot = args.indexOf('.');
    [logicalId, attribute] = [args.slice(0, dot), args.slice(dot + 1)];
  } else if (Array.isArray(args) && args.length === 2) {
    logicalId = args[0];
    attribute = resolveValue(args[1]!, scope) as Json;
  }
  if (typeof logicalId !== 'string' || typeof attribute !== 'string') throw new IntrinsicError(`Fn::GetAtt ${JSON.stringify(args)} is malformed`);
  const value = scope.resources.getAtt(logicalId, attribute);
  if (value === undefined) throw new IntrinsicError(`Fn::GetAtt ${logicalId}.${attribute}: the resource has no such attribute (yet)`);
  return value;
}

function asString(value: Resolved, where: string): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  throw new IntrinsicError(`${where} needs a string, got ${value === NO_VALUE ? 'AWS::NoValue' : JSON.stringify(value)}`);
}

function asList(value: Resolved, where: string): Json[] {
  if (Array.isArray(value)) return value;
  throw new IntrinsicError(`${where} needs a list, got ${JSON.stringify(value)}`);
}

function sub(args: Json, scope: ResolveScope): string {
  let text: Json;
  let variables: JsonObject = {};
  if (typeof args === 'string') text = args;
  else if (Array.isArray(args) && args.length === 2 && typeof args[0] === 'string' && isObject(args[1])) [text, variables] = [args[0], args[1]];
  else throw new IntrinsicError(`Fn::Sub ${JSON.stringify(args)} is malformed`);
  return text.replace(/\$\{([^}]*)\}/g, (whole, inner: string) => {
    if (inner.startsWith('!')) return `\${${inner.slice(1)}}`;
    const name = inner.trim();
    if (Object.hasOwn(variables, name)) return asString(resolveValue(variables[name]!, scope), `Fn::Sub variable ${name}`);
    const dot = name.indexOf('.');
    if (dot > 0 && !name.startsWith('AWS::')) return asString(getAtt([name.slice(0, dot), name.slice(dot + 1)], scope), `Fn::Sub ${whole}`);
    return asString(ref(name, scope), `Fn::Sub ${whole}`);
  });
}

function findInMap(args: Json, scope: ResolveScope): Json {
  if (!Array.isArray(args) || args.length < 3) throw new IntrinsicError(`Fn::FindInMap ${JSON.stringify(args)} is malformed`);
  const [mapName, top, second] = args.slice(0, 3).map((arg, i) => asString(resolveValue(arg, scope), `Fn::FindInMap argument ${i + 1}`));
  const map = scope.mappings[mapName!];
  const level = isObject(map) ? map[top!] : undefined;
  const value = isObject(level) ? level[second!] : undefined;
  if (value === undefined) throw new IntrinsicError(`Fn::FindInMap: ${mapName}.${top}.${second} does not exist`);
  return value;
}

/** Evaluates a condition expression (Fn::Equals, Fn::Not, Fn::And, Fn::Or, Condition). */
export function evaluateCondition(expression: Json, scope: ResolveScope): boolean {
  if (!isObject(expression) || Object.keys(expression).length !== 1) {
    throw new IntrinsicError(`condition ${JSON.stringify(expression)} is not a condition function`);
  }
  const [name, args] = Object.entries(expression)[0]!;
  switch (name) {
    case 'Condition':
      return conditionValue(args, scope, 'Condition');
    case 'Fn::Equals': {
      const [a, b] = asList(args, 'Fn::Equals').map((arg) => resolveValue(arg, scope));
      return JSON.stringify(normaliseScalar(a)) === JSON.stringify(normaliseScalar(b));
    }
    case 'Fn::Not':
      return !evaluateCondition(asList(args, 'Fn::Not')[0]!, scope);
    case 'Fn::And':
      return asList(args, 'Fn::And').every((item) => evaluateCondition(item, scope));
    case 'Fn::Or':
      return asList(args, 'Fn::Or').some((item) => evaluateCondition(item, scope));
    default:
      throw new IntrinsicError(`${name} is not a condition function`);
  }
}

/** Conditions still being evaluated by {@link evaluateConditions} are computed on demand. */
const pendingConditions = new WeakMap<object, (name: string) => boolean | undefined>();

function conditionValue(name: Json, scope: ResolveScope, where: string): boolean {
  if (typeof name === 'string') {
    if (Object.hasOwn(scope.conditions, name)) return scope.conditions[name]!;
    const pending = pendingConditions.get(scope.conditions)?.(name);
    if (pending !== undefined) return pending;
  }
  throw new IntrinsicError(`${where} names unknown condition ${JSON.stringify(name)}`);
}

function normaliseScalar(value: Resolved | undefined): Json | undefined {
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return value === NO_VALUE ? undefined : value;
}

/**
 * Evaluates every condition of `template` in order of need (a condition may refer to another); the scope's
 * `conditions` field is ignored and replaced.
 */
export function evaluateConditions(template: JsonObject, scope: Omit<ResolveScope, 'conditions'>): Record<string, boolean> {
  const definitions = isObject(template.Conditions) ? template.Conditions : {};
  const results: Record<string, boolean> = {};
  const visiting = new Set<string>();
  const evaluate = (name: string): boolean | undefined => {
    if (!Object.hasOwn(definitions, name)) return undefined;
    if (Object.hasOwn(results, name)) return results[name]!;
    if (visiting.has(name)) throw new IntrinsicError(`condition ${name} refers to itself`);
    visiting.add(name);
    results[name] = evaluateCondition(definitions[name]!, { ...scope, conditions: results });
    visiting.delete(name);
    return results[name]!;
  };
  pendingConditions.set(results, evaluate);
  for (const name of Object.keys(definitions)) evaluate(name);
  return { ...results };
}

function resolveValue(value: Json, scope: ResolveScope): Resolved {
  if (Array.isArray(value)) {
    return value.map((item) => resolveValue(item, scope)).filter((item): item is Json => item !== NO_VALUE);
  }
  if (!isObject(value)) return value;
  const keys = Object.keys(value);
  if (keys.length === 1) {
    const key = keys[0]!;
    const args = value[key]!;
    switch (key) {
      case 'Ref':
        return ref(args, scope);
      case 'Fn::Sub':
        return sub(args, scope);
      case 'Fn::Join': {
        const [delimiter, list] = asList(args, 'Fn::Join');
        const items = asList(resolveValue(list ?? [], scope), 'Fn::Join list');
        return items.map((item) => asString(item, 'Fn::Join item')).join(asString(delimiter ?? '', 'Fn::Join delimiter'));
      }
      case 'Fn::Select': {
        const [index, list] = asList(args, 'Fn::Select');
        const items = asList(resolveValue(list ?? [], scope), 'Fn::Select list');
        const at = Number(asString(resolveValue(index ?? '', scope), 'Fn::Select index'));
        if (!Number.isInteger(at) || at < 0 || at >= items.length) throw new IntrinsicError(`Fn::Select index ${at} is out of range`);
        return items[at]!;
      }
      case 'Fn::Split': {
        const [delimiter, text] = asList(args, 'Fn::Split');
        return asString(resolveValue(text ?? '', scope), 'Fn::Split string').split(asString(delimiter ?? '', 'Fn::Split delimiter'));
      }
      case 'Fn::If': {
        const [condition, whenTrue, whenFalse] = asList(args, 'Fn::If');
        return resolveValue((conditionValue(condition ?? null, scope, 'Fn::If') ? whenTrue : whenFalse) ?? null, scope);
      }
      case 'Fn::FindInMap':
        return resolveValue(findInMap(args, scope), scope);
      case 'Fn::GetAtt':
        return getAtt(args, scope);
      case 'Fn::ImportValue': {
        const name = asString(resolveValue(args, scope), 'Fn::ImportValue');
        const exported = scope.imports?.[name];
        if (exported === undefined) throw new IntrinsicError(`Fn::ImportValue ${name}: no stack exports it`);
        return exported;
      }
      case 'Fn::Base64':
        return Buffer.from(asString(resolveValue(args, scope), 'Fn::Base64'), 'utf8').toString('base64');
      case 'Fn::Equals':
      case 'Fn::Not':
      case 'Fn::And':
      case 'Fn::Or':
      case 'Condition':
        return evaluateCondition(value, scope);
      default:
        if (key.startsWith('Fn::')) throw new IntrinsicError(`${key} is not supported by the e2e deploy driver`);
    }
  }
  const out: JsonObject = {};
  for (const [key, item] of Object.entries(value)) {
    const resolved = resolveValue(item, scope);
    if (resolved !== NO_VALUE) out[key] = resolved;
  }
  return out;
}

/** Resolves every intrinsic in `value`; a top-level AWS::NoValue comes back as undefined. */
export function resolve(value: Json, scope: ResolveScope): Json | undefined {
  const resolved = resolveValue(value, scope);
  return resolved === NO_VALUE ? undefined : resolved;
}

/**
 * Parameter values as CloudFormation binds them: the given value or the Default, lists split, AllowedValues and
 * AllowedPattern enforced. Throws IntrinsicError naming the parameter (CloudFormation refuses the stack then).
 */
export function bindParameters(template: JsonObject, given: Readonly<Record<string, string>>): Record<string, Json> {
  const declared = isObject(template.Parameters) ? template.Parameters : {};
  for (const name of Object.keys(given)) {
    if (!Object.hasOwn(declared, name)) throw new IntrinsicError(`Parameters: [${name}] do not exist in the template`);
  }
  const values: Record<string, Json> = {};
  for (const [name, declaration] of Object.entries(declared)) {
    const spec = isObject(declaration) ? declaration : {};
    const raw = given[name] ?? (spec.Default === undefined ? undefined : String(spec.Default));
    if (raw === undefined) throw new IntrinsicError(`Parameters: [${name}] must have values`);
    if (Array.isArray(spec.AllowedValues) && !spec.AllowedValues.map(String).includes(raw)) {
      throw new IntrinsicError(`Parameter '${name}' must be one of AllowedValues`);
    }
    if (typeof spec.AllowedPattern === 'string' && !new RegExp(`^(?:${spec.AllowedPattern})$`).test(raw)) {
      throw new IntrinsicError(`Parameter '${name}' must match pattern ${spec.AllowedPattern}`);
    }
    const type = typeof spec.Type === 'string' ? spec.Type : 'String';
    values[name] = type === 'CommaDelimitedList' || type.startsWith('List<') ? raw.split(',') : raw;
  }
  return values;
}
