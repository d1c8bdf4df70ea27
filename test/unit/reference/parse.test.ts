import { describe, expect, it } from 'vitest';
import {
  DEFAULT_TAG,
  DOCKER_HUB,
  InvalidImageReferenceError,
  NAME_MAX_LENGTH,
  formatImageReference,
  formatRepository,
  normalizeImageReference,
  parseImageReference,
  pinnedReference,
  tryParseImageReference,
  type ImageReference,
} from '../../../src/reference/index.js';
import { SHA256, SHA256_HEX, SHA384, SHA512, expectRejected, expected, hex, thrownBy } from './fixtures.js';

const TAG_128 = `v${'a'.repeat(126)}Z`;
const PATH_247 = 'a'.repeat(247); // quay.io/ + 247 = 255 characters
const BARE_237 = 'b'.repeat(237); // docker.io/library/ + 237 = 255 characters
const UNKNOWN_DIGEST = `blake3:${hex(64)}`;
const UNKNOWN_DIGEST_SEPARATORS = `multihash+base58.v1_x-y:${hex(32)}`;

describe('Function: parseImageReference', () => {
  describe('valid references and their normalised form', () => {
    // [input, expected structure, canonical string]
    it.each<[string, ImageReference, string]>([
      // Docker Hub defaults
      ['nginx', expected('docker.io', 'library/nginx', 'latest'), 'docker.io/library/nginx:latest'],
      ['nginx:1.27-alpine', expected('docker.io', 'library/nginx', '1.27-alpine'), 'docker.io/library/nginx:1.27-alpine'],
      ['user/app', expected('docker.io', 'user/app', 'latest'), 'docker.io/user/app:latest'],
      ['user/app:v2', expected('docker.io', 'user/app', 'v2'), 'docker.io/user/app:v2'],
      ['user/team/app', expected('docker.io', 'user/team/app', 'latest'), 'docker.io/user/team/app:latest'],
      ['docker.io/nginx', expected('docker.io', 'library/nginx', 'latest'), 'docker.io/library/nginx:latest'],
      ['docker.io/library/nginx:latest', expected('docker.io', 'library/nginx', 'latest'), 'docker.io/library/nginx:latest'],
      ['index.docker.io/nginx', expected('docker.io', 'library/nginx', 'latest'), 'docker.io/library/nginx:latest'],
      ['index.docker.io/library/nginx:1.0', expected('docker.io', 'library/nginx', '1.0'), 'docker.io/library/nginx:1.0'],
      ['INDEX.DOCKER.IO/user/app', expected('docker.io', 'user/app', 'latest'), 'docker.io/user/app:latest'],
      ['docker.io/foo.bar/baz', expected('docker.io', 'foo.bar/baz', 'latest'), 'docker.io/foo.bar/baz:latest'],
      ['0/1', expected('docker.io', '0/1', 'latest'), 'docker.io/0/1:latest'],
      // A 64-hex name is fine once it has a tag (only the bare string is an image ID).
      [`${SHA256_HEX}:v1`, expected('docker.io', `library/${SHA256_HEX}`, 'v1'), `docker.io/library/${SHA256_HEX}:v1`],
      // Docker's rule: without a "/", "localhost:5000" is the image "localhost" with tag "5000".
      ['localhost:5000', expected('docker.io', 'library/localhost', '5000'), 'docker.io/library/localhost:5000'],
      // localhost and registries with ports
      ['localhost/x', expected('localhost', 'x', 'latest'), 'localhost/x:latest'],
      ['LOCALHOST/x', expected('localhost', 'x', 'latest'), 'localhost/x:latest'],
      ['localhost:5000/x', expected('localhost:5000', 'x', 'latest'), 'localhost:5000/x:latest'],
      ['localhost:5000/team/app:dev', expected('localhost:5000', 'team/app', 'dev'), 'localhost:5000/team/app:dev'],
      ['registry.example.com:443/a/b:1', expected('registry.example.com:443', 'a/b', '1'), 'registry.example.com:443/a/b:1'],
      ['host.example:1/x', expected('host.example:1', 'x', 'latest'), 'host.example:1/x:latest'],
      ['host.example:65535/x', expected('host.example:65535', 'x', 'latest'), 'host.example:65535/x:latest'],
      ['myhost:5000/x', expected('myhost:5000', 'x', 'latest'), 'myhost:5000/x:latest'],
      ['127.0.0.1:5000/x:y', expected('127.0.0.1:5000', 'x', 'y'), '127.0.0.1:5000/x:y'],
      ['xn--bcher-kva.example/x', expected('xn--bcher-kva.example', 'x', 'latest'), 'xn--bcher-kva.example/x:latest'],
      // Other registries
      ['quay.io/sysdig/serverless-patcher:5.0.1', expected('quay.io', 'sysdig/serverless-patcher', '5.0.1'), 'quay.io/sysdig/serverless-patcher:5.0.1'],
      ['ghcr.io/a/b/c/d', expected('ghcr.io', 'a/b/c/d', 'latest'), 'ghcr.io/a/b/c/d:latest'],
      ['public.ecr.aws/lambda/nodejs:20', expected('public.ecr.aws', 'lambda/nodejs', '20'), 'public.ecr.aws/lambda/nodejs:20'],
      [
        '123456789012.dkr.ecr.us-east-1.amazonaws.com/team/app:1',
        expected('123456789012.dkr.ecr.us-east-1.amazonaws.com', 'team/app', '1'),
        '123456789012.dkr.ecr.us-east-1.amazonaws.com/team/app:1',
      ],
      // Upper-case hosts are lower-cased (DNS is case-insensitive)
      ['Quay.IO/sysdig/agent:1', expected('quay.io', 'sysdig/agent', '1'), 'quay.io/sysdig/agent:1'],
      ['MY-Registry.Example.COM:8443/x', expected('my-registry.example.com:8443', 'x', 'latest'), 'my-registry.example.com:8443/x:latest'],
      ['MyHost:5000/x', expected('myhost:5000', 'x', 'latest'), 'myhost:5000/x:latest'],
      // Separators in path components
      ['quay.io/a.b_c__d-e--f/g', expected('quay.io', 'a.b_c__d-e--f/g', 'latest'), 'quay.io/a.b_c__d-e--f/g:latest'],
      ['quay.io/a---b', expected('quay.io', 'a---b', 'latest'), 'quay.io/a---b:latest'],
      // Tags
      [`quay.io/x:${TAG_128}`, expected('quay.io', 'x', TAG_128), `quay.io/x:${TAG_128}`],
      ['quay.io/x:_private', expected('quay.io', 'x', '_private'), 'quay.io/x:_private'],
      ['quay.io/x:V1.0-RC_2', expected('quay.io', 'x', 'V1.0-RC_2'), 'quay.io/x:V1.0-RC_2'],
      // Digests: tag@digest, digest only, each registered algorithm, unknown algorithms per grammar
      [`quay.io/a/b:tag@${SHA256}`, expected('quay.io', 'a/b', 'tag', SHA256), `quay.io/a/b:tag@${SHA256}`],
      [`nginx@${SHA256}`, expected('docker.io', 'library/nginx', undefined, SHA256), `docker.io/library/nginx@${SHA256}`],
      [`localhost:5000/x@${SHA256}`, expected('localhost:5000', 'x', undefined, SHA256), `localhost:5000/x@${SHA256}`],
      [`quay.io/x@${SHA384}`, expected('quay.io', 'x', undefined, SHA384), `quay.io/x@${SHA384}`],
      [`quay.io/x@${SHA512}`, expected('quay.io', 'x', undefined, SHA512), `quay.io/x@${SHA512}`],
      [`quay.io/x@${UNKNOWN_DIGEST}`, expected('quay.io', 'x', undefined, UNKNOWN_DIGEST), `quay.io/x@${UNKNOWN_DIGEST}`],
      [`quay.io/x@${UNKNOWN_DIGEST_SEPARATORS}`, expected('quay.io', 'x', undefined, UNKNOWN_DIGEST_SEPARATORS), `quay.io/x@${UNKNOWN_DIGEST_SEPARATORS}`],
      // Names exactly at the 255-character limit (counted fully qualified)
      [`quay.io/${PATH_247}`, expected('quay.io', PATH_247, 'latest'), `quay.io/${PATH_247}:latest`],
      [BARE_237, expected('docker.io', `library/${BARE_237}`, 'latest'), `docker.io/library/${BARE_237}:latest`],
      [`index.docker.io/u/${'c'.repeat(243)}`, expected('docker.io', `u/${'c'.repeat(243)}`, 'latest'), `docker.io/u/${'c'.repeat(243)}:latest`],
    ])('%s', (input, want, canonical) => {
      const parsed = parseImageReference(input);
      expect(parsed).toStrictEqual(want);
      expect(formatImageReference(parsed)).toBe(canonical);
      expect(normalizeImageReference(input)).toBe(canonical);
    });
  });

  describe('invalid references, each with its reason', () => {
    it.each<[string, string, string]>([
      // [what, input, substring of the reason]
      ['empty', '', 'the reference is empty'],
      ['only a space', ' ', 'whitespace U+0020 at position 1'],
      ['trailing space', 'nginx ', 'whitespace U+0020 at position 6'],
      ['leading space', ' nginx', 'whitespace U+0020 at position 1'],
      ['tab', 'nginx\tlatest', 'whitespace U+0009 at position 6'],
      ['newline', 'nginx\n', 'line break U+000A at position 6'],
      ['carriage return', 'nginx\r\nrm -rf /', 'line break U+000D at position 6'],
      ['no-break space', 'nginx\u00a0', 'whitespace U+00A0 at position 6'],
      ['NUL', 'nginx\u0000', 'control character U+0000 at position 6'],
      ['escape', '\u001b[31mnginx', 'control character U+001B at position 1'],
      ['zero-width space', 'ngi\u200bnx', 'U+200B at position 4 is not allowed'],
      ['semicolon', 'nginx;rm -rf /', "';' (U+003B) at position 6"],
      ['command substitution', 'nginx$(id)', "'$' (U+0024) at position 6"],
      ['backticks', 'nginx`id`', "'`' (U+0060) at position 6"],
      ['double quote', '"nginx"', `'"' (U+0022) at position 1`],
      ['single quote', "nginx'", "''' (U+0027) at position 6"],
      ['pipe', 'nginx|sh', "'|' (U+007C) at position 6"],
      ['ampersand', 'nginx&&id', "'&' (U+0026) at position 6"],
      ['redirect', 'nginx>/tmp/x', "'>' (U+003E) at position 6"],
      ['input redirect', 'nginx</etc/passwd', "'<' (U+003C) at position 6"],
      ['backslash', 'quay.io\\x', "'\\' (U+005C) at position 8"],
      ['non-ASCII letter', 'ngínx', "'í' (U+00ED) at position 3"],
      ['emoji (outside the BMP), position counted in characters', 'a😀b;', "'😀' (U+1F600) at position 2"],
      ['upper case in the path', 'quay.io/Sysdig/agent', 'component 1 "Sysdig" is invalid: upper-case letters are not allowed'],
      ['upper case in a Docker Hub path', 'user/App', 'component 2 "App" is invalid: upper-case letters are not allowed'],
      ['leading "/" (an absolute path)', '/nginx', 'it is a local path or archive, not an image reference: push the image to a registry'],
      [
        'an S3 URL',
        's3://bucket/key',
        'it is an S3 URL, not an image reference: Lambda runs container images from a registry (give registry/repository:tag); code in S3 is a Zip package (PackageType: Zip)',
      ],
      ['an https URL of an image', 'https://quay.io/sysdig/agent:1', 'it is a URL, not an image reference: write it without "https://" (quay.io/sysdig/agent:1)'],
      ['a URL that is no image either way', 'https://example.com/a b', 'it is a URL, not an image reference: write it without "https://"'],
      ['a docker:// transport', 'docker://nginx:1.27', 'write it without "docker://" (nginx:1.27)'],
      [
        'a relative path to an archive',
        './archive_x86_64.tar.gz',
        'it is a local path or archive, not an image reference: push the image to a registry and give its registry/repository:tag (or let SAM build it: PackageType Image with Metadata Dockerfile and DockerContext, then sam build)',
      ],
      ['a parent-relative path', '../images/app', 'it is a local path or archive'],
      ['a home path', '~/app.tar', 'it is a local path or archive'],
      ['a Windows path', 'C:/images/app.tar', 'it is a local path or archive'],
      ['an archive name without a tag', 'build/image.tar.gz', 'it is a local path or archive'],
      ['a skopeo archive transport', 'docker-archive:image.tar', 'it is a local path or archive'],
      ['an OCI layout', 'oci:./layout', 'it is a local path or archive'],
      ['"//" after the host', 'quay.io//x', 'has an empty component'],
      ['"//" inside the path', 'user//app', 'has an empty component'],
      ['trailing "/"', 'quay.io/x/', 'has an empty component'],
      ['trailing "/" before a tag', 'quay.io/x/:1', 'has an empty component'],
      ['host only', 'quay.io/', 'has an empty component'],
      ['".." separator', 'a..b', 'component 1 "a..b" is invalid: a component is lower-case letters and digits'],
      ['trailing "-"', 'a-', 'component 1 "a-" is invalid'],
      ['leading "_"', '_a', 'component 1 "_a" is invalid'],
      ['"___" separator', 'quay.io/a___b', 'component 1 "a___b" is invalid'],
      ['mixed separators ".-"', 'quay.io/x/a.-b', 'component 2 "a.-b" is invalid'],
      ['empty repository name before a tag', ':tag', 'the repository name is empty'],
      ['empty repository name before a digest', `@${SHA256}`, 'the repository name is empty'],
      ['tag of 129 characters', `nginx:${'a'.repeat(129)}`, 'tag is 129 characters; the limit is 128'],
      ['tag starting with "."', 'nginx:.x', 'tag ".x" is invalid: it starts with a letter, digit or "_"'],
      ['tag starting with "-"', 'nginx:-x', 'tag "-x" is invalid'],
      ['empty tag', 'nginx:', 'the tag after ":" is empty'],
      ['":" inside the tag', 'nginx:a:b', 'tag "a:b" is invalid'],
      ['sha256 digest of 63 hex', `nginx@sha256:${hex(63)}`, 'digest value after "sha256:" must be 64 lower-case hex characters'],
      ['sha256 digest of 65 hex', `nginx@sha256:${hex(65)}`, 'must be 64 lower-case hex characters'],
      ['sha512 digest of 64 hex', `nginx@sha512:${hex(64)}`, 'digest value after "sha512:" must be 128 lower-case hex characters'],
      ['sha384 digest of 64 hex', `nginx@sha384:${hex(64)}`, 'must be 96 lower-case hex characters'],
      ['upper-case hex', `nginx@sha256:${hex(64).toUpperCase()}`, 'must be 64 lower-case hex characters'],
      ['unknown algorithm under 128 bits', `quay.io/x@blake3:${hex(31)}`, 'must be at least 32 lower-case hex characters'],
      ['non-hex digest value', `quay.io/x@sha256:${'g'.repeat(64)}`, 'must be 64 lower-case hex characters'],
      ['missing algorithm', `nginx@${SHA256_HEX}`, 'has no "<algorithm>:" prefix'],
      ['empty algorithm', `nginx@:${SHA256_HEX}`, 'digest algorithm "" is invalid'],
      ['algorithm starting with a digit', `nginx@256sha:${SHA256_HEX}`, 'digest algorithm "256sha" is invalid'],
      ['upper-case algorithm', `nginx@SHA256:${SHA256_HEX}`, 'digest algorithm "SHA256" is invalid'],
      ['empty digest', 'nginx@', 'has no "<algorithm>:" prefix'],
      ['two "@"', `nginx@${SHA256}@${SHA256}`, 'more than one "@"'],
      ['"@" in the host', `user@quay.io/x@${SHA256}`, 'more than one "@"'],
      ['port 65536', 'host.example:65536/x', 'registry port "65536" is not a number from 1 to 65535'],
      ['port 0', 'host.example:0/x', 'registry port "0" is not a number from 1 to 65535'],
      ['port 999999', 'localhost:999999/x', 'registry port "999999"'],
      ['named port', 'host.example:http/x', 'registry port "http"'],
      ['empty port', 'host.example:/x', 'registry port ""'],
      ['two ports', 'host.example:5000:6000/x', 'registry port "5000:6000"'],
      ['name of 256 characters', `quay.io/${'a'.repeat(248)}`, 'is 256 characters when fully qualified; the limit is 255'],
      ['Docker Hub name of 256 characters once qualified', 'b'.repeat(238), 'is 256 characters when fully qualified; the limit is 255'],
      ['IPv6 host', '[::1]:5000/x', 'IPv6 registry addresses are not supported'],
      ['IPv6 host without port', '[fe80::1]/x:tag', 'IPv6 registry addresses are not supported'],
      ['host starting with "-"', '-bad.example/x', 'registry host "-bad.example" is not a valid host name'],
      ['host with "_"', 'bad_host.example/x', 'registry host "bad_host.example" is not a valid host name'],
      ['host with a trailing dot', 'quay.io./x', 'registry host "quay.io." is not a valid host name'],
      ['empty host before a port', ':5000/x', 'the registry host is empty'],
      ['single upper-case label read as a host', 'Foo/bar', '"Foo" is read as a registry host only because it has upper-case letters'],
      ['bare image ID', SHA256_HEX, 'a 64-character hex string is an image ID'],
      ['over 2048 characters', 'a'.repeat(2049), 'longer than 2048 characters'],
    ])('%s', (_what, input, reason) => {
      expectRejected(input, reason);
    });

    it('rejects a value that is not a string, with an InvalidImageReferenceError', () => {
      const error = thrownBy(() => parseImageReference(42 as unknown as string));
      expect(error).toBeInstanceOf(InvalidImageReferenceError);
      expect((error as InvalidImageReferenceError).reason).toBe('not a string');
    });
  });

  it('exports the defaults it applies', () => {
    expect(DOCKER_HUB).toBe('docker.io');
    expect(DEFAULT_TAG).toBe('latest');
    expect(NAME_MAX_LENGTH).toBe(255);
  });
});

