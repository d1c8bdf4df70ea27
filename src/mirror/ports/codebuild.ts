// The CodeBuild adapter: start, list, read and stop builds, read as BuildReports.
import { BatchGetBuildsCommand, type Build, type CodeBuildClient, ListBuildsForProjectCommand, StartBuildCommand, StopBuildCommand } from '@aws-sdk/client-codebuild';
import { sendOptions } from './sdk.js';
import type { AwsPorts, BuildReport } from './types.js';

/** BatchGetBuilds takes at most 100 ids: one page of ListBuildsForProject. */
const MAX_BATCH_GET_BUILDS = 100;

function variables(list: ReadonlyArray<{ name?: string; value?: string }> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const variable of list ?? []) if (variable.name !== undefined && variable.value !== undefined) out[variable.name] = variable.value;
  return out;
}

function buildReport(buildId: string, build: Build): BuildReport {
  return {
    id: build.id ?? buildId,
    projectName: build.projectName,
    environment: variables(build.environment?.environmentVariables),
    status: build.buildStatus ?? 'IN_PROGRESS',
    phases: (build.phases ?? []).map((phase) => ({
      type: phase.phaseType ?? 'UNKNOWN',
      status: phase.phaseStatus,
      messages: (phase.contexts ?? []).map((context) => context.message ?? '').filter((message) => message !== ''),
      startTime: phase.startTime?.getTime(),
      endTime: phase.endTime?.getTime(),
      durationSeconds: phase.durationInSeconds,
    })),
    exportedVariables: variables(build.exportedEnvironmentVariables),
    logGroupName: build.logs?.groupName,
    logStreamName: build.logs?.streamName,
    currentPhase: build.currentPhase,
    startTime: build.startTime?.getTime(),
    endTime: build.endTime?.getTime(),
  };
}

/** The CodeBuild ports over one client (made on first use by `client`). */
export function codeBuildPorts(client: () => CodeBuildClient): Pick<AwsPorts, 'startBuild' | 'recentBuilds' | 'getBuild' | 'stopBuild'> {
  return {
    async startBuild(input, call) {
      const answer = await client().send(
        new StartBuildCommand({
          projectName: input.projectName,
          idempotencyToken: input.idempotencyToken,
          environmentVariablesOverride: input.environment.map((variable) => ({ name: variable.name, value: variable.value, type: 'PLAINTEXT' })),
        }),
        sendOptions(call),
      );
      const id = answer.build?.id;
      if (id === undefined || id === '') throw new Error(`CodeBuild StartBuild of ${input.projectName} returned no build id`);
      return id;
    },

    async recentBuilds(projectName, call) {
      const listed = await client().send(new ListBuildsForProjectCommand({ projectName, sortOrder: 'DESCENDING' }), sendOptions(call));
      const ids = (listed.ids ?? []).slice(0, MAX_BATCH_GET_BUILDS);
      if (ids.length === 0) return [];
      const answer = await client().send(new BatchGetBuildsCommand({ ids }), sendOptions(call));
      return (answer.builds ?? []).map((build) => buildReport(build.id ?? '', build));
    },

    async getBuild(buildId, call) {
      const answer = await client().send(new BatchGetBuildsCommand({ ids: [buildId] }), sendOptions(call));
      const build = answer.builds?.find((candidate) => candidate.id === buildId);
      return build === undefined ? undefined : buildReport(buildId, build);
    },

    async stopBuild(buildId, call) {
      await client().send(new StopBuildCommand({ id: buildId }), sendOptions(call));
    },
  };
}
