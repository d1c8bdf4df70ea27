// Phase durations of a finished build, as BatchGetBuilds reports them and as the mirror function logs them.
import { BatchGetBuildsCommand, CodeBuildClient } from '@aws-sdk/client-codebuild';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { buildTimes, describeBuildTimes, logBuildTimes } from '../../../../src/mirror/build/phases.js';
import { loadConfig } from '../../../../src/mirror/core/config.js';
import type { LogExtra, MirrorLog } from '../../../../src/mirror/log.js';
import { createAwsPorts } from '../../../../src/mirror/ports/aws.js';
import type { BuildReport } from '../../../../src/mirror/ports/types.js';
import { MirrorEnv } from '../../../../src/contract.js';
import { unboundedCall } from '../../../support/call-context.js';

const codeBuild = mockClient(CodeBuildClient);
afterEach(() => codeBuild.reset());

function report(changes: Partial<BuildReport>): BuildReport {
  return { id: 'p:1', projectName: 'p', environment: {}, status: 'SUCCEEDED', phases: [], exportedVariables: {}, logGroupName: 'g', logStreamName: 's', ...changes };
}

describe('Function: buildTimes', () => {
  it("prefers CodeBuild's durationInSeconds, computes the rest from start and end, and leaves out COMPLETED", () => {
    const times = buildTimes(
      report({
        startTime: 0,
        endTime: 41_250,
        phases: [
          { type: 'QUEUED', status: 'SUCCEEDED', messages: [], startTime: 0, endTime: 900, durationSeconds: 0 },
          { type: 'PROVISIONING', status: 'SUCCEEDED', messages: [], startTime: 900, endTime: 20_950 },
          { type: 'BUILD', status: 'FAILED', messages: ['exit status 1'], startTime: 20_950, endTime: 41_250, durationSeconds: 20 },
          { type: 'COMPLETED', status: undefined, messages: [], startTime: 41_250 },
        ],
      }),
    );
    expect(times).toEqual({
      totalSeconds: 41.3,
      phases: [
        { phase: 'QUEUED', seconds: 0, status: 'SUCCEEDED' },
        { phase: 'PROVISIONING', seconds: 20.1, status: 'SUCCEEDED' },
        { phase: 'BUILD', seconds: 20, status: 'FAILED' },
      ],
    });
    expect(describeBuildTimes(times)).toBe('queued 0 s, provisioning 20.1 s, log in, copy, verify 20 s');
  });

  it('says so when CodeBuild reported no times, and logs once with the build id', () => {
    const lines: Array<[string, LogExtra | undefined]> = [];
    const log: MirrorLog = { debug: () => {}, info: (m, e) => lines.push([m, e]), warn: () => {}, error: () => {} };
    logBuildTimes(report({ status: 'FAULT' }), log);
    expect(lines).toEqual([['CodeBuild build FAULT: no phase times reported', { buildId: 'p:1', status: 'FAULT', totalSeconds: undefined, phaseSeconds: {} }]]);
  });
});

describe('Function: buildTimes (what CodeBuild left out)', () => {
  it('times only phases with a duration or both ends; COMPLETED never, even when it has both', () => {
    const times = buildTimes(
      report({
        startTime: 0,
        endTime: 12_000,
        phases: [
          { type: 'QUEUED', status: 'SUCCEEDED', messages: [], startTime: 0, endTime: 2_040 },
          { type: 'PROVISIONING', status: 'SUCCEEDED', messages: [], endTime: 9_000 },
          { type: 'NEW_PHASE', status: 'SUCCEEDED', messages: [], durationSeconds: 3 },
          { type: 'BUILD', status: undefined, messages: [], startTime: 9_000 },
          { type: 'COMPLETED', status: undefined, messages: [], startTime: 12_000, endTime: 12_000, durationSeconds: 0 },
        ],
      }),
    );
    expect(times).toEqual({
      totalSeconds: 12,
      phases: [
        { phase: 'QUEUED', seconds: 2, status: 'SUCCEEDED' },
        { phase: 'NEW_PHASE', seconds: 3, status: 'SUCCEEDED' },
      ],
    });
    // A phase this list does not know is shown by its own name, in lower case.
    expect(describeBuildTimes(times)).toBe('queued 2 s, new_phase 3 s');
  });

  it.each([
    ['no end', { startTime: 1_000 }],
    ['no start', { endTime: 1_000 }],
  ])('gives no total for a build with %s', (_case, ends) => {
    expect(buildTimes(report(ends)).totalSeconds).toBeUndefined();
  });
});

describe('Function: createAwsPorts().getBuild', () => {
  it('carries the phase times, the current phase and the build times of BatchGetBuilds (epoch milliseconds)', async () => {
    codeBuild.on(BatchGetBuildsCommand).resolves({
      builds: [
        {
          id: 'p:1',
          buildStatus: 'IN_PROGRESS',
          currentPhase: 'BUILD',
          startTime: new Date(1_000),
          phases: [
            { phaseType: 'PROVISIONING', phaseStatus: 'SUCCEEDED', startTime: new Date(1_000), endTime: new Date(9_000), durationInSeconds: 8 },
            { phaseType: 'BUILD', startTime: new Date(9_000) },
          ],
        },
      ],
    });
    const config = loadConfig(
      { AWS_REGION: 'eu-west-1', [MirrorEnv.ProjectName]: 'SysdigImageFix-mirror', [MirrorEnv.BuildLogGroupName]: '/aws/codebuild/SysdigImageFix-mirror' },
      'arn:aws:lambda:eu-west-1:123456789012:function:SysdigImageFix-mirror',
    );
    const build = await createAwsPorts(config).getBuild('p:1', unboundedCall());
    expect(build).toMatchObject({
      currentPhase: 'BUILD',
      startTime: 1_000,
      endTime: undefined,
      phases: [
        { type: 'PROVISIONING', status: 'SUCCEEDED', startTime: 1_000, endTime: 9_000, durationSeconds: 8 },
        { type: 'BUILD', status: undefined, startTime: 9_000, endTime: undefined, durationSeconds: undefined },
      ],
    });
  });
});
