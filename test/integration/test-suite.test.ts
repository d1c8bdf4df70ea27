// The test suite itself, as a newcomer without the Python and apt tools runs it: vitest on real suites with a PATH
// that holds only node and sh. It must end with ONE block naming each skipped suite and what it lacks, print no
// scattered skip lines, and no AWS SDK warning.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHECKOUT_ROOT } from '../support/checkout-copy.js';

const SUITES = ['test/integration/macro-stack.test.ts', 'test/integration/buildspec.test.ts', 'test/unit/mirror/ports/aws.test.ts'];

describe('npm test without the machine tools', () => {
  let bin: string;
  let output: string;
  let status: number | null;

  beforeAll(() => {
    bin = mkdtempSync(join(tmpdir(), 'sif-bare-path-'));
    symlinkSync(process.execPath, join(bin, 'node'));
    symlinkSync('/bin/sh', join(bin, 'sh'));
    // A fresh environment: no CI=true (that turns skips into failures), none of this run's settings.
    const result = spawnSync(process.execPath, [join(CHECKOUT_ROOT, 'node_modules', 'vitest', 'vitest.mjs'), 'run', ...SUITES], {
      cwd: CHECKOUT_ROOT,
      encoding: 'utf8',
      env: { PATH: bin, HOME: process.env.HOME ?? '/root', NO_COLOR: '1', TMPDIR: tmpdir() },
    });
    output = `${result.stdout}\n${result.stderr}`;
    status = result.status;
  });

  afterAll(() => rmSync(bin, { recursive: true, force: true }));

  it('passes, skipping the suites whose tools are missing', () => {
    expect(status, output).toBe(0);
    expect(output).toMatch(/Test Files\s+1 passed \| 2 skipped/);
  });

  it('ends with one summary block naming each skipped suite, the tools it lacks and how to install them', () => {
    const blocks = output.match(/^Skipped \d+ suites?: tools are missing/gm) ?? [];
    expect(blocks).toEqual(['Skipped 2 suites: tools are missing']);
    const summary = output.slice(output.indexOf('Skipped 2 suites'));
    expect(summary).toMatch(/^ {2}test\/integration\/buildspec\.test\.ts +missing docker-registry, skopeo, htpasswd, moto_server, aws, jq$/m);
    expect(summary).toMatch(/^ {2}test\/integration\/macro-stack\.test\.ts +missing cfn-lint, samtranslator$/m);
    expect(summary).toContain("cfn-lint         pip install 'cfn-lint==1.51.*'");
    // It is the end of the output: after vitest's own summary.
    expect(output.indexOf('Skipped 2 suites')).toBeGreaterThan(output.indexOf('Test Files'));
  });

  it('prints no skip line per suite and no AWS SDK Node version warning', () => {
    expect(output).not.toContain('[skip]');
    expect(output).not.toContain('NodeVersionSupportWarning');
  });
});
