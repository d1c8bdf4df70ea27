// ResourceProperties at the edges of what is accepted, and what each refusal says: a hand-written Custom::ImageMirror
// (anyone who can write a template may send one) gets every problem named, with the value it gave cut short.
import { describe, expect, it } from 'vitest';
import { InvalidPropertiesError } from '../../../../src/mirror/core/errors.js';
import { followsSourceTag, parseProperties } from '../../../../src/mirror/core/properties.js';

const SOURCE = 'quay.io/a/b:1';

function problemsOf(properties: Record<string, unknown>): string[] {
  try {
    parseProperties(properties);
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidPropertiesError);
    return (error as InvalidPropertiesError).problems.map((p) => `${p.property} ${p.problem}`);
  }
  throw new Error(`accepted ${JSON.stringify(properties)}`);
}

describe('Function: parseProperties (ServiceTimeout)', () => {
  it('takes 1 to 3600 whole seconds, as a string (blanks around it too) or a number; an empty string is the default', () => {
    for (const [value, seconds] of [
      ['1', 1],
      ['3600', 3600],
      [' 900 ', 900],
      [1, 1],
      [3600, 3600],
      ['', 3600],
      ['0060', 60],
    ] as const) {
      expect(parseProperties({ SourceImage: SOURCE, ServiceTimeout: value }).serviceTimeoutSeconds, JSON.stringify(value)).toBe(seconds);
    }
  });

  it.each([
    ['0', '"0"'],
    ['3601', '"3601"'],
    ['1e3', '"1e3"'],
    ['0x10', '"0x10"'],
    ['+60', '"+60"'],
    ['60s', '"60s"'],
    ['12345678', '"12345678"'],
    [0, '"0"'],
    [60.5, '"60.5"'],
    [true, 'boolean'],
    [['60'], 'a list'],
  ])('refuses %j, quoting it', (value, shown) => {
    expect(problemsOf({ SourceImage: SOURCE, ServiceTimeout: value })).toEqual([`ServiceTimeout must be a whole number of seconds from 1 to 3600, not ${shown}`]);
  });

  it('quotes at most 40 characters of a wrong value', () => {
    expect(problemsOf({ SourceImage: SOURCE, ServiceTimeout: '9'.repeat(50) })).toEqual([
      `ServiceTimeout must be a whole number of seconds from 1 to 3600, not "${'9'.repeat(40)}…"`,
    ]);
  });
});

describe('Function: parseProperties (Architecture)', () => {
  it('quotes at most 40 characters of a wrong architecture and describes what is not a string', () => {
    expect(problemsOf({ SourceImage: SOURCE, Architecture: 'a'.repeat(50) })).toEqual([`Architecture must be x86_64 or arm64, not "${'a'.repeat(40)}…"`]);
    expect(problemsOf({ SourceImage: SOURCE, Architecture: ['sparc'] })).toEqual(['Architecture must be x86_64 or arm64, not "sparc"']);
    expect(problemsOf({ SourceImage: SOURCE, Architecture: [64] })).toEqual(['Architecture must be x86_64 or arm64, not a list']);
    expect(problemsOf({ SourceImage: SOURCE, Architecture: 64 })).toEqual(['Architecture must be x86_64 or arm64, not number']);
    expect(problemsOf({ SourceImage: SOURCE, Architecture: [] })).toEqual(['Architecture must be x86_64 or arm64, not a list']);
  });

  it('takes x86_64 as given', () => {
    expect(parseProperties({ SourceImage: SOURCE, Architecture: 'x86_64' }).architecture).toBe('x86_64');
    expect(parseProperties({ SourceImage: SOURCE, Architecture: ['x86_64'] }).architecture).toBe('x86_64');
  });
});

