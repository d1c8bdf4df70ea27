// The vitest configuration of mutation runs (stryker.config.mjs): the `unit` project of vitest.config.ts alone. The
// tool suites (registries, skopeo, moto, cfn-lint) take minutes and cannot run once per mutant; the buildspec,
// which Stryker cannot mutate, has scripts/mutate-buildspec.ts.
import { defineConfig } from 'vitest/config';
import base from './vitest.config.js';

const unit = base.test?.projects?.find((project) => typeof project === 'object' && 'test' in project && project.test?.name === 'unit');
if (unit === undefined || typeof unit !== 'object' || !('test' in unit)) throw new Error('vitest.config.ts has no project named "unit"');

// Property tests draw a tenth of their cases here (test/support/property-runs.ts says why).
export default defineConfig({
  test: { ...unit.test, name: undefined, reporters: ['default'], env: { ...unit.test?.env, SYSDIG_IMAGE_FIX_MUTATION_RUN: '1' } },
});
