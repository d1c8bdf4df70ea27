// "Deploys" the macro stack (template.yaml at the repository root) into the local emulators: its parameters are
// bound like CloudFormation binds them, and the pieces the e2e run needs are resolved from the template itself:
// the CodeBuild project (name, log group, timeout and the buildspec INLINE in Source.BuildSpec), the mirror and macro
// functions (names, ARNs, environment variables, timeouts). Nothing is re-typed here, so the e2e run follows the
// template as it is deployed.
import { readFile } from 'node:fs/promises';
import { parseCfnYaml } from '../../../src/cli/cfn-yaml.js';
import { bindParameters, evaluateConditions, IntrinsicError, partitionOf, resolve, type Json, type JsonObject, type ResolveScope } from './intrinsics.js';

export const MACRO_STACK_TEMPLATE = new URL('../../../template.yaml', import.meta.url).pathname;

export interface FunctionSpec {
  readonly logicalId: string;
  readonly name: string;
  readonly arn: string;
  readonly environment: Record<string, string>;
  readonly timeoutSeconds: number;
  readonly memoryMb: number;
}

export interface MacroStack {
  readonly parameters: Record<string, Json>;
  readonly macroName: string;
  readonly macroFunction: FunctionSpec;
  readonly mirrorFunction: FunctionSpec;
  readonly buildProject: { name: string; buildspec: string; logGroupName: string; timeoutInMinutes: number };
}

export class MacroStackError extends Error {
  override readonly name = 'MacroStackError';
}

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Physical ids and attributes of the macro stack's resources, derived from their own (resolved) properties. */
function resourceLookup(resources: JsonObject, scopeOf: () => ResolveScope, region: string, accountId: string): ResolveScope['resources'] {
  const partition = partitionOf(region);
  const property = (logicalId: string, name: string): string | undefined => {
    const properties = (resources[logicalId] as JsonObject | undefined)?.Properties;
    if (!isObject(properties) || properties[name] === undefined) return undefined;
    const value = resolve(properties[name]!, scopeOf());
    return typeof value === 'string' ? value : undefined;
  };
  const typeOf = (logicalId: string): string | undefined => {
    const type = (resources[logicalId] as JsonObject | undefined)?.Type;
    return typeof type === 'string' ? type : undefined;
  };
  const ref = (logicalId: string): string | undefined => {
    switch (typeOf(logicalId)) {
      case 'AWS::Logs::LogGroup':
        return property(logicalId, 'LogGroupName');
      case 'AWS::CodeBuild::Project':
        return property(logicalId, 'Name');
      case 'AWS::Lambda::Function':
      case 'AWS::Serverless::Function':
        return property(logicalId, 'FunctionName');
      case 'AWS::IAM::Role':
        return property(logicalId, 'RoleName') ?? `macro-stack-${logicalId}`;
      case undefined:
        return undefined;
      default:
        return `macro-stack-${logicalId}`;
    }
  };
  return {
    ref,
    getAtt(logicalId, attribute) {
      const physical = ref(logicalId);
      if (physical === undefined || attribute !== 'Arn') return undefined;
      switch (typeOf(logicalId)) {
        case 'AWS::Logs::LogGroup':
          return `arn:${partition}:logs:${region}:${accountId}:log-group:${physical}:*`;
        case 'AWS::CodeBuild::Project':
          return `arn:${partition}:codebuild:${region}:${accountId}:project/${physical}`;
        case 'AWS::Lambda::Function':
        case 'AWS::Serverless::Function':
          return `arn:${partition}:lambda:${region}:${accountId}:function:${physical}`;
        case 'AWS::IAM::Role':
          return `arn:${partition}:iam::${accountId}:role/${physical}`;
        default:
          return undefined;
      }
    },
  };
}

function resourceOfType(resources: JsonObject, type: string, hint: string): string {
  const ids = Object.keys(resources).filter((id) => (resources[id] as JsonObject).Type === type);
  const id = ids.length === 1 ? ids[0] : ids.find((candidate) => candidate.toLowerCase().includes(hint));
  if (id === undefined) throw new MacroStackError(`template.yaml: no single ${type} resource (looked for one named like "${hint}")`);
  return id;
}

/**
 * Reads template.yaml and resolves the macro stack for `parameters` (CloudFormation parameter values; the rest keep
 * their Defaults). Throws MacroStackError when the template lacks a piece the e2e run needs.
 */
