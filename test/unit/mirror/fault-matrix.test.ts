// The fault matrix: every outside party the mirror function talks to, made slow or silent, at three
// invocation budgets. The real handler runs over the real createAwsPorts (and, for the registry faults,
// the real RegistryClient over a scripted fetch) on the virtual clock: a call that never answers costs
// virtual time only, so a 900 s budget takes milliseconds and nothing depends on the machine's speed.
// Each invocation must end with exactly one answer or one hand-over, before its budget runs out, leaving
// no timer behind. (Real sockets: test/integration/mirror-blackholes.test.ts; the built bundle:
// test/e2e/blackhole-bundle.test.ts.)
import { createHash } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { RegistryClient } from '../../../src/mirror/registry/client.js';
import type { RegistryFactory, ResponsePorts } from '../../../src/mirror/ports/types.js';
import { createEvent, recordingPut, type RecordedPut, type VirtualClock } from './fixtures/harness.js';
import { baseProperties, SOURCE, SOURCE_AMD64, TARGET_REPOSITORY, useScenario } from './fixtures/scenario.js';
import { ACCOUNT, BLACK_HOLE, REGION } from './fixtures/world.js';
import { MediaType } from '../../support/media-types.js';

const BUDGETS_MS = [30_000, 120_000, 900_000] as const;
const SECRET_ARN = `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:registry-credentials-AbCdEf`;
/** Just under the registry client's 15 s per-request timeout. */
const SLOW_HOP_MS = 14_900;

/** Resolves after `ms` of virtual time, or rejects as fetch does when the signal aborts first. */
async function virtualWait(clock: VirtualClock, ms: number, signal: AbortSignal | null | undefined): Promise<void> {
  await clock.sleep(ms, signal ?? undefined);
  if (signal?.aborted) throw Object.assign(new Error('This operation was aborted'), { name: 'AbortError' });
}

/**
 * A registry that answers every request just under the timeout, with redirects and 503s: the shape that kept
 * resolveSource busy for ~950 s. Every exchange (the anonymous manifest GET, the token, the manifest with the
 * token, the config blob) goes through five redirects, and its final hop answers 503 twice (the client retries)
 * before the real answer: 3 attempts x 6 hops x 14.9 s = 268 s per exchange, about 1070 s for the four.
 */
function slowRegistry(clock: VirtualClock): RegistryFactory {
  const config = Buffer.from(JSON.stringify({ os: 'linux', architecture: 'amd64', rootfs: { type: 'layers', diff_ids: [] } }));
  const configDigest = `sha256:${createHash('sha256').update(config).digest('hex')}`;
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MediaType.OciManifest,
      config: { mediaType: MediaType.OciConfig, digest: configDigest, size: config.length },
      layers: [],
    }),
  );
  const finals = new Map<string, number>();
  const slowFetch = (async (input: URL | string, init?: RequestInit) => {
    await virtualWait(clock, SLOW_HOP_MS, init?.signal);
    const url = new URL(String(input));
    const hop = /^\/hop\/(\d)(\/.*)$/.exec(url.pathname);
    const depth = hop === null ? 0 : Number(hop[1]);
    const original = hop === null ? `${url.pathname}${url.search}` : `${hop[2]}${url.search}`;
    if (depth < 5) return new Response(null, { status: 307, headers: { location: `${url.origin}/hop/${depth + 1}${original}` } });
    const authorized = new Headers(init?.headers).has('authorization');
    const key = `${original} ${authorized}`;
    const attempt = (finals.get(key) ?? 0) + 1;
    finals.set(key, attempt);
    if (attempt < 3) return new Response('{"errors":[{"code":"UNAVAILABLE","message":"try again"}]}', { status: 503, headers: { 'content-type': 'application/json' } });
    if (original.startsWith('/token')) return new Response('{"token":"slow-token-123"}', { headers: { 'content-type': 'application/json' } });
    if (original.includes('/blobs/')) return new Response(config, { headers: { 'content-type': MediaType.OciConfig } });
    if (!authorized) {
      return new Response('{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}', {
        status: 401,
        headers: { 'www-authenticate': `Bearer realm="${url.origin}/token",service="quay.io",scope="repository:sysdig/serverless-patcher:pull"` },
      });
    }
    return new Response(manifest, { headers: { 'content-type': MediaType.OciManifest } });
  }) as typeof fetch;
  return (options) => new RegistryClient({ ...options, fetch: slowFetch, lookup: async () => ['203.0.113.7'] });
}

