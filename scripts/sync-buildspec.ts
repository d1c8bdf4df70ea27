// Copies src/mirror/buildspec.yaml (the one source of the CodeBuild job) into template.yaml's
// MirrorBuildProject.Source.BuildSpec literal block, byte for byte; nothing else in template.yaml changes.
//
//   npx tsx scripts/sync-buildspec.ts           rewrite template.yaml when it differs
//   npx tsx scripts/sync-buildspec.ts --check   exit 1 when it differs (CI)
import { readFileSync, writeFileSync } from 'node:fs';
import { BUILDSPEC_PATH, TEMPLATE_PATH, StackSetPackagingError, embedBuildSpec } from './package-stackset.js';

function main(check: boolean): number {
  const templateText = readFileSync(TEMPLATE_PATH, 'utf8');
  const synced = embedBuildSpec(templateText, readFileSync(BUILDSPEC_PATH, 'utf8'));
  if (synced === templateText) {
    process.stdout.write('template.yaml already carries src/mirror/buildspec.yaml\n');
    return 0;
  }
  if (check) {
    process.stderr.write('template.yaml carries an outdated buildspec; run: npx tsx scripts/sync-buildspec.ts\n');
    return 1;
  }
  writeFileSync(TEMPLATE_PATH, synced);
  process.stdout.write('template.yaml: BuildSpec updated from src/mirror/buildspec.yaml\n');
  return 0;
}

try {
  process.exitCode = main(process.argv.includes('--check'));
} catch (error) {
  if (!(error instanceof StackSetPackagingError) && !(error instanceof Error && 'code' in error)) throw error;
  process.stderr.write(`sync-buildspec: ${error.message}\n`);
  process.exitCode = 1;
}
