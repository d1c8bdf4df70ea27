// The function engine at the end of an invocation, wherever the cut falls: a blob in flight when the invocation's
// work time runs out hands the copy over (the next invocation goes on from what ECR holds); it never fails the
// resource. The transport reports a request it has no time left to start (the upload's POST or its closing PUT) as
// an unreachable registry, so a cut just before such a request once failed the copy with "no time left for this
// request" (seen in the e2e hand-over scenario). The sweep moves the end of the layers' transfer across the end of
// the invocation's work time in steps shorter than the shortest request the transport starts (MIN_CALL_MS).
import { describe, expect, it } from 'vitest';
import { createEvent } from './fixtures/harness.js';
import { type CopyFixture, useCopyScenario } from './fixtures/copy-scenario.js';
import { baseProperties, onlyAnswer } from './fixtures/scenario.js';

function layersOf(image: CopyFixture['image']): Set<string> {
  return new Set(Object.values(image.platforms).flatMap((platform) => (platform.json as { layers: { digest: string }[] }).layers.map((layer) => layer.digest)));
}

const CHUNK_BYTES = 4 * 1024;
/**
 * Chunk delays (virtual ms): 16 chunks per 64 KiB layer, so the layers' transfers end in steps of 32 ms across the end
 * of the first invocation's work time (about 75 s of the 100 s budget, less the answer reserve and the hand-over
 * margin); before the fix, those ending within the last 250 ms failed.
 */
const DELAYS = Array.from({ length: 25 }, (_, i) => 4_152 + i * 2);

describe('CopyEngine function: a blob cut by the end of an invocation', () => {
  const { s, copy } = useCopyScenario();

  it.each(DELAYS)('layers streamed at %i virtual ms per 4 KiB: SUCCESS, in one invocation or after a hand-over', async (delay) => {
    const layers = layersOf(copy.image);
    copy.quay.blobServing = (digest) => (layers.has(digest) ? { chunkDelayMs: delay, chunkBytes: CHUNK_BYTES } : {});
    const url = s.newUrl();
    await s.harness.invoke(createEvent(url, baseProperties), { budgetMs: 100_000 });
    copy.quay.blobServing = () => ({});
    for (let seen = 1; seen <= 5 && s.world.deliveredInvokes.length >= seen && s.server.answersFor(url).length === 0; seen++) {
      await s.reconfigure({}).invoke(s.world.deliveredInvokes[seen - 1], { budgetMs: 900_000 });
    }
    const answer = onlyAnswer(s.server, url);
    expect(answer.Reason ?? '').not.toMatch(/no time left/);
    expect(answer.Status).toBe('SUCCESS');
  });
});
