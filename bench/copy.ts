// Copy benchmark on the e2e harness's real parts (docker-registry, skopeo, moto, the local CodeBuild running the
// buildspec from template.yaml), on a generated ~200 MB two-platform image (with attestations):
//   - the deployed copy job vs what a person does by hand to mirror one platform into ECR
//     (`aws ecr get-login-password | skopeo login ...` then `skopeo copy --override-os linux --override-arch amd64`),
//     both through the same skopeo shim, the same ECR stand-in and the same registries, each measured run into a fresh
//     empty registry (same blob-cache conditions), job and hand copy alternating; medians of ROUNDS runs each.
//     Reported: whole-job ratio, copy-step ratio, and the job's fixed overhead (everything but its copy step);
//   - bytes the job pushes for one platform vs for all platforms (ARCHITECTURE=all, the buildspec's `skopeo copy --all`
//     path) of the same image, pinned to the index digest as the mirror function pins it (blob bytes received by the ECR
//     stand-in);
//   - re-deploying a stack whose image is already mirrored: builds started and the custom resource's answer time.
// Run by `npm run bench` (bench/run.ts lists it in SECTIONS), or alone: `npx tsx bench/copy.ts`.
// Without the machine tools it needs, the section says why on stderr and reports every metric as null.
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import type { BuildRecord } from '../test/e2e/harness/codebuild.js';
import type { DeployedFunction } from '../test/e2e/harness/deploy.js';
import { ECR_HOST, startHarness, type Harness } from '../test/e2e/harness/harness.js';
import { startRegistry } from '../test/support/registry.js';
import { TOOLS } from '../test/support/tools.js';
import { elapsedMs, median, metricsWithValues, missingBenchTools, type BenchMetric, type BenchSection } from './types.js';

const ROUNDS = 5;
/** Two platforms x 2 layers x 50 MiB, plus configs and attestations: ~200 MB. */
const IMAGE = { platforms: ['linux/amd64', 'linux/arm64'] as const, attestation: true, layers: 2, layerBytes: 50 * 1024 * 1024 };
const SOURCE = 'quay.io/bench/copy-subject:1.0';
export const COPY_RATIO_GOAL = 1.05;
export const REDEPLOY_BUILDS_GOAL = 0;
export const REDEPLOY_ANSWER_GOAL_MS = 2_000;
// The buildspec reads manifests and the credentials secret with jq (on aws/codebuild/standard:7.0).
const NEEDED = [TOOLS.registry, TOOLS.skopeo, TOOLS.htpasswd, TOOLS.moto, TOOLS.awsCli, TOOLS.jq];

/** Every metric this section reports, with its goal; values are filled in by a run (null when it could not run). */
const METRICS = [
  { key: 'copyJobMs', label: 'copy job (buildspec), median', unit: 'ms' },
  { key: 'copyBareMs', label: 'by hand: ecr login + skopeo copy, median', unit: 'ms' },
  { key: 'copyRatio', label: 'copy job / by hand (whole)', unit: 'x', max: COPY_RATIO_GOAL },
  { key: 'copyJobSkopeoStepMs', label: "copy job's skopeo copy step, median", unit: 'ms' },
  { key: 'copyBareSkopeoStepMs', label: 'by hand: skopeo copy, median', unit: 'ms' },
  { key: 'copyStepRatio', label: 'copy step: job / by hand', unit: 'x' },
  { key: 'copyJobFixedMs', label: 'copy job minus its copy step (fixed overhead)', unit: 'ms' },
  { key: 'copyBareFixedMs', label: 'by hand minus its copy (ecr login)', unit: 'ms' },
  { key: 'copyJobExtraMs', label: 'copy job minus by hand', unit: 'ms' },
  { key: 'copyJobBytes', label: 'bytes pushed by the copy job', unit: 'bytes' },
  { key: 'copyAllBytes', label: 'bytes pushed by the copy job, all platforms', unit: 'bytes' },
  { key: 'copyBytesRatioVsAll', label: 'bytes pushed: one platform / all platforms', unit: 'x' },
  { key: 'firstDeployBuilds', label: 'first deploy: builds started', unit: '' },
  { key: 'firstDeployAnswerMs', label: 'first deploy: answer time', unit: 'ms' },
  { key: 'redeployBuilds', label: 're-deploy: builds started', unit: '', max: REDEPLOY_BUILDS_GOAL },
  { key: 'redeployAnswerMs', label: 're-deploy: answer time', unit: 'ms', max: REDEPLOY_ANSWER_GOAL_MS },
] as const satisfies ReadonlyArray<Omit<BenchMetric, 'value'>>;

type MetricKey = (typeof METRICS)[number]['key'];

const metricsOf = (values: Partial<Record<MetricKey, number>>): BenchMetric[] => metricsWithValues(METRICS, values);

/** `[Container] 2026/01/02 03:04:05.678000 ...` -> epoch ms (the runner writes CodeBuild's UTC timestamps). */
function containerTime(line: string): number | undefined {
  const match = /^\[Container\] (\d{4})\/(\d{2})\/(\d{2}) (\d{2}):(\d{2}):(\d{2})\.(\d{3})/.exec(line);
  if (!match) return undefined;
  const [, y, mo, d, h, mi, s, ms] = match.map(Number) as number[];
  return Date.UTC(y!, mo! - 1, d!, h!, mi!, s!, ms!);
}

