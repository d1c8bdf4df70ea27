// Which ECR repository a copy lands in. The naming contract (DESIGN.md, src/reference/naming.ts) is what makes a
// repository's name tell its source: `<prefix>/<registry host>/<path>`. A request may name the repository itself
// (RepositoryName: what the macro writes for a literal image) or give a prefix (RepositoryPrefix: for an image known
// only at deploy time); otherwise the function derives the name under the macro stack's prefix. Anyone who can write a
// template may send a Custom::ImageMirror (the ServiceToken is an export), so a name or prefix is taken only when the
// name ends with the source's own `/<registry host>/<path>` and lies under the stack's prefix, where the roles may
// write anyway. What comes between the two is a sub-prefix, as a template's Metadata RepositoryPrefix gives
// (`sysdig-image-fix/team/docker.io/library/nginx`).
import { MirrorProperty } from '../../contract.js';
import { quoteForMessage, repositoryPrefixProblem, targetPath, targetRepositoryName } from '../../reference/index.js';
import { MirrorError } from './errors.js';
import type { MirrorRequestInput } from './properties.js';

/** A RepositoryName or RepositoryPrefix of a request that does not name its source under the stack's prefix. */
export interface NamingRefusal {
  readonly property: typeof MirrorProperty.RepositoryName | typeof MirrorProperty.RepositoryPrefix;
  readonly given: string;
  /** The macro stack's RepositoryPrefix. */
  readonly stackPrefix: string;
  /** `<stack prefix>/<registry host>/<path>`: where the source's mirror lands instead. */
  readonly expected: string;
}

/**
 * What a copy plan does with a refused name: `refuse` it (a FAILED answer: Create), `rename` the copy to the expected
 * name (Update: a FAILED Update would fail its rollback too, which re-sends the old properties, and strand the stack),
 * or take it `as-given` (only to recognise an Update that changes nothing and so writes nothing).
 */
export type NamingMode = 'refuse' | 'rename' | 'as-given';

export function namingFor(requestType: string): NamingMode {
  return requestType === 'Update' ? 'rename' : 'refuse';
}

/** Why the request's name or prefix is refused, and the name expected in its place (a FAILED answer). */
export class RepositoryNameError extends MirrorError {
  override readonly name: string = 'RepositoryNameError';
  readonly refusal: NamingRefusal;
  constructor(refusal: NamingRefusal, sourceImage: string) {
    const { stackPrefix } = refusal;
    const fix =
      refusal.property === MirrorProperty.RepositoryName
        ? 'Give that name, or leave RepositoryName out and the function derives it'
        : `Set RepositoryPrefix (the template's or the resource's Metadata SysdigImageFix RepositoryPrefix) to ${JSON.stringify(stackPrefix)} or a prefix under it, such as ${JSON.stringify(`${stackPrefix}/team`)}`;
    super(`${describeRefusal(refusal, sourceImage)}. ${fix}`);
    this.refusal = refusal;
  }
}

/** One sentence: the name or prefix given, the source, the stack's prefix and the name expected. */
export function describeRefusal(refusal: NamingRefusal, sourceImage: string): string {
  const { stackPrefix } = refusal;
  const given = `${refusal.property} ${quoteForMessage(refusal.given, 260)}`;
  const rule =
    refusal.property === MirrorProperty.RepositoryName
      ? `does not name ${sourceImage} (a mirror's repository is <prefix>/<registry host>/<path> of its source, under this macro stack's prefix ${JSON.stringify(stackPrefix)})`
      : `is not this macro stack's prefix ${JSON.stringify(stackPrefix)} or one under it (the mirror function writes only repositories under ${JSON.stringify(`${stackPrefix}/`)})`;
  return `${given} ${rule}: the repository of ${sourceImage} is ${JSON.stringify(refusal.expected)}`;
}

function isUnderPrefix(prefix: string, stackPrefix: string): boolean {
  return (prefix === stackPrefix || prefix.startsWith(`${stackPrefix}/`)) && repositoryPrefixProblem(prefix) === undefined;
}

/** The request's name or prefix when it does not name the source under `stackPrefix`. */
export function namingRefusal(input: MirrorRequestInput, stackPrefix: string): NamingRefusal | undefined {
  const path = targetPath(input.source);
  if (input.repositoryName !== undefined) {
    const name = input.repositoryName;
    const prefix = name.endsWith(`/${path}`) ? name.slice(0, -(path.length + 1)) : undefined;
    if (prefix !== undefined && isUnderPrefix(prefix, stackPrefix)) return undefined;
    return { property: MirrorProperty.RepositoryName, given: name, stackPrefix, expected: targetRepositoryName(input.source, stackPrefix) };
  }
  if (input.repositoryPrefix !== undefined && !isUnderPrefix(input.repositoryPrefix, stackPrefix)) {
    return { property: MirrorProperty.RepositoryPrefix, given: input.repositoryPrefix, stackPrefix, expected: targetRepositoryName(input.source, stackPrefix) };
  }
  return undefined;
}

/**
 * The repository a copy of the request's source lands in, and the refusal when it is not the one the request named.
 * Throws RepositoryNameError (`refuse`), and UnmappableImageError when no valid name fits ECR.
 */
export function targetRepository(input: MirrorRequestInput, stackPrefix: string, naming: NamingMode): { name: string; renamed?: NamingRefusal } {
  const refusal = naming === 'as-given' ? undefined : namingRefusal(input, stackPrefix);
  if (refusal === undefined) return { name: input.repositoryName ?? targetRepositoryName(input.source, input.repositoryPrefix ?? stackPrefix) };
  if (naming === 'refuse') throw new RepositoryNameError(refusal, input.sourceImage);
  return { name: refusal.expected, renamed: refusal };
}
