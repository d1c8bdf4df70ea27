// Inputs that reach the build or the answer: a source written `repo:tag@sha256:...` (as Renovate writes it) is
// pinned by its digest alone for the build; only sha256 digests (what Lambda and ECR take) are accepted; every
// answer fits CloudFormation's 4096 bytes, whatever the references and request fields; and private ECR sources
// outside the macro stack's EcrSourceRepositoryArns are refused before anything runs.
import { StartBuildCommand } from '@aws-sdk/client-codebuild';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { RegistryRateLimitedError } from '../../../src/mirror/registry/errors.js';
import { MAX_RESPONSE_BYTES } from '../../../src/mirror/cfn/response.js';
import { formatImageReference, tryParseImageReference } from '../../../src/reference/index.js';
import { validReference } from '../reference/arbitraries.js';
import { createEvent, updateEvent } from './fixtures/harness.js';
import { onlyAnswer, SOURCE_AMD64, useScenario } from './fixtures/scenario.js';
import { digestOf, ECR_HOST, REGION } from './fixtures/world.js';

const TAGGED_AND_PINNED = `quay.io/sysdig/serverless-patcher:6.2.0@${SOURCE_AMD64}`;

function sourceImageOfBuild(s: ReturnType<typeof useScenario>): string | undefined {
  const input = s.world.codeBuild.commandCalls(StartBuildCommand)[0]?.args[0].input;
  return input?.environmentVariablesOverride?.find((v) => v.name === 'SOURCE_IMAGE')?.value;
}

describe('Function: handler (inputs that reach the build or the answer)', () => {
  const s = useScenario();

  it('pins a repo:tag@digest source by its digest alone for the build when the registry cannot be read (rate limited)', async () => {
    s.world.addImage(TAGGED_AND_PINNED, { digests: {}, error: (context) => new RegistryRateLimitedError(context, undefined) });
    s.world.buildScript = { statuses: ['SUCCEEDED'], exportedDigest: SOURCE_AMD64 };
    const url = s.newUrl();
    await s.harness.invoke(createEvent(url, { SourceImage: TAGGED_AND_PINNED, Architecture: 'x86_64' }));
    expect(sourceImageOfBuild(s)).toBe(`quay.io/sysdig/serverless-patcher@${SOURCE_AMD64}`);
    const answer = onlyAnswer(s.server, url);
    expect(answer.Status).toBe('SUCCESS');
    expect(answer.Data.SourceImage).toBe(TAGGED_AND_PINNED);
  });

  it('refuses a digest Lambda cannot use (unknown algorithm, 1960 hex digits) with a short FAILED answer', async () => {
    const huge = `${ECR_HOST}/apps/worker@sha999:${'ab'.repeat(980)}`;
    const url = s.newUrl();
    await s.harness.invoke(createEvent(url, { SourceImage: huge }));
    const answer = onlyAnswer(s.server, url);
    expect(answer.Status).toBe('FAILED');
    expect(answer.Reason).toContain('Lambda and ECR take only sha256:<64 hex digits>');
    expect(Buffer.byteLength(s.server.attemptsFor(url)[0]!.body)).toBeLessThanOrEqual(MAX_RESPONSE_BYTES);
    expect(s.world.operations).toEqual([]);
  });

  it.each([
    ['a sha512 digest', `${ECR_HOST}/apps/worker@sha512:${'c'.repeat(128)}`],
    ['a short unknown digest', `quay.io/a/b@md5:${'0'.repeat(32)}`],
  ])('refuses %s before any call', async (_label, image) => {
    const url = s.newUrl();
    await s.harness.invoke(createEvent(url, { SourceImage: image }));
    expect(onlyAnswer(s.server, url).Status).toBe('FAILED');
    expect(s.world.operations).toEqual([]);
  });
});

