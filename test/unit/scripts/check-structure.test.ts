// The structure check of `npm run lint`, fed small trees written for each case.
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { checkStructure, formatReport, isClean, MAX_FILE_LINES, MAX_FUNCTION_LINES } from '../../../scripts/check-structure.js';

const trees: string[] = [];

/** A fresh `src` folder holding `files` (path -> text). */
function tree(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'check-structure-'));
  trees.push(root);
  const src = join(root, 'src');
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(src, path)), { recursive: true });
    writeFileSync(join(src, path), text);
  }
  return src;
}

function functionOf(lines: number, name = 'long'): string {
  return `export function ${name}(): number {\n${'  let x = 1;\n'.repeat(lines - 3)}  return 1;\n}\n`;
}

afterEach(() => {
  for (const root of trees.splice(0)) rmSync(root, { recursive: true, force: true });
});

describe('Function: checkStructure', () => {
  it('passes a tree without cycles, long functions or long files', () => {
    const report = checkStructure(tree({ 'a.ts': "import { b } from './b.js';\nexport const a = b;\n", 'b.ts': 'export const b = 1;\n' }));
    expect(report).toEqual({ cycles: [], longFunctions: [], longFiles: [] });
    expect(isClean(report)).toBe(true);
  });

  it('finds a cycle made only of type imports, across folders, and names its files', () => {
    const report = checkStructure(
      tree({
        'core/a.ts': "import type { B } from '../ports/b.js';\nexport interface A { b?: B }\n",
        'ports/b.ts': "import type { C } from './c.js';\nexport interface B { c?: C }\n",
        'ports/c.ts': "export type { A as C } from '../core/a.js';\n",
      }),
    );
    expect(isClean(report)).toBe(false);
    expect(report.cycles).toEqual([
      { files: ['src/core/a.ts', 'src/ports/b.ts', 'src/ports/c.ts'], example: ['src/core/a.ts', 'src/ports/b.ts', 'src/ports/c.ts', 'src/core/a.ts'] },
    ]);
    expect(formatReport(report)).toContain('1 import cycles');
  });

  it('does not mistake a package or a missing file for a cycle', () => {
    const report = checkStructure(tree({ 'a.ts': "import ts from 'typescript';\nimport { x } from './gone.js';\nexport const a = [ts, x];\n" }));
    expect(report.cycles).toEqual([]);
  });

  it(`finds a function over ${MAX_FUNCTION_LINES} lines, also an arrow inside another function, and keeps one of exactly ${MAX_FUNCTION_LINES}`, () => {
    const arrow = `export function outer(): () => number {\n  const inner = () => {\n${'    let y = 2;\n'.repeat(MAX_FUNCTION_LINES)}    return y;\n  };\n  return inner;\n}\n`;
    const report = checkStructure(tree({ 'fits.ts': functionOf(MAX_FUNCTION_LINES), 'long.ts': functionOf(MAX_FUNCTION_LINES + 1), 'nested.ts': arrow }));
    expect(report.longFunctions).toEqual([
      { file: 'src/long.ts', name: 'long', line: 1, lines: MAX_FUNCTION_LINES + 1 },
      { file: 'src/nested.ts', name: 'outer', line: 1, lines: MAX_FUNCTION_LINES + 6 },
      { file: 'src/nested.ts', name: 'inner', line: 2, lines: MAX_FUNCTION_LINES + 3 },
    ]);
    expect(formatReport(report)).toMatch(/function over 80 lines: src\/long\.ts:1 long \(81 lines\)/);
  });

  it(`finds a .ts file over ${MAX_FILE_LINES} lines`, () => {
    const many = (count: number) => Array.from({ length: count }, (_, i) => `export const v${i} = ${i};\n`).join('');
    const report = checkStructure(tree({ 'fits.ts': many(MAX_FILE_LINES), 'long.ts': many(MAX_FILE_LINES + 1) }));
    expect(report.longFiles).toEqual([{ file: 'src/long.ts', lines: MAX_FILE_LINES + 1 }]);
  });
});
