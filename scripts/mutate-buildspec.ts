// `npm run mutate:buildspec [-- <name part> ...]`: mutation testing of the buildspec's bash, which StrykerJS cannot
// mutate. Each mutant of test/mutants/buildspec.yaml (one find/replace) is applied to a copy of
// src/mirror/buildspec.yaml, and the buildspec suites run against the copy (SYSDIG_IMAGE_FIX_BUILDSPEC, CI=true): a
// mutant is killed when a test fails, survived when all pass. The unmutated buildspec runs first with the same tests,
// which must pass. Needs the buildspec suites' tools (docker-registry, skopeo, htpasswd, moto_server, aws, jq).
// Not in CI: each mutant is a run of real builds. Exit status 1 when a mutant survived or a find went stale.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { BUILDSPEC_ENV, BUILDSPEC_SOURCE } from '../test/support/buildspec-under-test.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const MUTANTS_FILE = join(ROOT, 'test', 'mutants', 'buildspec.yaml');
const SUITES = ['test/integration/buildspec.test.ts', 'test/integration/buildspec-install.test.ts', 'test/integration/buildspec-registry-words.test.ts'];

export interface BuildspecMutant {
  readonly name: string;
  readonly find: string;
  readonly replace: string;
  /** vitest -t pattern of the tests expected to kill it; all buildspec tests when absent. */
  readonly tests?: string;
}

export class MutantListError extends Error {
  override readonly name = 'MutantListError';
}

/** The mutants of `text` (the YAML list), checked for shape. */
export function parseMutants(text: string): BuildspecMutant[] {
  const list: unknown = parse(text);
  if (!Array.isArray(list)) throw new MutantListError('the mutant list must be a YAML sequence');
  return list.map((entry, index) => {
    const where = `mutant ${index + 1}`;
    if (entry === null || typeof entry !== 'object') throw new MutantListError(`${where} is not a mapping`);
    const { name, find, replace, tests } = entry as Record<string, unknown>;
    for (const [key, value] of Object.entries({ name, find, replace })) {
      if (typeof value !== 'string') throw new MutantListError(`${where}: "${key}" must be a string`);
    }
    if (tests !== undefined && typeof tests !== 'string') throw new MutantListError(`${where}: "tests" must be a string`);
    if (find === '' || find === replace) throw new MutantListError(`${where} (${name}) changes nothing`);
    return { name: name as string, find: find as string, replace: replace as string, ...(tests !== undefined ? { tests } : {}) };
  });
}

/** `buildspec` with the mutant applied; throws when its `find` does not occur exactly once (a stale mutant). */
export function applyMutant(buildspec: string, mutant: BuildspecMutant): string {
  const count = buildspec.split(mutant.find).length - 1;
  if (count !== 1) throw new MutantListError(`"${mutant.name}": its find text occurs ${count} times in the buildspec (must be once)`);
  return buildspec.replace(mutant.find, () => mutant.replace);
}

interface SuiteRun {
  readonly failed: string[];
  readonly passed: number;
  readonly problem?: string;
}

/** The buildspec suites against the buildspec at `path`, the tests named by `pattern` only. */
function runSuites(path: string, pattern: string | undefined, scratch: string): SuiteRun {
  const report = join(scratch, 'report.json');
  rmSync(report, { force: true });
  const args = ['run', ...SUITES, '--reporter=json', `--outputFile=${report}`, ...(pattern !== undefined ? ['-t', pattern] : [])];
  const result = spawnSync('nice', ['-n', '15', process.execPath, join(ROOT, 'node_modules', 'vitest', 'vitest.mjs'), ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, CI: 'true', [BUILDSPEC_ENV]: path },
  });
  let parsed: { testResults?: { assertionResults?: { status: string; fullName: string }[] }[] };
  try {
    parsed = JSON.parse(readFileSync(report, 'utf8'));
  } catch {
    return { failed: [], passed: 0, problem: `vitest wrote no report (exit ${result.status}): ${`${result.stderr}`.slice(-2000)}` };
  }
  const tests = (parsed.testResults ?? []).flatMap((file) => file.assertionResults ?? []);
  const failed = tests.filter((test) => test.status === 'failed').map((test) => test.fullName);
  const passed = tests.filter((test) => test.status === 'passed').length;
  if (failed.length === 0 && result.status !== 0) return { failed, passed, problem: `vitest failed outside any test: ${`${result.stderr}`.slice(-2000)}` };
  return { failed, passed };
}

function main(argv: readonly string[]): number {
  const buildspec = readFileSync(BUILDSPEC_SOURCE, 'utf8');
  const mutants = parseMutants(readFileSync(MUTANTS_FILE, 'utf8')).filter((mutant) => argv.length === 0 || argv.some((part) => mutant.name.includes(part)));
  if (mutants.length === 0) {
    process.stderr.write(`no mutant in ${MUTANTS_FILE} matches ${argv.join(', ')}\n`);
    return 2;
  }
  const scratch = mkdtempSync(join(tmpdir(), 'sif-mutate-buildspec-'));
  const out = (line: string): boolean => process.stdout.write(`${line}\n`);
  const started = Date.now();
  let survived = 0;
  let stale = 0;
  try {
    // One baseline run: every test any of these mutants names (all tests when one names none).
    const pattern = mutants.some((mutant) => mutant.tests === undefined) ? undefined : [...new Set(mutants.map((mutant) => `(?:${mutant.tests})`))].join('|');
    out(`baseline: the deployed buildspec with the tests of ${mutants.length} mutant(s)`);
    const baseline = runSuites(BUILDSPEC_SOURCE, pattern, scratch);
    if (baseline.problem !== undefined || baseline.failed.length > 0 || baseline.passed === 0) {
      out(`the unmutated buildspec fails these tests: ${baseline.problem ?? (baseline.failed.join('; ') || 'no test ran')}`);
      return 2;
    }
    out(`baseline: ${baseline.passed} tests passed`);
    for (const mutant of mutants) {
      let text: string;
      try {
        text = applyMutant(buildspec, mutant);
      } catch (error) {
        stale++;
        out(`STALE     ${mutant.name}: ${(error as Error).message}`);
        continue;
      }
      const path = join(scratch, 'buildspec.yaml');
      writeFileSync(path, text);
      const run = runSuites(path, mutant.tests, scratch);
      if (run.problem !== undefined) {
        survived++;
        out(`ERROR     ${mutant.name}: ${run.problem}`);
      } else if (run.failed.length > 0) {
        out(`killed    ${mutant.name}\n          by ${run.failed.join('\n          by ')}`);
      } else {
        survived++;
        out(`SURVIVED  ${mutant.name} (${run.passed} tests passed${mutant.tests !== undefined ? `, -t ${mutant.tests}` : ''})`);
      }
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  const killed = mutants.length - survived - stale;
  out(`\n${killed} of ${mutants.length} killed, ${survived} survived, ${stale} stale (${Math.round((Date.now() - started) / 1000)} s)`);
  return survived + stale > 0 ? 1 : 0;
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) process.exitCode = main(process.argv.slice(2));
