// Which buildspec the buildspec suites run: the deployed form, i.e. the compact form of src/mirror/buildspec.yaml that
// template.yaml carries (scripts/sync-buildspec.ts writes it; test/unit/stack/sync-buildspec.test.ts fails while
// template.yaml holds another), never the commented source itself. SYSDIG_IMAGE_FIX_BUILDSPEC may name a changed copy
// of the source instead (scripts/mutate-buildspec.ts applies one mutant to it): that copy is compacted the same way.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BUILDSPEC_PATH, deployedBuildSpec, embeddedBuildSpec, parseTemplate, TEMPLATE_PATH } from '../../scripts/package-stackset.js';

export const BUILDSPEC_ENV = 'SYSDIG_IMAGE_FIX_BUILDSPEC';
/** The buildspec's one source (commented; what mutants change). */
export const BUILDSPEC_SOURCE = BUILDSPEC_PATH;

/** The path in SYSDIG_IMAGE_FIX_BUILDSPEC, or undefined when the suites test the buildspec's own source. */
export function buildspecOverride(): string | undefined {
  const path = process.env[BUILDSPEC_ENV];
  return path === undefined || path === '' ? undefined : path;
}

/**
 * The text the suites run: the deployed (compact) form, as template.yaml carries it (test/unit/stack/sync-buildspec.test.ts
 * holds it to the source), or the compact form of the copy SYSDIG_IMAGE_FIX_BUILDSPEC names (compacting needs bash, which a
 * machine without the suites' tools may lack: reading template.yaml does not).
 */
export function buildspecUnderTest(): string {
  const override = buildspecOverride();
  return override === undefined ? embeddedBuildSpec(parseTemplate(readFileSync(TEMPLATE_PATH, 'utf8'))) : deployedBuildSpec(readFileSync(override, 'utf8'));
}

let written: string | undefined;

/** A file holding buildspecUnderTest(), for what takes a path; written once per process, removed when it exits. */
export function buildspecUnderTestPath(): string {
  if (written === undefined) {
    const dir = mkdtempSync(join(tmpdir(), 'sif-buildspec-'));
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
    written = join(dir, 'buildspec.yaml');
    writeFileSync(written, buildspecUnderTest());
  }
  return written;
}
