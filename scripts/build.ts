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
  source: string;
  banner?: string;
  /** Packages the runtime provides and the bundle must not carry. */
  external?: string[];
}

const lambdaEntries: Entry[] = [
  { name: 'macro', source: 'src/macro/handler.ts' },
  // nodejs24.x ships AWS SDK v3; leaving it out keeps the mirror bundle small enough to inline
  // into the organisation-wide StackSet template (ZipFile), where no bucket is available.
  { name: 'mirror', source: 'src/mirror/handler.ts', external: ['@aws-sdk/*'] },
];
const cliEntry: Entry = { name: 'cli', source: 'src/cli/main.ts', banner: '#!/usr/bin/env node' };

async function bundle(entry: Entry): Promise<void> {
  const outdir = join(root, 'dist', entry.name);
  await mkdir(outdir, { recursive: true });
  const result = await build({
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
    // What went into the bundle: its third-party notices come from this (scripts/notices.ts).
    metafile: true,
    ...(entry.banner ? { banner: { js: entry.banner } } : {}),
    ...(entry.external ? { external: entry.external } : {}),
  });
  // The repository is ESM ("type": "module"); mark each bundle folder CommonJS so Node loads it as Lambda does.
  await writeFile(join(outdir, 'package.json'), '{"type":"commonjs"}\n');
  writeBundleNotices(entry.name, result.metafile, join(outdir, 'index.js'));
}

const entries = [...lambdaEntries, cliEntry];
await Promise.all(entries.map(bundle));
await chmod(join(root, 'dist', 'cli', 'index.js'), 0o755);
