// Human output: the per-site summary and the scan table. Template text is untrusted, so control
// characters are escaped before they reach a terminal.
import { MACRO_NAME } from '../contract.js';
import { describeProblem, summarizeSites } from '../template/summary.js';
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

function siteRow(site: SiteReport): string[] {
  return [
    // A parameter or one container of a task definition: where exactly; a function has one image.
    printable(site.location ?? site.logicalId),
    printable(site.image),
    site.verdict,
    site.architecture ?? (site.verdict === 'failed' ? '-' : '(expression)'),
    site.mirrorLogicalId ?? '-',
  ];
}

/** `scan` output: one row per image site. */
export function formatScanTable(sites: readonly SiteReport[]): string {
  if (sites.length === 0) return 'no Lambda image sites found\n';
  return `${textTable(['RESOURCE', 'IMAGE', 'VERDICT', 'ARCHITECTURE', 'MIRROR'], sites.map(siteRow)).join('\n')}\n`;
}

/** `3 ImageMirror resources injected`, or why none were. */
function injected(mirrors: number, ok: boolean): string {
  if (!ok) return 'nothing injected (the transform failed)';
  if (mirrors === 0) return 'no ImageMirror resource injected';
  return `${mirrors} ImageMirror resource${mirrors === 1 ? '' : 's'} injected`;
}

/**
 * The stderr summary: a count line (sites by verdict, then the ImageMirror resources the sites read from), then
 * one line per site (resource, verdict, image, architecture, mirror id).
 */
export function formatSiteSummary(sites: readonly SiteReport[], ok = true): string {
  if (sites.length === 0) return `${MACRO_NAME}: no Lambda image sites found; ${ok ? 'template unchanged' : 'nothing injected (the transform failed)'}\n`;
  const { verdicts, mirrors } = summarizeSites(sites);
  const counts = VERDICT_ORDER.filter((verdict) => verdicts[verdict] > 0).map((verdict) => `${verdicts[verdict]} ${verdict}`);
  const rows = sites.map((site) => {
    const [resource, image, verdict, architecture, mirror] = siteRow(site) as [string, string, string, string, string];
    return [resource, verdict, image, architecture, mirror];
  });
  const lines = textTable(['RESOURCE', 'VERDICT', 'IMAGE', 'ARCHITECTURE', 'MIRROR'], rows, '  ');
  const summary = `${sites.length} image site${sites.length === 1 ? '' : 's'} (${counts.join(', ')}); ${injected(mirrors.length, ok)}`;
  return `${MACRO_NAME}: ${summary}\n${lines.join('\n')}\n`;
}

/** One `warning:` line per warning (the transform did what was asked, but something will likely fail later). */
export function formatWarningLines(warnings: readonly TransformProblem[]): string {
  return warnings.map((warning) => `warning: ${printable(describeProblem(warning))}\n`).join('');
}

/** Every problem on its own line, naming its resource. */
export function formatProblemLines(problems: readonly TransformProblem[]): string {
  const lines = problems.map((problem) => `  ${printable(describeProblem(problem))}`);
  return `error: ${MACRO_NAME} transform failed with ${problems.length} problem${problems.length === 1 ? '' : 's'}:\n${lines.join('\n')}\n`;
}
