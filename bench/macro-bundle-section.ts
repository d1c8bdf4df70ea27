// The macro Lambda's bundle: its size, and what requiring it adds to a cold start.
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { elapsedMs, median, type BenchMetric, type BenchSection } from './types.js';

export const MACRO_BUNDLE = new URL('../dist/macro/index.js', import.meta.url).pathname;
export const MACRO_BUNDLE_GOAL_BYTES = 100 * 1024;
export const MACRO_COLD_IMPORT_GOAL_MS = 50;
const COLD_RUNS = 9;

/** Wall time of a fresh `node` process that requires `file` and exits. */
function coldRequireMs(file: string): number {
  const start = process.hrtime.bigint();
  const result = spawnSync(process.execPath, ['-e', `require(${JSON.stringify(file)})`], { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
  const elapsed = elapsedMs(start);
  if (result.status !== 0) throw new Error(`requiring ${file} failed: ${result.stderr}`);
  return elapsed;
}

export const macroBundleSection: BenchSection = {
  name: 'macro-bundle',
  description: 'dist/macro/index.js size; fresh node requiring it minus fresh node requiring an empty module (median)',
  async run() {
    let bytes: number;
    try {
      bytes = (await stat(MACRO_BUNDLE)).size;
    } catch (error) {
      throw new Error(`${MACRO_BUNDLE} is missing: run npm run build first`, { cause: error });
    }
    const dir = await mkdtemp(join(tmpdir(), 'sif-bench-'));
    try {
      const empty = join(dir, 'empty.cjs');
      await writeFile(empty, '');
      const bundleSamples: number[] = [];
      const emptySamples: number[] = [];
      coldRequireMs(MACRO_BUNDLE); // Warm the file system cache, as a Lambda image would be.
      for (let i = 0; i < COLD_RUNS; i++) {
        bundleSamples.push(coldRequireMs(MACRO_BUNDLE));
        emptySamples.push(coldRequireMs(empty));
      }
      const metrics: BenchMetric[] = [
        { key: 'macroBundleBytes', label: 'bundle size', value: bytes, unit: 'bytes', max: MACRO_BUNDLE_GOAL_BYTES },
        { key: 'macroColdImportMs', label: 'cold import', value: Math.max(0, median(bundleSamples) - median(emptySamples)), unit: 'ms', max: MACRO_COLD_IMPORT_GOAL_MS },
        { key: 'nodeStartMs', label: 'node start, empty module', value: median(emptySamples), unit: 'ms' },
      ];
      return metrics;
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  },
};
