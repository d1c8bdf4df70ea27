import { describe, expect, it } from 'vitest';
import { InvalidPropertiesError } from '../../../../src/mirror/core/errors.js';
import { parseProperties } from '../../../../src/mirror/core/properties.js';

function problemsOf(properties: unknown): string[] {
  try {
    parseProperties(properties);
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidPropertiesError);
    return (error as InvalidPropertiesError).problems.map((p) => `${p.property} ${p.problem}`);
  }
  throw new Error('expected InvalidPropertiesError');
}

describe('Function: parseProperties', () => {
  it('normalises the source and applies defaults (x86_64, 3600 s); ServiceToken is ignored', () => {
    const input = parseProperties({ ServiceToken: 'arn:aws:lambda:eu-west-1:123456789012:function:f', SourceImage: 'nginx' });
    expect(input).toEqual({
      source: { registry: 'docker.io', repository: 'library/nginx', tag: 'latest' },
      sourceLiteral: 'nginx',
      sourceImage: 'docker.io/library/nginx:latest',
      architecture: 'x86_64',
      serviceTimeoutSeconds: 3600,
    });
  });

  it('reads every known property as CloudFormation passes it (strings)', () => {
    expect(parseProperties({ SourceImage: 'quay.io/a/b:1', Architecture: 'arm64', ServiceTimeout: '900', RepositoryName: 'team/b' })).toMatchObject({
      architecture: 'arm64',
      serviceTimeoutSeconds: 900,
      repositoryName: 'team/b',
    });
    expect(parseProperties({ SourceImage: 'quay.io/a/b:1', RepositoryPrefix: 'mirrors', ServiceTimeout: 60 })).toMatchObject({
      repositoryPrefix: 'mirrors',
      serviceTimeoutSeconds: 60,
    });
  });

  it('accepts the one-element list an Architectures expression resolves to', () => {
    expect(parseProperties({ SourceImage: 'quay.io/a/b:1', Architecture: ['arm64'] }).architecture).toBe('arm64');
    expect(problemsOf({ SourceImage: 'quay.io/a/b:1', Architecture: ['arm64', 'x86_64'] })).toEqual(['Architecture must be x86_64 or arm64, not a list']);
  });

  it('reports every problem at once, naming each property', () => {
    const problems = problemsOf({ SourceImage: 'a;rm -rf /', Architecture: 'sparc', ServiceTimeout: '3601', Color: 'red' });
    expect(problems).toHaveLength(4);
    expect(problems[0]).toMatch(/^"Color" is not a property of this resource/);
    expect(problems.join('\n')).toMatch(/SourceImage is invalid image reference "a;rm -rf \/": ';' \(U\+003B\) at position 2/);
    expect(problems.join('\n')).toContain('Architecture must be x86_64 or arm64, not "sparc"');
    expect(problems.join('\n')).toContain('ServiceTimeout must be a whole number of seconds from 1 to 3600, not "3601"');
  });

  it.each([
    [{ SourceImage: 'quay.io/a/b:1', ServiceTimeout: '1.5' }, 'ServiceTimeout'],
    [{ SourceImage: 'quay.io/a/b:1', ServiceTimeout: '-1' }, 'ServiceTimeout'],
    [{ SourceImage: 'quay.io/a/b:1', RepositoryName: 'a' }, 'RepositoryName must be 2 to 256 characters'],
    [{ SourceImage: 'quay.io/a/b:1', RepositoryName: 'a//b' }, 'RepositoryName "a//b" is not an ECR repository name'],
    [{ SourceImage: 'quay.io/a/b:1', RepositoryPrefix: 42 }, 'RepositoryPrefix must be a string, not number'],
    [{ SourceImage: '' }, 'SourceImage is invalid image reference "": the reference is empty'],
    [{}, 'SourceImage is required'],
  ])('rejects %o', (properties, expected) => {
    expect(problemsOf(properties).join('\n')).toContain(expected);
  });

  it('rejects ResourceProperties that are not an object', () => {
    expect(problemsOf('SourceImage=x')).toEqual(['ResourceProperties must be an object, not string']);
    expect(problemsOf(null)).toEqual(['ResourceProperties must be an object, not null']);
  });
});

describe('Function: parseProperties (Platforms)', () => {
  it('Platforms: all copies every platform: no architecture is chosen', () => {
    expect(parseProperties({ SourceImage: 'quay.io/sysdig/workload-agent:6.2.0', Platforms: 'all' })).toEqual({
      source: { registry: 'quay.io', repository: 'sysdig/workload-agent', tag: '6.2.0' },
      sourceLiteral: 'quay.io/sysdig/workload-agent:6.2.0',
      sourceImage: 'quay.io/sysdig/workload-agent:6.2.0',
      platforms: 'all',
      serviceTimeoutSeconds: 3600,
    });
  });

  it('without Platforms the request is what it always was (one platform, x86_64 by default)', () => {
    const input = parseProperties({ SourceImage: 'quay.io/a/b:1' });
    expect(input).toEqual({ source: input.source, sourceLiteral: 'quay.io/a/b:1', sourceImage: 'quay.io/a/b:1', architecture: 'x86_64', serviceTimeoutSeconds: 3600 });
    expect('platforms' in input).toBe(false);
  });

  it.each([
    ['x86_64', '"x86_64"'],
    ['arm64', '"arm64"'],
    ['ALL', '"ALL"'],
    ['linux/amd64', '"linux/amd64"'],
    ['', '""'],
    [['all'], 'a list'],
    [true, 'boolean'],
  ])('Platforms %j is FAILED naming the value and the valid one', (value, shown) => {
    expect(problemsOf({ SourceImage: 'quay.io/a/b:1', Platforms: value })).toEqual([
      `Platforms must be all (copy the image with every platform it is published for), not ${shown}`,
    ]);
  });

  it('Platforms together with Architecture is FAILED naming both, whatever the Architecture', () => {
    for (const architecture of ['x86_64', 'arm64', ['arm64']]) {
      expect(problemsOf({ SourceImage: 'quay.io/a/b:1', Platforms: 'all', Architecture: architecture })).toEqual([
        'Platforms and Architecture are both set; give Architecture to copy one platform, or Platforms: all to copy every platform, not both',
      ]);
    }
  });

  it('reports a bad Platforms with the other problems at once', () => {
    const problems = problemsOf({ SourceImage: 'a;b', Platforms: 'every', ServiceTimeout: '0' });
    expect(problems).toHaveLength(3);
    expect(problems.join('\n')).toContain('Platforms must be all');
  });
});
