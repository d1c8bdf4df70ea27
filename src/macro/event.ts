// The CloudFormation macro request, checked field by field. The handler must answer every event,
// so nothing here throws: each problem is collected and reported in the failure response.
import { isAccountId, isRegion } from '../reference/index.js';
import type { JsonObject } from '../template/types.js';
import { describeValue, isPlainObject } from '../values.js';

/** `null`, `an array`, a string quoted, else its type: how the macro's messages show a value. */
function describeEventValue(value: unknown): string {
  return describeValue(value, { list: 'an array', object: 'object', quoteStringsUpTo: 64 });
}

/** What CloudFormation sends a macro (the fragment is the template minus its Transform section). */
export interface MacroEvent {
  readonly region: string;
  readonly accountId: string;
  readonly fragment: JsonObject;
  readonly transformId?: string;
  readonly params?: unknown;
  readonly requestId: string;
  readonly templateParameterValues?: Record<string, unknown>;
}

/** The macro response contract: CloudFormation matches `requestId` and reads `status`. */
export type MacroResponse =
  | { readonly requestId: string; readonly status: 'success'; readonly fragment: JsonObject }
  | { readonly requestId: string; readonly status: 'failure'; readonly errorMessage: string };

/** The fields of a valid event the transform needs. */
export interface MacroInvocation {
  readonly requestId: string;
  readonly transformId?: string;
  readonly region: string;
  readonly accountId: string;
  readonly fragment: JsonObject;
  readonly templateParameterValues: Readonly<Record<string, unknown>>;
  /** The Transform entry's Parameters (`Transform: {Name, Parameters}`), with any Ref already resolved by CloudFormation. */
  readonly params?: unknown;
}

export type ParsedMacroEvent =
  | { readonly ok: true; readonly invocation: MacroInvocation }
  /** `requestId` is echoed even from a broken event when it can be read; otherwise it is empty. */
  | { readonly ok: false; readonly requestId: string; readonly problems: readonly string[] };

/** Reads and checks a macro event; every problem found is returned together. */
export function parseMacroEvent(event: unknown): ParsedMacroEvent {
  if (!isPlainObject(event)) {
    return { ok: false, requestId: '', problems: [`the macro event must be an object, got ${describeEventValue(event)}`] };
  }
  const problems: string[] = [];
  const { requestId, transformId, region, accountId, fragment, templateParameterValues, params } = event;

  if (typeof requestId !== 'string' || requestId.length === 0) {
    problems.push(`the macro event has no requestId (got ${describeEventValue(requestId)})`);
  }
  if (typeof region !== 'string' || !isRegion(region)) {
    problems.push(`the macro event's region must be an AWS region such as "us-east-1", got ${describeEventValue(region)}`);
  }
  if (typeof accountId !== 'string' || !isAccountId(accountId)) {
    problems.push(`the macro event's accountId must be 12 digits, got ${describeEventValue(accountId)}`);
  }
  if (!isPlainObject(fragment)) {
    problems.push(`the macro event's fragment must be a template object, got ${describeEventValue(fragment)}`);
  }
  // CloudFormation always sends templateParameterValues; a missing one is read as "no parameters".
  if (templateParameterValues !== undefined && templateParameterValues !== null && !isPlainObject(templateParameterValues)) {
    problems.push(`the macro event's templateParameterValues must be an object, got ${describeEventValue(templateParameterValues)}`);
  }

  const echoedRequestId = typeof requestId === 'string' ? requestId : '';
  if (problems.length > 0) return { ok: false, requestId: echoedRequestId, problems };
  return {
    ok: true,
    invocation: {
      requestId: echoedRequestId,
      ...(typeof transformId === 'string' ? { transformId } : {}),
      region: region as string,
      accountId: accountId as string,
      fragment: fragment as JsonObject,
      templateParameterValues: isPlainObject(templateParameterValues) ? templateParameterValues : {},
      // Checked by the transform with the options it carries (same messages as Metadata); absent or null: none.
      ...(params !== undefined && params !== null ? { params } : {}),
    },
  };
}
