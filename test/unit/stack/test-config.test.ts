// Tests a newcomer can trust: every test that starts a process (a tool, a registry, a child vitest) lives where the
// generous time limit applies, so a busy machine slows it down but never fails it (the issue saw two cfn-lint tests
// hit vitest's default-style 30 s limit on a loaded 2-core machine; alone they take 3.5 s).
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TEMPLATE_PATH } from '../../../scripts/package-stackset.js';
import { TOOL_HOOK_TIMEOUT_MS, TOOL_TEST_FOLDERS, TOOL_TEST_TIMEOUT_MS, UNIT_TEST_TIMEOUT_MS } from '../../support/timeouts.js';

const ROOT = join(TEMPLATE_PATH, '..');
/** A suite may set its own per-test limit (the e2e scenarios do), but never a tight one. */
const EXPLICIT_LIMIT_MIN_MS = 120_000;
/** Imports that mean a test starts processes or real servers (the buildspec's compaction asks bash for its proof). */
const STARTS_PROCESSES =
  /from '(?:node:child_process|[./]*(?:support\/(?:tools|cfn-lint|sam|registry|moto|processes|buildspec-runner|buildspec-under-test|skopeo-shim|checkout-copy|images)|scripts\/buildspec-compact|e2e\/harness\/[\w-]+)\.js)'/;

function testFiles(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.test.ts'))
    .map((entry) => relative(ROOT, join(entry.parentPath, entry.name)));
}

describe('test suite layout and limits', () => {
  it('every test file that starts processes is in a tool folder (generous limit); the others are unit tests', () => {
    const all = testFiles('test');
    const starting = all.filter((file) => STARTS_PROCESSES.test(readFileSync(join(ROOT, file), 'utf8')));
    expect(starting.length).toBeGreaterThan(10);
    expect(starting.filter((file) => !TOOL_TEST_FOLDERS.some((folder) => file.startsWith(`${folder}/`)))).toEqual([]);
  });

  it('tool tests get ten minutes per test and per hook; unit tests one minute', () => {
    expect(TOOL_TEST_TIMEOUT_MS).toBeGreaterThanOrEqual(600_000);
    expect(TOOL_HOOK_TIMEOUT_MS).toBeGreaterThanOrEqual(600_000);
    expect(UNIT_TEST_TIMEOUT_MS).toBe(60_000);
    const config = readFileSync(join(ROOT, 'vitest.config.ts'), 'utf8');
    expect(config).toContain('testTimeout: TOOL_TEST_TIMEOUT_MS');
    expect(config).toContain('hookTimeout: TOOL_HOOK_TIMEOUT_MS');
  });

  it('no tool test sets itself a limit under two minutes', () => {
    const shortened = TOOL_TEST_FOLDERS.flatMap((folder) => testFiles(folder)).flatMap((file) =>
      [...readFileSync(join(ROOT, file), 'utf8').matchAll(/TIMEOUT_MS\s*=\s*([\d_]+)/g)]
        .filter((match) => Number(match[1]!.replaceAll('_', '')) < EXPLICIT_LIMIT_MIN_MS)
        .map((match) => `${file}: ${match[0]}`),
    );
    expect(shortened).toEqual([]);
  });
});
