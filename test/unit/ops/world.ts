// A small AWS account in memory behind the ops port: repositories with images and index manifests, functions, task
// definitions and stacks; any call can be made to fail, and deletes change the world (so a recheck sees them).
import { MANAGED_BY_TAG } from '../../../src/contract.js';
import type { ImageRecord, LambdaFunctionRecord, MirrorResourceRecord, OpsPort, RepositoryRecord, StackRecord, TaskDefinitionRecord } from '../../../src/ops/types.js';

export const REGION = 'us-east-1';
export const REGISTRY = `123456789012.dkr.ecr.${REGION}.amazonaws.com`;
export const PREFIX = 'sysdig-image-fix';
export const DAY = 86_400_000;
export const NOW = Date.UTC(2026, 11, 5, 12, 0, 0);

export const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
export const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';

export function digest(seed: string | number): string {
  const hex = Buffer.from(String(seed)).toString('hex');
  return `sha256:${hex.repeat(Math.ceil(64 / hex.length)).slice(0, 64)}`;
}

export interface WorldRepository {
  name: string;
  /** Default: tagged ManagedBy. */
  managed?: boolean;
  sourceImage?: string;
  images: ImageRecord[];
  /** Index digest -> listed digests. */
  children?: Record<string, string[]>;
  lifecyclePolicy?: string;
}

export interface World {
  repositories: WorldRepository[];
  functions: LambdaFunctionRecord[];
  taskDefinitions: TaskDefinitionRecord[];
  stacks: { record: StackRecord; mirrors: MirrorResourceRecord[] }[];
}

export function emptyWorld(): World {
  return { repositories: [], functions: [], taskDefinitions: [], stacks: [] };
}

export function image(seed: string | number, options: Partial<ImageRecord> & { ageDays?: number } = {}): ImageRecord {
  const { ageDays, ...rest } = options;
  return { digest: digest(seed), tags: [], sizeBytes: 1000, pushedAt: NOW - (ageDays ?? 60) * DAY, mediaType: OCI_MANIFEST, ...rest };
}

export function uri(repository: string, reference: string): string {
  return `${REGISTRY}/${repository}${reference.startsWith('sha256:') ? `@${reference}` : `:${reference}`}`;
}

export function stack(name: string, mirrors: MirrorResourceRecord[], status = 'UPDATE_COMPLETE'): World['stacks'][number] {
  return { record: { name, id: `arn:aws:cloudformation:${REGION}:123456789012:stack/${name}/1`, status, parameters: {}, outputs: [] }, mirrors };
}

export type Failures = Partial<Record<keyof OpsPort, (argument: unknown) => Error | undefined>>;

export interface FakePort extends OpsPort {
  readonly calls: { method: keyof OpsPort; argument: unknown }[];
  readonly deletes: { repository: string; digests: readonly string[] }[];
  /** Runs before each call (e.g. changes the world between the plan and a delete). */
  beforeCall?: (method: keyof OpsPort, argument: unknown) => void;
  failures: Failures;
}

function accessDenied(action: string): Error {
  return Object.assign(new Error(`User: arn:aws:iam::123456789012:user/ops is not authorized to perform: ${action}`), { name: 'AccessDeniedException' });
}

/** A denial of `method` (every call, or those whose argument matches). */
export function deny(action: string, only?: (argument: unknown) => boolean): (argument: unknown) => Error | undefined {
  return (argument) => (only === undefined || only(argument) ? accessDenied(action) : undefined);
}

function repositoryRecord(repository: WorldRepository): RepositoryRecord {
  return { name: repository.name, uri: `${REGISTRY}/${repository.name}`, arn: `arn:aws:ecr:${REGION}:123456789012:repository/${repository.name}` };
}

export function fakePort(world: World, failures: Failures = {}): FakePort {
  const port: FakePort = {
    calls: [],
    deletes: [],
    failures,
  } as unknown as FakePort;
  const repo = (name: string) => {
    const found = world.repositories.find((repository) => repository.name === name);
    if (found === undefined) throw Object.assign(new Error(`repository ${name} not found`), { name: 'RepositoryNotFoundException' });
    return found;
  };
  const call = async <T>(method: keyof OpsPort, argument: unknown, answer: () => T): Promise<T> => {
    port.calls.push({ method, argument });
    port.beforeCall?.(method, argument);
    const failure = port.failures[method]?.(argument);
    if (failure !== undefined) throw failure;
    return structuredClone(answer());
  };
  Object.assign(port, {
    listStacks: () => call('listStacks', undefined, () => world.stacks.map((entry) => entry.record)),
    listMirrorResources: (id: string) => call('listMirrorResources', id, () => world.stacks.find((entry) => entry.record.id === id)?.mirrors),
    listRepositories: () => call('listRepositories', undefined, () => world.repositories.map(repositoryRecord)),
    repositoryTags: (arn: string) =>
      call('repositoryTags', arn, () => {
        const repository = world.repositories.find((entry) => repositoryRecord(entry).arn === arn)!;
        return {
          ...(repository.managed === false ? {} : { [MANAGED_BY_TAG.key]: MANAGED_BY_TAG.value }),
          ...(repository.sourceImage !== undefined ? { SourceImage: repository.sourceImage } : {}),
        };
      }),
    listImages: (name: string) => call('listImages', name, () => repo(name).images),
    indexChildren: (name: string, digests: readonly string[]) =>
      call('indexChildren', { name, digests }, () => new Map(digests.flatMap((d) => (repo(name).children?.[d] ? [[d, repo(name).children![d]!] as const] : [])))),
    lifecyclePolicy: (name: string) => call('lifecyclePolicy', name, () => repo(name).lifecyclePolicy),
    listImageFunctions: () => call('listImageFunctions', undefined, () => world.functions.map((fn) => fn.name)),
    functionImage: (name: string) => call('functionImage', name, () => world.functions.find((fn) => fn.name === name)),
    listActiveTaskDefinitions: () => call('listActiveTaskDefinitions', undefined, () => world.taskDefinitions.map((definition) => definition.name)),
    taskDefinition: (name: string) => call('taskDefinition', name, () => world.taskDefinitions.find((definition) => definition.name === name)),
    deleteImages: (name: string, digests: readonly string[]) =>
      call('deleteImages', { name, digests }, () => {
        const repository = repo(name);
        port.deletes.push({ repository: name, digests: [...digests] });
        const listedByKept = (d: string) =>
          Object.entries(repository.children ?? {}).some(
            ([index, listed]) => listed.includes(d) && !digests.includes(index) && repository.images.some((i) => i.digest === index),
          );
        const refused = digests.filter(listedByKept);
        repository.images = repository.images.filter((i) => !digests.includes(i.digest) || refused.includes(i.digest));
        return {
          deleted: digests.filter((d) => !refused.includes(d)),
          failures: refused.map((d) => ({ digest: d, code: 'ImageReferencedByManifestList', reason: 'listed by an index' })),
        };
      }),
  });
  return port;
}
