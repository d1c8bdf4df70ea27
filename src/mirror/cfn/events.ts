// What arrived: a CloudFormation custom resource request, the function's own continuation event,
// or something it cannot act on. Anything with a usable ResponseURL is answerable, however broken
// the rest is; only an event without one cannot be answered (and is only logged).
import type { CloudFormationCustomResourceCreateEvent, CloudFormationCustomResourceDeleteEvent, CloudFormationCustomResourceUpdateEvent } from 'aws-lambda';
import { createHash } from 'node:crypto';
import { canonicalJson, describeValue, isPlainObject } from '../../values.js';
import type { AnswerTarget } from './response.js';

export type CreateOrUpdateRequest = CloudFormationCustomResourceCreateEvent | CloudFormationCustomResourceUpdateEvent;
export type DeleteRequest = CloudFormationCustomResourceDeleteEvent;

/**
 * SHA-256 (hex) of the request as CloudFormation sent it, key order aside: what binds a build or a copy record to the
 * request (its presigned ResponseURL included, so nobody without that URL can produce it).
 */
export function requestDigest(request: CreateOrUpdateRequest): string {
  return createHash('sha256').update(canonicalJson(request)).digest('hex');
}

export const CONTINUATION_KEY = 'sysdigImageFixContinuation';
/** 2: the state lives in the build (see build/binding.ts); the event names only the request and the build. */
export const CONTINUATION_VERSION = 2;

/**
 * The hand-over event of the CodeBuild engine (see build/wait.ts `handOver`): which request waits for which build.
 * It proves nothing by itself: anyone allowed to invoke the function can send one. The continued invocation acts
 * only after CodeBuild confirms that the build belongs to this function's project and was started for exactly this
 * request (the binding in its environment), and takes everything else (plan, deadline, expected digest) from that
 * build.
 */
export interface BuildContinuation {
  readonly version: typeof CONTINUATION_VERSION;
  readonly request: CreateOrUpdateRequest;
  readonly buildId: string;
  /** Consecutive failed reads of the build so far (carried across hand-overs). */
  readonly pollFailures?: number;
}

/**
 * The hand-over event of the function engine (copy/engine.ts): which request's copy goes on. It proves nothing
 * either: the continued invocation acts only when the target repository's copy record (copy/record.ts, a tag only
 * this function writes) names exactly this request, takes the deadline, digest and tag kind from that record, and
 * learns how far the copy got from the target registry itself (blobs are content-addressed), never from the event.
 */
export interface CopyContinuation {
  readonly version: typeof CONTINUATION_VERSION;
  readonly request: CreateOrUpdateRequest;
  readonly copy: {
    /** Invocations in a row that finished no blob (a blob too large for one invocation ends the copy). */
    readonly stalled?: number;
    /** Consecutive failed reads of the copy record (carried across hand-overs). */
    readonly readFailures?: number;
  };
}

export type Continuation = BuildContinuation | CopyContinuation;

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
  | { readonly kind: 'continuation'; readonly continuation: Continuation };

type Fields = Record<string, unknown>;

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

/**
 * Longest values echoed in an answer. CloudFormation's own are far shorter (a stack ARN, a UUID, a logical id
 * of at most 255 characters, a physical id of at most 1 KB); longer ones could push the answer past 4096 bytes.
 */
const ECHOED_MAX: Readonly<Record<string, number>> = { StackId: 1024, RequestId: 256, LogicalResourceId: 255, PhysicalResourceId: 1024 };

/** The echoed field that is too long to answer with, if any. */
function oversizedField(fields: Fields): string | undefined {
  return Object.keys(ECHOED_MAX).find((key) => typeof fields[key] === 'string' && (fields[key] as string).length > ECHOED_MAX[key]!);
}

