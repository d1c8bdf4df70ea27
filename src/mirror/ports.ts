// Every call the mirror function makes to the outside world, behind one interface: ECR, CodeBuild,
// CloudWatch Logs, Lambda (self-invoke), Secrets Manager, the source registry, the CloudFormation
// response PUT, and the clock. The lifecycle decides; these only carry out. `createAwsPorts` is the
// real implementation; tests pass mocked SDK clients, a fake registry and a virtual clock into it.
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { BatchGetBuildsCommand, CodeBuildClient, StartBuildCommand, StopBuildCommand, type Build } from '@aws-sdk/client-codebuild';
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
import type { Architecture } from '../contract.js';
import { classifyRegistry, DOCKER_HUB, type ImageReference } from '../reference/index.js';
import type { BuildVariable } from './build.js';
import type { MirrorConfig } from './config.js';
import { awsErrorName, describeError, RegistryCredentialsError } from './errors.js';
import { mergeStatement, type PolicyStatement } from './policy.js';
import { RegistryClient, type CredentialsProvider, type PlatformManifest, type RegistryCredentials } from './registry.js';

export interface ClockPorts {
  /** Milliseconds since the epoch. */
  now(): number;
  sleep(ms: number): Promise<void>;
  /** Uniform in [0, 1): jitter for backoff. */
  random(): number;
}

export interface ResponsePorts {
  /** One PUT of the response body to the presigned ResponseURL; rejects unless the answer is 2xx. */
  putResponse(url: string, body: string): Promise<void>;
}

/** What the lifecycle needs of the registry client (RegistryClient implements it). */
export interface RegistryPort {
  resolvePlatform(ref: ImageReference, architecture: Architecture): Promise<PlatformManifest>;
  headManifest(ref: ImageReference): Promise<{ digest: string; mediaType: string } | undefined>;
}

export interface RegistryPortOptions {
  endpoints: ReadonlyMap<string, string>;
  credentials: CredentialsProvider;
  timeoutMs: number;
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

export interface AwsPorts {
  /** The single-platform manifest of `ref` for `architecture` (registry client with credentials). */
  resolveSourcePlatform(ref: ImageReference, architecture: Architecture): Promise<PlatformManifest>;
  /** Digest `ref` points at, undefined when it does not exist. */
  readManifestDigest(ref: ImageReference): Promise<string | undefined>;
  /** CreateRepository; an existing repository is fine (and left as it is). */
  ensureRepository(spec: RepositorySpec): Promise<'created' | 'existed'>;
  /** Merges `statement` into the repository policy; writes only when that changes it. */
  ensureRepositoryPolicy(repositoryName: string, statement: PolicyStatement): Promise<'written' | 'unchanged'>;
  /** True when the repository holds a manifest with this digest. */
  imageExists(repositoryName: string, digest: string): Promise<boolean>;
  /** StartBuild; resolves to the build id. */
  startBuild(input: StartBuildInput): Promise<string>;
  getBuild(buildId: string): Promise<BuildReport>;
  stopBuild(buildId: string): Promise<void>;
  /** The last `lines` lines of a CloudWatch Logs stream, oldest first. */
  tailBuildLog(groupName: string, streamName: string, lines: number): Promise<string[]>;
  /** Asynchronous (`Event`) invocation of this function with `payload`. */
  invokeSelf(functionArn: string, payload: string): Promise<void>;
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
  /** Per response PUT attempt. */
  responseTimeoutMs?: number;
}

export const realClock: ClockPorts = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms))),
  random: () => Math.random(),
};

const REGISTRY_TIMEOUT_MS = 15_000;
const RESPONSE_TIMEOUT_MS = 15_000;
/** Credentials are reused only well within an ECR token's 12-hour life. */
const ECR_TOKEN_REUSE_MS = 60 * 60 * 1000;

/**
 * One HTTP(S) PUT with an empty Content-Type, as the presigned S3 URL of CloudFormation expects.
 * node:http rather than fetch: fetch would add its own Content-Type for a string body.
 */
