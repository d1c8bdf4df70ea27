import { describe, expect, it } from 'vitest';
import { lambdaPullStatement, mergeStatement } from '../../../../src/mirror/core/policy.js';
import { PolicyDocumentError } from '../../../../src/mirror/core/errors.js';

const ours = lambdaPullStatement({ partition: 'aws', region: 'eu-west-1', accountId: '123456789012' });
const foreign = { Sid: 'CrossAccount', Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::210987654321:root' }, Action: 'ecr:BatchGetImage' };

describe('Function: lambdaPullStatement', () => {
  it('lets Lambda functions of this account and region pull, in the given partition', () => {
    expect(lambdaPullStatement({ partition: 'aws-cn', region: 'cn-north-1', accountId: '123456789012' })).toEqual({
      Sid: 'SysdigImageFixLambdaPull',
      Effect: 'Allow',
      Principal: { Service: 'lambda.amazonaws.com' },
      Action: ['ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer'],
      Condition: { StringLike: { 'aws:sourceArn': 'arn:aws-cn:lambda:cn-north-1:123456789012:function:*' } },
    });
  });
});

describe('Function: mergeStatement', () => {
  it('makes a new document when the repository has no policy', () => {
    const merged = mergeStatement(undefined, ours);
    expect(merged.changed).toBe(true);
    expect(JSON.parse(merged.document)).toEqual({ Version: '2012-10-17', Statement: [ours] });
  });

  it('keeps foreign statements in order and appends ours', () => {
    const merged = mergeStatement(JSON.stringify({ Version: '2008-10-17', Statement: [foreign] }), ours);
    expect(merged.changed).toBe(true);
    expect(JSON.parse(merged.document)).toEqual({ Version: '2008-10-17', Statement: [foreign, ours] });
  });

  it('reports no change when our statement is already there (key order aside)', () => {
    const reordered = { Condition: ours.Condition, Action: ours.Action, Principal: ours.Principal, Effect: ours.Effect, Sid: ours.Sid };
    const existing = JSON.stringify({ Version: '2012-10-17', Statement: [foreign, reordered] });
    expect(mergeStatement(existing, ours).changed).toBe(false);
  });

  it('replaces an outdated statement with our Sid and collapses duplicates', () => {
    const outdated = { ...ours, Action: ['ecr:BatchGetImage'] };
    const merged = mergeStatement(JSON.stringify({ Version: '2012-10-17', Statement: [outdated, foreign, outdated] }), ours);
    expect(merged.changed).toBe(true);
    expect(JSON.parse(merged.document).Statement).toEqual([foreign, ours]);
    expect(mergeStatement(JSON.stringify({ Statement: [ours, ours] }), ours).changed).toBe(true);
  });

  it('accepts a single Statement object', () => {
    const merged = mergeStatement(JSON.stringify({ Version: '2012-10-17', Statement: foreign }), ours);
    expect(JSON.parse(merged.document).Statement).toEqual([foreign, ours]);
  });

  it('refuses a policy that is not a JSON object', () => {
    expect(() => mergeStatement('{nope', ours)).toThrow(PolicyDocumentError);
    expect(() => mergeStatement('[1]', ours)).toThrow('not a JSON object');
  });
});

describe('Function: mergeStatement (what ECR may hold)', () => {
  it('treats a blank policy text as no policy', () => {
    for (const blank of ['', '  \n']) expect(JSON.parse(mergeStatement(blank, ours).document)).toEqual({ Version: '2012-10-17', Statement: [ours] });
  });

  it('gives a policy without Version the current one, and keeps statements that are not objects as they are', () => {
    const merged = mergeStatement(JSON.stringify({ Statement: ['odd', foreign] }), ours);
    expect(JSON.parse(merged.document)).toEqual({ Version: '2012-10-17', Statement: ['odd', foreign, ours] });
    expect(merged.changed).toBe(true);
  });

  it('rewrites our statement when the one ECR holds differs in anything, even alone', () => {
    for (const outdated of [{ ...ours, Action: ['ecr:BatchGetImage'] }, { ...ours, Condition: undefined }, { Sid: ours.Sid }]) {
      const merged = mergeStatement(JSON.stringify({ Version: '2012-10-17', Statement: [outdated] }), ours);
      expect(merged.changed).toBe(true);
      expect(JSON.parse(merged.document).Statement).toEqual([ours]);
    }
  });

  it('says why a policy cannot be merged', () => {
    expect(() => mergeStatement('{nope', ours)).toThrow(/^the repository policy is not valid JSON \(.+\)$/);
    expect(() => mergeStatement('"text"', ours)).toThrow(new PolicyDocumentError('the repository policy is not a JSON object'));
  });
});