export async function loadMacroStack(options: {
  region: string;
  accountId: string;
  parameters?: Readonly<Record<string, string>>;
  templatePath?: string;
}): Promise<MacroStack> {
  const path = options.templatePath ?? MACRO_STACK_TEMPLATE;
  const template = parseCfnYaml(await readFile(path, 'utf8')) as JsonObject;
  const resources = isObject(template.Resources) ? template.Resources : {};
  const stackName = 'sysdig-image-fix';
  const base = {
    parameters: bindParameters(template, options.parameters ?? {}),
    region: options.region,
    accountId: options.accountId,
    stackName,
    stackId: `arn:aws:cloudformation:${options.region}:${options.accountId}:stack/${stackName}/00000000-0000-4000-8000-000000000000`,
    mappings: isObject(template.Mappings) ? template.Mappings : {},
  };
  let scope: ResolveScope;
  const resourcesLookup = resourceLookup(resources, () => scope, options.region, options.accountId);
  scope = { ...base, conditions: {}, resources: resourcesLookup };
  scope = { ...scope, conditions: evaluateConditions(template, scope) };

  const resolved = (logicalId: string): JsonObject => {
    try {
      const properties = resolve((resources[logicalId] as JsonObject).Properties ?? {}, scope);
      return isObject(properties) ? properties : {};
    } catch (error) {
      if (error instanceof IntrinsicError) throw new MacroStackError(`template.yaml ${logicalId}: ${error.message}`);
      throw error;
    }
  };
  const functionSpec = (logicalId: string): FunctionSpec => {
    const properties = resolved(logicalId);
    const name = properties.FunctionName;
    if (typeof name !== 'string') throw new MacroStackError(`template.yaml ${logicalId} has no FunctionName`);
    const variables = isObject(properties.Environment) && isObject(properties.Environment.Variables) ? properties.Environment.Variables : {};
    return {
      logicalId,
      name,
      arn: String(resourcesLookup.getAtt(logicalId, 'Arn')),
      environment: Object.fromEntries(Object.entries(variables).map(([key, value]) => [key, String(value)])),
      timeoutSeconds: Number(properties.Timeout ?? 3),
      memoryMb: Number(properties.MemorySize ?? 128),
    };
  };

  const macroId = resourceOfType(resources, 'AWS::CloudFormation::Macro', 'macro');
  const macro = resolved(macroId);
  const macroFunctionArn = macro.FunctionName;
  const macroFunction = Object.keys(resources).find((id) => resourcesLookup.getAtt(id, 'Arn') === macroFunctionArn);
  if (macroFunction === undefined) {
    throw new MacroStackError(`template.yaml: the macro's FunctionName ${JSON.stringify(macroFunctionArn)} is not a function of the stack`);
  }

  const projectId = resourceOfType(resources, 'AWS::CodeBuild::Project', 'mirror');
  const project = resolved(projectId);
  const source = isObject(project.Source) ? project.Source : {};
  const cloudWatch = isObject(project.LogsConfig) && isObject(project.LogsConfig.CloudWatchLogs) ? project.LogsConfig.CloudWatchLogs : {};
  if (typeof source.BuildSpec !== 'string') throw new MacroStackError(`template.yaml ${projectId} has no inline Source.BuildSpec`);
  if (typeof project.Name !== 'string') throw new MacroStackError(`template.yaml ${projectId} has no Name`);
  if (typeof cloudWatch.GroupName !== 'string') throw new MacroStackError(`template.yaml ${projectId} logs to no CloudWatch Logs group`);

  const mirrorId = Object.keys(resources).find((id) => {
    const type = (resources[id] as JsonObject).Type;
    return id !== macroFunction && (type === 'AWS::Serverless::Function' || type === 'AWS::Lambda::Function') && id.toLowerCase().includes('mirror');
  });
  if (mirrorId === undefined) throw new MacroStackError('template.yaml has no mirror function');

  return {
    parameters: base.parameters,
    macroName: String(macro.Name),
    macroFunction: functionSpec(macroFunction),
    mirrorFunction: functionSpec(mirrorId),
    buildProject: {
      name: project.Name,
      buildspec: source.BuildSpec,
      logGroupName: cloudWatch.GroupName,
      timeoutInMinutes: Number(project.TimeoutInMinutes ?? 60),
    },
  };
}
