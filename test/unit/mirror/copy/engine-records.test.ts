// The copy record of the function engine (CopyEngine function) as CloudFormation and the operator see it: a
// continuation whose record cannot be read is handed on (counted) and finally answered FAILED naming the image and the
// repository; one no record vouches for is ignored, the log saying why; a record that cannot be removed, or records
// that cannot be read on a first delivery, only cost a warning; a repository full of live tags fails the copy
// without touching them; a source read cut by the end of the invocation hands over, counted as no progress.
import { describe, expect, it } from 'vitest';
import { CONTINUATION_KEY, CONTINUATION_VERSION } from '../../../../src/mirror/cfn/events.js';
import { RECORD_KEY_PREFIX } from '../../../../src/mirror/copy/record.js';
import type { TargetTagKind } from '../../../../src/mirror/core/plan.js';
import { recordedCopy, useCopyScenario } from '../fixtures/copy-scenario.js';
import { createEvent } from '../fixtures/harness.js';
import { baseProperties, onlyAnswer, SOURCE, TARGET_REPOSITORY } from '../fixtures/scenario.js';
import { ECR_HOST, serviceError } from '../fixtures/world.js';

type Event = ReturnType<typeof createEvent>;

interface CopyPayload {
  [CONTINUATION_KEY]: { version: number; request: Event; copy: Record<string, unknown> };
}

function continuationOf(request: Event, copy: Record<string, unknown> = {}): CopyPayload {
  return { [CONTINUATION_KEY]: { version: CONTINUATION_VERSION, request, copy } };
}

