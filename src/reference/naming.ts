// Where a mirrored image lands: `<prefix>/<registry host>/<path>:<tag>` in private ECR.
// Shared by the macro (literal sources) and the mirror function (sources known only at deploy time),
// so both always agree on the name.
import { UnmappableImageError } from './errors.js';
import { formatImageReference, type ImageReference } from './parse.js';

export const DEFAULT_REPOSITORY_PREFIX = 'sysdig-image-fix';
/** ECR repository names: 2..256 characters of this pattern. */
export const ECR_REPOSITORY_NAME = /^(?:[a-z0-9]+(?:[._-][a-z0-9]+)*\/)*[a-z0-9]+(?:[._-][a-z0-9]+)*$/;
export const ECR_REPOSITORY_NAME_MAX = 256;

/** Reason a repository prefix is unusable, or undefined when it is fine. */
export function repositoryPrefixProblem(prefix: string): string | undefined {
  if (prefix.length === 0) return 'must not be empty';
  if (prefix.length > 200) return `is ${prefix.length} characters; keep it to at most 200 so image paths fit ECR's 256`;
  if (!ECR_REPOSITORY_NAME.test(prefix)) {
    return 'must be lower-case letters and digits separated by single ".", "_", "-" or "/" (an ECR repository name)';
  }
  return undefined;
}

/**
 * ECR allows single separators only; the reference grammar also allows "__" and runs of "-" in
 * paths, and host names may hold "--" (punycode `xn--`).
 */
function collapseSeparators(component: string): string {
  return component.replace(/[._-]{2,}/g, (run) => run[0]!);
}

/**
 * `<registry host>/<path>`: the part of a target repository name after the prefix, which says what the repository
 * holds (`docker.io/library/nginx`, `host.example_5000/x`).
 */
export function targetPath(ref: ImageReference): string {
  // One pass over the whole path: a run of separators never spans a "/", so this is each part collapsed.
  return collapseSeparators(`${ref.registry.toLowerCase().replace(':', '_')}/${ref.repository}`);
}

/** Target ECR repository name for a source image. Throws UnmappableImageError when it cannot fit ECR. */
export function targetRepositoryName(ref: ImageReference, prefix = DEFAULT_REPOSITORY_PREFIX): string {
  const problem = repositoryPrefixProblem(prefix);
  if (problem) throw new UnmappableImageError(formatImageReference(ref), `RepositoryPrefix "${prefix}" ${problem}`);
  const name = `${prefix}/${targetPath(ref)}`;
  if (name.length > ECR_REPOSITORY_NAME_MAX) {
    throw new UnmappableImageError(
      formatImageReference(ref),
      `target repository name "${name}" is ${name.length} characters; ECR allows ${ECR_REPOSITORY_NAME_MAX}. Use a shorter RepositoryPrefix`,
    );
  }
  if (!ECR_REPOSITORY_NAME.test(name)) {
    throw new UnmappableImageError(formatImageReference(ref), `target repository name "${name}" is not a valid ECR repository name`);
  }
  return name;
}

/**
 * The source tag is kept; a digest-only source is tagged `<algorithm>-<hex>` (`sha256-<hex>`), cut
 * to the 128 characters of a tag. Characters a tag cannot hold (the "+" some algorithm names have)
 * become "-".
 */
export function targetTag(ref: ImageReference): string {
  if (ref.tag !== undefined) return ref.tag;
  if (ref.digest !== undefined) return ref.digest.replace(/[^A-Za-z0-9_.-]/g, '-').slice(0, 128);
  return 'latest';
}
