// The macro Lambda: macro event -> transform -> macro response. Thin on purpose; the decisions live
// in src/template. It never throws: every path answers CloudFormation with success or failure.
import { Logger } from '@aws-lambda-powertools/logger';
import type { LogAttributes } from '@aws-lambda-powertools/logger/types';
import { transform } from '../template/transform.js';
import type { TransformProblem } from '../template/types.js';
import type { EnvironmentVariables } from '../contract.js';
import { readMacroDefaults } from './env.js';
import { parseMacroEvent, type MacroResponse } from './event.js';
import { formatProblems, problemsForLog, summarizeSites } from '../template/summary.js';
import { capText } from '../template/message.js';
import { jsonBytes, processedTemplateProblem } from '../template/quotas.js';
import type { Json } from '../template/types.js';

export type { MacroEvent, MacroResponse } from './event.js';

export const MACRO_SERVICE_NAME = 'sysdig-image-fix-macro';

/** The log levels the handler uses; Powertools' Logger fits, tests pass a recorder. */
export interface MacroLog {
  info(message: string, attributes: Record<string, unknown>): void;
  warn(message: string, attributes: Record<string, unknown>): void;
  error(message: string, attributes: Record<string, unknown>): void;
}

export interface MacroHandlerOptions {
  /** Read on every invocation; defaults to `process.env`. */
  readonly env?: () => EnvironmentVariables;
  readonly log?: MacroLog;
}

export type MacroHandler = (event: unknown, context?: unknown) => Promise<MacroResponse>;

let powertools: Logger | undefined;

function powertoolsLog(context: unknown): MacroLog {
  powertools ??= new Logger({ serviceName: MACRO_SERVICE_NAME });
  const logger = powertools;
  if (typeof context === 'object' && context !== null && 'awsRequestId' in context) {
    logger.addContext(context as Parameters<Logger['addContext']>[0]);
  }
  return {
    info: (message, attributes) => logger.info(message, attributes as LogAttributes),
    warn: (message, attributes) => logger.warn(message, attributes as LogAttributes),
    error: (message, attributes) => logger.error(message, attributes as LogAttributes),
  };
}

function failure(requestId: string, problems: readonly TransformProblem[]): MacroResponse {
  return { requestId: capText(requestId, 256), status: 'failure', errorMessage: formatProblems(problems) };
}

/** Lambda's limit on a synchronous invocation's response (the macro's answer to CloudFormation): 6 MB. */
export const MAX_RESPONSE_BYTES = 6 * 1024 * 1024;

/**
 * Why a success response cannot reach CloudFormation, if it cannot: the runtime must serialise it (a value nested
 * thousands of levels deep makes JSON.stringify throw), CloudFormation takes a processed template of at most 1 MB,
 * and Lambda returns at most 6 MB.
 */
function responseProblem(response: MacroResponse & { status: 'success' }, input: Json): string | undefined {
  const bytes = jsonBytes(response as unknown as Json);
  // Measured again on the fragment alone, so the message's path starts at the template's own sections.
  if (typeof bytes === 'string') return `Template: the transformed template cannot be written as JSON: ${jsonBytes(response.fragment)}`;
  // The fragment's own bytes: the answer's, less its envelope (`{"requestId":...,"fragment":` and `}`).
  const envelope = (jsonBytes({ ...response, fragment: null }) as number) - 'null'.length;
  const overQuota = processedTemplateProblem(bytes - envelope, input);
  if (overQuota !== undefined) return overQuota.message;
  if (bytes > MAX_RESPONSE_BYTES) {
    return `Template: the macro's response would be ${bytes} bytes, over Lambda's ${MAX_RESPONSE_BYTES}-byte response limit; split the stack (nested stacks)`;
  }
  return undefined;
}

function safely(write: () => void): void {
  try {
    write();
  } catch {
    // A logging failure must not turn into a failed (or missing) macro response.
  }
}

function requestIdOf(event: unknown): string {
  try {
    const id = (event as { requestId?: unknown } | null)?.requestId;
    return typeof id === 'string' ? id : '';
  } catch {
    return '';
  }
}

export function createMacroHandler(options: MacroHandlerOptions = {}): MacroHandler {
  const readEnv = options.env ?? (() => process.env);
  return async (event, context) => {
    let log: MacroLog = { info: () => {}, warn: () => {}, error: () => {} };
    try {
      log = options.log ?? powertoolsLog(context);
      const parsed = parseMacroEvent(event);
      const defaults = readMacroDefaults(readEnv());
      if (!parsed.ok || !defaults.ok) {
        const problems = [...(parsed.ok ? [] : parsed.problems), ...(defaults.ok ? [] : defaults.problems)];
        const requestId = parsed.ok ? parsed.invocation.requestId : parsed.requestId;
        safely(() => log.error('macro request rejected', { requestId, problems }));
        return failure(
          requestId,
          problems.map((message) => ({ message })),
        );
      }

      const { requestId, transformId, region, accountId, fragment, templateParameterValues, params } = parsed.invocation;
      const result = transform(fragment, { region, accountId, templateParameterValues, transformParameters: params }, defaults.defaults);
      const summary = summarizeSites(result.sites, fragment);
      // Warnings do not fail the stack (the user asked for what was done), but say what will likely fail later.
      if (result.warnings.length > 0)
        safely(() => log.warn('transform warnings', { requestId, transformId, region, warnings: problemsForLog(result.warnings), warningCount: result.warnings.length }));
      if (!result.ok) {
        safely(() =>
          log.error('transform failed', { requestId, transformId, region, ...summary, problems: problemsForLog(result.errors), problemCount: result.errors.length }),
        );
        return failure(requestId, result.errors);
      }
      const response = { requestId, status: 'success', fragment: result.fragment } as const;
      const unanswerable = responseProblem(response, fragment);
      if (unanswerable !== undefined) {
        safely(() => log.error('transform result cannot be returned', { requestId, transformId, region, ...summary, problem: unanswerable }));
        return failure(requestId, [{ message: unanswerable }]);
      }
      safely(() => log.info('transform succeeded', { requestId, transformId, region, ...summary }));
      return response;
    } catch (error) {
      // Only a bug gets here; answer anyway so the stack fails with a reason instead of timing out.
      const requestId = requestIdOf(event);
      const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      safely(() => log.error('internal error', { requestId, error: message }));
      return failure(requestId, [{ message: `internal error (please report it): ${message}` }]);
    }
  };
}

/** The Lambda entry point (`dist/macro/index.js`). */
export const handler: MacroHandler = createMacroHandler();
