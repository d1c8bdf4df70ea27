// How long the mirror function waits before asking CodeBuild again (BatchGetBuilds). A build spends its first
// tens of seconds queued and provisioning a container, when it cannot end; from then on it may end at any moment,
// and every second between its end and the next poll is a second CloudFormation waits for nothing. So: the slow
// interval (Timing.pollIntervalMs) until the build runs its buildspec, then ACTIVE_POLL_INTERVAL_MS.
//
// API budget: CodeBuild publishes no per-operation rate for BatchGetBuilds. One build costs about
// provisioning/10 s + running/2 s calls (a 60 s build after 30 s of provisioning: ~18 calls, 6 with a flat
// 10 s); a failed read falls back to the slow interval, so throttling is never answered with more calls.
import type { Timing } from '../core/timing.js';
import type { BuildReport } from '../ports/types.js';

/** Between polls once the build runs its buildspec: the goal is an answer within ~2 s of the build's end. */
export const ACTIVE_POLL_INTERVAL_MS = 2_000;

/** CodeBuild phases before the buildspec runs: the build cannot end here except by being stopped. */
const STARTING_PHASES = new Set(['SUBMITTED', 'QUEUED', 'PROVISIONING']);

/** The phase the build is in: CodeBuild's currentPhase, else the last reported phase that has not ended. */
export function currentPhaseOf(build: BuildReport): string | undefined {
  return build.currentPhase ?? build.phases.findLast((phase) => phase.endTime === undefined && phase.startTime !== undefined)?.type;
}

/**
 * Milliseconds to sleep before the next BatchGetBuilds. `build` is what the last call answered, undefined when
 * it failed. Never more than the slow interval (a test or operator may set that lower).
 */
export function nextPollDelayMs(build: BuildReport | undefined, timing: Pick<Timing, 'pollIntervalMs'>): number {
  const slow = timing.pollIntervalMs;
  if (build === undefined) return slow;
  const phase = currentPhaseOf(build);
  if (phase === undefined || STARTING_PHASES.has(phase)) return slow;
  return Math.min(slow, ACTIVE_POLL_INTERVAL_MS);
}
