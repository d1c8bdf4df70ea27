// The recheck of Stryker's survivors (scripts/mutate-recheck.ts): which mutants it applies, where, and how it scores.
import { describe, expect, it } from 'vitest';
import { applyReportedMutant, type MutationReport, type ReportedMutant, RecheckError, rescore, survivorsToRecheck } from '../../../scripts/mutate-recheck.js';

const mutant = (id: string, status: string, start: [number, number], end: [number, number], extra: Partial<ReportedMutant> = {}): ReportedMutant => ({
  id,
  mutatorName: 'StringLiteral',
  replacement: '""',
  status,
  location: { start: { line: start[0], column: start[1] }, end: { line: end[0], column: end[1] } },
  ...extra,
});

const SOURCE = "const POLICIES = new Set([\n  'AdministratorAccess',\n  'PowerUserAccess',\n]);\n";

describe('npm run mutate:recheck', () => {
  it("replaces exactly the mutant's location, lines and columns counted from 1 as in Stryker's report", () => {
    expect(applyReportedMutant(SOURCE, mutant('1', 'Survived', [2, 3], [2, 24]))).toBe('const POLICIES = new Set([\n  "",\n  \'PowerUserAccess\',\n]);\n');
    // A location over several lines (an array literal emptied).
    expect(applyReportedMutant(SOURCE, mutant('2', 'Survived', [1, 26], [4, 2], { replacement: '[]' }))).toBe('const POLICIES = new Set([]);\n');
    // At the very start and up to the end of a line.
    expect(applyReportedMutant('a < b', mutant('3', 'Survived', [1, 1], [1, 6], { replacement: 'true' }))).toBe('true');
  });

  it('refuses a location outside the file or backwards, and a mutant without a replacement, naming the mutant', () => {
    expect(() => applyReportedMutant(SOURCE, mutant('7', 'Survived', [9, 1], [9, 2]))).toThrow(
      new RecheckError('mutant 7: line 9, column 1 is outside the file (was it changed after the run?)'),
    );
    expect(() => applyReportedMutant(SOURCE, mutant('8', 'Survived', [2, 30], [2, 31]))).toThrow(/mutant 8: line 2, column 30 is outside the file/);
    expect(() => applyReportedMutant(SOURCE, mutant('9', 'Survived', [2, 5], [2, 3]))).toThrow(/mutant 9: its location ends before it starts/);
    const { replacement: _, ...without } = mutant('10', 'Survived', [1, 1], [1, 2]);
    expect(() => applyReportedMutant(SOURCE, without)).toThrow(/mutant 10 \(StringLiteral\) has no replacement/);
  });

  const report: MutationReport = {
    files: {
      'src/a.ts': {
        source: SOURCE,
        mutants: [
          mutant('1', 'Survived', [2, 3], [2, 24], { static: true }),
          mutant('2', 'Survived', [3, 3], [3, 20]),
          mutant('3', 'Killed', [3, 3], [3, 20], { static: true }),
          mutant('4', 'NoCoverage', [3, 3], [3, 20]),
        ],
      },
      'src/b.ts': { source: 'x', mutants: [mutant('5', 'Timeout', [1, 1], [1, 2]), mutant('6', 'CompileError', [1, 1], [1, 2]), mutant('7', 'Ignored', [1, 1], [1, 2])] },
    },
  };

  it('rechecks the static survivors, or every survivor with --all; never a killed, uncovered or ignored mutant', () => {
    expect(survivorsToRecheck(report, false).map(({ file, mutant: m }) => `${file}#${m.id}`)).toEqual(['src/a.ts#1']);
    expect(survivorsToRecheck(report, true).map(({ file, mutant: m }) => `${file}#${m.id}`)).toEqual(['src/a.ts#1', 'src/a.ts#2']);
  });

  it("scores as Stryker does (killed and timed out over killed, timed out, survived and uncovered), with the recheck's kills", () => {
    expect(rescore(report, new Set())).toEqual({ detected: 2, valid: 5 });
    expect(rescore(report, new Set(['src/a.ts#1']))).toEqual({ detected: 3, valid: 5 });
    // A kill is per file: the same id in another file is another mutant.
    expect(rescore(report, new Set(['src/b.ts#1']))).toEqual({ detected: 2, valid: 5 });
  });
});
