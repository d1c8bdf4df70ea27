// Forged and replayed continuations of the function engine (CopyEngine function). There is no build to vouch for a
// copy: the target repository's copy record does (a tag only this function writes, keyed on the SHA-256 of the whole
// request, presigned ResponseURL included). A continuation that no record names pushes nothing, tags nothing, hands
// nothing over and answers nothing; extra fields in a genuine one steer nothing (the plan comes from the request, the
// deadline and digest from the record, the progress from what the target holds).
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { CONTINUATION_KEY } from '../../../src/mirror/cfn/events.js';
import { SOURCE_TAG, useCopyScenario } from './fixtures/copy-scenario.js';
import { createEvent, updateEvent } from './fixtures/harness.js';
import { baseProperties, onlyAnswer, TARGET_REPOSITORY, TARGET_REPOSITORY_URI } from './fixtures/scenario.js';
import { ECR_HOST } from './fixtures/world.js';

const SHORT_BUDGET_MS = 100_000;

interface CopyPayload {
  [CONTINUATION_KEY]: { version: number; request: ReturnType<typeof createEvent>; copy: Record<string, unknown> };
}

const tally = { forged: 0, caused: 0 };

describe('Function: handler with CopyEngine function (forged and replayed continuations)', () => {
  const { s, copy } = useCopyScenario();

  afterAll(() => console.log(`forged copy continuations tried: ${tally.forged}; ones that caused anything: ${tally.caused}`));

  function effects() {
    const writes = copy.registries.requests.filter((request) => request.method !== 'GET' && request.method !== 'HEAD').length;
    const tagging = s.world.operations.filter((op) => op === 'ECR.TagResource' || op === 'ECR.UntagResource').length;
    return { writes, tagging, handOvers: s.world.deliveredInvokes.length, answers: s.server.requests.length };
  }

  async function forge(event: unknown): Promise<ReturnType<typeof effects>> {
    const before = effects();
    const { threw } = await s.reconfigure({}).invoke(event, { budgetMs: SHORT_BUDGET_MS });
    expect(threw).toBeUndefined();
    const after = effects();
    const caused = {
      writes: after.writes - before.writes,
      tagging: after.tagging - before.tagging,
      handOvers: after.handOvers - before.handOvers,
      answers: after.answers - before.answers,
    };
    tally.forged++;
    if (Object.values(caused).some((n) => n !== 0)) tally.caused++;
    return caused;
  }

  /** A copy whose first invocation handed over mid-layer: its genuine continuation. */
  async function copyUnderWay(): Promise<{ url: string; continuation: CopyPayload }> {
    copy.quay.blobServing = () => ({ chunkDelayMs: 5_000, chunkBytes: 1024 });
    const url = s.newUrl();
    await s.harness.invoke(createEvent(url, baseProperties), { budgetMs: SHORT_BUDGET_MS });
    const continuation = s.world.deliveredInvokes.at(-1) as CopyPayload;
    expect(Object.keys(continuation[CONTINUATION_KEY].copy)).toEqual([]);
    copy.quay.blobServing = () => ({});
    return { url, continuation };
  }

  const nothing = { writes: 0, tagging: 0, handOvers: 0, answers: 0 };

  it('a continuation for a request no copy record names (the forger’s own) causes nothing', async () => {
    s.world.addRepository(TARGET_REPOSITORY);
    const caused = await forge({ [CONTINUATION_KEY]: { version: 2, request: createEvent(s.newUrl(), baseProperties), copy: {} } });
    expect(caused).toEqual(nothing);
    expect(s.harness.logText() + s.world.operations.join(' ')).toContain('ECR.ListTagsForResource');
  });

  it('forged continuations of every shape, against a copy under way, cause nothing; its genuine continuation still finishes it', async () => {
    const { url, continuation } = await copyUnderWay();
    const victim = continuation[CONTINUATION_KEY].request;
    const request = fc.oneof(
      fc.constant(0).map(() => createEvent(s.newUrl(), baseProperties)),
      fc.constantFrom('RequestId', 'StackId', 'LogicalResourceId', 'ResponseURL').map((field) => ({ ...victim, [field]: `${victim[field]}-x` })),
      fc.constantFrom('quay.io/sysdig/serverless-patcher:6.1.0', `${ECR_HOST}/other/repo:1`, 'quay.io/evil/image:1').map((image) => ({
        ...victim,
        ResourceProperties: { ...victim.ResourceProperties, SourceImage: image },
      })),
      fc.constant(0).map(() => ({ ...victim, ResourceProperties: { ...victim.ResourceProperties, Architecture: 'arm64' } })),
      fc.constant(0).map(() => ({ ...victim, ResourceProperties: { ...victim.ResourceProperties, RepositoryName: 'sysdig-image-fix/evil' } })),
      fc.constant(0).map(() => updateEvent(s.newUrl(), `${TARGET_REPOSITORY_URI}@sha256:${'0'.repeat(64)}`, baseProperties, baseProperties)),
    );
    const extras = fc.record(
      {
        stalled: fc.nat({ max: 5 }),
        readFailures: fc.nat({ max: 10 }),
        deadline: fc.integer(),
        plan: fc.constant({ kind: 'copy', repositoryUri: '999999999999.dkr.ecr.us-east-1.amazonaws.com/x' }),
      },
      { requiredKeys: [] },
    );
    let runs = 0;
    await fc.assert(
      fc.asyncProperty(request, extras, fc.constantFrom(1, 2, 3), async (forgedRequest, extra, version) => {
        runs++;
        expect(await forge({ [CONTINUATION_KEY]: { version, request: forgedRequest, copy: extra } })).toEqual(nothing);
      }),
      { numRuns: 60, seed: 19 },
    );
    expect(runs).toBe(60);
    await s.reconfigure({}).invoke(continuation);
    expect(onlyAnswer(s.server, url).Status).toBe('SUCCESS');
  }, 60_000);

  it('extra fields in a genuine continuation steer nothing: the target, digest and deadline come from the request and the record', async () => {
    const { url, continuation } = await copyUnderWay();
    const body = continuation[CONTINUATION_KEY];
    const steered = {
      [CONTINUATION_KEY]: {
        ...body,
        plan: { repositoryName: 'evil/repo', repositoryUri: '999999999999.dkr.ecr.us-east-1.amazonaws.com/evil/repo' },
        deadline: Number.MAX_SAFE_INTEGER,
        expectedDigest: `sha256:${'e'.repeat(64)}`,
        copy: { stalled: 0, targetImage: '999999999999.dkr.ecr.us-east-1.amazonaws.com/evil/repo:1' },
      },
    };
    await s.reconfigure({}).invoke(steered);
    const answer = onlyAnswer(s.server, url);
    expect(answer.Status).toBe('SUCCESS');
    expect(answer.PhysicalResourceId).toBe(`${TARGET_REPOSITORY_URI}@${copy.image.platforms['linux/amd64']!.digest}`);
    expect(new Set(copy.ecr.pushedManifests.map((manifest) => manifest.repository))).toEqual(new Set([TARGET_REPOSITORY]));
    expect(copy.ecr.manifest(TARGET_REPOSITORY, SOURCE_TAG)!.digest).toBe(copy.image.platforms['linux/amd64']!.digest);
  });

  it('a continuation delivered again after its answer is not answered again: its record is gone', async () => {
    const { url, continuation } = await copyUnderWay();
    await s.reconfigure({}).invoke(continuation);
    expect(onlyAnswer(s.server, url).Status).toBe('SUCCESS');
    expect(await forge(continuation)).toEqual(nothing);
    expect(s.server.answersFor(url)).toHaveLength(1);
  });
});
