import { describe, expect, it } from 'vitest';
import type { Json, JsonObject } from '../../../src/template/types.js';
import { DEFAULT_PSEUDO, auditPolicies, decideResources, policyStatements, type AuditContext } from './policy-audit.js';

const PREFIX_ARN = 'arn:aws:ecr:eu-west-1:123456789012:repository/sysdig-image-fix/*';
const SECRET_ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:registry-AbCdEf';
const KEY_ARN = 'arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';

const CONTEXT: AuditContext = {
  pseudo: DEFAULT_PSEUDO,
  repositoryPrefix: 'sysdig-image-fix',
  registryCredentialsSecretArn: SECRET_ARN,
  kmsKeyArn: KEY_ARN,
};

/** A template with one role holding `statements` in an inline policy. */
function templateWithRole(statements: Json[], roleExtras: JsonObject = {}): JsonObject {
  return {
    Parameters: {
      RepositoryPrefix: { Type: 'String', Default: 'sysdig-image-fix' },
      Secret: { Type: 'String', Default: '' },
    },
    Conditions: { HasSecret: { 'Fn::Not': [{ 'Fn::Equals': [{ Ref: 'Secret' }, ''] }] } },
    Resources: {
      Role: {
        Type: 'AWS::IAM::Role',
        Properties: {
          AssumeRolePolicyDocument: {
            Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }],
          },
          Policies: [{ PolicyName: 'inline', PolicyDocument: { Version: '2012-10-17', Statement: statements } }],
          ...roleExtras,
        },
      },
    },
  };
}

function audit(statements: Json[], context: Partial<AuditContext> = {}, roleExtras: JsonObject = {}) {
  return auditPolicies(decideResources(templateWithRole(statements, roleExtras)), { ...CONTEXT, ...context });
}

const allow = (action: Json, resource: Json, sid = 'Test'): JsonObject => ({ Sid: sid, Effect: 'Allow', Action: action, Resource: resource });

