// Where first-deploy time goes, and what polling adds, on the e2e harness (local CodeBuild runs the buildspec from
// template.yaml; BatchGetBuilds answered at once, so the bundled mirror function's own polling is measured):
//   - the answer delay: build end -> CloudFormation answer, over the builds of one stack with BUILDS images;
//   - the copy job's phases as the local runner ran them (install, pre_build, build split into its commands, post_build),
//     medians over those builds. This machine has skopeo and jq, so the install phase is the WARM-IMAGE case;
//   - apt's part of a COLD build (image without skopeo): `apt-get update` + downloading skopeo and jq into empty
//     cache directories, vs the WARM CACHE build that CodeBuild's local cache gives (no update, nothing downloaded).
//     Only with SYSDIG_BENCH_APT=1 (it downloads from the Debian mirror); Debian 12 here, Ubuntu 22.04 on CodeBuild.
// Only a real account measures QUEUED and PROVISIONING (container start on CodeBuild), apt on the real image and mirror,
// how often the local cache hits (it is per build host), and ECR push throughput: reported as not measured.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ACTIVE_POLL_INTERVAL_MS } from '../src/mirror/build/poll.js';
import { AMD64_ONLY, lambdaTemplate } from '../test/e2e/fixtures.js';
import { startHarness } from '../test/e2e/harness/harness.js';
import { pollTimings } from '../test/e2e/poll-timing.js';
import { TOOLS } from '../test/support/tools.js';
import { commandDurations } from './copy.js';
import { elapsedMs, median, metricsWithValues, missingBenchTools, type BenchMetric, type BenchSection } from './types.js';

const BUILDS = 5;
export const ANSWER_DELAY_GOAL_MS = 2_000;
const NEEDED = [TOOLS.registry, TOOLS.skopeo, TOOLS.htpasswd, TOOLS.moto, TOOLS.awsCli, TOOLS.jq];
const STEPS = ['log_in', 'check_source', 'copy_platform', 'verify_target'] as const;

const METRICS = [
  { key: 'answerDelayMedianMs', label: 'build end -> answer, median', unit: 'ms', max: ANSWER_DELAY_GOAL_MS },
  { key: 'answerDelayMaxMs', label: 'build end -> answer, max', unit: 'ms' },
  { key: 'pollGapMedianMs', label: 'gap between polls while the buildspec runs, median', unit: 'ms' },
  { key: 'jobTotalMs', label: 'copy job (local runner), median', unit: 'ms' },
  { key: 'jobInstallMs', label: '  install phase (skopeo on the image: warm image)', unit: 'ms' },
  { key: 'jobPreBuildMs', label: '  pre_build (check inputs)', unit: 'ms' },
  { key: 'jobLogInMs', label: '  build: log_in', unit: 'ms' },
  { key: 'jobCheckSourceMs', label: '  build: check_source', unit: 'ms' },
  { key: 'jobCopyMs', label: '  build: copy_platform', unit: 'ms' },
  { key: 'jobVerifyMs', label: '  build: verify_target', unit: 'ms' },
  { key: 'jobPostBuildMs', label: '  post_build (report)', unit: 'ms' },
  { key: 'aptColdMs', label: 'cold cache: apt-get update + download skopeo, jq', unit: 'ms' },
  { key: 'aptColdBytes', label: 'cold cache: bytes downloaded (lists + packages)', unit: 'bytes' },
  { key: 'aptWarmMs', label: 'warm cache: install from cached lists and packages', unit: 'ms' },
  { key: 'aptWarmBytes', label: 'warm cache: bytes downloaded', unit: 'bytes' },
  { key: 'realQueuedMs', label: 'QUEUED on CodeBuild (real account only)', unit: 'ms' },
  { key: 'realProvisioningMs', label: 'PROVISIONING on CodeBuild (real account only)', unit: 'ms' },
] as const satisfies ReadonlyArray<Omit<BenchMetric, 'value'>>;

type MetricKey = (typeof METRICS)[number]['key'];

const metricsOf = (values: Partial<Record<MetricKey, number>>): BenchMetric[] => metricsWithValues(METRICS, values);

