// Lambda entry of the mirror function (bundle dist/mirror/index.js). Thin: classify the event, run the
// lifecycle with the real ports within the invocation's time budget, and answer CloudFormation exactly
// once, whatever happens (including a bug), before Lambda's timeout. It never throws: a thrown error
// would make Lambda retry the event and answer again.
import type { Context } from 'aws-lambda';
import { answerReserveMs, Budget } from './core/budget.js';
import type { EnvironmentVariables } from '../contract.js';
import { loadConfig, type MirrorConfig } from './core/config.js';
import { MirrorError } from './core/errors.js';
import { classifyEvent, type CreateOrUpdateRequest, type IncomingEvent, requestDigest } from './cfn/events.js';
import type { MirrorRequestInput } from './core/properties.js';
import { deleteAnswer, failureAnswer, invalidEventAnswer, type Outcome } from './cfn/answers.js';
import { continueMirror, createOrUpdate } from './core/lifecycle.js';
import type { Timing } from './core/timing.js';
import { createMirrorLog, redactEvent, type RedactingLog } from './log.js';
import { parseProperties } from './core/properties.js';
import { createAwsPorts, createBasePorts } from './ports/aws.js';
import type { ClockPorts, MirrorPorts, ResponsePorts } from './ports/types.js';
import { MAX_RESPONSE_BYTES, responseBody, sendResponse, type Answer, type AnswerTarget, type SendOptions } from './cfn/response.js';

export interface HandlerOptions {
  /** The AWS side, made once the configuration is known. */
  createPorts?: (config: MirrorConfig) => MirrorPorts;
  /** What answering needs; used also when the configuration is broken. */
  basePorts?: ResponsePorts & ClockPorts;
  /** A fresh redacting log per invocation by default. */
  createLog?: () => RedactingLog;
  env?: EnvironmentVariables;
  timing?: Partial<Timing>;
  send?: SendOptions;
}

/** A safe lower bound when the context cannot say how long is left. */
const UNKNOWN_REMAINING_MS = 60_000;
/** Requests this container answered, remembered so that a redelivery is not answered again. */
const ANSWERED_MEMORY = 1_000;

function remainingTime(context: unknown): () => number {
  const get = (context as Partial<Context> | null | undefined)?.getRemainingTimeInMillis;
  if (typeof get !== 'function') return () => UNKNOWN_REMAINING_MS;
  return () => {
    try {
      const ms = get.call(context);
      return Number.isFinite(ms) ? ms : UNKNOWN_REMAINING_MS;
    } catch {
      return UNKNOWN_REMAINING_MS;
    }
  };
}

function targetOf(incoming: IncomingEvent): AnswerTarget | undefined {
  switch (incoming.kind) {
    case 'unanswerable':
      return undefined;
    case 'invalid':
      return incoming.target;
    case 'continuation':
      return incoming.continuation.request;
    default:
      return incoming.request;
  }
}

/** Which request an answer is for: the same for every delivery of it, and for its continuations. */
function answerKey(incoming: IncomingEvent, event: unknown): string {
  return requestDigest((incoming.kind === 'continuation' ? incoming.continuation.request : event) as CreateOrUpdateRequest);
}

/** Keys of accepted answers, oldest dropped first. */
class AnsweredRequests {
  private readonly keys = new Set<string>();
  has(key: string): boolean {
    return this.keys.has(key);
  }
  add(key: string): void {
    this.keys.add(key);
    if (this.keys.size > ANSWERED_MEMORY) this.keys.delete(this.keys.values().next().value!);
  }
}

/** What a FAILED answer needs of the request (or of a malformed event): its type, id and physical id. */
type FailureSource = Parameters<typeof failureAnswer>[0];

/**
 * The answer-exactly-once guard of one invocation: it sends at most one answer, to the event's own
 * ResponseURL, and remembers the request in the container once CloudFormation took the answer.
 */
class Responder {
  target: AnswerTarget | undefined;
  key: string | undefined;
  /** Set as soon as the request is known, so that even a bug's answer names it. */
  requestForFailure: FailureSource | undefined;
  answering = false;

  constructor(
    private readonly base: ResponsePorts & ClockPorts,
    private readonly log: RedactingLog,
    private readonly remaining: () => number,
    private readonly answeredHere: AnsweredRequests,
    private readonly send: SendOptions | undefined,
  ) {}

  async answer(answer: Answer): Promise<void> {
    const target = this.target;
    if (target === undefined || this.answering) return;
    let body = responseBody(target, answer);
    if (Buffer.byteLength(body, 'utf8') > MAX_RESPONSE_BYTES) {
      // Only Data can do this (the Reason is cut to fit): answer FAILED rather than something CloudFormation refuses.
      const tooLarge = new MirrorError(`The answer's attributes exceed the ${MAX_RESPONSE_BYTES}-byte response limit; nothing can be answered for this image`);
      answer = failureAnswer(this.requestForFailure ?? { RequestId: target.RequestId }, tooLarge);
      body = responseBody(target, answer);
    }
    // Only from here on is an answer on its way: a bug in building it leaves the guard's FAILED answer possible.
    this.answering = true;
    this.log.info('answering', { status: answer.status, physicalResourceId: answer.physicalResourceId });
    if (await sendResponse(this.base, target.ResponseURL, body, this.log, this.remaining, this.send)) {
      if (this.key !== undefined) this.answeredHere.add(this.key);
    }
  }
}

