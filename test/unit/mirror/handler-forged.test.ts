// Events nobody should be able to forge or replay. Anyone allowed to invoke the mirror function (every stack
// deployer) can send it anything, including its own hand-over format. A continuation is acted on only through a
// build of this function's project that was started for exactly that request (the binding in the build's
// environment): a forged one stops nothing, starts nothing, hands nothing over and answers nothing. Lambda
// delivers events at least once: a redelivered Create finds the build its first delivery started, and any second
// answer is identical to the first.
import { StartBuildCommand, StopBuildCommand } from '@aws-sdk/client-codebuild';
import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { createEvent, updateEvent } from './fixtures/harness.js';
import { baseProperties, SOURCE_AMD64, TARGET_REPOSITORY_URI, useScenario, type Scenario } from './fixtures/scenario.js';
import { ECR_HOST, PROJECT } from './fixtures/world.js';

const START = Date.UTC(2025, 0, 1);
/** Enough for a few polls, then a hand-over. */
const SHORT_BUDGET_MS = 100_000;

interface Payload {
  sysdigImageFixContinuation: { request: { ResponseURL: string } & Record<string, unknown>; buildId: string };
}

/** A deployment whose build is still running after its first invocation handed over: its build and continuation. */
async function runningDeployment(s: Scenario): Promise<{ url: string; buildId: string; continuation: Payload }> {
  s.world.buildScript = { statuses: ['IN_PROGRESS'] };
  const url = s.newUrl();
  await s.harness.invoke(createEvent(url, baseProperties), { budgetMs: SHORT_BUDGET_MS });
  const continuation = s.world.invokes().at(-1)!.payload as Payload;
  return { url, buildId: continuation.sysdigImageFixContinuation.buildId, continuation };
}

function effects(s: Scenario) {
  return {
    stops: s.world.codeBuild.commandCalls(StopBuildCommand).length,
    starts: s.world.codeBuild.commandCalls(StartBuildCommand).length,
    handOvers: s.world.invokes().length,
    puts: s.server.requests.length,
  };
}

const tally = { forged: 0, stopped: 0, started: 0, handedOver: 0, answered: 0, replayed: 0, replayAnswersDiffering: 0 };