export function createHttpPut(timeoutMs = RESPONSE_TIMEOUT_MS): ResponsePorts['putResponse'] {
  return (url, body) =>
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
      req.on('timeout', () => req.destroy(new Error(`no answer from the response endpoint within ${timeoutMs} ms`)));
      // Errors name only what failed, never the URL (it is a bearer credential for this resource).
      req.on('error', (error) => reject(new Error(`the response PUT failed: ${(error as NodeJS.ErrnoException).code ?? error.message}`)));
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
export function createBasePorts(options: Pick<AwsPortsOptions, 'clock' | 'putResponse' | 'responseTimeoutMs'> = {}): ResponsePorts & ClockPorts {
  const clock = options.clock ?? realClock;
  return {
    putResponse: options.putResponse ?? createHttpPut(options.responseTimeoutMs),
    now: () => clock.now(),
    sleep: (ms) => clock.sleep(ms),
    random: () => clock.random(),
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

function buildReport(buildId: string, build: Build | undefined): BuildReport {
  if (build === undefined) throw new Error(`CodeBuild does not know build ${buildId}`);
  const exported: Record<string, string> = {};
  for (const variable of build.exportedEnvironmentVariables ?? []) {
    if (variable.name !== undefined && variable.value !== undefined) exported[variable.name] = variable.value;
  }
  return {
    id: build.id ?? buildId,
    status: build.buildStatus ?? 'IN_PROGRESS',
    phases: (build.phases ?? []).map((phase) => ({
      type: phase.phaseType ?? 'UNKNOWN',
      status: phase.phaseStatus,
      messages: (phase.contexts ?? []).map((context) => context.message ?? '').filter((message) => message !== ''),
      startTime: phase.startTime?.getTime(),
      endTime: phase.endTime?.getTime(),
      durationSeconds: phase.durationInSeconds,
    })),
    exportedVariables: exported,
    logGroupName: build.logs?.groupName,
    logStreamName: build.logs?.streamName,
    currentPhase: build.currentPhase,
    startTime: build.startTime?.getTime(),
    endTime: build.endTime?.getTime(),
  };
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
  // Clients are made on first use: Delete and validation failures never construct one.
  const ecrClient = (): ECRClient => (ecr ??= clients.ecr ?? new ECRClient({ region: config.region }));
  const ecrClientIn = (region: string): ECRClient => {
    if (region === config.region) return ecrClient();
    let client = regionalEcr.get(region);
    if (client === undefined) {
      client = clients.ecrInRegion?.(region) ?? new ECRClient({ region });
      regionalEcr.set(region, client);
    }
    return client;
  };
  const codeBuildClient = (): CodeBuildClient => (codeBuild ??= clients.codeBuild ?? new CodeBuildClient({ region: config.region }));
  const logsClient = (): CloudWatchLogsClient => (logs ??= clients.logs ?? new CloudWatchLogsClient({ region: config.region }));
  const lambdaClient = (): LambdaClient => (lambda ??= clients.lambda ?? new LambdaClient({ region: config.region }));
  const secretsClient = (): SecretsManagerClient => (secrets ??= clients.secrets ?? new SecretsManagerClient({ region: config.region }));

  let secretEntries: Promise<Map<string, RegistryCredentials>> | undefined;
  const loadSecret = (secretArn: string): Promise<Map<string, RegistryCredentials>> => {
    if (secretEntries === undefined) {
      const pending = (async () => {
        let text: string | undefined;
        try {
          text = (await secretsClient().send(new GetSecretValueCommand({ SecretId: secretArn }))).SecretString;
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
  const credentials: CredentialsProvider = async (host) => {
    const secretArn = config.registryCredentialsSecretArn;
    const fromSecret = secretArn === undefined ? undefined : (await loadSecret(secretArn)).get(host.toLowerCase());
    if (fromSecret !== undefined) return fromSecret;
    const registry = classifyRegistry(host);
    if (registry.kind === 'ecr-private' || registry.kind === 'ecr-fips') {
      const cached = ecrTokens.get(registry.region);
      if (cached !== undefined && cached.until > base.now()) return cached.credentials;
      const answer = await ecrClientIn(registry.region).send(new GetAuthorizationTokenCommand({}));
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
    }));

  return {
    ...base,

    resolveSourcePlatform: (ref, architecture) => registryClient().resolvePlatform(ref, architecture),

    async readManifestDigest(ref) {
      return (await registryClient().headManifest(ref))?.digest;
    },

    async ensureRepository(spec) {
      try {
        await ecrClient().send(
          new CreateRepositoryCommand({
            repositoryName: spec.repositoryName,
            imageTagMutability: spec.imageTagMutability,
            imageScanningConfiguration: { scanOnPush: true },
            encryptionConfiguration:
              spec.kmsKeyArn !== undefined ? { encryptionType: 'KMS', kmsKey: spec.kmsKeyArn } : { encryptionType: 'AES256' },
            tags: Object.entries(spec.tags).map(([Key, Value]) => ({ Key, Value })),
          }),
        );
        return 'created';
      } catch (error) {
        if (awsErrorName(error) === 'RepositoryAlreadyExistsException') return 'existed';
        throw error;
      }
    },

    async ensureRepositoryPolicy(repositoryName, statement) {
      let existing: string | undefined;
      try {
        existing = (await ecrClient().send(new GetRepositoryPolicyCommand({ repositoryName }))).policyText;
      } catch (error) {
        if (awsErrorName(error) !== 'RepositoryPolicyNotFoundException') throw error;
      }
      const merged = mergeStatement(existing, statement);
      if (!merged.changed) return 'unchanged';
      await ecrClient().send(new SetRepositoryPolicyCommand({ repositoryName, policyText: merged.document }));
      return 'written';
    },

    async imageExists(repositoryName, digest) {
      try {
        const answer = await ecrClient().send(new DescribeImagesCommand({ repositoryName, imageIds: [{ imageDigest: digest }] }));
        return (answer.imageDetails ?? []).some((image) => image.imageDigest === digest);
      } catch (error) {
        if (awsErrorName(error) === 'ImageNotFoundException') return false;
        throw error;
      }
    },

    async startBuild(input) {
      const answer = await codeBuildClient().send(
        new StartBuildCommand({
          projectName: input.projectName,
          idempotencyToken: input.idempotencyToken,
          environmentVariablesOverride: input.environment.map((variable) => ({ name: variable.name, value: variable.value, type: 'PLAINTEXT' })),
        }),
      );
      const id = answer.build?.id;
      if (id === undefined || id === '') throw new Error(`CodeBuild StartBuild of ${input.projectName} returned no build id`);
      return id;
    },

    async getBuild(buildId) {
      const answer = await codeBuildClient().send(new BatchGetBuildsCommand({ ids: [buildId] }));
      return buildReport(buildId, answer.builds?.find((build) => build.id === buildId) ?? answer.builds?.[0]);
    },

    async stopBuild(buildId) {
      await codeBuildClient().send(new StopBuildCommand({ id: buildId }));
    },

    async tailBuildLog(groupName, streamName, lines) {
      const answer = await logsClient().send(
        new GetLogEventsCommand({ logGroupName: groupName, logStreamName: streamName, limit: lines, startFromHead: false }),
      );
      const text = (answer.events ?? []).flatMap((event) => (event.message ?? '').replace(/\r?\n$/, '').split(/\r?\n/));
      return text.slice(-lines);
    },

    async invokeSelf(functionArn, payload) {
      const answer = await lambdaClient().send(
        new InvokeCommand({ FunctionName: functionArn, InvocationType: 'Event', Payload: Buffer.from(payload, 'utf8') }),
      );
      if (answer.StatusCode !== undefined && answer.StatusCode !== 202) {
        throw new Error(`Lambda accepted the asynchronous invoke with status ${answer.StatusCode}, not 202`);
      }
    },
  };
}
