// `prune` with the port: read, analyse, select; a dry run stops there. With `yes`, each repository is read again
// together with every user list right before its images are deleted, and only what is still selected then goes
// (indexes before the manifests they list). A reading that is incomplete at that moment stops everything.
import { readInventory, rereadForDelete } from './inventory.js';
import { type PruneGroup, type PruneOptions, type PruneSelection, selectForPrune } from './prune.js';
import type { DeleteResult, Inventory, OpsPort } from './types.js';
import { analyseUsage, type UsageReport } from './usage.js';

export interface PruneRequest {
  readonly region: string;
  readonly prefix?: string;
  readonly olderThanMs: number;
  readonly keepLast: number;
  /** Delete; otherwise a dry run. */
  readonly yes: boolean;
  /** Epoch milliseconds now (read again before each repository's deletes). */
  readonly now: () => number;
}

export interface RepositoryOutcome {
  readonly repository: string;
  /** Deleted groups (all their digests went). */
  readonly deleted: readonly PruneGroup[];
  /** Selected in the plan but in use (or no longer old enough) when read again: kept. */
  readonly keptOnRecheck: readonly PruneGroup[];
  readonly failures: DeleteResult['failures'];
}

export interface PruneOutcome {
  readonly report: UsageReport;
  readonly plan: PruneSelection;
  readonly dryRun: boolean;
  readonly repositories: readonly RepositoryOutcome[];
  /** Set when deleting stopped early: the reading right before a delete was incomplete, or a delete call failed. */
  readonly stopped?: string;
}

function optionsAt(request: PruneRequest): PruneOptions {
  return { olderThanMs: request.olderThanMs, keepLast: request.keepLast, now: request.now() };
}

/** Deletes one repository's groups, indexes first: one BatchDeleteImage per level of the index/child relation. */
async function deleteGroups(port: OpsPort, repository: string, groups: readonly PruneGroup[], recheck: UsageReport): Promise<DeleteResult> {
  const images = new Map((recheck.repositories[0]?.images ?? []).map((image) => [image.digest, image]));
  const left = new Set(groups.flatMap((group) => group.digests));
  const deleted: string[] = [];
  const failures: DeleteResult['failures'][number][] = [];
  while (left.size > 0) {
    const level = [...left].filter((digest) => !(images.get(digest)?.parents ?? []).some((parent) => left.has(parent)));
    const batch = level.length > 0 ? level : [...left];
    for (const digest of batch) left.delete(digest);
    const result = await port.deleteImages(repository, batch);
    deleted.push(...result.deleted);
    failures.push(...result.failures);
    // A failed index must not take its manifests with it: ECR would refuse them anyway, and a retry starts over.
    if (result.failures.length > 0) break;
  }
  return { deleted, failures };
}

async function pruneRepository(port: OpsPort, inventory: Inventory, planned: PruneSelection['repositories'][number], request: PruneRequest) {
  const entry = inventory.repositories.find((item) => item.repository.name === planned.repository)!;
  const fresh = await rereadForDelete(port, inventory, entry.repository);
  const recheck = analyseUsage(fresh);
  const again = selectForPrune(recheck, optionsAt(request));
  if (again.blockers.length > 0) return { stopped: `read again before deleting from ${planned.repository}: ${again.blockers.join('; ')}` };
  const stillSelected = new Set((again.repositories[0]?.groups ?? []).flatMap((group) => group.digests));
  const go = planned.groups.filter((group) => group.digests.every((digest) => stillSelected.has(digest)));
  const keptOnRecheck = planned.groups.filter((group) => !go.includes(group));
  const result = go.length > 0 ? await deleteGroups(port, planned.repository, go, recheck) : { deleted: [], failures: [] };
  const deleted = go.filter((group) => group.digests.every((digest) => result.deleted.includes(digest)));
  const outcome: RepositoryOutcome = { repository: planned.repository, deleted, keptOnRecheck, failures: result.failures };
  return { outcome, ...(result.failures.length > 0 ? { stopped: `ECR refused to delete from ${planned.repository}` } : {}) };
}

export async function runPrune(port: OpsPort, request: PruneRequest): Promise<PruneOutcome> {
  const inventory = await readInventory(port, { region: request.region, ...(request.prefix !== undefined ? { prefix: request.prefix } : {}) });
  const report = analyseUsage(inventory);
  const plan = selectForPrune(report, optionsAt(request));
  if (!request.yes || plan.blockers.length > 0) return { report, plan, dryRun: !request.yes, repositories: [] };
  const repositories: RepositoryOutcome[] = [];
  for (const planned of plan.repositories) {
    let step: Awaited<ReturnType<typeof pruneRepository>>;
    try {
      step = await pruneRepository(port, inventory, planned, request);
    } catch (error) {
      return { report, plan, dryRun: false, repositories, stopped: `deleting from ${planned.repository} failed: ${error instanceof Error ? error.message : String(error)}` };
    }
    if ('outcome' in step && step.outcome !== undefined) repositories.push(step.outcome);
    if (step.stopped !== undefined) return { report, plan, dryRun: false, repositories, stopped: step.stopped };
  }
  return { report, plan, dryRun: false, repositories };
}
