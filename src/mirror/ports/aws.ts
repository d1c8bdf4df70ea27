// The real ports: AWS SDK clients (made on first use, so Delete and validation failures never construct
// one), the registry client with its credentials, the response PUT and the clock. One adapter per service
// (ecr.ts, codebuild.ts, logs.ts, lambda.ts, secrets.ts); tests pass mocked SDK clients, a fake registry and
// a virtual clock into createAwsPorts.
import { CodeBuildClient } from '@aws-sdk/client-codebuild';
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { ECRClient } from '@aws-sdk/client-ecr';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { MirrorConfig } from '../core/config.js';
import { RegistryClient } from '../registry/client.js';
import { createCredentialsProvider } from '../registry/credentials.js';
import { realClock } from './clock.js';
import { codeBuildPorts } from './codebuild.js';
import { ecrAuthorizationToken, ecrPorts } from './ecr.js';
import { createHttpPut } from './http-put.js';
import { lambdaPorts } from './lambda.js';
import { logsPorts } from './logs.js';
import { clientSettings } from './sdk.js';
import { readSecretString } from './secrets.js';
import type { ClockPorts, MirrorPorts, RegistryFactory, RegistryPort, RegistryPortOptions, ResponsePorts } from './types.js';

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

const REGISTRY_TIMEOUT_MS = 15_000;

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

/** The SDK clients of one function configuration, each made on first use (or taken from `clients`). */
function lazyClients(config: MirrorConfig, clients: Partial<AwsClients>) {
  let ecr: ECRClient | undefined;
  let codeBuild: CodeBuildClient | undefined;
  let logs: CloudWatchLogsClient | undefined;
  let lambda: LambdaClient | undefined;
  let secrets: SecretsManagerClient | undefined;
  const regionalEcr = new Map<string, ECRClient>();
  const ecrClient = (): ECRClient => (ecr ??= clients.ecr ?? new ECRClient(clientSettings(config.region)));
  return {
    ecr: ecrClient,
    ecrIn: (region: string): ECRClient => {
      if (region === config.region) return ecrClient();
      let client = regionalEcr.get(region);
      if (client === undefined) {
        client = clients.ecrInRegion?.(region) ?? new ECRClient(clientSettings(region));
        regionalEcr.set(region, client);
      }
      return client;
    },
    codeBuild: (): CodeBuildClient => (codeBuild ??= clients.codeBuild ?? new CodeBuildClient(clientSettings(config.region))),
    logs: (): CloudWatchLogsClient => (logs ??= clients.logs ?? new CloudWatchLogsClient(clientSettings(config.region))),
    lambda: (): LambdaClient => (lambda ??= clients.lambda ?? new LambdaClient(clientSettings(config.region))),
    secrets: (): SecretsManagerClient => (secrets ??= clients.secrets ?? new SecretsManagerClient(clientSettings(config.region))),
  };
}

export function createAwsPorts(config: MirrorConfig, options: AwsPortsOptions = {}): MirrorPorts {
  const base = createBasePorts(options);
  const clients = lazyClients(config, options.clients ?? {});
  const credentials = createCredentialsProvider({
    secretArn: config.registryCredentialsSecretArn,
    readSecret: (secretArn, call) => readSecretString(clients.secrets(), secretArn, call),
    ecrToken: (region, call) => ecrAuthorizationToken(clients.ecrIn(region), call),
    now: () => base.now(),
  });
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
    resolveSourceImage: (ref, call) => registryClient().resolvePublished(ref, call),
    sourceHostRefusal: (registry) => registryClient().copySourceRefusal(registry),
    async readManifestDigest(ref, call) {
      return (await registryClient().headManifest(ref, call))?.digest;
    },
    registry: registryClient,
    ...ecrPorts(clients.ecr),
    ...codeBuildPorts(clients.codeBuild),
    ...logsPorts(clients.logs),
    ...lambdaPorts(clients.lambda),
  };
}
