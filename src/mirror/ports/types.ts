// Every port of the mirror function: the interfaces the lifecycle calls and the shapes they carry. The
// lifecycle decides; the ports only carry out. aws.ts builds the real ones; tests replace them (mocked SDK
// clients, a fake registry, a virtual clock).
import type { Architecture } from '../../contract.js';
import type { ImageReference } from '../../reference/index.js';
import type { CallContext, Timer } from '../core/budget.js';
import type { PolicyStatement } from '../core/policy.js';
import type { CredentialsProvider } from '../registry/credentials.js';
import type { BlobDescriptor, ManifestResult } from '../registry/media.js';
import type { AddressRefusal } from '../registry/guard.js';
import type { PlatformManifest } from '../registry/platform.js';
import type { PublishedImage } from '../registry/published.js';

export type { CallContext } from '../core/budget.js';

/** One CodeBuild environment override (PLAINTEXT). */
export interface BuildVariable {
  readonly name: string;
  readonly value: string;
}

export interface ClockPorts {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Resolves after `ms`, or earlier when `signal` aborts. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
  /** Uniform in [0, 1): jitter for backoff. */
  random(): number;
  /** A timer for bounding a call (see Budget). */
  timer(ms: number): Timer;
}

export interface ResponsePorts {
  /**
   * One PUT of the response body to the presigned ResponseURL, given at most `timeoutMs` in all (connection,
   * request and answer); rejects unless the answer is 2xx.
   */
  putResponse(url: string, body: string, timeoutMs: number): Promise<void>;
}

/** What the lifecycle and the function engine need of the registry client (RegistryClient implements it). */
export interface RegistryPort {
  resolvePlatform(ref: ImageReference, architecture: Architecture, call?: CallContext): Promise<PlatformManifest>;
  headManifest(ref: ImageReference, call?: CallContext): Promise<{ digest: string; mediaType: string } | undefined>;
  resolvePublished(ref: ImageReference, call?: CallContext): Promise<PublishedImage>;
  /** The manifest by `ref.digest ?? ref.tag`: its exact bytes, their digest (checked) and media type. */
  getManifest(ref: ImageReference, call?: CallContext): Promise<ManifestResult>;
  /** A small blob (a config), read whole and checked against its digest. */
  readBlob(ref: ImageReference, digest: string, maxBytes: number, call?: CallContext): Promise<Uint8Array>;
  /** Size of blob `digest` in `ref`'s repository, undefined when it is not there. */
  blobSize(ref: ImageReference, digest: string, call: CallContext): Promise<number | undefined>;
  /** Streams a blob from `from`'s repository into `to`'s, checking size and digest on the way (never held whole). */
  copyBlob(from: ImageReference, to: ImageReference, blob: BlobDescriptor, call: CallContext): Promise<void>;
  /** Uploads a blob already in memory (checked when read). */
  uploadBlob(to: ImageReference, blob: BlobDescriptor, bytes: Uint8Array, call: CallContext): Promise<void>;
  /** PUTs manifest bytes under `reference` (a tag, or their digest); resolves to the digest the registry reports. */
  putManifest(to: ImageReference, reference: string, manifest: { bytes: Uint8Array; mediaType: string }, call: CallContext): Promise<string | undefined>;
  /** Why the copy job must not be given `registry` as its source (the buildspec's own address rules), or undefined. */
  copySourceRefusal(registry: string): Promise<AddressRefusal | undefined>;
}

export interface RegistryPortOptions {
  endpoints: ReadonlyMap<string, string>;
  credentials: CredentialsProvider;
  timeoutMs: number;
  /** The ports' clock: hop timeouts and retry backoff run on it. */
  clock: Pick<ClockPorts, 'now' | 'sleep' | 'timer'>;
  /** AWS_LAMBDA_RUNTIME_API (host:port): never contacted unless mapped in REGISTRY_ENDPOINTS. */
  runtimeApi: string | undefined;
}

export type RegistryFactory = (options: RegistryPortOptions) => RegistryPort;

export interface RepositorySpec {
  readonly repositoryName: string;
  readonly imageTagMutability: 'MUTABLE' | 'IMMUTABLE';
  /** KMS encryption with this key; AES256 when undefined. */
  readonly kmsKeyArn: string | undefined;
  readonly tags: Readonly<Record<string, string>>;
}

export interface StartBuildInput {
  readonly projectName: string;
  readonly idempotencyToken: string;
  readonly environment: readonly BuildVariable[];
}