describe('CopyEngine function: the copy record', () => {
  const { s, copy } = useCopyScenario();

  /** A request whose copy this function recorded on the target repository (as its first invocation does). */
  function recorded(properties: Readonly<Record<string, string>> = baseProperties, targetTagKind: TargetTagKind = 'source-tag'): Event {
    return recordedCopy(s, properties, { deadline: s.harness.clock.now() + 3_000_000, targetTagKind }).request;
  }

  function recordKeys(): string[] {
    return [...(s.world.repositories.get(TARGET_REPOSITORY)?.tags.keys() ?? [])].filter((key) => key.startsWith(RECORD_KEY_PREFIX));
  }

  it('a continuation whose record cannot be read hands over without copying, counting the failures, and the 5th failure in a row answers FAILED', async () => {
    const event = recorded();
    s.world.fault = (op) => (op === 'ECR.ListTagsForResource' ? serviceError('ThrottlingException', 'Rate exceeded') : undefined);

    await s.harness.invoke(continuationOf(event));

    expect(s.world.deliveredInvokes).toEqual([continuationOf(event, { readFailures: 1 })]);
    expect(s.server.answersFor(event.ResponseURL)).toEqual([]);
    expect(copy.registries.requests).toEqual([]);
    // A poll interval between two reads of the record, as between two reads of a build.
    expect(s.harness.clock.sleeps).toEqual([10_000]);
    expect(s.harness.logText()).toContain('could not read the copy record of a continuation');

    for (let failures = 2; failures <= 4; failures++) {
      await s.reconfigure({}).invoke(s.world.deliveredInvokes.at(-1));
      expect(s.world.deliveredInvokes.at(-1)).toEqual(continuationOf(event, { readFailures: failures }));
      expect(s.server.answersFor(event.ResponseURL)).toEqual([]);
    }
    await s.reconfigure({}).invoke(s.world.deliveredInvokes.at(-1));

    expect(s.world.deliveredInvokes).toHaveLength(4);
    const answer = onlyAnswer(s.server, event.ResponseURL);
    expect(answer.Status).toBe('FAILED');
    expect(answer.Reason).toContain(`Could not read the copy record of ${SOURCE} on ${TARGET_REPOSITORY} 5 times in a row: `);
    expect(answer.Reason).toContain('Rate exceeded');
    expect(copy.ecr.pushedManifests).toEqual([]);
  });

  it('keeps the stall count of a continuation whose record cannot be read, and pauses at most a quarter of its work time', async () => {
    const event = recorded();
    s.world.fault = (op) => (op === 'ECR.ListTagsForResource' ? serviceError('ThrottlingException', 'Rate exceeded') : undefined);

    // 20 s: a 2 s answer reserve leaves 18 s of work, a quarter of it 4.5 s (less than the 10 s poll interval).
    await s.harness.invoke(continuationOf(event, { stalled: 1, readFailures: 2 }), { budgetMs: 20_000 });

    expect(s.world.deliveredInvokes).toEqual([continuationOf(event, { stalled: 1, readFailures: 3 })]);
    expect(s.harness.clock.sleeps).toEqual([4_500]);
  });

  it('ignores a continuation no record vouches for, and the log says why', async () => {
    const cases: (() => { event: Event; reason: string })[] = [
      () => {
        s.world.addRepository(TARGET_REPOSITORY);
        return { event: createEvent(s.newUrl(), baseProperties), reason: `no copy record on ${TARGET_REPOSITORY} names this request` };
      },
      () => ({ event: createEvent(s.newUrl(), baseProperties), reason: `ECR has no repository ${TARGET_REPOSITORY}` }),
      () => ({ event: createEvent(s.newUrl(), { SourceImage: `${ECR_HOST}/team/app:1` }), reason: 'the request needs no copy' }),
      () => ({ event: createEvent(s.newUrl(), { SourceImage: SOURCE, Platforms: 'some' }), reason: "the request's properties do not plan a copy (" }),
      // One platform is pushed under the source tag or its digest, never under the whole image's digest.
      () => ({ event: recorded(baseProperties, 'image-digest'), reason: `the copy record on ${TARGET_REPOSITORY} does not match the request's plan` }),
    ];
    for (const setUp of cases) {
      const { event, reason } = setUp();
      const harness = s.reconfigure({});

      await harness.invoke(continuationOf(event));

      expect(harness.logText()).toContain('ignored a continuation event that no build or copy record of this function vouches for');
      expect(harness.logText()).toContain(reason);
      expect(s.server.answersFor(event.ResponseURL)).toEqual([]);
      s.world.repositories.delete(TARGET_REPOSITORY);
    }
    expect(s.world.deliveredInvokes).toEqual([]);
    expect(copy.registries.requests).toEqual([]);
  });

  it('a record that cannot be removed once the copy is answered costs only a warning', async () => {
    s.world.fault = (op) => (op === 'ECR.UntagResource' ? serviceError('AccessDeniedException', 'not authorized to perform: ecr:UntagResource') : undefined);
    const url = s.newUrl();

    await s.harness.invoke(createEvent(url, baseProperties));

    expect(onlyAnswer(s.server, url).Status).toBe('SUCCESS');
    expect(s.harness.logText()).toContain('could not remove the copy record; a later copy drops it once its deadline is long past');
    expect(s.harness.logText()).toContain('not authorized to perform: ecr:UntagResource');
    expect(recordKeys()).toHaveLength(1);
  });

  it('a failed copy removes its record too', async () => {
    copy.ecr.refuse = (step) => (step === 'manifest' ? new Response('{"errors":[{"code":"DENIED","message":"no"}]}', { status: 403 }) : undefined);
    const url = s.newUrl();

    await s.harness.invoke(createEvent(url, baseProperties));

    expect(onlyAnswer(s.server, url).Status).toBe('FAILED');
    expect(s.world.operations.filter((op) => op === 'ECR.TagResource' || op === 'ECR.UntagResource')).toEqual(['ECR.TagResource', 'ECR.UntagResource']);
    expect(recordKeys()).toEqual([]);
  });

  it('a first delivery looks for an earlier one without a warning; records it cannot read cost only a warning', async () => {
    const first = s.newUrl();
    await s.harness.invoke(createEvent(first, baseProperties));
    expect(onlyAnswer(s.server, first).Status).toBe('SUCCESS');
    expect(s.world.operations).toContain('ECR.ListTagsForResource');
    expect(s.harness.logText()).not.toContain('could not read the copy records');

    s.world.repositories.clear();
    let reads = 0;
    s.world.fault = (op) => (op === 'ECR.ListTagsForResource' && reads++ === 0 ? serviceError('AccessDeniedException', 'not authorized') : undefined);
    const harness = s.reconfigure({});
    const second = s.newUrl();
    await harness.invoke(createEvent(second, baseProperties));

    expect(onlyAnswer(s.server, second).Status).toBe('SUCCESS');
    expect(harness.logText()).toContain('could not read the copy records of the target repository; an earlier delivery of this request is not looked for');
  });

  it('a repository whose 50 tags are all live fails the copy naming the permissions, and removes none of them', async () => {
    s.world.addRepository(TARGET_REPOSITORY);
    const tags = s.world.repositories.get(TARGET_REPOSITORY)!.tags;
    for (let i = 0; i < 49; i++) tags.set(`team:${i}`, 'x');
    tags.set(`${RECORD_KEY_PREFIX}${'b'.repeat(64)}`, `deadline=${s.harness.clock.now() - 3_500_000} digest=none tag=source-tag`);
    const url = s.newUrl();

    await s.harness.invoke(createEvent(url, baseProperties));

    const answer = onlyAnswer(s.server, url);
    expect(answer.Status).toBe('FAILED');
    expect(answer.Reason).toContain(`Could not record the copy of ${SOURCE} on ECR repository ${TARGET_REPOSITORY}: `);
    expect(answer.Reason).toContain('at most 50 tags');
    expect(s.world.operations).not.toContain('ECR.UntagResource');
    expect(tags.size).toBe(50);
    expect(copy.ecr.uploaded).toEqual([]);
  });

  it('a source read cut by the end of the invocation hands over, counted as an invocation without progress; the next one copies', async () => {
    const config = (copy.image.platforms['linux/amd64']!.json as { config: { digest: string } }).config.digest;
    copy.quay.blobServing = (digest) => (digest === config ? { chunkDelayMs: 600_000 } : {});
    const url = s.newUrl();

    // 40 s: less work time than a source read may take (60 s), so the invocation's end cuts it.
    await s.harness.invoke(createEvent(url, baseProperties), { budgetMs: 40_000 });

    expect(s.server.answersFor(url)).toEqual([]);
    expect(s.world.deliveredInvokes).toHaveLength(1);
    expect((s.world.deliveredInvokes[0] as CopyPayload)[CONTINUATION_KEY].copy).toEqual({ stalled: 1 });
    expect(copy.ecr.uploaded).toEqual([]);

    copy.quay.blobServing = () => ({});
    await s.reconfigure({}).invoke(s.world.deliveredInvokes[0]);
    expect(onlyAnswer(s.server, url).Status).toBe('SUCCESS');
  });

  it('a source read that outlasts its own time limit fails the copy: only the end of the invocation hands over', async () => {
    const config = (copy.image.platforms['linux/amd64']!.json as { config: { digest: string } }).config.digest;
    copy.quay.blobServing = (digest) => (digest === config ? { chunkDelayMs: 600_000 } : {});
    // Reading the source may take 20 s here: less than the transport's three tries of 15 s each.
    const harness = s.reconfigure({ timing: { sourceResolutionMaxMs: 20_000 } });
    const url = s.newUrl();

    await harness.invoke(createEvent(url, baseProperties), { budgetMs: 900_000 });

    const answer = onlyAnswer(s.server, url);
    expect(answer.Status).toBe('FAILED');
    expect(answer.Reason).toContain('the registry quay.io did not answer within 20 s');
    expect(s.world.deliveredInvokes).toEqual([]);
  });
});
