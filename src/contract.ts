// Names shared by the macro, the mirror function, the templates and the tests (see DESIGN.md "Contracts").
// Changing any of these breaks deployed stacks: they are the product's public interface.

export const MACRO_NAME = 'SysdigImageFix';
export const MIRROR_RESOURCE_TYPE = 'Custom::ImageMirror';
export const MIRROR_LOGICAL_ID_PREFIX = 'ImageMirror';
/** Template and resource Metadata key holding options. */
export const METADATA_KEY = 'SysdigImageFix';

/** Properties of Custom::ImageMirror, as written by the macro and read by the mirror function. */
export const MirrorProperty = {
  ServiceToken: 'ServiceToken',
  ServiceTimeout: 'ServiceTimeout',
  SourceImage: 'SourceImage',
  Architecture: 'Architecture',
  /** `all`: copy the image as published (whole index, attestations included); exclusive with Architecture. */
  Platforms: 'Platforms',
  RepositoryName: 'RepositoryName',
  RepositoryPrefix: 'RepositoryPrefix',
  /**
   * Set on mirrors with `Refresh: true`: a value that differs on every deployment (the macro's requestId, or the
   * generated template parameter below), so CloudFormation sends an Update each time and the mirror function reads
   * the source tag again.
   */
  RefreshToken: 'RefreshToken',
} as const;

/** The parameter the offline CLI adds when a mirror refreshes: give it a new value on every deployment. */
export const REFRESH_TOKEN_PARAMETER = 'SysdigImageFixRefreshToken';

/** Fn::GetAtt attributes the mirror function returns in Data. */
export const MirrorAttribute = {
  ImageUri: 'ImageUri',
  ImageDigest: 'ImageDigest',
  RepositoryUri: 'RepositoryUri',
  RepositoryName: 'RepositoryName',
  SourceImage: 'SourceImage',
  Platform: 'Platform',
} as const;

/**
 * Tags the mirror function puts on every repository it creates: `prune` touches only repositories tagged ManagedBy,
 * and `mirrors` shows SourceImage (the normalised source, cut to ECR's 256 characters of a tag value).
 */
export const MANAGED_BY_TAG = { key: 'ManagedBy', value: 'sysdig-image-fix' } as const;
export const SOURCE_IMAGE_TAG_KEY = 'SourceImage';

/** The one value of the Platforms property, and the Platform attribute of such a mirror. */
export const ALL_PLATFORMS = 'all';

export type Architecture = 'x86_64' | 'arm64';
export const ARCHITECTURES: readonly Architecture[] = ['x86_64', 'arm64'];
export const DEFAULT_ARCHITECTURE: Architecture = 'x86_64';

/** OCI platform of a Lambda architecture. */
export function platformOf(architecture: Architecture): { os: 'linux'; architecture: 'amd64' | 'arm64' } {
  return { os: 'linux', architecture: architecture === 'arm64' ? 'arm64' : 'amd64' };
}

/** CloudFormation custom resource ServiceTimeout bounds, in seconds. */
export const SERVICE_TIMEOUT_MIN = 1;
export const SERVICE_TIMEOUT_MAX = 3600;
export const DEFAULT_SERVICE_TIMEOUT = 3600;

/** A process environment: what the functions read their settings from (`process.env`, or a test's). */
export type EnvironmentVariables = Readonly<Record<string, string | undefined>>;

/** Environment variables of the macro function (defaults for every template it transforms). */
export const MacroEnv = {
  MirrorFunctionArn: 'MIRROR_FUNCTION_ARN',
  RepositoryPrefix: 'REPOSITORY_PREFIX',
  ServiceTimeout: 'SERVICE_TIMEOUT',
} as const;

/** CodeBuild environment overrides the mirror function passes to the build (the buildspec reads these). */
export const BuildEnv = {
  SourceImage: 'SOURCE_IMAGE',
  TargetImage: 'TARGET_IMAGE',
  Architecture: 'ARCHITECTURE',
  RegistryCredentialsSecretArn: 'REGISTRY_CREDENTIALS_SECRET_ARN',
  /** Exported by the buildspec. */
  ImageDigest: 'IMAGE_DIGEST',
} as const;

/** Environment variables of the mirror function, set by the macro stack template. */
export const MirrorEnv = {
  /** CodeBuild project that runs the buildspec. */
  ProjectName: 'CODEBUILD_PROJECT_NAME',
  /** Log group of that project (for the last log lines of a failed build). */
  BuildLogGroupName: 'BUILD_LOG_GROUP_NAME',
  /** Default prefix when a resource gives neither RepositoryName nor RepositoryPrefix. */
  RepositoryPrefix: 'REPOSITORY_PREFIX',
  /** MUTABLE (default) or IMMUTABLE, for repositories the function creates. */
  ImageTagMutability: 'IMAGE_TAG_MUTABILITY',
  /** KMS key for repositories it creates; AES256 when empty. */
  KmsKeyArn: 'KMS_KEY_ARN',
  /** Secrets Manager secret with source registry credentials: {"<host>": {"username", "password"}}. */
  RegistryCredentialsSecretArn: 'REGISTRY_CREDENTIALS_SECRET_ARN',
  /**
   * JSON object mapping a registry host to the base URL the function really talks to, e.g.
   * {"quay.io": "https://quay-proxy.internal"}. Used by tests and by organisations with a registry proxy.
   */
  RegistryEndpoints: 'REGISTRY_ENDPOINTS',
  /** `codebuild` (unset: the default) or `function`: who copies a new image (the macro stack's CopyEngine). */
  CopyEngine: 'COPY_ENGINE',
} as const;

/** The macro stack's CopyEngine values: the CodeBuild job (skopeo), or the mirror function itself. */
export const COPY_ENGINES = ['codebuild', 'function'] as const;
export type CopyEngineName = (typeof COPY_ENGINES)[number];
export const DEFAULT_COPY_ENGINE: CopyEngineName = 'codebuild';