export interface BuildPhaseReport {
  readonly type: string;
  readonly status: string | undefined;
  readonly messages: readonly string[];
  /** Epoch milliseconds; undefined when CodeBuild has not reported it (yet). */
  readonly startTime?: number | undefined;
  /** Epoch milliseconds; undefined while the phase runs (and for COMPLETED). */
  readonly endTime?: number | undefined;
  /** CodeBuild's own whole-second duration, once the phase has ended. */
  readonly durationSeconds?: number | undefined;
}

/** The parts of a CodeBuild build the lifecycle looks at. */
export interface BuildReport {
  readonly id: string;
  /** The project it ran in (as CodeBuild reports it). */
  readonly projectName: string | undefined;
  /** The build's environment variables as CodeBuild reports them (the StartBuild overrides included). */
  readonly environment: Readonly<Record<string, string>>;
  /** IN_PROGRESS, SUCCEEDED, FAILED, FAULT, STOPPED or TIMED_OUT. */
  readonly status: string;
  readonly phases: readonly BuildPhaseReport[];
  readonly exportedVariables: Readonly<Record<string, string>>;
  readonly logGroupName: string | undefined;
  readonly logStreamName: string | undefined;
  /** SUBMITTED, QUEUED, PROVISIONING, DOWNLOAD_SOURCE, INSTALL, ..., COMPLETED; undefined when not reported. */
  readonly currentPhase?: string | undefined;
  /** Epoch milliseconds of StartBuild, and of the end once the build is final. */
  readonly startTime?: number | undefined;
  readonly endTime?: number | undefined;
}

/**
 * Every call takes the CallContext of its budget: the AWS SDK gets its signal as `abortSignal`, the registry
 * client bounds each exchange by it.
 */
export interface AwsPorts {
  /** The single-platform manifest of `ref` for `architecture` (registry client with credentials). */
  resolveSourcePlatform(ref: ImageReference, architecture: Architecture, call: CallContext): Promise<PlatformManifest>;
  /** The source as published, for a whole-image copy: the index digest and entries, or the single manifest's digest. */
  resolveSourceImage(ref: ImageReference, call: CallContext): Promise<PublishedImage>;
  /**
   * Why the copy job must not be handed a source on `registry` (`host[:port]`): its host is, or resolves to, an address
   * the buildspec refuses too. Undefined when it may (an unresolvable name included: it reaches nothing).
   */
  sourceHostRefusal(registry: string): Promise<AddressRefusal | undefined>;
  /** Digest `ref` points at, undefined when it does not exist. */
  readManifestDigest(ref: ImageReference, call: CallContext): Promise<string | undefined>;
  /** CreateRepository; an existing repository is fine (and left as it is). */
  ensureRepository(spec: RepositorySpec, call: CallContext): Promise<'created' | 'existed'>;
  /** Merges `statement` into the repository policy; writes only when that changes it. */
  ensureRepositoryPolicy(repositoryName: string, statement: PolicyStatement, call: CallContext): Promise<'written' | 'unchanged'>;
  /** The tags of the repository's manifest with this digest (none: []), or undefined when it holds no such manifest. */
  imageTags(repositoryName: string, digest: string, call: CallContext): Promise<readonly string[] | undefined>;
  /** StartBuild; resolves to the build id. */
  startBuild(input: StartBuildInput, call: CallContext): Promise<string>;
  /** The newest builds of the project (one ListBuildsForProject page), with their details. */
  recentBuilds(projectName: string, call: CallContext): Promise<BuildReport[]>;
  /** The build, or undefined when CodeBuild does not know it. */
  getBuild(buildId: string, call: CallContext): Promise<BuildReport | undefined>;
  stopBuild(buildId: string, call: CallContext): Promise<void>;
  /** The last `lines` lines of a CloudWatch Logs stream, oldest first. */
  tailBuildLog(groupName: string, streamName: string, lines: number, call: CallContext): Promise<string[]>;
  /** Asynchronous (`Event`) invocation of this function with `payload`. */
  invokeSelf(functionArn: string, payload: string, call: CallContext): Promise<void>;
  /** The tags of an ECR repository (ListTagsForResource); the function engine keeps its copy records there. */
  repositoryTags(repositoryArn: string, call: CallContext): Promise<Record<string, string>>;
  /** Adds or replaces tags (TagResource). */
  tagRepository(repositoryArn: string, tags: Readonly<Record<string, string>>, call: CallContext): Promise<void>;
  /** Removes tags (UntagResource). */
  untagRepository(repositoryArn: string, keys: readonly string[], call: CallContext): Promise<void>;
  /** The registry client: what the function engine copies with (source and target, one client). */
  registry(): RegistryPort;
}

export type MirrorPorts = AwsPorts & ResponsePorts & ClockPorts;
