// `sysdig-image-fix scan FILE...`: the image sites of one or more templates and what the macro would do with each, as
// a table (a FILE column first when there are several) or JSON. A template that cannot be read or transformed is
// reported on stderr and gives no rows; the exit code is the worst of all (2 unusable input, 1 failed transform).
import type { SiteReport } from '../../template/types.js';
import { UsageError } from '../errors.js';
import { ExitCode, type CliIo, type CliOptions } from '../io.js';
import { checkOutputPath, writeWhole } from '../output-file.js';
import { formatNoteLines, formatProblemLines, formatScanTable, formatTextWarnings, formatWarningLines, printableLines } from '../report.js';
import { runTemplate, stackContext, type StackContext } from '../template-run.js';

interface Scanned {
  readonly file: string;
  readonly sites: readonly SiteReport[];
}

/** One template: its sites, or the exit code of its failure (reported on stderr). */
async function scanOne(file: string, options: CliOptions, context: StackContext, io: CliIo, prefix: string): Promise<Scanned | number> {
  let templateRun: Awaited<ReturnType<typeof runTemplate>>;
  try {
    templateRun = await runTemplate(file, options, context, io);
  } catch (error) {
    // One template alone: main reports it as any usage error; among several, the others are still scanned.
    if (!(error instanceof UsageError) || prefix === '') throw error;
    io.stderr.write(`error: ${printableLines(error.message)}\n`);
    return ExitCode.Usage;
  }
  const { result } = templateRun;
  io.stderr.write(formatNoteLines([...templateRun.inputNotes, ...templateRun.notes], options.quiet, prefix));
  io.stderr.write(formatWarningLines(result.warnings, prefix) + formatTextWarnings(templateRun.warnings, prefix));
  if (!result.ok) {
    io.stderr.write(formatProblemLines(result.errors, prefix));
    return ExitCode.TransformFailed;
  }
  return { file: templateRun.source, sites: result.sites };
}

export async function run(options: CliOptions, io: CliIo): Promise<number> {
  const outputFile = options.output !== undefined && options.output !== '-' ? options.output : undefined;
  if (outputFile !== undefined) await checkOutputPath(outputFile, options.files);
  const context = stackContext(options, io.env);
  io.stderr.write(formatTextWarnings(context.warnings) + formatNoteLines(context.notes, options.quiet));
  const several = options.files.length > 1;
  const scanned: Scanned[] = [];
  let code: number = ExitCode.Ok;
  for (const file of options.files) {
    const outcome = await scanOne(file, options, context, io, several ? `${file === '-' ? '<stdin>' : file}: ` : '');
    if (typeof outcome === 'number') code = Math.max(code, outcome);
    else scanned.push(outcome);
  }
  // One template that failed prints nothing on stdout: a partial table would read as a result. -o FILE is written only
  // by a run that succeeds, whole.
  if (!several && code !== ExitCode.Ok) return code;
  if (outputFile !== undefined && code !== ExitCode.Ok) {
    io.stderr.write(`error: ${printableLines(outputFile)} left as it was: not every template could be scanned\n`);
    return code;
  }
  const text = options.format === 'json' ? `${JSON.stringify(several ? scanned : scanned[0]!.sites, null, 2)}\n` : formatScanTable(scanned, several);
  if (outputFile !== undefined) await writeWhole(outputFile, text);
  else io.stdout.write(text);
  return code;
}
