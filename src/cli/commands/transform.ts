// `sysdig-image-fix transform FILE`: the template as the macro would return it, on stdout or into `-o FILE`; the
// summary, warnings and notes on stderr. Nothing is written when the transform fails.
import { templateTextSize } from '../../template/quotas.js';
import { summarizeSites } from '../../template/summary.js';
import { ExitCode, type CliIo, type CliOptions } from '../io.js';
import { checkOutputPath, writeWhole } from '../output-file.js';
import { formatNoteLines, formatProblemLines, formatSiteSummary, formatTextWarnings, formatWarningLines } from '../report.js';
import { runTemplate, stackContext } from '../template-run.js';
import { formatTemplateText } from '../template-text.js';

export async function run(options: CliOptions, io: CliIo): Promise<number> {
  const file = options.files[0]!;
  const outputFile = options.output !== undefined && options.output !== '-' ? options.output : undefined;
  if (outputFile !== undefined) await checkOutputPath(outputFile, options.files);
  const context = stackContext(options, io.env);
  io.stderr.write(formatTextWarnings(context.warnings));
  const templateRun = await runTemplate(file, options, context, io);
  const { result, parsed } = templateRun;
  io.stderr.write(formatNoteLines([...templateRun.inputNotes, ...context.notes], options.quiet));
  // The text first: a value the format cannot hold is a usage error, before any summary.
  const format = options.format === 'json' || options.format === 'yaml' ? options.format : parsed.format;
  const written = result.ok ? formatTemplateText(templateRun.output!, format, format === 'yaml' ? parsed.yaml : undefined) : undefined;
  // CloudFormation's size quotas apply to the text the user deploys.
  const size = written !== undefined ? templateTextSize(Buffer.byteLength(written.text, 'utf8')) : undefined;
  const ok = result.ok && size?.problem === undefined;
  io.stderr.write(formatSiteSummary(result.sites, summarizeSites(result.sites, parsed.template), ok));
  io.stderr.write(formatWarningLines(result.warnings) + formatTextWarnings(templateRun.warnings));
  if (!ok) {
    // Nothing on stdout (nor in -o FILE): a partial template would read as a result.
    io.stderr.write(formatNoteLines(templateRun.notes, options.quiet));
    io.stderr.write(formatProblemLines(result.ok ? [{ message: `Template: ${size!.problem}` }] : result.errors));
    return ExitCode.TransformFailed;
  }
  const { text, note } = written!;
  const sizeNote = size?.note !== undefined ? [size.note] : [];
  io.stderr.write(formatNoteLines([...templateRun.notes, ...(note !== undefined ? [note] : []), ...sizeNote], options.quiet));
  if (outputFile !== undefined) await writeWhole(outputFile, text);
  else io.stdout.write(text);
  return ExitCode.Ok;
}
