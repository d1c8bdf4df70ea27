// The execution-role warning of a task definition whose images now come from a mirror: which roles and policies of
// the template count as granting ECR pull, and what the user reads when none does.
import { describe, expect, it } from 'vitest';
import { transform } from '../../../src/template/transform.js';
import type { Json, JsonObject, TransformProblem } from '../../../src/template/types.js';
import { context, defaults, expectSuccess, QUAY_IMAGE, ref, stringParameter, template } from './fixtures.js';

const PULL = ['ecr:GetAuthorizationToken', 'ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer'];
const MANAGED = 'arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy';

const taskDefinition = (role: Json): JsonObject => ({
  Type: 'AWS::ECS::TaskDefinition',
  Properties: { ExecutionRoleArn: role, ContainerDefinitions: [{ Name: 'c', Image: QUAY_IMAGE }] },
});
const role = (properties: JsonObject = {}): JsonObject => ({ Type: 'AWS::IAM::Role', Properties: { AssumeRolePolicyDocument: {}, ...properties } });
const allow = (actions: Json): JsonObject => ({ Effect: 'Allow', Action: actions, Resource: '*' });
const inline = (document: Json): JsonObject => ({ Policies: [{ PolicyName: 'pull', PolicyDocument: document }] });

/** The warnings of a successful transform with Ecs on (and the parameters given, if any). */
function warningsOf(resources: JsonObject, parameters?: JsonObject): readonly TransformProblem[] {
  const input = template(resources, { Metadata: { SysdigImageFix: { Ecs: true } }, ...(parameters ? { Parameters: parameters } : {}) });
  return expectSuccess(transform(input, context(), defaults())).warnings;
}

