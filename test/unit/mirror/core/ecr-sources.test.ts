import { describe, expect, it } from 'vitest';
import { arnMatches, ecrSourceProblem, parseEcrSources } from '../../../../src/mirror/core/ecr-sources.js';
import { parseImageReference } from '../../../../src/reference/index.js';

describe('Function: parseEcrSources', () => {
  it('reads "*" (any), "" (none) and a list of ARN patterns', () => {
    expect(parseEcrSources('*')).toEqual({ kind: 'any' });
    expect(parseEcrSources('')).toEqual({ kind: 'none' });
    expect(parseEcrSources('arn:aws:ecr:us-east-1:123456789012:repository/team/*, arn:aws:ecr:*:210987654321:repository/base/node')).toEqual({
      kind: 'patterns',
      patterns: ['arn:aws:ecr:us-east-1:123456789012:repository/team/*', 'arn:aws:ecr:*:210987654321:repository/base/node'],
    });
  });

  it.each(['arn:aws:s3:::bucket', 'team/*', 'arn:aws:ecr:us-east-1:123456789012:repository/', '*,arn:aws:ecr:us-east-1:123456789012:repository/a'])(
    'refuses %s, saying what a pattern looks like',
    (value) => {
      expect(parseEcrSources(value)).toMatch(/is not an ECR repository ARN pattern/);
    },
  );
});

describe('Function: arnMatches', () => {
  it('matches like IAM: * any run of characters (slashes too), ? one character', () => {
    expect(arnMatches('arn:aws:ecr:*:*:repository/*', 'arn:aws:ecr:eu-west-1:123456789012:repository/a/b')).toBe(true);
    expect(arnMatches('arn:aws:ecr:us-east-?:123456789012:repository/team/*', 'arn:aws:ecr:us-east-2:123456789012:repository/team/x/y')).toBe(true);
    expect(arnMatches('arn:aws:ecr:us-east-1:123456789012:repository/team/*', 'arn:aws:ecr:us-east-1:123456789012:repository/teams/x')).toBe(false);
    expect(arnMatches('arn:aws:ecr:us-east-1:123456789012:repository/a.b', 'arn:aws:ecr:us-east-1:123456789012:repository/aXb')).toBe(false);
  });
});

describe('Function: ecrSourceProblem', () => {
  const config = { partition: 'aws', ecrSources: { kind: 'patterns', patterns: ['arn:aws:ecr:us-east-1:123456789012:repository/team/*'] } } as const;
  it('governs private ECR only, FIPS endpoints included', () => {
    expect(ecrSourceProblem(parseImageReference('quay.io/team/app:1'), config)).toBeUndefined();
    expect(ecrSourceProblem(parseImageReference('public.ecr.aws/team/app:1'), config)).toBeUndefined();
    expect(ecrSourceProblem(parseImageReference('123456789012.dkr.ecr.us-east-1.amazonaws.com/team/app:1'), config)).toBeUndefined();
    expect(ecrSourceProblem(parseImageReference('123456789012.dkr.ecr-fips.us-east-1.amazonaws.com/team/app:1'), config)).toBeUndefined();
    expect(ecrSourceProblem(parseImageReference('123456789012.dkr.ecr.us-east-1.amazonaws.com/other/app:1'), config)).toContain(
      'the ECR repository arn:aws:ecr:us-east-1:123456789012:repository/other/app is not one the macro stack lets the mirror read',
    );
  });

  it('allows any with "*" and none with ""', () => {
    const ecr = parseImageReference('123456789012.dkr.ecr.us-east-1.amazonaws.com/other/app:1');
    expect(ecrSourceProblem(ecr, { partition: 'aws', ecrSources: { kind: 'any' } })).toBeUndefined();
    expect(ecrSourceProblem(ecr, { partition: 'aws', ecrSources: { kind: 'none' } })).toContain('allows: none');
  });
});

describe('Function: ecrSourceProblem (what the refusal says)', () => {
  it('names the source, its ARN, every pattern allowed and the fix', () => {
    const patterns = ['arn:aws:ecr:us-east-1:123456789012:repository/team/*', 'arn:aws:ecr:*:210987654321:repository/base/node'];
    const source = parseImageReference('123456789012.dkr.ecr-fips.us-east-1.amazonaws.com/other/app:1');
    expect(ecrSourceProblem(source, { partition: 'aws-us-gov', ecrSources: { kind: 'patterns', patterns } })).toBe(
      'Cannot mirror 123456789012.dkr.ecr-fips.us-east-1.amazonaws.com/other/app: the ECR repository ' +
        'arn:aws-us-gov:ecr:us-east-1:123456789012:repository/other/app is not one the macro stack lets the mirror read (its ' +
        'EcrSourceRepositoryArns parameter allows: arn:aws:ecr:us-east-1:123456789012:repository/team/*, ' +
        'arn:aws:ecr:*:210987654321:repository/base/node). Add a pattern for it to EcrSourceRepositoryArns and update the macro stack, ' +
        'or use a source the stack allows',
    );
  });

  it('allows a source any one pattern matches, in the partition the function runs in', () => {
    const patterns = ['arn:aws:ecr:us-east-1:123456789012:repository/team/*', 'arn:aws-cn:ecr:*:123456789012:repository/*'];
    const source = parseImageReference('123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn/other/app:1');
    expect(ecrSourceProblem(source, { partition: 'aws-cn', ecrSources: { kind: 'patterns', patterns } })).toBeUndefined();
    expect(ecrSourceProblem(source, { partition: 'aws', ecrSources: { kind: 'patterns', patterns } })).toContain('is not one the macro stack lets the mirror read');
  });
});

describe('Function: parseEcrSources (spacing and length)', () => {
  it('reads "*" and "" with blanks around them the same, and no value as any', () => {
    expect(parseEcrSources(' * ')).toEqual({ kind: 'any' });
    expect(parseEcrSources('  ')).toEqual({ kind: 'none' });
    expect(parseEcrSources(undefined)).toEqual({ kind: 'any' });
    expect(parseEcrSources(' arn:aws:ecr:us-east-1:123456789012:repository/a ')).toEqual({ kind: 'patterns', patterns: ['arn:aws:ecr:us-east-1:123456789012:repository/a'] });
  });

  it('quotes at most 200 characters of a bad pattern', () => {
    const bad = `arn:aws:s3:::${'b'.repeat(300)}`;
    expect(parseEcrSources(bad)).toBe(
      `has ${JSON.stringify(bad.slice(0, 200))}, which is not an ECR repository ARN pattern (arn:<partition>:ecr:<region>:<account>:repository/<name>, with * and ? wildcards)`,
    );
  });
});
