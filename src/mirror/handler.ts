// Lambda entry of the mirror function (bundle dist/mirror/index.js). Thin: classify the event, run the
// lifecycle with the real ports within the invocation's time budget, and answer CloudFormation exactly
// once, whatever happens (including a bug), before Lambda's timeout. It never throws: a thrown error
// would make Lambda retry the event and answer again.
import type { Context } from 'aws-lambda';
import { requestDigest } from './build/binding.js';
import { answerReserveMs, Budget } from './core/budget.js';
import { loadConfig, type Environment, type MirrorConfig } from './core/config.js';
import { MirrorError } from './core/errors.js';
import { classifyEvent, type CreateOrUpdateRequest, type IncomingEvent } from './cfn/events.js';
import { continueBuild, createOrUpdate, deleteAnswer, failureAnswer, invalidEventAnswer, type Outcome, type Timing } from './core/lifecycle.js';
import { createMirrorLog, type RedactingLog } from './log.js';
import { parseProperties } from './core/properties.js';
import { createAwsPorts, createBasePorts } from './ports/aws.js';
import type { ClockPorts, MirrorPorts, ResponsePorts } from './ports/types.js';
import { MAX_RESPONSE_BYTES, responseBody, sendResponse, type Answer, type AnswerTarget, type SendOptions } from './cfn/response.js';
import { redactEvent } from './log.js';

export interface HandlerOptions {
  /** The AWS side, made once the configuration is known. */
  createPorts?: (config: MirrorConfig) => MirrorPorts;
  /** What answering needs; used also when the configuration is broken. */
  basePorts?: ResponsePorts & ClockPorts;
  /** A fresh redacting log per invocation by default. */
  createLog?: () => RedactingLog;
  env?: Environment;
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
    let target: AnswerTarget | undefined;
    let key: string | undefined;
    let requestForFailure: { RequestType?: unknown; RequestId: string; PhysicalResourceId?: unknown } | undefined;
    let answering = false;
    const base = options.basePorts ?? createBasePorts();

    const answer = async (answer: Answer): Promise<void> => {
      if (target === undefined || answering) return;
      answering = true;
      let body = responseBody(target, answer);
      if (Buffer.byteLength(body, 'utf8') > MAX_RESPONSE_BYTES) {
        // Only Data can do this (the Reason is cut to fit): answer FAILED rather than something CloudFormation refuses.
        const tooLarge = new MirrorError(`The answer's attributes exceed the ${MAX_RESPONSE_BYTES}-byte response limit; nothing can be answered for this image`);
        answer = failureAnswer(requestForFailure ?? { RequestId: target.RequestId }, tooLarge);
        body = responseBody(target, answer);
      }
      log.info('answering', { status: answer.status, physicalResourceId: answer.physicalResourceId });
      if (await sendResponse(base, target.ResponseURL, body, log, remaining, options.send)) {
        if (key !== undefined) answeredHere.add(key);
      }
    };

    try {
      const incoming = classifyEvent(event);
      target = targetOf(incoming);
      if (target !== undefined) {
        log.addSecret(target.ResponseURL);
        key = answerKey(incoming, event);
      }
      log.info('received event', { kind: incoming.kind, event: redactEvent(event) });
      if (key !== undefined && answeredHere.has(key)) {
        log.info('this request was already answered by this container; a redelivery is not answered again', { kind: incoming.kind });
        return;
      }

      let outcome: Outcome;
      switch (incoming.kind) {
        case 'unanswerable':
          log.error('cannot answer this event', { problem: incoming.problem });
          return;
        case 'invalid':
          requestForFailure = { RequestType: incoming.requestType, RequestId: incoming.target.RequestId, PhysicalResourceId: incoming.physicalResourceId };
          outcome = { kind: 'answer', answer: invalidEventAnswer(incoming) };
          break;
        case 'delete':
          outcome = { kind: 'answer', answer: deleteAnswer(incoming.request) };
          break;
        case 'create-or-update':
        case 'continuation': {
          const request = incoming.kind === 'continuation' ? incoming.continuation.request : incoming.request;
          requestForFailure = request;
          let config: MirrorConfig;
          try {
            // The template author's mistakes first: they are reported even when the function is misconfigured.
            if (incoming.kind === 'create-or-update') parseProperties(request.ResourceProperties);
          } catch (error) {
            outcome = { kind: 'answer', answer: failureAnswer(request, error) };
            break;
          }
          try {
            config = loadConfig(options.env ?? process.env, (context as Partial<Context> | undefined)?.invokedFunctionArn);
          } catch (error) {
            log.error('the mirror function is misconfigured', { error });
            // A continuation is answered only once its build vouches for it; a misconfigured function cannot check.
            if (incoming.kind === 'continuation') return;
            outcome = { kind: 'answer', answer: failureAnswer(request, error) };
            break;
          }
          const ports = (options.createPorts ?? ((c: MirrorConfig) => createAwsPorts(c)))(config);
          const ctx = {
            config,
            log,
            remainingTimeMs: remaining,
            budget: new Budget(ports, remaining, reserveMs),
            ...(options.timing ? { timing: options.timing } : {}),
          };
          outcome = incoming.kind === 'continuation' ? await continueBuild(incoming.continuation, ports, ctx) : await createOrUpdate(incoming.request, ports, ctx);
          break;
        }
      }
      if (outcome.kind === 'handed-over') return;
      if (outcome.kind === 'ignored') {
        log.error('ignored a continuation event that no build of this function vouches for', { reason: outcome.reason });
        return;
      }
      await answer(outcome.answer);
    } catch (error) {
      // Only a bug gets here; answer FAILED unless an answer is already on its way.
      log.error('unexpected failure in the mirror function', { error });
      if (target !== undefined && !answering) {
        try {
          await answer(failureAnswer(requestForFailure ?? { RequestId: target.RequestId }, error));
        } catch (sendError) {
          log.error('could not answer after an unexpected failure', { error: sendError });
        }
      }
    }
  };
}

export const handler = createHandler();
