// The deploy driver's own intrinsic resolver (test/e2e/harness/intrinsics.ts): the e2e checks trust it to resolve
// what CloudFormation resolves, so it is checked against CloudFormation's documented behaviour here.
import { describe, expect, it } from 'vitest';
import { bindParameters, evaluateConditions, IntrinsicError, resolve, type Json, type JsonObject, type ResolveScope } from './harness/intrinsics.js';

function scopeFor(template: JsonObject, parameters: Record<string, string> = {}, extra: Partial<ResolveScope> = {}): ResolveScope {
  const base = {
    parameters: bindParameters(template, parameters),
    region: 'eu-central-1',
    accountId: '111122223333',
    stackName: 'demo',
    stackId: 'arn:aws:cloudformation:eu-central-1:111122223333:stack/demo/1',
    mappings: (template.Mappings ?? {}) as JsonObject,
    resources: {
      ref: (id: string) => (id === 'Bucket' ? 'demo-bucket-physical' : undefined),
      getAtt: (id: string, attribute: string) => (id === 'Mirror' && attribute === 'ImageUri' ? 'acct.dkr.ecr/x@sha256:1' : undefined),
    },
    ...extra,
  };
  return { ...base, conditions: evaluateConditions(template, base) };
}

const TEMPLATE: JsonObject = {
  Parameters: {
    Tag: { Type: 'String', Default: '1.0' },
    Arch: { Type: 'String', Default: 'arm64', AllowedValues: ['x86_64', 'arm64'] },
    Subnets: { Type: 'CommaDelimitedList', Default: 'a,b,c' },
    Name: { Type: 'String', AllowedPattern: '^[a-z]+$' },
  },
  Mappings: { Images: { 'eu-central-1': { Repo: 'quay.io/org/app' } } },
  Conditions: {
    IsArm: { 'Fn::Equals': [{ Ref: 'Arch' }, 'arm64'] },
    NotArm: { 'Fn::Not': [{ Condition: 'IsArm' }] },
    Both: { 'Fn::And': [{ Condition: 'IsArm' }, { 'Fn::Or': [{ Condition: 'NotArm' }, { 'Fn::Equals': ['1', 1] }] }] },
  },
};

describe('Function: resolve', () => {
  const scope = scopeFor(TEMPLATE, { Name: 'demo' });
  it.each<[string, Json, Json | undefined]>([
    ['Ref of a parameter', { Ref: 'Tag' }, '1.0'],
    ['Ref of a list parameter', { Ref: 'Subnets' }, ['a', 'b', 'c']],
    [
      'pseudo parameters in Fn::Sub',
      { 'Fn::Sub': '${AWS::AccountId}.dkr.ecr.${AWS::Region}.${AWS::URLSuffix}/${AWS::Partition}' },
      '111122223333.dkr.ecr.eu-central-1.amazonaws.com/aws',
    ],
    [
      'Fn::Sub with a variable map and a literal ${!x}',
      { 'Fn::Sub': ['${Repo}:${Tag}-${!Keep}', { Repo: { 'Fn::FindInMap': ['Images', { Ref: 'AWS::Region' }, 'Repo'] } }] },
      'quay.io/org/app:1.0-${Keep}',
    ],
    ['Fn::Sub of a resource attribute', { 'Fn::Sub': 'image=${Mirror.ImageUri}' }, 'image=acct.dkr.ecr/x@sha256:1'],
    ['Fn::Join', { 'Fn::Join': [':', ['quay.io/a', { Ref: 'Tag' }]] }, 'quay.io/a:1.0'],
    ['Fn::Select of Fn::Split', { 'Fn::Select': [1, { 'Fn::Split': ['/', 'quay.io/org/app'] }] }, 'org'],
    ['Fn::If on a condition', { 'Fn::If': ['IsArm', 'arm', 'x86'] }, 'arm'],
    ['Fn::If choosing AWS::NoValue drops the key', { a: { 'Fn::If': ['NotArm', 'x', { Ref: 'AWS::NoValue' }] }, b: 1 }, { b: 1 }],
    ['AWS::NoValue inside a list is dropped', ['x', { Ref: 'AWS::NoValue' }], ['x']],
    ['Fn::GetAtt of an answered attribute', { 'Fn::GetAtt': ['Mirror', 'ImageUri'] }, 'acct.dkr.ecr/x@sha256:1'],
    ['Ref of a resource', { Ref: 'Bucket' }, 'demo-bucket-physical'],
    ['Fn::ImportValue', { 'Fn::ImportValue': 'shared-image' }, undefined],
  ])('%s', (_name, expression, expected) => {
    if (expected === undefined) {
      expect(() => resolve(expression, scope)).toThrow(IntrinsicError);
    } else {
      expect(resolve(expression, scope)).toEqual(expected);
    }
  });

  it('resolves Fn::ImportValue from the exports given', () => {
    expect(resolve({ 'Fn::ImportValue': 'shared-image' }, { ...scope, imports: { 'shared-image': 'quay.io/x:1' } })).toBe('quay.io/x:1');
  });

  it('refuses what it cannot resolve instead of guessing', () => {
    expect(() => resolve({ Ref: 'Unknown' }, scope)).toThrow(/Unknown/);
    expect(() => resolve({ 'Fn::GetAtt': ['Mirror', 'RepositoryUri'] }, scope)).toThrow(/RepositoryUri/);
    expect(() => resolve({ 'Fn::Select': [5, ['a']] }, scope)).toThrow(/out of range/);
    expect(() => resolve({ 'Fn::Cidr': ['10.0.0.0/16', 2, 8] }, scope)).toThrow(/not supported/);
  });
});

describe('Function: evaluateConditions', () => {
  it('evaluates conditions that refer to other conditions, whatever their order', () => {
    expect(scopeFor(TEMPLATE, { Name: 'demo' }).conditions).toEqual({ IsArm: true, NotArm: false, Both: true });
    expect(scopeFor(TEMPLATE, { Name: 'demo', Arch: 'x86_64' }).conditions).toEqual({ IsArm: false, NotArm: true, Both: false });
  });
});

describe('Function: bindParameters', () => {
  it('uses defaults, splits lists and enforces AllowedValues, AllowedPattern and required values', () => {
    expect(bindParameters(TEMPLATE, { Name: 'abc' })).toEqual({ Tag: '1.0', Arch: 'arm64', Subnets: ['a', 'b', 'c'], Name: 'abc' });
    expect(() => bindParameters(TEMPLATE, {})).toThrow(/Name/);
    expect(() => bindParameters(TEMPLATE, { Name: 'ABC' })).toThrow(/pattern/);
    expect(() => bindParameters(TEMPLATE, { Name: 'abc', Arch: 'mips' })).toThrow(/AllowedValues/);
    expect(() => bindParameters(TEMPLATE, { Name: 'abc', Nope: 'x' })).toThrow(/Nope/);
  });
});
