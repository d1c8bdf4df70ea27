// `sysdig-image-fix`: the macro's transform, offline. I/O is injected so tests drive `main` directly.
import { readFile } from 'node:fs/promises';
import { type EnvironmentVariables, MACRO_NAME } from '../contract.js';
import { transform } from '../template/transform.js';
import type { Json, SiteReport, TransformResult } from '../template/types.js';
import { version } from '../../package.json';
import { parseCliArgs, type CliOptions } from './args.js';
import { reassembleTemplate, splitTransforms, stackParameterValues } from './emulate.js';
import { UsageError } from './errors.js';
import { isAwsCommand } from './aws-command-names.js';
import { DEFAULT_ACCOUNT, DEFAULT_REGION, HELP_TEXT, MIRROR_FUNCTION_ARN_EXPORT } from './help.js';
import { formatProblemLines, formatScanTable, formatSiteSummary, formatWarningLines, printable, printableLines } from './report.js';
import { KNOWN_REGIONS } from './regions.js';
import { closest } from './suggest.js';
import { formatTemplateText, parseTemplateText } from './template-text.js';

export const ExitCode = { Ok: 0, TransformFailed: 1, Usage: 2 } as const;

export interface CliIo {
  readonly stdout: { write(text: string): unknown };
  readonly stderr: { write(text: string): unknown };
  /** All of standard input, as text (for FILE `-`). */
  readonly readStdin: () => Promise<string>;
  /** Defaults to reading the file system. */
  readonly readFile?: (path: string) => Promise<string>;
  /** Supplies AWS_REGION / AWS_DEFAULT_REGION. */
  readonly env: EnvironmentVariables;
}

interface Resolved {
  readonly region: string;
  readonly accountId: string;
  readonly mirrorFunctionArn: Json;
  readonly notes: readonly string[];
  readonly warnings: readonly string[];
}

/** Region, account and ServiceToken with the defaults the user did not override, each default noted. */
function resolveDefaults(options: CliOptions, env: CliIo['env']): Resolved {
  const notes: string[] = [];
  let region = options.region;
  let regionSource = '--region';
  if (region === undefined) {
    const fromEnv = (['AWS_REGION', 'AWS_DEFAULT_REGION'] as const).find((name) => (env[name] ?? '').length > 0);
    region = fromEnv !== undefined ? env[fromEnv]! : DEFAULT_REGION;
    regionSource = fromEnv ?? 'the default';
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
    warnings.push(`region ${region} (${regionSource}) is not a known AWS region${meant !== undefined ? `; did you mean ${meant}?` : ''} Continuing with ${region}.`);
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

/** Kept sites whose image comes from parameters: right for the values given here, maybe not for others. */
function keptByParameters(sites: readonly SiteReport[], region: string): string[] {
  return (
    sites
      // Only Lambda refuses other registries at create time; a kept task image or parameter keeps working elsewhere.
      .filter(
        (site) =>
          site.verdict === 'keep' && site.parameters !== undefined && (site.resourceType === 'AWS::Lambda::Function' || site.resourceType === 'AWS::Serverless::Function'),
      )
      .map(
        (site) =>
          `${site.logicalId} keeps its image for the value${site.parameters!.length === 1 ? '' : 's'} of ${site.parameters!.join(', ')} given here; ` +
          `deployed with values that name an image outside private ECR of ${region}, Lambda refuses it (transform again with those --parameter values, or deploy with the macro)`,
      )
  );
}

async function run(options: CliOptions, io: CliIo): Promise<number> {
  const source = options.file === '-' ? '<stdin>' : options.file;
  const { template, format: inputFormat, yaml } = parseTemplateText(await readTemplateSource(options.file, io), source);
  const { fragment, otherTransforms, hasOurTransform } = splitTransforms(template);
  const parameters = stackParameterValues(template, options.parameters);
  const { region, accountId, mirrorFunctionArn, notes, warnings } = resolveDefaults(options, io.env);

  const note = (text: string) => io.stderr.write(`note: ${printable(text)}\n`);
  for (const text of warnings) io.stderr.write(`warning: ${printable(text)}\n`);
  if (!hasOurTransform) note(`${source} has no "Transform: ${MACRO_NAME}"; transforming it anyway`);
  notes.forEach(note);
  if (parameters.unresolved.length > 0) {
    note(`parameter(s) ${parameters.unresolved.join(', ')} have no Default and no --parameter: values using them are unknown offline`);
  }
  if (parameters.resolvedAtDeployTime.length > 0) {
    note(`SSM parameter(s) ${parameters.resolvedAtDeployTime.join(', ')} are read by CloudFormation at deploy time`);
  }

  const result: TransformResult = transform(
    fragment,
    { region, accountId, templateParameterValues: parameters.values, parameterOrigins: parameters.origins },
    { mirrorFunctionArn },
  );

  if (!result.ok) {
    // Nothing on stdout: a partial table or template would read as a result.
    io.stderr.write(formatSiteSummary(result.sites, false));
    io.stderr.write(formatWarningLines(result.warnings));
    io.stderr.write(formatProblemLines(result.errors));
    return ExitCode.TransformFailed;
  }
  if (options.command === 'scan') {
    io.stderr.write(formatWarningLines(result.warnings));
    io.stdout.write(options.format === 'json' ? `${JSON.stringify(result.sites, null, 2)}\n` : formatScanTable(result.sites));
    return ExitCode.Ok;
  }

  const output = reassembleTemplate(template, result.fragment, otherTransforms);
  const format = options.format ?? inputFormat;
  const written = formatTemplateText(output, format, format === 'yaml' ? yaml : undefined);
  io.stderr.write(formatSiteSummary(result.sites));
  io.stderr.write(formatWarningLines(result.warnings));
  keptByParameters(result.sites, region).forEach(note);
  if (written.note !== undefined) note(written.note);
  io.stdout.write(written.text);
  return ExitCode.Ok;
}

/** Runs the CLI; resolves to the exit code. Never rejects for user mistakes (those are exit 2). */
export async function main(argv: readonly string[], io: CliIo): Promise<number> {
  // `mirrors` and `prune` read AWS: their module (and the AWS SDK) loads only for them, never for transform or scan.
  if (isAwsCommand(argv[0])) return (await import('./aws-commands.js')).runAwsCommand(argv, io);
  try {
    const request = parseCliArgs(argv);
    if (request.kind === 'help') {
      io.stdout.write(HELP_TEXT);
      return ExitCode.Ok;
    }
    if (request.kind === 'version') {
      io.stdout.write(`sysdig-image-fix ${version}\n`);
      return ExitCode.Ok;
    }
    return await run(request.options, io);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    io.stderr.write(`error: ${printableLines(error.message)}\nRun "sysdig-image-fix --help" for usage.\n`);
    return ExitCode.Usage;
  }
}

async function readAllStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk)));
  return Buffer.concat(chunks).toString('utf8');
}

// Run only as the bundled CommonJS program (`dist/cli/index.js`); importing the module runs nothing.
if (typeof require !== 'undefined' && typeof module !== 'undefined' && require.main === module) {
  main(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, readStdin: readAllStdin, env: process.env }).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(`internal error (please report it): ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      process.exitCode = ExitCode.TransformFailed;
    },
  );
}
