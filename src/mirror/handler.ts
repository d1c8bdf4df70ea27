// Lambda entry of the mirror function (bundle dist/mirror/index.js). Thin: classify the event, run the
// lifecycle with the real ports, and answer CloudFormation exactly once, whatever happens (including
// a bug). It never throws: a thrown error would make Lambda retry the event and answer again.
import type { Context } from 'aws-lambda';
import { loadConfig, type Environment, type MirrorConfig } from './config.js';
import { classifyEvent, type IncomingEvent } from './events.js';
import { continueBuild, createOrUpdate, deleteAnswer, failureAnswer, invalidEventAnswer, type Outcome, type Timing } from './lifecycle.js';
import { createMirrorLog, type RedactingLog } from './log.js';
import { parseProperties } from './properties.js';
import { createAwsPorts, createBasePorts, type ClockPorts, type MirrorPorts, type ResponsePorts } from './ports.js';
import { redactEvent, responseBody, sendResponse, type Answer, type AnswerTarget, type SendOptions } from './response.js';

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
      return incoming.state.request;
    default:
      return incoming.request;
  }
}

export function createHandler(options: HandlerOptions = {}): (event: unknown, context: Context) => Promise<void> {
  return async (event, context) => {
    let log: RedactingLog;
    try {
      log = (options.createLog ?? createMirrorLog)();
    } catch {
      return;
    }
    let target: AnswerTarget | undefined;
    let requestForFailure: { RequestType?: unknown; RequestId: string; PhysicalResourceId?: unknown } | undefined;
    let answering = false;
    const base = options.basePorts ?? createBasePorts();

    const answer = async (answer: Answer): Promise<void> => {
      if (target === undefined || answering) return;
      answering = true;
      log.info('answering', { status: answer.status, physicalResourceId: answer.physicalResourceId });
      await sendResponse(base, target.ResponseURL, responseBody(target, answer), log, options.send);
    };

    try {
      const incoming = classifyEvent(event);
      target = targetOf(incoming);
      if (target !== undefined) log.addSecret(target.ResponseURL);
      log.info('received event', { kind: incoming.kind, event: redactEvent(event) });

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
          const request = incoming.kind === 'continuation' ? incoming.state.request : incoming.request;
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
            outcome = { kind: 'answer', answer: failureAnswer(request, error) };
            break;
          }
          const ports = (options.createPorts ?? ((c: MirrorConfig) => createAwsPorts(c)))(config);
          const ctx = { config, log, remainingTimeMs: remainingTime(context), ...(options.timing ? { timing: options.timing } : {}) };
          outcome =
            incoming.kind === 'continuation'
              ? await continueBuild(incoming.state, ports, ctx)
              : await createOrUpdate(incoming.request, ports, ctx);
          break;
        }
      }
      if (outcome.kind === 'handed-over') return;
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
