// Copy benchmark on the e2e harness's real parts (docker-registry, skopeo, moto, the local CodeBuild running the
// buildspec from template.yaml):
//   - the deployed copy job vs a bare `skopeo copy --override-arch` of the same platform between the same registries,
//     on a generated ~200 MB two-platform image (with attestations): wall time ratio, median of alternating runs;
//   - bytes the job pushes vs an `--all` copy of the same image (blob bytes received by the ECR stand-in);
//   - re-deploying a stack whose image is already mirrored: builds started and the custom resource's answer time.
// Run by `npm run bench` (bench/run.ts lists it in SECTIONS), or alone: `npx tsx bench/copy.ts`.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { promisify } from 'node:util';
import type { DeployedFunction } from '../test/e2e/harness/deploy.js';
import { ECR_HOST, startHarness, type Harness } from '../test/e2e/harness/harness.js';
import { startRegistry } from '../test/support/registry.js';
import { missingTools, TOOLS } from '../test/support/tools.js';
import { median, type BenchMetric, type BenchSection } from './types.js';

const execFileAsync = promisify(execFile);

const ROUNDS = 3;
/** Two platforms x 2 layers x 50 MiB, plus configs and attestations: ~200 MB. */
const IMAGE = { platforms: ['linux/amd64', 'linux/arm64'] as const, attestation: true, layers: 2, layerBytes: 50 * 1024 * 1024 };
const SOURCE = 'quay.io/bench/copy-subject:1.0';
export const COPY_RATIO_GOAL = 1.05;
export const REDEPLOY_BUILDS_GOAL = 0;
export const REDEPLOY_ANSWER_GOAL_MS = 2_000;

function realSkopeo(): string {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir !== '' && existsSync(join(dir, 'skopeo'))) return join(dir, 'skopeo');
  }
  throw new Error('skopeo is not on PATH');
}

function elapsedMs(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1e6;
}

/** `[Container] 2026/01/02 03:04:05.678000 ...` -> epoch ms (the runner writes CodeBuild's UTC timestamps). */
function containerTime(line: string): number | undefined {
  const match = /^\[Container\] (\d{4})\/(\d{2})\/(\d{2}) (\d{2}):(\d{2}):(\d{2})\.(\d{3})/.exec(line);
  if (!match) return undefined;
  const [, y, mo, d, h, mi, s, ms] = match.map(Number) as number[];
  return Date.UTC(y!, mo! - 1, d!, h!, mi!, s!, ms!);
}

/**
 * Milliseconds of the job's own `skopeo copy` step: from the command that printed skopeo's "Getting image source
 * signatures" to the next command, read from the build log. The rest of the job is fixed overhead (login, checks).
 */
function copyStepMs(log: string): number {
  const lines = log.split('\n');
  const copyAt = lines.findIndex((line) => line.startsWith('Getting image source signatures'));
  const start = lines.slice(0, copyAt).reverse().map(containerTime).find((time) => time !== undefined);
  const end = lines.slice(copyAt + 1).map(containerTime).find((time) => time !== undefined);
  if (copyAt < 0 || start === undefined || end === undefined) throw new Error('the copy job log shows no skopeo copy step');
  return end - start;
}

/** The deployed copy job: StartBuild through the local CodeBuild (buildspec from template.yaml), until it ends. */
async function buildspecCopy(harness: Harness, sourceImage: string, repository: string): Promise<{ totalMs: number; copyMs: number }> {
  await harness.createEcrRepository(repository);
  const start = process.hrtime.bigint();
  const started = (await harness.codeBuild.handle('StartBuild', {
    projectName: harness.macroStack().buildProject.name,
    environmentVariablesOverride: [
      { name: 'SOURCE_IMAGE', value: sourceImage, type: 'PLAINTEXT' },
      { name: 'TARGET_IMAGE', value: `${ECR_HOST}/${repository}:1.0`, type: 'PLAINTEXT' },
      { name: 'ARCHITECTURE', value: 'x86_64', type: 'PLAINTEXT' },
    ],
  })) as { build: { id: string } };
  const build = harness.codeBuild.allBuilds().find((candidate) => candidate.id === started.build.id)!;
  await build.done;
  const totalMs = elapsedMs(start);
  if (build.status !== 'SUCCEEDED') throw new Error(`the copy job ended ${build.status}:\n${build.result?.log ?? ''}`);
  return { totalMs, copyMs: copyStepMs(build.result!.log) };
}

