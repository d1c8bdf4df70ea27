// Writes the compact form of src/mirror/buildspec.yaml (the one source of the CodeBuild job; scripts/buildspec-compact.ts
// makes it and proves it equal) into template.yaml's MirrorBuildProject.Source.BuildSpec literal block; nothing else in
// template.yaml changes. Refuses a compact form that CodeBuild would refuse (over 25,600 characters).
//
//   npx tsx scripts/sync-buildspec.ts           rewrite template.yaml when it differs
//   npx tsx scripts/sync-buildspec.ts --check   exit 1 when it differs (CI)
import { readFileSync, writeFileSync } from 'node:fs';
import { INLINE_BUILDSPEC_MAX_LENGTH, inlineBuildSpecLength } from './buildspec-compact.js';
import { BUILDSPEC_PATH, TEMPLATE_PATH, StackSetPackagingError, deployedBuildSpec, embedBuildSpec } from './package-stackset.js';

function main(check: boolean): number {
  const templateText = readFileSync(TEMPLATE_PATH, 'utf8');
  const buildSpec = deployedBuildSpec(readFileSync(BUILDSPEC_PATH, 'utf8'));
  const size = `${inlineBuildSpecLength(buildSpec)} of CodeBuild's ${INLINE_BUILDSPEC_MAX_LENGTH} characters`;
  const synced = embedBuildSpec(templateText, buildSpec);
  if (synced === templateText) {
    process.stdout.write(`template.yaml already carries the compact form of src/mirror/buildspec.yaml (${size})\n`);
    return 0;
  }
  if (check) {
    process.stderr.write('template.yaml carries an outdated buildspec; run: npx tsx scripts/sync-buildspec.ts\n');
    return 1;
  }
  writeFileSync(TEMPLATE_PATH, synced);
  process.stdout.write(`template.yaml: BuildSpec updated from src/mirror/buildspec.yaml (${size})\n`);
  return 0;
}

try {
  process.exitCode = main(process.argv.includes('--check'));
} catch (error) {
  if (!(error instanceof StackSetPackagingError) && !(error instanceof Error && 'code' in error)) throw error;
  process.stderr.write(`sync-buildspec: ${error.message}\n`);
  process.exitCode = 1;
}
