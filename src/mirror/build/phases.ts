// Where a finished build's time went, from the phase data BatchGetBuilds returns, logged once per build: a user
// reading the mirror function's log sees what the first deployment waited for (queued, provisioning, installing
// skopeo, the copy...). The buildspec's own steps map to CodeBuild phases: INSTALL installs skopeo and jq when
// missing, PRE_BUILD checks the inputs, BUILD logs in, copies and verifies, POST_BUILD reports.
import type { MirrorLog } from '../log.js';
import type { BuildPhaseReport, BuildReport } from '../ports/types.js';

/** What each CodeBuild phase is in the mirror's copy job. */
export const PHASE_MEANING: Readonly<Record<string, string>> = {
  SUBMITTED: 'submitted',
  QUEUED: 'queued',
  PROVISIONING: 'provisioning',
  DOWNLOAD_SOURCE: 'download source',
  INSTALL: 'install tools',
  PRE_BUILD: 'check inputs',
  BUILD: 'log in, copy, verify',
  POST_BUILD: 'report',
  UPLOAD_ARTIFACTS: 'upload artifacts',
  FINALIZING: 'finalizing',
};

export interface PhaseTime {
  readonly phase: string;
  readonly seconds: number;
  readonly status: string | undefined;
}

export interface BuildTimes {
  /** StartBuild to the build's end, when CodeBuild reported both. */
  readonly totalSeconds: number | undefined;
  /** Phases that took time or ran, in CodeBuild's order; COMPLETED (a marker, no duration) is left out. */
  readonly phases: readonly PhaseTime[];
}

function phaseSeconds(phase: BuildPhaseReport): number | undefined {
  if (phase.durationSeconds !== undefined) return phase.durationSeconds;
  if (phase.startTime !== undefined && phase.endTime !== undefined) return Math.round((phase.endTime - phase.startTime) / 100) / 10;
  return undefined;
}

export function buildTimes(build: BuildReport): BuildTimes {
  const phases: PhaseTime[] = [];
  for (const phase of build.phases) {
    if (phase.type === 'COMPLETED') continue;
    const seconds = phaseSeconds(phase);
    if (seconds !== undefined) phases.push({ phase: phase.type, seconds, status: phase.status });
  }
  const totalSeconds = build.startTime !== undefined && build.endTime !== undefined ? Math.round((build.endTime - build.startTime) / 100) / 10 : undefined;
  return { totalSeconds, phases };
}

/** `queued 1 s, provisioning 28 s, install tools 21 s, ...` */
export function describeBuildTimes(times: BuildTimes): string {
  return times.phases.map(({ phase, seconds }) => `${PHASE_MEANING[phase] ?? phase.toLowerCase()} ${seconds} s`).join(', ');
}

/** Logs the phase durations of a build that has ended (one structured line: message, totals, seconds per phase). */
export function logBuildTimes(build: BuildReport, log: MirrorLog): void {
  const times = buildTimes(build);
  const total = times.totalSeconds === undefined ? '' : ` in ${times.totalSeconds} s`;
  log.info(`CodeBuild build ${build.status}${total}: ${describeBuildTimes(times) || 'no phase times reported'}`, {
    buildId: build.id,
    status: build.status,
    totalSeconds: times.totalSeconds,
    phaseSeconds: Object.fromEntries(times.phases.map(({ phase, seconds }) => [phase, seconds])),
  });
}
