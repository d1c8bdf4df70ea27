// Image references per the Docker/OCI distribution reference grammar:
//   reference  := name [ ":" tag ] [ "@" digest ]
//   name       := [ domain "/" ] path            (at most 255 characters once fully qualified)
//   domain     := host [ ":" port ]
//   path       := component ( "/" component )*
//   component  := [a-z0-9]+ ( ( "." | "_" | "__" | "-"+ ) [a-z0-9]+ )*
//   tag        := [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}
//   digest     := algorithm ":" hex
// Everything accepted here is made only of [A-Za-z0-9._:/@+-], so no accepted value can carry
// whitespace, quotes or other shell metacharacters into the build.
import { checkDigest } from './digest.js';
import { InvalidImageReferenceError } from './errors.js';

export interface ImageReference {
  /** Registry host, lower-cased, with port when given: `quay.io`, `docker.io`, `localhost:5000`. */
  readonly registry: string;
  /** Repository path inside the registry: `sysdig/serverless-patcher`, `library/nginx`. */
  readonly repository: string;
  readonly tag?: string;
  /** `<algorithm>:<hex>`, e.g. `sha256:...`. */
  readonly digest?: string;
}

export const DOCKER_HUB = 'docker.io';
export const DEFAULT_TAG = 'latest';
export const NAME_MAX_LENGTH = 255;
const DOCKER_HUB_ALIASES = new Set(['docker.io', 'index.docker.io']);

/** A registry host as references name it: lower case, and Docker Hub's aliases (`index.docker.io`) as `docker.io`. */
export function canonicalRegistryHost(host: string): string {
  const lowered = host.toLowerCase();
  return DOCKER_HUB_ALIASES.has(lowered) ? DOCKER_HUB : lowered;
}
/** The only characters any accepted reference contains (none of them means anything to a shell). */
const ALLOWED_CHARACTER = /^[A-Za-z0-9._:/@+-]$/;
const ALLOWED_CHARACTERS = /^[A-Za-z0-9._:/@+-]*$/;
/** `[addr]` or `[addr]:port` as the first component: an IPv6 registry address. */
const IPV6_DOMAIN = /^\[[^\]/]*\](?::[^/]*)?\//;
/** Docker refuses a bare 64-hex name: it is an image ID, not a repository. */
const IMAGE_ID = /^[a-f0-9]{64}$/;

const DOMAIN_COMPONENT = /^(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])$/;
const PORT = /^[0-9]{1,5}$/;
const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;

/** Characters no reference can contain; reported by name so the message shows the real problem. */
function describeForbidden(input: string): string | undefined {
  // One test of the whole string first: references are checked for every site, and nearly all are fine.
  if (ALLOWED_CHARACTERS.test(input)) return undefined;
  let position = 0;
  // Iterate by code point so a character outside the BMP is shown whole, not as half a surrogate pair.
  for (const ch of input) {
    position++;
    if (ALLOWED_CHARACTER.test(ch)) continue;
    const code = ch.codePointAt(0)!;
    const hex = `U+${code.toString(16).toUpperCase().padStart(4, '0')}`;
    const isWhitespace = /\s/u.test(ch);
    const isControl = /\p{Cc}/u.test(ch);
    // Invisible characters are shown only by code point; visible ones also as themselves.
    const shown = isWhitespace || isControl || /\p{Cf}/u.test(ch) ? hex : `'${ch}' (${hex})`;
    const what = ch === '\n' || ch === '\r' ? 'line break ' : isWhitespace ? 'whitespace ' : isControl ? 'control character ' : '';
    return `${what}${shown} at position ${position} is not allowed in an image reference`;
  }
  return undefined;
}

const URL_SCHEME = /^([A-Za-z][A-Za-z0-9+.-]*):\/\//;
/** skopeo and podman transports that name local files or stores, not registries. */
const LOCAL_TRANSPORT = /^(?:docker-archive|oci-archive|oci|dir|containers-storage|docker-daemon):/;
/** `./x`, `../x`, `/x`, `~/x`, `C:\x`, or any backslash. */
const LOCAL_PATH = /^(?:\.{1,2}\/|\/|~\/|[A-Za-z]:[\\/])/;
const ARCHIVE = /\.(?:tar|tar\.gz|tgz|tar\.xz|tar\.zst|zip)$/i;

