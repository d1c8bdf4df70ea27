// Templates and images the e2e scenarios deploy, built by small helpers instead of copy-paste.
import { existsSync, readFileSync } from 'node:fs';
import { parseCfnYaml } from '../../src/cli/cfn-yaml.js';
import type { GenerateImageOptions } from '../support/images.js';
import { haveTestData, REAL_TEMPLATES, REAL_TEMPLATES_DIR } from '../support/test-data.js';
import { inCi } from '../support/tools.js';
import type { Json, JsonObject } from './harness/intrinsics.js';

export const MACRO = 'SysdigImageFix';

/** The real Sysdig instrumentation template (third-party test data beside the checkout; required under CI). */
const REAL_INSTRUMENTATION = `${REAL_TEMPLATES_DIR}sysdig-instrumentation-5.0.1.yaml`;
/** The project's own example of the same shape, used when the real template is not there (a laptop). */
const EXAMPLE_INSTRUMENTATION = new URL('../../examples/sysdig-instrumentation.yaml', import.meta.url).pathname;

export interface InstrumentationTemplate {
  readonly source: 'real' | 'example';
  readonly path: string;
  /** The template as its author wrote it, plus `Transform: SysdigImageFix` (the one line a user adds). */
  readonly template: JsonObject;
  /** Parameters the stack needs (the real template has no default for the orchestrator host). */
  readonly parameters: Record<string, string>;
  /** The function whose image is the patcher, and the environment variable holding the workload agent image. */
  readonly patcherFunction: string;
  readonly agentImageVariable: string;
}

export function instrumentationTemplate(): InstrumentationTemplate {
  const real = existsSync(REAL_INSTRUMENTATION);
  if (!real && inCi) {
    haveTestData(REAL_TEMPLATES); // without the folder: the suites' one line naming it and how to get it
    throw new Error(`CI=true but ${REAL_INSTRUMENTATION} is missing from the real templates`);
  }
  if (!real) console.warn(`[e2e] ${REAL_INSTRUMENTATION} is missing; deploying the project example instead`);
  const path = real ? REAL_INSTRUMENTATION : EXAMPLE_INSTRUMENTATION;
  const parsed = parseCfnYaml(readFileSync(path, 'utf8')) as JsonObject;
  const template: JsonObject = { ...parsed, Transform: MACRO };
  return real
    ? {
        source: 'real',
        path,
        template,
        parameters: { SysdigOrchestratorAgentHost: 'orchestrator.e2e.internal' },
        patcherFunction: 'ServerlessPatcherLambda',
        agentImageVariable: 'SYSDIG_WORKLOAD_AGENT_IMAGE',
      }
    : { source: 'example', path, template, parameters: {}, patcherFunction: 'PatcherFunction', agentImageVariable: 'SYSDIG_WORKLOAD_AGENT_IMAGE' };
}

/** The real Sysdig orchestrator agent template (an ECS task definition pulling its image from Quay). */
const REAL_ORCHESTRATOR = `${REAL_TEMPLATES_DIR}sysdig-orchestrator-agent-5.0.1.yaml`;

export interface OrchestratorTemplate {
  readonly path: string;
  /** The template as Sysdig wrote it, plus `Transform: SysdigImageFix`. */
  readonly template: JsonObject;
  /** Values for the parameters without a Default (access key, network). */
  readonly parameters: Record<string, string>;
  /** The task definition and its one container. */
  readonly taskDefinition: string;
  readonly container: string;
}

/**
 * The real orchestrator agent template, or undefined (with a printed reason) on a laptop without the real-templates
 * folder; under CI its absence is a failure. There is no project example of it: its scenarios need the real one.
 */
export function orchestratorTemplate(): OrchestratorTemplate | undefined {
  if (!existsSync(REAL_ORCHESTRATOR)) {
    if (inCi) {
      haveTestData(REAL_TEMPLATES);
      throw new Error(`CI=true but ${REAL_ORCHESTRATOR} is missing from the real templates`);
    }
    console.warn(`[e2e] ${REAL_ORCHESTRATOR} is missing; its scenarios are skipped`);
    return undefined;
  }
  const parsed = parseCfnYaml(readFileSync(REAL_ORCHESTRATOR, 'utf8')) as JsonObject;
  return {
    path: REAL_ORCHESTRATOR,
    template: { ...parsed, Transform: MACRO },
    parameters: {
      SysdigAccessKey: 'e2e-access-key',
      VPC: 'vpc-0e2e0e2e0e2e0e2e0',
      SubnetA: 'subnet-0a0a0a0a0a0a0a0a0',
      SubnetB: 'subnet-0b0b0b0b0b0b0b0b0',
      NetworkType: 'Private Subnet',
    },
    taskDefinition: 'SysdigOrchestratorAgent',
    container: 'OrchestratorAgent',
  };
}

