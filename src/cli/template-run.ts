// What `transform` and `scan` share: the stack context (region, account, ServiceToken, with a note for each default),
// one template read and transformed as CloudFormation would hand it to the macro, and what the CLI says about it
// (notes, warnings) beside the transform's own result.
import { readFile } from 'node:fs/promises';
import { MACRO_NAME } from '../contract.js';
import { explainTransform } from '../template/hints.js';
import { transform } from '../template/transform.js';
import type { Json, JsonObject, SiteReport, TransformResult } from '../template/types.js';
import { regionProblem } from './args.js';
import { reassembleTemplate, splitTransforms, stackParameterValues } from './emulate.js';
import { UsageError } from './errors.js';
import { DEFAULT_ACCOUNT, DEFAULT_REGION, MIRROR_FUNCTION_ARN_EXPORT } from './help.js';
import type { CliIo, CliOptions } from './io.js';
import { KNOWN_REGIONS } from './regions.js';
import { isRegion } from '../reference/index.js';
import { closest } from './suggest.js';
import { parseTemplateText, type ParsedTemplate } from './template-text.js';

export interface StackContext {
  readonly region: string;
  readonly accountId: string;
  readonly mirrorFunctionArn: Json;
  /** One per default the user did not override. */
  readonly notes: readonly string[];
  readonly warnings: readonly string[];
}

/** Region, account and ServiceToken with the defaults the user did not override, each default noted. */
export function stackContext(options: CliOptions, env: CliIo['env']): StackContext {
  const notes: string[] = [];
  let region = options.region;
  let regionSource = '--region';
  if (region === undefined) {
    const fromEnv = (['AWS_REGION', 'AWS_DEFAULT_REGION'] as const).find((name) => (env[name] ?? '').length > 0);
    region = fromEnv !== undefined ? env[fromEnv]! : DEFAULT_REGION;
    regionSource = fromEnv ?? 'the default';
    if (fromEnv !== undefined && !isRegion(region)) throw new UsageError(`${regionProblem(region, fromEnv)} (or give --region)`);
    notes.push(fromEnv !== undefined ? `region ${region} from ${fromEnv} (--region to change)` : `region ${region} (default; --region to change)`);
  }
  const accountId = options.account ?? DEFAULT_ACCOUNT;
  if (options.account === undefined) notes.push(`account ${accountId} (default; --account to change)`);
  let mirrorFunctionArn: Json;
  if (options.mirrorFunctionArn !== undefined) {
    mirrorFunctionArn = options.mirrorFunctionArn;
  } else {
    mirrorFunctionArn = { 'Fn::ImportValue': MIRROR_FUNCTION_ARN_EXPORT };
    notes.push(`ServiceToken imports ${MIRROR_FUNCTION_ARN_EXPORT} from the macro stack (default; --mirror-function-arn to change)`);
  }
  const warnings: string[] = [];
  if (!KNOWN_REGIONS.includes(region)) {
    const meant = closest(region, KNOWN_REGIONS);
    warnings.push(`region ${region} (${regionSource}) is not a known AWS region${meant !== undefined ? `; did you mean ${meant}?` : '.'} Continuing with ${region}.`);
  }
  return { region, accountId, mirrorFunctionArn, notes, warnings };
}

async function readTemplateSource(file: string, io: CliIo): Promise<string> {
  try {
    return file === '-' ? await io.readStdin() : await (io.readFile ?? ((path) => readFile(path, 'utf8')))(file);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new UsageError(`cannot read ${file === '-' ? 'standard input' : file}: ${reason}`, { cause: error });
  }
}

