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
