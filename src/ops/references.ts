// Where each user of an image points, read from what AWS reports (pure): a repository and a digest, or only a tag.
//   Lambda: a digest-pinned ImageUri is the image (Lambda runs exactly it). For an ImageUri by tag, Lambda's
//     ResolvedImageUri names the digest it resolved at deploy time; it counts only when it names this repository and
//     the repository holds that digest (moto 5.2.1 answers `<repo>@sha256@sha256:<random>` for a pinned ImageUri and
//     a random digest for a tag: neither may decide anything). Otherwise the function runs an unknown image of the
//     repository.
//   ECS: a container image pinned by digest is that image; by tag, whatever the tag names now.
//   CloudFormation: the physical id of a Custom::ImageMirror is the ImageUri it answered (`<repo>@sha256:<hex>`).
import { formatRepository, isImageDigest, tryParseImageReference } from '../reference/index.js';
import type { LambdaFunctionRecord, MirrorResourceRecord, TaskDefinitionRecord } from './types.js';

/** A user of an image and how it names the image. */
export interface ImageUser {
  readonly kind: 'function' | 'task-definition' | 'stack';
  /** Function name, `family:revision (container)`, `stack/LogicalId`. */
  readonly name: string;
}

/** What a user points at: a repository (`host/name`) and a digest, or a tag whose digest must be looked up. */
export interface Pointer {
  readonly user: ImageUser;
  readonly repositoryUri: string;
  readonly digest?: string;
  readonly tag?: string;
  /**
   * The digest is Lambda's ResolvedImageUri of an ImageUri by tag: trusted only when the repository holds it.
   * Absent with a tag and no digest: the digest the user runs is not known (Lambda said nothing usable).
   */
  readonly resolved?: 'lambda';
  /** Lambda told nothing usable about the digest of this tag (ResolvedImageUri missing or malformed). */
  readonly unknownDigest?: string;
}

export function functionPointer(fn: LambdaFunctionRecord): Pointer | undefined {
  if (fn.imageUri === undefined) return undefined;
  const parsed = tryParseImageReference(fn.imageUri);
  if (!parsed.ok) return undefined;
  const image = parsed.reference;
  const user: ImageUser = { kind: 'function', name: fn.name };
  const repositoryUri = formatRepository(image);
  if (image.digest !== undefined && isImageDigest(image.digest)) return { user, repositoryUri, digest: image.digest };
  const tag = image.tag ?? 'latest';
  const resolved = fn.resolvedImageUri !== undefined ? tryParseImageReference(fn.resolvedImageUri) : undefined;
  if (resolved?.ok && formatRepository(resolved.reference) === repositoryUri && isImageDigest(resolved.reference.digest)) {
    return { user, repositoryUri, tag, digest: resolved.reference.digest!, resolved: 'lambda' };
  }
  const said = fn.resolvedImageUri === undefined ? 'no ResolvedImageUri' : `ResolvedImageUri ${fn.resolvedImageUri.slice(0, 200)}`;
  return { user, repositoryUri, tag, unknownDigest: `Lambda gives ${said}, not ${repositoryUri}@sha256:<digest>` };
}

export function taskDefinitionPointers(definition: TaskDefinitionRecord): Pointer[] {
  return definition.containers.flatMap((container): Pointer[] => {
    const parsed = tryParseImageReference(container.image);
    if (!parsed.ok) return [];
    const image = parsed.reference;
    const user: ImageUser = { kind: 'task-definition', name: `${definition.name} (${container.name})` };
    const repositoryUri = formatRepository(image);
    // `repo:tag@digest`: ECS pulls the digest.
    if (image.digest !== undefined) return [{ user, repositoryUri, digest: image.digest }];
    return [{ user, repositoryUri, tag: image.tag ?? 'latest' }];
  });
}

/** The image a mirror resource answered, or why its physical id names none (a failed create's placeholder, ...). */
export function mirrorPointer(stack: string, mirror: MirrorResourceRecord): { pointer: Pointer } | { problem: string } {
  const user: ImageUser = { kind: 'stack', name: `${stack}/${mirror.logicalId}` };
  const parsed = mirror.physicalId !== undefined ? tryParseImageReference(mirror.physicalId) : undefined;
  if (parsed?.ok && isImageDigest(parsed.reference.digest) && parsed.reference.tag === undefined) {
    return { pointer: { user, repositoryUri: formatRepository(parsed.reference), digest: parsed.reference.digest! } };
  }
  const shown = mirror.physicalId === undefined ? 'no physical id' : `physical id ${mirror.physicalId.slice(0, 200)}`;
  return { problem: `${user.name} (${mirror.status}) has ${shown}, not an image <repository>@sha256:<digest>` };
}
