// How a function copy (CopyEngine function) ends, as CloudFormation and the operator see it: the SUCCESS Reason, the
// log of a copy that ends or hands over, and every AWS call of the engine named when it does not answer or is refused
// (the copy record's TagResource, ListTagsForResource and UntagResource, the hand-over's Invoke), with the cause kept
// in the log. In-memory registries (copy-scenario.ts) and the simulated account on the virtual clock.
import { describe, expect, it } from 'vitest';
import { RECORD_KEY_PREFIX } from '../../../../src/mirror/copy/record.js';
import { recordedCopy, useCopyScenario } from '../fixtures/copy-scenario.js';
import { createEvent } from '../fixtures/harness.js';
import { baseProperties, onlyAnswer, SOURCE, TARGET_REPOSITORY, TARGET_REPOSITORY_URI } from '../fixtures/scenario.js';
import { BLACK_HOLE, serviceError } from '../fixtures/world.js';

describe('CopyEngine function: how a copy ends', () => {
  const { s, copy } = useCopyScenario();

  /** Layers that stream slower than a 100 s invocation lasts: the first invocation hands over. */
  function slowLayers(): void {
    const layers = new Set((copy.image.platforms['linux/amd64']!.json as { layers: { digest: string }[] }).layers.map((layer) => layer.digest));
    copy.quay.blobServing = (digest) => (layers.has(digest) ? { chunkDelayMs: 5_000, chunkBytes: 1024 } : {});
  }

  /** Fails `operation` (its `nth` call, counting from 1) with `error`. */
  function fault(operation: string, error: Error, nth = 1): void {
    let calls = 0;
    s.world.fault = (op) => (op === operation && ++calls === nth ? error : undefined);
  }

  /** The repository at ECR's 50-tag limit: 48 tags of the team, one record long past its deadline, one live. */
  function fullRepository(): Map<string, string> {
    s.world.addRepository(TARGET_REPOSITORY);
    const tags = s.world.repositories.get(TARGET_REPOSITORY)!.tags;
    for (let i = 0; i < 48; i++) tags.set(`team:${i}`, 'x');
    tags.set(`${RECORD_KEY_PREFIX}${'a'.repeat(64)}`, `deadline=${s.harness.clock.now() - 7_200_000} digest=none tag=source-tag`);
    tags.set(`${RECORD_KEY_PREFIX}${'b'.repeat(64)}`, `deadline=${s.harness.clock.now() + 600_000} digest=none tag=source-tag`);
    return tags;
  }

  async function answerFor(budgetMs = 900_000) {
    const url = s.newUrl();
    await s.harness.invoke(createEvent(url, baseProperties), { budgetMs });
    return { url, answers: s.server.answersFor(url) };
  }

  it('answers SUCCESS saying what it mirrored where, and logs that every blob is in the target', async () => {
    const digest = copy.image.platforms['linux/amd64']!.digest;

    const { answers } = await answerFor();

    expect(answers).toHaveLength(1);
    expect(answers[0]!.Reason).toBe(`Mirrored ${SOURCE} (linux/amd64) to ${TARGET_REPOSITORY_URI}@${digest} in the mirror function`);
    expect(s.harness.logText()).toMatch(/"message":"every blob is in the target".*"progress":"3 of 3 blobs \(/);
  });

  it('logs a hand-over: the invocation’s time is up, how far the copy got, and the source it hands over; a redelivery goes on with it', async () => {
    slowLayers();
    const url = s.newUrl();
    const event = createEvent(url, baseProperties);

    await s.harness.invoke(event, { budgetMs: 100_000 });

    expect(s.server.answersFor(url)).toEqual([]);
    const log = s.harness.logText();
    expect(log).toMatch(/"message":"this invocation's time is up; handing the rest of the copy over".*"progress":"1 of 3 blobs \(/);
    expect(log).toMatch(new RegExp(`"message":"handed the copy over to a new invocation".*"sourceImage":"${SOURCE}"`));
    // A hand-over is an outcome of its own: nothing is answered, and nothing goes wrong on the way.
    expect(log).not.toContain('unexpected failure in the mirror function');

    copy.quay.blobServing = () => ({});
    const again = s.reconfigure({});
    await again.invoke(event);
    expect(again.logText()).toMatch(
      new RegExp(`"message":"this request was delivered before and its copy is under way; going on with it".*"repositoryName":"${TARGET_REPOSITORY}"`),
    );
    expect(onlyAnswer(s.server, url).Status).toBe('SUCCESS');
  });

  it('names each call of the copy record that does not answer', async () => {
    // Recording the copy: TagResource.
    s.world.fault = (op) => (op === 'ECR.TagResource' ? BLACK_HOLE : undefined);
    let { answers } = await answerFor();
    expect(answers[0]!.Reason).toContain(`Could not record the copy of ${SOURCE} on ECR repository ${TARGET_REPOSITORY}: ECR TagResource did not answer within 20 s`);

    // At the 50-tag limit: the tags read again (the first read looked for an earlier delivery), then the stale record dropped.
    for (const [operation, nth, name] of [
      ['ECR.ListTagsForResource', 2, 'ECR ListTagsForResource'],
      ['ECR.UntagResource', 1, 'ECR UntagResource'],
    ] as const) {
      s.world.repositories.clear();
      fullRepository();
      fault(operation, BLACK_HOLE, nth);
      ({ answers } = await answerFor());
      expect(answers[0]!.Reason).toContain(`Could not record the copy of ${SOURCE} on ECR repository ${TARGET_REPOSITORY}: ${name} did not answer within 20 s`);
    }

    // Removing the record once answered: a warning naming the call.
    s.world.repositories.clear();
    s.world.fault = (op) => (op === 'ECR.UntagResource' ? BLACK_HOLE : undefined);
    ({ answers } = await answerFor());
    expect(answers[0]!.Status).toBe('SUCCESS');
    expect(s.harness.logText()).toMatch(/"message":"could not remove the copy record; .*"error":"ECR UntagResource did not answer within 20 s/);
  });

  it('names the read of a continuation’s record that does not answer, and the error of a first delivery’s read', async () => {
    const { continuation } = recordedCopy(s, baseProperties, { deadline: s.harness.clock.now() + 3_000_000, targetTagKind: 'source-tag' });
    s.world.fault = (op) => (op === 'ECR.ListTagsForResource' ? BLACK_HOLE : undefined);

    await s.harness.invoke(continuation);

    expect(s.world.deliveredInvokes).toHaveLength(1);
    expect(s.harness.logText()).toMatch(/"message":"could not read the copy record of a continuation".*"error":"ECR ListTagsForResource did not answer within 20 s/);

    s.world.fault = (op) => (op === 'ECR.ListTagsForResource' ? serviceError('AccessDeniedException', 'no ListTagsForResource for you') : undefined);
    const harness = s.reconfigure({});
    const url = s.newUrl();
    await harness.invoke(createEvent(url, baseProperties));
    expect(harness.logText()).toMatch(
      /"message":"could not read the copy records of the target repository; .*"error":"AccessDeniedException: no ListTagsForResource for you"/,
    );
  });

  it('a record ECR refuses for another reason than the tag limit fails the copy at once, and removes no other record', async () => {
    const tags = fullRepository();
    tags.delete(`team:0`);
    fault('ECR.TagResource', serviceError('AccessDeniedException', 'User is not authorized to perform: ecr:TagResource'));

    const { answers } = await answerFor();

    expect(answers[0]!.Reason).toContain('User is not authorized to perform: ecr:TagResource');
    expect(s.world.operations.filter((op) => op === 'ECR.ListTagsForResource')).toHaveLength(1);
    expect(s.world.operations).not.toContain('ECR.UntagResource');
    expect(tags.size).toBe(49);
    // The log keeps ECR's own error as the cause.
    expect(s.harness.logText()).toMatch(/"message":"the request failed".*"cause":\{"name":"AccessDeniedException"/);
  });

  it('a hand-over Lambda refuses or never answers fails the copy naming the call and the permission, the cause kept in the log', async () => {
    slowLayers();
    s.world.fault = (op) => (op === 'Lambda.Invoke' ? serviceError('AccessDeniedException', 'not authorized to perform: lambda:InvokeFunction') : undefined);
    let { answers } = await answerFor(100_000);
    expect(answers[0]!.Reason).toBe(
      `Could not hand the copy of ${SOURCE} over to a new invocation of the mirror function: AccessDeniedException: not authorized to perform: lambda:InvokeFunction. ` +
        "The function's role must allow lambda:InvokeFunction on the function itself",
    );
    expect(s.harness.logText()).toMatch(/"message":"the request failed".*"cause":\{"name":"AccessDeniedException"/);

    s.world.fault = (op) => (op === 'Lambda.Invoke' ? BLACK_HOLE : undefined);
    s.world.repositories.clear();
    ({ answers } = await answerFor(100_000));
    expect(answers[0]!.Reason).toContain('Lambda Invoke (hand-over to a new invocation) did not answer within');
  });
});