describe('Property: every answer fits in 4096 bytes', () => {
  const s = useScenario();
  const seen = { runs: 0, success: 0, failed: 0, unanswerable: 0, largest: 0 };

  afterAll(() => {
    console.log(
      `body-size fuzz: ${seen.runs} runs (SUCCESS ${seen.success}, FAILED ${seen.failed}, not answerable ${seen.unanswerable}: ` +
        `echoed fields longer than any CloudFormation request's); largest body ${seen.largest} bytes`,
    );
  });

  const longDigest = fc.integer({ min: 32, max: 2000 }).chain((n) => fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength: n, maxLength: n }));
  const source = fc.oneof(
    { weight: 3, arbitrary: validReference.map((reference) => reference.input) },
    // In-region ECR (kept as it is), by tag or by some digest, long names included.
    {
      weight: 2,
      arbitrary: fc
        .tuple(
          validReference,
          fc.oneof(
            fc.constant(undefined),
            fc.constant(digestOf('kept')),
            longDigest.map((hex) => `sha999:${hex}`),
          ),
        )
        .map(([reference, digest]) => `${ECR_HOST}/${reference.expected.repository}${digest === undefined ? `:${reference.expected.tag ?? 'latest'}` : `@${digest}`}`),
    },
  );
  /** Mostly up to the limit (often right at it), sometimes beyond. */
  const length = (limit: number, beyond: number) =>
    fc.oneof(
      { weight: 20, arbitrary: fc.integer({ min: 1, max: limit }) },
      { weight: 10, arbitrary: fc.constant(limit) },
      { weight: 1, arbitrary: fc.integer({ min: limit + 1, max: beyond }) },
    );
  const request = fc.record({
    source,
    architecture: fc.constantFrom('x86_64', 'arm64'),
    // The request fields an answer echoes, up to the longest CloudFormation uses, and a bit beyond.
    stackId: length(960, 1100).map((n) => `arn:aws:cloudformation:${REGION}:123456789012:stack/${'s'.repeat(n)}`),
    logicalId: length(255, 260).map((n) => `M${'x'.repeat(n - 1)}`),
    requestId: length(256, 260).map((n) => 'r'.repeat(n)),
    update: fc.boolean(),
    physicalId: length(1024, 1100).map((n) => 'p'.repeat(n)),
    inTarget: fc.boolean(),
  });

  it('for any source, architecture and request fields, on the keep, fast-path and build paths', { timeout: 120_000 }, async () => {
    await fc.assert(
      fc.asyncProperty(request, async (r) => {
        seen.runs++;
        s.world.buildScript = { statuses: ['SUCCEEDED'], exportedDigest: digestOf(r.source) };
        const parsed = tryParseImageReference(r.source);
        if (r.inTarget && parsed.ok) s.world.images.set(formatImageReference(parsed.reference), { digests: { x86_64: digestOf(r.source), arm64: digestOf(r.source) } });
        const url = s.newUrl();
        const properties = { SourceImage: r.source, Architecture: r.architecture };
        const base = r.update ? updateEvent(url, r.physicalId, properties, { ...properties, SourceImage: 'quay.io/a/b:0' }) : createEvent(url, properties);
        await s.harness.invoke({ ...base, StackId: r.stackId, LogicalResourceId: r.logicalId, RequestId: r.requestId });
        if (s.server.attemptsFor(url).length === 0) seen.unanswerable++;
        for (const attempt of s.server.attemptsFor(url)) {
          const bytes = Buffer.byteLength(attempt.body);
          seen.largest = Math.max(seen.largest, bytes);
          expect(bytes).toBeLessThanOrEqual(MAX_RESPONSE_BYTES);
          const status = (JSON.parse(attempt.body) as { Status: string }).Status;
          seen[status === 'SUCCESS' ? 'success' : 'failed']++;
        }
      }),
      { numRuns: 400, seed: 4096 },
    );
    expect(seen.success).toBeGreaterThan(0);
    expect(seen.failed).toBeGreaterThan(0);
  });
});

describe('Function: handler (ECR sources the macro stack allows)', () => {
  const s = useScenario({ env: { ECR_SOURCE_REPOSITORY_ARNS: 'arn:aws:ecr:us-east-1:123456789012:repository/team/*,arn:aws:ecr:*:210987654321:repository/base/*' } });
  const OTHER_REGION = '123456789012.dkr.ecr.us-west-2.amazonaws.com';

  it.each([
    ['this account in another region', `${OTHER_REGION}/secret/db:1`, `arn:aws:ecr:us-west-2:123456789012:repository/secret/db`],
    ['an allowed region, another repository', '123456789012.dkr.ecr.us-east-1.amazonaws.com/other/app:1', 'arn:aws:ecr:us-east-1:123456789012:repository/other/app'],
    ['a FIPS endpoint of a repository not listed', '123456789012.dkr.ecr-fips.us-west-2.amazonaws.com/team/app:1', 'arn:aws:ecr:us-west-2:123456789012:repository/team/app'],
  ])('refuses %s before anything runs, naming the parameter', async (_label, image, arn) => {
    const url = s.newUrl();
    await s.harness.invoke(createEvent(url, { SourceImage: image }));
    const answer = onlyAnswer(s.server, url);
    expect(answer.Status).toBe('FAILED');
    expect(answer.Reason).toContain(`the ECR repository ${arn} is not one the macro stack lets the mirror read`);
    expect(answer.Reason).toContain('EcrSourceRepositoryArns');
    expect(s.world.operations).toEqual([]);
  });

  it.each([
    ['a listed repository', '123456789012.dkr.ecr.us-east-1.amazonaws.com/team/app:1'],
    ["another account's listed repository in any region", '210987654321.dkr.ecr.eu-central-1.amazonaws.com/base/node:20'],
  ])('mirrors %s', async (_label, image) => {
    s.world.addImage(image, { digests: { x86_64: digestOf(image) } });
    s.world.buildScript = { statuses: ['SUCCEEDED'] };
    const url = s.newUrl();
    await s.harness.invoke(createEvent(url, { SourceImage: image }));
    expect(onlyAnswer(s.server, url).Status).toBe('SUCCESS');
  });

  it('leaves other registries and in-region ECR alone', async () => {
    s.world.buildScript = { statuses: ['SUCCEEDED'] };
    const url = s.newUrl();
    await s.harness.invoke(createEvent(url, { SourceImage: 'quay.io/sysdig/serverless-patcher:6.2.0' }));
    expect(onlyAnswer(s.server, url).Status).toBe('SUCCESS');
    const kept = s.newUrl();
    await s.harness.invoke(createEvent(kept, { SourceImage: `${ECR_HOST}/apps/worker:1` }));
    expect(onlyAnswer(s.server, kept).Status).toBe('SUCCESS');
  });
});
