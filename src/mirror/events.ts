// What arrived: a CloudFormation custom resource request, the function's own continuation event,
// or something it cannot act on. Anything with a usable ResponseURL is answerable, however broken
// the rest is; only an event without one cannot be answered (and is only logged).
import type {
  CloudFormationCustomResourceCreateEvent,
  CloudFormationCustomResourceDeleteEvent,
  CloudFormationCustomResourceUpdateEvent,
} from 'aws-lambda';
import { ARCHITECTURES, type Architecture } from '../contract.js';
import { ECR_REPOSITORY_NAME, tryParseImageReference } from '../reference/index.js';
import { isImageDigest } from './build.js';
import { platformName, TARGET_TAG_KINDS, type CopyPlan } from './plan.js';
import type { AnswerTarget } from './response.js';

export type CreateOrUpdateRequest = CloudFormationCustomResourceCreateEvent | CloudFormationCustomResourceUpdateEvent;
export type DeleteRequest = CloudFormationCustomResourceDeleteEvent;

export const CONTINUATION_KEY = 'sysdigImageFixContinuation';
export const CONTINUATION_VERSION = 1;

/** Carried from one invocation to the next while a build runs (see lifecycle `handOver`). */
export interface ContinuationState {
  readonly version: typeof CONTINUATION_VERSION;
  readonly request: CreateOrUpdateRequest;
  readonly buildId: string;
  /** Epoch milliseconds: give up and answer FAILED from then on. */
  readonly deadline: number;
  readonly expectedDigest?: string;
  readonly plan: CopyPlan;
}

/** An answerable event that is malformed: answered FAILED (or SUCCESS for a Delete). */
export interface InvalidEvent {
  readonly kind: 'invalid';
  readonly target: AnswerTarget;
  readonly requestType: string | undefined;
  readonly physicalResourceId: string | undefined;
  readonly problem: string;
}

export type IncomingEvent =
  | { readonly kind: 'unanswerable'; readonly problem: string }
  | InvalidEvent
  | { readonly kind: 'delete'; readonly request: DeleteRequest }
  | { readonly kind: 'create-or-update'; readonly request: CreateOrUpdateRequest }
  | { readonly kind: 'continuation'; readonly state: ContinuationState };

type Fields = Record<string, unknown>;

