// The third-party notices generator (scripts/notices.ts) on packages laid out as npm lays them out, with metafiles in
// esbuild's shape. The real bundles are checked against esbuild's real record in test/integration/notices.test.ts.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Metafile } from 'esbuild';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { bundledPackageDirs, KEPT_LICENCES, NoticesError, readBundledPackage, renderNotices } from '../../../scripts/notices.js';

let dir: string;

function pkg(path: string, manifest: Record<string, unknown>, files: Record<string, string> = {}): string {
  const at = join(dir, path);
  mkdirSync(at, { recursive: true });
  writeFileSync(join(at, 'package.json'), JSON.stringify(manifest));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(at, name), text);
  return at;
}

function metafile(inputs: Record<string, number>): Metafile {
  return {
    inputs: {},
    outputs: {
      'dist/x/index.js': { bytes: 1, imports: [], exports: [], inputs: Object.fromEntries(Object.entries(inputs).map(([path, bytesInOutput]) => [path, { bytesInOutput }])) },
    },
  };
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'sif-notices-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('Function: bundledPackageDirs', () => {
  it('names each package with bytes in the output once: plain, scoped, nested; not the sources, not tree-shaken packages', () => {
    const meta = metafile({
      'src/cli/main.ts': 900,
      'node_modules/yaml/dist/index.js': 10,
      'node_modules/yaml/dist/compose.js': 20,
      'node_modules/@scope/pkg/lib/index.js': 5,
      'node_modules/outer/node_modules/inner/index.js': 7,
      'node_modules/types-only/index.js': 0,
    });
    expect(bundledPackageDirs(meta, 'dist/x/index.js', dir).sort()).toEqual(
      [join(dir, 'node_modules/yaml'), join(dir, 'node_modules/@scope/pkg'), join(dir, 'node_modules/outer/node_modules/inner')].sort(),
    );
  });

  it('refuses an output the metafile does not have', () => {
    expect(() => bundledPackageDirs(metafile({}), 'dist/other/index.js', dir)).toThrow(/no output dist\/other\/index\.js \(outputs: dist\/x\/index\.js\)/);
  });
});

describe('Function: readBundledPackage', () => {
  it("ships the package's own licence files (any spelling) and its NOTICE file", () => {
    const at = pkg(
      'node_modules/a',
      { name: 'a', version: '1.2.3', license: 'Apache-2.0', homepage: 'https://a.example' },
      { 'LICENCE.md': 'A licence', NOTICE: 'A notice' },
    );
    expect(readBundledPackage(at)).toEqual({
      name: 'a',
      version: '1.2.3',
      license: 'Apache-2.0',
      homepage: 'https://a.example',
      texts: [
        { source: 'LICENCE.md', text: 'A licence' },
        { source: 'NOTICE', text: 'A notice' },
      ],
    });
  });

  it('fails naming the package, its version and declared licence when it ships no licence text', () => {
    const at = pkg('node_modules/bare', { name: 'bare', version: '0.0.1', license: 'MIT' }, { 'README.md': 'no licence here' });
    expect(() => readBundledPackage(at)).toThrow(NoticesError);
    expect(() => readBundledPackage(at)).toThrow(
      /^bare@0\.0\.1 \(.*node_modules\/bare\) is bundled but ships no licence text \(declared licence: MIT\)\. Copy the licence text/,
    );
  });

  it('uses a kept licence text only while the package still declares that licence', () => {
    const kept = { bare: { license: 'MIT-0', file: 'powertools-lambda-typescript.LICENSE', from: 'https://example.com/LICENSE' } };
    const at = pkg('node_modules/bare', { name: 'bare', version: '1.0.0', license: 'MIT-0' });
    const read = readBundledPackage(at, kept);
    expect(read.texts).toHaveLength(1);
    expect(read.texts[0]!.source).toBe('LICENSE from https://example.com/LICENSE (the npm package carries none)');
    expect(read.texts[0]!.text).toContain('Permission is hereby granted, free of charge');
    const relicensed = pkg('node_modules/bare2', { name: 'bare', version: '2.0.0', license: 'BUSL-1.1' });
    expect(() => readBundledPackage(relicensed, kept)).toThrow(/bare@2\.0\.0 .* \(declared licence: BUSL-1\.1\)/);
  });

  it('gives an Apache-2.0 package without a LICENSE file the Apache License 2.0 text', () => {
    const read = readBundledPackage(pkg('node_modules/sdk-part', { name: 'sdk-part', version: '3.0.0', license: 'Apache-2.0' }), {});
    expect(read.texts[0]!.source).toMatch(/^LICENSE from https:\/\/www\.apache\.org\/licenses\/LICENSE-2\.0/);
    expect(read.texts[0]!.text).toContain('TERMS AND CONDITIONS FOR USE, REPRODUCTION, AND DISTRIBUTION');
  });

  it('keeps texts only for the Powertools packages, which ship none on npm, under their declared MIT-0', () => {
    expect(Object.keys(KEPT_LICENCES).sort()).toEqual(['@aws-lambda-powertools/commons', '@aws-lambda-powertools/logger']);
    for (const kept of Object.values(KEPT_LICENCES)) expect(kept.license).toBe('MIT-0');
  });
});

describe('Function: renderNotices', () => {
  const a = { name: 'b-pkg', version: '1.0.0', license: 'ISC', texts: [{ source: 'LICENSE', text: 'ISC text\r\n' }] };
  const b = { name: 'a-pkg', version: '2.0.0', license: 'Apache-2.0', homepage: 'https://a', texts: [{ source: 'LICENSE', text: 'Apache text' }] };
  const c = { name: 'c-pkg', version: '3.0.0', license: 'Apache-2.0', texts: [{ source: 'LICENSE.txt', text: 'Apache text\n' }] };

  it('lists every package by name with version, licence, home and each text; a repeated text once', () => {
    const text = renderNotices('dist/x/index.js', [a, b, c], '9.9.9');
    expect(text.split('\n')[0]).toBe('Third-party notices for dist/x/index.js (sysdig-image-fix 9.9.9)');
    expect(text).toContain(['a-pkg 2.0.0', 'License: Apache-2.0', 'Home: https://a', '--- LICENSE', '', 'Apache text'].join('\n'));
    expect(text).toContain(['b-pkg 1.0.0', 'License: ISC', '--- LICENSE', '', 'ISC text'].join('\n'));
    expect(text).toContain(['c-pkg 3.0.0', 'License: Apache-2.0', '--- LICENSE.txt: the same text as for a-pkg 2.0.0 above'].join('\n'));
    expect(text.indexOf('a-pkg')).toBeLessThan(text.indexOf('b-pkg'));
    expect(text.match(/Apache text/g)).toHaveLength(1);
  });

  it('says so when a bundle contains no third-party code', () => {
    expect(renderNotices('dist/x/index.js', [], '1.0.0')).toContain('This code\ncontains the code of no third-party package.');
  });
});
