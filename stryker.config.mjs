// StrykerJS: mutation testing of the modules where a silent bug costs users most (docs/development.md, "Mutation
// testing"). Run it with `npm run mutate -- <file or folder>` (scripts/mutate.ts), which narrows `mutate` to that
// target and keeps one incremental file per target. Not in CI: a whole folder takes hours on a 2-core machine.
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(fileURLToPath(import.meta.url));
// Stryker tests a copy of the checkout in .stryker-tmp/; the real templates stay beside the checkout itself
// (test/support/test-data.ts).
process.env.SYSDIG_IMAGE_FIX_REAL_TEMPLATES ??= resolve(root, '../shared/real-templates');

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  mutate: ['src/mirror/**/*.ts', 'src/template/**/*.ts', 'src/reference/**/*.ts', 'src/cli/yaml*.ts'],
  testRunner: 'vitest',
  // The unit project only (vitest.mutate.config.ts), and of it the tests that import the mutated file.
  vitest: { configFile: 'vitest.mutate.config.ts', related: true },
  // Each mutant runs only the tests that reach it.
  coverageAnalysis: 'perTest',
  // Two workers at most: the machine has two cores, shared.
  concurrency: 2,
  incremental: true,
  incrementalFile: 'reports/mutation/incremental.json',
  reporters: ['clear-text', 'progress', 'html', 'json'],
  htmlReporter: { fileName: 'reports/mutation/mutation.html' },
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  tempDirName: '.stryker-tmp',
  ignorePatterns: ['dist', '.aws-sam', 'reports', 'coverage'],
  // A mutant's tests may take this much longer than without it before it counts as a timeout (an endless loop).
  // Generous: on a busy machine a slow run is not a detection.
  timeoutMS: 30_000,
  timeoutFactor: 3,
  thresholds: { high: 90, low: 85, break: null },
  cleanTempDir: 'always',
};
