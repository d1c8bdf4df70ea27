// Parameters named in `Metadata.SysdigImageFix.MirrorParameters`: each one's value (resolved as for image sites)
// gets one whole-image mirror (`Platforms: all`: tasks of any architecture read it), unless it already is private
// ECR of the region. The mirror's SourceImage is `{Ref: <parameter>}`, so it follows the value CloudFormation passes.
import { quoteForMessage } from '../reference/index.js';
import { describeValue } from '../values.js';
import { ALL_PLATFORMS_CHOICE } from './architecture.js';
import { ParameterMirrorError, type TransformError } from './errors.js';
import type { ImageClassifier } from './images.js';
import { getOwn, hasOwn } from './json.js';
import type { MirrorOptions } from './options.js';
import type { Resolver } from './resolve/resolver.js';
import type { MirrorNamer, MirrorRequest } from './rewrite.js';
import type { JsonObject, Mutable, SiteReport, TransformContext, Verdict } from './types.js';

export const PARAMETER_SITE = 'Parameter';

export interface ParameterSiteEnv {
  readonly template: JsonObject;
  readonly context: TransformContext;
  readonly resolver: Resolver;
  readonly nameMirror: MirrorNamer;
  readonly classifyImage: ImageClassifier;
}

export interface ParameterOutcome {
  readonly report: SiteReport;
  /** A mirror is needed (its Condition follows from the uses, see transform.ts). */
  readonly request?: MirrorRequest;
  readonly problems: readonly TransformError[];
}

function report(parameter: string, verdict: Verdict, image: string, mirror?: string): SiteReport {
  const result: Mutable<SiteReport> = { logicalId: parameter, resourceType: PARAMETER_SITE, location: `Parameters.${parameter}`, image, verdict };
  if (verdict !== 'failed') result.architecture = 'all';
  if (mirror !== undefined) result.mirrorLogicalId = mirror;
  return result;
}

/** `(from Parameters.X.Default)` or the CLI's `--parameter X`, for messages about the value. */
function originOf(parameter: string, context: TransformContext): string {
  const origins = context.parameterOrigins ?? {};
  return Object.hasOwn(origins, parameter) ? origins[parameter]! : `its value`;
}

/** The decision for one parameter named in MirrorParameters. */
export function decideParameter(parameter: string, options: MirrorOptions, env: ParameterSiteEnv): ParameterOutcome {
  const failed = (image: string, detail: string, cause?: unknown): ParameterOutcome => ({
    report: report(parameter, 'failed', image),
    problems: [new ParameterMirrorError(parameter, detail, cause === undefined ? undefined : { cause })],
  });
  const declarations = getOwn(env.template, 'Parameters');
  if (!hasOwn(declarations, parameter)) {
    const declared = Object.keys((declarations as JsonObject | undefined) ?? {});
    const known = declared.length > 0 ? `; the template declares ${declared.join(', ')}` : '; the template declares no parameters';
    return failed('-', `there is no such parameter${known}`);
  }
  const type = getOwn(getOwn(declarations, parameter), 'Type');
  if (type !== 'String') {
    const shown = typeof type === 'string' ? quoteForMessage(type) : describeValue(type, { article: true });
    return failed('-', `its Type is ${shown}; only a String parameter holds one image reference`);
  }
  const expression = { Ref: parameter };
  const evaluation = env.resolver.evaluate(expression);
  const origin = originOf(parameter, env.context);
  if (evaluation.kind !== 'value') {
    // No value and no Default: the mirror function reads the value CloudFormation passes and decides then.
    const mirror = env.nameMirror({ kind: 'expression', expression }, ALL_PLATFORMS_CHOICE);
    const request: MirrorRequest = { logicalId: parameter, source: { kind: 'expression', expression }, architecture: ALL_PLATFORMS_CHOICE, options, mirror };
    return { report: report(parameter, 'deploy-time', JSON.stringify(expression), mirror.logicalId), request, problems: [] };
  }
  const value = evaluation.value;
  if (typeof value !== 'string') return failed('-', `${origin} is ${describeValue(value, { article: true })}, not an image reference`);
  const classified = env.classifyImage(value, options.repositoryPrefix);
  if (classified.kind === 'invalid') {
    return failed(quoteForMessage(value), `${origin} ${quoteForMessage(value)} is not a valid image reference: ${classified.error.reason}`, classified.error);
  }
  if (classified.kind === 'keep') return { report: { ...report(parameter, 'keep', classified.image), registryParameters: [parameter] }, problems: [] };
  if (classified.kind === 'unmappable') {
    return failed(classified.image, `cannot mirror ${origin} ${quoteForMessage(classified.image)}: ${classified.error.reason}`, classified.error);
  }
  const source = { kind: 'expression', expression, image: classified.image } as const;
  const mirror = env.nameMirror(source, ALL_PLATFORMS_CHOICE);
  const request: MirrorRequest = { logicalId: parameter, source, architecture: ALL_PLATFORMS_CHOICE, options, mirror };
  return { report: report(parameter, 'mirror', classified.image, mirror.logicalId), request, problems: [] };
}
