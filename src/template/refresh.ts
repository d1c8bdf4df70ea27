// `Refresh: true`: a mirror that re-reads its source tag on every deployment. CloudFormation sends a custom resource
// an Update only when its properties change, so such a mirror carries a RefreshToken that differs every time:
//   - the macro runs on every deployment, and its event's requestId is new each time: the transform takes it from
//     its context (it stays a pure function of fragment and context);
//   - the offline CLI's output has no macro behind it: the token is a generated String parameter, without a Default,
//     that the deployer sets to a new value on each deployment (e.g. the time).
// The mirror function then answers an unchanged source digest with the same physical id and attributes, so nothing
// that reads the mirror is updated; a moved tag gives the new image, and every reader is updated to it.
import { MACRO_NAME, REFRESH_TOKEN_PARAMETER } from '../contract.js';
import { MirrorConflictError, type TransformError } from './errors.js';
import { copyObject, getOwn, hasOwn, isJsonObject, jsonEquals, setOwn } from './json.js';
import type { MirrorRequest, PlannedMirror } from './mirror-plan.js';
import type { Json, JsonObject, TransformContext, TransformProblem } from './types.js';

/** The parameter the CLI's output gets (no Default: the first deployment must give a value, and each later one a new one). */
export const REFRESH_PARAMETER: JsonObject = {
  Type: 'String',
  MinLength: 1,
  Description:
    `Any value that differs from the previous deployment's (e.g. the time): mirrors with ${MACRO_NAME} Refresh re-read ` +
    'their source tags when it changes. The same value as last time re-reads nothing.',
};

/** Whether a mirror follows its source tag: asked for, and its source is not pinned to a digest (which cannot move). */
export function refreshes(request: MirrorRequest): boolean {
  if (request.options.refresh !== true) return false;
  return request.source.kind === 'expression' || !request.source.image.includes('@');
}

/** The RefreshToken of a mirror built from `first`, or undefined when it does not refresh. */
export function refreshTokenOf(first: MirrorRequest, context: TransformContext): Json | undefined {
  if (!refreshes(first)) return undefined;
  return context.refreshToken ?? { Ref: REFRESH_TOKEN_PARAMETER };
}

/** Whether a mirror's RefreshToken is the generated parameter (most mirrors have no RefreshToken at all). */
function readsRefreshParameter(token: Json | undefined): boolean {
  return token !== undefined && jsonEquals(token, { Ref: REFRESH_TOKEN_PARAMETER });
}

/**
 * When refreshing mirrors read the generated parameter (no token in the context), the template gets that parameter,
 * and a warning says it must change on every deployment. A parameter or resource of that name that is not ours is a
 * conflict.
 */
export function addRefreshParameter(
  template: JsonObject,
  mirrors: readonly PlannedMirror[],
  context: TransformContext,
): { template: JsonObject; problems: TransformError[]; warnings: TransformProblem[] } {
  if (context.refreshToken !== undefined) return { template, problems: [], warnings: [] };
  const readers = mirrors.filter((mirror) => readsRefreshParameter(getOwn(getOwn(mirror.resource, 'Properties'), 'RefreshToken')));
  if (readers.length === 0) return { template, problems: [], warnings: [] };
  const parameters = getOwn(template, 'Parameters');
  const existing = getOwn(parameters, REFRESH_TOKEN_PARAMETER);
  if ((existing !== undefined && !jsonEquals(existing, REFRESH_PARAMETER)) || hasOwn(getOwn(template, 'Resources'), REFRESH_TOKEN_PARAMETER)) {
    const problem = new MirrorConflictError(
      `Template: ${REFRESH_TOKEN_PARAMETER} is taken by another parameter or resource, but mirrors with Refresh (${readers.map((m) => m.logicalId).join(', ')}) ` +
        'read their refresh token from a parameter of that name; rename yours',
      undefined,
    );
    return { template, problems: [problem], warnings: [] };
  }
  const output = copyObject(template);
  const section = isJsonObject(parameters) ? copyObject(parameters) : {};
  setOwn(section, REFRESH_TOKEN_PARAMETER, REFRESH_PARAMETER);
  setOwn(output, 'Parameters', section);
  const warning: TransformProblem = {
    message:
      `${readers.map((m) => m.logicalId).join(', ')} (Refresh) ${readers.length === 1 ? 'reads its source tag' : 'read their source tags'} again only when ` +
      `parameter ${REFRESH_TOKEN_PARAMETER} changes: ` +
      `give it a new value on every deployment, e.g. --parameter-overrides ${REFRESH_TOKEN_PARAMETER}=$(date +%s) (deployed with the macro instead, every deployment refreshes)`,
  };
  return { template: output, problems: [], warnings: [warning] };
}
