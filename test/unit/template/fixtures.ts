// Builders for templates, contexts and expectations shared by the transform tests.
import { createHash } from 'node:crypto';
import { expect } from 'vitest';
import type { Json, JsonObject, SiteReport, TransformContext, TransformDefaults, TransformProblem, TransformResult } from '../../../src/template/types.js';

export const REGION = 'ap-northeast-1';
export const ACCOUNT = '123456789012';
export const MIRROR_ARN = `arn:aws:lambda:${REGION}:${ACCOUNT}:function:sysdig-image-fix-mirror`;
/** Private ECR of the stack's region (another account): Lambda can pull it as is. */
export const PRIVATE_ECR_IMAGE = `210987654321.dkr.ecr.${REGION}.amazonaws.com/team/app:1.0`;
export const QUAY_IMAGE = 'quay.io/sysdig/serverless-patcher:5.0.1';

export function context(overrides: Partial<TransformContext> = {}): TransformContext {
  return { region: REGION, accountId: ACCOUNT, templateParameterValues: {}, ...overrides };
}

export function defaults(overrides: Partial<TransformDefaults> = {}): TransformDefaults {
  return { mirrorFunctionArn: MIRROR_ARN, ...overrides };
}

export interface FunctionOptions {
  readonly architectures?: Json;
  readonly condition?: string;
  /** Metadata.SysdigImageFix of the resource. */
  readonly options?: Json;
  readonly properties?: JsonObject;
}

function functionResource(type: string, imageProperties: JsonObject, o: FunctionOptions): JsonObject {
  return {
    Type: type,
    ...(o.condition !== undefined ? { Condition: o.condition } : {}),
    ...(o.options !== undefined ? { Metadata: { SysdigImageFix: o.options } } : {}),
    Properties: {
      PackageType: 'Image',
      ...imageProperties,
      Role: { 'Fn::GetAtt': ['FunctionRole', 'Arn'] },
      ...(o.architectures !== undefined ? { Architectures: o.architectures } : {}),
      ...o.properties,
    },
  };
}

/** `AWS::Lambda::Function` with `Code.ImageUri`. */
export function lambdaFunction(image: Json, o: FunctionOptions = {}): JsonObject {
  return functionResource('AWS::Lambda::Function', { Code: { ImageUri: image } }, o);
}

/** `AWS::Serverless::Function` with `ImageUri`. */
export function samFunction(image: Json, o: FunctionOptions = {}): JsonObject {
  return functionResource('AWS::Serverless::Function', { ImageUri: image }, o);
}

export interface Sections {
  readonly Parameters?: JsonObject;
  readonly Mappings?: JsonObject;
  readonly Conditions?: JsonObject;
  readonly Metadata?: JsonObject;
  readonly Globals?: JsonObject;
  readonly Outputs?: JsonObject;
}

export function template(resources: JsonObject, sections: Sections = {}): JsonObject {
  return { AWSTemplateFormatVersion: '2010-09-09', ...sections, Resources: resources };
}

export const ref = (name: string): JsonObject => ({ Ref: name });
export const sub = (text: string, variables?: JsonObject): JsonObject => ({ 'Fn::Sub': variables ? [text, variables] : text });
export const getAtt = (id: string, attribute: string): JsonObject => ({ 'Fn::GetAtt': [id, attribute] });
export const ifThen = (condition: string, a: Json, b: Json): JsonObject => ({ 'Fn::If': [condition, a, b] });
export const equals = (a: Json, b: Json): JsonObject => ({ 'Fn::Equals': [a, b] });
export const findInMap = (...args: Json[]): JsonObject => ({ 'Fn::FindInMap': args });
export const NO_VALUE = ref('AWS::NoValue');
export const stringParameter = (Default?: string): JsonObject => ({ Type: 'String', ...(Default !== undefined ? { Default } : {}) });

/** The image value of a function resource in a fragment (Code.ImageUri or SAM ImageUri). */
export function imageOf(fragment: JsonObject, logicalId: string): Json | undefined {
  const resource = (fragment.Resources as JsonObject)[logicalId] as JsonObject;
  const properties = resource.Properties as JsonObject;
  return resource.Type === 'AWS::Serverless::Function' ? properties.ImageUri : (properties.Code as JsonObject).ImageUri;
}

