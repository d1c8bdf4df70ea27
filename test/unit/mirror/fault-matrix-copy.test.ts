// The fault matrix of the function engine (CopyEngine function), on the virtual clock of the fault matrix
// (fault-matrix.test.ts): registries slow, stalling or dying mid-blob, a target refusing a blob or never answering, a
// source blob that does not match its digest, ECR's API and the hand-over invoke silent, at three invocation budgets.
// Each invocation ends with exactly one answer or one hand-over, before its budget, leaving no timer behind; a FAILED
// answer names what failed, and a refused source leaves nothing tagged. Then whole copies across hand-overs.
import { afterAll, describe, expect, it } from 'vitest';
import { CONTINUATION_KEY } from '../../../src/mirror/cfn/events.js';
import { RECORD_KEY_PREFIX } from '../../../src/mirror/copy/record.js';
import { SOURCE_TAG, useCopyScenario } from './fixtures/copy-scenario.js';
import { createEvent, recordingPut, type RecordedPut } from './fixtures/harness.js';
import { baseProperties, onlyAnswer, TARGET_REPOSITORY, TARGET_REPOSITORY_URI } from './fixtures/scenario.js';
import { BLACK_HOLE, ECR_HOST } from './fixtures/world.js';

const BUDGETS_MS = [30_000, 120_000, 900_000] as const;

type Fault =
  | 'registry slow mid-blob'
  | 'registry stalls mid-blob'
  | 'registry dies mid-blob'
  | 'target refuses a blob'
  | 'target black hole'
  | 'source blob not matching its digest'
  | 'ECR API black hole'
  | 'Lambda invoke black hole';

const FAULTS: readonly Fault[] = [
  'registry slow mid-blob',
  'registry stalls mid-blob',
  'registry dies mid-blob',
  'target refuses a blob',
  'target black hole',
  'source blob not matching its digest',
  'ECR API black hole',
  'Lambda invoke black hole',
];

/** What a FAILED answer must name, per fault. */
const NAMED: Partial<Record<Fault, RegExp>> = {
  'registry stalls mid-blob': /Could not copy blob sha256:[0-9a-f]{64} .*stalled after \d+ of \d+ bytes: no byte moved for 15000 ms mid-blob/,
  'registry dies mid-blob': /Could not copy blob sha256:[0-9a-f]{64} .*(connection|closed|ECONNRESET)/,
  'target refuses a blob': /refused the upload of blob sha256:[0-9a-f]{64} \(HTTP 403; registry says "DENIED: not allowed here"\)/,
  'source blob not matching its digest': /is not what the manifest says \(content digest sha256:[0-9a-f]{64}\); refusing it, so nothing is tagged/,
  'ECR API black hole': /ECR CreateRepository did not answer/,
  'Lambda invoke black hole': /Could not hand the copy of .* over to a new invocation of the mirror function/,
};

const rows: string[] = [];

/** The image's layer digests (the blobs that stream; a config is read whole). */
function layersOf(image: { platforms: Record<string, { json: unknown } | undefined> }): Set<string> {
  return new Set(Object.values(image.platforms).flatMap((platform) => (platform!.json as { layers: { digest: string }[] }).layers.map((layer) => layer.digest)));
}

describe('Fault matrix, CopyEngine function: one answer or one hand-over before the budget', () => {
  const puts: RecordedPut[] = [];
  const { s, copy } = useCopyScenario({ putResponse: (clock) => recordingPut(clock, puts) });

  afterAll(() => console.log(`function engine: fault x budget -> outcome (virtual time)\n${rows.join('\n')}`));

  for (const fault of FAULTS) {
    for (const budgetMs of BUDGETS_MS) {
      it(`${fault}, ${budgetMs / 1000} s budget`, async () => {
        puts.length = 0;
        const harness = s.harness;
        const clock = harness.clock;
        const layers = layersOf(copy.image);
        const onLayers = (serving: object) => (digest: string) => (layers.has(digest) ? serving : {});
        switch (fault) {
          case 'registry slow mid-blob':
            copy.quay.blobServing = onLayers({ chunkDelayMs: 14_900 });
            break;
          case 'Lambda invoke black hole':
            // Layers that take longer than any budget: every invocation must hand over.
            copy.quay.blobServing = onLayers({ chunkDelayMs: 14_900, chunkBytes: 512 });
            s.world.fault = (op) => (op === 'Lambda.Invoke' ? BLACK_HOLE : undefined);
            break;
          case 'registry stalls mid-blob':
            copy.quay.blobServing = onLayers({ stallAfterBytes: 20_000 });
            break;
          case 'registry dies mid-blob':
            copy.quay.blobServing = onLayers({ failAfterBytes: 20_000 });
            break;
          case 'target refuses a blob':
            copy.ecr.refuse = (step) => (step === 'start' ? new Response('{"errors":[{"code":"DENIED","message":"not allowed here"}]}', { status: 403 }) : undefined);
            break;
          case 'target black hole':
            copy.registries.silent.add(ECR_HOST);
            break;
          case 'source blob not matching its digest':
            copy.quay.blobServing = onLayers({ corrupt: true });
            break;
          case 'ECR API black hole':
            s.world.fault = (op) => (op.startsWith('ECR.') ? BLACK_HOLE : undefined);
            break;
        }
        const start = clock.now();
        const url = s.newUrl();
        const { threw } = await harness.invoke(createEvent(url, baseProperties), { budgetMs });
        const ended = clock.now() - start;

        expect(threw).toBeUndefined();
        expect(ended).toBeLessThanOrEqual(budgetMs);
        expect(clock.pendingTimers()).toBe(0);
        const bodies = new Set(puts.map((put) => put.body));
        const handOvers = s.world.deliveredInvokes.length;
        expect(bodies.size + handOvers, `answers ${bodies.size}, hand-overs ${handOvers}`).toBe(1);
        for (const put of puts) expect(put.at - start).toBeLessThan(budgetMs);
        let outcome = 'hand-over';
        if (handOvers === 1) {
          expect(Object.keys(s.world.deliveredInvokes[0] as object)).toEqual([CONTINUATION_KEY]);
        } else {
          const answer = onlyAnswer(s.server, url);
          outcome = answer.Status;
          const named = NAMED[fault];
          if (named !== undefined) {
            expect(answer.Status).toBe('FAILED');
            expect(answer.Reason).toMatch(named);
          }
          if (answer.Status === 'FAILED') {
            // A failed copy tags nothing and leaves no record behind.
            expect(copy.ecr.manifest(TARGET_REPOSITORY, SOURCE_TAG)).toBeUndefined();
            const tags = s.world.repositories.get(TARGET_REPOSITORY)?.tags ?? new Map();
            if (fault !== 'ECR API black hole') expect([...tags.keys()].filter((key) => key.startsWith(RECORD_KEY_PREFIX))).toEqual([]);
          }
        }
        rows.push(`${fault.padEnd(38)} ${String(budgetMs / 1000).padStart(4)} s  ${outcome.padEnd(10)} returned at ${(ended / 1000).toFixed(1).padStart(6)} s`);
      });
    }
  }
});

