// prune over an account in memory: the plan, the recheck right before each repository's deletes, indexes before the
// manifests they list, and every reason to delete nothing.
import { describe, expect, it } from 'vitest';
import { type PruneRequest, runPrune } from '../../../src/ops/prune-run.js';
import { standardWorld } from './standard-world.js';
import { DAY, deny, digest, fakePort, image, NOW, OCI_INDEX, PREFIX, REGION, uri, type World } from './world.js';

const APP = `${PREFIX}/quay.io/e2e/app`;
const NGINX = `${PREFIX}/docker.io/library/nginx`;

function request(overrides: Partial<PruneRequest> = {}): PruneRequest {
  return { region: REGION, prefix: PREFIX, olderThanMs: 30 * DAY, keepLast: 0, yes: false, now: () => NOW, ...overrides };
}

function planned(outcome: Awaited<ReturnType<typeof runPrune>>): Record<string, string[][]> {
  return Object.fromEntries(outcome.plan.repositories.map((repository) => [repository.repository, repository.groups.map((group) => [...group.digests])]));
}

describe('Function: runPrune', () => {
  it('a dry run selects unused images older than the threshold in managed repositories, and deletes nothing', async () => {
    const port = fakePort(standardWorld());
    const outcome = await runPrune(port, request());
    expect(outcome.dryRun).toBe(true);
    expect(planned(outcome)).toEqual({ [NGINX]: [[digest('n125')]], [APP]: [[digest('old')]] });
    expect(outcome.plan.skipped).toEqual([{ repository: `${PREFIX}/hand-made`, reason: 'it has no ManagedBy=sysdig-image-fix tag: the mirror function did not create it' }]);
    expect(port.calls.filter((call) => call.method === 'deleteImages')).toEqual([]);
  });

  it('--yes reads every user list again right before each repository and deletes what is still selected', async () => {
    const port = fakePort(standardWorld());
    const outcome = await runPrune(port, request({ yes: true }));
    expect(port.deletes).toEqual([
      { repository: NGINX, digests: [digest('n125')] },
      { repository: APP, digests: [digest('old')] },
    ]);
    expect(outcome.repositories.map((repository) => [repository.repository, repository.deleted.length, repository.keptOnRecheck.length])).toEqual([
      [NGINX, 1, 0],
      [APP, 1, 0],
    ]);
    // Once for the plan, once before each repository's deletes; each reread precedes that repository's delete.
    const order = port.calls.filter((call) => call.method === 'listImageFunctions' || call.method === 'deleteImages').map((call) => call.method);
    expect(order).toEqual(['listImageFunctions', 'listImageFunctions', 'deleteImages', 'listImageFunctions', 'deleteImages']);
  });

  it('an image a function starts using between the plan and the delete is kept', async () => {
    const world = standardWorld();
    const port = fakePort(world);
    let lists = 0;
    port.beforeCall = (method) => {
      if (method === 'listImageFunctions' && ++lists === 2) world.functions.push({ name: 'late', imageUri: uri(NGINX, digest('n125')) });
    };
    const outcome = await runPrune(port, request({ yes: true }));
    expect(port.deletes).toEqual([{ repository: APP, digests: [digest('old')] }]);
    expect(outcome.repositories[0]).toMatchObject({ repository: NGINX, deleted: [], keptOnRecheck: [{ digests: [digest('n125')] }] });
  });

  it('a user list that cannot be read right before a delete stops everything', async () => {
    const port = fakePort(standardWorld());
    let lists = 0;
    port.failures.listActiveTaskDefinitions = () => (++lists >= 2 ? Object.assign(new Error('denied'), { name: 'AccessDeniedException' }) : undefined);
    const outcome = await runPrune(port, request({ yes: true }));
    expect(port.deletes).toEqual([]);
    expect(outcome.stopped).toMatch(
      /^read again before deleting from sysdig-image-fix\/docker.io\/library\/nginx: ECS task definitions could not be read \(ecs:ListTaskDefinitions: AccessDeniedException: denied\)$/,
    );
  });

  it('never deletes anything, even with --yes, when any user list could not be read', async () => {
    const port = fakePort(standardWorld(), { listImageFunctions: deny('lambda:ListFunctions') });
    const outcome = await runPrune(port, request({ yes: true }));
    expect(outcome.plan.repositories).toEqual([]);
    expect(outcome.plan.blockers).toHaveLength(1);
    expect(port.calls.some((call) => call.method === 'deleteImages')).toBe(false);
  });

  it('deletes an unused index before the manifests it lists (ECR refuses a listed manifest)', async () => {
    const world: World = standardWorld();
    world.repositories[0]!.images.push(
      image('old-index', { tags: ['0.8-all'], mediaType: OCI_INDEX, ageDays: 100 }),
      image('old-amd64', { ageDays: 100 }),
      image('old-arm64', { ageDays: 100 }),
    );
    world.repositories[0]!.children![digest('old-index')] = [digest('old-amd64'), digest('old-arm64')];
    const port = fakePort(world);
    const outcome = await runPrune(port, request({ yes: true, prefix: PREFIX }));
    expect(port.deletes.filter((entry) => entry.repository === APP)).toEqual([
      { repository: APP, digests: [digest('old'), digest('old-index')] },
      { repository: APP, digests: [digest('old-amd64'), digest('old-arm64')] },
    ]);
    expect(outcome.repositories.flatMap((repository) => repository.failures)).toEqual([]);
  });

  it('--keep-last keeps the newest images of each repository, used or not', async () => {
    const outcome = await runPrune(fakePort(standardWorld()), request({ keepLast: 3 }));
    // nginx has three images: all kept; app has old, the 1.0 group and new: the three newest are kept.
    expect(planned(outcome)).toEqual({});
    const fewer = await runPrune(fakePort(standardWorld()), request({ keepLast: 2 }));
    expect(planned(fewer)).toEqual({ [NGINX]: [[digest('n125')]], [APP]: [[digest('old')]] });
  });

  it('an image whose push time ECR does not give is never old enough', async () => {
    const world = standardWorld();
    const { pushedAt: _unknown, ...withoutTime } = world.repositories[1]!.images[2]!;
    world.repositories[1]!.images[2] = withoutTime;
    expect(planned(await runPrune(fakePort(world), request()))).toEqual({ [APP]: [[digest('old')]] });
  });

  it('stops when ECR refuses a delete, and says which', async () => {
    const world = standardWorld();
    const port = fakePort(world);
    const original = port.deleteImages.bind(port);
    port.deleteImages = async (repository, digests) =>
      repository === NGINX ? { deleted: [], failures: [{ digest: digests[0]!, code: 'ImageNotFound', reason: 'gone' }] } : original(repository, digests);
    const outcome = await runPrune(port, request({ yes: true }));
    expect(outcome.stopped).toBe(`ECR refused to delete from ${NGINX}`);
    expect(outcome.repositories).toEqual([
      expect.objectContaining({ repository: NGINX, deleted: [], failures: [{ digest: digest('n125'), code: 'ImageNotFound', reason: 'gone' }] }),
    ]);
    expect(port.deletes.some((entry) => entry.repository === APP)).toBe(false);
  });
});
