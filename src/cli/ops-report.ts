// Human and JSON output of `mirrors` and `prune`. Names, tags and messages come from AWS accounts, so every
// cell is made printable before it reaches a terminal.
import type { PruneOutcome } from '../ops/prune-run.js';
import { type PruneSelection, selectedBytes } from '../ops/prune.js';
import type { ImageReport, RepositoryReport, UsageReport } from '../ops/usage.js';
import { printable } from './report.js';
import { textTable } from './table.js';

/** `sha256:0123456789ab`: enough to tell images apart in a table (JSON has the whole digest). */
export function shortDigest(digest: string): string {
  return digest.startsWith('sha256:') ? digest.slice(0, 19) : digest;
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(1)} ${units[unit]}`;
}

/** `2026-12-05 10:39Z`, or `-`. */
function formatTime(ms: number | undefined): string {
  return ms === undefined ? '-' : `${new Date(ms).toISOString().slice(0, 16).replace('T', ' ')}Z`;
}

/** Full digests inside a message, shortened for a table cell. */
function shortDigests(text: string): string {
  return text.replace(/sha256:[0-9a-f]{64}/g, shortDigest);
}

function usersCell(image: ImageReport): string {
  if (image.users.length > 0) return image.users.map((use) => `${use.user.kind === 'task-definition' ? 'task' : use.user.kind} ${use.user.name} (${use.via})`).join(', ');
  if (image.keptBecause !== undefined) return shortDigests(image.keptBecause);
  return image.status === 'unused' ? 'nothing' : 'not known';
}

function imageRow(image: ImageReport): string[] {
  const kind = image.index ? 'index' : image.parents.length > 0 ? 'child' : 'image';
  const size = image.sizeBytes !== undefined ? formatBytes(image.sizeBytes) : '-';
  return [shortDigest(image.digest), image.tags.join(',') || '-', kind, size, formatTime(image.pushedAt), image.status, usersCell(image)].map(printable);
}

function repositoryHeading(repository: RepositoryReport): string {
  const managed = repository.managed === undefined ? 'tags unreadable' : repository.managed ? 'managed by the mirror function' : 'NOT created by the mirror function';
  const source = repository.sourceImage !== undefined ? `source ${repository.sourceImage}; ` : '';
  return printable(`${repository.name} (${source}${managed})`);
}

function repositoryLines(repository: RepositoryReport): string[] {
  const lines = [repositoryHeading(repository)];
  if (repository.images === undefined) lines.push('  images could not be read');
  else if (repository.images.length === 0) lines.push('  no images');
  else lines.push(...textTable(['DIGEST', 'TAGS', 'KIND', 'SIZE', 'PUSHED', 'STATUS', 'USED BY'], repository.images.map(imageRow), '  '));
  for (const risk of repository.lifecycleRisks) {
    lines.push(printable(`  lifecycle: ${risk.rule} could remove ${shortDigest(risk.digest)}, in use (${shortDigests(risk.users.join(', '))})`));
  }
  for (const reason of repository.uncertain) lines.push(printable(`  not fully known: ${reason}`));
  return lines;
}

/** `mirrors` as tables, one per repository, then the unused total. */
export function formatMirrorsTable(report: UsageReport): string {
  const lines = [printable(`Repositories under ${report.prefixes.map((prefix) => `${prefix}/`).join(', ')} in ${report.region} (prefix from ${report.prefixSource})`), ''];
  if (report.repositories.length === 0) lines.push('no repositories', '');
  for (const repository of report.repositories) lines.push(...repositoryLines(repository), '');
  const images = report.repositories.flatMap((repository) => repository.images ?? []);
  const unused = images.filter((image) => image.status === 'unused');
  const unknown = images.filter((image) => image.status === 'unknown');
  const bytes = unused.reduce((sum, image) => sum + (image.sizeBytes ?? 0), 0);
  lines.push(`Used by nothing: ${unused.length} image${unused.length === 1 ? '' : 's'}, ${formatBytes(bytes)}`);
  if (unknown.length > 0) lines.push(`Not known (something could not be read): ${unknown.length} image${unknown.length === 1 ? '' : 's'}`);
  return `${lines.join('\n')}\n`;
}

/** What could not be read and what else the user should know: stderr lines. */
export function formatReadingProblems(report: UsageReport): string {
  const lines = [
    ...report.blockers.map((text) => `incomplete: ${text}`),
    ...report.unreadable.filter((item) => item.repository !== undefined).map((item) => `incomplete: ${item.what}: ${item.action} failed: ${item.error}`),
    ...report.notes.map((text) => `note: ${text}`),
  ];
  return lines.map((line) => `${printable(line)}\n`).join('');
}

function planRows(plan: PruneSelection): string[][] {
  return plan.repositories.flatMap((repository) =>
    repository.groups.flatMap((group) =>
      group.digests.map((digest, index) => [
        index === 0 ? repository.repository : '',
        shortDigest(digest),
        index === 0 ? group.tags.join(',') || '-' : '',
        index === 0 ? formatTime(group.pushedAt) : '',
        index === 0 ? formatBytes(group.bytes) : '',
      ]),
    ),
  );
}

function countImages(groups: readonly { digests: readonly string[] }[]): number {
  return groups.reduce((sum, group) => sum + group.digests.length, 0);
}

/** `prune`: the plan (dry run) or what was deleted, then what was left alone and why. */
export function formatPruneText(outcome: PruneOutcome, describeCriteria: string): string {
  const { plan } = outcome;
  const lines: string[] = [];
  const groups = plan.repositories.flatMap((repository) => repository.groups);
  lines.push(outcome.dryRun ? `Dry run (nothing is deleted; add --yes to delete): ${describeCriteria}` : `Pruning: ${describeCriteria}`, '');
  if (plan.blockers.length > 0) lines.push('Nothing will be deleted: what uses the images is not completely known (see above).');
  else if (groups.length === 0) lines.push('Nothing to delete.');
  else {
    lines.push(...textTable(['REPOSITORY', 'DIGEST', 'TAGS', 'PUSHED', 'SIZE'], planRows(plan)).map(printable));
    lines.push('', `${outcome.dryRun ? 'Would delete' : 'Selected'} ${countImages(groups)} image(s) in ${groups.length} group(s), ${formatBytes(selectedBytes(plan))}`);
  }
  if (!outcome.dryRun) {
    const deleted = outcome.repositories.flatMap((repository) => repository.deleted);
    const kept = outcome.repositories.flatMap((repository) =>
      repository.keptOnRecheck.map((group) => `${repository.repository} ${group.digests.map(shortDigest).join(' ')}`),
    );
    lines.push(`Deleted ${countImages(deleted)} image(s), ${formatBytes(deleted.reduce((sum, group) => sum + group.bytes, 0))}`);
    for (const text of kept) lines.push(printable(`kept (in use or new when read again right before deleting): ${text}`));
    for (const repository of outcome.repositories) {
      for (const failure of repository.failures) lines.push(printable(`not deleted: ${repository.repository} ${failure.digest}: ${failure.code} ${failure.reason}`));
    }
    if (outcome.stopped !== undefined) lines.push(printable(`stopped: ${outcome.stopped}`));
  }
  for (const skipped of plan.skipped) lines.push(printable(`left alone: ${skipped.repository}: ${skipped.reason}`));
  return `${lines.join('\n')}\n`;
}

/** `prune --format json`. */
export function pruneJson(outcome: PruneOutcome): unknown {
  return {
    dryRun: outcome.dryRun,
    blockers: outcome.plan.blockers,
    selected: outcome.plan.repositories,
    selectedBytes: selectedBytes(outcome.plan),
    skipped: outcome.plan.skipped,
    deleted: outcome.repositories.map((repository) => ({ repository: repository.repository, groups: repository.deleted, failures: repository.failures })),
    keptOnRecheck: outcome.repositories.flatMap((repository) => repository.keptOnRecheck.map((group) => ({ repository: repository.repository, ...group }))),
    ...(outcome.stopped !== undefined ? { stopped: outcome.stopped } : {}),
    unreadable: outcome.report.unreadable,
    notes: outcome.report.notes,
  };
}