/** A registry that accepts the connection and never answers, ignoring even the abort. */
function silentRegistry(): RegistryFactory {
  const silentFetch = (() => new Promise<Response>(() => undefined)) as typeof fetch;
  return (options) => new RegistryClient({ ...options, fetch: silentFetch, lookup: async () => ['203.0.113.7'] });
}

/** A ResponseURL that accepts and never answers: each attempt costs its whole timeout (virtual). */
function blackHolePut(clock: VirtualClock, puts: RecordedPut[]): ResponsePorts['putResponse'] {
  return async (_url, body, timeoutMs) => {
    puts.push({ at: clock.now(), body });
    await clock.sleep(timeoutMs);
    throw new Error(`no answer from the response endpoint within ${timeoutMs} ms`);
  };
}

type Fault =
  | 'registry slow per hop'
  | 'registry black hole'
  | 'ECR black hole'
  | 'CodeBuild black hole'
  | 'CloudWatch Logs black hole'
  | 'Secrets Manager black hole'
  | 'Lambda invoke black hole'
  | 'response PUT black hole';

const FAULTS: readonly Fault[] = [
  'registry slow per hop',
  'registry black hole',
  'ECR black hole',
  'CodeBuild black hole',
  'CloudWatch Logs black hole',
  'Secrets Manager black hole',
  'Lambda invoke black hole',
  'response PUT black hole',
];

interface Row {
  readonly fault: Fault;
  readonly budgetMs: number;
  readonly outcome: string;
  readonly atMs: number;
  readonly endedMs: number;
}

const rows: Row[] = [];

