import { defineConfig } from 'vitest/config';
import { TOOL_HOOK_TIMEOUT_MS, TOOL_TEST_FOLDERS, TOOL_TEST_TIMEOUT_MS, UNIT_TEST_TIMEOUT_MS } from './test/support/timeouts.js';
import { createSkipLog, SKIP_LOG_ENV, SkipSummaryReporter } from './test/support/tools.js';

// The AWS SDK warns once per process that its releases after January 2027 need Node.js 22 (aws-sdk-js-v3 #7983,
// which documents this variable). The tests run on Node 20 by design; the functions run on nodejs24.x, where the
// warning never fires, so silencing it here hides nothing about production. Workers and the processes they start
// inherit it.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

// Workers record suites skipped for missing tools here; the reporter prints them as one block at the end.
const skipLog = createSkipLog();
process.env[SKIP_LOG_ENV] = skipLog;

export default defineConfig({
  test: {
    // The machine has two cores; heavy suites must not starve each other.
    maxWorkers: 2,
    reporters: ['default', new SkipSummaryReporter(skipLog)],
    // Unit tests: pure, short limits. Tests that run tools (test/support/timeouts.ts): generous limits.
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['test/**/*.test.ts'],
          exclude: TOOL_TEST_FOLDERS.map((folder) => `${folder}/**`),
          testTimeout: UNIT_TEST_TIMEOUT_MS,
          hookTimeout: UNIT_TEST_TIMEOUT_MS,
        },
      },
      {
        extends: true,
        test: {
          name: 'tools',
          include: TOOL_TEST_FOLDERS.map((folder) => `${folder}/**/*.test.ts`),
          testTimeout: TOOL_TEST_TIMEOUT_MS,
          hookTimeout: TOOL_HOOK_TIMEOUT_MS,
        },
      },
    ],
  },
});