/** Every Custom::ImageMirror resource of a fragment, by logical id, in template order. */
export function mirrorsOf(fragment: JsonObject): Record<string, JsonObject> {
  return Object.fromEntries(Object.entries(fragment.Resources as JsonObject).filter(([, r]) => (r as JsonObject).Type === 'Custom::ImageMirror')) as Record<
    string,
    JsonObject
  >;
}

export function onlyMirror(fragment: JsonObject): [string, JsonObject] {
  const entries = Object.entries(mirrorsOf(fragment));
  expect(entries).toHaveLength(1);
  return entries[0]!;
}

export function expectSuccess(result: TransformResult): Extract<TransformResult, { ok: true }> {
  if (!result.ok) expect.fail(`transform failed: ${result.errors.map((e) => e.message).join('; ')}`);
  return result;
}

export function expectFailure(result: TransformResult): readonly TransformProblem[] {
  if (result.ok) expect.fail('transform succeeded, a failure was expected');
  expect(result.errors.length).toBeGreaterThan(0);
  return result.errors;
}

export function siteOf(sites: readonly SiteReport[], logicalId: string): SiteReport {
  const site = sites.find((s) => s.logicalId === logicalId);
  if (!site) expect.fail(`no site reported for ${logicalId}`);
  return site;
}

/**
 * The contract's mirror id, computed here independently of src/: sorted-key JSON of
 * {architecture, source}, sha256, first 8 hex.
 */
/** The ImageMirror the transform injects (default options) for a site written as `expression`. */
export function expressionMirror(expression: Json, architecture: Json = 'x86_64'): { [id: string]: JsonObject } {
  return {
    [expectedMirrorId(expression, architecture)]: {
      Type: 'Custom::ImageMirror',
      Properties: { ServiceToken: MIRROR_ARN, ServiceTimeout: 3600, SourceImage: expression, Architecture: architecture, RepositoryPrefix: 'sysdig-image-fix' },
    },
  };
}

export function expectedMirrorId(source: Json, architecture: Json): string {
  const sorted = (value: Json): Json =>
    Array.isArray(value)
      ? value.map(sorted)
      : value !== null && typeof value === 'object'
        ? Object.fromEntries(
            Object.keys(value)
              .sort()
              .map((k) => [k, sorted(value[k] as Json)]),
          )
        : value;
  const text = JSON.stringify(sorted({ architecture, source }));
  return `ImageMirror${createHash('sha256').update(text).digest('hex').slice(0, 8)}`;
}

export const mirrorRef = (id: string): JsonObject => ({ 'Fn::GetAtt': [id, 'ImageUri'] });

const isNoValue = (value: Json): boolean =>
  typeof value === 'object' && value !== null && !Array.isArray(value) && Object.keys(value).length === 1 && value.Ref === 'AWS::NoValue';
const ifArgs = (value: Json): [string, Json, Json] | undefined => {
  if (typeof value !== 'object' || value === null || Array.isArray(value) || Object.keys(value).length !== 1) return undefined;
  const arg = value['Fn::If'];
  return Array.isArray(arg) && arg.length === 3 && typeof arg[0] === 'string' ? [arg[0], arg[1] as Json, arg[2] as Json] : undefined;
};
/** Whether `actual` is `written` with some of its Fn::Ifs replaced by one of their branches (a mirror's SourceImage). */
export function isBranchChoiceOf(actual: Json, written: Json): boolean {
  if (JSON.stringify(actual) === JSON.stringify(written)) return true;
  const branches = ifArgs(written);
  if (branches === undefined) return false;
  if (isBranchChoiceOf(actual, branches[1]) || isBranchChoiceOf(actual, branches[2])) return true;
  const inner = ifArgs(actual);
  return inner !== undefined && inner[0] === branches[0] && isBranchChoiceOf(inner[1], branches[1]) && isBranchChoiceOf(inner[2], branches[2]);
}