describe('Function: auditPolicies', () => {
  it('accepts least-privilege statements', () => {
    expect(
      audit([
        allow(['ecr:PutImage', 'ecr:CreateRepository'], PREFIX_ARN),
        allow('ecr:GetAuthorizationToken', '*'),
        allow(['ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer'], 'arn:aws:ecr:*:*:repository/*'),
        allow('secretsmanager:GetSecretValue', SECRET_ARN),
        allow(['kms:DescribeKey', 'kms:CreateGrant'], KEY_ARN),
      ]),
    ).toEqual([]);
  });

  it.each(['*', 'ecr:*', 'ecr:Put*', 's3:Get*'])('rejects the wildcard action %s', (action) => {
    const violations = audit([allow(action, PREFIX_ARN, 'Wild')]);
    expect(violations.map((v) => v.message)).toContain(`action "${action}" is a wildcard`);
    expect(violations[0]).toMatchObject({ resource: 'Role', sid: 'Wild' });
  });

  it('rejects NotAction and NotResource', () => {
    const messages = audit([{ Effect: 'Allow', NotAction: 'iam:*', NotResource: PREFIX_ARN }]).map((v) => v.message);
    expect(messages).toEqual(expect.arrayContaining(['uses NotAction', 'uses NotResource']));
  });

  it('rejects any action but GetAuthorizationToken on "*"', () => {
    expect(audit([allow(['ecr:GetAuthorizationToken', 'logs:GetLogEvents'], '*')]).map((v) => v.message)).toEqual(['grants logs:GetLogEvents on "*"']);
  });

  it.each([
    ['another prefix', 'arn:aws:ecr:eu-west-1:123456789012:repository/other/*'],
    ['every repository', 'arn:aws:ecr:eu-west-1:123456789012:repository/*'],
    ['another region', 'arn:aws:ecr:us-east-1:123456789012:repository/sysdig-image-fix/*'],
    ['another account', 'arn:aws:ecr:eu-west-1:210987654321:repository/sysdig-image-fix/*'],
  ])('rejects ECR push on %s', (_, arn) => {
    for (const action of ['ecr:PutImage', 'ecr:InitiateLayerUpload', 'ecr:UploadLayerPart', 'ecr:CompleteLayerUpload', 'ecr:CreateRepository']) {
      expect(audit([allow(action, arn)]).map((v) => v.message)).toEqual([`ECR write action ${action} on ${arn} (only ${PREFIX_ARN})`]);
    }
  });

  it('allows ECR reads on any repository', () => {
    expect(audit([allow(['ecr:BatchGetImage', 'ecr:BatchCheckLayerAvailability'], 'arn:aws:ecr:*:*:repository/*')])).toEqual([]);
  });

  it('rejects secretsmanager on anything but the configured secret', () => {
    expect(audit([allow('secretsmanager:GetSecretValue', 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:*')])).toHaveLength(1);
    expect(audit([allow('secretsmanager:GetSecretValue', '*')]).map((v) => v.message)).toContain('grants secretsmanager:GetSecretValue on "*"');
  });

  it('rejects secretsmanager when no secret is configured', () => {
    expect(audit([allow('secretsmanager:GetSecretValue', SECRET_ARN)], { registryCredentialsSecretArn: '' }).map((v) => v.message)).toEqual([
      'secretsmanager:GetSecretValue granted although RegistryCredentialsSecretArn is empty',
    ]);
  });

  it('rejects kms on another key or without a configured key', () => {
    expect(audit([allow('kms:Decrypt', 'arn:aws:kms:eu-west-1:123456789012:key/other')])).toHaveLength(1);
    expect(audit([allow('kms:Decrypt', KEY_ARN)], { kmsKeyArn: '' })).toHaveLength(1);
  });

  it('rejects managed policies', () => {
    expect(audit([], {}, { ManagedPolicyArns: ['arn:aws:iam::aws:policy/AdministratorAccess'] }).map((v) => v.message)).toEqual([
      'attaches managed policies; write the statements out',
    ]);
  });

  it('checks wildcard actions in trust policies too', () => {
    const template = templateWithRole([]);
    const role = (template.Resources as JsonObject).Role as JsonObject;
    (role.Properties as JsonObject).AssumeRolePolicyDocument = { Statement: [{ Effect: 'Allow', Principal: { AWS: '*' }, Action: 'sts:*' }] };
    expect(auditPolicies(decideResources(template), CONTEXT).map((v) => v.message)).toEqual(['action "sts:*" is a wildcard']);
  });
});

describe('Function: decideResources', () => {
  it('drops a statement whose Fn::If condition is false and keeps it when true', () => {
    const conditional = { 'Fn::If': ['HasSecret', allow('secretsmanager:GetSecretValue', { Ref: 'Secret' }), { Ref: 'AWS::NoValue' }] };
    const template = templateWithRole([allow('ecr:GetAuthorizationToken', '*'), conditional]);
    expect(policyStatements(decideResources(template)).flatMap((s) => s.actions)).not.toContain('secretsmanager:GetSecretValue');
    const withSecret = policyStatements(decideResources(template, { Secret: SECRET_ARN }));
    expect(withSecret.find((s) => s.actions.includes('secretsmanager:GetSecretValue'))?.resources).toEqual([SECRET_ARN]);
  });

  it('evaluates Fn::Sub with pseudo parameters, parameters and escapes', () => {
    const template = templateWithRole([
      allow('ecr:PutImage', { 'Fn::Sub': 'arn:${AWS::Partition}:ecr:${AWS::Region}:${AWS::AccountId}:repository/${RepositoryPrefix}/*' }),
      allow('ecr:PutImage', { 'Fn::Sub': ['${X}/${!Literal}', { X: { Ref: 'RepositoryPrefix' } }] }),
    ]);
    const statements = policyStatements(decideResources(template, { RepositoryPrefix: 'team/mirror' }));
    expect(statements.slice(1).map((s) => s.resources)).toEqual([['arn:aws:ecr:eu-west-1:123456789012:repository/team/mirror/*'], ['team/mirror/${Literal}']]);
  });

  it('refuses parameters the template does not declare', () => {
    expect(() => decideResources(templateWithRole([]), { Nope: 'x' })).toThrow('parameter Nope is not declared');
  });
});
