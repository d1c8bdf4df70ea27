// Test helper: decides a CloudFormation template for concrete parameter values (conditions, Fn::If, Ref,
// Fn::Sub, Fn::Join) and audits every IAM policy statement in it against the project's least-privilege
// rules. Used by the unit tests of these rules and by the integration test on the real templates.
import type { Json, JsonObject } from '../../../src/template/types.js';

export interface Pseudo {
  readonly partition: string;
  readonly region: string;
  readonly accountId: string;
  readonly stackName: string;
}

export const DEFAULT_PSEUDO: Pseudo = {
  partition: 'aws',
  region: 'eu-west-1',
  accountId: '123456789012',
  stackName: 'sysdig-image-fix',
};

const NO_VALUE = Symbol('AWS::NoValue');
type Resolved = Json | typeof NO_VALUE;

function isObject(value: unknown): value is JsonObject {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** Parameter values: the template's defaults overridden by `overrides`, all as strings (as Ref returns them). */
export function parameterValues(template: JsonObject, overrides: Record<string, string> = {}): Record<string, string> {
  const values: Record<string, string> = {};
  const parameters = isObject(template.Parameters) ? template.Parameters : {};
  for (const [name, definition] of Object.entries(parameters)) {
    if (isObject(definition) && definition.Default !== undefined) values[name] = String(definition.Default);
  }
  for (const [name, value] of Object.entries(overrides)) {
    if (!(name in parameters)) throw new Error(`parameter ${name} is not declared by the template`);
    values[name] = value;
  }
  return values;
}

class Resolver {
  private readonly conditions = new Map<string, boolean>();
  private readonly resourceIds: Set<string>;

  constructor(
    private readonly template: JsonObject,
    private readonly parameters: Record<string, string>,
    private readonly pseudo: Pseudo,
  ) {
    this.resourceIds = new Set(Object.keys(isObject(template.Resources) ? template.Resources : {}));
  }

  condition(name: string): boolean {
    const known = this.conditions.get(name);
    if (known !== undefined) return known;
    const definitions = isObject(this.template.Conditions) ? this.template.Conditions : {};
    const definition = definitions[name];
    if (definition === undefined) throw new Error(`condition ${name} is not defined`);
    const value = this.truth(definition);
    this.conditions.set(name, value);
    return value;
  }

  private truth(expression: Json): boolean {
    if (!isObject(expression)) throw new Error(`not a condition: ${JSON.stringify(expression)}`);
    const [fn, args] = Object.entries(expression)[0] ?? [];
    if (fn === 'Condition' && typeof args === 'string') return this.condition(args);
    if (!Array.isArray(args)) throw new Error(`not a condition: ${JSON.stringify(expression)}`);
    switch (fn) {
      case 'Fn::Equals':
        return JSON.stringify(this.value(args[0]!)) === JSON.stringify(this.value(args[1]!));
      case 'Fn::Not':
        return !this.truth(args[0]!);
      case 'Fn::And':
        return args.every((arg) => this.truth(arg));
      case 'Fn::Or':
        return args.some((arg) => this.truth(arg));
      default:
        throw new Error(`unsupported condition function ${fn}`);
    }
  }

  private ref(name: string): Resolved {
    switch (name) {
      case 'AWS::NoValue':
        return NO_VALUE;
      case 'AWS::Partition':
        return this.pseudo.partition;
      case 'AWS::Region':
        return this.pseudo.region;
      case 'AWS::AccountId':
        return this.pseudo.accountId;
      case 'AWS::StackName':
        return this.pseudo.stackName;
      case 'AWS::URLSuffix':
        return 'amazonaws.com';
    }
    if (name in this.parameters) {
      // A CommaDelimitedList parameter is a list of strings, as CloudFormation binds it.
      const declared = isObject(this.template.Parameters) ? this.template.Parameters[name] : undefined;
      const type = isObject(declared) ? declared.Type : undefined;
      return type === 'CommaDelimitedList' ? this.parameters[name]!.split(',').map((item) => item.trim()) : this.parameters[name]!;
    }
    if (this.resourceIds.has(name)) return `<${name}>`;
    throw new Error(`Ref to unknown name ${name}`);
  }

  private sub(text: string, variables: JsonObject): string {
    return text.replace(/\$\{([^}]+)\}/g, (whole, name: string) => {
      if (name.startsWith('!')) return `\${${name.slice(1)}}`;
      if (name in variables) return String(this.value(variables[name]!));
      if (name.includes('.')) {
        const dot = name.indexOf('.');
        return `<${name.slice(0, dot)}.${name.slice(dot + 1)}>`;
      }
      const resolved = this.ref(name);
      if (typeof resolved !== 'string') throw new Error(`cannot substitute ${whole}`);
      return resolved;
    });
  }

  value(input: Json): Resolved {
    if (Array.isArray(input)) {
      return input.map((item) => this.value(item)).filter((item): item is Json => item !== NO_VALUE);
    }
    if (!isObject(input)) return input;
    const keys = Object.keys(input);
    if (keys.length === 1) {
      const key = keys[0]!;
      const arg = input[key]!;
      if (key === 'Ref' && typeof arg === 'string') return this.ref(arg);
      if (key === 'Fn::GetAtt' && Array.isArray(arg)) return `<${arg.join('.')}>`;
      if (key === 'Fn::If' && Array.isArray(arg) && typeof arg[0] === 'string') {
        return this.value(this.condition(arg[0]) ? arg[1]! : arg[2]!);
      }
      if (key === 'Fn::Sub') {
        if (typeof arg === 'string') return this.sub(arg, {});
        if (Array.isArray(arg) && typeof arg[0] === 'string' && isObject(arg[1])) return this.sub(arg[0], arg[1]);
      }
      if (key === 'Fn::Join' && Array.isArray(arg) && typeof arg[0] === 'string' && arg[1] !== undefined) {
        const parts = this.value(arg[1]);
        if (Array.isArray(parts)) return parts.map(String).join(arg[0]);
      }
    }
    const out: JsonObject = {};
    for (const [key, value] of Object.entries(input)) {
      const resolved = this.value(value);
      if (resolved !== NO_VALUE) out[key] = resolved;
    }
    return out;
  }

  resources(): Record<string, JsonObject> {
    const resources = isObject(this.template.Resources) ? this.template.Resources : {};
    const out: Record<string, JsonObject> = {};
    for (const [id, resource] of Object.entries(resources)) {
      if (!isObject(resource)) continue;
      if (typeof resource.Condition === 'string' && !this.condition(resource.Condition)) continue;
      const resolved = this.value(resource);
      if (isObject(resolved)) out[id] = resolved;
    }
    return out;
  }
}

