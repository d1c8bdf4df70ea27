// Builders for macro events and templates, so each test states only what it is about.
import { MIRROR_RESOURCE_TYPE } from '../../../src/contract.js';
import type { MacroLog } from '../../../src/macro/handler.js';
import type { Json, JsonObject } from '../../../src/template/types.js';

export const REGION = 'ap-northeast-1';
export const ACCOUNT = '123456789012';
export const MIRROR_ARN = `arn:aws:lambda:${REGION}:${ACCOUNT}:function:sysdig-image-fix-mirror`;
export const MACRO_ENV = { MIRROR_FUNCTION_ARN: MIRROR_ARN } as const;

export const QUAY_IMAGE = 'quay.io/sysdig/serverless-patcher:5.0.1';
export const OTHER_REGION_ECR_IMAGE = '518078317392.dkr.ecr.eu-west-1.amazonaws.com/compose-x-macro:nightly';
export const SAME_REGION_ECR_IMAGE = `${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com/team/app:1.2.3`;

export interface FunctionOptions {
  readonly architectures?: Json;
  readonly metadata?: JsonObject;
  readonly condition?: string;
}

/** An `AWS::Lambda::Function` running `image` (a literal or an intrinsic). */
export function lambdaImageFunction(image: Json, options: FunctionOptions = {}): JsonObject {
  return {
    Type: 'AWS::Lambda::Function',
    ...(options.condition !== undefined ? { Condition: options.condition } : {}),
    ...(options.metadata !== undefined ? { Metadata: options.metadata } : {}),
    Properties: {
      PackageType: 'Image',
      Role: { 'Fn::GetAtt': ['FunctionRole', 'Arn'] },
      Code: { ImageUri: image },
      ...(options.architectures !== undefined ? { Architectures: options.architectures } : {}),
    },
  };
}

/** An `AWS::Serverless::Function` (SAM) running `image`. */
export function samImageFunction(image: Json, options: FunctionOptions = {}): JsonObject {
  return {
    Type: 'AWS::Serverless::Function',
    ...(options.metadata !== undefined ? { Metadata: options.metadata } : {}),
    Properties: {
      PackageType: 'Image',
      ImageUri: image,
      ...(options.architectures !== undefined ? { Architectures: options.architectures } : {}),
    },
  };
}

/** A template with the given resources (plus an IAM role functions can point at) and sections. */
export function templateWith(resources: Record<string, JsonObject>, sections: JsonObject = {}): JsonObject {
  return {
    AWSTemplateFormatVersion: '2010-09-09',
    ...sections,
    Resources: {
      FunctionRole: {
        Type: 'AWS::IAM::Role',
        Properties: {
          AssumeRolePolicyDocument: {
            Version: '2012-10-17',
            Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }],
          },
        },
      },
      ...resources,
    },
  };
}

export function stringParameter(defaultValue?: string): JsonObject {
  return { Type: 'String', ...(defaultValue !== undefined ? { Default: defaultValue } : {}) };
}

/** A macro event as CloudFormation sends it for a top-level `Transform: SysdigImageFix`. */
export function macroEvent(fragment: unknown, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    region: REGION,
    accountId: ACCOUNT,
    fragment,
    transformId: `${ACCOUNT}::SysdigImageFix`,
    params: {},
    requestId: 'req-0b6e1c2f',
    templateParameterValues: {},
    ...overrides,
  };
}

export interface LogEntry {
  readonly level: 'info' | 'warn' | 'error';
  readonly message: string;
  readonly attributes: Record<string, unknown>;
}

/** A MacroLog that keeps what was logged. */
export function recordingLog(): MacroLog & { readonly entries: LogEntry[] } {
  const entries: LogEntry[] = [];
  return {
    entries,
    info: (message, attributes) => entries.push({ level: 'info', message, attributes }),
    warn: (message, attributes) => entries.push({ level: 'warn', message, attributes }),
    error: (message, attributes) => entries.push({ level: 'error', message, attributes }),
  };
}

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The image expression of a function site, whichever resource type it is. */
export function siteImage(resource: unknown): unknown {
  if (!isObject(resource) || !isObject(resource.Properties)) return undefined;
  const properties = resource.Properties;
  return resource.Type === 'AWS::Serverless::Function' ? properties.ImageUri : isObject(properties.Code) ? properties.Code.ImageUri : undefined;
}

/**
 * Follows a rewritten site to its injected mirror: the site must read `Fn::GetAtt [<id>, ImageUri]`
 * and `<id>` must be a Custom::ImageMirror. Throws (failing the test) otherwise.
 */
export function mirrorOf(fragment: unknown, logicalId: string): { readonly id: string; readonly properties: JsonObject; readonly resource: JsonObject } {
  const resources = isObject(fragment) && isObject(fragment.Resources) ? fragment.Resources : {};
  const image = siteImage(resources[logicalId]);
  const getAtt = isObject(image) ? image['Fn::GetAtt'] : undefined;
  if (!Array.isArray(getAtt) || getAtt.length !== 2 || getAtt[1] !== 'ImageUri' || typeof getAtt[0] !== 'string') {
    throw new Error(`${logicalId} does not read an ImageMirror's ImageUri: ${JSON.stringify(image)}`);
  }
  const resource = resources[getAtt[0]];
  if (!isObject(resource) || resource.Type !== MIRROR_RESOURCE_TYPE || !isObject(resource.Properties)) {
    throw new Error(`${getAtt[0]} (read by ${logicalId}) is not a ${MIRROR_RESOURCE_TYPE}: ${JSON.stringify(resource)}`);
  }
  return { id: getAtt[0], properties: resource.Properties, resource };
}

/** Logical ids of every Custom::ImageMirror in a template. */
export function mirrorIds(fragment: unknown): string[] {
  const resources = isObject(fragment) && isObject(fragment.Resources) ? fragment.Resources : {};
  return Object.entries(resources)
    .filter(([, resource]) => isObject(resource) && resource.Type === MIRROR_RESOURCE_TYPE)
    .map(([id]) => id)
    .sort();
}
