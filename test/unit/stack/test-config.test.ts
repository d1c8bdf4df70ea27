// Tests a newcomer can trust: every test that starts a process (a tool, a registry, a child vitest) lives where the
// generous time limit applies, so a busy machine slows it down but never fails it (the issue saw two cfn-lint tests
// hit vitest's default-style 30 s limit on a loaded 2-core machine; alone they take 3.5 s).
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TEMPLATE_PATH } from '../../../scripts/package-stackset.js';
import { TOOL_HOOK_TIMEOUT_MS, TOOL_TEST_FOLDERS, TOOL_TEST_TIMEOUT_MS, UNIT_TEST_TIMEOUT_MS } from '../../support/timeouts.js';

const ROOT = join(TEMPLATE_PATH, '..');
/** Imports that mean a test starts processes or real servers (the buildspec's compaction asks bash for its proof). */
const STARTS_PROCESSES =
  /from '(?:node:child_process|[./]*(?:support\/(?:tools|cfn-lint|sam|registry|moto|processes|buildspec-runner|buildspec-under-test|skopeo-shim|checkout-copy|images)|scripts\/buildspec-compact|e2e\/harness\/[\w-]+)\.js)'/;

/**
 * Per-test or per-hook limits below TOOL_TEST_TIMEOUT_MS that `text` sets: a number (or a constant bound to one)
 * passed after a test's body, or a `timeout` option. Tool tests only bound a hang, with the project's limit.
 */
function shortLimits(file: string, text: string): string[] {
  const numberOf = (token: string): number | undefined => {
    if (/^[\d_]+$/.test(token)) return Number(token.replaceAll('_', ''));
    const bound = new RegExp(`const ${token}\\s*=\\s*([\\d_]+)\\s*;`).exec(text);
    return bound === null ? undefined : Number(bound[1]!.replaceAll('_', ''));
  };
  const shown = (token: string): string => (/^[\d_]+$/.test(token) ? token : `${token} = ${new RegExp(`const ${token}\\s*=\\s*([\\d_]+)`).exec(text)![1]}`);
  const limits = [...text.matchAll(/\}\s*,\s*([A-Z][A-Z_]*|[\d_]+)\s*,?\s*\)/g), ...text.matchAll(/\btimeout:\s*([A-Z][A-Z_]*|[\d_]+)/g)];
  return limits
    .filter((match) => {
      const value = numberOf(match[1]!);
      return value !== undefined && value < TOOL_TEST_TIMEOUT_MS;
    })
    .map((match) => `${file}: ${match[0].startsWith('timeout') ? 'timeout: ' : ''}${shown(match[1]!)}`);
}

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

  it("no tool test sets itself a limit under the project's (it would decide results on a busy machine)", () => {
    const shortened = TOOL_TEST_FOLDERS.flatMap((folder) => testFiles(folder)).flatMap((file) => shortLimits(file, readFileSync(join(ROOT, file), 'utf8')));
    expect(shortened).toEqual([]);
  });

  it('finds the limits a test sets: after its body, as an option, or through a constant', () => {
    const text = [
      "it('a', async () => {\n  x();\n}, 30_000);",
      'beforeAll(async () => {\n}, LIMIT_MS);\nconst LIMIT_MS = 240_000;',
      "it('b', { timeout: 120_000 }, async () => {});",
      "it('c', async () => {\n},\n  SCENARIO_TIMEOUT_MS,\n);\nconst SCENARIO_TIMEOUT_MS = TOOL_TEST_TIMEOUT_MS;",
      "it('d', async () => {});\nconst BUILD_TIMEOUT_MS = 120_000;",
    ].join('\n');
    expect(shortLimits('x.test.ts', text)).toEqual(['x.test.ts: 30_000', 'x.test.ts: LIMIT_MS = 240_000', 'x.test.ts: timeout: 120_000']);
  });
});
