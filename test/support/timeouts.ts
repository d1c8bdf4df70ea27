// Per-test time limits of the two vitest projects (vitest.config.ts). Unit tests are pure and fast. Integration and
// end-to-end tests run real tools (cfn-lint, the SAM translator, skopeo, registries, moto): alone one cfn-lint run
// takes ~3 s, but on a busy 2-core machine running two suites at once it has taken over 30 s. Their limit only bounds
// a hang; it never decides a result. test/unit/stack/test-config.test.ts holds every tool-running test to the folders.
export const UNIT_TEST_TIMEOUT_MS = 60_000;
export const TOOL_TEST_TIMEOUT_MS = 600_000;
export const TOOL_HOOK_TIMEOUT_MS = 600_000;
export const TOOL_TEST_FOLDERS = ['test/integration', 'test/e2e'] as const;
