// CodeBuild stand-in (moto's ignores environment overrides and breaks SDK v3 timestamps): StartBuild, BatchGetBuilds,
// ListBuildsForProject and StopBuild over AWS JSON 1.1 (`CodeBuild_20161006.<op>`). Each build runs the project's buildspec (taken from
// template.yaml) with test/support/buildspec-runner.ts: the overrides as environment, the skopeo shim first on PATH,
// `aws` pointed at moto. Honours idempotency tokens and a configurable concurrent-build limit
// (AccountLimitExceededException beyond it); writes each build's log into the CloudWatch Logs stand-in.
import { randomUUID } from 'node:crypto';
import { runBuildspecText, type BuildResult } from '../../support/buildspec-runner.js';
import { AwsServiceError, epochSeconds } from './http.js';
import type { LogStore } from './logs.js';

/** A CodeBuild project as the macro stack defines it. */
export interface BuildProject {
  readonly name: string;
  readonly buildspec: string;
  readonly logGroupName: string;
  readonly timeoutInMinutes: number;
}

export interface CodeBuildSettings {
  /** Builds allowed to run at once (the account quota); StartBuild beyond it is refused. */
  concurrencyLimit: number;
  /** SUBMITTED -> QUEUED -> PROVISIONING time before the buildspec starts. */
  provisioningMs: number;
  /**
   * BatchGetBuilds answers as soon as every requested build has ended, waiting at most this long. The mirror
   * function polls every 10 s; holding the answer spares that wall time without changing what it observes
   * (the answer is still "in progress" or the final state). 0 answers at once (to force the hand-over).
   */
  batchGetHoldMs: number;
}

/** Environment a build container gets besides the overrides (region, endpoints, credentials). */
export type PlatformEnvironment = (build: { id: string; arn: string; projectName: string; number: number }) => Record<string, string>;

export interface StartBuildRecord {
  readonly at: number;
  readonly projectName: string;
  readonly idempotencyToken: string | undefined;
  readonly environmentVariablesOverride: ReadonlyArray<{ name: string; value: string; type: string }>;
  /** `started`, `replayed` (same idempotency token), or the error code it was refused with. */
  readonly outcome: string;
  readonly buildId?: string;
}

/** One build, with everything the tests look at. */
export interface BuildRecord {
  readonly id: string;
  readonly arn: string;
  readonly number: number;
  readonly projectName: string;
  readonly startTime: Date;
  endTime?: Date;
  /** IN_PROGRESS until the runner ends, then the runner's status. */
  status: 'IN_PROGRESS' | 'SUCCEEDED' | 'FAILED' | 'FAULT' | 'STOPPED' | 'TIMED_OUT';
  currentPhase: string;
  readonly overrides: Readonly<Record<string, string>>;
  /** The full environment the buildspec ran with. */
  readonly environment: Readonly<Record<string, string>>;
  readonly logGroupName: string;
  readonly logStreamName: string;
  result?: BuildResult;
  stopRequested: boolean;
  /** Resolves when the build has ended. */
  readonly done: Promise<void>;
}

/** Runs just before a build's buildspec starts (fault injection, e.g. breaking a registry mid-build). */
export type BuildHook = (build: BuildRecord) => Promise<void> | void;