describe('CopyEngine function: a copy across invocations', () => {
  const { s, copy } = useCopyScenario();

  /** Runs the continuation chain from the last hand-over, each in a fresh container, until something answers. */
  async function followHandOvers(budgetMs: number, limit = 10): Promise<number> {
    let invocations = 0;
    for (let seen = 1; invocations < limit && s.world.deliveredInvokes.length >= seen; seen++) {
      const container = s.reconfigure({});
      await container.invoke(s.world.deliveredInvokes[seen - 1], { budgetMs });
      invocations++;
    }
    return invocations;
  }

  it('a hand-over in the middle of a layer: the next invocation goes on from what the target holds and answers the source digest', async () => {
    const layers = layersOf(copy.image);
    copy.quay.blobServing = (digest) => (layers.has(digest) ? { chunkDelayMs: 5_000, chunkBytes: 1024 } : {});
    const url = s.newUrl();
    await s.harness.invoke(createEvent(url, baseProperties), { budgetMs: 100_000 });
    expect(s.world.deliveredInvokes).toHaveLength(1);
    expect(s.server.answersFor(url)).toEqual([]);
    // The config (read whole and checked) is in; both layers were cut mid-way and are not.
    expect(copy.ecr.uploaded).toHaveLength(1);
    copy.quay.blobServing = () => ({});
    expect(await followHandOvers(900_000)).toBe(1);
    const answer = onlyAnswer(s.server, url);
    expect(answer.Status).toBe('SUCCESS');
    expect(answer.Data!.ImageDigest).toBe(copy.image.platforms['linux/amd64']!.digest);
    expect(copy.ecr.uploaded).toHaveLength(3);
  });

  it('IMMUTABLE: the continuation pushes under the tag the first invocation chose (the platform digest), read from the record', async () => {
    const env = { COPY_ENGINE: 'function', IMAGE_TAG_MUTABILITY: 'IMMUTABLE' };
    const first = s.reconfigure({ env });
    const layers = layersOf(copy.image);
    copy.quay.blobServing = (digest) => (layers.has(digest) ? { chunkDelayMs: 5_000, chunkBytes: 1024 } : {});
    const url = s.newUrl();
    await first.invoke(createEvent(url, baseProperties), { budgetMs: 100_000 });
    expect(s.world.deliveredInvokes).toHaveLength(1);
    copy.quay.blobServing = () => ({});
    await s.reconfigure({ env }).invoke(s.world.deliveredInvokes[0]);
    const digest = copy.image.platforms['linux/amd64']!.digest;
    expect(onlyAnswer(s.server, url).PhysicalResourceId).toBe(`${TARGET_REPOSITORY_URI}@${digest}`);
    expect(copy.ecr.manifest(TARGET_REPOSITORY, `sha256-${digest.slice('sha256:'.length)}`)?.digest).toBe(digest);
  });

  it('a layer that never fits in one invocation fails after two invocations without progress, naming how far it got', async () => {
    const layers = layersOf(copy.image);
    copy.quay.blobServing = (digest) => (layers.has(digest) ? { chunkDelayMs: 10_000, chunkBytes: 1024 } : {});
    const url = s.newUrl();
    await s.harness.invoke(createEvent(url, baseProperties), { budgetMs: 100_000 });
    await followHandOvers(100_000);
    const answer = onlyAnswer(s.server, url);
    expect(answer.Status).toBe('FAILED');
    expect(answer.Reason).toMatch(/made no progress in 2 invocations in a row: one of its blobs does not fit in one invocation of the function\. 1 of 3 blobs/);
  });

  it('a copy that cannot finish within ServiceTimeout fails at the deadline, naming how far it got', async () => {
    copy.quay.blobServing = (digest) =>
      digest === (copy.image.platforms['linux/amd64']!.json as { layers: { digest: string }[] }).layers[1]!.digest ? { chunkDelayMs: 14_000 } : {};
    const url = s.newUrl();
    await s.harness.invoke(createEvent(url, { ...baseProperties, ServiceTimeout: '60' }), { budgetMs: 900_000 });
    const answer = onlyAnswer(s.server, url);
    expect(answer.Status).toBe('FAILED');
    expect(answer.Reason).toMatch(/did not finish within the resource's ServiceTimeout: 2 of 3 blobs \(0\.\d MB of 0\.\d MB\) are in the target/);
  });
});