/** A request's problems, or undefined when it is a well-formed Create, Update or Delete. */
function requestProblem(fields: Fields): string | undefined {
  const missing = ['StackId', 'RequestId', 'LogicalResourceId', 'ResourceType'].filter((key) => typeof fields[key] !== 'string' || fields[key] === '');
  const type = fields.RequestType;
  if (type !== 'Create' && type !== 'Update' && type !== 'Delete') {
    return `RequestType ${typeof type === 'string' ? JSON.stringify(type.slice(0, 40)) : 'is missing'}; expected Create, Update or Delete`;
  }
  if (type !== 'Create' && (typeof fields.PhysicalResourceId !== 'string' || fields.PhysicalResourceId === '')) missing.push('PhysicalResourceId');
  if (type !== 'Delete' && !isPlainObject(fields.ResourceProperties)) missing.push('ResourceProperties');
  if (type === 'Update' && !isPlainObject(fields.OldResourceProperties)) missing.push('OldResourceProperties');
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

const BUILD_ID = /^[A-Za-z0-9][A-Za-z0-9_-]{1,254}:[A-Za-z0-9-]{1,100}$/;

const isCount = (value: unknown): boolean => value === undefined || (Number.isSafeInteger(value) && (value as number) >= 0);

/** What is wrong with the engine's part of a continuation: a build to wait for, or a copy to go on with. */
function continuationTargetProblem(value: Fields): string | undefined {
  if (value.copy !== undefined) {
    if (value.buildId !== undefined) return 'a continuation names a build or a copy, not both';
    const copy = value.copy;
    if (!isPlainObject(copy)) return 'copy is not an object';
    return isCount(copy.stalled) && isCount(copy.readFailures) ? undefined : 'copy.stalled and copy.readFailures must be counts';
  }
  if (typeof value.buildId !== 'string' || !BUILD_ID.test(value.buildId)) return 'buildId is not a CodeBuild build id';
  return isCount(value.pollFailures) ? undefined : 'pollFailures is not a count';
}

/**
 * A continuation is answered only after its build or copy record vouches for it (lifecycle), so a malformed one
 * is never answered: its ResponseURL may be anyone's.
 */
function classifyContinuation(value: unknown): IncomingEvent {
  if (!isPlainObject(value) || !isPlainObject(value.request)) return { kind: 'unanswerable', problem: 'continuation event without a request' };
  const request = value.request;
  const problem =
    (value.version !== CONTINUATION_VERSION ? `continuation version ${JSON.stringify(value.version)} is not ${CONTINUATION_VERSION}` : undefined) ??
    (usableUrl(request.ResponseURL) === undefined ? 'continuation event without a usable ResponseURL' : undefined) ??
    requestProblem(request) ??
    (request.RequestType === 'Delete' ? 'a Delete request has no build to wait for' : undefined) ??
    (oversizedField(request) !== undefined ? `continuation request ${oversizedField(request)} is too long` : undefined) ??
    continuationTargetProblem(value);
  if (problem !== undefined) return { kind: 'unanswerable', problem: `ignored continuation event: ${problem}` };
  return { kind: 'continuation', continuation: value as unknown as Continuation };
}

export function classifyEvent(event: unknown): IncomingEvent {
  if (!isPlainObject(event)) return { kind: 'unanswerable', problem: `the event is ${describeValue(event)}, not an object` };
  if (CONTINUATION_KEY in event) return classifyContinuation(event[CONTINUATION_KEY]);
  const url = usableUrl(event.ResponseURL);
  if (url === undefined) {
    return { kind: 'unanswerable', problem: event.ResponseURL === undefined ? 'the event has no ResponseURL' : 'the event ResponseURL is not an http(s) URL' };
  }
  // An answer must echo these; values no CloudFormation request has would not fit in one.
  const oversized = oversizedField(event);
  if (oversized !== undefined) return { kind: 'unanswerable', problem: `the event ${oversized} is longer than any CloudFormation request's` };
  const problem = requestProblem(event);
  if (problem !== undefined) return invalid(event, url, `Invalid CloudFormation request: ${problem}`);
  if (event.RequestType === 'Delete') return { kind: 'delete', request: event as unknown as DeleteRequest };
  return { kind: 'create-or-update', request: event as unknown as CreateOrUpdateRequest };
}
