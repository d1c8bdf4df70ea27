// Who uses each mirrored image (pure): the inventory's users matched to the repositories' images, index and child
// manifests tied together, lifecycle rules that could remove a used image, and everything that keeps the answer from
// being complete. An image nobody is known to use is "unused" only when every user list was read completely;
// otherwise it is "unknown", never unused.
import { MANAGED_BY_TAG, SOURCE_IMAGE_TAG_KEY } from '../contract.js';
import { describeRule, parseLifecyclePolicy, ruleSelects } from './lifecycle-rules.js';
import { isIndexImage } from './manifests.js';
import { functionPointer, type ImageUser, mirrorPointer, type Pointer, taskDefinitionPointers } from './references.js';
import type { ImageRecord, Inventory, RepositoryInventory, Unreadable } from './types.js';

export interface ImageUse {
  readonly user: ImageUser;
  /** `digest`, `tag 1.0`, `tag 1.0 (resolved by Lambda)`. */
  readonly via: string;
}

export type ImageStatus = 'used' | 'unused' | 'unknown';

export interface ImageReport extends ImageRecord {
  readonly index: boolean;
  /** Digests of this repository's manifests that this index lists. */
  readonly children: readonly string[];
  /** Digests of this repository's indexes that list this manifest. */
  readonly parents: readonly string[];
  readonly users: readonly ImageUse[];
  /** used: something uses it or an image tied to it (index and children go together); unknown: a user list is incomplete. */
  readonly status: ImageStatus;
  /** Why an image without users of its own is kept: `listed by index sha256:...`, `lists sha256:...`. */
  readonly keptBecause?: string;
  /** The index/child group it belongs to (the digest of its first member): such images are deleted together. */
  readonly group: string;
}

export interface LifecycleRisk {
  readonly rule: string;
  readonly digest: string;
  readonly users: readonly string[];
}

export interface RepositoryReport {
  readonly name: string;
  readonly uri: string;
  /** Tagged ManagedBy by the mirror function; undefined when its tags could not be read. */
  readonly managed: boolean | undefined;
  readonly sourceImage?: string;
  /** Undefined when the images could not be read. */
  readonly images?: readonly ImageReport[];
  /** Why the users of this repository's images are not fully known: prune leaves it alone. */
  readonly uncertain: readonly string[];
  readonly lifecycleRisks: readonly LifecycleRisk[];
}

/** Where and what was read (as the inventory says), and what that means. */
export interface UsageReport extends Pick<Inventory, 'region' | 'prefixes' | 'prefixSource' | 'unreadable'> {
  readonly repositories: readonly RepositoryReport[];
  /** Why nothing may be deleted anywhere: a user list not read completely, a stack being deployed. */
  readonly blockers: readonly string[];
  readonly notes: readonly string[];
}

/** What the users say about one repository. */
interface RepositoryUses {
  readonly uses: Map<string, ImageUse[]>;
  readonly uncertain: string[];
}

function describeUser(user: ImageUser): string {
  return `${user.kind === 'function' ? 'function' : user.kind === 'task-definition' ? 'task definition' : 'stack'} ${user.name}`;
}

function addUse(state: RepositoryUses, digest: string, use: ImageUse): void {
  const list = state.uses.get(digest);
  if (list === undefined) state.uses.set(digest, [use]);
  else list.push(use);
}

/** Matches one pointer to the repository's images; what cannot be matched makes the repository uncertain. */
function applyPointer(pointer: Pointer, images: readonly ImageRecord[], state: RepositoryUses, notes: string[]): void {
  const { user, repositoryUri } = pointer;
  const holds = (digest: string) => images.some((image) => image.digest === digest);
  if (pointer.digest !== undefined && pointer.resolved === undefined) {
    if (holds(pointer.digest)) addUse(state, pointer.digest, { user, via: 'digest' });
    else notes.push(`${describeUser(user)} uses ${repositoryUri}@${pointer.digest}, which the repository does not hold`);
    return;
  }
  const tag = pointer.tag ?? 'latest';
  if (pointer.digest !== undefined && holds(pointer.digest)) {
    addUse(state, pointer.digest, { user, via: `tag ${tag} (resolved by Lambda)` });
    return;
  }
  const holder = images.find((image) => image.tags.includes(tag));
  if (holder !== undefined) addUse(state, holder.digest, { user, via: `tag ${tag}` });
  if (user.kind === 'function') {
    const why = pointer.digest !== undefined ? `Lambda resolved it to ${pointer.digest}, which the repository does not hold` : pointer.unknownDigest;
    state.uncertain.push(`${describeUser(user)} uses tag ${tag} and ${why}: the image it runs is not known`);
  } else if (holder === undefined) {
    state.uncertain.push(`${describeUser(user)} names tag ${tag}, which no image of this repository has: the image it runs is not known`);
  }
}

/** Index/child groups: union-find over the edges between this repository's indexes and the manifests they list. */
function groupsOf(images: readonly ImageRecord[], children: ReadonlyMap<string, readonly string[]>): Map<string, string> {
  const parent = new Map(images.map((image) => [image.digest, image.digest]));
  const find = (digest: string): string => {
    let root = digest;
    while (parent.get(root) !== root) root = parent.get(root)!;
    parent.set(digest, root);
    return root;
  };
  for (const [index, listed] of children) {
    if (!parent.has(index)) continue;
    for (const child of listed) if (parent.has(child)) parent.set(find(child), find(index));
  }
  return new Map(images.map((image) => [image.digest, find(image.digest)]));
}

