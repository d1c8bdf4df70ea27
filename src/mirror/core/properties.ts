// ResourceProperties of Custom::ImageMirror -> a typed request. CloudFormation passes every value as
// a string; anything missing, unknown or invalid is reported together, naming each property.
// SourceImage is checked against the reference grammar here, before anything else runs.
import {
  ALL_PLATFORMS,
  ARCHITECTURES,
  DEFAULT_ARCHITECTURE,
  DEFAULT_SERVICE_TIMEOUT,
  MirrorProperty,
  SERVICE_TIMEOUT_MAX,
  SERVICE_TIMEOUT_MIN,
  type Architecture,
} from '../../contract.js';
import {
  ECR_REPOSITORY_NAME,
  ECR_REPOSITORY_NAME_MAX,
  formatImageReference,
  parseImageReference,
  quoteForMessage,
  repositoryPrefixProblem,
  InvalidImageReferenceError,
  type ImageReference,
  isImageDigest,
} from '../../reference/index.js';
import { describeValue, isPlainObject } from '../../values.js';
import { InvalidPropertiesError, type PropertyProblem } from './errors.js';

interface RequestInputBase {
  readonly source: ImageReference;
  /** SourceImage exactly as given (already validated). */
  readonly sourceLiteral: string;
  /** SourceImage normalised: `registry/repository[:tag][@digest]`. */
  readonly sourceImage: string;
  /** Explicit target repository; when absent the name is derived from the source and a prefix. */
  readonly repositoryName?: string;
  readonly repositoryPrefix?: string;
  readonly serviceTimeoutSeconds: number;
  /** Present on mirrors with Refresh: each deployment sends a new one, so each deployment reaches the function. */
  readonly refreshToken?: string;
}

/** Copy the one platform a Lambda function of `architecture` runs (no Platforms property: what the macro writes for Lambda). */
export interface OnePlatformInput extends RequestInputBase {
  readonly architecture: Architecture;
  readonly platforms?: undefined;
}

/** `Platforms: all`: copy the image as published (the whole index, attestations included, or the single manifest). */
export interface AllPlatformsInput extends RequestInputBase {
  readonly platforms: typeof ALL_PLATFORMS;
  readonly architecture?: undefined;
}

export type MirrorRequestInput = OnePlatformInput | AllPlatformsInput;

const KNOWN = new Set<string>(Object.values(MirrorProperty));

/**
 * The macro may pass the function's own `Architectures` expression, which CloudFormation resolves
 * to a one-element list; a plain string is the usual form.
 */
function parseArchitecture(value: unknown, problems: PropertyProblem[]): Architecture {
  if (value === undefined) return DEFAULT_ARCHITECTURE;
  const single = Array.isArray(value) && value.length === 1 ? value[0] : value;
  if (typeof single === 'string' && (ARCHITECTURES as readonly string[]).includes(single)) return single as Architecture;
  const shown = typeof single === 'string' ? quoteForMessage(single, 40) : describeValue(value);
  problems.push({ property: MirrorProperty.Architecture, problem: `must be ${ARCHITECTURES.join(' or ')}, not ${shown}` });
  return DEFAULT_ARCHITECTURE;
}

/** `Platforms`: absent, or `all`; never together with Architecture (a mirror copies one platform or all of them). */
function parsePlatforms(props: Record<string, unknown>, problems: PropertyProblem[]): typeof ALL_PLATFORMS | undefined {
  const value = props[MirrorProperty.Platforms];
  if (value === undefined) return undefined;
  if (value !== ALL_PLATFORMS) {
    const shown = typeof value === 'string' ? quoteForMessage(value, 40) : describeValue(value);
    problems.push({ property: MirrorProperty.Platforms, problem: `must be ${ALL_PLATFORMS} (copy the image with every platform it is published for), not ${shown}` });
    return undefined;
  }
  if (props[MirrorProperty.Architecture] !== undefined) {
    problems.push({
      property: `${MirrorProperty.Platforms} and ${MirrorProperty.Architecture}`,
      problem: `are both set; give ${MirrorProperty.Architecture} to copy one platform, or ${MirrorProperty.Platforms}: ${ALL_PLATFORMS} to copy every platform, not both`,
    });
    return undefined;
  }
  return ALL_PLATFORMS;
}

function parseServiceTimeout(value: unknown, problems: PropertyProblem[]): number {
  if (value === undefined || value === '') return DEFAULT_SERVICE_TIMEOUT;
  const text = typeof value === 'number' ? String(value) : typeof value === 'string' ? value.trim() : undefined;
  const seconds = text !== undefined && /^[0-9]{1,7}$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isInteger(seconds) || seconds < SERVICE_TIMEOUT_MIN || seconds > SERVICE_TIMEOUT_MAX) {
    const shown = text !== undefined ? quoteForMessage(text, 40) : describeValue(value);
    problems.push({
      property: MirrorProperty.ServiceTimeout,
      problem: `must be a whole number of seconds from ${SERVICE_TIMEOUT_MIN} to ${SERVICE_TIMEOUT_MAX}, not ${shown}`,
    });
    return DEFAULT_SERVICE_TIMEOUT;
  }
  return seconds;
}