/** Milliseconds per buildspec command, from the `[Container] ... Running command X` lines of a build log. */
export function commandDurations(log: string): Array<{ command: string; ms: number }> {
  const marks = log
    .split('\n')
    .map((line) => ({ time: containerTime(line), command: /^\[Container\] \S+ \S+ Running command (.*)$/.exec(line)?.[1] }))
    .filter((mark): mark is { time: number; command: string | undefined } => mark.time !== undefined);
  const durations: Array<{ command: string; ms: number }> = [];
  marks.forEach((mark, i) => {
    const next = marks[i + 1];
    if (mark.command !== undefined && next !== undefined) durations.push({ command: mark.command, ms: next.time - mark.time });
  });
  return durations;
}

/**
 * Milliseconds of the job's own `skopeo copy` step: the command that printed skopeo's "Getting image source
 * signatures", read from the build log. The rest of the job is fixed overhead (login, checks, the runner).
 */
function copyStepMs(log: string): number {
  const lines = log.split('\n');
  const copyAt = lines.findIndex((line) => line.startsWith('Getting image source signatures'));
  const start = lines
    .slice(0, copyAt)
    .reverse()
    .map(containerTime)
    .find((time) => time !== undefined);
  const end = lines
    .slice(copyAt + 1)
    .map(containerTime)
    .find((time) => time !== undefined);
  if (copyAt < 0 || start === undefined || end === undefined) throw new Error('the copy job log shows no skopeo copy step');
  return end - start;
}

interface JobRun {
  totalMs: number;
  copyMs: number;
  build: BuildRecord;
}

/** The deployed copy job: StartBuild through the local CodeBuild (buildspec from template.yaml), until it ends. */
async function jobCopy(harness: Harness, sourceImage: string, repository: string, architecture: 'x86_64' | 'all' = 'x86_64'): Promise<JobRun> {
  await harness.createEcrRepository(repository);
  const start = process.hrtime.bigint();
  const started = (await harness.codeBuild.handle('StartBuild', {
    projectName: harness.macroStack().buildProject.name,
    environmentVariablesOverride: [
      { name: 'SOURCE_IMAGE', value: sourceImage, type: 'PLAINTEXT' },
      { name: 'TARGET_IMAGE', value: `${ECR_HOST}/${repository}:1.0`, type: 'PLAINTEXT' },
      { name: 'ARCHITECTURE', value: architecture, type: 'PLAINTEXT' },
    ],
  })) as { build: { id: string } };
  const build = harness.codeBuild.allBuilds().find((candidate) => candidate.id === started.build.id)!;
  await build.done;
  const totalMs = elapsedMs(start);
  if (build.status !== 'SUCCEEDED') throw new Error(`the copy job ended ${build.status}:\n${build.result?.log ?? ''}`);
  return { totalMs, copyMs: copyStepMs(build.result!.log), build };
}

/** Runs a command to its end; rejects with its output when it fails. */
function run(command: string, args: readonly string[], env: NodeJS.ProcessEnv): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.once('error', reject);
    child.once('close', (code) => (code === 0 ? resolve() : reject(new Error(`${command} ${args.join(' ')} exited ${code}: ${stderr}`))));
  });
}

/**
 * By hand, as a person mirrors one platform into ECR: log in with the ECR token, then copy the tag's linux/amd64
 * image. The same environment as a build (the AWS variables the build got, a fresh HOME and TMPDIR, the skopeo shim
 * first on PATH), so it takes the same path to the same registries.
 */
