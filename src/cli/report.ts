// Human output: the per-site summary and the scan table. Template text is untrusted, so control
// characters are escaped before they reach a terminal.
import { MACRO_NAME } from '../contract.js';
import { describeProblem, type TransformSummary } from '../template/summary.js';
import type { SiteReport, TransformProblem, Verdict } from '../template/types.js';
import { textTable } from './table.js';

const VERDICT_ORDER: readonly Verdict[] = ['mirror', 'deploy-time', 'keep', 'skip', 'failed'];

const escapeCodeUnit = (ch: string) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`;

/** Escapes C0/C1 control characters (terminal escape sequences) as \uXXXX. */
export function printable(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, escapeCodeUnit);
}

/** `printable`, but line breaks stay line breaks (messages that quote the template over several lines). */
export function printableLines(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
  return text.replace(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/g, escapeCodeUnit);
}

/** The columns of the scan table and of the transform summary, in one order. */
const SITE_COLUMNS = ['RESOURCE', 'VERDICT', 'IMAGE', 'ARCHITECTURE', 'MIRROR'] as const;
export const NO_SITES = 'no image sites found';

function siteRow(site: SiteReport): string[] {
  return [
    // A parameter or one container of a task definition: where exactly; a function has one image.
    printable(site.location ?? site.logicalId),
    site.verdict,
    printable(site.image),
    site.architecture ?? (site.verdict === 'failed' ? '-' : '(expression)'),
    site.mirrorLogicalId ?? '-',
  ];
}

/** `scan` output: one row per image site; with several templates (`several`), the file of each first. */
export function formatScanTable(scans: readonly { readonly file: string; readonly sites: readonly SiteReport[] }[], several = scans.length > 1): string {
  const rows = scans.flatMap(({ file, sites }) => sites.map((site) => (several ? [printable(file), ...siteRow(site)] : siteRow(site))));
  if (rows.length === 0) return `${NO_SITES}\n`;
  return `${textTable(several ? ['FILE', ...SITE_COLUMNS] : SITE_COLUMNS, rows).join('\n')}\n`;
}

/** `3 ImageMirror resources injected`, or why none were. */
function injected(summary: TransformSummary, ok: boolean): string {
  if (!ok) return 'nothing injected (the transform failed)';
  const count = summary.injected.length;
  const already = summary.mirrors.length - count;
  const existing = already > 0 ? ` (${already} already in the template, from an earlier transform)` : '';
  if (count === 0) return `no ImageMirror resource injected${existing}`;
  return `${count} ImageMirror resource${count === 1 ? '' : 's'} injected${existing}`;
}

/**
 * The stderr summary: a count line (sites by verdict, then the ImageMirror resources this run added), then one line
 * per site (resource, verdict, image, architecture, mirror id).
 */
export function formatSiteSummary(sites: readonly SiteReport[], summary: TransformSummary, ok = true): string {
  if (sites.length === 0) return `${MACRO_NAME}: ${NO_SITES}; ${ok ? 'template unchanged' : 'nothing injected (the transform failed)'}\n`;
  const { verdicts } = summary;
  const counts = VERDICT_ORDER.filter((verdict) => verdicts[verdict] > 0).map((verdict) => `${verdicts[verdict]} ${verdict}`);
  const lines = textTable(SITE_COLUMNS, sites.map(siteRow), '  ');
  const line = `${sites.length} image site${sites.length === 1 ? '' : 's'} (${counts.join(', ')}); ${injected(summary, ok)}`;
  return `${MACRO_NAME}: ${line}\n${lines.join('\n')}\n`;
}

/** `note:` lines (none with --quiet); `prefix` names the template when a command reads several. */
export function formatNoteLines(notes: readonly string[], quiet: boolean, prefix = ''): string {
  return quiet ? '' : notes.map((note) => `note: ${printable(prefix + note)}\n`).join('');
}

/** `warning:` lines of the CLI's own (not the transform's problems). */
export function formatTextWarnings(warnings: readonly string[], prefix = ''): string {
  return warnings.map((warning) => `warning: ${printable(prefix + warning)}\n`).join('');
}

/** One `warning:` line per warning (the transform did what was asked, but something will likely fail later). */
export function formatWarningLines(warnings: readonly TransformProblem[], prefix = ''): string {
  return formatTextWarnings(warnings.map(describeProblem), prefix);
}

/** Every problem on its own line, naming its resource. */
export function formatProblemLines(problems: readonly TransformProblem[], prefix = ''): string {
  const lines = problems.map((problem) => `  ${printable(describeProblem(problem))}`);
  return `error: ${printable(prefix)}${MACRO_NAME} transform failed with ${problems.length} problem${problems.length === 1 ? '' : 's'}:\n${lines.join('\n')}\n`;
}
