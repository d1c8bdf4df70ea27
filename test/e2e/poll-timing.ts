// How long CloudFormation waits between a copy job's end and the mirror function's answer, read from what the harness
// records: the build's end (local CodeBuild), every BatchGetBuilds call the function made for it (local AWS emulator,
// arrival times) and the answer's arrival on the ResponseURL server. Used by test/e2e/poll-delay.test.ts and the bench.
import type { AwsCall } from './harness/aws-emulator.js';
import type { Deployment } from './harness/deploy.js';

export interface BuildPollTiming {
  readonly buildId: string;
  /** The mirror resource the build was for. */
  readonly logicalId: string;
  /** Build end to the answer's arrival. */
  readonly answerDelayMs: number;
  /** Build end to the first BatchGetBuilds after it (the part polling decides). */
  readonly noticeDelayMs: number;
  /** Arrival of each BatchGetBuilds for this build, in order. */
  readonly polls: readonly number[];
  /** Gaps between consecutive polls, up to the first poll after the end. */
  readonly gaps: readonly number[];
}

/**
 * One entry per build of the deployment whose answer arrived. Builds are matched to requests by the source repository
 * (each build's SOURCE_IMAGE starts with the SourceImage its request carries, minus tag).
 */
export function pollTimings(deployment: Deployment, calls: readonly AwsCall[]): BuildPollTiming[] {
  const timings: BuildPollTiming[] = [];
  for (const build of deployment.builds) {
    if (build.endTime === undefined) continue;
    const ended = build.endTime.getTime();
    const source = (build.overrides.SOURCE_IMAGE ?? '').replace(/[:@].*$/, '');
    const request = deployment.requests.find(
      (r) => r.answeredAt !== undefined && String((r.event.ResourceProperties as Record<string, unknown>).SourceImage ?? '').startsWith(source),
    );
    if (request === undefined || source === '') continue;
    const polls = calls.filter((call) => call.operation === 'BatchGetBuilds' && ((call.input as { ids?: string[] }).ids ?? []).includes(build.id)).map((call) => call.at);
    const firstAfter = polls.findIndex((at) => at >= ended);
    if (firstAfter < 0) continue;
    const considered = polls.slice(0, firstAfter + 1);
    timings.push({
      buildId: build.id,
      logicalId: request.logicalId,
      answerDelayMs: request.answeredAt! - ended,
      noticeDelayMs: polls[firstAfter]! - ended,
      polls,
      gaps: considered.slice(1).map((at, index) => at - considered[index]!),
    });
  }
  return timings;
}
