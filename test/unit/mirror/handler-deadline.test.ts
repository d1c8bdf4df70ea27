// The resource's deadline as CloudFormation sees it: the request starts, ServiceTimeout seconds later CloudFormation
// gives up on its own. The function answers before that, keeping a margin (a tenth of ServiceTimeout, at most 30 s),
// whatever the poll interval and however the time was spent. Time is virtual (fixtures/harness.ts).
import { StartBuildCommand, StopBuildCommand } from '@aws-sdk/client-codebuild';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createEvent } from './fixtures/harness.js';
import { baseProperties, onlyAnswer, SOURCE, TARGET_REPOSITORY, useScenario } from './fixtures/scenario.js';
import { BLACK_HOLE } from './fixtures/world.js';

const START = Date.UTC(2025, 0, 1);
/** Deadlines that fall within one invocation of the default 900 s budget (later ones are a hand-over's, tested apart). */
const MAX_SERVICE_TIMEOUT = 780;

/** When the function gives up: ServiceTimeout less a tenth of it, at most 30 s (the margin to answer in). */
function deadlineOf(serviceTimeoutSeconds: number): number {
  return START + serviceTimeoutSeconds * 1000 - Math.min(30_000, serviceTimeoutSeconds * 100);
}

describe('Function: handler (the ServiceTimeout)', () => {
  const s = useScenario();

  it('stops a build that is still running at the deadline then, not a poll later, and answers before CloudFormation gives up', async () => {
    let runs = 0;
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: MAX_SERVICE_TIMEOUT }), fc.constantFrom(10_000, 4_000), async (serviceTimeout, pollIntervalMs) => {
        runs++;
        const harness = s.reconfigure({ timing: { pollIntervalMs } });
        s.world.buildScript = { statuses: ['IN_PROGRESS'] };
        const stops: number[] = [];
        s.world.fault = (operation) => {
          if (operation === 'CodeBuild.StopBuild') stops.push(harness.clock.now() - START);
          return undefined;
        };
        const url = s.newUrl();
        // Each run is its own request at the same virtual start.
        harness.clock.advance(START - harness.clock.now());
        await harness.invoke(createEvent(url, { ...baseProperties, ServiceTimeout: String(serviceTimeout) }));

        const answer = onlyAnswer(s.server, url);
        expect(answer.Status).toBe('FAILED');
        expect(answer.Reason).toContain("did not finish within the resource's ServiceTimeout");
        expect(stops).toEqual([deadlineOf(serviceTimeout) - START]);
        expect(harness.clock.now()).toBeLessThan(START + serviceTimeout * 1000);
      }),
      {
        numRuns: 40,
        examples: [
          [60, 10_000],
          [65, 10_000],
          [1, 10_000],
          [MAX_SERVICE_TIMEOUT, 4_000],
        ],
      },
    );
    expect(runs).toBeGreaterThanOrEqual(40);
  });

  it('starts no build when the deadline passed before the copy could start, and says to raise ServiceTimeout', async () => {
    // The source is read, the repository made; the check for the image in the target never answers, so the
    // deadline (13.5 s after the start) passes while it waits.
    s.world.fault = (operation) => (operation === 'ECR.DescribeImages' ? BLACK_HOLE : undefined);
    const url = s.newUrl();
    await s.harness.invoke(createEvent(url, { ...baseProperties, ServiceTimeout: '15' }));

    const answer = onlyAnswer(s.server, url);
    expect(answer.Status).toBe('FAILED');
    expect(answer.Reason).toContain(SOURCE);
    expect(answer.Reason).toMatch(/No time left within the resource's ServiceTimeout .*raise ServiceTimeout/);
    // The time ran out here, not in CodeBuild: the Reason must not send the user to look at CodeBuild.
    expect(answer.Reason).not.toContain('CodeBuild');
    expect(s.world.codeBuild.commandCalls(StartBuildCommand)).toEqual([]);
    expect(s.world.codeBuild.commandCalls(StopBuildCommand)).toEqual([]);
    expect(s.world.repositories.has(TARGET_REPOSITORY)).toBe(true);
    expect(s.harness.clock.now()).toBeLessThan(START + 15_000);
  });
});
