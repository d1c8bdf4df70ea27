// fast-check generators for image references, built from the grammar. Each valid reference comes
// with the normalised structure a parser must return, computed here by the test's own model.
import fc from 'fast-check';
import type { ImageReference } from '../../../src/reference/index.js';
import { SHELL_METACHARACTERS } from './grammar.js';

const LOWER = 'abcdefghijklmnopqrstuvwxyz';
const UPPER = LOWER.toUpperCase();
const DIGITS = '0123456789';
const HEX = '0123456789abcdef';

const ARCHIVE_NAME = /\.(?:tar|tar\.gz|tgz|tar\.xz|tar\.zst|zip)$/i;

const chars = (set: string) => fc.constantFrom(...set.split(''));
const stringOf = (set: string, minLength: number, maxLength: number) => fc.string({ unit: chars(set), minLength, maxLength });

// --- path ------------------------------------------------------------------------------------
const alphaNumeric = stringOf(LOWER + DIGITS, 1, 8);
/** Every separator kind of the grammar: ".", "_", "__" and runs of "-". */
const pathSeparator = fc.constantFrom('.', '_', '__', '-', '--', '---');
export const pathComponent = fc
  .tuple(alphaNumeric, fc.array(fc.tuple(pathSeparator, alphaNumeric), { maxLength: 3 }))
  .map(([head, rest]) => head + rest.map(([separator, part]) => separator + part).join(''));

// --- domain ----------------------------------------------------------------------------------
const hostEdge = chars(LOWER + UPPER + DIGITS);
const domainComponent = fc.oneof(
  hostEdge,
  fc.tuple(hostEdge, stringOf(`${LOWER + UPPER + DIGITS}-`, 0, 8), hostEdge).map((parts) => parts.join('')),
);
const port = fc.integer({ min: 1, max: 65535 }).map(String);
const withOptionalPort = (host: fc.Arbitrary<string>) => fc.tuple(host, fc.option(port, { nil: undefined })).map(([h, p]) => (p === undefined ? h : `${h}:${p}`));

/**
 * A registry host as Docker recognises one: a dotted name, a single label with a port, or localhost
 * (any case), or one of Docker Hub's spellings.
 */
export const domainArbitrary = fc.oneof(
  withOptionalPort(fc.array(domainComponent, { minLength: 2, maxLength: 4 }).map((parts) => parts.join('.'))),
  fc.tuple(domainComponent, port).map(([host, p]) => `${host}:${p}`),
  withOptionalPort(fc.constantFrom('localhost', 'LOCALHOST', 'LocalHost')),
  fc.constantFrom('docker.io', 'index.docker.io', 'Docker.IO', 'INDEX.DOCKER.IO'),
);

// --- tag and digest --------------------------------------------------------------------------
const WORD = `${LOWER + UPPER + DIGITS}_`;
export const tagArbitrary = fc.oneof(
  fc.tuple(chars(WORD), stringOf(`${WORD}.-`, 0, 20)).map(([first, rest]) => first + rest),
  // Long tags, up to the 128-character limit.
  fc.tuple(chars(WORD), stringOf(`${WORD}.-`, 100, 127)).map(([first, rest]) => first + rest),
);

const KNOWN_DIGESTS: ReadonlyArray<readonly [string, number]> = [
  ['sha256', 64],
  ['sha384', 96],
  ['sha512', 128],
];
const knownDigest = fc.constantFrom(...KNOWN_DIGESTS).chain(([algorithm, length]) => stringOf(HEX, length, length).map((value) => `${algorithm}:${value}`));
const algorithmComponent = fc.tuple(chars(LOWER), stringOf(LOWER + DIGITS, 0, 6)).map(([first, rest]) => first + rest);
const unknownAlgorithm = fc
  .tuple(algorithmComponent, fc.array(fc.tuple(chars('+._-'), algorithmComponent), { maxLength: 2 }))
  .map(([head, rest]) => head + rest.map(([separator, part]) => separator + part).join(''))
  .filter((algorithm) => !KNOWN_DIGESTS.some(([known]) => known === algorithm));
const unknownDigest = fc.tuple(unknownAlgorithm, stringOf(HEX, 32, 96)).map(([algorithm, value]) => `${algorithm}:${value}`);
export const digestArbitrary = fc.oneof(knownDigest, unknownDigest);

// --- whole references with their expected normalised form ------------------------------------
export interface GeneratedReference {
  readonly input: string;
  readonly expected: ImageReference;
}

const DOCKER_HUB_SPELLINGS = new Set(['docker.io', 'index.docker.io']);

function build(domain: string | undefined, path: readonly string[], tag: string | undefined, digest: string | undefined): GeneratedReference {
  const pathText = path.join('/');
  const name = domain === undefined ? pathText : `${domain}/${pathText}`;
  const input = `${name}${tag === undefined ? '' : `:${tag}`}${digest === undefined ? '' : `@${digest}`}`;
  const lowered = domain?.toLowerCase();
  const registry = lowered === undefined || DOCKER_HUB_SPELLINGS.has(lowered) ? 'docker.io' : lowered;
  const repository = registry === 'docker.io' && path.length === 1 ? `library/${pathText}` : pathText;
  const effectiveTag = tag ?? (digest === undefined ? 'latest' : undefined);
  return {
    input,
    expected: {
      registry,
      repository,
      ...(effectiveTag !== undefined ? { tag: effectiveTag } : {}),
      ...(digest !== undefined ? { digest } : {}),
    },
  };
}

