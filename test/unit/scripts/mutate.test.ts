// The mutation-testing scripts' own logic (they are not in CI; their inputs are): which files `npm run mutate` may
// target, and that every hand-written buildspec mutant still applies to the buildspec as it is now.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { applyMutant, MUTANTS_FILE, MutantListError, parseMutants } from '../../../scripts/mutate-buildspec.js';
import { MutateUsageError, mutateGlob, strykerArguments } from '../../../scripts/mutate.js';
import { BUILDSPEC_PATH as BUILDSPEC_SOURCE } from '../../../scripts/package-stackset.js';

describe('npm run mutate: targets', () => {
  it.each([
    ['src/reference/digest.ts', 'src/reference/digest.ts'],
    ['src/reference', 'src/reference/**/*.ts'],
    ['src/reference/', 'src/reference/**/*.ts'],
    ['./src/mirror/registry', 'src/mirror/registry/**/*.ts'],
    ['src/cli/yaml11.ts', 'src/cli/yaml11.ts'],
  ])('%s mutates %s', (target, glob) => {
    expect(mutateGlob(target)).toBe(glob);
  });

  it.each([
    ['src/cli/main.ts', 'outside what mutation testing covers'],
    ['src/cli', 'outside what mutation testing covers'],
    ['test/unit', 'outside what mutation testing covers'],
    ['src/nowhere.ts', 'no such file or folder'],
    // The folder above the checkout (always there, also in Stryker's copy of the checkout).
    ['..', 'outside what mutation testing covers'],
    ['src/mirror/buildspec.yaml', 'not a TypeScript file'],
  ])('refuses %s', (target, message) => {
    expect(() => mutateGlob(target)).toThrow(MutateUsageError);
    expect(() => mutateGlob(target)).toThrow(message);
  });

  it('keeps one incremental file per choice of targets, and passes Stryker options through', () => {
    expect(strykerArguments(['src/reference', 'src/cli/yaml11.ts', '--concurrency', '1'])).toEqual([
      'run',
      '--mutate',
      'src/reference/**/*.ts,src/cli/yaml11.ts',
      '--incrementalFile',
      'reports/mutation/incremental/src-reference+src-cli-yaml11.ts.json',
      '--concurrency',
      '1',
    ]);
    expect(strykerArguments([])).toEqual(['run']);
  });

  it('names the incremental file of a long choice within what a file system takes, one name per choice', () => {
    const files = ['decide', 'mirror-plan', 'mirror-order', 'transform', 'rewrite', 'sites', 'task-sites', 'execution-role', 'quotas'];
    const incrementalFile = (targets: string[]) => {
      const args = strykerArguments(targets);
      return args[args.indexOf('--incrementalFile') + 1] ?? '';
    };
    const all = incrementalFile(files.map((file) => `src/template/${file}.ts`));
    const fewer = incrementalFile(files.slice(1).map((file) => `src/template/${file}.ts`));
    for (const name of [all, fewer]) {
      expect(Buffer.byteLength(name.split('/').at(-1) ?? '')).toBeLessThanOrEqual(255);
      expect(name).toMatch(/^reports\/mutation\/incremental\/src-template-/);
    }
    expect(all).not.toBe(fewer);
    expect(incrementalFile(files.map((file) => `src/template/${file}.ts`))).toBe(all);
  });

  it('takes a lone -- between the targets and the options as a separator, not as an option for Stryker', () => {
    const expected = ['run', '--mutate', 'src/template/**/*.ts', '--incrementalFile', 'reports/mutation/incremental/src-template.json', '--ignoreStatic'];
    expect(strykerArguments(['src/template', '--', '--ignoreStatic'])).toEqual(expected);
    expect(strykerArguments(['src/template', '--ignoreStatic'])).toEqual(expected);
    expect(strykerArguments(['--', '--force'])).toEqual(['run', '--force']);
  });
});

describe('npm run mutate:buildspec: the mutant list', () => {
  const buildspec = readFileSync(BUILDSPEC_SOURCE, 'utf8');
  const mutants = parseMutants(readFileSync(MUTANTS_FILE, 'utf8'));

  it('holds mutants with distinct names, each of which changes the buildspec as it is now in one place', () => {
    expect(mutants.length).toBeGreaterThan(10);
    expect(new Set(mutants.map((mutant) => mutant.name)).size).toBe(mutants.length);
    for (const mutant of mutants) {
      const mutated = applyMutant(buildspec, mutant);
      expect(mutated, mutant.name).not.toBe(buildspec);
      expect(mutated.length - buildspec.length).toBe(mutant.replace.length - mutant.find.length);
    }
  });

  it('refuses a stale mutant, and a list of the wrong shape', () => {
    expect(() => applyMutant(buildspec, { name: 'gone', find: 'this text is not in the buildspec', replace: 'x' })).toThrow(/occurs 0 times/);
    expect(() => applyMutant(buildspec, { name: 'twice', find: 'fail ', replace: 'x' })).toThrow(/must be once/);
    expect(() => parseMutants('name: x')).toThrow(MutantListError);
    expect(() => parseMutants('- {name: x, find: a, replace: a}')).toThrow(/changes nothing/);
    expect(() => parseMutants('- {name: x, find: a}')).toThrow(/"replace" must be a string/);
  });
});