export const LOCAL_ARCHIVE_REASON =
  'it is a local path or archive, not an image reference: push the image to a registry and give its registry/repository:tag ' +
  '(or let SAM build it: PackageType Image with Metadata Dockerfile and DockerContext, then sam build)';
export const S3_URL_REASON =
  'it is an S3 URL, not an image reference: Lambda runs container images from a registry (give registry/repository:tag); ' + 'code in S3 is a Zip package (PackageType: Zip)';

/**
 * The reason a value is something else that people put where an image belongs (a URL, a local file), or
 * undefined. Said before the grammar's own complaint, which would only point at a character.
 */
function notAReference(input: string): string | undefined {
  const scheme = URL_SCHEME.exec(input);
  if (scheme) {
    if (scheme[1]!.toLowerCase() === 's3') return S3_URL_REASON;
    const rest = input.slice(scheme[0].length);
    const without = notAReference(rest) === undefined && tryParseImageReference(rest).ok ? ` (${rest})` : '';
    return `it is a URL, not an image reference: write it without "${scheme[0]}"${without}`;
  }
  if (LOCAL_TRANSPORT.test(input) || LOCAL_PATH.test(input)) return LOCAL_ARCHIVE_REASON;
  // `image.tar.gz` is a valid reference (docker.io/library/image.tar.gz), but without a tag it is a file name.
  const last = input.slice(input.lastIndexOf('/') + 1);
  if (!last.includes(':') && !input.includes('@') && ARCHIVE.test(last)) return LOCAL_ARCHIVE_REASON;
  return undefined;
}

/** Docker's rule: the first path part is a registry host when it has a dot or a port, or is localhost. */
function looksLikeDomain(first: string): boolean {
  return first.includes('.') || first.includes(':') || first === 'localhost' || first !== first.toLowerCase();
}

function checkDomain(input: string, domain: string): string {
  const colon = domain.indexOf(':');
  const host = colon === -1 ? domain : domain.slice(0, colon);
  const port = colon === -1 ? undefined : domain.slice(colon + 1);
  if (host.length === 0) throw new InvalidImageReferenceError(input, 'the registry host is empty');
  for (const part of host.split('.')) {
    if (!DOMAIN_COMPONENT.test(part)) {
      throw new InvalidImageReferenceError(input, `registry host "${host}" is not a valid host name (each dot-separated part is letters, digits and inner hyphens)`);
    }
  }
  if (port !== undefined && (!PORT.test(port) || Number(port) > 65535 || Number(port) === 0)) {
    throw new InvalidImageReferenceError(input, `registry port "${port}" is not a number from 1 to 65535`);
  }
  const lowered = domain.toLowerCase();
  // Only its upper case made this a host; lower-cased it would read as a Docker Hub namespace, so the
  // normalised form would name a different image.
  if (port === undefined && !host.includes('.') && lowered !== 'localhost') {
    throw new InvalidImageReferenceError(
      input,
      `"${host}" is read as a registry host only because it has upper-case letters; write a Docker Hub namespace in lower case, or give the registry's full host name (with a "." or a port)`,
    );
  }
  return canonicalRegistryHost(domain);
}

function checkPath(input: string, path: string): void {
  const components = path.split('/');
  components.forEach((component, index) => {
    if (component.length === 0) {
      throw new InvalidImageReferenceError(input, `repository path "${path}" has an empty component (leading, trailing or double "/")`);
    }
    if (PATH_COMPONENT.test(component)) return;
    const detail =
      component !== component.toLowerCase()
        ? 'upper-case letters are not allowed in the repository path'
        : 'a component is lower-case letters and digits joined by ".", "_", "__" or "-"';
    throw new InvalidImageReferenceError(input, `repository path component ${index + 1} "${component}" is invalid: ${detail}`);
  });
}

function checkTag(input: string, tag: string): void {
  if (tag.length === 0) throw new InvalidImageReferenceError(input, 'the tag after ":" is empty');
  if (tag.length > 128) throw new InvalidImageReferenceError(input, `tag is ${tag.length} characters; the limit is 128`);
  if (!TAG.test(tag)) {
    throw new InvalidImageReferenceError(input, `tag "${tag}" is invalid: it starts with a letter, digit or "_" and continues with letters, digits, "_", "." or "-"`);
  }
}

