// Typed failures of the mirror function. Each message is written for the person reading the
// CloudFormation event: it names the image (and the build or repository where one is involved) and
// says what to do. None carries a credential, a token or the presigned ResponseURL.
import { MIRROR_RESOURCE_TYPE } from '../../contract.js';

/** Base class: a failure that becomes the Reason of a FAILED answer. */
export class MirrorError extends Error {
  override readonly name: string = 'MirrorError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options?.cause !== undefined ? { cause: options.cause } : undefined);
  }
}

export interface PropertyProblem {
  /** Property name as written in the template (`SourceImage`, or an unknown key). */
  readonly property: string;
  readonly problem: string;
}

/** One or more ResourceProperties are missing, unknown or invalid; every problem is listed. */
export class InvalidPropertiesError extends MirrorError {
  override readonly name: string = 'InvalidPropertiesError';
  readonly problems: readonly PropertyProblem[];
  constructor(problems: readonly PropertyProblem[]) {
    super(`Invalid ${MIRROR_RESOURCE_TYPE} properties: ${problems.map((p) => `${p.property} ${p.problem}`).join('; ')}`);
    this.problems = [...problems];
  }
}

/** The mirror function's environment (set by the macro stack) is unusable: an operator must fix the stack. */
export class MirrorConfigError extends MirrorError {
  override readonly name: string = 'MirrorConfigError';
  readonly variable: string;
  constructor(variable: string, problem: string, options?: { cause?: unknown }) {
    super(`The mirror function's setting ${variable} ${problem}. Fix it in the SysdigImageFix macro stack and redeploy that stack`, options);
    this.variable = variable;
  }
}

/** The registry credentials secret could not be read or has the wrong shape. Its content is never quoted. */
export class RegistryCredentialsError extends MirrorError {
  override readonly name: string = 'RegistryCredentialsError';
  readonly secretArn: string;
  constructor(secretArn: string, problem: string, options?: { cause?: unknown }) {
    super(`Registry credentials secret ${secretArn} ${problem}`, options);
    this.secretArn = secretArn;
  }
}

/** The source image cannot be mirrored as asked (not found, no such platform, unauthorized). */
export class SourceImageError extends MirrorError {
  override readonly name: string = 'SourceImageError';
  readonly image: string;
  constructor(image: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.image = image;
  }
}

/** Creating the ECR repository or setting its policy failed. */
export class RepositoryError extends MirrorError {
  override readonly name: string = 'RepositoryError';
  readonly repositoryName: string;
  constructor(repositoryName: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.repositoryName = repositoryName;
  }
}

/** CodeBuild could not start, finished without the image, or ran past the deadline. */
export class BuildError extends MirrorError {
  override readonly name: string = 'BuildError';
  readonly buildId: string | undefined;
  constructor(buildId: string | undefined, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.buildId = buildId;
  }
}

/** The function engine could not copy the image (a blob, a manifest, the read-back), or not in time. */
export class CopyError extends MirrorError {
  override readonly name: string = 'CopyError';
}

/** The repository policy ECR holds is not a policy document this function can merge into. */
export class PolicyDocumentError extends Error {
  override readonly name = 'PolicyDocumentError';
}

/** The name and message of any thrown value, for a Reason or a log line. */
export function describeError(error: unknown): string {
  // Ours are written for the person reading the stack events; their class name says nothing to them.
  if (error instanceof MirrorError) return error.message;
  if (error instanceof Error) {
    const name = error.name && error.name !== 'Error' && !error.message.startsWith(error.name) ? `${error.name}: ` : '';
    return `${name}${error.message}`;
  }
  return String(error);
}

/** AWS SDK v3 service errors carry the exception shape in `name`. */
export function awsErrorName(error: unknown): string | undefined {
  if (error === null || typeof error !== 'object') return undefined;
  const name = (error as { name?: unknown }).name;
  return typeof name === 'string' ? name : undefined;
}
