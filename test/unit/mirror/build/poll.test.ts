// Adaptive polling of CodeBuild: slow while the build is queued or provisioning, every 2 s once it runs its
// buildspec (so CloudFormation hears of a finished copy within ~2 s instead of 5 s on average, 10 s at worst).
import { BatchGetBuildsCommand, StartBuildCommand } from '@aws-sdk/client-codebuild';
import { describe, expect, it } from 'vitest';
import { DEFAULT_TIMING } from '../../../../src/mirror/core/timing.js';
import { ACTIVE_POLL_INTERVAL_MS, currentPhaseOf, nextPollDelayMs } from '../../../../src/mirror/build/poll.js';
import type { BuildReport } from '../../../../src/mirror/ports/types.js';
import { createEvent } from '../fixtures/harness.js';
import { baseProperties, onlyAnswer, SOURCE_AMD64, useScenario } from '../fixtures/scenario.js';
import { LOG_GROUP } from '../fixtures/world.js';

const CODEBUILD_PHASES = ['SUBMITTED', 'QUEUED', 'PROVISIONING', 'DOWNLOAD_SOURCE', 'INSTALL', 'PRE_BUILD', 'BUILD', 'POST_BUILD', 'UPLOAD_ARTIFACTS', 'FINALIZING'] as const;

function report(changes: Partial<BuildReport> = {}): BuildReport {
  return { id: 'p:1', projectName: 'p', environment: {}, status: 'IN_PROGRESS', phases: [], exportedVariables: {}, logGroupName: 'g', logStreamName: 's', ...changes };
}

describe('Function: nextPollDelayMs', () => {
  it.each(CODEBUILD_PHASES.map((phase, index) => [phase, index < 3 ? DEFAULT_TIMING.pollIntervalMs : ACTIVE_POLL_INTERVAL_MS] as const))(
    'in %s waits %i ms',
    (phase, expected) => {
      expect(nextPollDelayMs(report({ currentPhase: phase }), DEFAULT_TIMING)).toBe(expected);
    },
  );

  it('polls every 2 s at most once the buildspec runs, never faster than 2 s, and never slower than the slow interval', () => {
    expect(ACTIVE_POLL_INTERVAL_MS).toBe(2_000);
    expect(nextPollDelayMs(report({ currentPhase: 'BUILD' }), { pollIntervalMs: 500 })).toBe(500);
    expect(nextPollDelayMs(report({ currentPhase: 'QUEUED' }), { pollIntervalMs: 500 })).toBe(500);
  });

  it('falls back to the slow interval when the last read failed or no phase is known (never hammers a throttled API)', () => {
    expect(nextPollDelayMs(undefined, DEFAULT_TIMING)).toBe(DEFAULT_TIMING.pollIntervalMs);
    expect(nextPollDelayMs(report(), DEFAULT_TIMING)).toBe(DEFAULT_TIMING.pollIntervalMs);
  });

  it('reads the phase from the phase list when currentPhase is missing: the last phase that started and has not ended', () => {
    const phases = [
      { type: 'SUBMITTED', status: 'SUCCEEDED', messages: [], startTime: 1_000, endTime: 1_500, durationSeconds: 0 },
      { type: 'PROVISIONING', status: 'SUCCEEDED', messages: [], startTime: 1_500, endTime: 9_000, durationSeconds: 7 },
      { type: 'INSTALL', status: undefined, messages: [], startTime: 9_000 },
    ];
    expect(currentPhaseOf(report({ phases }))).toBe('INSTALL');
    expect(nextPollDelayMs(report({ phases }), DEFAULT_TIMING)).toBe(ACTIVE_POLL_INTERVAL_MS);
    expect(currentPhaseOf(report({ phases: phases.slice(0, 2) }))).toBeUndefined();
    // A phase listed without a start has not begun: the one before it is where the build is.
    const listedAhead = [...phases, { type: 'BUILD', status: undefined, messages: [] }];
    expect(currentPhaseOf(report({ phases: listedAhead }))).toBe('INSTALL');
  });
});

describe('Function: the mirror handler polling a real-shaped build', () => {
  const s = useScenario();

  it('waits 10 s while queued and provisioning, then 2 s until the build ends, and logs where the time went', async () => {
    const t0 = new Date(Date.UTC(2025, 0, 1));
    const at = (seconds: number): Date => new Date(t0.getTime() + seconds * 1000);
    const sequence = ['QUEUED', 'PROVISIONING', 'INSTALL', 'BUILD', 'BUILD', 'COMPLETED'];
    let polls = 0;
    s.world.codeBuild.on(BatchGetBuildsCommand).callsFake(async (input: { ids: string[] }) => {
      const currentPhase = sequence[Math.min(polls++, sequence.length - 1)]!;
      const done = currentPhase === 'COMPLETED';
      return {
        builds: [
          {
            id: input.ids[0],
            buildStatus: done ? 'SUCCEEDED' : 'IN_PROGRESS',
            currentPhase,
            startTime: t0,
            ...(done ? { endTime: at(74) } : {}),
            phases: done
              ? [
                  { phaseType: 'SUBMITTED', phaseStatus: 'SUCCEEDED', startTime: t0, endTime: at(0), durationInSeconds: 0 },
                  { phaseType: 'QUEUED', phaseStatus: 'SUCCEEDED', startTime: at(0), endTime: at(1), durationInSeconds: 1 },
                  { phaseType: 'PROVISIONING', phaseStatus: 'SUCCEEDED', startTime: at(1), endTime: at(29), durationInSeconds: 28 },
                  { phaseType: 'INSTALL', phaseStatus: 'SUCCEEDED', startTime: at(29), endTime: at(50), durationInSeconds: 21 },
                  { phaseType: 'BUILD', phaseStatus: 'SUCCEEDED', startTime: at(50), endTime: at(72), durationInSeconds: 22 },
                  { phaseType: 'FINALIZING', phaseStatus: 'SUCCEEDED', startTime: at(72), endTime: at(74), durationInSeconds: 2 },
                  { phaseType: 'COMPLETED', startTime: at(74) },
                ]
              : [],
            ...(done ? { exportedEnvironmentVariables: [{ name: 'IMAGE_DIGEST', value: SOURCE_AMD64 }] } : {}),
            logs: { groupName: LOG_GROUP, streamName: 'stream' },
          },
        ],
      };
    });
    const url = s.newUrl();
    await s.harness.invoke(createEvent(url, baseProperties));

    expect(onlyAnswer(s.server, url).Status).toBe('SUCCESS');
    expect(s.world.codeBuild.commandCalls(StartBuildCommand)).toHaveLength(1);
    // A sleep follows each poll that saw the build running: QUEUED, PROVISIONING, then INSTALL, BUILD, BUILD.
    expect(s.harness.clock.sleeps).toEqual([10_000, 10_000, 2_000, 2_000, 2_000]);
    const line = s.harness.logOutput
      .filter((chunk) => chunk.startsWith('{'))
      .map((chunk) => JSON.parse(chunk) as Record<string, unknown>)
      .find((entry) => 'phaseSeconds' in entry);
    expect(line).toMatchObject({
      message: 'CodeBuild build SUCCEEDED in 74 s: submitted 0 s, queued 1 s, provisioning 28 s, install tools 21 s, log in, copy, verify 22 s, finalizing 2 s',
      totalSeconds: 74,
      phaseSeconds: { SUBMITTED: 0, QUEUED: 1, PROVISIONING: 28, INSTALL: 21, BUILD: 22, FINALIZING: 2 },
    });
  });
});
