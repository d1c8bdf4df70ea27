// Typed transform errors. Every message names the resource (or the template) and says what to do;
// transform.ts collects them into TransformProblems instead of throwing.
import { capText, MAX_PROBLEM_CHARS, MAX_SHOWN_ID_CHARS, shortList, shownId } from './message.js';
import type { TransformProblem } from './types.js';

/**
 * Base of every error the transform reports; `logicalId` is absent for template-wide problems. The message is cut
 * at MAX_PROBLEM_CHARS: a hostile template (a 200 KB logical id) cannot make one problem large.
 */
export abstract class TransformError extends Error {
  abstract override readonly name: string;
  constructor(
    message: string,
    readonly logicalId: string | undefined,
    options?: { cause?: unknown },
  ) {
    // An id over CloudFormation's 255 characters is shown cut, so the rest of the message still fits.
    const named = logicalId !== undefined && logicalId.length > MAX_SHOWN_ID_CHARS ? message.replaceAll(logicalId, shownId(logicalId)) : message;
    super(capText(named, MAX_PROBLEM_CHARS), options);
  }

  toProblem(): TransformProblem {
    return this.logicalId === undefined ? { message: this.message } : { logicalId: this.logicalId, message: this.message };
  }
}

/** Who a problem belongs to, as the start of a message. */
export function ownerLabel(logicalId: string | undefined): string {
  return logicalId === undefined ? 'Template' : `Resource ${logicalId}`;
}

/** The fragment or one of its sections has a shape the transform cannot work with. */
export class MalformedTemplateError extends TransformError {
  override readonly name = 'MalformedTemplateError';
  constructor(message: string) {
    super(`Template: ${message}`, undefined);
  }
}

export interface SiteErrorOptions {
  readonly cause?: unknown;
  /** Where the value came from, e.g. `from Parameters.Img.Default`: said after the value. */
  readonly origin?: string;
}

const originOf = (options?: SiteErrorOptions) => (options?.origin ? ` (${options.origin})` : '');

/** An image site resolved to a value that is not a valid image reference. */
export class InvalidImageError extends TransformError {
  override readonly name = 'InvalidImageError';
  constructor(
    logicalId: string,
    readonly image: string,
    readonly reason: string,
    options?: SiteErrorOptions,
  ) {
    super(`Resource ${logicalId}: image ${image}${originOf(options)} is not a valid image reference: ${reason}`, logicalId, options);
  }
}

/** A valid image that cannot be given a private ECR repository name (too long, bad prefix). */
export class UnmappableSiteError extends TransformError {
  override readonly name = 'UnmappableSiteError';
  constructor(logicalId: string, image: string, reason: string, options?: SiteErrorOptions) {
    super(`Resource ${logicalId}: cannot mirror image ${image}${originOf(options)}: ${reason}`, logicalId, options);
  }
}

/** A function's Architectures is not one of the values Lambda accepts. */
export class InvalidArchitectureError extends TransformError {
  override readonly name = 'InvalidArchitectureError';
  constructor(
    logicalId: string,
    readonly where: string,
    readonly value: string,
    readonly reason: string,
    fix = 'Use a one-element list, [x86_64] or [arm64], or set Metadata.SysdigImageFix.Architecture on the resource',
  ) {
    super(`Resource ${logicalId}: ${where} ${value} is not valid: ${reason}. ${fix}`, logicalId);
  }
}

/** A parameter named in MirrorParameters cannot be mirrored (unknown, not a String, not an image). */
export class ParameterMirrorError extends TransformError {
  override readonly name = 'ParameterMirrorError';
  constructor(
    readonly parameter: string,
    detail: string,
    options?: { cause?: unknown },
  ) {
    super(`Parameter ${parameter} (MirrorParameters): ${detail}`, parameter, options);
  }
}

/** A task definition would pull mirrored (private ECR) images but has no execution role to pull them with. */
export class MissingExecutionRoleError extends TransformError {
  override readonly name = 'MissingExecutionRoleError';
  constructor(logicalId: string, images: readonly string[]) {
    super(
      `Resource ${logicalId}: ${shortList(images)} would come from private ECR (mirrored by SysdigImageFix), which ECS pulls with the ` +
        "task's execution role, but the task definition has no ExecutionRoleArn; add an execution role with ECR pull permission " +
        '(e.g. one with the managed policy AmazonECSTaskExecutionRolePolicy)',
      logicalId,
    );
  }
}

/** An option in Metadata (or a macro default) is unknown or has a bad value. */
export class InvalidOptionError extends TransformError {
  override readonly name = 'InvalidOptionError';
  constructor(
    readonly owner: string,
    logicalId: string | undefined,
    detail: string,
  ) {
    super(`${owner}: ${detail}`, logicalId);
  }
}

/** Injecting a mirror would clash with the template or with another site's options. */
export class MirrorConflictError extends TransformError {
  override readonly name = 'MirrorConflictError';
  constructor(message: string, logicalId: string | undefined) {
    super(message, logicalId);
  }
}

/** Mirrors are needed but the macro was given no mirror function to point them at. */
export class MissingMirrorFunctionError extends TransformError {
  override readonly name = 'MissingMirrorFunctionError';
  constructor(logicalIds: readonly string[]) {
    super(
      `Template: resources ${shortList(logicalIds)} need an image mirror, but no mirror function ARN is configured ` +
        '(set MIRROR_FUNCTION_ARN on the macro function, or pass --mirror-function-arn to the CLI)',
      undefined,
    );
  }
}

/** A bug or an input shape nobody anticipated: reported as a problem instead of thrown. */
export class InternalTransformError extends TransformError {
  override readonly name = 'InternalTransformError';
  constructor(logicalId: string | undefined, cause: unknown) {
    const detail = cause instanceof Error ? `${cause.name}: ${cause.message}` : String(cause);
    super(`${ownerLabel(logicalId)}: internal error in the SysdigImageFix transform (${detail}); please report this with the template`, logicalId, { cause });
  }
}
