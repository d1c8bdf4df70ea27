// The end of every path: an Answer for CloudFormation, or a hand-over to the next invocation. Failed
// answers carry the placeholder physical id on Create (so the rollback Delete is a no-op) and the
// unchanged id otherwise.
import { UnmappableImageError } from '../../reference/index.js';
import { describeError, MirrorError, RegistryCredentialsError } from '../core/errors.js';
import { describeRefusal } from '../core/naming.js';
import { attributesFor, type MirrorPlan } from '../core/plan.js';
import type { DeleteRequest, InvalidEvent } from './events.js';
import { isPlaceholderPhysicalId, placeholderPhysicalId, type Answer } from './response.js';

/**
 * `ignored`: an event this function must not act on (a continuation that no build of its own vouches for);
 * nothing is answered, since its ResponseURL may be anyone's.
 */
export type Outcome =
  | { readonly kind: 'answer'; readonly answer: Answer }
  | { readonly kind: 'handed-over'; readonly buildId?: string }
  | { readonly kind: 'ignored'; readonly reason: string };

export function answered(answer: Answer): Outcome {
  return { kind: 'answer', answer };
}

/** Physical id of a FAILED answer: the placeholder for a Create, the unchanged id otherwise. */
export function failedPhysicalId(requestType: string | undefined, requestId: string, physicalId: string | undefined): string {
  if (requestType === 'Create' || physicalId === undefined) return placeholderPhysicalId(requestId);
  return physicalId;
}

export function hasCause(error: unknown, type: new (...args: never[]) => Error): Error | undefined {
  for (let current = error, depth = 0; current instanceof Error && depth < 8; current = (current as { cause?: unknown }).cause, depth++) {
    if (current instanceof type) return current;
  }
  return undefined;
}

/** The Reason for an error: typed errors say it themselves; anything else is a bug and says so. */
export function reasonFor(error: unknown): string {
  const credentials = hasCause(error, RegistryCredentialsError);
  if (credentials !== undefined) return credentials.message;
  if (error instanceof MirrorError || error instanceof UnmappableImageError) return error.message;
  return `Unexpected error in the mirror function: ${describeError(error)}. See the function's CloudWatch logs`;
}

export function failureAnswer(request: { RequestType?: unknown; RequestId: string; PhysicalResourceId?: unknown }, error: unknown): Answer {
  return {
    status: 'FAILED',
    physicalResourceId: failedPhysicalId(
      typeof request.RequestType === 'string' ? request.RequestType : undefined,
      request.RequestId,
      typeof request.PhysicalResourceId === 'string' ? request.PhysicalResourceId : undefined,
    ),
    reason: reasonFor(error),
  };
}

/** A SUCCESS answer; an Update copied to another repository than its properties name says so (core/naming.ts). */
export function success(plan: MirrorPlan, imageUri: string, reason: string): Outcome {
  const renamed = plan.kind === 'copy' && plan.renamed !== undefined ? `. ${describeRefusal(plan.renamed, plan.sourceImage)}; mirrored there` : '';
  return answered({ status: 'SUCCESS', physicalResourceId: imageUri, reason: `${reason}${renamed}`, data: attributesFor(plan, imageUri) });
}

/** Delete keeps the image (running functions and other stacks may use it): nothing to call. */
export function deleteAnswer(request: DeleteRequest): Answer {
  return {
    status: 'SUCCESS',
    physicalResourceId: request.PhysicalResourceId,
    reason: isPlaceholderPhysicalId(request.PhysicalResourceId) ? 'Nothing to delete: the resource was never created' : 'Image kept in ECR: functions may still run it',
  };
}

/** A malformed event that still has a ResponseURL. A Delete succeeds anyway, so a rollback never hangs on it. */
export function invalidEventAnswer(event: InvalidEvent): Answer {
  if (event.requestType === 'Delete') {
    return {
      status: 'SUCCESS',
      physicalResourceId: event.physicalResourceId ?? placeholderPhysicalId(event.target.RequestId),
      reason: `Nothing deleted (${event.problem})`,
    };
  }
  return {
    status: 'FAILED',
    physicalResourceId: failedPhysicalId(event.requestType, event.target.RequestId, event.physicalResourceId),
    reason: event.problem,
  };
}
