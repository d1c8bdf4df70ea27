// What `prune` may delete (pure): images of repositories the mirror function created, under the prefix, that nothing
// uses, older than the threshold and not among the newest `keepLast` of their repository. An index and the manifests
// it lists are one image here (a group): deleted together, or kept together when any of them is used or new. Nothing
// is selected when any user list is incomplete, and nothing in a repository whose users are not fully known.
import type { ImageReport, RepositoryReport, UsageReport } from './usage.js';

export interface PruneOptions {
  /** Only images (groups) whose newest member was pushed at least this long ago. */
  readonly olderThanMs: number;
  /** The newest N images (groups) of each repository are kept, used or not. */
  readonly keepLast: number;
  /** Epoch milliseconds. */
  readonly now: number;
}

/** One group to delete: its digests in deletion order (an index before the manifests it lists). */
export interface PruneGroup {
  readonly digests: readonly string[];
  readonly tags: readonly string[];
  /** Sum of ECR's sizes of its members (layers shared with kept images are not freed). */
  readonly bytes: number;
  /** The newest push of its members. */
  readonly pushedAt: number;
}

export interface RepositoryPrune {
  readonly repository: string;
  readonly groups: readonly PruneGroup[];
}

export interface PruneSelection {
  readonly repositories: readonly RepositoryPrune[];
  /** Repositories prune leaves alone, and why. */
  readonly skipped: readonly { readonly repository: string; readonly reason: string }[];
  /** Why nothing is selected anywhere (empty when the reading was complete). */
  readonly blockers: readonly string[];
}

/** Why a repository is left alone, or undefined when its images may be selected. */
function skipReason(repository: RepositoryReport): string | undefined {
  if (repository.managed === undefined) return 'its tags could not be read, so it is not known to be the mirror function’s';
  if (!repository.managed) return 'it has no ManagedBy=sysdig-image-fix tag: the mirror function did not create it';
  if (repository.images === undefined) return 'its images could not be read';
  if (repository.uncertain.length > 0) return `what uses its images is not fully known: ${repository.uncertain.join('; ')}`;
  return undefined;
}

/** Members in deletion order: an image only after every selected index that lists it. */
export function deletionOrder(members: readonly ImageReport[]): ImageReport[] {
  const ordered: ImageReport[] = [];
  const left = new Set(members.map((image) => image.digest));
  while (left.size > 0) {
    const ready = members.filter((image) => left.has(image.digest) && !image.parents.some((parent) => left.has(parent)));
    // A cycle cannot come from content addressing; should one appear, the rest go in listed order.
    const next = ready.length > 0 ? ready : members.filter((image) => left.has(image.digest));
    for (const image of next) {
      ordered.push(image);
      left.delete(image.digest);
    }
  }
  return ordered;
}

function groupsOf(images: readonly ImageReport[]): ImageReport[][] {
  const groups = new Map<string, ImageReport[]>();
  for (const image of images) {
    const group = groups.get(image.group);
    if (group === undefined) groups.set(image.group, [image]);
    else group.push(image);
  }
  return [...groups.values()];
}

/** Newest push of a group; undefined when any member's push time is unknown (then it is never old enough). */
function newestPush(group: readonly ImageReport[]): number | undefined {
  if (group.some((image) => image.pushedAt === undefined)) return undefined;
  return Math.max(...group.map((image) => image.pushedAt!));
}

function selectInRepository(images: readonly ImageReport[], options: PruneOptions): PruneGroup[] {
  const groups = groupsOf(images).sort((a, b) => (newestPush(b) ?? Number.POSITIVE_INFINITY) - (newestPush(a) ?? Number.POSITIVE_INFINITY));
  const cutoff = options.now - options.olderThanMs;
  return groups.slice(Math.max(0, options.keepLast)).flatMap((group) => {
    const pushedAt = newestPush(group);
    if (pushedAt === undefined || pushedAt > cutoff) return [];
    if (group.some((image) => image.status !== 'unused')) return [];
    const ordered = deletionOrder(group);
    return [
      {
        digests: ordered.map((image) => image.digest),
        tags: ordered.flatMap((image) => image.tags),
        bytes: ordered.reduce((sum, image) => sum + (image.sizeBytes ?? 0), 0),
        pushedAt,
      },
    ];
  });
}

export function selectForPrune(report: UsageReport, options: PruneOptions): PruneSelection {
  if (report.blockers.length > 0) return { repositories: [], skipped: [], blockers: report.blockers };
  const repositories: RepositoryPrune[] = [];
  const skipped: { repository: string; reason: string }[] = [];
  for (const repository of report.repositories) {
    const reason = skipReason(repository);
    if (reason !== undefined) {
      skipped.push({ repository: repository.name, reason });
      continue;
    }
    const groups = selectInRepository(repository.images!, options);
    if (groups.length > 0) repositories.push({ repository: repository.name, groups });
  }
  return { repositories, skipped, blockers: [] };
}

/** Bytes of every selected group. */
export function selectedBytes(selection: PruneSelection): number {
  return selection.repositories.reduce((sum, repository) => sum + repository.groups.reduce((inner, group) => inner + group.bytes, 0), 0);
}