/**
 * `template` with `Metadata.SysdigImageFix` set to `options` (the template's other Metadata kept), or on one
 * resource when `resource` is given: how a user opts in, added in code so the real templates stay as published.
 */
export function withSysdigImageFix(template: JsonObject, options: JsonObject, resource?: string): JsonObject {
  const copy = structuredClone(template);
  const holder = resource === undefined ? copy : ((copy.Resources as JsonObject)[resource] as JsonObject);
  if (holder === undefined) throw new Error(`withSysdigImageFix: the template has no resource ${resource}`);
  holder.Metadata = { ...((holder.Metadata as JsonObject | undefined) ?? {}), SysdigImageFix: options };
  return copy;
}

/** The template as the macro receives it (CloudFormation hands it over without the Transform section). */
export function withoutTransform(template: JsonObject): JsonObject {
  const { Transform: _transform, ...rest } = structuredClone(template);
  return rest;
}

export interface FunctionSpec {
  readonly logicalId: string;
  /** A literal reference or an intrinsic. */
  readonly imageUri: Json;
  readonly architecture?: 'x86_64' | 'arm64';
}

/** A plain CloudFormation template with image functions (AWS::Lambda::Function) and one role. */
export function lambdaTemplate(
  functions: readonly FunctionSpec[],
  extra: { parameters?: JsonObject; transform?: Json; conditions?: JsonObject; metadata?: JsonObject } = {},
): JsonObject {
  const resources: JsonObject = {
    FunctionRole: {
      Type: 'AWS::IAM::Role',
      Properties: {
        AssumeRolePolicyDocument: {
          Version: '2012-10-17',
          Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }],
        },
      },
    },
  };
  for (const fn of functions) {
    resources[fn.logicalId] = {
      Type: 'AWS::Lambda::Function',
      Properties: {
        PackageType: 'Image',
        Role: { 'Fn::GetAtt': ['FunctionRole', 'Arn'] },
        Code: { ImageUri: fn.imageUri },
        ...(fn.architecture ? { Architectures: [fn.architecture] } : {}),
      },
    };
  }
  return {
    AWSTemplateFormatVersion: '2010-09-09',
    Transform: extra.transform ?? MACRO,
    ...(extra.metadata ? { Metadata: extra.metadata } : {}),
    ...(extra.parameters ? { Parameters: extra.parameters } : {}),
    ...(extra.conditions ? { Conditions: extra.conditions } : {}),
    Resources: resources,
  };
}

/** A SAM application with one image function from Docker Hub, the transforms in the given order. */
export function samTemplate(transforms: readonly string[], imageUri: string, architecture: 'x86_64' | 'arm64'): string {
  return [
    `AWSTemplateFormatVersion: '2010-09-09'`,
    `Transform: [${transforms.join(', ')}]`,
    `Parameters:`,
    `  WebImage:`,
    `    Type: String`,
    `    Default: ${imageUri}`,
    `Globals:`,
    `  Function:`,
    `    Timeout: 10`,
    `Resources:`,
    `  WebFunction:`,
    `    Type: AWS::Serverless::Function`,
    `    Properties:`,
    `      PackageType: Image`,
    `      ImageUri: !Ref WebImage`,
    `      Architectures: [${architecture}]`,
    `      MemorySize: 256`,
    ``,
  ].join('\n');
}

/** Small generated images (a few KiB per layer) keep the suite fast; the copy benchmark uses big ones. */
export const MULTI_ARCH_WITH_ATTESTATION: GenerateImageOptions = { platforms: ['linux/amd64', 'linux/arm64/v8'], attestation: true, layers: 2 };
export const DOCKER_MULTI_ARCH: GenerateImageOptions = { platforms: ['linux/amd64', 'linux/arm64'], format: 'docker', layers: 2 };
export const AMD64_ONLY: GenerateImageOptions = { platforms: ['linux/amd64'], layers: 2 };