describe('Function: handler (forged and replayed events)', () => {
  const s = useScenario();

  afterAll(() => {
    console.log(
      `forged continuations tried: ${tally.forged} (stopped ${tally.stopped}, started ${tally.started}, handed over ${tally.handedOver}, ` +
        `answered ${tally.answered}); genuine events replayed: ${tally.replayed} (answers differing from the first: ${tally.replayAnswersDiffering})`,
    );
  });

  /** Sends a forged event and tallies what it caused beyond `before`. */
  async function forge(event: unknown): Promise<ReturnType<typeof effects>> {
    const before = effects(s);
    const { threw } = await s.harness.invoke(event, { budgetMs: SHORT_BUDGET_MS });
    expect(threw).toBeUndefined();
    const after = effects(s);
    const caused = {
      stops: after.stops - before.stops,
      starts: after.starts - before.starts,
      handOvers: after.handOvers - before.handOvers,
      puts: after.puts - before.puts,
    };
    tally.forged++;
    tally.stopped += caused.stops;
    tally.started += caused.starts;
    tally.handedOver += caused.handOvers;
    tally.answered += caused.puts;
    return caused;
  }

  it("a continuation naming another deployment's build, with deadline 0 (the old format), stops nothing and answers nothing", async () => {
    const victim = await runningDeployment(s);
    const attackerUrl = s.newUrl();
    const attacker = createEvent(attackerUrl, baseProperties);
    const caused = await forge({
      sysdigImageFixContinuation: {
        ...victim.continuation.sysdigImageFixContinuation,
        version: 1,
        request: attacker,
        deadline: 0,
        plan: (victim.continuation as unknown as { plan?: unknown }).plan,
      },
    });
    expect(caused).toEqual({ stops: 0, starts: 0, handOvers: 0, puts: 0 });
    // The same in the current format: the build says it was started for another request.
    expect(await forge({ sysdigImageFixContinuation: { version: 2, request: attacker, buildId: victim.buildId } })).toEqual({ stops: 0, starts: 0, handOvers: 0, puts: 0 });
    expect(s.harness.logText()).toContain(`build ${victim.buildId} was started for another request`);
    expect(s.world.builds[0]!.stopped).toBe(false);
  });

  it('a continuation with a future deadline and a plan in another account, outside the prefix, answers nothing', async () => {
    s.world.buildScript = { statuses: ['SUCCEEDED'] };
    await s.harness.invoke(createEvent(s.newUrl(), baseProperties));
    const buildId = s.world.builds[0]!.id;
    const attackerUrl = s.newUrl();
    const foreign = '999999999999.dkr.ecr.us-east-1.amazonaws.com/evil/repo';
    const caused = await forge({
      sysdigImageFixContinuation: {
        version: 1,
        request: createEvent(attackerUrl, baseProperties),
        buildId,
        deadline: START + 86_400_000,
        expectedDigest: SOURCE_AMD64,
        plan: {
          kind: 'copy',
          sourceImage: 'quay.io/sysdig/serverless-patcher:6.2.0',
          architecture: 'x86_64',
          platform: 'linux/amd64',
          repositoryName: 'evil/repo',
          repositoryUri: foreign,
          targetImage: `${foreign}:6.2.0`,
        },
      },
    });
    expect(caused).toEqual({ stops: 0, starts: 0, handOvers: 0, puts: 0 });
    expect(s.server.answersFor(attackerUrl)).toEqual([]);
  });

  it('a continuation delivered twice is answered once by the container that answered it, identically by any other', async () => {
    const { url, continuation } = await runningDeployment(s);
    s.world.buildScript = { statuses: ['SUCCEEDED'] };
    await s.harness.invoke(continuation);
    await s.harness.invoke(continuation);
    tally.replayed++;
    const first = s.server.answersFor(url);
    expect(first).toHaveLength(1);
    expect(first[0]!.Status).toBe('SUCCESS');
    // Another container knows nothing of the first answer: it answers, exactly the same.
    const other = s.reconfigure({});
    await other.invoke(continuation);
    tally.replayed++;
    const bodies = s.server.requests.filter((r) => r.accepted && r.path === new URL(url).pathname + new URL(url).search).map((r) => r.body);
    expect(bodies).toHaveLength(2);
    expect(bodies[1]).toBe(bodies[0]);
    expect(effects(s).stops).toBe(0);
  });

  it('a Create delivered twice 6 minutes apart (past the idempotency token) starts one build, and every answer is the same', async () => {
    s.world.buildScript = { statuses: [...Array(40).fill('IN_PROGRESS'), 'SUCCEEDED'] };
    const url = s.newUrl();
    const create = createEvent(url, baseProperties);
    await s.harness.invoke(create, { budgetMs: SHORT_BUDGET_MS });
    s.harness.clock.advance(6 * 60_000);
    await s.harness.invoke(create, { budgetMs: SHORT_BUDGET_MS });
    tally.replayed++;
    expect(s.world.codeBuild.commandCalls(StartBuildCommand)).toHaveLength(1);
    expect(s.world.builds).toHaveLength(1);
    expect(s.harness.logText()).toContain('this request was delivered before and already has its build');
    // Both deliveries handed over; each chain, run in its own container, ends in the same answer.
    const chains = s.world.invokes().map((invoke) => invoke.payload);
    expect(chains).toHaveLength(2);
    for (const payload of chains) {
      let next: unknown = payload;
      for (let hop = 0; hop < 20 && next !== undefined; hop++) {
        const container = s.reconfigure({});
        container.clock.advance(7 * 60_000);
        const count = s.world.invokes().length;
        await container.invoke(next, { budgetMs: SHORT_BUDGET_MS });
        next = s.world.invokes().length > count ? s.world.invokes().at(-1)!.payload : undefined;
      }
    }
    const bodies = s.server.requests.filter((r) => r.accepted && r.path === new URL(url).pathname + new URL(url).search).map((r) => r.body);
    expect(bodies).toHaveLength(2);
    expect(new Set(bodies).size).toBe(1);
    expect(JSON.parse(bodies[0]!).PhysicalResourceId).toBe(`${TARGET_REPOSITORY_URI}@${SOURCE_AMD64}`);
  });

  it('a continuation redelivered after the deadline stopped its build answers exactly what the first delivery answered', async () => {
    s.world.buildScript = { statuses: ['IN_PROGRESS'] };
    const url = s.newUrl();
    await s.harness.invoke(createEvent(url, { ...baseProperties, ServiceTimeout: '120' }), { budgetMs: 60_000 });
    const continuation = s.world.invokes().at(-1)!.payload;
    const first = s.reconfigure({});
    first.clock.advance(10 * 60_000);
    await first.invoke(continuation);
    const again = s.reconfigure({});
    again.clock.advance(20 * 60_000);
    await again.invoke(continuation);
    tally.replayed++;
    const bodies = s.server.requests.filter((r) => r.accepted && r.path === new URL(url).pathname + new URL(url).search).map((r) => r.body);
    expect(bodies).toHaveLength(2);
    expect(JSON.parse(bodies[0]!).Reason).toContain("did not finish within the resource's ServiceTimeout");
    if (bodies[1] !== bodies[0]) tally.replayAnswersDiffering++;
    expect(bodies[1]).toBe(bodies[0]);
    expect(s.world.codeBuild.commandCalls(StopBuildCommand)).toHaveLength(1);
  });

  it('forged continuations of every shape, against running and finished builds of this and other projects, cause nothing', async () => {
    const victim = await runningDeployment(s);
    s.world.buildScript = { statuses: ['IN_PROGRESS'] };
    const genuine = victim.continuation.sysdigImageFixContinuation;
    const victimRequest = genuine.request as unknown as ReturnType<typeof createEvent>;
    const request = fc.oneof(
      // The attacker's own request (their own ResponseURL), or the victim's with one field changed.
      fc.constant('own' as const).map(() => createEvent(s.newUrl(), baseProperties)),
      fc.constantFrom('RequestId', 'StackId', 'LogicalResourceId').map((field) => ({ ...victimRequest, [field]: `${victimRequest[field]}-x` })),
      fc.constantFrom('quay.io/sysdig/serverless-patcher:6.1.0', `${ECR_HOST}/other/repo:1`, 'quay.io/evil/image:1').map((image) => ({
        ...victimRequest,
        ResourceProperties: { ...victimRequest.ResourceProperties, SourceImage: image },
      })),
      fc.constant(0).map(() => ({ ...victimRequest, ResourceProperties: { ...victimRequest.ResourceProperties, RepositoryName: 'evil/repo' } })),
      fc.constant(0).map(() => ({ ...victimRequest, ResourceProperties: { ...victimRequest.ResourceProperties, Architecture: 'arm64' } })),
      fc.constant(0).map(() => updateEvent(s.newUrl(), `${TARGET_REPOSITORY_URI}@${SOURCE_AMD64}`, baseProperties, baseProperties)),
    );
    const buildId = fc.oneof(
      fc.constant(victim.buildId),
      fc.uuid().map((uuid) => `${PROJECT}:${uuid}`),
      fc.uuid().map((uuid) => `another-project:${uuid}`),
    );
    const extras = fc.record(
      {
        deadline: fc.oneof(fc.constant(0), fc.integer()),
        pollFailures: fc.nat({ max: 10 }),
        plan: fc.constant({ kind: 'copy', repositoryUri: '999999999999.dkr.ecr.us-east-1.amazonaws.com/x' }),
      },
      { requiredKeys: [] },
    );
    const version = fc.constantFrom(1, 2, 3);
    let runs = 0;
    await fc.assert(
      fc.asyncProperty(request, buildId, extras, version, async (forgedRequest, id, extra, v) => {
        runs++;
        const caused = await forge({ sysdigImageFixContinuation: { ...extra, version: v, request: forgedRequest, buildId: id } });
        expect(caused).toEqual({ stops: 0, starts: 0, handOvers: 0, puts: 0 });
      }),
      { numRuns: 150, seed: 9 },
    );
    expect(runs).toBe(150);
    // The victim's own build runs on, and its genuine continuation still works.
    expect(s.world.builds[0]!.stopped).toBe(false);
    s.world.buildScript = { statuses: ['SUCCEEDED'] };
    await s.harness.invoke(victim.continuation);
    expect(s.server.answersFor(victim.url).map((a) => a.Status)).toEqual(['SUCCESS']);
  }, 60_000);

  it('a build id unknown to CodeBuild, or whose builds cannot be read, leads to no stop', async () => {
    const caused = await forge({ sysdigImageFixContinuation: { version: 2, request: createEvent(s.newUrl(), baseProperties), buildId: `${PROJECT}:${randomUUID()}` } });
    expect(caused).toEqual({ stops: 0, starts: 0, handOvers: 0, puts: 0 });
    expect(s.harness.logText()).toContain('CodeBuild does not know build');
  });
});