export interface TemplateRun {
  /** The file as the user named it, `<stdin>` for `-`. */
  readonly source: string;
  readonly parsed: ParsedTemplate;
  readonly result: TransformResult;
  /** The whole output template (Transform section without this macro), when the transform succeeded. */
  readonly output?: JsonObject;
  /** `note:` lines about the input: what the CLI assumed (no Transform, parameters without a value). */
  readonly inputNotes: readonly string[];
  /** `note:` lines about the result: what the transform saw but did not act on, kept sites that follow parameters. */
  readonly notes: readonly string[];
  /** `warning:` lines beside the transform's own (things that will likely fail as written). */
  readonly warnings: readonly string[];
}

/** A kept site whose registry or repository follows parameters: right for the values given here, maybe not for others. */
function keptNote(site: SiteReport, region: string): string {
  const names = site.registryParameters!;
  const values = `${names.length === 1 ? 'value' : 'values'} of ${names.join(', ')}`;
  const where = site.location ?? site.logicalId;
  const consequence =
    site.resourceType === 'Parameter'
      ? 'its uses read that image as it is, unmirrored'
      : site.resourceType === 'AWS::ECS::TaskDefinition'
        ? 'its tasks pull from that registry and need a route to it'
        : 'Lambda refuses it';
  return (
    `${where} keeps its image for the ${values} given here; deployed with ${names.length === 1 ? 'a value that names' : 'values that name'} ` +
    `an image outside private ECR of ${region}, ${consequence} (transform again with those --parameter values, or deploy with the macro)`
  );
}

/** Whether the Transform section lists AWS::LanguageExtensions before this macro. */
function languageExtensionsFirst(transforms: Json | undefined): boolean {
  const names = (Array.isArray(transforms) ? transforms : [transforms]).map((entry) => (typeof entry === 'string' ? entry : (entry as JsonObject | null)?.Name));
  const extensions = names.indexOf('AWS::LanguageExtensions');
  return extensions !== -1 && extensions < names.indexOf(MACRO_NAME);
}

/** Reads, parses and transforms one template for `context`. Throws UsageError for what the user must fix first. */
export async function runTemplate(file: string, options: CliOptions, context: StackContext, io: CliIo): Promise<TemplateRun> {
  const source = file === '-' ? '<stdin>' : file;
  const parsed = parseTemplateText(await readTemplateSource(file, io), source);
  const { template } = parsed;
  const { fragment, otherTransforms, hasOurTransform, transformParameters } = splitTransforms(template);
  const parameters = stackParameterValues(template, options.parameters);
  const inputNotes: string[] = [];
  if (!hasOurTransform) inputNotes.push(`${source} has no "Transform: ${MACRO_NAME}"; transforming it anyway`);
  if (parameters.unresolved.length > 0) {
    inputNotes.push(`parameter(s) ${parameters.unresolved.join(', ')} have no Default and no --parameter: values using them are unknown offline`);
  }
  if (parameters.resolvedAtDeployTime.length > 0) {
    inputNotes.push(`SSM parameter(s) ${parameters.resolvedAtDeployTime.join(', ')} are read by CloudFormation at deploy time`);
  }
  const transformContext = {
    region: context.region,
    accountId: context.accountId,
    templateParameterValues: parameters.values,
    parameterOrigins: parameters.origins,
    transformParameters,
  };
  const result = transform(fragment, transformContext, { mirrorFunctionArn: context.mirrorFunctionArn });
  const hints = explainTransform({
    template: fragment,
    context: transformContext,
    sites: result.sites,
    languageExtensionsFirst: languageExtensionsFirst(template.Transform),
  });
  const notes = hints.filter((hint) => hint.level === 'note').map((hint) => hint.message);
  if (result.ok) notes.push(...result.sites.filter((site) => site.verdict === 'keep' && site.registryParameters !== undefined).map((site) => keptNote(site, context.region)));
  const warnings = hints.filter((hint) => hint.level === 'warning').map((hint) => hint.message);
  const output = result.ok ? reassembleTemplate(template, result.fragment, otherTransforms) : undefined;
  return { source, parsed, result, ...(output !== undefined ? { output } : {}), inputNotes, notes, warnings };
}
