// The copy job decides what a failed skopeo call means (retry it? is the target tag taken?) from skopeo's stderr, which
// quotes the images: their tags and hosts are chosen by whoever publishes them and may read like the registry's words.
// The buildspec's bash (`registry_words`) takes those names out first, by the rule of src/mirror/core/registry-words.ts.
// This suite holds the two to one output (a table and generated lines), then drives the real copy steps with a skopeo
// stand-in that fails as skopeo 1.4 does against ECR, and checks what each step concludes.
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { registryWords } from '../../src/mirror/core/registry-words.js';
import { runSteps, withSteps } from '../support/buildspec-steps.js';
import { propertyRuns } from '../support/property-runs.js';

const ECR = '123456789012.dkr.ecr.eu-west-1.amazonaws.com';
const REPOSITORY = 'sysdig-image-fix/quay.io/team/agent';
const scratch = mkdtempSync(join(tmpdir(), 'registry-words-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** registry_words of the buildspec on these lines, for these images. */
function bashWords(lines: readonly string[], source: string, target: string): string[] {
  const input = join(scratch, 'input');
  writeFileSync(input, `${lines.join('\n')}\n`);
  const out = withSteps(`SOURCE_IMAGE=${shellWord(source)} TARGET_IMAGE=${shellWord(target)} registry_words ${shellWord(input)}`);
  return out.split('\n').slice(0, -1);
}

function shellWord(value: string): string {
  return `'${value.replaceAll("'", "'\\''")}'`;
}

describe('the words of a skopeo error without the names of the images: buildspec registry_words = registryWords', () => {
  const source = 'forbidden.example.com:5000/team/agent:invalid';
  const target = `${ECR}/${REPOSITORY}:invalid-x86_64`;
  it('on the messages skopeo 1.4 prints against ECR and other registries', () => {
    const lines = [
      `time="2026-12-05T10:00:00Z" level=fatal msg="Error writing manifest: Error uploading manifest invalid-x86_64 to ${ECR}/${REPOSITORY}: tag invalid: The image tag 'invalid-x86_64' already exists in the '${REPOSITORY}' repository and cannot be overwritten because the repository is immutable."`,
      'Error reading manifest invalid in forbidden.example.com:5000/team/agent: received unexpected HTTP status: 503 Service Unavailable',
      'pinging container registry forbidden.example.com:5000: Get "https://forbidden.example.com:5000/v2/": dial tcp 10.0.0.1:5000: i/o timeout',
      '\t(agent:invalid), [invalid]; "forbidden.example.com:5000", `x`  ’quoted’ \\back\\slash\r',
      '',
      ':::.',
    ];
    expect(bashWords(lines, source, target)).toEqual(lines.map((line) => registryWords(line, [source, target])));
  });

  it('on generated lines and images', () => {
    const tag = fc.constantFrom('invalid', 'denied', 'ImageTagAlreadyExists', 'be', '1.0', 'latest', 'v2_x-y.z');
    const host = fc.constantFrom('quay.io', 'forbidden.example.com', 'localhost:5000', ECR);
    const image = fc.tuple(host, tag, fc.boolean()).map(([h, t, pinned]) => `${h}/team/agent${pinned ? '@sha256:1f' : `:${t}`}`);
    const word = fc.oneof(
      fc.constantFrom('tag', 'invalid:', 'denied', 'cannot', 'be', 'overwritten', "'x'", 'manifest', 'unknown', 'sha256:9', '*', '$HOME', '-'),
      fc.tuple(fc.constantFrom('', '(', "'", '"', '`', '[', "(['"), tag, fc.constantFrom('', ')', ':', '.', ',', ';', "'", ']', ').')).map((p) => p.join('')),
      host,
      image,
      fc.string({ unit: fc.constantFrom(...'ab:/@.\'"`()[]];,-_*?\\'), minLength: 1, maxLength: 8 }),
    );
    const line = fc.tuple(fc.array(word, { maxLength: 8 }), fc.constantFrom(' ', '\t', '  ', ' \t ')).map(([words, gap]) => words.join(gap));
    fc.assert(
      fc.property(image, image, fc.array(line, { minLength: 1, maxLength: 6 }), (from, to, lines) => {
        expect(bashWords(lines, from, to)).toEqual(lines.map((l) => registryWords(l, [from, to])));
      }),
      { numRuns: propertyRuns(40) },
    );
  });
});

/** A skopeo stand-in: `copy` fails with $COPY_ERROR, `inspect` answers $HELD_MANIFEST; every call is listed in $CALLS. */
const FAILING_COPY =
  'sleep() { :; }\n' +
  'skopeo() { printf "%s\\n" "$*" >> "$CALLS"; case " $* " in *" copy "*) printf "%s\\n" "$COPY_ERROR" >&2; return 1;; ' +
  '*" inspect "*) printf "%s" "$HELD_MANIFEST";; esac; }\n' +
  'SRC_AUTH="$MIRROR_DIR/src.json" DEST_AUTH="$MIRROR_DIR/dest.json" SOURCE_DIGEST="" PLATFORM=linux/amd64 OCI_ARCH=amd64\n' +
  'printf "%s\\n" "$EXPECTED" > "$MIRROR_DIR/expected"\n';

function copyStep(step: 'platform' | 'all', tag: string, copyError: string) {
  const calls = join(scratch, `calls-${step}-${tag}`);
  writeFileSync(calls, '');
  const held = '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json"}';
  const digest = `sha256:${createHash('sha256').update(held).digest('hex')}`;
  const run = runSteps(`${FAILING_COPY}copy_platform\necho "copied $COPIED_DIGEST"`, '', {
    SOURCE_IMAGE: `quay.io/team/agent:${tag}`,
    TARGET_IMAGE: `${ECR}/${REPOSITORY}:${tag}`,
    COPY_ALL: step === 'all' ? '1' : '',
    CALLS: calls,
    COPY_ERROR: copyError.replaceAll('TAG', tag),
    HELD_MANIFEST: held,
    EXPECTED: digest,
  });
  return { ...run, digest, calls: readFileSync(calls, 'utf8').split('\n').filter(Boolean) };
}

const PUT_DENIED =
  'time="2026-12-05T10:00:00Z" level=fatal msg="Error writing manifest: Error uploading manifest TAG to ' +
  `${ECR}/${REPOSITORY}: denied: User: arn:aws:sts::123456789012:assumed-role/mirror-build/AWSCodeBuild is not authorized to perform: ` +
  'ecr:PutImage on resource: arn:aws:ecr:eu-west-1:123456789012:repository/sysdig-image-fix/quay.io/team/agent because no identity-based policy allows the ecr:PutImage action"';
const TAG_IMMUTABLE =
  `time="2026-12-05T10:00:00Z" level=fatal msg="Error writing manifest: Error uploading manifest TAG to ${ECR}/${REPOSITORY}: tag invalid: ` +
  `The image tag 'TAG' already exists in the '${REPOSITORY}' repository and cannot be overwritten because the repository is immutable."`;

describe.each(['platform', 'all'] as const)('the copy step (%s) judges a refused push by the registry’s words only', (step) => {
  const what = step === 'all' ? 'all platforms' : 'linux/amd64';

  it('a push denied for a tag named ImageTagAlreadyExists fails as a copy that failed, not as a taken tag, and is not retried', () => {
    const run = copyStep(step, 'ImageTagAlreadyExists', PUT_DENIED);
    expect(run.status).toBe(1);
    expect(run.stderr).toContain(
      `ERROR: copying quay.io/team/agent:ImageTagAlreadyExists (${what}) to ${ECR}/${REPOSITORY}:ImageTagAlreadyExists failed (skopeo error above; transient errors were retried).`,
    );
    expect(run.stderr).not.toContain('cannot be overwritten, and it cannot be read back');
    expect(run.calls).toHaveLength(1);
  });

  it.each(['invalid', 'be', 'overwritten'])("ECR's refusal of the existing IMMUTABLE tag %s is still read as a taken tag", (tag) => {
    const run = copyStep(step, tag, TAG_IMMUTABLE);
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toContain(`${ECR}/${REPOSITORY}:${tag} already holds ${run.digest}; nothing to push`);
    expect(run.stdout).toContain(`copied ${run.digest}`);
    expect(run.calls.map((call) => call.split(' ').find((arg) => arg === 'copy' || arg === 'inspect'))).toEqual(['copy', 'inspect']);
  });
});

describe('skopeo_retried retries by the registry’s words only', () => {
  let retryRuns = 0;
  function readSource(source: string, firstError: string) {
    const calls = join(scratch, `calls-retry-${++retryRuns}`);
    writeFileSync(calls, '');
    const run = runSteps(
      'sleep() { :; }\n' +
        'skopeo() { printf "%s\\n" "$*" >> "$CALLS"; if [ "$(wc -l < "$CALLS")" -lt 2 ]; then printf "%s\\n" "$FIRST_ERROR" >&2; return 1; fi; echo "{}"; }\n' +
        'if skopeo_retried inspect --raw "docker://$SOURCE_IMAGE" > /dev/null; then echo read; else echo gave up; fi',
      '',
      { SOURCE_IMAGE: source, TARGET_IMAGE: `${ECR}/${REPOSITORY}:x`, CALLS: calls, FIRST_ERROR: firstError },
    );
    return { ...run, calls: readFileSync(calls, 'utf8').split('\n').filter(Boolean) };
  }

  it.each([
    ['quay.io/team/agent:denied', 'Error reading manifest denied in quay.io/team/agent: received unexpected HTTP status: 503 Service Unavailable'],
    ['forbidden.example.com/team/agent:1.0', 'pinging container registry forbidden.example.com: Get "https://forbidden.example.com/v2/": dial tcp 10.0.0.1:443: i/o timeout'],
    ['quay.io/team/unauthorized:1.0', 'Error reading manifest 1.0 in quay.io/team/unauthorized: received unexpected HTTP status: 502 Bad Gateway'],
  ])('a transient error quoting %s is retried', (source, error) => {
    const run = readSource(source, error);
    expect(run.stdout.trim()).toBe('read');
    expect(run.stderr).toContain('Attempt 1 failed; retrying in 5s');
    expect(run.calls).toHaveLength(2);
  });

  it('a permanent error is not, whatever the names', () => {
    const run = readSource('quay.io/team/agent:latest', 'Error reading manifest latest in quay.io/team/agent: manifest unknown: manifest unknown');
    expect(run.stdout.trim()).toBe('gave up');
    expect(run.stderr).not.toContain('Attempt 1 failed');
    expect(run.calls).toHaveLength(1);
  });
});
