// Property: over generated accounts (repositories under the prefix or not, managed or not; images with and without
// tags and push times; indexes listing one-platform children that are also tagged and used on their own, children
// shared by two indexes, digests repeated across repositories; functions, task definitions and stacks pointing by
// digest, by tag, with moto's broken ResolvedImageUri; failing calls), nothing in use is ever selected or deleted,
// and an index and what it lists are selected together or not at all.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { runPrune } from '../../../src/ops/prune-run.js';
import type { OpsPort } from '../../../src/ops/types.js';
import { DAY, digest, emptyWorld, fakePort, NOW, OCI_INDEX, OCI_MANIFEST, PREFIX, REGION, REGISTRY, stack, type Failures, type World } from './world.js';

const TAGS = ['1.0', '1.1', 'latest', '1.0-all', 'sha256-abc'] as const;
const METHODS: readonly (keyof OpsPort)[] = [
  'listStacks',
  'listMirrorResources',
  'listRepositories',
  'repositoryTags',
  'listImages',
  'indexChildren',
  'lifecyclePolicy',
  'listImageFunctions',
  'functionImage',
  'listActiveTaskDefinitions',
  'taskDefinition',
];

const imageArb = fc.record({
  seed: fc.integer({ min: 0, max: 12 }),
  tags: fc.subarray([...TAGS], { maxLength: 2 }),
  ageDays: fc.option(fc.integer({ min: 0, max: 100 }), { freq: 6 }),
  index: fc.boolean(),
  lists: fc.array(fc.nat(20), { maxLength: 3 }),
});
const repositoryArb = fc.record({
  outside: fc.boolean(),
  managed: fc.oneof(fc.constant(true), fc.constant(true), fc.constant(false)),
  images: fc.array(imageArb, { maxLength: 7 }),
});
const pointerArb = fc.record({
  repository: fc.nat(10),
  image: fc.nat(20),
  how: fc.oneof(
    { arbitrary: fc.constant('digest' as const), weight: 6 },
    { arbitrary: fc.constantFrom('tag' as const, 'tag-resolved' as const), weight: 3 },
    { arbitrary: fc.constantFrom('tag-moto' as const, 'tag-none' as const, 'foreign' as const), weight: 1 },
  ),
  tag: fc.constantFrom(...TAGS, 'missing'),
});
const worldArb = fc.record({
  repositories: fc.array(repositoryArb, { minLength: 1, maxLength: 4 }),
  functions: fc.array(pointerArb, { maxLength: 4 }),
  taskDefinitions: fc.array(fc.array(pointerArb, { minLength: 1, maxLength: 2 }), { maxLength: 3 }),
  stacks: fc.array(
    fc.record({
      status: fc.oneof({ arbitrary: fc.constantFrom('CREATE_COMPLETE', 'UPDATE_COMPLETE'), weight: 5 }, { arbitrary: fc.constant('UPDATE_IN_PROGRESS'), weight: 1 }),
      mirrors: fc.array(pointerArb, { maxLength: 2 }),
    }),
    {
      maxLength: 2,
    },
  ),
  failing: fc.oneof({ arbitrary: fc.constant(null), weight: 6 }, { arbitrary: fc.constantFrom(...METHODS), weight: 1 }),
  olderThanDays: fc.integer({ min: 0, max: 60 }),
  keepLast: fc.integer({ min: 0, max: 2 }),
});
type Generated = typeof worldArb extends fc.Arbitrary<infer T> ? T : never;