/** The value with its Fn::Ifs taken as `assignment` says; undefined for AWS::NoValue. */
function taken(value: Json, assignment: ReadonlyMap<string, boolean>): Json | undefined {
  if (isNoValue(value)) return undefined;
  const branches = ifArgs(value);
  return branches === undefined ? value : taken(assignment.get(branches[0]) ? branches[1] : branches[2], assignment);
}

function ifConditions(value: Json, found = new Set<string>()): Set<string> {
  const branches = ifArgs(value);
  if (branches !== undefined) {
    found.add(branches[0]);
    ifConditions(branches[1], found);
    ifConditions(branches[2], found);
  }
  return found;
}

/**
 * Whether a mirrored site's value reads the mirror's ImageUri exactly where the written value had an image, and
 * nothing where it had AWS::NoValue, whatever its Fn::If conditions are.
 */
export function readsMirrorWhereItHadAnImage(actual: Json, written: Json, id: string): boolean {
  const names = [...ifConditions(written), ...ifConditions(actual)];
  for (let bits = 0; bits < 2 ** names.length; bits += 1) {
    const assignment = new Map(names.map((name, i) => [name, ((bits >> i) & 1) === 1]));
    const [before, after] = [taken(written, assignment), taken(actual, assignment)];
    if (before === undefined ? after !== undefined : JSON.stringify(after) !== JSON.stringify(mirrorRef(id))) return false;
  }
  return true;
}

/**
 * Undoes what the transform may change (rewritten sites, appended mirrors) and returns the result
 * as key-order-sensitive JSON, to compare with the input's: everything else must be identical.
 */
export function withoutTransformChanges(output: JsonObject, input: JsonObject): string {
  const copy = JSON.parse(JSON.stringify(output)) as JsonObject;
  // Conditions of mirrors needed by sites with different conditions (`ImageMirror<8 hex>Needed`).
  const conditions = copy.Conditions as JsonObject | undefined;
  if (conditions && typeof conditions === 'object' && !Array.isArray(conditions)) {
    const before = (typeof input.Conditions === 'object' && input.Conditions !== null ? input.Conditions : {}) as JsonObject;
    for (const name of Object.keys(conditions)) if (/^ImageMirror[0-9a-f]{8}Needed$/.test(name) && !Object.hasOwn(before, name)) delete conditions[name];
    if (!Object.hasOwn(input, 'Conditions') && Object.keys(conditions).length === 0) delete copy.Conditions;
  }
  const inputResources = (input.Resources ?? {}) as JsonObject;
  const resources = copy.Resources as JsonObject | undefined;
  if (resources && typeof resources === 'object') {
    for (const id of Object.keys(resources)) {
      if (!Object.hasOwn(inputResources, id)) {
        expect((resources[id] as JsonObject).Type).toBe('Custom::ImageMirror');
        delete resources[id];
      }
    }
    for (const id of Object.keys(resources)) {
      const before = inputResources[id] as JsonObject;
      const after = resources[id] as JsonObject;
      if (typeof before !== 'object' || before === null || typeof after !== 'object' || after === null) continue;
      const [bp, ap] = [before.Properties as JsonObject | undefined, after.Properties as JsonObject | undefined];
      if (!bp || !ap || typeof bp !== 'object' || typeof ap !== 'object') continue;
      if (after.Type === 'AWS::Serverless::Function' && Object.hasOwn(ap, 'ImageUri')) ap.ImageUri = bp.ImageUri!;
      const [bc, ac] = [bp.Code as JsonObject | undefined, ap.Code as JsonObject | undefined];
      if (after.Type === 'AWS::Lambda::Function' && ac && bc && typeof ac === 'object' && Object.hasOwn(ac, 'ImageUri')) {
        ac.ImageUri = bc.ImageUri!;
      }
    }
  }
  return JSON.stringify(copy);
}

/** Sysdig's workload agent image, the value MirrorParameters tests give the parameter `Agent`. */
export const AGENT = 'quay.io/sysdig/workload-agent:5.0.1';
/** The whole-index mirror of the parameter `Agent`. */
export const AGENT_MIRROR = expectedMirrorId(ref('Agent'), 'all');
