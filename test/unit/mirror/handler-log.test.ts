// What the mirror function's log tells an operator about each event, read as the JSON lines Powertools prints: what
// arrived (redacted), what was answered, what was not answered and why. A hand-over and a redelivery are ordinary
// events: they log no error (log-based alarms count ERROR lines).
import { describe, expect, it } from 'vitest';
import { CONTINUATION_KEY, CONTINUATION_VERSION } from '../../../src/mirror/cfn/events.js';
import { createEvent, type Harness } from './fixtures/harness.js';
import { logLines, onlyLine } from './fixtures/log-lines.js';
import { baseProperties, onlyAnswer, SOURCE_AMD64, TARGET_REPOSITORY_URI, useScenario } from './fixtures/scenario.js';
import { PROJECT } from './fixtures/world.js';

const levels = (harness: Harness): string[] => logLines(harness).map((line) => line.level);

describe('Function: handler (what its log says)', () => {
  const s = useScenario();

  it('logs the event it received, redacted, and the answer it sends', async () => {
    const url = s.newUrl();
    const event = createEvent(url, baseProperties);
    await s.harness.invoke(event);
    expect(onlyAnswer(s.server, url).Status).toBe('SUCCESS');
    expect(onlyLine(s.harness, 'received event')).toMatchObject({
      level: 'INFO',
      kind: 'create-or-update',
      event: { RequestType: 'Create', RequestId: event.RequestId, ResponseURL: '[redacted]', ResourceProperties: baseProperties },
    });
    expect(onlyLine(s.harness, 'answering')).toMatchObject({ status: 'SUCCESS', physicalResourceId: `${TARGET_REPOSITORY_URI}@${SOURCE_AMD64}` });
    expect(levels(s.harness)).not.toContain('ERROR');
  });

  it('says why a redelivery of an answered request is not answered again', async () => {
    const url = s.newUrl();
    const event = createEvent(url, baseProperties);
    await s.harness.invoke(event);
    await s.harness.invoke(event);
    expect(s.server.attemptsFor(url)).toHaveLength(1);
    expect(onlyLine(s.harness, 'this request was already answered by this container; a redelivery is not answered again')).toMatchObject({
      level: 'INFO',
      kind: 'create-or-update',
    });
  });

  it('logs a hand-over as progress, not as an error', async () => {
    s.world.buildScript = { statuses: ['IN_PROGRESS'] };
    const url = s.newUrl();
    await s.harness.invoke(createEvent(url, baseProperties), { budgetMs: 100_000 });
    expect(s.world.invokes()).toHaveLength(1);
    expect(s.server.attemptsFor(url)).toEqual([]);
    expect(onlyLine(s.harness, 'handed the wait over to a new invocation')).toMatchObject({ level: 'INFO' });
    expect(levels(s.harness)).not.toContain('ERROR');
  });

  it('answers nothing for a continuation no build vouches for, even when its properties are invalid, and says why', async () => {
    const url = s.newUrl();
    const request = createEvent(url, { SourceImage: 'a;rm -rf /', Bogus: 'x' });
    const buildId = `${PROJECT}:0b7c3f5e-0000-4000-8000-000000000002`;
    await s.harness.invoke({ [CONTINUATION_KEY]: { version: CONTINUATION_VERSION, request, buildId } });
    expect(s.server.attemptsFor(url)).toEqual([]);
    expect(onlyLine(s.harness, 'ignored a continuation event that no build or copy record of this function vouches for')).toMatchObject({
      level: 'ERROR',
      reason: `CodeBuild does not know build ${buildId}`,
    });
  });

  it('names the configuration problem in its log when the function is misconfigured', async () => {
    const broken = s.reconfigure({ env: { CODEBUILD_PROJECT_NAME: undefined } });
    const url = s.newUrl();
    await broken.invoke(createEvent(url, baseProperties));
    expect(onlyAnswer(s.server, url).Status).toBe('FAILED');
    const line = onlyLine(broken, 'the mirror function is misconfigured');
    expect(line.level).toBe('ERROR');
    expect(JSON.stringify(line.error)).toContain('CODEBUILD_PROJECT_NAME');
  });
});

describe('Function: handler (timing it is given)', () => {
  const s = useScenario({ timing: { pollIntervalMs: 3_000 } });

  it('polls the build at the interval it is configured with', async () => {
    s.world.buildScript = { statuses: ['IN_PROGRESS', 'IN_PROGRESS', 'SUCCEEDED'] };
    const url = s.newUrl();
    await s.harness.invoke(createEvent(url, baseProperties));
    expect(onlyAnswer(s.server, url).Status).toBe('SUCCESS');
    expect(s.harness.clock.sleeps).toEqual([3_000, 3_000]);
  });
});