function buildWorld(generated: Generated): World {
  const world = emptyWorld();
  world.repositories = generated.repositories.map((spec, r) => {
    const seen = new Set<number>();
    const taken = new Set<string>();
    const images = spec.images.filter((entry) => !seen.has(entry.seed) && seen.add(entry.seed));
    const records = images.map((entry) => {
      // A tag names one image in a repository.
      const tags = entry.tags.filter((tag) => !taken.has(tag) && taken.add(tag));
      return {
        digest: digest(`image-${entry.seed}`),
        tags,
        sizeBytes: 100,
        ...(entry.ageDays !== null ? { pushedAt: NOW - entry.ageDays * DAY } : {}),
        mediaType: entry.index ? OCI_INDEX : OCI_MANIFEST,
      };
    });
    const children: Record<string, string[]> = {};
    images.forEach((entry, i) => {
      // Content addressing makes cycles impossible: an index lists only images after it (or one the repository lacks).
      if (entry.index) children[records[i]!.digest] = entry.lists.map((n) => (i + 1 + n < records.length ? records[i + 1 + n]!.digest : digest(`missing-${n}`)));
    });
    return { name: spec.outside ? `other/repo${r}` : `${PREFIX}/quay.io/r${r}`, managed: spec.managed, images: records, children };
  });
  const target = (pointer: Generated['functions'][number]) => {
    const repository = world.repositories[pointer.repository % world.repositories.length]!;
    const image = repository.images.length > 0 ? repository.images[pointer.image % repository.images.length] : undefined;
    return { repository, image, base: `${REGISTRY}/${repository.name}` };
  };
  generated.functions.forEach((pointer, i) => {
    const { image, base } = target(pointer);
    const pinned = image !== undefined ? `${base}@${image.digest}` : `${base}@${digest('nowhere')}`;
    const byTag = `${base}:${pointer.tag}`;
    const entry = {
      digest: { imageUri: pinned, resolvedImageUri: `${base}@sha256@sha256:${'bd'.repeat(32)}` },
      tag: { imageUri: byTag },
      'tag-resolved': { imageUri: byTag, resolvedImageUri: pinned },
      'tag-moto': { imageUri: byTag, resolvedImageUri: `${base}@${digest(`random-${i}`)}` },
      'tag-none': { imageUri: byTag, resolvedImageUri: 'garbage' },
      foreign: { imageUri: `quay.io/x/y@${image?.digest ?? digest('x')}` },
    }[pointer.how];
    world.functions.push({ name: `fn${i}`, ...entry });
  });
  generated.taskDefinitions.forEach((containers, i) => {
    world.taskDefinitions.push({
      name: `task${i}:1`,
      containers: containers.map((pointer, c) => {
        const { image, base } = target(pointer);
        return { name: `c${c}`, image: pointer.how === 'digest' && image !== undefined ? `${base}@${image.digest}` : `${base}:${pointer.tag}` };
      }),
    });
  });
  generated.stacks.forEach((spec, s) => {
    const mirrors = spec.mirrors.map((pointer, m) => {
      const { image, base } = target(pointer);
      return { logicalId: `M${m}`, physicalId: pointer.how === 'foreign' || image === undefined ? `stack-M${m}-JUNK` : `${base}@${image.digest}`, status: spec.status };
    });
    world.stacks.push(stack(`stack${s}`, mirrors, spec.status));
  });
  return world;
}

/** What the generated users use, worked out here without the product's code: digests per repository. */
function usedDigests(world: World): { used: Map<string, Set<string>>; unsure: Set<string> } {
  const used = new Map(world.repositories.map((repository) => [repository.name, new Set<string>()]));
  const unsure = new Set<string>();
  const locate = (reference: string) =>
    world.repositories.find((repository) => reference.startsWith(`${REGISTRY}/${repository.name}@`) || reference.startsWith(`${REGISTRY}/${repository.name}:`));
  const byTag = (name: string, reference: string) => {
    const repository = world.repositories.find((entry) => entry.name === name)!;
    const tag = reference.slice(reference.lastIndexOf(':') + 1);
    const holder = repository.images.find((image) => image.tags.includes(tag));
    if (holder !== undefined) used.get(name)!.add(holder.digest);
    return holder;
  };
  for (const fn of world.functions) {
    const repository = locate(fn.imageUri ?? '');
    if (repository === undefined) continue;
    const at = fn.imageUri!.indexOf('@');
    if (at !== -1) {
      used.get(repository.name)!.add(fn.imageUri!.slice(at + 1));
      continue;
    }
    const resolved = fn.resolvedImageUri?.startsWith(`${REGISTRY}/${repository.name}@sha256:`) ? fn.resolvedImageUri.slice(fn.resolvedImageUri.indexOf('@') + 1) : undefined;
    if (resolved !== undefined && repository.images.some((image) => image.digest === resolved)) used.get(repository.name)!.add(resolved);
    else {
      byTag(repository.name, fn.imageUri!);
      unsure.add(repository.name);
    }
  }
  for (const container of world.taskDefinitions.flatMap((definition) => definition.containers)) {
    const repository = locate(container.image);
    if (repository === undefined) continue;
    const at = container.image.indexOf('@');
    if (at !== -1) used.get(repository.name)!.add(container.image.slice(at + 1));
    else if (byTag(repository.name, container.image) === undefined) unsure.add(repository.name);
  }
  for (const mirror of world.stacks.flatMap((entry) => entry.mirrors)) {
    const repository = locate(mirror.physicalId ?? '');
    if (repository !== undefined) used.get(repository.name)!.add(mirror.physicalId!.slice(mirror.physicalId!.indexOf('@') + 1));
  }
  // An index and what it lists go together, both ways, until nothing changes.
  for (const repository of world.repositories) {
    const set = used.get(repository.name)!;
    for (let changed = true; changed; ) {
      changed = false;
      for (const [index, listed] of Object.entries(repository.children ?? {})) {
        const present = listed.filter((d) => repository.images.some((image) => image.digest === d));
        const group = [index, ...present];
        if (group.some((d) => set.has(d)) && group.some((d) => !set.has(d))) {
          for (const d of group) set.add(d);
          changed = true;
        }
      }
    }
  }
  return { used, unsure };
}

