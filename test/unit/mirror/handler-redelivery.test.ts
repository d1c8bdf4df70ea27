// What a container remembers between deliveries, seen from CloudFormation's side. Lambda delivers an asynchronous
// event at least once, often to the same container; a container that answered a request does not answer its
// redelivery again. Only an answer CloudFormation took counts: when every response PUT failed (or there was no time
// left to make one), the stack is still waiting, and a redelivery is the only way it can still get its answer.
// A continuation is answered only through a build that vouches for it: a function that cannot read its own
// configuration cannot check that, so it answers nothing (the ResponseURL may be anyone's).
import { describe, expect, it } from 'vitest';
import { createEvent, deleteEvent } from './fixtures/harness.js';
import { baseProperties, onlyAnswer, SOURCE_AMD64, TARGET_REPOSITORY, TARGET_REPOSITORY_URI, useScenario, type Scenario } from './fixtures/scenario.js';

/** PUT attempts the sender makes before it gives up (src/mirror/cfn/response.ts). */
const PUT_ATTEMPTS = 5;
/** Enough for a few polls, then a hand-over (the hand-over margin is a quarter of this). */
const SHORT_BUDGET_MS = 100_000;

/** The continuation event the first invocation handed over (a build that is still running). */
async function handedOver(s: Scenario, url: string): Promise<unknown> {
  s.world.buildScript = { statuses: ['IN_PROGRESS'] };
  await s.harness.invoke(createEvent(url, baseProperties), { budgetMs: SHORT_BUDGET_MS });
  expect(s.server.attemptsFor(url)).toEqual([]);
  const payload = s.world.invokes().at(-1)?.payload;
  expect(payload).toBeDefined();
  return payload;
}

describe('Function: handler (a redelivered request, in the same container)', () => {
  const s = useScenario();

  it.each([
    ['a Delete', (url: string) => deleteEvent(url, `${TARGET_REPOSITORY_URI}@${SOURCE_AMD64}`, baseProperties)],
    ['a Create whose image is already mirrored', (url: string) => createEvent(url, baseProperties)],
  ])('%s whose every response PUT failed is answered when Lambda delivers it again', async (_case, eventFor) => {
    s.world.addRepository(TARGET_REPOSITORY, { images: [SOURCE_AMD64] });
    const url = s.newUrl();
    const event = eventFor(url);
    s.server.failNextPuts(PUT_ATTEMPTS);
    await s.harness.invoke(event);
    expect(s.server.attemptsFor(url)).toHaveLength(PUT_ATTEMPTS);
    expect(s.server.answersFor(url)).toEqual([]);

    s.server.failNextPuts(0);
    await s.harness.invoke(event);
    expect(onlyAnswer(s.server, url).Status).toBe('SUCCESS');

    // Now CloudFormation has its answer: a third delivery is not answered again.
    await s.harness.invoke(event);
    expect(s.server.attemptsFor(url)).toHaveLength(PUT_ATTEMPTS + 1);
  });

  it('a request that had no time left to answer is answered when Lambda delivers it again', async () => {
    const url = s.newUrl();
    const event = deleteEvent(url, `${TARGET_REPOSITORY_URI}@${SOURCE_AMD64}`, baseProperties);
    // Less than the 1 s kept for returning plus the shortest attempt: nothing can be sent.
    await s.harness.invoke(event, { budgetMs: 1_100 });
    expect(s.server.attemptsFor(url)).toEqual([]);

    await s.harness.invoke(event);
    expect(onlyAnswer(s.server, url).Status).toBe('SUCCESS');
  });

  it('a continuation whose answer could not be sent is answered when Lambda delivers it again', async () => {
    const url = s.newUrl();
    const continuation = await handedOver(s, url);
    s.world.buildScript = { statuses: ['SUCCEEDED'] };
    s.server.failNextPuts(PUT_ATTEMPTS);
    await s.harness.invoke(continuation);
    expect(s.server.answersFor(url)).toEqual([]);

    s.server.failNextPuts(0);
    await s.harness.invoke(continuation);
    expect(onlyAnswer(s.server, url)).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: `${TARGET_REPOSITORY_URI}@${SOURCE_AMD64}` });
  });
});

describe('Function: handler (a continuation reaching a misconfigured function)', () => {
  const s = useScenario();

  it.each([
    ['no CodeBuild project', { CODEBUILD_PROJECT_NAME: undefined }],
    ['no region', { AWS_REGION: undefined }],
    ['a broken endpoint map', { REGISTRY_ENDPOINTS: '{not json' }],
  ])('answers nothing and calls nothing when the function has %s', async (_case, env) => {
    const url = s.newUrl();
    const continuation = await handedOver(s, url);
    const calls = s.world.awsCallCount();
    const broken = s.reconfigure({ env });

    const { threw } = await broken.invoke(continuation);

    expect(threw).toBeUndefined();
    expect(s.server.attemptsFor(url)).toEqual([]);
    expect(s.world.awsCallCount()).toBe(calls);
    expect(s.world.builds[0]!.stopped).toBe(false);
    expect(broken.logText()).toContain('the mirror function is misconfigured');
    // The same event, once the function is configured again, is answered from its build.
    s.world.buildScript = { statuses: ['SUCCEEDED'] };
    await s.reconfigure({}).invoke(continuation);
    expect(onlyAnswer(s.server, url).Status).toBe('SUCCESS');
  });
});
