// The mirror function's settings: environment variables set by the macro stack (MirrorEnv) plus the
// account, partition and region it runs in. Every value is validated here, before any of it reaches
// an AWS call or a CodeBuild environment variable.
import { COPY_ENGINES, type CopyEngineName, DEFAULT_COPY_ENGINE, type EnvironmentVariables, MirrorEnv } from '../../contract.js';
import { DEFAULT_REPOSITORY_PREFIX, isAccountId, isRegion, repositoryPrefixProblem, urlSuffixForRegion } from '../../reference/index.js';
import { ECR_SOURCES_ENV, parseEcrSources, type EcrSourcePolicy } from './ecr-sources.js';
import { MirrorConfigError } from './errors.js';
import { parseEndpointMap } from '../registry/endpoints.js';

export type ImageTagMutability = 'MUTABLE' | 'IMMUTABLE';

/** Where the function runs: everything an ARN, a registry host or a console link is built from. */
export interface MirrorLocation {
  readonly partition: string;
  readonly region: string;
  readonly accountId: string;
  readonly urlSuffix: string;
}

export interface MirrorConfig extends MirrorLocation {
  /** ARN the function was invoked with (qualifier kept): the target of its own continuation invoke. */
  readonly functionArn: string;
  readonly projectName: string;
  /** Fallback when a build does not report its own log group. */
  readonly buildLogGroupName: string | undefined;
  readonly defaultRepositoryPrefix: string;
  readonly imageTagMutability: ImageTagMutability;
  readonly kmsKeyArn: string | undefined;
  readonly registryCredentialsSecretArn: string | undefined;
  /** Registry host -> base URL overrides (REGISTRY_ENDPOINTS). */
  readonly registryEndpoints: ReadonlyMap<string, string>;
  /** Private ECR repositories that may be mirrored (ECR_SOURCE_REPOSITORY_ARNS; unset: any). */
  readonly ecrSources: EcrSourcePolicy;
  /** Who copies a new image (COPY_ENGINE; unset: codebuild). */
  readonly copyEngine: CopyEngineName;
}

