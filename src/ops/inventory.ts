// Reads what is mirrored and who may use it, through the port: the repositories under the prefix (tags, images,
// the manifests of indexes, lifecycle policy), every Lambda function with an image, every ACTIVE task definition
// and every stack's Custom::ImageMirror resources. A call that fails is recorded as unreadable (never as "nothing
// there"); the rest is still read, so the report shows as much as can be known.
import { MACRO_NAME } from '../contract.js';
import { DEFAULT_REPOSITORY_PREFIX } from '../reference/index.js';
import { awsErrorName } from '../mirror/core/errors.js';
import { isIndexImage } from './manifests.js';
import {
  OPS_ACTIONS,
  type Inventory,
  type LambdaFunctionRecord,
  type OpsPort,
  type RepositoryInventory,
  type RepositoryRecord,
  type StackMirrors,
  type StackRecord,
  type TaskDefinitionRecord,
  type Unreadable,
} from './types.js';

export interface InventoryRequest {
  readonly region: string;
  /** The repository prefix; read from the macro stack(s) when not given. */
  readonly prefix?: string;
}

/** Parallel calls per list (functions, task definitions, stacks, repositories): polite to the APIs' rate limits. */
const CONCURRENCY = 8;

async function mapLimit<T, R>(items: readonly T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

function describeFailure(error: unknown): string {
  const name = awsErrorName(error);
  const message = error instanceof Error ? error.message : String(error);
  return name !== undefined && name !== 'Error' && !message.startsWith(name) ? `${name}: ${message}` : message;
}

/** Runs one port call; a failure becomes an Unreadable entry and the result `undefined`. */
async function attempt<K extends keyof OpsPort, R>(
  action: K,
  what: string,
  unreadable: Unreadable[],
  call: () => Promise<R>,
  repository?: string,
): Promise<{ ok: true; value: R } | { ok: false }> {
  try {
    return { ok: true, value: await call() };
  } catch (error) {
    unreadable.push({ what, action: OPS_ACTIONS[action], error: describeFailure(error), ...(repository !== undefined ? { repository } : {}) });
    return { ok: false };
  }
}

/**
 * The macro stacks: an output MirrorFunctionArn exported as `<MacroName>-MirrorFunctionArn`, and a RepositoryPrefix
 * parameter (template.yaml and its StackSet variant both have them).
 */
export function macroStackPrefixes(stacks: readonly StackRecord[]): { stack: string; prefix: string }[] {
  return stacks
    .filter((stack) => stack.outputs.some((output) => output.key === 'MirrorFunctionArn' && (output.exportName ?? '').endsWith('-MirrorFunctionArn')))
    .filter((stack) => (stack.parameters.RepositoryPrefix ?? '') !== '')
    .map((stack) => ({ stack: stack.name, prefix: stack.parameters.RepositoryPrefix! }));
}

function choosePrefixes(request: InventoryRequest, stacks: readonly StackRecord[] | undefined): { prefixes: string[]; source: string } {
  if (request.prefix !== undefined) return { prefixes: [request.prefix], source: '--prefix' };
  if (stacks === undefined) return { prefixes: [DEFAULT_REPOSITORY_PREFIX], source: 'the default (the stacks, and so the macro stack, could not be read)' };
  const found = macroStackPrefixes(stacks);
  if (found.length === 0) return { prefixes: [DEFAULT_REPOSITORY_PREFIX], source: `the default (no ${MACRO_NAME} macro stack found in this region)` };
  const prefixes = [...new Set(found.map((entry) => entry.prefix))];
  return { prefixes, source: `macro stack${found.length === 1 ? '' : 's'} ${found.map((entry) => entry.stack).join(', ')}` };
}

/** A repository under one of the prefixes: `<prefix>/...`. */
export function underPrefixes(name: string, prefixes: readonly string[]): boolean {
  return prefixes.some((prefix) => name.startsWith(`${prefix}/`));
}

async function readRepository(port: OpsPort, repository: RepositoryRecord, unreadable: Unreadable[]): Promise<RepositoryInventory> {
  const name = repository.name;
  const what = `repository ${name}`;
  const [tags, images, policy] = await Promise.all([
    attempt('repositoryTags', what, unreadable, () => port.repositoryTags(repository.arn), name),
    attempt('listImages', what, unreadable, () => port.listImages(name), name),
    attempt('lifecyclePolicy', what, unreadable, () => port.lifecyclePolicy(name), name),
  ]);
  let children: ReadonlyMap<string, readonly string[]> = new Map();
  if (images.ok) {
    const indexes = images.value.filter((image) => isIndexImage(image.mediaType)).map((image) => image.digest);
    if (indexes.length > 0) {
      const read = await attempt('indexChildren', what, unreadable, () => port.indexChildren(name, indexes), name);
      if (read.ok) children = read.value;
    }
  }
  return {
    repository,
    ...(tags.ok ? { tags: tags.value } : {}),
    ...(images.ok ? { images: images.value } : {}),
    children,
    ...(policy.ok && policy.value !== undefined ? { lifecyclePolicy: policy.value } : {}),
  };
}

async function readRepositories(port: OpsPort, prefixes: readonly string[], unreadable: Unreadable[]): Promise<RepositoryInventory[]> {
  const listed = await attempt('listRepositories', 'ECR repositories', unreadable, () => port.listRepositories());
  if (!listed.ok) return [];
  const ours = listed.value.filter((repository) => underPrefixes(repository.name, prefixes)).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return mapLimit(ours, CONCURRENCY, (repository) => readRepository(port, repository, unreadable));
}

async function readFunctions(port: OpsPort, unreadable: Unreadable[]): Promise<LambdaFunctionRecord[]> {
  const listed = await attempt('listImageFunctions', 'Lambda functions', unreadable, () => port.listImageFunctions());
  if (!listed.ok) return [];
  const read = await mapLimit(listed.value, CONCURRENCY, (name) => attempt('functionImage', `Lambda function ${name}`, unreadable, () => port.functionImage(name)));
  return read.flatMap((result) => (result.ok && result.value !== undefined ? [result.value] : []));
}

async function readTaskDefinitions(port: OpsPort, unreadable: Unreadable[]): Promise<TaskDefinitionRecord[]> {
  const listed = await attempt('listActiveTaskDefinitions', 'ECS task definitions', unreadable, () => port.listActiveTaskDefinitions());
  if (!listed.ok) return [];
  const read = await mapLimit(listed.value, CONCURRENCY, (arn) => attempt('taskDefinition', `ECS task definition ${arn}`, unreadable, () => port.taskDefinition(arn)));
  return read.flatMap((result) => (result.ok && result.value !== undefined ? [result.value] : []));
}

async function readStackMirrors(port: OpsPort, stacks: readonly StackRecord[], unreadable: Unreadable[]): Promise<StackMirrors[]> {
  const read = await mapLimit(stacks, CONCURRENCY, async (stack) => {
    const mirrors = await attempt('listMirrorResources', `resources of stack ${stack.name}`, unreadable, () => port.listMirrorResources(stack.id));
    return mirrors.ok && mirrors.value !== undefined && mirrors.value.length > 0 ? [{ name: stack.name, status: stack.status, mirrors: mirrors.value }] : [];
  });
  return read.flat();
}

/** The users: Lambda functions, ACTIVE task definitions and the mirrors of the stacks (`stacks`: what DescribeStacks gave). */
async function readUsers(port: OpsPort, stacks: readonly StackRecord[] | undefined, unreadable: Unreadable[]) {
  const [functions, taskDefinitions, stackMirrors] = await Promise.all([
    readFunctions(port, unreadable),
    readTaskDefinitions(port, unreadable),
    stacks !== undefined ? readStackMirrors(port, stacks, unreadable) : Promise.resolve([]),
  ]);
  return { functions, taskDefinitions, stacks: stackMirrors };
}

async function readStacks(port: OpsPort, unreadable: Unreadable[]): Promise<StackRecord[] | undefined> {
  const stacks = await attempt('listStacks', 'CloudFormation stacks', unreadable, () => port.listStacks());
  return stacks.ok ? stacks.value : undefined;
}

/** Everything `mirrors` shows and `prune` decides on. */
export async function readInventory(port: OpsPort, request: InventoryRequest): Promise<Inventory> {
  const unreadable: Unreadable[] = [];
  const stacks = await readStacks(port, unreadable);
  const { prefixes, source } = choosePrefixes(request, stacks);
  const [repositories, users] = await Promise.all([readRepositories(port, prefixes, unreadable), readUsers(port, stacks, unreadable)]);
  return { region: request.region, prefixes, prefixSource: source, repositories, ...users, unreadable };
}

/** The users and one repository read again: prune's check right before it deletes from that repository. */
export async function rereadForDelete(port: OpsPort, base: Inventory, repository: RepositoryRecord): Promise<Inventory> {
  const unreadable: Unreadable[] = [];
  const stacks = await readStacks(port, unreadable);
  const [read, users] = await Promise.all([readRepository(port, repository, unreadable), readUsers(port, stacks, unreadable)]);
  return { ...base, repositories: [read], ...users, unreadable };
}