describe('Function: tryParseImageReference', () => {
  it('returns the reference when valid', () => {
    expect(tryParseImageReference('quay.io/x:1')).toStrictEqual({ ok: true, reference: expected('quay.io', 'x', '1') });
  });

  it('returns the error instead of throwing when invalid', () => {
    const result = tryParseImageReference('quay.io/x;id');
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error).toBeInstanceOf(InvalidImageReferenceError);
    expect(result.error.reason).toContain("';' (U+003B) at position 10");
  });
});

describe('Function: formatImageReference', () => {
  it.each<[ImageReference, string]>([
    [expected('quay.io', 'a/b', '1'), 'quay.io/a/b:1'],
    [expected('quay.io', 'a/b', undefined, SHA256), `quay.io/a/b@${SHA256}`],
    [expected('quay.io', 'a/b', '1', SHA256), `quay.io/a/b:1@${SHA256}`],
    [expected('localhost:5000', 'x'), 'localhost:5000/x'],
  ])('formats %j as %s', (reference, want) => {
    expect(formatImageReference(reference)).toBe(want);
  });
});

describe('Function: formatRepository', () => {
  it('drops tag and digest', () => {
    expect(formatRepository(expected('quay.io', 'a/b', '1', SHA256))).toBe('quay.io/a/b');
  });
});

describe('Function: pinnedReference', () => {
  it.each<[string, string, string]>([
    ['quay.io/sysdig/agent:1', SHA256, `quay.io/sysdig/agent@${SHA256}`],
    [`quay.io/sysdig/agent:1@${SHA384}`, SHA256, `quay.io/sysdig/agent@${SHA256}`],
    ['nginx', SHA512, `docker.io/library/nginx@${SHA512}`],
  ])('pins %s to %s without the tag', (source, digest, want) => {
    expect(pinnedReference(parseImageReference(source), digest)).toBe(want);
  });

  it.each<[string, string]>([
    ['sha256:abc', 'must be 64 lower-case hex characters'],
    [SHA256_HEX, 'has no "<algorithm>:" prefix'],
    [`${SHA256}\n`, 'line break U+000A'],
    [`sha256:$(id)${hex(58)}`, "'$' (U+0024)"],
    ['', 'has no "<algorithm>:" prefix'],
  ])('rejects the digest %j', (digest, reason) => {
    const error = thrownBy(() => pinnedReference(parseImageReference('quay.io/x:1'), digest));
    expect(error).toBeInstanceOf(InvalidImageReferenceError);
    expect((error as InvalidImageReferenceError).reason).toContain(reason);
  });
});