const FUNCTION_ARN = /^arn:(aws[a-z-]*):lambda:([a-z0-9-]+):([0-9]{12}):function:[A-Za-z0-9_-]{1,64}(?::[A-Za-z0-9$_-]{1,128})?$/;
const CODEBUILD_PROJECT = /^[A-Za-z0-9][A-Za-z0-9_-]{1,254}$/;
const LOG_GROUP = /^[A-Za-z0-9._/#-]{1,512}$/;
/** Key ARN, alias ARN, key id or alias name: all that CreateRepository's kmsKey accepts. */
const KMS_KEY = /^(?:arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:(?:key|alias)\/[A-Za-z0-9/_-]{1,256}|[0-9a-f-]{36}|alias\/[A-Za-z0-9/_-]{1,250}|mrk-[0-9a-f]{32})$/;
const SECRET_ARN = /^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:[0-9]{12}:secret:[A-Za-z0-9/_+=.@-]{1,512}$/;

/** Unset and blank are the same: templates pass '' for an optional parameter left empty. */
function optional(env: EnvironmentVariables, name: string): string | undefined {
  const value = env[name]?.trim();
  return value === undefined || value === '' ? undefined : value;
}

/** Partition, region and account of the running function, from its ARN and AWS_REGION. */
export function locationFromContext(env: EnvironmentVariables, invokedFunctionArn: unknown): MirrorLocation & { functionArn: string } {
  const region = optional(env, 'AWS_REGION');
  if (region === undefined || !isRegion(region)) {
    throw new MirrorConfigError('AWS_REGION', region === undefined ? 'is not set' : `is not a region name: ${JSON.stringify(region)}`);
  }
  const arn = typeof invokedFunctionArn === 'string' ? invokedFunctionArn : '';
  const match = FUNCTION_ARN.exec(arn);
  if (!match) {
    throw new MirrorConfigError('invokedFunctionArn (Lambda context)', `is not a Lambda function ARN: ${JSON.stringify(arn.slice(0, 200))}`);
  }
  const [, partition, , accountId] = match as unknown as [string, string, string, string];
  if (!isAccountId(accountId)) throw new MirrorConfigError('invokedFunctionArn (Lambda context)', 'has no 12-digit account id');
  return { partition, region, accountId, urlSuffix: urlSuffixForRegion(region), functionArn: arn };
}

export function loadConfig(env: EnvironmentVariables, invokedFunctionArn: unknown): MirrorConfig {
  const location = locationFromContext(env, invokedFunctionArn);

  const projectName = optional(env, MirrorEnv.ProjectName);
  if (projectName === undefined) throw new MirrorConfigError(MirrorEnv.ProjectName, 'is not set');
  if (!CODEBUILD_PROJECT.test(projectName)) throw new MirrorConfigError(MirrorEnv.ProjectName, 'is not a CodeBuild project name');

  const buildLogGroupName = optional(env, MirrorEnv.BuildLogGroupName);
  if (buildLogGroupName !== undefined && !LOG_GROUP.test(buildLogGroupName)) {
    throw new MirrorConfigError(MirrorEnv.BuildLogGroupName, 'is not a CloudWatch Logs group name');
  }

  const defaultRepositoryPrefix = optional(env, MirrorEnv.RepositoryPrefix) ?? DEFAULT_REPOSITORY_PREFIX;
  const prefixProblem = repositoryPrefixProblem(defaultRepositoryPrefix);
  if (prefixProblem !== undefined) throw new MirrorConfigError(MirrorEnv.RepositoryPrefix, prefixProblem);

  const mutability = optional(env, MirrorEnv.ImageTagMutability) ?? 'MUTABLE';
  if (mutability !== 'MUTABLE' && mutability !== 'IMMUTABLE') {
    throw new MirrorConfigError(MirrorEnv.ImageTagMutability, `must be MUTABLE or IMMUTABLE, not ${JSON.stringify(mutability.slice(0, 50))}`);
  }

  const kmsKeyArn = optional(env, MirrorEnv.KmsKeyArn);
  if (kmsKeyArn !== undefined && !KMS_KEY.test(kmsKeyArn)) {
    throw new MirrorConfigError(MirrorEnv.KmsKeyArn, 'is not a KMS key ARN, key id or alias');
  }

  const registryCredentialsSecretArn = optional(env, MirrorEnv.RegistryCredentialsSecretArn);
  if (registryCredentialsSecretArn !== undefined && !SECRET_ARN.test(registryCredentialsSecretArn)) {
    throw new MirrorConfigError(MirrorEnv.RegistryCredentialsSecretArn, 'is not a Secrets Manager secret ARN');
  }

  let registryEndpoints: ReadonlyMap<string, string>;
  try {
    registryEndpoints = parseEndpointMap(optional(env, MirrorEnv.RegistryEndpoints));
  } catch (error) {
    throw new MirrorConfigError(MirrorEnv.RegistryEndpoints, `is unusable: ${error instanceof Error ? error.message : String(error)}`, {
      cause: error,
    });
  }

  // Unset (an older macro stack) is "any"; the stack passes "" when its parameter lists none.
  const ecrSources = parseEcrSources(env[ECR_SOURCES_ENV] ?? '*');
  if (typeof ecrSources === 'string') throw new MirrorConfigError(ECR_SOURCES_ENV, ecrSources);

  const copyEngine = optional(env, MirrorEnv.CopyEngine) ?? DEFAULT_COPY_ENGINE;
  if (!(COPY_ENGINES as readonly string[]).includes(copyEngine)) {
    throw new MirrorConfigError(MirrorEnv.CopyEngine, `must be ${COPY_ENGINES.join(' or ')}, not ${JSON.stringify(copyEngine.slice(0, 50))}`);
  }

  return {
    ...location,
    copyEngine: copyEngine as CopyEngineName,
    ecrSources,
    projectName,
    buildLogGroupName,
    defaultRepositoryPrefix,
    imageTagMutability: mutability,
    kmsKeyArn,
    registryCredentialsSecretArn,
    registryEndpoints,
  };
}