describe('Fault matrix: one answer or one hand-over before the budget, whatever does not answer', () => {
  const s = useScenario();

  afterAll(() => {
    const width = Math.max(...FAULTS.map((fault) => fault.length));
    const lines = rows.map(
      (row) =>
        `${row.fault.padEnd(width)}  ${String(row.budgetMs / 1000).padStart(4)} s  ${row.outcome.padEnd(28)} at ${(row.atMs / 1000).toFixed(1).padStart(6)} s, returned at ${(row.endedMs / 1000).toFixed(1).padStart(6)} s`,
    );
    console.log(`fault x budget -> outcome, time (virtual)\n${lines.join('\n')}`);
  });

  for (const fault of FAULTS) {
    for (const budgetMs of BUDGETS_MS) {
      it(`${fault}, ${budgetMs / 1000} s budget`, async () => {
        const puts: RecordedPut[] = [];
        const steps: { op: string; at: number }[] = [];
        const registry = fault === 'registry slow per hop' ? slowRegistry : fault === 'registry black hole' ? () => silentRegistry() : undefined;
        const harness = s.reconfigure({
          ...(registry ? { registry } : {}),
          putResponse: (clock) => (fault === 'response PUT black hole' ? blackHolePut(clock, puts) : recordingPut(clock, puts)),
          ...(fault === 'Secrets Manager black hole' ? { env: { REGISTRY_CREDENTIALS_SECRET_ARN: SECRET_ARN } } : {}),
        });
        const clock = harness.clock;
        const start = clock.now();
        let sourceImage: string = SOURCE;
        const silent = (prefix: string) => (op: string) => (op.startsWith(prefix) ? BLACK_HOLE : undefined);
        let fails: (op: string) => Error | undefined = () => undefined;
        switch (fault) {
          case 'ECR black hole':
            fails = silent('ECR.');
            break;
          case 'CodeBuild black hole':
            fails = silent('CodeBuild.');
            break;
          case 'CloudWatch Logs black hole':
            s.world.buildScript = { statuses: ['FAILED'], logLines: ['ERROR: copy failed'] };
            fails = silent('Logs.');
            break;
          case 'Secrets Manager black hole':
            sourceImage = 'registry.example.com/team/private:1';
            s.world.addImage(sourceImage, { digests: { x86_64: SOURCE_AMD64 }, requires: { username: 'u', password: 'p' } });
            fails = silent('SecretsManager.');
            break;
          case 'Lambda invoke black hole':
            s.world.buildScript = { statuses: ['IN_PROGRESS'] };
            fails = silent('Lambda.');
            break;
          case 'response PUT black hole':
            s.world.addRepository(TARGET_REPOSITORY, { tags: { [SOURCE_AMD64]: ['6.2.0'] } });
            break;
          default:
            // The build resolves the source itself; it is still running when short budgets run out.
            s.world.buildScript = { statuses: ['IN_PROGRESS', 'IN_PROGRESS', 'SUCCEEDED'] };
        }
        s.world.fault = (op) => {
          steps.push({ op, at: clock.now() });
          return fails(op);
        };

        const url = s.newUrl();
        const { threw } = await harness.invoke(createEvent(url, { ...baseProperties, SourceImage: sourceImage }), { budgetMs });
        const ended = clock.now() - start;

        expect(threw).toBeUndefined();
        expect(ended).toBeLessThanOrEqual(budgetMs);
        expect(clock.pendingTimers()).toBe(0);
        // Every PUT attempt carried the same answer and was given time that ends before the budget.
        const bodies = new Set(puts.map((put) => put.body));
        const handOvers = s.world.deliveredInvokes.length;
        expect(bodies.size + handOvers, `answers ${bodies.size}, hand-overs ${handOvers}`).toBe(1);
        for (const put of puts) expect(put.at - start).toBeLessThan(budgetMs);
        if (fault !== 'response PUT black hole' && bodies.size === 1) expect(s.server.answersFor(url)).toHaveLength(1);

        let outcome: string;
        let at: number;
        if (handOvers === 1) {
          outcome = 'hand-over';
          at = steps.filter((step) => step.op === 'Lambda.Invoke').at(-1)!.at - start;
        } else {
          const answer = JSON.parse([...bodies][0]!) as { Status: string; Reason: string };
          outcome = `${answer.Status}${fault === 'response PUT black hole' ? ` (${puts.length} PUT attempts)` : ''}`;
          at = puts[0]!.at - start;
          // A FAILED answer names what did not answer.
          const named: Partial<Record<Fault, string>> = {
            'ECR black hole': 'ECR CreateRepository did not answer',
            'CodeBuild black hole': 'CodeBuild did not answer StartBuild',
            'Lambda invoke black hole': 'Lambda Invoke (hand-over to a new invocation) did not answer',
            'CloudWatch Logs black hole': 'CloudWatch Logs GetLogEvents did not answer',
          };
          if (named[fault] !== undefined) {
            expect(answer.Status).toBe('FAILED');
            expect(answer.Reason).toContain(named[fault]);
          }
        }
        if (fault === 'Lambda invoke black hole') expect(s.world.operations).toContain('CodeBuild.StopBuild');
        rows.push({ fault, budgetMs, outcome, atMs: at, endedMs: ended });
      });
    }
  }

  it('the registry that answers every hop just under its timeout: the function gives up on it in time and the build copies', async () => {
    s.world.buildScript = { statuses: ['SUCCEEDED'] };
    const harness = s.reconfigure({ registry: slowRegistry });
    const start = harness.clock.now();
    const url = s.newUrl();
    await harness.invoke(createEvent(url, baseProperties), { budgetMs: 900_000 });
    const answer = s.server.answersFor(url);
    expect(answer).toHaveLength(1);
    expect(answer[0]!.Status).toBe('SUCCESS');
    // The build got the tag to resolve (the function never learned the digest), within a minute of trying.
    expect(s.world.operations).toContain('CodeBuild.StartBuild');
    expect(s.world.builds[0]!.input.environmentVariablesOverride?.find((v) => v.name === 'SOURCE_IMAGE')?.value).toBe(SOURCE);
    expect(harness.clock.now() - start).toBeLessThan(120_000);
    expect(s.harness.logText()).toContain('the source registry did not answer in time');
  });
});