describe('Function: parseProperties (RepositoryName and RepositoryPrefix)', () => {
  it('takes a name of 2 and of 256 characters, and says how long one outside is', () => {
    expect(parseProperties({ SourceImage: SOURCE, RepositoryName: 'ab' }).repositoryName).toBe('ab');
    const longest = `${'a'.repeat(127)}/${'b'.repeat(128)}`;
    expect(parseProperties({ SourceImage: SOURCE, RepositoryName: longest }).repositoryName).toBe(longest);
    expect(problemsOf({ SourceImage: SOURCE, RepositoryName: `${longest}b` })).toEqual(['RepositoryName must be 2 to 256 characters, not 257']);
    expect(problemsOf({ SourceImage: SOURCE, RepositoryName: '' })).toEqual(['RepositoryName must be 2 to 256 characters, not 0']);
  });

  it('quotes at most 60 characters of a name that is not an ECR repository name', () => {
    expect(problemsOf({ SourceImage: SOURCE, RepositoryName: `A${'a'.repeat(70)}` })).toEqual([
      `RepositoryName "A${'a'.repeat(59)}…" is not an ECR repository name (lower-case letters and digits separated by single ".", "_", "-" or "/")`,
    ]);
  });

  it('refuses a name or prefix that is not a string, and both together', () => {
    expect(problemsOf({ SourceImage: SOURCE, RepositoryName: ['a/b'] })).toEqual(['RepositoryName must be a string, not a list']);
    expect(problemsOf({ SourceImage: SOURCE, RepositoryPrefix: '' })).toEqual(['RepositoryPrefix must not be empty']);
    expect(problemsOf({ SourceImage: SOURCE, RepositoryName: 'a/b', RepositoryPrefix: 'a' })).toEqual([
      'RepositoryName and RepositoryPrefix are both set; give only one of them',
    ]);
    expect(problemsOf({ SourceImage: SOURCE, RepositoryName: 'A', RepositoryPrefix: 7 })).toEqual([
      'RepositoryName and RepositoryPrefix are both set; give only one of them',
    ]);
  });
});

describe('Function: parseProperties (SourceImage and unknown keys)', () => {
  it('describes a SourceImage that is not a string', () => {
    expect(problemsOf({ SourceImage: 7 })).toEqual(['SourceImage must be an image reference string, not number']);
    expect(problemsOf({ SourceImage: { Ref: 'Image' } })).toEqual(['SourceImage must be an image reference string, not an object']);
  });

  it('refuses a digest Lambda and ECR cannot take, quoting at most 80 characters of it', () => {
    const digest = `sha512:${'a'.repeat(128)}`;
    expect(problemsOf({ SourceImage: `quay.io/a/b@${digest}` })).toEqual([
      `SourceImage has the digest ${JSON.stringify(`${digest.slice(0, 80)}…`)}; Lambda and ECR take only sha256:<64 hex digits>`,
    ]);
  });

  it('quotes at most 60 characters of an unknown key and lists the known ones', () => {
    expect(problemsOf({ SourceImage: SOURCE, ['K'.repeat(70)]: 1 })).toEqual([
      `"${'K'.repeat(60)}…" is not a property of this resource (known: ServiceToken, ServiceTimeout, SourceImage, Architecture, Platforms, RepositoryName, RepositoryPrefix, RefreshToken)`,
    ]);
  });
});

describe('Function: parseProperties (RefreshToken)', () => {
  it('takes any string of 1 to 1024 characters', () => {
    expect(parseProperties({ SourceImage: SOURCE, RefreshToken: 'x' }).refreshToken).toBe('x');
    expect(parseProperties({ SourceImage: SOURCE, RefreshToken: 'x'.repeat(1024) }).refreshToken).toHaveLength(1024);
    expect(parseProperties({ SourceImage: SOURCE }).refreshToken).toBeUndefined();
  });

  it.each([
    ['', '0 characters'],
    ['x'.repeat(1025), '1025 characters'],
    [42, 'number'],
    [null, 'null'],
  ])('refuses %j, saying what it got', (value, shown) => {
    expect(problemsOf({ SourceImage: SOURCE, RefreshToken: value })).toEqual([
      `RefreshToken must be a string of 1 to 1024 characters (any value new on each deployment), not ${shown}`,
    ]);
  });

  it('follows the source tag only when refreshing a source that names a tag', () => {
    expect(followsSourceTag(parseProperties({ SourceImage: SOURCE, RefreshToken: 't' }))).toBe(true);
    expect(followsSourceTag(parseProperties({ SourceImage: SOURCE }))).toBe(false);
    expect(followsSourceTag(parseProperties({ SourceImage: `quay.io/a/b:1@sha256:${'c'.repeat(64)}`, RefreshToken: 't' }))).toBe(false);
  });
});
