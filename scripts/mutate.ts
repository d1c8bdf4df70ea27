// `npm run mutate -- [<file or folder> ...] [<stryker options>]`: StrykerJS (stryker.config.mjs) on the files
// chosen, at low priority (nice 15) with at most two workers, keeping one incremental file per choice so that
// a rerun after a change tests only the mutants whose code or tests changed. Without a choice it mutates every
// configured module (hours on two cores). Options after the targets go to Stryker as they are (e.g.
// `--concurrency 1`, `--force` to ignore the incremental file). The report: reports/mutation/mutation.html.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
/** What stryker.config.mjs may mutate: a target must be one of these folders, inside one, or a CLI YAML module. */
const SCOPE_FOLDERS = ['src/mirror', 'src/template', 'src/reference'];
const SCOPE_FILES = /^src\/cli\/yaml[^/]*\.ts$/;

export class MutateUsageError extends Error {
  override readonly name = 'MutateUsageError';
}

/** The `mutate` glob of one target (a .ts file, or a folder: its .ts files), checked against the configured scope. */
export function mutateGlob(target: string, root = ROOT): string {
  const path = relative(root, resolve(root, target)).replaceAll('\\', '/');
  if (!existsSync(join(root, path))) throw new MutateUsageError(`${target}: no such file or folder`);
  const folder = statSync(join(root, path)).isDirectory();
  const inScope = SCOPE_FOLDERS.some((scope) => path === scope || path.startsWith(`${scope}/`)) || (!folder && SCOPE_FILES.test(path));
  if (!inScope) throw new MutateUsageError(`${target} is outside what mutation testing covers: ${SCOPE_FOLDERS.join('/, ')}/ and src/cli/yaml*.ts`);
  if (folder) return `${path}/**/*.ts`;
  if (!path.endsWith('.ts')) throw new MutateUsageError(`${target} is not a TypeScript file`);
  return path;
}

/** Longest incremental file name kept readable; file systems refuse names over 255 bytes. */
const MAX_SLUG = 120;

/** The incremental file's name for these globs: readable, and for a long choice cut and told apart by a hash. */
function incrementalSlug(globs: readonly string[]): string {
  const slug = globs
    .join('+')
    .replace(/\/\*\*\/\*\.ts/g, '')
    .replace(/[^A-Za-z0-9.+-]+/g, '-');
  if (slug.length <= MAX_SLUG) return slug;
  const hash = createHash('sha256').update(globs.join(',')).digest('hex').slice(0, 12);
  return `${slug.slice(0, MAX_SLUG - hash.length - 1)}-${hash}`;
}

/**
 * Stryker's arguments for `argv` (targets first, then Stryker options). A lone `--` between them is a separator
 * (`npm run mutate -- src/template -- --ignoreStatic`), not an option: Stryker would read it as its config file.
 */
export function strykerArguments(argv: readonly string[], root = ROOT): string[] {
  const firstOption = argv.findIndex((arg) => arg.startsWith('-'));
  const targets = firstOption === -1 ? argv : argv.slice(0, firstOption);
  const options = firstOption === -1 ? [] : argv.slice(firstOption).filter((arg) => arg !== '--');
  if (targets.length === 0) return ['run', ...options];
  const globs = targets.map((target) => mutateGlob(target, root));
  const slug = incrementalSlug(globs);
  return ['run', '--mutate', globs.join(','), '--incrementalFile', `reports/mutation/incremental/${slug}.json`, ...options];
}

function main(): number {
  let args: string[];
  try {
    args = strykerArguments(process.argv.slice(2));
  } catch (error) {
    if (!(error instanceof MutateUsageError)) throw error;
    process.stderr.write(`npm run mutate: ${error.message}\n`);
    return 2;
  }
  const stryker = join(ROOT, 'node_modules', '@stryker-mutator', 'core', 'bin', 'stryker.js');
  process.stdout.write(`nice -n 15 stryker ${args.join(' ')}\n`);
  const result = spawnSync('nice', ['-n', '15', process.execPath, stryker, ...args], { cwd: ROOT, stdio: 'inherit' });
  if (result.error) throw result.error;
  return result.status ?? 1;
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) process.exitCode = main();