/** The template's resources as deployed with these parameter values: conditions applied, intrinsics evaluated. */
export function decideResources(template: JsonObject, overrides: Record<string, string> = {}, pseudo: Pseudo = DEFAULT_PSEUDO): Record<string, JsonObject> {
  return new Resolver(template, parameterValues(template, overrides), pseudo).resources();
}

// --------------------------------------------------------------------------------------- the audit

export interface Statement {
  readonly resource: string;
  readonly policy: string;
  readonly sid?: string;
  readonly effect: string;
  readonly actions: readonly string[];
  readonly resources: readonly string[];
  readonly raw: JsonObject;
}

function strings(value: Json | undefined): string[] {
  if (value === undefined) return [];
  return (Array.isArray(value) ? value : [value]).map((item) => (typeof item === 'string' ? item : JSON.stringify(item)));
}

function statementsOf(document: Json | undefined, resource: string, policy: string): Statement[] {
  if (!isObject(document)) return [];
  const list = Array.isArray(document.Statement) ? document.Statement : [document.Statement];
  return list.filter(isObject).map((raw) => ({
    resource,
    policy,
    ...(typeof raw.Sid === 'string' ? { sid: raw.Sid } : {}),
    effect: String(raw.Effect),
    actions: strings(raw.Action),
    resources: strings(raw.Resource),
    raw,
  }));
}

/** Every IAM statement of decided resources: inline role policies, trust policies, AWS::IAM::Policy/ManagedPolicy. */
export function policyStatements(resources: Record<string, JsonObject>): Statement[] {
  const out: Statement[] = [];
  for (const [id, resource] of Object.entries(resources)) {
    const properties = isObject(resource.Properties) ? resource.Properties : {};
    switch (resource.Type) {
      case 'AWS::IAM::Role': {
        out.push(...statementsOf(properties.AssumeRolePolicyDocument, id, 'AssumeRolePolicyDocument'));
        for (const policy of Array.isArray(properties.Policies) ? properties.Policies.filter(isObject) : []) {
          out.push(...statementsOf(policy.PolicyDocument, id, String(policy.PolicyName)));
        }
        break;
      }
      case 'AWS::IAM::Policy':
      case 'AWS::IAM::ManagedPolicy':
        out.push(...statementsOf(properties.PolicyDocument, id, String(properties.PolicyName ?? id)));
        break;
    }
  }
  return out;
}