async function handCopy(harness: Harness, buildEnvironment: Readonly<Record<string, string>>, repository: string): Promise<{ totalMs: number; copyMs: number }> {
  await harness.createEcrRepository(repository);
  const scratch = await mkdtemp(join(tmpdir(), 'sif-bench-hand-'));
  try {
    const env: NodeJS.ProcessEnv = {
      ...Object.fromEntries(Object.entries(buildEnvironment).filter(([name]) => name.startsWith('AWS_'))),
      PATH: [harness.shim.binDir, process.env.PATH ?? '/usr/bin:/bin'].join(delimiter),
      HOME: scratch,
      TMPDIR: scratch,
    };
    const authfile = join(scratch, 'auth.json');
    const start = process.hrtime.bigint();
    await run(
      'bash',
      [
        '-c',
        'set -euo pipefail; aws ecr get-login-password --region "$AWS_REGION" | skopeo login --username AWS --password-stdin --authfile "$1" "$2" >/dev/null',
        'login',
        authfile,
        ECR_HOST,
      ],
      env,
    );
    const copyStart = process.hrtime.bigint();
    await run(
      'skopeo',
      ['--override-os', 'linux', '--override-arch', 'amd64', 'copy', '--dest-authfile', authfile, `docker://${SOURCE}`, `docker://${ECR_HOST}/${repository}:1.0`],
      env,
    );
    return { totalMs: elapsedMs(start), copyMs: elapsedMs(copyStart) };
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
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

/** Median milliseconds per buildspec command over several builds (stderr diagnostics: where the job's time goes). */
function breakdown(builds: readonly BuildRecord[]): string {
  const byCommand = new Map<string, number[]>();
  for (const build of builds) {
    for (const { command, ms } of commandDurations(build.result?.log ?? '')) byCommand.set(command, [...(byCommand.get(command) ?? []), ms]);
  }
  return [...byCommand].map(([command, samples]) => `  ${String(Math.round(median(samples))).padStart(6)} ms  ${command.split('\n')[0]!.slice(0, 90)}`).join('\n');
}

async function measure(): Promise<BenchMetric[]> {
  const harness = await startHarness();
  try {
    const subject = await harness.pushSource(SOURCE, { ...IMAGE, platforms: [...IMAGE.platforms] });
    const amd64 = subject.pushed.platforms['linux/amd64']!.digest;
    // What the mirror function hands the job: the source pinned to the platform digest it resolved.
    const pinned = `quay.io/bench/copy-subject@${amd64}`;

    // Warm the page cache, skopeo and the aws CLI once each way (untimed); then alternate so drift hits both alike.
    const warm = await intoEmptyTarget(harness, () => jobCopy(harness, pinned, 'bench/warm-job'));
    const buildEnvironment = warm.build.environment;
    await intoEmptyTarget(harness, () => handCopy(harness, buildEnvironment, 'bench/warm-hand'));
    const jobs: JobRun[] = [];
    const hands: Array<{ totalMs: number; copyMs: number }> = [];
    for (let round = 0; round < ROUNDS; round++) {
      jobs.push(await intoEmptyTarget(harness, () => jobCopy(harness, pinned, `bench/job-${round}`)));
      hands.push(await intoEmptyTarget(harness, () => handCopy(harness, buildEnvironment, `bench/hand-${round}`)));
    }
    await intoEmptyTarget(harness, () => jobCopy(harness, `quay.io/bench/copy-subject@${subject.pushed.digest}`, 'bench/all', 'all'));
    const jobBytes = harness.ecrProxy.pushedBlobBytes('bench/job-0');
    const allBytes = harness.ecrProxy.pushedBlobBytes('bench/all');
    process.stderr.write(`copy: median time per buildspec command (${ROUNDS} builds):\n${breakdown(jobs.map((job) => job.build))}\n`);

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

    const job = median(jobs.map((j) => j.totalMs));
    const jobStep = median(jobs.map((j) => j.copyMs));
    const hand = median(hands.map((h) => h.totalMs));
    const handStep = median(hands.map((h) => h.copyMs));
    return metricsOf({
      copyJobMs: job,
      copyBareMs: hand,
      copyRatio: job / hand,
      copyJobSkopeoStepMs: jobStep,
      copyBareSkopeoStepMs: handStep,
      copyStepRatio: jobStep / handStep,
      copyJobFixedMs: median(jobs.map((j) => j.totalMs - j.copyMs)),
      copyBareFixedMs: median(hands.map((h) => h.totalMs - h.copyMs)),
      copyJobExtraMs: job - hand,
      copyJobBytes: jobBytes,
      copyAllBytes: allBytes,
      copyBytesRatioVsAll: jobBytes / allBytes,
      firstDeployBuilds: first.startBuildCalls.length,
      firstDeployAnswerMs: first.requests[0]?.answerMs ?? Number.NaN,
      redeployBuilds: again.startBuildCalls.length,
      redeployAnswerMs: again.requests[0]?.answerMs ?? Number.NaN,
    });
  } finally {
    await harness.stop();
  }
}

export const copySection: BenchSection = {
  name: 'copy',
  description:
    `deployed copy job vs by hand (ecr login + skopeo copy --override-arch), same shim/proxy/registries, ~200 MB ` +
    `two-platform image, fresh empty target per run, median of ${ROUNDS} alternating runs each; bytes pushed, one ` +
    'platform vs ARCHITECTURE=all; ' +
    're-deploy of a mirrored image (builds, answer time)',
  async run() {
    const absent = missingBenchTools(NEEDED);
    if (absent.length > 0) {
      process.stderr.write(`copy: not measured, missing ${absent.map((tool) => `${tool.name} (install: ${tool.install})`).join(', ')}\n`);
      return metricsOf({});
    }
    return measure();
  },
};

// `npx tsx bench/copy.ts`: this section alone, as a table.
if (import.meta.url === `file://${process.argv[1]}`) {
  for (const metric of await copySection.run()) {
    const shown = metric.value === null ? 'n/a' : metric.unit === 'x' ? `${metric.value.toFixed(3)}x` : `${Math.round(metric.value)} ${metric.unit}`;
    const goal =
      metric.max === undefined
        ? ''
        : `  (goal <= ${metric.max}${metric.unit === 'ms' ? ' ms' : ''}: ${metric.value !== null && metric.value <= metric.max ? 'met' : 'MISSED'})`;
    process.stdout.write(`${metric.label.padEnd(48)} ${shown}${goal}\n`);
  }
}