function isObject(value: unknown): value is Fields {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function usableUrl(value: unknown): string | undefined {
  if (typeof value !== 'string' || value.length === 0 || value.length > 8192) return undefined;
  try {
    const url = new URL(value);
    return url.protocol === 'https:' || url.protocol === 'http:' ? value : undefined;
  } catch {
    return undefined;
  }
}

function text(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

/** A request's problems, or undefined when it is a well-formed Create, Update or Delete. */
function requestProblem(fields: Fields): string | undefined {
  const missing = ['StackId', 'RequestId', 'LogicalResourceId', 'ResourceType'].filter(
    (key) => typeof fields[key] !== 'string' || fields[key] === '',
  );
  const type = fields.RequestType;
  if (type !== 'Create' && type !== 'Update' && type !== 'Delete') {
    return `RequestType ${typeof type === 'string' ? JSON.stringify(type.slice(0, 40)) : 'is missing'}; expected Create, Update or Delete`;
  }
  if (type !== 'Create' && (typeof fields.PhysicalResourceId !== 'string' || fields.PhysicalResourceId === '')) missing.push('PhysicalResourceId');
  if (type !== 'Delete' && !isObject(fields.ResourceProperties)) missing.push('ResourceProperties');
  if (type === 'Update' && !isObject(fields.OldResourceProperties)) missing.push('OldResourceProperties');
  return missing.length > 0 ? `the ${type} request has no ${missing.join(', ')}` : undefined;
}

function invalid(fields: Fields, url: string, problem: string): InvalidEvent {
  return {
    kind: 'invalid',
    target: { ResponseURL: url, StackId: text(fields.StackId), RequestId: text(fields.RequestId), LogicalResourceId: text(fields.LogicalResourceId) },
    requestType: typeof fields.RequestType === 'string' ? fields.RequestType : undefined,
    physicalResourceId: typeof fields.PhysicalResourceId === 'string' && fields.PhysicalResourceId !== '' ? fields.PhysicalResourceId : undefined,
    problem,
  };
}

function copyPlanProblem(value: unknown): string | undefined {
  if (!isObject(value) || value.kind !== 'copy') return 'plan is not a copy plan';
  const { sourceImage, architecture, repositoryName, repositoryUri, targetImage } = value;
  if (typeof sourceImage !== 'string' || !tryParseImageReference(sourceImage).ok) return 'plan.sourceImage is not an image reference';
  if (typeof architecture !== 'string' || !(ARCHITECTURES as readonly string[]).includes(architecture)) return 'plan.architecture is invalid';
  if (value.platform !== platformName(architecture as Architecture)) return 'plan.platform does not match plan.architecture';
  if (typeof repositoryName !== 'string' || !ECR_REPOSITORY_NAME.test(repositoryName)) return 'plan.repositoryName is invalid';
  if (typeof repositoryUri !== 'string' || !repositoryUri.endsWith(`/${repositoryName}`) || !tryParseImageReference(repositoryUri).ok) {
    return 'plan.repositoryUri is invalid';
  }
  if (typeof targetImage !== 'string' || !targetImage.startsWith(`${repositoryUri}:`) || !tryParseImageReference(targetImage).ok) {
    return 'plan.targetImage is invalid';
  }
  if (value.targetTagKind !== undefined && !(TARGET_TAG_KINDS as readonly unknown[]).includes(value.targetTagKind)) {
    return 'plan.targetTagKind is invalid';
  }
  return undefined;
}

function classifyContinuation(state: unknown): IncomingEvent {
  if (!isObject(state) || !isObject(state.request)) return { kind: 'unanswerable', problem: 'continuation event without a request' };
  const request = state.request;
  const url = usableUrl(request.ResponseURL);
  if (url === undefined) return { kind: 'unanswerable', problem: 'continuation event without a usable ResponseURL' };
  const problem =
    (state.version !== CONTINUATION_VERSION ? `continuation version ${JSON.stringify(state.version)} is not ${CONTINUATION_VERSION}` : undefined) ??
    requestProblem(request) ??
    (request.RequestType === 'Delete' ? 'a Delete request has no build to wait for' : undefined) ??
    (typeof state.buildId !== 'string' || !/^[A-Za-z0-9][A-Za-z0-9_:./-]{0,299}$/.test(state.buildId) ? 'buildId is invalid' : undefined) ??
    (typeof state.deadline !== 'number' || !Number.isFinite(state.deadline) ? 'deadline is not a number' : undefined) ??
    (state.expectedDigest !== undefined && !(typeof state.expectedDigest === 'string' && isImageDigest(state.expectedDigest))
      ? 'expectedDigest is not a sha256 digest'
      : undefined) ??
    copyPlanProblem(state.plan);
  if (problem !== undefined) return invalid(request, url, `Invalid continuation event: ${problem}`);
  return { kind: 'continuation', state: state as unknown as ContinuationState };
}

export function classifyEvent(event: unknown): IncomingEvent {
  if (!isObject(event)) return { kind: 'unanswerable', problem: `the event is ${event === null ? 'null' : Array.isArray(event) ? 'a list' : typeof event}, not an object` };
  if (CONTINUATION_KEY in event) return classifyContinuation(event[CONTINUATION_KEY]);
  const url = usableUrl(event.ResponseURL);
  if (url === undefined) {
    return { kind: 'unanswerable', problem: event.ResponseURL === undefined ? 'the event has no ResponseURL' : 'the event ResponseURL is not an http(s) URL' };
  }
  const problem = requestProblem(event);
  if (problem !== undefined) return invalid(event, url, `Invalid CloudFormation request: ${problem}`);
  if (event.RequestType === 'Delete') return { kind: 'delete', request: event as unknown as DeleteRequest };
  return { kind: 'create-or-update', request: event as unknown as CreateOrUpdateRequest };
}
