// `npm run mutate:recheck [-- --all]`: checks by hand what StrykerJS reported as surviving in the last run
// (reports/mutation/mutation.json). Stryker 9.6 with the vitest runner misreports static mutants (those in
// module-level code: tables, regular expressions): their coverage names only the tests of the first files that
// loaded the module, so tests that would kill them never run. Each such survivor (every survivor with --all) is
// applied to its file in the checkout, `vitest related` runs every unit test that imports the file (the mutation
// config: vitest.mutate.config.ts), and the file is restored. Prints one line per mutant and the score with the
// rechecked verdicts. Exit status 1 when a rechecked mutant survived.
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const REPORT = join(ROOT, 'reports', 'mutation', 'mutation.json');

interface Position {
  readonly line: number;
  readonly column: number;
}

/** The part of a mutant in Stryker's JSON report (mutation-testing-report-schema) that a recheck reads. */
export interface ReportedMutant {
  readonly id: string;
  readonly mutatorName: string;
  readonly replacement?: string;
  readonly status: string;
  readonly static?: boolean;
  readonly location: { readonly start: Position; readonly end: Position };
}

export interface MutationReport {
  readonly files: Readonly<Record<string, { readonly source: string; readonly mutants: readonly ReportedMutant[] }>>;
}

export class RecheckError extends Error {
  override readonly name = 'RecheckError';
}

/** The survivors to recheck: the static ones, or every one with `all`. */
export function survivorsToRecheck(report: MutationReport, all: boolean): { file: string; mutant: ReportedMutant }[] {
  return Object.entries(report.files).flatMap(([file, { mutants }]) =>
    mutants.filter((mutant) => mutant.status === 'Survived' && (all || mutant.static === true)).map((mutant) => ({ file, mutant })),
  );
}

/** `source` with the mutant's replacement in place of its location (lines and columns count from 1). */
export function applyReportedMutant(source: string, mutant: ReportedMutant): string {
  if (mutant.replacement === undefined) throw new RecheckError(`mutant ${mutant.id} (${mutant.mutatorName}) has no replacement in the report`);
  const lines = source.split('\n');
  const offset = ({ line, column }: Position): number => {
    if (line < 1 || line > lines.length || column < 1 || column > (lines[line - 1]?.length ?? 0) + 1) {
      throw new RecheckError(`mutant ${mutant.id}: line ${line}, column ${column} is outside the file (was it changed after the run?)`);
    }
    return lines.slice(0, line - 1).reduce((sum, text) => sum + text.length + 1, 0) + column - 1;
  };
  const start = offset(mutant.location.start);
  const end = offset(mutant.location.end);
  if (end < start) throw new RecheckError(`mutant ${mutant.id}: its location ends before it starts`);
  return source.slice(0, start) + mutant.replacement + source.slice(end);
}

/** Score as Stryker counts it (killed and timed out over all valid mutants), with the rechecked verdicts applied. */
export function rescore(report: MutationReport, killedOnRecheck: ReadonlySet<string>): { detected: number; valid: number } {
  let detected = 0;
  let valid = 0;
  for (const [file, { mutants }] of Object.entries(report.files)) {
    for (const mutant of mutants) {
      if (!['Killed', 'Timeout', 'Survived', 'NoCoverage'].includes(mutant.status)) continue;
      valid += 1;
      if (mutant.status === 'Killed' || mutant.status === 'Timeout' || killedOnRecheck.has(`${file}#${mutant.id}`)) detected += 1;
    }
  }
  return { detected, valid };
}

function killedByRelatedTests(file: string): boolean {
  const vitest = join(ROOT, 'node_modules', 'vitest', 'vitest.mjs');
  const run = spawnSync(process.execPath, [vitest, 'related', '--run', file, '-c', 'vitest.mutate.config.ts', '--bail', '1'], {
    cwd: ROOT,
    env: { ...process.env, CI: 'true' },
    stdio: 'ignore',
    // A mutant that loops forever is detected, as Stryker counts a timeout.
    timeout: 600_000,
  });
  if (run.error) throw run.error;
  return run.status !== 0;
}

async function main(): Promise<number> {
  const all = process.argv.includes('--all');
  const report = JSON.parse(readFileSync(REPORT, 'utf8')) as MutationReport;
  // A signal waits until the mutant's file is restored (the handlers run between mutants), then ends the run.
  let interrupted = false;
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => (interrupted = true));
  const killed = new Set<string>();
  let survived = 0;
  for (const { file, mutant } of survivorsToRecheck(report, all)) {
    const path = join(ROOT, file);
    const original = readFileSync(path, 'utf8');
    if (original !== report.files[file]?.source) throw new RecheckError(`${file} changed since the run: run npm run mutate again first`);
    let verdict: boolean;
    try {
      writeFileSync(path, applyReportedMutant(original, mutant));
      verdict = killedByRelatedTests(file);
    } finally {
      writeFileSync(path, original);
    }
    // An interrupted run's verdict is not recorded: the signal also reached the tests.
    await new Promise(setImmediate);
    if (interrupted) return 130;
    if (verdict) killed.add(`${file}#${mutant.id}`);
    else survived += 1;
    const { line, column } = mutant.location.start;
    process.stdout.write(`${verdict ? 'killed  ' : 'SURVIVED'} ${file}:${line}:${column} ${mutant.mutatorName} -> ${JSON.stringify(mutant.replacement)}\n`);
  }
  const { detected, valid } = rescore(report, killed);
  const score = ((100 * detected) / Math.max(valid, 1)).toFixed(1);
  process.stdout.write(`rechecked: ${killed.size + survived} (${killed.size} killed, ${survived} survived); score ${score}% of ${valid} mutants\n`);
  return survived > 0 ? 1 : 0;
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) process.exitCode = await main();
