// The function engine (CopyEngine function) against skopeo, and the first deployment with either engine:
//   - copy: one generated ~200 MB image (one platform, published as an index with its attestation) copied between the
//     same two local docker-registries (the target with htpasswd, as ECR wants credentials) by the function engine's
//     copy (test/support/function-copy.ts, the code the mirror function runs, in this process) and by `skopeo copy`
//     by hand: one platform (`--override-arch amd64`) and the whole index (`--all`). Each measured run goes into a
//     fresh empty target registry (nothing to mount), the two tools alternating; medians of ROUNDS runs each;
//   - what the function engine's copy costs in CPU per 100 MB (user + system time of this process during the copy):
//     Lambda gives a 256 MB function about a seventh of a vCPU, so this is what sets its copy time there;
//   - deploy: Create -> answer of the mirror resource for a new image, on the e2e harness, with each engine (the
//     local CodeBuild starts a build at once: no queue, no provisioning, skopeo already installed).
// Run by `npm run bench` (bench/run.ts lists it), or alone: `npx tsx bench/engine.ts`.
import { spawn } from 'node:child_process';
import { AMD64_ONLY, lambdaTemplate } from '../test/e2e/fixtures.js';
import { startHarness } from '../test/e2e/harness/harness.js';
import { functionCopy } from '../test/support/function-copy.js';
import { generateImage, pushImage } from '../test/support/images.js';
import { startRegistry, type LocalRegistry } from '../test/support/registry.js';
import { TOOLS } from '../test/support/tools.js';
import { elapsedMs, median, metricsWithValues, missingBenchTools, type BenchMetric, type BenchSection } from './types.js';

const ROUNDS = 7;
/** One platform, 4 layers of 50 MiB: ~200 MB, published as an index with a buildx attestation. */
const IMAGE = { platforms: ['linux/amd64'] as const, attestation: true, layers: 4, layerBytes: 50 * 1024 * 1024, seed: 'bench-engine' };
const SOURCE_HOST = 'quay.io';
const TARGET_HOST = '123456789012.dkr.ecr.us-east-1.amazonaws.com';
const TARGET_AUTH = { username: 'AWS', password: 'bench-ecr-token-19' };
export const ENGINE_COPY_RATIO_GOAL = 1.1;
const NEEDED = [TOOLS.registry, TOOLS.skopeo, TOOLS.htpasswd, TOOLS.moto, TOOLS.awsCli, TOOLS.jq];

const METRICS = [
  { key: 'engineCopyMs', label: 'function engine copy, one platform, median', unit: 'ms' },
  { key: 'skopeoCopyMs', label: 'skopeo copy --override-arch amd64, median', unit: 'ms' },
  { key: 'engineCopyRatio', label: 'function engine / skopeo, one platform', unit: 'x', max: ENGINE_COPY_RATIO_GOAL },
  { key: 'engineCopyAllMs', label: 'function engine copy, whole index, median', unit: 'ms' },
  { key: 'skopeoCopyAllMs', label: 'skopeo copy --all, median', unit: 'ms' },
  { key: 'engineCopyAllRatio', label: 'function engine / skopeo, whole index', unit: 'x', max: ENGINE_COPY_RATIO_GOAL },
  { key: 'engineCopyBytes', label: 'bytes copied (one platform)', unit: 'bytes' },
  { key: 'engineCpuMsPer100MB', label: 'function engine CPU time per 100 MB copied', unit: 'ms' },
  { key: 'createToAnswerCodeBuildMs', label: 'Create -> answer, new image, CopyEngine codebuild (harness)', unit: 'ms' },
  { key: 'createToAnswerFunctionMs', label: 'Create -> answer, new image, CopyEngine function (harness)', unit: 'ms' },
] as const satisfies ReadonlyArray<Omit<BenchMetric, 'value'>>;

type MetricKey = (typeof METRICS)[number]['key'];

function skopeo(args: readonly string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('skopeo', args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.once('error', reject);
    child.once('close', (code) => (code === 0 ? resolve() : reject(new Error(`skopeo ${args.join(' ')} exited ${code}: ${stderr}`))));
  });
}

/** Runs `copy` against a fresh, empty target registry (with the ECR stand-in's credentials). */
async function intoEmptyTarget<T>(copy: (target: LocalRegistry) => Promise<T>): Promise<T> {
  const target = await startRegistry({ name: 'bench-engine-target', htpasswd: TARGET_AUTH });
  try {
    return await copy(target);
  } finally {
    await target.stop();
  }
}

interface Timed {
  ms: number;
  cpuMs?: number;
  bytes?: number;
}

async function engineRun(source: LocalRegistry, all: boolean): Promise<Timed> {
  return intoEmptyTarget(async (target) => {
    const cpu = process.cpuUsage();
    const start = process.hrtime.bigint();
    const result = await functionCopy({
      source: `${SOURCE_HOST}/bench/engine:1.0`,
      architecture: all ? 'all' : 'x86_64',
      target: `${TARGET_HOST}/bench/engine:1.0`,
      endpoints: new Map([
        [SOURCE_HOST, source.url],
        [TARGET_HOST, target.url],
      ]),
      credentials: new Map([[TARGET_HOST, TARGET_AUTH]]),
    });
    const ms = elapsedMs(start);
    const used = process.cpuUsage(cpu);
    return { ms, cpuMs: (used.user + used.system) / 1000, bytes: result.progress.copiedBytes };
  });
}

