// The suites that read the real third-party templates, in a fresh copy of the checkout with no ../shared beside it
// (a clone on its own): on a laptop they are skipped and named in the run's one summary block, as suites lacking a
// tool are; under CI=true they fail, each with one line saying what is missing and how to get it (no ENOENT).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyCheckout, type CheckoutCopy } from '../support/checkout-copy.js';
import { REAL_TEMPLATES } from '../support/test-data.js';

const ROOT = new URL('../../', import.meta.url).pathname;
/** Every suite that reads the real templates (found by what it imports, so a new one is covered), this one aside. */
const SUITES = readdirSync(join(ROOT, 'test'), { recursive: true, encoding: 'utf8' })
  .filter((file) => file.endsWith('.test.ts') && !file.endsWith('test-data.test.ts'))
  .map((file) => `test/${file}`)
  .filter((file) => /\bREAL_TEMPLATES(_DIR)?\b/.test(readFileSync(join(ROOT, file), 'utf8')))
  .sort();

function runSuites(dir: string, env: Record<string, string>): { status: number | null; output: string } {
  const result = spawnSync(process.execPath, [join(dir, 'node_modules', 'vitest', 'vitest.mjs'), 'run', ...SUITES], {
    cwd: dir,
    encoding: 'utf8',
    // A fresh environment: none of this run's settings (CI, the real templates' folder).
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/root', NO_COLOR: '1', TMPDIR: tmpdir(), ...env },
  });
  return { status: result.status, output: `${result.stdout}\n${result.stderr}` };
}

describe('the real-template suites in a clone without ../shared beside it', () => {
  it("are found: every suite that imports the real templates' folder", () => {
    expect(SUITES.length, SUITES.join(', ')).toBeGreaterThanOrEqual(6);
    expect(SUITES).toEqual(expect.arrayContaining(['test/unit/template/real-templates.test.ts', 'test/unit/mirror/core/naming.test.ts']));
  });

  let parent: string | undefined;
  let copy: CheckoutCopy;
  let laptop: { status: number | null; output: string };
  let ci: { status: number | null; output: string };

  beforeAll(() => {
    // A folder of its own around the copy: whatever sits beside other checkouts in /tmp, nothing is beside this one.
    parent = mkdtempSync(join(tmpdir(), 'sif-alone-'));
    copy = copyCheckout('checkout-', parent);
    expect(existsSync(join(copy.dir, '..', 'shared', 'real-templates'))).toBe(false);
    laptop = runSuites(copy.dir, {});
    ci = runSuites(copy.dir, { CI: 'true' });
  });

  afterAll(() => {
    copy?.remove();
    if (parent !== undefined) rmSync(parent, { recursive: true, force: true });
  });

  it('on a laptop: every such suite passes without them, its real-template tests skipped and named once in the summary, with how to get the templates', () => {
    expect(laptop.status, laptop.output).toBe(0);
    // Suites that read them in some tests only pass with the others; the rest are skipped whole.
    expect(laptop.output).toMatch(new RegExp(`Test Files\\s+(\\d+ passed \\| )?\\d+ skipped \\(${SUITES.length}\\)`));
    const blocks = laptop.output.match(/^Skipped \d+ suites?: .*$/gm) ?? [];
    expect(blocks).toEqual([`Skipped ${SUITES.length} suites: test data is missing (under CI=true these fail instead)`]);
    for (const suite of SUITES) expect(laptop.output).toMatch(new RegExp(`^ {2}${suite.replaceAll('.', '\\.')} +missing \\.\\./shared/real-templates$`, 'm'));
    expect(laptop.output).toContain(`  ${REAL_TEMPLATES.name} ${REAL_TEMPLATES.install}`);
    expect(laptop.output).not.toContain('ENOENT');
  });

  it('under CI=true: every such suite fails, each with the one line that says what is missing and how to get it', () => {
    expect(ci.status).not.toBe(0);
    expect(ci.output).toMatch(new RegExp(`Test Files\\s+${SUITES.length} failed`));
    const line = `CI=true but required test data is missing: ${REAL_TEMPLATES.name} (to get it: ${REAL_TEMPLATES.install})`;
    expect(ci.output.split(line).length - 1, ci.output).toBeGreaterThanOrEqual(SUITES.length);
    expect(ci.output).not.toContain('ENOENT');
  });
});