/** One invocation: what every step of the dispatch needs. */
interface Invocation {
  readonly options: HandlerOptions;
  readonly context: Context;
  readonly log: RedactingLog;
  readonly remaining: () => number;
  readonly reserveMs: number;
  readonly responder: Responder;
}

/** Create, Update or a continuation: validate, configure, and run the lifecycle with the real ports. */
async function runRequest(incoming: Extract<IncomingEvent, { kind: 'create-or-update' | 'continuation' }>, invocation: Invocation): Promise<Outcome | undefined> {
  const { options, context, log, remaining } = invocation;
  const request = incoming.kind === 'continuation' ? incoming.continuation.request : incoming.request;
  invocation.responder.requestForFailure = request;
  let input: MirrorRequestInput | undefined;
  try {
    // The template author's mistakes first: they are reported even when the function is misconfigured.
    if (incoming.kind === 'create-or-update') input = parseProperties(request.ResourceProperties);
  } catch (error) {
    return { kind: 'answer', answer: failureAnswer(request, error) };
  }
  let config: MirrorConfig;
  try {
    config = loadConfig(options.env ?? process.env, (context as Partial<Context> | undefined)?.invokedFunctionArn);
  } catch (error) {
    log.error('the mirror function is misconfigured', { error });
    // A continuation is answered only once its build vouches for it; a misconfigured function cannot check.
    if (incoming.kind === 'continuation') return undefined;
    return { kind: 'answer', answer: failureAnswer(request, error) };
  }
  const ports = (options.createPorts ?? ((c: MirrorConfig) => createAwsPorts(c)))(config);
  const ctx = {
    config,
    log,
    remainingTimeMs: remaining,
    budget: new Budget(ports, remaining, invocation.reserveMs),
    ...(options.timing ? { timing: options.timing } : {}),
  };
  return incoming.kind === 'continuation' ? await continueMirror(incoming.continuation, ports, ctx) : await createOrUpdate(incoming.request, input!, ports, ctx);
}

/** What to do with the event; undefined when nothing may be answered. */
async function dispatch(incoming: IncomingEvent, invocation: Invocation): Promise<Outcome | undefined> {
  switch (incoming.kind) {
    case 'unanswerable':
      invocation.log.error('cannot answer this event', { problem: incoming.problem });
      return undefined;
    case 'invalid':
      invocation.responder.requestForFailure = { RequestType: incoming.requestType, RequestId: incoming.target.RequestId, PhysicalResourceId: incoming.physicalResourceId };
      return { kind: 'answer', answer: invalidEventAnswer(incoming) };
    case 'delete':
      invocation.responder.requestForFailure = incoming.request;
      return { kind: 'answer', answer: deleteAnswer(incoming.request) };
    default:
      return runRequest(incoming, invocation);
  }
}

/** Classifies the event, answers it at most once, and turns any bug into a FAILED answer. */
async function handleEvent(event: unknown, invocation: Invocation, answeredHere: AnsweredRequests): Promise<void> {
  const { log, responder } = invocation;
  try {
    const incoming = classifyEvent(event);
    responder.target = targetOf(incoming);
    if (responder.target !== undefined) {
      log.addSecret(responder.target.ResponseURL);
      responder.key = answerKey(incoming, event);
    }
    log.info('received event', { kind: incoming.kind, event: redactEvent(event) });
    if (responder.key !== undefined && answeredHere.has(responder.key)) {
      log.info('this request was already answered by this container; a redelivery is not answered again', { kind: incoming.kind });
      return;
    }
    const outcome = await dispatch(incoming, invocation);
    if (outcome === undefined || outcome.kind === 'handed-over') return;
    if (outcome.kind === 'ignored') {
      log.error('ignored a continuation event that no build or copy record of this function vouches for', { reason: outcome.reason });
      return;
    }
    await responder.answer(outcome.answer);
  } catch (error) {
    // Only a bug gets here; answer FAILED (the responder sends nothing when an answer is already on its way).
    log.error('unexpected failure in the mirror function', { error });
    const target = responder.target;
    if (target !== undefined) {
      try {
        await responder.answer(failureAnswer(responder.requestForFailure ?? { RequestId: target.RequestId }, error));
      } catch (sendError) {
        log.error('could not answer after an unexpected failure', { error: sendError });
      }
    }
  }
}

export function createHandler(options: HandlerOptions = {}): (event: unknown, context: Context) => Promise<void> {
  // One per container: Lambda delivers asynchronous events at least once, often to the same container.
  const answeredHere = new AnsweredRequests();
  return async (event, context) => {
    let log: RedactingLog;
    try {
      log = (options.createLog ?? createMirrorLog)();
    } catch {
      return;
    }
    const remaining = remainingTime(context);
    const reserveMs = answerReserveMs(remaining());
    const base = options.basePorts ?? createBasePorts();
    const responder = new Responder(base, log, remaining, answeredHere, options.send);
    await handleEvent(event, { options, context, log, remaining, reserveMs, responder }, answeredHere);
  };
}

export const handler = createHandler();