/** skopeo copy between the same registries: one platform (`--override-arch`), or everything (`--all`). */
async function bareCopy(harness: Harness, source: string, repository: string, mode: 'one-platform' | 'all'): Promise<number> {
  await harness.createEcrRepository(repository);
  const { username, password } = harness.ecrCredentials;
  const platform = mode === 'all' ? [] : ['--override-os', 'linux', '--override-arch', 'amd64'];
  const args = [
    '--registries-conf',
    harness.shim.registriesConfPath,
    ...platform,
    'copy',
    ...(mode === 'all' ? ['--all'] : []),
    '--src-tls-verify=false',
    '--dest-tls-verify=false',
    '--dest-creds',
    `${username}:${password}`,
    `docker://${source}`,
    `docker://${harness.ecrProxy.host}/${repository}:1.0`,
  ];
  const start = process.hrtime.bigint();
  await execFileAsync(realSkopeo(), args, { maxBuffer: 16 * 1024 * 1024 });
  return elapsedMs(start);
}

/**
 * Runs `copy` against an EMPTY registry behind the ECR stand-in. skopeo remembers (as root, machine-wide) where it
 * has seen each blob and mounts it from there instead of uploading; a build container starts without that memory,
 * so each measured copy gets a registry where nothing can be mounted.
 */
async function intoEmptyTarget<T>(harness: Harness, copy: () => Promise<T>): Promise<T> {
  const empty = await startRegistry({ name: 'bench-target', htpasswd: harness.ecrCredentials });
  harness.ecrProxy.retarget(empty.url);
  try {
    return await copy();
  } finally {
    harness.ecrProxy.retarget(harness.target.url);
    await empty.stop();
  }
}

function onlyFunction(functions: readonly DeployedFunction[]): DeployedFunction {
  if (functions.length !== 1) throw new Error(`expected one function, got ${functions.length}`);
  return functions[0]!;
}

