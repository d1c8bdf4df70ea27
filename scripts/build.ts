// Bundles every Lambda entry and the CLI with esbuild.
// Lambda bundles are CommonJS `index.js` files exporting `handler`: that is what both a zip package
// and an inline `ZipFile` load without a package.json, on nodejs20.x through nodejs24.x.
import { build } from 'esbuild';
import { mkdir, writeFile, chmod } from 'node:fs/promises';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;

interface Entry {
  name: string;
  source: string;
  banner?: string;
  /** Where esbuild looks in a package.json for the entry point (its default: `main`, then `module`). */
  mainFields?: string[];
}

const lambdaEntries: Entry[] = [
  { name: 'macro', source: 'src/macro/handler.ts' },
  // The mirror function carries the AWS SDK it is tested with (package-lock.json), not the one nodejs24.x ships that
  // day (AWS documents no version, and its client settings need a recent SDK). The SDK's ES module builds let esbuild
  // leave out what the function never calls, so the StackSet template, both bundles inline, stays under 1 MB.
  { name: 'mirror', source: 'src/mirror/handler.ts', mainFields: ['module', 'main'] },
];
const cliEntry: Entry = { name: 'cli', source: 'src/cli/main.ts', banner: '#!/usr/bin/env node' };

async function bundle(entry: Entry): Promise<void> {
  const outdir = join(root, 'dist', entry.name);
  await mkdir(outdir, { recursive: true });
  await build({
    entryPoints: [join(root, entry.source)],
    outfile: join(outdir, 'index.js'),
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    minify: true,
    sourcemap: false,
    legalComments: 'none',
    logLevel: 'warning',
    ...(entry.banner ? { banner: { js: entry.banner } } : {}),
    ...(entry.mainFields ? { mainFields: entry.mainFields } : {}),
  });
  // The repository is ESM ("type": "module"); mark each bundle folder CommonJS so Node loads it as Lambda does.
  await writeFile(join(outdir, 'package.json'), '{"type":"commonjs"}\n');
}

const entries = [...lambdaEntries, cliEntry];
await Promise.all(entries.map(bundle));
await chmod(join(root, 'dist', 'cli', 'index.js'), 0o755);