/** Parses and normalises an image reference; throws InvalidImageReferenceError with the reason. */
export function parseImageReference(input: string): ImageReference {
  if (typeof input !== 'string') throw new InvalidImageReferenceError(String(input), 'not a string');
  if (input.length === 0) throw new InvalidImageReferenceError(input, 'the reference is empty');
  const other = notAReference(input);
  if (other) throw new InvalidImageReferenceError(input, other);
  if (IPV6_DOMAIN.test(input)) {
    throw new InvalidImageReferenceError(input, 'IPv6 registry addresses are not supported; use a host name');
  }
  const forbidden = describeForbidden(input);
  if (forbidden) throw new InvalidImageReferenceError(input, forbidden);
  if (input.length > 2048) throw new InvalidImageReferenceError(input, 'the reference is longer than 2048 characters');
  if (IMAGE_ID.test(input)) {
    throw new InvalidImageReferenceError(input, 'a 64-character hex string is an image ID, not a repository name');
  }

  const at = input.indexOf('@');
  if (at !== -1 && input.indexOf('@', at + 1) !== -1) throw new InvalidImageReferenceError(input, 'more than one "@"');
  const beforeDigest = at === -1 ? input : input.slice(0, at);
  const digest = at === -1 ? undefined : input.slice(at + 1);

  // The tag is after the last ":" that follows the last "/" (a ":" before it is a registry port).
  const lastSlash = beforeDigest.lastIndexOf('/');
  const tagColon = beforeDigest.indexOf(':', lastSlash + 1);
  const name = tagColon === -1 ? beforeDigest : beforeDigest.slice(0, tagColon);
  const tag = tagColon === -1 ? undefined : beforeDigest.slice(tagColon + 1);
  if (name.length === 0) throw new InvalidImageReferenceError(input, 'the repository name is empty');

  const slash = name.indexOf('/');
  const first = slash === -1 ? name : name.slice(0, slash);
  let registry: string;
  let repository: string;
  if (slash !== -1 && looksLikeDomain(first)) {
    registry = checkDomain(input, first);
    repository = name.slice(slash + 1);
  } else {
    registry = DOCKER_HUB;
    repository = name;
  }
  checkPath(input, repository);
  if (registry === DOCKER_HUB && !repository.includes('/')) repository = `library/${repository}`;
  // The limit applies to the normalised name (as in Docker), so every accepted reference formats to
  // a string that parses again.
  const normalisedName = `${registry}/${repository}`;
  if (normalisedName.length > NAME_MAX_LENGTH) {
    throw new InvalidImageReferenceError(
      input,
      `the name "${normalisedName.slice(0, 40)}…" is ${normalisedName.length} characters when fully qualified; the limit is ${NAME_MAX_LENGTH}`,
    );
  }
  if (tag !== undefined) checkTag(input, tag);
  if (digest !== undefined) checkDigest(input, digest);

  // Optional fields set only when present (spreads of conditional literals were a measured cost of the transform).
  const reference: { -readonly [K in keyof ImageReference]: ImageReference[K] } = { registry, repository };
  if (tag !== undefined || digest === undefined) reference.tag = tag ?? DEFAULT_TAG;
  if (digest !== undefined) reference.digest = digest;
  return reference;
}

export type ParseResult = { ok: true; reference: ImageReference } | { ok: false; error: InvalidImageReferenceError };

export function tryParseImageReference(input: string): ParseResult {
  try {
    return { ok: true, reference: parseImageReference(input) };
  } catch (error) {
    if (error instanceof InvalidImageReferenceError) return { ok: false, error };
    throw error;
  }
}

/** `registry/repository` without tag or digest. */
export function formatRepository(ref: ImageReference): string {
  return `${ref.registry}/${ref.repository}`;
}

/** The canonical, fully qualified form: `registry/repository[:tag][@digest]`. */
export function formatImageReference(ref: ImageReference): string {
  return `${formatRepository(ref)}${ref.tag !== undefined ? `:${ref.tag}` : ''}${ref.digest !== undefined ? `@${ref.digest}` : ''}`;
}

/**
 * The same image pinned to a digest, without a tag (Lambda and our contract never use `tag@digest`).
 * The digest usually comes from a registry or a build; it is checked like one in a reference.
 */
export function pinnedReference(ref: ImageReference, digest: string): string {
  const pinned = `${formatRepository(ref)}@${digest}`;
  const forbidden = describeForbidden(digest);
  if (forbidden) throw new InvalidImageReferenceError(pinned, forbidden);
  checkDigest(pinned, digest);
  return pinned;
}

export function normalizeImageReference(input: string): string {
  return formatImageReference(parseImageReference(input));
}