/** Without a domain, a first component with a "." (or "localhost") would itself be read as a host. */
function firstComponentIsHostLike(domain: string | undefined, path: readonly string[]): boolean {
  const first = path[0]!;
  return domain === undefined && path.length > 1 && (first.includes('.') || first === 'localhost');
}

const shortValidReference: fc.Arbitrary<GeneratedReference> = fc
  .record({
    domain: fc.option(domainArbitrary, { nil: undefined }),
    path: fc.array(pathComponent, { minLength: 1, maxLength: 4 }),
    tag: fc.option(tagArbitrary, { nil: undefined }),
    digest: fc.option(digestArbitrary, { nil: undefined }),
  })
  .filter(({ domain, path }) => !firstComponentIsHostLike(domain, path))
  // A bare 64-hex name is an image ID in Docker's rules, not a reference.
  .filter(({ domain, path, tag, digest }) => !(domain === undefined && path.length === 1 && tag === undefined && digest === undefined && /^[a-f0-9]{64}$/.test(path[0]!)))
  // Without a tag or digest, a name ending like an archive (`image.tar.gz`) is read as a local file.
  .filter(({ path, tag, digest }) => !(tag === undefined && digest === undefined && ARCHIVE_NAME.test(path[path.length - 1]!)))
  .map(({ domain, path, tag, digest }) => build(domain, path, tag, digest))
  // The 255-character limit is on the fully qualified name.
  .filter(({ expected }) => qualifiedLength(expected) <= 255);

function qualifiedLength(reference: ImageReference): number {
  return reference.registry.length + 1 + reference.repository.length;
}

/**
 * References whose fully qualified name is 200..280 characters, on both sides of the 255 limit.
 * Components are plain lower-case letters and digits so that no first component looks like a host.
 */
export const nearLimitReference: fc.Arbitrary<GeneratedReference> = fc
  .record({
    domain: fc.option(domainArbitrary, { nil: undefined }),
    components: fc.integer({ min: 1, max: 4 }),
    target: fc.integer({ min: 200, max: 280 }),
    tag: fc.option(tagArbitrary, { nil: undefined }),
    digest: fc.option(digestArbitrary, { nil: undefined }),
  })
  .chain(({ domain, components, target, tag, digest }) => {
    const lowered = domain?.toLowerCase();
    const dockerHub = lowered === undefined || DOCKER_HUB_SPELLINGS.has(lowered);
    const registryLength = dockerHub ? 'docker.io'.length : lowered!.length;
    const libraryLength = dockerHub && components === 1 ? 'library/'.length : 0;
    // Characters left for the components themselves, after the registry, "/" and the separating "/"s.
    const letters = target - registryLength - 1 - libraryLength - (components - 1);
    const first = Math.floor(letters / components);
    const lengths = Array.from({ length: components }, (_, i) => (i === 0 ? letters - first * (components - 1) : first));
    return fc.tuple(...lengths.map((length) => stringOf(LOWER + DIGITS, length, length))).map((path) => build(domain, path, tag, digest));
  });

export const validReference: fc.Arbitrary<GeneratedReference> = fc.oneof(
  { weight: 4, arbitrary: shortValidReference },
  { weight: 1, arbitrary: nearLimitReference.filter(({ expected }) => qualifiedLength(expected) <= 255) },
);

/** Valid references with long names, to reach the ECR repository name limit. */
export const longValidReference: fc.Arbitrary<GeneratedReference> = nearLimitReference.filter(({ expected }) => qualifiedLength(expected) <= 255);

// --- hostile and arbitrary input -------------------------------------------------------------
const GRAMMAR_CHARACTERS = `${LOWER.slice(0, 6)}XYZ019._-:/@+`;
/** Strings mixing the grammar's own characters with shell metacharacters. */
export const mixedString = fc.string({
  unit: fc.oneof({ weight: 4, arbitrary: chars(GRAMMAR_CHARACTERS) }, { weight: 1, arbitrary: fc.constantFrom(...SHELL_METACHARACTERS) }),
  maxLength: 40,
});

/** A valid reference with one shell metacharacter spliced in somewhere. */
export const referenceWithMetacharacter = fc.tuple(validReference, fc.constantFrom(...SHELL_METACHARACTERS), fc.nat()).map(([{ input }, metacharacter, at]) => {
  const index = at % (input.length + 1);
  return input.slice(0, index) + metacharacter + input.slice(index);
});

/** A valid reference with one character replaced by a grammar character: near misses both ways. */
export const mutatedReference = fc.tuple(validReference, chars(`${GRAMMAR_CHARACTERS}A`), fc.nat()).map(([{ input }, replacement, at]) => {
  const index = at % input.length;
  return input.slice(0, index) + replacement + input.slice(index + 1);
});

/** Every source of arbitrary input the properties run over, by name. */
export const arbitraryInputs: ReadonlyArray<readonly [string, fc.Arbitrary<string>]> = [
  ['fc.string (printable ASCII)', fc.string({ maxLength: 60 })],
  ['fc.string unit binary (full Unicode)', fc.string({ unit: 'binary', maxLength: 60 })],
  ['fc.string unit binary-ascii (control characters)', fc.string({ unit: 'binary-ascii', maxLength: 60 })],
  ['grammar characters mixed with shell metacharacters', mixedString],
  ['valid references with a metacharacter spliced in', referenceWithMetacharacter],
  ['valid references with one character mutated', mutatedReference],
  ['references on both sides of the 255-character name limit', nearLimitReference.map(({ input }) => input)],
];
