import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Integration and end-to-end tests start real registries and run skopeo; unit tests stay fast.
    testTimeout: 30_000,
    hookTimeout: 120_000,
    // The machine has two cores; heavy suites must not starve each other.
    maxWorkers: 2,
  },
});
