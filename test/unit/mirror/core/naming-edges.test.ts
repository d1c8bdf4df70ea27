// A RepositoryName is taken only when it ends with "/<registry host>/<path>" of the source, whole components: a name
// whose last components merely end with the same characters names another repository. And the sub-prefix must itself
// be a prefix the stack could be given.
import { describe, expect, it } from 'vitest';
import { RepositoryNameError, targetRepository } from '../../../../src/mirror/core/naming.js';
import { parseProperties } from '../../../../src/mirror/core/properties.js';

const STACK = 'sysdig-image-fix';

function input(properties: Record<string, unknown>) {
  return parseProperties(properties);
}

describe('Function: targetRepository (edges)', () => {
  it('refuses a name whose last components only end with the source host and path', () => {
    for (const name of [`${STACK}/t-evil.example/x/y`, `${STACK}/tevil.example/x/y`, `${STACK}/a/bevil.example/x/y`]) {
      expect(() => targetRepository(input({ SourceImage: 'evil.example/x/y:1', RepositoryName: name }), STACK, 'refuse'), name).toThrow(RepositoryNameError);
    }
  });

  it('the refusal is a RepositoryNameError by name too (what the log records)', () => {
    let thrown: unknown;
    try {
      targetRepository(input({ SourceImage: 'quay.io/x:1', RepositoryPrefix: 'other' }), STACK, 'refuse');
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(RepositoryNameError);
    expect((thrown as Error).name).toBe('RepositoryNameError');
  });

  it('refuses a sub-prefix longer than a stack prefix may be (200 characters)', () => {
    const sub = `${STACK}/${'a'.repeat(200 - STACK.length - 1)}`;
    expect(targetRepository(input({ SourceImage: 'quay.io/x:1', RepositoryName: `${sub}/quay.io/x` }), STACK, 'refuse')).toEqual({ name: `${sub}/quay.io/x` });
    const tooLong = `${sub}a`;
    expect(() => targetRepository(input({ SourceImage: 'quay.io/x:1', RepositoryName: `${tooLong}/quay.io/x` }), STACK, 'refuse')).toThrow(RepositoryNameError);
  });

  it('derives the name under the request prefix, or the stack prefix without one', () => {
    expect(targetRepository(input({ SourceImage: 'quay.io/x:1', RepositoryPrefix: `${STACK}/team` }), STACK, 'refuse')).toEqual({ name: `${STACK}/team/quay.io/x` });
    expect(targetRepository(input({ SourceImage: 'quay.io/x:1' }), STACK, 'refuse')).toEqual({ name: `${STACK}/quay.io/x` });
  });

  it('on an Update (rename) a refused prefix is replaced by the expected name and reported; as-given takes it', () => {
    const prefixed = input({ SourceImage: 'quay.io/x:1', RepositoryPrefix: 'other' });
    expect(targetRepository(prefixed, STACK, 'rename')).toEqual({
      name: `${STACK}/quay.io/x`,
      renamed: { property: 'RepositoryPrefix', given: 'other', stackPrefix: STACK, expected: `${STACK}/quay.io/x` },
    });
    expect(targetRepository(prefixed, STACK, 'as-given')).toEqual({ name: 'other/quay.io/x' });
  });
});