describe('Property: prune never selects or deletes an image in use', () => {
  it('holds over generated accounts, for the plan and for --yes', async () => {
    // Not vacuous: many runs delete something, many keep used images in repositories they delete from.
    const seen = { deleted: 0, keptUsedBeside: 0 };
    await fc.assert(
      fc.asyncProperty(worldArb, async (generated) => {
        const world = buildWorld(generated);
        const { used, unsure } = usedDigests(structuredClone(world));
        const failures: Failures = generated.failing !== null ? { [generated.failing]: () => Object.assign(new Error('denied'), { name: 'AccessDeniedException' }) } : {};
        const inProgress = world.stacks.some((entry) => entry.mirrors.length > 0 && entry.record.status.endsWith('_IN_PROGRESS'));
        const port = fakePort(structuredClone(world), failures);
        const outcome = await runPrune(port, {
          region: REGION,
          prefix: PREFIX,
          olderThanMs: generated.olderThanDays * DAY,
          keepLast: generated.keepLast,
          yes: true,
          now: () => NOW,
        });

        const consumerFailed = ['listStacks', 'listMirrorResources', 'listImageFunctions', 'functionImage', 'listActiveTaskDefinitions', 'taskDefinition'].includes(
          generated.failing ?? '',
        );
        const touched = port.calls.some((call) => call.method === (generated.failing as string));
        if ((consumerFailed && touched) || inProgress) expect(outcome.plan.repositories).toEqual([]);
        for (const repository of outcome.plan.repositories) {
          const spec = world.repositories.find((entry) => entry.name === repository.repository)!;
          expect(spec.name.startsWith(`${PREFIX}/`)).toBe(true);
          expect(spec.managed).toBe(true);
          expect(unsure.has(spec.name)).toBe(false);
          const selected = new Set(repository.groups.flatMap((group) => group.digests));
          for (const d of selected) expect(used.get(spec.name)!.has(d), `${d} is used`).toBe(false);
          // Closed under the index relation: a selected index takes what it lists, a selected child its indexes.
          for (const [index, listed] of Object.entries(spec.children ?? {})) {
            const present = [index, ...listed].filter((d) => spec.images.some((image) => image.digest === d));
            if (present.some((d) => selected.has(d))) expect(present.every((d) => selected.has(d))).toBe(true);
          }
        }
        for (const deleted of port.deletes) for (const d of deleted.digests) expect(used.get(deleted.repository)?.has(d) ?? false).toBe(false);
        if (port.deletes.length > 0) seen.deleted++;
        if (port.deletes.some((entry) => (used.get(entry.repository)?.size ?? 0) > 0)) seen.keptUsedBeside++;
        // Indexes went before what they list: ECR (and the fake) refuse a manifest an index still lists.
        expect(outcome.repositories.flatMap((repository) => repository.failures)).toEqual([]);
      }),
      { numRuns: 300 },
    );
    expect(seen.deleted).toBeGreaterThan(30);
    expect(seen.keptUsedBeside).toBeGreaterThan(15);
  });
});