const FINAL = new Set(['SUCCEEDED', 'FAILED', 'FAULT', 'STOPPED', 'TIMED_OUT']);
const IDEMPOTENCY_WINDOW_MS = 5 * 60_000;
const RUNNER_PHASE_TYPES = { install: 'INSTALL', pre_build: 'PRE_BUILD', build: 'BUILD', post_build: 'POST_BUILD' } as const;

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export class CodeBuildEmulator {
  readonly settings: CodeBuildSettings;
  private readonly projects = new Map<string, BuildProject>();
  private readonly builds = new Map<string, BuildRecord>();
  private readonly starts: StartBuildRecord[] = [];
  private readonly tokens = new Map<string, { key: string; buildId: string; at: number }>();
  private readonly aborts = new Map<string, AbortController>();
  private hooks: BuildHook[] = [];
  private counter = 0;
  private peak = 0;

  constructor(
    private readonly options: {
      region: string;
      accountId: string;
      logs: LogStore;
      platformEnvironment: PlatformEnvironment;
      /** Directories put first on every build's PATH (the skopeo shim). */
      pathPrepend: readonly string[];
      settings?: Partial<CodeBuildSettings>;
    },
  ) {
    this.settings = { concurrencyLimit: 60, provisioningMs: 0, batchGetHoldMs: 15_000, ...options.settings };
  }

  /** Creates or replaces a project (the macro stack's MirrorBuildProject). */
  putProject(project: BuildProject): void {
    this.projects.set(project.name, project);
    this.options.logs.createGroup(project.logGroupName);
  }

  /** Every StartBuild call, accepted or refused. */
  startRequests(): readonly StartBuildRecord[] {
    return [...this.starts];
  }

  /** Every build started, in order. */
  allBuilds(): readonly BuildRecord[] {
    return [...this.builds.values()];
  }

  /** Adds a hook run before each build's buildspec; returns its removal. */
  beforeBuild(hook: BuildHook): () => void {
    this.hooks.push(hook);
    return () => {
      this.hooks = this.hooks.filter((h) => h !== hook);
    };
  }

  running(): number {
    return [...this.builds.values()].filter((build) => !FINAL.has(build.status)).length;
  }

  /** The most builds that ever ran at once since the last reset. */
  peakRunning(): number {
    return this.peak;
  }

  resetPeak(): void {
    this.peak = this.running();
  }

  /** Resolves when no build is running. */
  async idle(): Promise<void> {
    await Promise.all([...this.builds.values()].map((build) => build.done));
  }

  /** Stops every running build and waits for them (harness shutdown). */
  async stopAll(): Promise<void> {
    for (const controller of this.aborts.values()) controller.abort();
    await this.idle();
  }

  /** Dispatches one `CodeBuild_20161006.<operation>` call. */
  async handle(operation: string, input: Record<string, unknown>): Promise<unknown> {
    switch (operation) {
      case 'StartBuild':
        return this.startBuild(input);
      case 'BatchGetBuilds':
        return this.batchGetBuilds(input);
      case 'StopBuild':
        return this.stopBuild(input);
      case 'ListBuildsForProject':
        return this.listBuildsForProject(input);
      default:
        throw new AwsServiceError('UnknownOperationException', `CodeBuild.${operation} is not emulated`);
    }
  }

  private startBuild(input: Record<string, unknown>): unknown {
    const projectName = typeof input.projectName === 'string' ? input.projectName : '';
    const token = typeof input.idempotencyToken === 'string' ? input.idempotencyToken : undefined;
    const rawOverrides = Array.isArray(input.environmentVariablesOverride) ? input.environmentVariablesOverride : [];
    const overridesList = rawOverrides.map((item: Record<string, unknown>) => ({
      name: String(item.name ?? ''),
      value: String(item.value ?? ''),
      type: String(item.type ?? 'PLAINTEXT'),
    }));
    const record = (outcome: string, buildId?: string): void => {
      this.starts.push({ at: Date.now(), projectName, idempotencyToken: token, environmentVariablesOverride: overridesList, outcome, ...(buildId ? { buildId } : {}) });
    };
    const refuse = (error: AwsServiceError): never => {
      record(error.code);
      throw error;
    };

    const project = this.projects.get(projectName);
    if (project === undefined) {
      refuse(
        new AwsServiceError(
          'ResourceNotFoundException',
          `Project cannot be found: arn:aws:codebuild:${this.options.region}:${this.options.accountId}:project/${projectName}`,
        ),
      );
    }
    const unknownKeys = Object.keys(input).filter((key) => !['projectName', 'idempotencyToken', 'environmentVariablesOverride'].includes(key));
    if (unknownKeys.length > 0) refuse(new AwsServiceError('InvalidInputException', `the local CodeBuild does not emulate ${unknownKeys.join(', ')}`));
    for (const variable of overridesList) {
      if (variable.type !== 'PLAINTEXT') refuse(new AwsServiceError('InvalidInputException', `environment variable type ${variable.type} is not emulated`));
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(variable.name) || variable.name.startsWith('CODEBUILD_')) {
        refuse(new AwsServiceError('InvalidInputException', `Invalid environment variable name: ${variable.name}`));
      }
    }

    const key = JSON.stringify([projectName, overridesList]);
    if (token !== undefined) {
      const previous = this.tokens.get(token);
      if (previous !== undefined && Date.now() - previous.at < IDEMPOTENCY_WINDOW_MS) {
        if (previous.key !== key) {
          refuse(new AwsServiceError('InvalidInputException', 'The idempotency token was used with different request parameters'));
        }
        record('replayed', previous.buildId);
        return { build: this.describe(this.builds.get(previous.buildId)!) };
      }
    }
    if (this.running() >= this.settings.concurrencyLimit) {
      refuse(new AwsServiceError('AccountLimitExceededException', `Cannot have more than ${this.settings.concurrencyLimit} active builds for the account`));
    }

    const uuid = randomUUID();
    const id = `${projectName}:${uuid}`;
    const number = ++this.counter;
    const arn = `arn:aws:codebuild:${this.options.region}:${this.options.accountId}:build/${id}`;
    const overrides = Object.fromEntries(overridesList.map((variable) => [variable.name, variable.value]));
    const environment = { ...this.options.platformEnvironment({ id, arn, projectName, number }), ...overrides };
    this.options.logs.createStream(project!.logGroupName, uuid);
    let finish!: () => void;
    const build: BuildRecord = {
      id,
      arn,
      number,
      projectName,
      startTime: new Date(),
      status: 'IN_PROGRESS',
      currentPhase: 'SUBMITTED',
      overrides,
      environment,
      logGroupName: project!.logGroupName,
      logStreamName: uuid,
      stopRequested: false,
      done: new Promise<void>((resolve) => (finish = resolve)),
    };
    this.builds.set(id, build);
    this.peak = Math.max(this.peak, this.running());
    if (token !== undefined) this.tokens.set(token, { key, buildId: id, at: Date.now() });
    record('started', id);
    void this.run(build, project!).finally(finish);
    return { build: this.describe(build) };
  }

  private async run(build: BuildRecord, project: BuildProject): Promise<void> {
    const controller = new AbortController();
    this.aborts.set(build.id, controller);
    const log = (text: string): void => {
      this.options.logs.append(build.logGroupName, build.logStreamName, text);
      const entering = /Entering phase ([A-Z_]+)/.exec(text);
      if (entering) build.currentPhase = entering[1]!;
    };
    try {
      build.currentPhase = 'QUEUED';
      if (this.settings.provisioningMs > 0) await sleep(this.settings.provisioningMs);
      build.currentPhase = 'PROVISIONING';
      for (const hook of this.hooks) await hook(build);
      if (controller.signal.aborted) {
        build.status = 'STOPPED';
        return;
      }
      build.currentPhase = 'DOWNLOAD_SOURCE';
      const result = await runBuildspecText(
        project.buildspec,
        {
          env: build.environment as Record<string, string>,
          pathPrepend: this.options.pathPrepend,
          timeoutMs: project.timeoutInMinutes * 60_000,
          signal: controller.signal,
          onLog: log,
        },
        `${project.name} (template.yaml)`,
      );
      build.result = result;
      build.status = result.status;
    } catch (error) {
      // The runner could not run the buildspec at all: CodeBuild reports such builds as FAULT.
      log(`[Container] local CodeBuild could not run the buildspec: ${error instanceof Error ? error.message : String(error)}\n`);
      build.status = 'FAULT';
    } finally {
      this.options.logs.flush(build.logGroupName, build.logStreamName);
      build.currentPhase = 'COMPLETED';
      build.endTime = new Date();
      this.aborts.delete(build.id);
    }
  }

  private async batchGetBuilds(input: Record<string, unknown>): Promise<unknown> {
    const ids = Array.isArray(input.ids) ? input.ids.filter((id): id is string => typeof id === 'string') : [];
    if (ids.length === 0 || ids.length > 100) throw new AwsServiceError('InvalidInputException', 'ids must hold 1 to 100 build ids');
    const found = ids.map((id) => this.builds.get(id)).filter((build): build is BuildRecord => build !== undefined);
    const pending = found.filter((build) => !FINAL.has(build.status));
    // Only a poll of one build is held: a look through many (ListBuildsForProject + BatchGetBuilds) is not a wait.
    if (ids.length === 1 && pending.length > 0 && this.settings.batchGetHoldMs > 0) {
      await Promise.race([Promise.all(pending.map((build) => build.done)), sleep(this.settings.batchGetHoldMs)]);
    }
    return {
      builds: found.map((build) => this.describe(build)),
      buildsNotFound: ids.filter((id) => !this.builds.has(id)),
    };
  }

  /** One page, newest first (sortOrder DESCENDING, CodeBuild's default). */
  private listBuildsForProject(input: Record<string, unknown>): unknown {
    const projectName = typeof input.projectName === 'string' ? input.projectName : '';
    if (!this.projects.has(projectName)) {
      throw new AwsServiceError(
        'ResourceNotFoundException',
        `The provided project arn:aws:codebuild:${this.options.region}:${this.options.accountId}:project/${projectName} does not exist`,
      );
    }
    const ids = [...this.builds.values()].filter((build) => build.projectName === projectName).map((build) => build.id);
    return { ids: (input.sortOrder === 'ASCENDING' ? ids : ids.reverse()).slice(0, 100) };
  }

  private stopBuild(input: Record<string, unknown>): unknown {
    const id = typeof input.id === 'string' ? input.id : '';
    const build = this.builds.get(id);
    if (build === undefined) throw new AwsServiceError('ResourceNotFoundException', `Build not found: ${id}`);
    build.stopRequested = true;
    this.aborts.get(id)?.abort();
    return { build: this.describe(build) };
  }

  /** The build as BatchGetBuilds shows it (timestamps in epoch seconds). */
  private describe(build: BuildRecord): Record<string, unknown> {
    const phases: Array<Record<string, unknown>> = [];
    const prelude = (phaseType: string, at: Date): void => {
      phases.push({ phaseType, phaseStatus: 'SUCCEEDED', startTime: epochSeconds(at), endTime: epochSeconds(at), durationInSeconds: 0 });
    };
    prelude('SUBMITTED', build.startTime);
    if (build.result !== undefined) {
      prelude('QUEUED', build.result.startTime);
      prelude('PROVISIONING', build.result.startTime);
      prelude('DOWNLOAD_SOURCE', build.result.startTime);
      for (const phase of build.result.phases) {
        phases.push({
          phaseType: RUNNER_PHASE_TYPES[phase.name],
          phaseStatus: phase.status,
          startTime: epochSeconds(phase.startTime),
          endTime: epochSeconds(phase.endTime),
          durationInSeconds: Math.round((phase.endTime.getTime() - phase.startTime.getTime()) / 1000),
          ...(phase.message !== undefined
            ? { contexts: [{ statusCode: phase.status === 'FAILED' ? 'COMMAND_EXECUTION_ERROR' : phase.status, message: phase.message }] }
            : { contexts: [{ statusCode: '', message: '' }] }),
        });
      }
      prelude('FINALIZING', build.result.endTime);
      phases.push({ phaseType: 'COMPLETED', startTime: epochSeconds(build.result.endTime) });
    } else if (FINAL.has(build.status)) {
      phases.push({ phaseType: 'COMPLETED', startTime: epochSeconds(build.endTime ?? new Date()) });
    } else {
      phases.push({ phaseType: build.currentPhase, startTime: epochSeconds(new Date()) });
    }
    const final = FINAL.has(build.status);
    return {
      id: build.id,
      arn: build.arn,
      buildNumber: build.number,
      startTime: epochSeconds(build.startTime),
      ...(build.endTime !== undefined && final ? { endTime: epochSeconds(build.endTime) } : {}),
      currentPhase: final ? 'COMPLETED' : build.currentPhase,
      buildStatus: build.status,
      projectName: build.projectName,
      phases,
      source: { type: 'NO_SOURCE' },
      environment: {
        type: 'LINUX_CONTAINER',
        image: 'aws/codebuild/standard:7.0',
        computeType: 'BUILD_GENERAL1_SMALL',
        environmentVariables: Object.entries(build.overrides).map(([name, value]) => ({ name, value, type: 'PLAINTEXT' })),
      },
      logs: {
        groupName: build.logGroupName,
        streamName: build.logStreamName,
        deepLink: `https://console.aws.amazon.com/cloudwatch/home?region=${this.options.region}#logEvent:group=${encodeURIComponent(build.logGroupName)};stream=${build.logStreamName}`,
      },
      buildComplete: final,
      initiator: 'sysdig-image-fix-mirror',
      ...(build.result !== undefined ? { exportedEnvironmentVariables: Object.entries(build.result.exported).map(([name, value]) => ({ name, value })) } : {}),
    };
  }
}
