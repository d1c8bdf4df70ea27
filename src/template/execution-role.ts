// Private ECR needs credentials that a public registry did not: ECS pulls a task's images with the task's execution
// role. A task definition that would read a mirrored image without ExecutionRoleArn fails the transform; one whose
// execution role is defined in this template without ECR pull permission gets a warning (the task would fail to
// start with CannotPullContainerError, but the role may be widened later, e.g. by another stack's policy).
import { iamPatternMatches } from '../iam.js';
import { getOwn, intrinsicOf, isJsonObject } from './json.js';
import { grantsEcrPull, PULL_POLICY_EXAMPLES } from './managed-policies.js';
import type { Resolver } from './resolve/resolver.js';
import type { Json, JsonObject, TransformProblem } from './types.js';

const PULL_ACTIONS = ['ecr:GetAuthorizationToken', 'ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer'] as const;
const ROLE = 'AWS::IAM::Role';
const POLICY_RESOURCES = new Set(['AWS::IAM::Policy', 'AWS::IAM::ManagedPolicy', 'AWS::IAM::RolePolicy']);

/** The logical id of an AWS::IAM::Role of this template that `Ref R` or `GetAtt R.Arn` names. */
function roleOf(expression: Json | undefined, resources: JsonObject): string | undefined {
  const intrinsic = intrinsicOf(expression);
  if (intrinsic === undefined) return undefined;
  const [name, arg] = intrinsic;
  let target: Json | undefined;
  if (name === 'Ref') target = arg;
  else if (name === 'Fn::GetAtt') {
    if (Array.isArray(arg) && arg.length === 2 && arg[1] === 'Arn') target = arg[0];
    else if (typeof arg === 'string' && arg.endsWith('.Arn')) target = arg.slice(0, -'.Arn'.length);
  }
  return typeof target === 'string' && getOwn(getOwn(resources, target), 'Type') === ROLE ? target : undefined;
}

/** The actions a policy document's Allow statements grant (literal Action values only). */
function allowedActions(document: Json | undefined): string[] {
  let parsed = document;
  if (typeof parsed === 'string') {
    try {
      parsed = JSON.parse(parsed) as Json;
    } catch {
      return [];
    }
  }
  const statements = getOwn(parsed, 'Statement');
  const list = Array.isArray(statements) ? statements : [statements];
  return list.flatMap((statement) => {
    if (!isJsonObject(statement) || getOwn(statement, 'Effect') !== 'Allow') return [];
    const action = getOwn(statement, 'Action');
    return (Array.isArray(action) ? action : [action]).filter((item): item is string => typeof item === 'string');
  });
}

/** Whether the role grants ECR pull: an AWS managed policy that does, or the three actions in its inline or attached policies. */
function grantsPull(roleId: string, role: JsonObject, resources: JsonObject, resolver: Resolver): boolean {
  const properties = getOwn(role, 'Properties');
  const managed = getOwn(properties, 'ManagedPolicyArns');
  const documents: (Json | undefined)[] = [];
  // A list given as an intrinsic, or an ARN not known here, may well be the managed policy: no warning then.
  if (managed !== undefined && !Array.isArray(managed)) return true;
  for (const arn of (managed as Json[] | undefined) ?? []) {
    const reference = intrinsicOf(arn);
    const target = reference?.[0] === 'Ref' && typeof reference[1] === 'string' ? getOwn(resources, reference[1]) : undefined;
    if (getOwn(target, 'Type') === 'AWS::IAM::ManagedPolicy') {
      documents.push(getOwn(getOwn(target, 'Properties'), 'PolicyDocument'));
      continue;
    }
    const evaluation = resolver.evaluate(arn);
    if (evaluation.kind !== 'value' || typeof evaluation.value !== 'string' || grantsEcrPull(evaluation.value)) return true;
  }
  const inline = getOwn(properties, 'Policies');
  for (const policy of Array.isArray(inline) ? inline : []) documents.push(getOwn(policy, 'PolicyDocument'));
  // Policies of this template that attach themselves to the role.
  for (const resource of Object.values(resources)) {
    if (!POLICY_RESOURCES.has(getOwn(resource, 'Type') as string)) continue;
    const attachedTo = getOwn(getOwn(resource, 'Properties'), 'Roles') ?? [getOwn(getOwn(resource, 'Properties'), 'RoleName')];
    if (!Array.isArray(attachedTo) || !attachedTo.some((item) => roleOf(item, resources) === roleId)) continue;
    documents.push(getOwn(getOwn(resource, 'Properties'), 'PolicyDocument'));
  }
  const actions = documents.flatMap(allowedActions);
  return PULL_ACTIONS.every((needed) => actions.some((pattern) => iamPatternMatches(pattern, needed, { ignoreCase: true })));
}

/**
 * The warning for a task definition whose images now come from a mirror, when its execution role is a role of this
 * template that cannot pull from ECR; undefined otherwise. (A missing ExecutionRoleArn is an error: see transform.)
 */
export function executionRoleWarning(logicalId: string, taskDefinition: JsonObject, resources: JsonObject, resolver: Resolver): TransformProblem | undefined {
  const roleId = roleOf(getOwn(getOwn(taskDefinition, 'Properties'), 'ExecutionRoleArn'), resources);
  if (roleId === undefined) return undefined;
  const role = getOwn(resources, roleId) as JsonObject;
  if (grantsPull(roleId, role, resources, resolver)) return undefined;
  return {
    logicalId,
    message:
      `Resource ${logicalId}: its images now come from private ECR, but its execution role ${roleId} grants no ECR pull permission ` +
      `(none of its policies allows ${PULL_ACTIONS.join(', ')}, nor is one an AWS managed policy that does, such as ` +
      `${PULL_POLICY_EXAMPLES.join(', ')}); tasks will fail with ` +
      `CannotPullContainerError. Add the managed policy arn:<partition>:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy to ${roleId}'s ManagedPolicyArns`,
  };
}

/** Whether a task definition has an ExecutionRoleArn at all. */
export function hasExecutionRole(taskDefinition: JsonObject): boolean {
  return getOwn(getOwn(taskDefinition, 'Properties'), 'ExecutionRoleArn') !== undefined;
}
