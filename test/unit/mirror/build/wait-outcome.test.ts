// What CloudFormation is told when the build ends (build/wait.ts, finishBuild), and what the log says when the
// function stops a build: the digest the build exported, the build log it quotes, a build found ended at the
// deadline. Time is virtual (fixtures/harness.ts).
import { BatchGetBuildsCommand, StopBuildCommand } from '@aws-sdk/client-codebuild';
import { GetLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { describe, expect, it } from 'vitest';
import { MirrorEnv } from '../../../../src/contract.js';
import { createEvent } from '../fixtures/harness.js';
import { onlyLine } from '../fixtures/log-lines.js';
import { baseProperties, onlyAnswer, SOURCE, SOURCE_AMD64, TARGET_REPOSITORY_URI, useScenario, type Scenario } from '../fixtures/scenario.js';
import { BLACK_HOLE, digestOf, LOG_GROUP, PROJECT, REGION } from '../fixtures/world.js';

const START = Date.UTC(2025, 0, 1);
/** ServiceTimeout 60 s: the function gives up 54 s after the request (a tenth of it kept to answer in). */
const DEADLINE_OFFSET_MS = 54_000;

/** The console link every build Reason ends with, written out by hand. */
function linkOf(buildId: string): string {
  return `https://${REGION}.console.aws.amazon.com/codesuite/codebuild/123456789012/projects/${PROJECT}/build/${encodeURIComponent(buildId)}/?region=${REGION}`;
}

async function createAndAnswer(s: Scenario, properties: Record<string, string> = baseProperties) {
  const url = s.newUrl();
  await s.harness.invoke(createEvent(url, properties));
  return { answer: onlyAnswer(s.server, url), buildId: s.world.builds[0]?.id ?? '' };
}

describe('Function: waitForBuild (the digest a finished build exported)', () => {
  const s = useScenario();

  it('a build that succeeded without exporting IMAGE_DIGEST fails the resource and says the buildspec must export it', async () => {
    // CodeBuild reports the build SUCCEEDED with no exported variables at all.
    s.world.codeBuild.on(BatchGetBuildsCommand).callsFake(async (input: { ids: string[] }) => ({
      builds: input.ids.map((id) => ({ id, projectName: PROJECT, buildStatus: 'SUCCEEDED', exportedEnvironmentVariables: [] })),
    }));
    const { answer, buildId } = await createAndAnswer(s);
    expect(answer.Status).toBe('FAILED');
    expect(answer.Reason).toBe(
      `CodeBuild build ${buildId} copied ${SOURCE} but exported no valid IMAGE_DIGEST (got nothing); the buildspec must export the pushed digest. ${linkOf(buildId)}`,
    );
  });

  it('quotes at most 80 characters of an exported value that is not a digest', async () => {
    const exported = `sha256:${'z'.repeat(73)}${'TAIL'.repeat(10)}`;
    s.world.buildScript = { statuses: ['SUCCEEDED'], exportedDigest: exported };
    const { answer, buildId } = await createAndAnswer(s);
    expect(answer.Status).toBe('FAILED');
    expect(answer.Reason).toBe(
      `CodeBuild build ${buildId} copied ${SOURCE} but exported no valid IMAGE_DIGEST (got ${JSON.stringify(exported.slice(0, 80))}); ` +
        `the buildspec must export the pushed digest. ${linkOf(buildId)}`,
    );
    expect(answer.Reason).not.toContain('TAIL');
  });

  it('a pushed digest other than the platform manifest checked fails the resource, naming both digests and the platform', async () => {
    const pushed = digestOf('something else');
    s.world.buildScript = { statuses: ['SUCCEEDED'], exportedDigest: pushed };
    const { answer, buildId } = await createAndAnswer(s);
    expect(answer.Status).toBe('FAILED');
    expect(answer.Reason).toBe(
      `CodeBuild build ${buildId} pushed ${pushed} to ${TARGET_REPOSITORY_URI}, but the linux/amd64 manifest of ${SOURCE} is ${SOURCE_AMD64}: ` +
        `the copy did not preserve the digest, so the image is not the one that was checked. Check the build: ${linkOf(buildId)}`,
    );
  });
});

describe('Function: waitForBuild (a build that ended without the image)', () => {
  const s = useScenario();

  it('quotes the log of the group the build reports, not the one the function was configured with', async () => {
    s.reconfigure({ env: { [MirrorEnv.BuildLogGroupName]: '/aws/codebuild/renamed-later' } });
    s.world.buildScript = { statuses: ['FAILED'], logLines: ['skopeo: manifest unknown'] };
    const { answer, buildId } = await createAndAnswer(s);
    expect(answer.Status).toBe('FAILED');
    expect(answer.Reason).toContain('skopeo: manifest unknown');
    const reads = s.world.logs.commandCalls(GetLogEventsCommand).map((call) => call.args[0].input);
    expect(reads).toEqual([expect.objectContaining({ logGroupName: LOG_GROUP, logStreamName: buildId.split(':')[1] })]);
  });

  it('a build without a log stream is reported as such, and no log is read', async () => {
    s.world.buildScript = { statuses: ['FAILED'], noLogs: true, logLines: ['a line of some other stream'] };
    const { answer, buildId } = await createAndAnswer(s);
    expect(answer.Status).toBe('FAILED');
    expect(answer.Reason).toContain(`CodeBuild build ${buildId} copying ${SOURCE}`);
    expect(answer.Reason).toContain('Build log unavailable: the build reported no CloudWatch Logs stream');
    expect(answer.Reason).not.toContain('a line of some other stream');
    expect(s.world.logs.commandCalls(GetLogEventsCommand)).toEqual([]);
  });

  it('a build found FAILED at the deadline is reported as the failed build it is, not as a timeout', async () => {
    // Polls every 10 s from the start; the last sleep is cut to the deadline, and that poll finds the build FAILED.
    s.world.buildScript = { statuses: [...Array(6).fill('IN_PROGRESS'), 'FAILED'], logLines: ['skopeo: unauthorized'] };
    const { answer, buildId } = await createAndAnswer(s, { ...baseProperties, ServiceTimeout: '60' });
    expect(s.harness.clock.now()).toBe(START + DEADLINE_OFFSET_MS);
    expect(answer.Status).toBe('FAILED');
    expect(answer.Reason).toContain(`CodeBuild build ${buildId} copying ${SOURCE}`);
    expect(answer.Reason).toContain('ended FAILED');
    expect(answer.Reason).toContain('skopeo: unauthorized');
    expect(answer.Reason).not.toContain('ServiceTimeout');
    expect(s.world.codeBuild.commandCalls(StopBuildCommand)).toEqual([]);
  });

  it('a build found STOPPED exactly at the deadline was stopped for the deadline: the Reason says to raise ServiceTimeout', async () => {
    s.world.buildScript = { statuses: [...Array(6).fill('IN_PROGRESS'), 'STOPPED'], logLines: ['killed'] };
    const { answer, buildId } = await createAndAnswer(s, { ...baseProperties, ServiceTimeout: '60' });
    expect(s.harness.clock.now()).toBe(START + DEADLINE_OFFSET_MS);
    expect(answer.Status).toBe('FAILED');
    expect(answer.Reason).toBe(
      `CodeBuild build ${buildId} copying ${SOURCE} to ${TARGET_REPOSITORY_URI}:6.2.0 did not finish within the resource's ServiceTimeout and ` +
        `was stopped. Raise ServiceTimeout (SysdigImageFix metadata) or check the build: ${linkOf(buildId)}`,
    );
  });
});

describe('Function: waitForBuild (stopping the build at the deadline)', () => {
  const s = useScenario();

  it('logs the build it stopped', async () => {
    s.world.buildScript = { statuses: ['IN_PROGRESS'] };
    const { answer, buildId } = await createAndAnswer(s, { ...baseProperties, ServiceTimeout: '60' });
    expect(answer.Reason).toContain("did not finish within the resource's ServiceTimeout");
    expect(onlyLine(s.harness, 'stopped the build')).toMatchObject({ level: 'INFO', buildId });
    expect(s.harness.logText()).not.toContain('could not stop the build');
  });

  it('when StopBuild does not answer, still answers, and logs which build may still run and why', async () => {
    s.world.buildScript = { statuses: ['IN_PROGRESS'] };
    s.world.fault = (operation) => (operation === 'CodeBuild.StopBuild' ? BLACK_HOLE : undefined);
    const { answer, buildId } = await createAndAnswer(s, { ...baseProperties, ServiceTimeout: '60' });
    expect(answer.Status).toBe('FAILED');
    expect(answer.Reason).toContain("did not finish within the resource's ServiceTimeout");
    expect(onlyLine(s.harness, 'could not stop the build')).toMatchObject({ level: 'WARN', buildId, error: 'CodeBuild StopBuild did not answer within 20 s' });
    expect(s.harness.logText()).not.toContain('"stopped the build"');
  });
});
