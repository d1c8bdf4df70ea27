// Bundles every Lambda entry and the CLI with esbuild.
// Lambda bundles are CommonJS `index.js` files exporting `handler`: that is what both a zip package
// and an inline `ZipFile` load without a package.json, on nodejs20.x through nodejs24.x.
import { build } from 'esbuild';
import { mkdir, writeFile, chmod } from 'node:fs/promises';
import { join } from 'node:path';
import { writeBundleNotices } from './notices.js';

const root = new URL('..', import.meta.url).pathname;

interface Entry {
  name: string;
  /** Output file name (without .js) in dist/<name>/ -> source; the first is the bundle's main file. */
  sources: Record<string, string>;
  banner?: string;
  /** Packages the runtime provides and the bundle must not carry. */
  external?: string[];
  /** Where esbuild looks in a package.json for the entry point (its default: `main`, then `module`). */
  mainFields?: string[];
}

const lambdaEntries: Entry[] = [
  { name: 'macro', sources: { index: 'src/macro/handler.ts' } },
  // The mirror function carries the AWS SDK it is tested with (package-lock.json), not the one nodejs24.x ships that
  // day (AWS documents no version, and its client settings need a recent SDK). The SDK's ES module builds let esbuild
  // leave out what the function never calls, so the StackSet template, both bundles inline, stays under 1 MB.
  { name: 'mirror', sources: { index: 'src/mirror/handler.ts' }, mainFields: ['module', 'main'] },
];
// The commands that read AWS are a file of their own, loaded by main.ts only for them: transform and scan never
// load the AWS SDK. One build, so one metafile (and one THIRD-PARTY-NOTICES) covers both files of dist/cli.
const cliEntry: Entry = {
  name: 'cli',
  sources: { index: 'src/cli/main.ts', 'aws-commands': 'src/cli/aws-commands.ts' },
  banner: '#!/usr/bin/env node',
  external: ['./aws-commands.js'],
};

async function bundle(entry: Entry): Promise<void> {
  const outdir = join(root, 'dist', entry.name);
  await mkdir(outdir, { recursive: true });
  const result = await build({
    entryPoints: Object.entries(entry.sources).map(([out, source]) => ({ out, in: join(root, source) })),
    outdir,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    minify: true,
    sourcemap: false,
    legalComments: 'none',
    logLevel: 'warning',
    // What went into the bundle: its third-party notices come from this (scripts/notices.ts).
    metafile: true,
    ...(entry.banner ? { banner: { js: entry.banner } } : {}),
    ...(entry.external ? { external: entry.external } : {}),
    ...(entry.mainFields ? { mainFields: entry.mainFields } : {}),
  });
  // The repository is ESM ("type": "module"); mark each bundle folder CommonJS so Node loads it as Lambda does.
  await writeFile(join(outdir, 'package.json'), '{"type":"commonjs"}\n');
  writeBundleNotices(
    entry.name,
    result.metafile,
    Object.keys(entry.sources).map((out) => join(outdir, `${out}.js`)),
  );
}

const entries = [...lambdaEntries, cliEntry];
await Promise.all(entries.map(bundle));
await chmod(join(root, 'dist', 'cli', 'index.js'), 0o755);
