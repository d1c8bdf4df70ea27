// The function engine's copy on its own (src/mirror/copy: read the source, stream the missing blobs, push the
// manifests, read back), with the real RegistryClient (pinned connections, real clock) between local registries:
// what the integration tests, the memory test's child process and the copy benchmark run. Nothing here talks to AWS:
// the lifecycle's steps before the copy (repository, record) are not part of it.
import { DEFAULT_COPY_ENGINE, type Architecture } from '../../src/contract.js';
import { Budget } from '../../src/mirror/core/budget.js';
import type { MirrorConfig } from '../../src/mirror/core/config.js';
import { copiedArchitecture, platformName, type CopyPlan } from '../../src/mirror/core/plan.js';
import { DEFAULT_TIMING, type InvocationContext } from '../../src/mirror/core/timing.js';
import { readImage } from '../../src/mirror/copy/image.js';
import { publishImage } from '../../src/mirror/copy/publish.js';
import { transferBlobs, type Progress } from '../../src/mirror/copy/transfer.js';
import type { MirrorLog } from '../../src/mirror/log.js';
import { realClock } from '../../src/mirror/ports/clock.js';
import type { MirrorPorts } from '../../src/mirror/ports/types.js';
import { RegistryClient } from '../../src/mirror/registry/client.js';
import type { RegistryCredentials } from '../../src/mirror/registry/credentials.js';
import { ALL_PLATFORMS } from '../../src/contract.js';

export interface FunctionCopyOptions {
  /** `host/repository:tag` or `@digest`, as a template names it (the host mapped in `endpoints`). */
  readonly source: string;
  /** One architecture, or every platform as published. */
  readonly architecture: Architecture | typeof ALL_PLATFORMS;
  /** `<ecr host>/<repository>:<tag>` (the host mapped in `endpoints`). */
  readonly target: string;
  /** Registry host -> `http://127.0.0.1:PORT`. */
  readonly endpoints: ReadonlyMap<string, string>;
  /** Basic credentials per registry host. */
  readonly credentials?: ReadonlyMap<string, RegistryCredentials>;
  /** The digest the lifecycle would have resolved (else the source tag is read). */
  readonly expectedDigest?: string;
  /** Log lines, when wanted. */
  readonly log?: string[];
}

export interface FunctionCopyResult {
  readonly digest: string;
  readonly progress: Progress;
}

function collectingLog(lines: string[] | undefined): MirrorLog {
  const write = (level: string) => (message: string, extra?: Record<string, unknown>) => lines?.push(`${level} ${message}${extra ? ` ${JSON.stringify(extra)}` : ''}`);
  return { debug: write('debug'), info: write('info'), warn: write('warn'), error: write('error') };
}

function planOf(options: FunctionCopyOptions): CopyPlan {
  const slash = options.target.indexOf('/');
  const colon = options.target.lastIndexOf(':');
  const repositoryName = options.target.slice(slash + 1, colon);
  const base = { kind: 'copy' as const, sourceImage: options.source, repositoryName, repositoryUri: options.target.slice(0, colon), targetImage: options.target };
  return options.architecture === ALL_PLATFORMS
    ? { ...base, platform: ALL_PLATFORMS }
    : { ...base, architecture: options.architecture, platform: platformName(options.architecture) };
}

/** Copies one image as the function engine does and returns the pushed digest and what moved. */
export async function functionCopy(options: FunctionCopyOptions): Promise<FunctionCopyResult> {
  const client = new RegistryClient({
    endpoints: options.endpoints,
    credentials: async (host) => options.credentials?.get(host),
    clock: realClock,
  });
  const ports = { ...realClock, registry: () => client } as unknown as MirrorPorts;
  const plan = planOf(options);
  const ctx: InvocationContext = {
    config: { copyEngine: DEFAULT_COPY_ENGINE } as unknown as MirrorConfig,
    log: collectingLog(options.log),
    remainingTimeMs: () => 900_000,
    timing: DEFAULT_TIMING,
    budget: new Budget(realClock, () => 900_000, 0),
  };
  const image = await readImage(plan, options.expectedDigest, ports, ctx);
  const { end, progress } = await transferBlobs(image, plan, Number.POSITIVE_INFINITY, ports, ctx);
  if (end !== 'done') throw new Error(`the copy of ${options.source} (${copiedArchitecture(plan)}) did not finish in one invocation's time`);
  return { digest: await publishImage(image, plan, ports, ctx), progress };
}
