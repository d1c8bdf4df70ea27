// The suites that read the real third-party templates, in a fresh copy of the checkout with no ../shared beside it
// (a clone on its own): on a laptop they are skipped and named in the run's one summary block, as suites lacking a
// tool are; under CI=true they fail, each with one line saying what is missing and how to get it (no ENOENT).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyCheckout, type CheckoutCopy } from '../support/checkout-copy.js';
import { REAL_TEMPLATES } from '../support/test-data.js';

const SUITES = ['test/unit/template/real-templates.test.ts', 'test/unit/template/opt-in-real-templates.test.ts'];

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

  it('on a laptop: both suites are skipped and named once in the summary, with how to get the templates', () => {
    expect(laptop.status, laptop.output).toBe(0);
    expect(laptop.output).toMatch(/Test Files\s+2 skipped/);
    const blocks = laptop.output.match(/^Skipped \d+ suites?: .*$/gm) ?? [];
    expect(blocks).toEqual(['Skipped 2 suites: test data is missing (under CI=true these fail instead)']);
    for (const suite of SUITES) expect(laptop.output).toMatch(new RegExp(`^ {2}${suite.replaceAll('.', '\\.')} +missing \\.\\./shared/real-templates$`, 'm'));
    expect(laptop.output).toContain(`  ${REAL_TEMPLATES.name} ${REAL_TEMPLATES.install}`);
    expect(laptop.output).not.toContain('ENOENT');
  });

  it('under CI=true: both suites fail, each with the one line that says what is missing and how to get it', () => {
    expect(ci.status).not.toBe(0);
    expect(ci.output).toMatch(/Test Files\s+2 failed/);
    const line = `CI=true but required test data is missing: ${REAL_TEMPLATES.name} (to get it: ${REAL_TEMPLATES.install})`;
    expect(ci.output.split(line).length - 1, ci.output).toBeGreaterThanOrEqual(SUITES.length);
    expect(ci.output).not.toContain('ENOENT');
  });
});