export const copySection: BenchSection = {
  name: 'copy',
  description:
    `deployed copy job vs bare skopeo --override-arch, ~200 MB two-platform image, median of ${ROUNDS} alternating runs; ` +
    'bytes pushed vs --all; re-deploy of a mirrored image (builds, answer time)',
  async run() {
    const missing = missingTools(TOOLS.registry, TOOLS.skopeo, TOOLS.htpasswd, TOOLS.moto, TOOLS.awsCli);
    if (missing.length > 0) throw new Error(`the copy benchmark needs ${missing.join(', ')}`);
    const harness = await startHarness();
    try {
      const subject = await harness.pushSource(SOURCE, { ...IMAGE, platforms: [...IMAGE.platforms] });
      const amd64 = subject.pushed.platforms['linux/amd64']!.digest;
      const pinned = `quay.io/bench/copy-subject@${amd64}`;

      // Warm the page cache and skopeo once; then alternate so machine drift hits both alike.
      await intoEmptyTarget(harness, () => bareCopy(harness, SOURCE, 'bench/warmup', 'one-platform'));
      const buildspecMs: number[] = [];
      const copyStepsMs: number[] = [];
      const bareMs: number[] = [];
      for (let round = 0; round < ROUNDS; round++) {
        const job = await intoEmptyTarget(harness, () => buildspecCopy(harness, pinned, `bench/job-${round}`));
        buildspecMs.push(job.totalMs);
        copyStepsMs.push(job.copyMs);
        bareMs.push(await intoEmptyTarget(harness, () => bareCopy(harness, SOURCE, `bench/bare-${round}`, 'one-platform')));
      }
      await intoEmptyTarget(harness, () => bareCopy(harness, SOURCE, 'bench/all', 'all'));
      const jobBytes = harness.ecrProxy.pushedBlobBytes('bench/job-0');
      const allBytes = harness.ecrProxy.pushedBlobBytes('bench/all');

      const template = {
        Transform: 'SysdigImageFix',
        Resources: {
          Role: { Type: 'AWS::IAM::Role', Properties: { AssumeRolePolicyDocument: {} } },
          Fn: { Type: 'AWS::Lambda::Function', Properties: { PackageType: 'Image', Role: { 'Fn::GetAtt': ['Role', 'Arn'] }, Code: { ImageUri: SOURCE } } },
        },
      };
      const first = await harness.deployer.createStack('bench-first', { template });
      const again = await harness.deployer.createStack('bench-redeploy', { template });
      for (const deployment of [first, again]) {
        if (deployment.status !== 'CREATE_COMPLETE') throw new Error(`${deployment.stackName} ended ${deployment.status}: ${deployment.statusReason}`);
        if (!onlyFunction(deployment.functions).imageUri.endsWith(`@${amd64}`)) throw new Error(`${deployment.stackName} did not end on ${amd64}`);
      }

      const medianJob = median(buildspecMs);
      const medianBare = median(bareMs);
      const metrics: BenchMetric[] = [
        { key: 'copyJobMs', label: 'copy job (buildspec), median', value: medianJob, unit: 'ms' },
        { key: 'copyBareMs', label: 'bare skopeo --override-arch, median', value: medianBare, unit: 'ms' },
        { key: 'copyRatio', label: 'copy job / bare skopeo', value: medianJob / medianBare, unit: 'x', max: COPY_RATIO_GOAL },
        { key: 'copyJobSkopeoStepMs', label: "copy job's skopeo copy step, median", value: median(copyStepsMs), unit: 'ms' },
        { key: 'copyJobFixedMs', label: 'copy job minus its copy step (login, checks)', value: medianJob - median(copyStepsMs), unit: 'ms' },
        { key: 'copyJobBytes', label: 'bytes pushed by the copy job', value: jobBytes, unit: 'bytes' },
        { key: 'copyAllBytes', label: 'bytes pushed by skopeo --all', value: allBytes, unit: 'bytes' },
        { key: 'copyBytesRatioVsAll', label: 'copy job bytes / --all bytes', value: jobBytes / allBytes, unit: 'x' },
        { key: 'firstDeployBuilds', label: 'first deploy: builds started', value: first.startBuildCalls.length, unit: '' },
        { key: 'firstDeployAnswerMs', label: 'first deploy: answer time', value: first.requests[0]?.answerMs ?? Number.NaN, unit: 'ms' },
        { key: 'redeployBuilds', label: 're-deploy: builds started', value: again.startBuildCalls.length, unit: '', max: REDEPLOY_BUILDS_GOAL },
        { key: 'redeployAnswerMs', label: 're-deploy: answer time', value: again.requests[0]?.answerMs ?? Number.NaN, unit: 'ms', max: REDEPLOY_ANSWER_GOAL_MS },
      ];
      return metrics;
    } finally {
      await harness.stop();
    }
  },
};

// `npx tsx bench/copy.ts`: this section alone, as a table.
if (import.meta.url === `file://${process.argv[1]}`) {
  for (const metric of await copySection.run()) {
    const goal = metric.max === undefined ? '' : `  (goal <= ${metric.max}${metric.unit === 'ms' ? ' ms' : ''}: ${metric.value <= metric.max ? 'met' : 'MISSED'})`;
    process.stdout.write(`${metric.label.padEnd(48)} ${metric.unit === 'x' ? metric.value.toFixed(3) : Math.round(metric.value)}${metric.unit === 'x' ? 'x' : ` ${metric.unit}`}${goal}\n`);
  }
}