describe('Execution role of a mirrored task definition', () => {
  it('says which role, which task definition, what fails and how to fix it', () => {
    expect(warningsOf({ R: role(), T: taskDefinition(ref('R')) })).toEqual([
      {
        logicalId: 'T',
        message:
          'Resource T: its images now come from private ECR, but its execution role R grants no ECR pull permission ' +
          '(none of its policies allows ecr:GetAuthorizationToken, ecr:BatchGetImage, ecr:GetDownloadUrlForLayer, nor is one an AWS ' +
          'managed policy that does, such as service-role/AmazonECSTaskExecutionRolePolicy, AmazonEC2ContainerRegistryReadOnly, ' +
          'AmazonEC2ContainerRegistryPullOnly); tasks will fail with CannotPullContainerError. Add the managed policy ' +
          "arn:<partition>:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy to R's ManagedPolicyArns",
      },
    ]);
  });

  describe('finds the role', () => {
    it.each<[string, Json]>([
      ['Ref', ref('R')],
      ['Fn::GetAtt [R, Arn]', { 'Fn::GetAtt': ['R', 'Arn'] }],
      ['Fn::GetAtt R.Arn', { 'Fn::GetAtt': 'R.Arn' }],
    ])('named by %s', (_, reference) => {
      expect(warningsOf({ R: role(), T: taskDefinition(reference) }).map((w) => w.logicalId)).toEqual(['T']);
    });

    it.each<[string, Json]>([
      ['another attribute (list form)', { 'Fn::GetAtt': ['R', 'RoleId'] }],
      ['another attribute (string form)', { 'Fn::GetAtt': 'R.RoleId' }],
      ['another attribute as long as Arn (string form)', { 'Fn::GetAtt': 'R.Xyz' }],
      ['a Ref whose argument is not a string', { Ref: ['R'] }],
      ['a GetAtt of three parts', { 'Fn::GetAtt': ['R', 'Arn', 'x'] }],
      ['a literal ARN', 'arn:aws:iam::123456789012:role/R'],
      ['another intrinsic', { 'Fn::ImportValue': 'R' }],
      ['another intrinsic whose argument reads like a GetAtt', { 'Fn::Sub': 'R.Arn' }],
      ['another intrinsic whose argument reads like a GetAtt list', { 'Fn::Join': ['R', 'Arn'] }],
      ['a resource that is no role', ref('Q')],
    ])('and says nothing about a role it cannot read: %s', (_, reference) => {
      expect(warningsOf({ R: role(), Q: { Type: 'AWS::SQS::Queue' }, T: taskDefinition(reference) })).toEqual([]);
    });
  });

  describe('reads its policies', () => {
    it.each<[string, JsonObject]>([
      ['a policy document written as a JSON string', inline(JSON.stringify({ Statement: [allow(PULL)] }))],
      ['a Statement that is one object, not a list', inline({ Statement: allow(PULL) })],
      ['actions spelled in another case', inline({ Statement: [allow(PULL.map((a) => a.toUpperCase()))] })],
      ['each action in a statement of its own', inline({ Statement: PULL.map((a) => allow(a)) })],
      ['ManagedPolicyArns given as an intrinsic (may well be the managed policy)', { ManagedPolicyArns: { 'Fn::Split': [',', 'a,b'] } }],
      [
        'a managed policy ARN not known at transform time, after one that does not pull',
        { ManagedPolicyArns: ['arn:aws:iam::aws:policy/CloudWatchLogsFullAccess', ref('Unknown')] },
      ],
      ['a managed policy ARN that is not a string', { ManagedPolicyArns: [42] }],
      ['the managed policy after one that does not pull', { ManagedPolicyArns: ['arn:aws:iam::aws:policy/CloudWatchLogsFullAccess', MANAGED] }],
    ])('counts %s', (_, properties) => {
      expect(warningsOf({ R: role(properties), T: taskDefinition(ref('R')) }, { Unknown: { Type: 'String' } })).toEqual([]);
    });

    it.each<[string, JsonObject]>([
      ['a policy document that is not valid JSON', inline('{"Statement": ')],
      ['a JSON string granting only some actions', inline(JSON.stringify({ Statement: [allow(PULL.slice(1))] }))],
      ['a statement without Effect', inline({ Statement: [{ Action: PULL, Resource: '*' }] })],
      ['a statement that is not an object', inline({ Statement: ['ecr:*'] })],
      ['actions given by an intrinsic', inline({ Statement: [allow({ 'Fn::Split': [',', PULL.join(',')] })] })],
    ])('does not count %s', (_, properties) => {
      expect(warningsOf({ R: role(properties), T: taskDefinition(ref('R')) }).map((w) => w.logicalId)).toEqual(['T']);
    });

    it('counts a customer managed policy of the template that the role lists (Ref), by its document', () => {
      const policy = (actions: Json): JsonObject => ({ Type: 'AWS::IAM::ManagedPolicy', Properties: { PolicyDocument: { Statement: [allow(actions)] } } });
      const resources = (actions: Json): JsonObject => ({ P: policy(actions), R: role({ ManagedPolicyArns: [ref('P')] }), T: taskDefinition(ref('R')) });
      expect(warningsOf(resources(PULL))).toEqual([]);
      expect(warningsOf(resources(['s3:GetObject'])).map((w) => w.logicalId)).toEqual(['T']);
      // A Ref whose argument is not a string names no policy (CloudFormation refuses it): an entry it cannot read, no warning.
      const unreadable = resources(['s3:GetObject']);
      unreadable.R = role({ ManagedPolicyArns: [{ Ref: ['P'] }] });
      expect(warningsOf(unreadable)).toEqual([]);
    });

    it.each<[string, JsonObject]>([
      ['an AWS::IAM::Policy (Roles)', { Type: 'AWS::IAM::Policy', Properties: { PolicyName: 'p', Roles: [ref('R')] } }],
      ['an AWS::IAM::ManagedPolicy (Roles)', { Type: 'AWS::IAM::ManagedPolicy', Properties: { Roles: [ref('R')] } }],
      ['an AWS::IAM::RolePolicy (RoleName)', { Type: 'AWS::IAM::RolePolicy', Properties: { PolicyName: 'p', RoleName: ref('R') } }],
    ])('counts %s of the template attached to the role, and only to that role', (_, policy) => {
      const withDocument = (actions: Json): JsonObject => ({
        ...policy,
        Properties: { ...(policy.Properties as JsonObject), PolicyDocument: { Statement: [allow(actions)] } },
      });
      expect(warningsOf({ R: role(), P: withDocument(PULL), T: taskDefinition(ref('R')) })).toEqual([]);
      expect(warningsOf({ R: role(), P: withDocument(['s3:GetObject']), T: taskDefinition(ref('R')) }).map((w) => w.logicalId)).toEqual(['T']);
      // The same policy attached to another role of the template grants R nothing.
      const other = JSON.parse(JSON.stringify(withDocument(PULL)).replaceAll('"Ref":"R"', '"Ref":"Other"')) as JsonObject;
      expect(warningsOf({ R: role(), Other: role(), P: other, T: taskDefinition(ref('R')) }).map((w) => w.logicalId)).toEqual(['T']);
    });

    it('counts a policy attached to several roles, the task role among them', () => {
      const policy = { Type: 'AWS::IAM::Policy', Properties: { PolicyName: 'p', Roles: [ref('Other'), ref('R')], PolicyDocument: { Statement: [allow(PULL)] } } };
      expect(warningsOf({ R: role(), Other: role(), P: policy, T: taskDefinition(ref('R')) })).toEqual([]);
    });

    it('does not count a resource of another type that holds a policy document and names the role', () => {
      const group = { Type: 'AWS::IAM::Group', Properties: { Roles: [ref('R')], PolicyDocument: { Statement: [allow(PULL)] } } };
      expect(warningsOf({ R: role(), G: group, T: taskDefinition(ref('R')) }).map((w) => w.logicalId)).toEqual(['T']);
    });

    it('does not count a policy whose Roles is not a list', () => {
      const policy = { Type: 'AWS::IAM::Policy', Properties: { PolicyName: 'p', Roles: ref('R'), PolicyDocument: { Statement: [allow(PULL)] } } };
      expect(warningsOf({ R: role(), P: policy, T: taskDefinition(ref('R')) }).map((w) => w.logicalId)).toEqual(['T']);
    });
  });

  it('is about task definitions that read a mirror only', () => {
    const kept = { ...taskDefinition(ref('R')), Properties: { ExecutionRoleArn: ref('R'), ContainerDefinitions: [{ Name: 'c', Image: 'public.ecr.aws/x/y:1' }] } };
    const input = template({ R: role(), T: kept }, { Metadata: { SysdigImageFix: { Ecs: false } }, Parameters: { P: stringParameter('x') } });
    expect(expectSuccess(transform(input, context(), defaults())).warnings).toEqual([]);
  });
});