async function skopeoRun(source: LocalRegistry, all: boolean): Promise<Timed> {
  return intoEmptyTarget(async (target) => {
    const start = process.hrtime.bigint();
    await skopeo([
      ...(all ? [] : ['--override-os', 'linux', '--override-arch', 'amd64']),
      'copy',
      ...(all ? ['--all'] : []),
      '--src-tls-verify=false',
      '--dest-tls-verify=false',
      '--dest-creds',
      `${TARGET_AUTH.username}:${TARGET_AUTH.password}`,
      `docker://${source.host}/bench/engine:1.0`,
      `docker://${target.host}/bench/engine:1.0`,
    ]);
    return { ms: elapsedMs(start) };
  });
}

async function measureCopies(): Promise<Partial<Record<MetricKey, number>>> {
  const source = await startRegistry({ name: 'bench-engine-source' });
  try {
    await pushImage(source.url, 'bench/engine', '1.0', generateImage({ ...IMAGE, platforms: [...IMAGE.platforms] }));
    // Warm the page cache and both tools once (untimed); then alternate, so drift hits both alike.
    await engineRun(source, false);
    await skopeoRun(source, false);
    const runs = { engine: [] as Timed[], skopeo: [] as Timed[], engineAll: [] as Timed[], skopeoAll: [] as Timed[] };
    for (let round = 0; round < ROUNDS; round++) {
      runs.engine.push(await engineRun(source, false));
      runs.skopeo.push(await skopeoRun(source, false));
      runs.engineAll.push(await engineRun(source, true));
      runs.skopeoAll.push(await skopeoRun(source, true));
    }
    const ms = (list: Timed[]): number => median(list.map((run) => run.ms));
    const bytes = runs.engine[0]!.bytes!;
    return {
      engineCopyMs: ms(runs.engine),
      skopeoCopyMs: ms(runs.skopeo),
      engineCopyRatio: ms(runs.engine) / ms(runs.skopeo),
      engineCopyAllMs: ms(runs.engineAll),
      skopeoCopyAllMs: ms(runs.skopeoAll),
      engineCopyAllRatio: ms(runs.engineAll) / ms(runs.skopeoAll),
      engineCopyBytes: bytes,
      engineCpuMsPer100MB: median(runs.engine.map((run) => (run.cpuMs! * 100_000_000) / run.bytes!)),
    };
  } finally {
    await source.stop();
  }
}

/** Create -> answer of the mirror resource for a new image, median over a stack of three new images. */
async function createToAnswer(copyEngine: 'codebuild' | 'function'): Promise<number> {
  const harness = await startHarness({ copyEngine, codeBuild: { batchGetHoldMs: 0, provisioningMs: 0 } });
  try {
    const images = Array.from({ length: 3 }, (_, i) => `quay.io/bench/create-${copyEngine}-${i}:1.0`);
    for (const image of images) await harness.pushSource(image, AMD64_ONLY);
    const template = lambdaTemplate(images.map((imageUri, i) => ({ logicalId: `Bench${i}Function`, imageUri })));
    const deployment = await harness.deployer.createStack(`bench-create-${copyEngine}`, { template });
    if (deployment.status !== 'CREATE_COMPLETE') throw new Error(`the bench stack ended ${deployment.status}: ${deployment.statusReason}`);
    return median(deployment.requests.map((request) => request.answerMs ?? Number.NaN));
  } finally {
    await harness.stop();
  }
}

export const engineSection: BenchSection = {
  name: 'engine',
  description:
    `function engine copy vs skopeo copy by hand between the same local registries, ~200 MB image (one platform in an index ` +
    `with an attestation), fresh empty target per run, median of ${ROUNDS} alternating runs each; CPU per 100 MB; Create -> ` +
    'answer per engine on the harness (no CodeBuild queue or provisioning there)',
  async run() {
    const absent = missingBenchTools(NEEDED);
    if (absent.length > 0) {
      process.stderr.write(`engine: not measured, missing ${absent.map((tool) => `${tool.name} (install: ${tool.install})`).join(', ')}\n`);
      return metricsWithValues(METRICS, {});
    }
    const copies = await measureCopies();
    const createToAnswerCodeBuildMs = await createToAnswer('codebuild');
    const createToAnswerFunctionMs = await createToAnswer('function');
    return metricsWithValues(METRICS, { ...copies, createToAnswerCodeBuildMs, createToAnswerFunctionMs });
  },
};

// `npx tsx bench/engine.ts`: this section alone.
if (import.meta.url === `file://${process.argv[1]}`) {
  for (const metric of await engineSection.run()) {
    const shown = metric.value === null ? 'n/a' : metric.unit === 'x' ? `${metric.value.toFixed(3)}x` : `${Math.round(metric.value)} ${metric.unit}`;
    process.stdout.write(`${metric.label.padEnd(64)} ${shown}\n`);
  }
}