async function measureDeploy(): Promise<Partial<Record<MetricKey, number>>> {
  const harness = await startHarness({ codeBuild: { batchGetHoldMs: 0, provisioningMs: 0 } });
  try {
    const images = Array.from({ length: BUILDS }, (_, i) => `quay.io/bench/deploy-time-${i}:1.0`);
    for (const image of images) await harness.pushSource(image, AMD64_ONLY);
    const template = lambdaTemplate(images.map((imageUri, i) => ({ logicalId: `Bench${i}Function`, imageUri })));
    const deployment = await harness.deployer.createStack('bench-deploy-time', { template });
    if (deployment.status !== 'CREATE_COMPLETE') throw new Error(`the bench stack ended ${deployment.status}: ${deployment.statusReason}`);
    const timings = pollTimings(deployment, harness.aws.calls());
    const results = deployment.builds.map((build) => build.result!).filter(Boolean);
    const phaseMs = (name: string): number =>
      median(
        results
          .map((r) => r.phases.find((p) => p.name === name))
          .filter(Boolean)
          .map((p) => p!.endTime.getTime() - p!.startTime.getTime()),
      );
    const stepMs = (step: (typeof STEPS)[number]): number => median(results.map((r) => commandDurations(r.log).find((c) => c.command.endsWith(`; ${step}`))?.ms ?? 0));
    return {
      answerDelayMedianMs: median(timings.map((t) => t.answerDelayMs)),
      answerDelayMaxMs: Math.max(...timings.map((t) => t.answerDelayMs)),
      pollGapMedianMs: median(timings.flatMap((t) => t.gaps)),
      jobTotalMs: median(results.map((r) => r.endTime.getTime() - r.startTime.getTime())),
      jobInstallMs: phaseMs('install'),
      jobPreBuildMs: phaseMs('pre_build'),
      jobLogInMs: stepMs('log_in'),
      jobCheckSourceMs: stepMs('check_source'),
      jobCopyMs: stepMs('copy_platform'),
      jobVerifyMs: stepMs('verify_target'),
      jobPostBuildMs: phaseMs('post_build'),
    };
  } finally {
    await harness.stop();
  }
}

function bytesIn(dir: string): number {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .reduce((sum, entry) => sum + statSync(join(entry.parentPath, entry.name)).size, 0);
}

/**
 * The buildspec's apt_install against the real mirror, with --download-only so nothing on this machine is installed
 * (--reinstall: skopeo and jq are installed here already). Cold: empty cache, update + download. Warm: the same cache.
 */
function measureApt(): Partial<Record<MetricKey, number>> {
  const cache = mkdtempSync(join(tmpdir(), 'sif-bench-apt-'));
  try {
    for (const dir of ['lists/partial', 'archives/partial']) mkdirSync(join(cache, dir), { recursive: true });
    const apt = (...args: string[]): number => {
      const start = process.hrtime.bigint();
      const result = spawnSync(
        'apt-get',
        ['-qq', '-o', `Dir::State::Lists=${cache}/lists`, '-o', `Dir::Cache::Archives=${cache}/archives`, '-o', 'APT::Keep-Downloaded-Packages=true', ...args],
        { encoding: 'utf8', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } },
      );
      if (result.status !== 0) throw new Error(`apt-get ${args.join(' ')} failed: ${result.stderr}`);
      return elapsedMs(start);
    };
    const install = ['install', '-y', '--download-only', '--reinstall', 'skopeo', 'jq'];
    const coldMs = apt('update') + apt(...install);
    const coldBytes = bytesIn(cache);
    const warmMs = apt(...install);
    return { aptColdMs: coldMs, aptColdBytes: coldBytes, aptWarmMs: warmMs, aptWarmBytes: bytesIn(cache) - coldBytes };
  } finally {
    rmSync(cache, { recursive: true, force: true });
  }
}

export const deployTimeSection: BenchSection = {
  name: 'deploy-time',
  description:
    `one stack with ${BUILDS} images on the e2e harness, BatchGetBuilds answered at once: build end -> answer (active poll ` +
    `every ${ACTIVE_POLL_INTERVAL_MS} ms), the copy job's phases on the local runner (medians); apt cold vs warm cache with ` +
    'SYSDIG_BENCH_APT=1 (Debian mirror, --download-only); QUEUED/PROVISIONING, apt on CodeBuild, cache hit rate and ECR ' +
    'throughput need a real account (n/a)',
  async run() {
    const absent = missingBenchTools(NEEDED);
    let values: Partial<Record<MetricKey, number>> = {};
    if (absent.length > 0) {
      process.stderr.write(`deploy-time: not measured, missing ${absent.map((tool) => `${tool.name} (install: ${tool.install})`).join(', ')}\n`);
    } else {
      values = await measureDeploy();
    }
    if (process.env.SYSDIG_BENCH_APT === '1') values = { ...values, ...measureApt() };
    else process.stderr.write('deploy-time: apt cold/warm not measured; set SYSDIG_BENCH_APT=1 (downloads from the Debian mirror)\n');
    return metricsOf(values);
  },
};