function repositoryNameProblem(name: string): string | undefined {
  if (name.length < 2 || name.length > ECR_REPOSITORY_NAME_MAX) {
    return `must be 2 to ${ECR_REPOSITORY_NAME_MAX} characters, not ${name.length}`;
  }
  if (!ECR_REPOSITORY_NAME.test(name)) {
    return `${quoteForMessage(name, 60)} is not an ECR repository name (lower-case letters and digits separated by single ".", "_", "-" or "/")`;
  }
  return undefined;
}

/** A token: any string CloudFormation passes (the macro's requestId, or the value of the generated parameter). */
function parseRefreshToken(value: unknown, problems: PropertyProblem[]): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'string' && value.length > 0 && value.length <= REFRESH_TOKEN_MAX) return value;
  const shown = typeof value === 'string' ? `${value.length} characters` : describeValue(value);
  problems.push({
    property: MirrorProperty.RefreshToken,
    problem: `must be a string of 1 to ${REFRESH_TOKEN_MAX} characters (any value new on each deployment), not ${shown}`,
  });
  return undefined;
}

const REFRESH_TOKEN_MAX = 1024;

/**
 * Whether an Update must read the source again even when nothing else changed: the mirror refreshes (it has a
 * RefreshToken) and its source names a tag, which can move; a source pinned to a digest cannot.
 */
export function followsSourceTag(input: MirrorRequestInput): boolean {
  return input.refreshToken !== undefined && input.source.digest === undefined;
}

/** Validates ResourceProperties; throws InvalidPropertiesError listing every problem. */
export function parseProperties(properties: unknown): MirrorRequestInput {
  if (!isPlainObject(properties)) {
    throw new InvalidPropertiesError([{ property: 'ResourceProperties', problem: `must be an object, not ${describeValue(properties)}` }]);
  }
  const props = properties as Record<string, unknown>;
  const problems: PropertyProblem[] = [];

  const unknown = Object.keys(props).filter((key) => !KNOWN.has(key));
  for (const key of unknown) {
    problems.push({
      property: quoteForMessage(key, 60),
      problem: `is not a property of this resource (known: ${[...KNOWN].join(', ')})`,
    });
  }

  let source: ImageReference | undefined;
  const sourceValue = props[MirrorProperty.SourceImage];
  if (typeof sourceValue !== 'string') {
    problems.push({
      property: MirrorProperty.SourceImage,
      problem: sourceValue === undefined ? 'is required' : `must be an image reference string, not ${describeValue(sourceValue)}`,
    });
  } else {
    try {
      source = parseImageReference(sourceValue);
    } catch (error) {
      if (!(error instanceof InvalidImageReferenceError)) throw error;
      problems.push({ property: MirrorProperty.SourceImage, problem: `is ${error.message}` });
    }
    // The grammar allows any digest algorithm; Lambda and ECR take only sha256, and the answer's ImageUri pins it.
    if (source?.digest !== undefined && !isImageDigest(source.digest)) {
      problems.push({
        property: MirrorProperty.SourceImage,
        problem: `has the digest ${quoteForMessage(source.digest, 80)}; Lambda and ECR take only sha256:<64 hex digits>`,
      });
      source = undefined;
    }
  }

  const platforms = parsePlatforms(props, problems);
  const architecture = parseArchitecture(props[MirrorProperty.Architecture], problems);
  const serviceTimeoutSeconds = parseServiceTimeout(props[MirrorProperty.ServiceTimeout], problems);
  const refreshToken = parseRefreshToken(props[MirrorProperty.RefreshToken], problems);

  const nameValue = props[MirrorProperty.RepositoryName];
  const prefixValue = props[MirrorProperty.RepositoryPrefix];
  let repositoryName: string | undefined;
  let repositoryPrefix: string | undefined;
  if (nameValue !== undefined && prefixValue !== undefined) {
    problems.push({
      property: `${MirrorProperty.RepositoryName} and ${MirrorProperty.RepositoryPrefix}`,
      problem: 'are both set; give only one of them',
    });
  } else if (nameValue !== undefined) {
    const problem = typeof nameValue === 'string' ? repositoryNameProblem(nameValue) : `must be a string, not ${describeValue(nameValue)}`;
    if (problem !== undefined) problems.push({ property: MirrorProperty.RepositoryName, problem });
    else repositoryName = nameValue as string;
  } else if (prefixValue !== undefined) {
    const problem = typeof prefixValue === 'string' ? repositoryPrefixProblem(prefixValue) : `must be a string, not ${describeValue(prefixValue)}`;
    if (problem !== undefined) problems.push({ property: MirrorProperty.RepositoryPrefix, problem });
    else repositoryPrefix = prefixValue as string;
  }

  if (problems.length > 0 || source === undefined) throw new InvalidPropertiesError(problems);
  return {
    source,
    sourceLiteral: sourceValue as string,
    sourceImage: formatImageReference(source),
    ...(platforms !== undefined ? { platforms } : { architecture }),
    serviceTimeoutSeconds,
    ...(refreshToken !== undefined ? { refreshToken } : {}),
    ...(repositoryName !== undefined ? { repositoryName } : {}),
    ...(repositoryPrefix !== undefined ? { repositoryPrefix } : {}),
  };
}
