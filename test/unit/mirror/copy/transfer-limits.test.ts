// What bounds the blob transfer of a function copy (CopyEngine function), as CloudFormation and the operator see it:
// every try of a blob from a source that never answers is bounded (the copy fails naming the blob, rather than
// waiting for the invocation to end); the end of the invocation cutting the question whether the target has a blob
// hands the copy over, with nothing to warn about; the target is asked about 12 blobs at a time; a copy cut by the
// resource's deadline keeps, in the log, the blob transfer that ran out. In-memory registries on the virtual clock.
import { describe, expect, it } from 'vitest';
import { CONTINUATION_KEY } from '../../../../src/mirror/cfn/events.js';
import { addSourceImage, createAnswer, type LoggedError, recordedCopy, SOURCE_REPOSITORY, sourceBlobReads, useCopyScenario } from '../fixtures/copy-scenario.js';
import { createEvent } from '../fixtures/harness.js';
import { onlyLine } from '../fixtures/log-lines.js';
import { baseProperties, onlyAnswer, SOURCE } from '../fixtures/scenario.js';

describe('CopyEngine function: what bounds the blob transfer', () => {
  const { s, copy } = useCopyScenario();

  function amd64Layers(): { digest: string; size: number }[] {
    return (copy.image.platforms['linux/amd64']!.json as { layers: { digest: string; size: number }[] }).layers;
  }

  it('a blob the source never answers fails the copy after 3 bounded tries, naming it, long before the invocation ends', async () => {
    const layer = amd64Layers()[0]!.digest;
    const handle = copy.quay.handle.bind(copy.quay);
    copy.quay.handle = async (url, init) => (url.pathname.endsWith(`/blobs/${layer}`) ? new Promise<Response>(() => undefined) : handle(url, init));
    const startedAt = s.harness.clock.now();

    const answer = await createAnswer(s, baseProperties);

    expect(answer.Status).toBe('FAILED');
    expect(answer.Reason).toContain(`Could not copy blob ${layer} `);
    expect(answer.Reason).toContain('cannot reach quay.io at ');
    expect(answer.Reason).toContain('no answer within 15000 ms (3 attempts)');
    expect(s.world.deliveredInvokes).toEqual([]);
    expect(s.harness.logText().match(/a blob transfer failed; trying again/g)).toHaveLength(2);
    // Each request waits no longer than one may take (9 of 15 s, and the pauses): the 900 s invocation is far from over.
    expect(s.harness.clock.now() - startedAt).toBeLessThan(300_000);
    // 3 tries of the copy, each of 3 requests (the transport's own tries).
    expect(sourceBlobReads(copy, layer)).toBe(9);
  });

  it('the end of the invocation cutting the question whether the target has a blob hands the copy over, without a warning', async () => {
    const handle = copy.ecr.handle.bind(copy.ecr);
    copy.ecr.handle = async (url, init) => (init.method === 'HEAD' && url.pathname.includes('/blobs/') ? new Promise<Response>(() => undefined) : handle(url, init));
    const url = s.newUrl();

    // 24 s: a 6 s hand-over margin leaves 18 s, less than the 20 s the question may take, so the invocation's end cuts it.
    await s.harness.invoke(createEvent(url, baseProperties), { budgetMs: 24_000 });

    expect(s.server.answersFor(url)).toEqual([]);
    expect(s.world.deliveredInvokes).toHaveLength(1);
    expect((s.world.deliveredInvokes[0] as Record<string, { copy: unknown }>)[CONTINUATION_KEY]!.copy).toEqual({ stalled: 1 });
    expect(s.harness.logText()).not.toContain('could not tell whether the target has a blob');
    expect(copy.ecr.uploaded).toEqual([]);
  });

  it('asks the target about the blobs 12 at a time once the first answered', async () => {
    addSourceImage(copy, 'many', { platforms: ['linux/amd64'], layers: 20, layerBytes: 256, seed: 'many-layers' });
    const clock = s.harness.clock;
    let asking = 0;
    let most = 0;
    const handle = copy.ecr.handle.bind(copy.ecr);
    copy.ecr.handle = async (url, init) => {
      if (init.method !== 'HEAD' || !url.pathname.includes('/blobs/')) return handle(url, init);
      most = Math.max(most, ++asking);
      // Each answer takes a second (virtual): the questions asked meanwhile are the ones in flight together.
      await new Promise((resolve) => clock.timer(1_000).signal.addEventListener('abort', resolve, { once: true }));
      asking--;
      return handle(url, init);
    };

    const answer = await createAnswer(s, { SourceImage: `quay.io/${SOURCE_REPOSITORY}:many`, Architecture: 'x86_64' });

    expect(answer.Status).toBe('SUCCESS');
    expect(most).toBe(12);
  });

  it('a copy cut by the resource’s deadline keeps in the log which blob transfer ran out', async () => {
    const slow = amd64Layers()[1]!;
    copy.quay.blobServing = (digest) => (digest === slow.digest ? { chunkDelayMs: 20_000 } : {});
    const { url, continuation } = recordedCopy(s, baseProperties, { deadline: s.harness.clock.now() + 30_000, targetTagKind: 'source-tag' });

    await s.harness.invoke(continuation);

    expect(onlyAnswer(s.server, url).Reason).toContain(`Copying ${SOURCE} (linux/amd64) to `);
    const error = onlyLine(s.harness, 'the continued copy failed').error as LoggedError;
    expect(error.name).toBe('CopyError');
    expect(error.cause?.name).toBe('CallTimeoutError');
    expect(error.cause?.message).toMatch(
      new RegExp(
        `^copying blob ${slow.digest} \\(${(slow.size / 1_000_000).toFixed(1).replace('.', '\\.')} MB\\) from quay\\.io did not answer within .* \\(the resource's ServiceTimeout\\)$`,
      ),
    );
  });
});
