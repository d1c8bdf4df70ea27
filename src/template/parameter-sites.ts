// Parameters named in `Metadata.SysdigImageFix.MirrorParameters`: each one's value (resolved as for image sites)
// gets one whole-image mirror (`Platforms: all`: tasks of any architecture read it), or one platform when the entry
// says `{Name, Architecture}` (for uses that need a single image, such as a nested stack's Lambda function), unless
// it already is private ECR of the region. The mirror's SourceImage is `{Ref: <parameter>}`, so it follows the value CloudFormation passes.
import { quoteForMessage } from '../reference/index.js';
import { describeValue } from '../values.js';
import { ALL_PLATFORMS_CHOICE, type MirrorPlatform, resolvedArchitecture } from './architecture.js';
import { ParameterMirrorError, type TransformError } from './errors.js';
import type { ImageClassifier } from './images.js';
import { getOwn, hasOwn } from './json.js';
import type { MirrorOptions, ParameterChoice } from './options.js';
import type { Resolver } from './resolve/resolver.js';
import type { MirrorNamer, MirrorRequest } from './mirror-plan.js';
import { capText, shortList } from './message.js';
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

function report(parameter: string, verdict: Verdict, image: string, platform: MirrorPlatform, mirror?: string): SiteReport {
  const result: Mutable<SiteReport> = { logicalId: parameter, resourceType: PARAMETER_SITE, location: `Parameters.${parameter}`, image, verdict };
  const architecture = resolvedArchitecture(platform);
  if (verdict !== 'failed' && architecture !== undefined) result.architecture = architecture;
  if (mirror !== undefined) result.mirrorLogicalId = mirror;
  return result;
}

/** `(from Parameters.X.Default)` or the CLI's `--parameter X`, for messages about the value. */
function originOf(parameter: string, context: TransformContext): string {
  const origins = context.parameterOrigins ?? {};
  return Object.hasOwn(origins, parameter) ? origins[parameter]! : `its value`;
}

/** The decision for one parameter named in MirrorParameters: a whole-image mirror, or one platform when chosen. */
export function decideParameter(choice: ParameterChoice, options: MirrorOptions, env: ParameterSiteEnv): ParameterOutcome {
  const parameter = choice.name;
  const platform: MirrorPlatform = choice.architecture === undefined ? ALL_PLATFORMS_CHOICE : { kind: 'literal', architecture: choice.architecture };
  const failed = (image: string, detail: string, cause?: unknown): ParameterOutcome => ({
    report: report(parameter, 'failed', image, platform),
    problems: [new ParameterMirrorError(parameter, detail, cause === undefined ? undefined : { cause })],
  });
  const declarations = getOwn(env.template, 'Parameters');
  if (!hasOwn(declarations, parameter)) {
    const declared = Object.keys((declarations as JsonObject | undefined) ?? {});
    const known = declared.length > 0 ? `; the template declares ${shortList(declared.map((name) => capText(name, 64)))}` : '; the template declares no parameters';
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
    const mirror = env.nameMirror({ kind: 'expression', expression }, platform);
    const request: MirrorRequest = { logicalId: parameter, source: { kind: 'expression', expression }, architecture: platform, options, mirror };
    return { report: report(parameter, 'deploy-time', JSON.stringify(expression), platform, mirror.logicalId), request, problems: [] };
  }
  const value = evaluation.value;
  if (typeof value !== 'string') return failed('-', `${origin} is ${describeValue(value, { article: true })}, not an image reference`);
  const classified = env.classifyImage(value, options.repositoryPrefix);
  if (classified.kind === 'invalid') {
    return failed(quoteForMessage(value), `${origin} ${quoteForMessage(value)} is not a valid image reference: ${classified.error.reason}`, classified.error);
  }
  if (classified.kind === 'keep') return { report: { ...report(parameter, 'keep', classified.image, platform), registryParameters: [parameter] }, problems: [] };
  if (classified.kind === 'unmappable') {
    return failed(classified.image, `cannot mirror ${origin} ${quoteForMessage(classified.image)}: ${classified.error.reason}`, classified.error);
  }
  const source = { kind: 'expression', expression, image: classified.image } as const;
  const mirror = env.nameMirror(source, platform);
  const request: MirrorRequest = { logicalId: parameter, source, architecture: platform, options, mirror };
  return { report: report(parameter, 'mirror', classified.image, platform, mirror.logicalId), request, problems: [] };
}
