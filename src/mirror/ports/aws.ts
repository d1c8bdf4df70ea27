// Every call the mirror function makes to the outside world, behind one interface: ECR, CodeBuild,
// CloudWatch Logs, Lambda (self-invoke), Secrets Manager, the source registry, the CloudFormation
// response PUT, and the clock. The lifecycle decides; these only carry out. `createAwsPorts` is the
// real implementation; tests pass mocked SDK clients, a fake registry and a virtual clock into it.
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { BatchGetBuildsCommand, CodeBuildClient, ListBuildsForProjectCommand, StartBuildCommand, StopBuildCommand, type Build } from '@aws-sdk/client-codebuild';
import { CloudWatchLogsClient, GetLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import {
  CreateRepositoryCommand,
  DescribeImagesCommand,
  ECRClient,
  GetAuthorizationTokenCommand,
  GetRepositoryPolicyCommand,
  SetRepositoryPolicyCommand,
} from '@aws-sdk/client-ecr';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { Architecture } from '../../contract.js';
import { classifyRegistry, DOCKER_HUB, type ImageReference } from '../../reference/index.js';
import type { BuildVariable } from '../build/request.js';
import { realSleep, realTimer, type CallContext, type Timer } from '../core/budget.js';
import type { MirrorConfig } from '../core/config.js';
import { awsErrorName, describeError, RegistryCredentialsError } from '../core/errors.js';
import { mergeStatement, type PolicyStatement } from '../core/policy.js';
import { RegistryClient, type CredentialsProvider, type PlatformManifest, type RegistryCredentials } from '../registry/client.js';

export type { CallContext } from '../core/budget.js';

export interface ClockPorts {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Resolves after `ms`, or earlier when `signal` aborts. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
  /** Uniform in [0, 1): jitter for backoff. */
  random(): number;
  /** A timer for bounding a call (see Budget). */
  timer(ms: number): Timer;
}

export interface ResponsePorts {
  /**
   * One PUT of the response body to the presigned ResponseURL, given at most `timeoutMs` in all (connection,
   * request and answer); rejects unless the answer is 2xx.
   */
  putResponse(url: string, body: string, timeoutMs: number): Promise<void>;
}

/** What the lifecycle needs of the registry client (RegistryClient implements it). */
export interface RegistryPort {
  resolvePlatform(ref: ImageReference, architecture: Architecture, call?: CallContext): Promise<PlatformManifest>;
  headManifest(ref: ImageReference, call?: CallContext): Promise<{ digest: string; mediaType: string } | undefined>;
}

export interface RegistryPortOptions {
  endpoints: ReadonlyMap<string, string>;
  credentials: CredentialsProvider;
  timeoutMs: number;
  /** The ports' clock: hop timeouts and retry backoff run on it. */
  clock: Pick<ClockPorts, 'now' | 'sleep' | 'timer'>;
  /** AWS_LAMBDA_RUNTIME_API (host:port): never contacted unless mapped in REGISTRY_ENDPOINTS. */
  runtimeApi: string | undefined;
}

export type RegistryFactory = (options: RegistryPortOptions) => RegistryPort;

export interface RepositorySpec {
  readonly repositoryName: string;
  readonly imageTagMutability: 'MUTABLE' | 'IMMUTABLE';
  /** KMS encryption with this key; AES256 when undefined. */
  readonly kmsKeyArn: string | undefined;
  readonly tags: Readonly<Record<string, string>>;
}

export interface StartBuildInput {
  readonly projectName: string;
  readonly idempotencyToken: string;
  readonly environment: readonly BuildVariable[];
}

export interface BuildPhaseReport {
  readonly type: string;
  readonly status: string | undefined;
  readonly messages: readonly string[];
  /** Epoch milliseconds; undefined when CodeBuild has not reported it (yet). */
  readonly startTime?: number | undefined;
  /** Epoch milliseconds; undefined while the phase runs (and for COMPLETED). */
  readonly endTime?: number | undefined;
  /** CodeBuild's own whole-second duration, once the phase has ended. */
  readonly durationSeconds?: number | undefined;
}

/** The parts of a CodeBuild build the lifecycle looks at. */
export interface BuildReport {
  readonly id: string;
  /** The project it ran in (as CodeBuild reports it). */
  readonly projectName: string | undefined;
  /** The build's environment variables as CodeBuild reports them (the StartBuild overrides included). */
  readonly environment: Readonly<Record<string, string>>;
  /** IN_PROGRESS, SUCCEEDED, FAILED, FAULT, STOPPED or TIMED_OUT. */
  readonly status: string;
  readonly phases: readonly BuildPhaseReport[];
  readonly exportedVariables: Readonly<Record<string, string>>;
  readonly logGroupName: string | undefined;
  readonly logStreamName: string | undefined;
  /** SUBMITTED, QUEUED, PROVISIONING, DOWNLOAD_SOURCE, INSTALL, ..., COMPLETED; undefined when not reported. */
  readonly currentPhase?: string | undefined;
  /** Epoch milliseconds of StartBuild, and of the end once the build is final. */
  readonly startTime?: number | undefined;
  readonly endTime?: number | undefined;
}

/**
 * Every call takes the CallContext of its budget: the AWS SDK gets its signal as `abortSignal`, the registry
 * client bounds each exchange by it.
 */
export interface AwsPorts {
  /** The single-platform manifest of `ref` for `architecture` (registry client with credentials). */
  resolveSourcePlatform(ref: ImageReference, architecture: Architecture, call: CallContext): Promise<PlatformManifest>;
  /** Digest `ref` points at, undefined when it does not exist. */
  readManifestDigest(ref: ImageReference, call: CallContext): Promise<string | undefined>;
  /** CreateRepository; an existing repository is fine (and left as it is). */
  ensureRepository(spec: RepositorySpec, call: CallContext): Promise<'created' | 'existed'>;
  /** Merges `statement` into the repository policy; writes only when that changes it. */
  ensureRepositoryPolicy(repositoryName: string, statement: PolicyStatement, call: CallContext): Promise<'written' | 'unchanged'>;
  /** True when the repository holds a manifest with this digest. */
  imageExists(repositoryName: string, digest: string, call: CallContext): Promise<boolean>;
  /** StartBuild; resolves to the build id. */
  startBuild(input: StartBuildInput, call: CallContext): Promise<string>;
  /** The newest builds of the project (one ListBuildsForProject page), with their details. */
  recentBuilds(projectName: string, call: CallContext): Promise<BuildReport[]>;
  /** The build, or undefined when CodeBuild does not know it. */
  getBuild(buildId: string, call: CallContext): Promise<BuildReport | undefined>;
  stopBuild(buildId: string, call: CallContext): Promise<void>;
  /** The last `lines` lines of a CloudWatch Logs stream, oldest first. */
  tailBuildLog(groupName: string, streamName: string, lines: number, call: CallContext): Promise<string[]>;
  /** Asynchronous (`Event`) invocation of this function with `payload`. */
  invokeSelf(functionArn: string, payload: string, call: CallContext): Promise<void>;
}

export type MirrorPorts = AwsPorts & ResponsePorts & ClockPorts;

export interface AwsClients {
  ecr: ECRClient;
  codeBuild: CodeBuildClient;
  logs: CloudWatchLogsClient;
  lambda: LambdaClient;
  secrets: SecretsManagerClient;
  /** ECR client of another region (an ECR source elsewhere needs a token from its own region). */
  ecrInRegion(region: string): ECRClient;
}

export interface AwsPortsOptions {
  clients?: Partial<AwsClients>;
  registry?: RegistryFactory;
  clock?: ClockPorts;
  putResponse?: ResponsePorts['putResponse'];
  /** Per registry HTTP request. */
  registryTimeoutMs?: number;
  /** AWS_LAMBDA_RUNTIME_API; defaults to the environment's. */
  runtimeApi?: string;
}

export const realClock: ClockPorts = {
  now: () => Date.now(),
  sleep: realSleep,
  random: () => Math.random(),
  timer: realTimer,
};

const REGISTRY_TIMEOUT_MS = 15_000;
/**
 * Every SDK client: a bounded connection and request time and few attempts (the SDK defaults wait
 * indefinitely for a silent endpoint). Each call also gets its budget's abortSignal, which bounds the
 * whole call, retries included. `throwOnRequestTimeout`: newer SDKs only warn on a request timeout otherwise.
 */
export const SDK_CLIENT_SETTINGS = {
  maxAttempts: 3,
  requestHandler: { connectionTimeout: 3_000, requestTimeout: 10_000, throwOnRequestTimeout: true },
} as const;
/** BatchGetBuilds takes at most 100 ids: one page of ListBuildsForProject. */
const MAX_BATCH_GET_BUILDS = 100;
/** Credentials are reused only well within an ECR token's 12-hour life. */
const ECR_TOKEN_REUSE_MS = 60 * 60 * 1000;

/**
 * One HTTP(S) PUT with an empty Content-Type, as the presigned S3 URL of CloudFormation expects.
 * node:http rather than fetch: fetch would add its own Content-Type for a string body.
 */
export function createHttpPut(): ResponsePorts['putResponse'] {
  return (url, body, timeoutMs) =>
    new Promise<void>((resolve, reject) => {
      let target: URL;
      try {
        target = new URL(url);
      } catch {
        reject(new Error('the ResponseURL is not a URL'));
        return;
      }
      const send = target.protocol === 'https:' ? httpsRequest : target.protocol === 'http:' ? httpRequest : undefined;
      if (send === undefined) {
        reject(new Error(`the ResponseURL scheme ${JSON.stringify(target.protocol)} is not http(s)`));
        return;
      }
      const payload = Buffer.from(body, 'utf8');
      const req = send(target, {
        method: 'PUT',
        headers: { 'content-type': '', 'content-length': payload.length },
        timeout: timeoutMs,
      });
      // `timeout` only catches an idle socket; the whole exchange (a server that trickles) is bounded too.
      const fail = (): void => {
        req.destroy(new Error(`no answer from the response endpoint within ${timeoutMs} ms`));
      };
      const whole = setTimeout(fail, Math.max(0, timeoutMs));
      whole.unref?.();
      req.on('close', () => clearTimeout(whole));
      req.on('timeout', fail);
      // Errors name only what failed, never the URL (it is a bearer credential for this resource).
      req.on('error', (error) => {
        const code = (error as NodeJS.ErrnoException).code;
        reject(new Error(`the response PUT failed: ${code ?? error.message}`));
      });
      req.on('response', (res) => {
        res.resume();
        res.on('end', () => {
          const status = res.statusCode ?? 0;
          if (status >= 200 && status < 300) resolve();
          else reject(new Error(`the response endpoint answered HTTP ${status}`));
        });
        res.on('error', (error) => reject(new Error(`the response PUT failed: ${error.message}`)));
      });
      req.end(payload);
    });
}

/** Response PUT and clock: all the mirror function needs to answer, even when its configuration is broken. */
export function createBasePorts(options: Pick<AwsPortsOptions, 'clock' | 'putResponse'> = {}): ResponsePorts & ClockPorts {
  const clock = options.clock ?? realClock;
  return {
    putResponse: options.putResponse ?? createHttpPut(),
    now: () => clock.now(),
    sleep: (ms, signal) => clock.sleep(ms, signal),
    random: () => clock.random(),
    timer: (ms) => clock.timer(ms),
  };
}

/** `{"<host>": {"username": "...", "password": "..."}}`; the content is never echoed in an error. */
function parseCredentialsSecret(secretArn: string, text: string | undefined): Map<string, RegistryCredentials> {
  const shape = 'is not JSON of the form {"<registry host>": {"username": "...", "password": "..."}}';
  if (text === undefined) throw new RegistryCredentialsError(secretArn, 'has no SecretString; store the credentials as JSON text');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new RegistryCredentialsError(secretArn, shape);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new RegistryCredentialsError(secretArn, shape);
  const entries = new Map<string, RegistryCredentials>();
  for (const [host, value] of Object.entries(parsed as Record<string, unknown>)) {
    const entry = value as { username?: unknown; password?: unknown } | null;
    if (entry === null || typeof entry !== 'object' || typeof entry.username !== 'string' || typeof entry.password !== 'string') {
      throw new RegistryCredentialsError(secretArn, `${shape} (the entry for ${JSON.stringify(host.slice(0, 100))} is not)`);
    }
    const key = host.toLowerCase();
    entries.set(key === 'index.docker.io' || key === 'registry-1.docker.io' ? DOCKER_HUB : key, {
      username: entry.username,
      password: entry.password,
    });
  }
  return entries;
}

function decodeEcrToken(token: string | undefined): RegistryCredentials {
  const decoded = token === undefined ? '' : Buffer.from(token, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon <= 0) throw new Error('ECR GetAuthorizationToken returned no usable token');
  return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

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

/** `send` options of one SDK call: the budget's signal aborts it (retries included). */
function sendOptions(call: CallContext): { abortSignal: AbortSignal } {
  return { abortSignal: call.signal };
}

export function createAwsPorts(config: MirrorConfig, options: AwsPortsOptions = {}): MirrorPorts {
  const base = createBasePorts(options);
  const clients = options.clients ?? {};
  let ecr: ECRClient | undefined;
  let codeBuild: CodeBuildClient | undefined;
  let logs: CloudWatchLogsClient | undefined;
  let lambda: LambdaClient | undefined;
  let secrets: SecretsManagerClient | undefined;
  const regionalEcr = new Map<string, ECRClient>();
  const settings = (region: string) => ({ region, ...SDK_CLIENT_SETTINGS, requestHandler: { ...SDK_CLIENT_SETTINGS.requestHandler } });
  // Clients are made on first use: Delete and validation failures never construct one.
  const ecrClient = (): ECRClient => (ecr ??= clients.ecr ?? new ECRClient(settings(config.region)));
  const ecrClientIn = (region: string): ECRClient => {
    if (region === config.region) return ecrClient();
    let client = regionalEcr.get(region);
    if (client === undefined) {
      client = clients.ecrInRegion?.(region) ?? new ECRClient(settings(region));
      regionalEcr.set(region, client);
    }
    return client;
  };
  const codeBuildClient = (): CodeBuildClient => (codeBuild ??= clients.codeBuild ?? new CodeBuildClient(settings(config.region)));
  const logsClient = (): CloudWatchLogsClient => (logs ??= clients.logs ?? new CloudWatchLogsClient(settings(config.region)));
  const lambdaClient = (): LambdaClient => (lambda ??= clients.lambda ?? new LambdaClient(settings(config.region)));
  const secretsClient = (): SecretsManagerClient => (secrets ??= clients.secrets ?? new SecretsManagerClient(settings(config.region)));

  let secretEntries: Promise<Map<string, RegistryCredentials>> | undefined;
  const loadSecret = (secretArn: string, call: CallContext | undefined): Promise<Map<string, RegistryCredentials>> => {
    if (secretEntries === undefined) {
      const pending = (async () => {
        let text: string | undefined;
        try {
          text = (await secretsClient().send(new GetSecretValueCommand({ SecretId: secretArn }), call ? sendOptions(call) : {})).SecretString;
        } catch (error) {
          throw new RegistryCredentialsError(
            secretArn,
            `could not be read (${describeError(error)}). Check that it exists and that the mirror function's role may secretsmanager:GetSecretValue on it (and kms:Decrypt on its key)`,
            { cause: error },
          );
        }
        return parseCredentialsSecret(secretArn, text);
      })();
      secretEntries = pending;
      // A failed read is not kept: a later request may succeed.
      pending.catch(() => {
        if (secretEntries === pending) secretEntries = undefined;
      });
    }
    return secretEntries;
  };

  const ecrTokens = new Map<string, { credentials: RegistryCredentials; until: number }>();
  // Same precedence as the buildspec: the secret's entry for the host, then (private ECR) the ECR token of the
  // registry's region, then anonymous.
  const credentials: CredentialsProvider = async (host, call) => {
    const secretArn = config.registryCredentialsSecretArn;
    const fromSecret = secretArn === undefined ? undefined : (await loadSecret(secretArn, call)).get(host.toLowerCase());
    if (fromSecret !== undefined) return fromSecret;
    const registry = classifyRegistry(host);
    if (registry.kind === 'ecr-private' || registry.kind === 'ecr-fips') {
      const cached = ecrTokens.get(registry.region);
      if (cached !== undefined && cached.until > base.now()) return cached.credentials;
      const answer = await ecrClientIn(registry.region).send(new GetAuthorizationTokenCommand({}), call ? sendOptions(call) : {});
      const token = decodeEcrToken(answer.authorizationData?.[0]?.authorizationToken);
      ecrTokens.set(registry.region, { credentials: token, until: base.now() + ECR_TOKEN_REUSE_MS });
      return token;
    }
    return undefined;
  };

  let registry: RegistryPort | undefined;
  const registryClient = (): RegistryPort =>
    (registry ??= (options.registry ?? ((o: RegistryPortOptions) => new RegistryClient(o)))({
      endpoints: config.registryEndpoints,
      credentials,
      timeoutMs: options.registryTimeoutMs ?? REGISTRY_TIMEOUT_MS,
      clock: base,
      runtimeApi: options.runtimeApi ?? process.env.AWS_LAMBDA_RUNTIME_API,
    }));

  return {
    ...base,

    resolveSourcePlatform: (ref, architecture, call) => registryClient().resolvePlatform(ref, architecture, call),

    async readManifestDigest(ref, call) {
      return (await registryClient().headManifest(ref, call))?.digest;
    },

    async ensureRepository(spec, call) {
      try {
        await ecrClient().send(
          new CreateRepositoryCommand({
            repositoryName: spec.repositoryName,
            imageTagMutability: spec.imageTagMutability,
            imageScanningConfiguration: { scanOnPush: true },
            encryptionConfiguration: spec.kmsKeyArn !== undefined ? { encryptionType: 'KMS', kmsKey: spec.kmsKeyArn } : { encryptionType: 'AES256' },
            tags: Object.entries(spec.tags).map(([Key, Value]) => ({ Key, Value })),
          }),
          sendOptions(call),
        );
        return 'created';
      } catch (error) {
        if (awsErrorName(error) === 'RepositoryAlreadyExistsException') return 'existed';
        throw error;
      }
    },

    async ensureRepositoryPolicy(repositoryName, statement, call) {
      let existing: string | undefined;
      try {
        existing = (await ecrClient().send(new GetRepositoryPolicyCommand({ repositoryName }), sendOptions(call))).policyText;
      } catch (error) {
        if (awsErrorName(error) !== 'RepositoryPolicyNotFoundException') throw error;
      }
      const merged = mergeStatement(existing, statement);
      if (!merged.changed) return 'unchanged';
      await ecrClient().send(new SetRepositoryPolicyCommand({ repositoryName, policyText: merged.document }), sendOptions(call));
      return 'written';
    },

    async imageExists(repositoryName, digest, call) {
      try {
        const answer = await ecrClient().send(new DescribeImagesCommand({ repositoryName, imageIds: [{ imageDigest: digest }] }), sendOptions(call));
        return (answer.imageDetails ?? []).some((image) => image.imageDigest === digest);
      } catch (error) {
        if (awsErrorName(error) === 'ImageNotFoundException') return false;
        throw error;
      }
    },

    async startBuild(input, call) {
      const answer = await codeBuildClient().send(
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
      const listed = await codeBuildClient().send(new ListBuildsForProjectCommand({ projectName, sortOrder: 'DESCENDING' }), sendOptions(call));
      const ids = (listed.ids ?? []).slice(0, MAX_BATCH_GET_BUILDS);
      if (ids.length === 0) return [];
      const answer = await codeBuildClient().send(new BatchGetBuildsCommand({ ids }), sendOptions(call));
      return (answer.builds ?? []).map((build) => buildReport(build.id ?? '', build));
    },

    async getBuild(buildId, call) {
      const answer = await codeBuildClient().send(new BatchGetBuildsCommand({ ids: [buildId] }), sendOptions(call));
      const build = answer.builds?.find((candidate) => candidate.id === buildId);
      return build === undefined ? undefined : buildReport(buildId, build);
    },

    async stopBuild(buildId, call) {
      await codeBuildClient().send(new StopBuildCommand({ id: buildId }), sendOptions(call));
    },

    async tailBuildLog(groupName, streamName, lines, call) {
      const answer = await logsClient().send(
        new GetLogEventsCommand({ logGroupName: groupName, logStreamName: streamName, limit: lines, startFromHead: false }),
        sendOptions(call),
      );
      const text = (answer.events ?? []).flatMap((event) => (event.message ?? '').replace(/\r?\n$/, '').split(/\r?\n/));
      return text.slice(-lines);
    },

    async invokeSelf(functionArn, payload, call) {
      const answer = await lambdaClient().send(
        new InvokeCommand({ FunctionName: functionArn, InvocationType: 'Event', Payload: Buffer.from(payload, 'utf8') }),
        sendOptions(call),
      );
      if (answer.StatusCode !== undefined && answer.StatusCode !== 202) {
        throw new Error(`Lambda accepted the asynchronous invoke with status ${answer.StatusCode}, not 202`);
      }
    },
  };
}
