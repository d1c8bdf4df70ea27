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
}

const lambdaEntries: Entry[] = [
  { name: 'macro', sources: { index: 'src/macro/handler.ts' } },
  // nodejs24.x ships AWS SDK v3; leaving it out keeps the mirror bundle small enough to inline
  // into the organisation-wide StackSet template (ZipFile), where no bucket is available.
  { name: 'mirror', sources: { index: 'src/mirror/handler.ts' }, external: ['@aws-sdk/*'] },
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