export interface AuditContext {
  readonly pseudo: Pseudo;
  readonly repositoryPrefix: string;
  /** Empty when no secret is configured. */
  readonly registryCredentialsSecretArn: string;
  /** Empty when no key is configured. */
  readonly kmsKeyArn: string;
}

export interface Violation {
  readonly resource: string;
  readonly sid?: string;
  readonly message: string;
}

/** Actions that name no resource, so IAM authorises them only on "*". */
const RESOURCE_STAR_ONLY = new Set(['ecr:GetAuthorizationToken']);
/** ECR actions that only read; every other ECR action writes and is confined to the prefix. */
const ECR_READ_ONLY = new Set([
  'ecr:BatchGetImage',
  'ecr:GetDownloadUrlForLayer',
  'ecr:BatchCheckLayerAvailability',
  'ecr:DescribeImages',
  'ecr:DescribeRepositories',
  'ecr:GetRepositoryPolicy',
  'ecr:ListImages',
  'ecr:GetAuthorizationToken',
]);

/** Least-privilege rules of the macro stack; an empty result means the policies pass. */
export function auditPolicies(resources: Record<string, JsonObject>, context: AuditContext): Violation[] {
  const violations: Violation[] = [];
  const { partition, region, accountId } = context.pseudo;
  const prefixRepositories = `arn:${partition}:ecr:${region}:${accountId}:repository/${context.repositoryPrefix}/*`;
  for (const [id, resource] of Object.entries(resources)) {
    const properties = isObject(resource.Properties) ? resource.Properties : {};
    if (properties.ManagedPolicyArns !== undefined) {
      violations.push({ resource: id, message: 'attaches managed policies; write the statements out' });
    }
  }
  for (const statement of policyStatements(resources)) {
    const at = { resource: statement.resource, ...(statement.sid ? { sid: statement.sid } : {}) };
    const flag = (message: string) => violations.push({ ...at, message });
    if (statement.raw.NotAction !== undefined) flag('uses NotAction');
    if (statement.raw.NotResource !== undefined) flag('uses NotResource');
    if (statement.actions.length === 0) flag('has no Action');
    for (const action of statement.actions) {
      if (action.includes('*')) flag(`action "${action}" is a wildcard`);
    }
    if (statement.policy === 'AssumeRolePolicyDocument') continue;
    if (statement.effect !== 'Allow') continue;
    if (statement.resources.length === 0) flag('has no Resource');
    if (statement.resources.includes('*')) {
      const others = statement.actions.filter((action) => !RESOURCE_STAR_ONLY.has(action));
      if (others.length > 0) flag(`grants ${others.join(', ')} on "*"`);
    }
    for (const action of statement.actions) {
      const lower = action.toLowerCase();
      if (lower.startsWith('ecr:') && !ECR_READ_ONLY.has(action)) {
        const outside = statement.resources.filter((arn) => arn !== prefixRepositories);
        if (outside.length > 0) flag(`ECR write action ${action} on ${outside.join(', ')} (only ${prefixRepositories})`);
      }
      if (lower.startsWith('secretsmanager:')) {
        if (context.registryCredentialsSecretArn === '') {
          flag(`${action} granted although RegistryCredentialsSecretArn is empty`);
        } else if (statement.resources.some((arn) => arn !== context.registryCredentialsSecretArn)) {
          flag(`${action} on ${statement.resources.join(', ')} (only the configured secret)`);
        }
      }
      if (lower.startsWith('kms:')) {
        if (context.kmsKeyArn === '') flag(`${action} granted although KmsKeyArn is empty`);
        else if (statement.resources.some((arn) => arn !== context.kmsKeyArn)) {
          flag(`${action} on ${statement.resources.join(', ')} (only the configured key)`);
        }
      }
    }
  }
  return violations;
}
