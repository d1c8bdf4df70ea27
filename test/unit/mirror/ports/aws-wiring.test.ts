// How createAwsPorts wires the registry client (its options, made once, on first use) and what the base ports do
// without a test's clock or PUT: the real clock and the real response PUT.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { loadConfig } from '../../../../src/mirror/core/config.js';
import { createAwsPorts, createBasePorts } from '../../../../src/mirror/ports/aws.js';
import type { RegistryPortOptions } from '../../../../src/mirror/ports/types.js';
import { unboundedCall } from '../../../support/call-context.js';
import { readOnlyRegistry } from '../../../support/registry-port.js';
import { VirtualClock } from '../fixtures/harness.js';

const ARN = 'arn:aws:lambda:eu-west-1:123456789012:function:mirror';
const DIGEST = `sha256:${'a'.repeat(64)}`;
const ref = { registry: 'quay.io', repository: 'a/b', tag: '1' };

function config() {
  return loadConfig({ AWS_REGION: 'eu-west-1', CODEBUILD_PROJECT_NAME: 'copy', REGISTRY_ENDPOINTS: '{"quay.io": "http://127.0.0.1:5000"}' }, ARN);
}

/** createAwsPorts over a registry stand-in that records the options it was made with. */
function ports(options: { registryTimeoutMs?: number; runtimeApi?: string; head?: { digest: string; mediaType: string } } = {}) {
  const made: RegistryPortOptions[] = [];
  const clock = new VirtualClock();
  const aws = createAwsPorts(config(), {
    clock,
    ...(options.registryTimeoutMs !== undefined ? { registryTimeoutMs: options.registryTimeoutMs } : {}),
    ...(options.runtimeApi !== undefined ? { runtimeApi: options.runtimeApi } : {}),
    registry: (o) => {
      made.push(o);
      return readOnlyRegistry({
        resolvePlatform: async () => Promise.reject(new Error('unused')),
        headManifest: async () => options.head,
        resolvePublished: async () => Promise.reject(new Error('unused')),
        copySourceRefusal: async (registry) => (registry === 'blocked.example' ? { host: registry, address: '10.0.0.1', rule: 'a private address' } : undefined),
      });
    },
  });
  return { aws, made, clock };
}

afterEach(() => {
  vi.unstubAllEnvs();
  vi.useRealTimers();
});

describe('Function: createAwsPorts (registry client)', () => {
  it('makes the registry client once, on first use, with the endpoints, a 15 s exchange timeout and the runtime API address', async () => {
    vi.stubEnv('AWS_LAMBDA_RUNTIME_API', '127.0.0.1:9001');
    const { aws, made, clock } = ports({ head: { digest: DIGEST, mediaType: 'application/vnd.oci.image.manifest.v1+json' } });
    expect(made).toHaveLength(0);
    expect(await aws.readManifestDigest(ref, unboundedCall())).toBe(DIGEST);
    expect(await aws.sourceHostRefusal('quay.io')).toBeUndefined();
    expect(aws.registry()).toBe(aws.registry());
    expect(made).toHaveLength(1);
    expect(made[0]).toMatchObject({ timeoutMs: 15_000, runtimeApi: '127.0.0.1:9001' });
    expect([...made[0]!.endpoints]).toEqual([['quay.io', 'http://127.0.0.1:5000']]);
    expect(made[0]!.clock.now()).toBe(clock.now());
  });

  it('takes the timeout and runtime API it is given, and reads a missing manifest as no digest', async () => {
    vi.stubEnv('AWS_LAMBDA_RUNTIME_API', '127.0.0.1:9001');
    const { aws, made } = ports({ registryTimeoutMs: 2_000, runtimeApi: '169.254.100.1:9001' });
    expect(await aws.readManifestDigest(ref, unboundedCall())).toBeUndefined();
    expect(await aws.sourceHostRefusal('blocked.example')).toEqual({ host: 'blocked.example', address: '10.0.0.1', rule: 'a private address' });
    expect(made[0]).toMatchObject({ timeoutMs: 2_000, runtimeApi: '169.254.100.1:9001' });
  });
});

describe('Function: createBasePorts', () => {
  it("uses the given clock's time, sleeps, draws and timers", async () => {
    const clock = new VirtualClock();
    const base = createBasePorts({ clock, putResponse: async () => undefined });
    expect(base.now()).toBe(clock.now());
    await base.sleep(1_500);
    expect(clock.sleeps).toEqual([1_500]);
    expect(base.random()).toBe(0.5);
    const timer = base.timer(100);
    expect(clock.pendingTimers()).toBe(1);
    timer.cancel();
    expect(clock.pendingTimers()).toBe(0);
  });

  it('without a clock runs on wall time and real timers, and without a PUT sends the real one', async () => {
    vi.useFakeTimers();
    vi.setSystemTime(Date.UTC(2025, 5, 1));
    const base = createBasePorts();
    expect(base.now()).toBe(Date.UTC(2025, 5, 1));
    const timer = base.timer(1_000);
    vi.advanceTimersByTime(1_000);
    expect(timer.signal.aborted).toBe(true);
    vi.useRealTimers();
    await expect(base.putResponse('ftp://example.com/x', '{}', 1_000)).rejects.toThrow('the ResponseURL scheme "ftp:" is not http(s)');
  });
});