function imageReports(entry: RepositoryInventory, state: RepositoryUses, complete: boolean): ImageReport[] {
  const images = entry.images ?? [];
  const groups = groupsOf(images, entry.children);
  const usedGroups = new Set(images.filter((image) => state.uses.has(image.digest)).map((image) => groups.get(image.digest)!));
  const known = new Set(images.map((image) => image.digest));
  return images.map((image) => {
    const children = (entry.children.get(image.digest) ?? []).filter((digest) => known.has(digest));
    const parents = [...entry.children].filter(([index, listed]) => known.has(index) && listed.includes(image.digest)).map(([index]) => index);
    const users = state.uses.get(image.digest) ?? [];
    const group = groups.get(image.digest)!;
    const status: ImageStatus = usedGroups.has(group) ? 'used' : complete && state.uncertain.length === 0 ? 'unused' : 'unknown';
    let keptBecause: string | undefined;
    if (users.length === 0 && status === 'used') {
      const usedParent = parents.find((digest) => usedGroups.has(groups.get(digest)!));
      const usedChild = children.find((digest) => state.uses.has(digest));
      keptBecause =
        usedParent !== undefined ? `listed by index ${usedParent}` : usedChild !== undefined ? `lists ${usedChild}, which is used` : 'tied by an index to a used image';
    }
    return { ...image, index: isIndexImage(image.mediaType), children, parents, users, status, ...(keptBecause !== undefined ? { keptBecause } : {}), group };
  });
}

function lifecycleRisks(entry: RepositoryInventory, images: readonly ImageReport[]): LifecycleRisk[] {
  if (entry.lifecyclePolicy === undefined) return [];
  const used = images.filter((image) => image.status === 'used');
  const rules = parseLifecyclePolicy(entry.lifecyclePolicy);
  const usersOf = (image: ImageReport) => (image.users.length > 0 ? image.users.map((use) => describeUser(use.user)) : [image.keptBecause ?? 'tied to a used image']);
  if (rules === undefined)
    return used.map((image) => ({ rule: 'the lifecycle policy (it does not parse, so any rule may apply)', digest: image.digest, users: usersOf(image) }));
  return rules.flatMap((rule) =>
    used.filter((image) => ruleSelects(rule, image.tags)).map((image) => ({ rule: describeRule(rule), digest: image.digest, users: usersOf(image) })),
  );
}

function repositoryReport(entry: RepositoryInventory, state: RepositoryUses, unreadable: readonly Unreadable[], complete: boolean): RepositoryReport {
  const uncertain = [...unreadable.filter((item) => item.repository === entry.repository.name).map((item) => `${item.action} failed: ${item.error}`), ...state.uncertain];
  const images = entry.images !== undefined ? imageReports(entry, { ...state, uncertain }, complete) : undefined;
  const sourceImage = entry.tags?.[SOURCE_IMAGE_TAG_KEY];
  return {
    name: entry.repository.name,
    uri: entry.repository.uri,
    managed: entry.tags === undefined ? undefined : entry.tags[MANAGED_BY_TAG.key] === MANAGED_BY_TAG.value,
    ...(sourceImage !== undefined ? { sourceImage } : {}),
    ...(images !== undefined ? { images } : {}),
    uncertain,
    lifecycleRisks: images !== undefined ? lifecycleRisks(entry, images) : [],
  };
}

function pointersOf(inventory: Inventory, notes: string[]): Pointer[] {
  const pointers: Pointer[] = [];
  for (const fn of inventory.functions) {
    const pointer = functionPointer(fn);
    if (pointer !== undefined) pointers.push(pointer);
  }
  for (const definition of inventory.taskDefinitions) pointers.push(...taskDefinitionPointers(definition));
  for (const stack of inventory.stacks) {
    for (const mirror of stack.mirrors) {
      const read = mirrorPointer(stack.name, mirror);
      if ('pointer' in read) pointers.push(read.pointer);
      else notes.push(read.problem);
    }
  }
  return pointers;
}

/** The user lists that were not read completely, and stacks whose mirrors are changing right now. */
function blockersOf(inventory: Inventory): string[] {
  const blockers = inventory.unreadable.filter((item) => item.repository === undefined).map((item) => `${item.what} could not be read (${item.action}: ${item.error})`);
  for (const stack of inventory.stacks) {
    if (stack.status.endsWith('_IN_PROGRESS')) {
      blockers.push(`stack ${stack.name} is ${stack.status}: until it ends, the images of its old and new Custom::ImageMirror resources may both be in use`);
    }
  }
  return blockers;
}

export function analyseUsage(inventory: Inventory): UsageReport {
  const notes: string[] = [];
  const blockers = blockersOf(inventory);
  const states = new Map(inventory.repositories.map((entry) => [entry.repository.uri, { uses: new Map(), uncertain: [] } as RepositoryUses]));
  const byUri = new Map(inventory.repositories.map((entry) => [entry.repository.uri, entry]));
  for (const pointer of pointersOf(inventory, notes)) {
    const entry = byUri.get(pointer.repositoryUri);
    if (entry?.images === undefined) continue;
    applyPointer(pointer, entry.images, states.get(pointer.repositoryUri)!, notes);
  }
  const complete = blockers.length === 0;
  return {
    region: inventory.region,
    prefixes: inventory.prefixes,
    prefixSource: inventory.prefixSource,
    repositories: inventory.repositories.map((entry) => repositoryReport(entry, states.get(entry.repository.uri)!, inventory.unreadable, complete)),
    blockers,
    unreadable: inventory.unreadable,
    notes,
  };
}
