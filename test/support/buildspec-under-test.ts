// Which buildspec the buildspec suites run: the deployed one (src/mirror/buildspec.yaml, which template.yaml
// carries byte for byte), or a changed copy named in SYSDIG_IMAGE_FIX_BUILDSPEC. scripts/mutate-buildspec.ts sets it
// to a copy with one mutant applied, to see whether the suites notice.
import { fileURLToPath } from 'node:url';

export const BUILDSPEC_ENV = 'SYSDIG_IMAGE_FIX_BUILDSPEC';
export const DEPLOYED_BUILDSPEC = fileURLToPath(new URL('../../src/mirror/buildspec.yaml', import.meta.url));

/** The path in SYSDIG_IMAGE_FIX_BUILDSPEC, or undefined when the suites test the deployed buildspec. */
export function buildspecOverride(): string | undefined {
  const path = process.env[BUILDSPEC_ENV];
  return path === undefined || path === '' ? undefined : path;
}
