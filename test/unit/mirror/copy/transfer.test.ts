// Moving the blobs of a function copy (CopyEngine function), as CloudFormation and the operator see it: a blob cut
// mid-way or refused with a server error is tried again (1 s, then 2 s later) and the copy succeeds; a refusal is
// not tried again and fails the copy naming the blob, its size and how far the copy got; a target that cannot say
// whether it has a blob gets it anyway; a copy past the resource's deadline fails saying how far it got, counting
// what was there before. In-memory registries (copy-scenario.ts) on the virtual clock.
import { describe, expect, it } from 'vitest';
import { MirrorEnv } from '../../../../src/contract.js';
import { recordedCopy, registryError, SOURCE_REPOSITORY, SOURCE_TAG, sourceBlobReads, useCopyScenario } from '../fixtures/copy-scenario.js';
import { createEvent } from '../fixtures/harness.js';
import { baseProperties, onlyAnswer, SOURCE, TARGET_REPOSITORY, TARGET_REPOSITORY_URI } from '../fixtures/scenario.js';
import { ECR_HOST, serviceError } from '../fixtures/world.js';

function mb(bytes: number): string {
  return `${(bytes / 1_000_000).toFixed(1)} MB`;
}

describe('CopyEngine function: moving the blobs', () => {
  const { s, copy } = useCopyScenario();

  function amd64() {
    const platform = copy.image.platforms['linux/amd64']!;
    const json = platform.json as { config: { digest: string; size: number }; layers: { digest: string; size: number }[] };
    return { config: json.config, layers: json.layers, totalBytes: json.config.size + json.layers.reduce((sum, layer) => sum + layer.size, 0) };
  }

  async function answerFor(properties: Readonly<Record<string, string>> = baseProperties) {
    const url = s.newUrl();
    await s.harness.invoke(createEvent(url, properties));
    return onlyAnswer(s.server, url);
  }

  it('a blob whose source connection breaks mid-way is copied again, 1 s then 2 s later, and the copy succeeds', async () => {
    const layer = amd64().layers[1]!.digest;
    let cuts = 2;
    copy.quay.blobServing = (digest) => (digest === layer && cuts-- > 0 ? { failAfterBytes: 20_000 } : {});

    const answer = await answerFor();

    expect(answer.Status).toBe('SUCCESS');
    expect(sourceBlobReads(copy, layer)).toBe(3);
    expect(s.harness.clock.sleeps).toEqual(expect.arrayContaining([1_000, 2_000]));
    expect(s.harness.logText().match(/a blob transfer failed; trying again/g)).toHaveLength(2);
    expect(s.harness.logText()).toMatch(new RegExp(`"message":"a blob transfer failed; trying again".*"digest":"${layer}","attempt":2`));
    expect(copy.ecr.repository(TARGET_REPOSITORY).blobs.has(layer)).toBe(true);
  });

  it('a blob cut mid-way on every try fails the copy after 3 tries, naming it', async () => {
    const layer = amd64().layers[1]!;
    copy.quay.blobServing = (digest) => (digest === layer.digest ? { failAfterBytes: 20_000 } : {});

    const answer = await answerFor();

    expect(answer.Status).toBe('FAILED');
    expect(sourceBlobReads(copy, layer.digest)).toBe(3);
    expect(answer.Reason).toContain(`Could not copy blob ${layer.digest} (${mb(layer.size)}) of ${SOURCE} (linux/amd64)`);
  });

  it('a blob the source answers with HTTP 500 (after the transport’s own tries) is copied again and the copy succeeds', async () => {
    const layer = amd64().layers[0]!.digest;
    const handle = copy.quay.handle.bind(copy.quay);
    let failures = 3;
    copy.quay.handle = async (url, init) => (url.pathname.endsWith(`/blobs/${layer}`) && failures-- > 0 ? registryError(500, 'UNKNOWN', 'try later') : handle(url, init));

    const answer = await answerFor();

    expect(answer.Status).toBe('SUCCESS');
    expect(sourceBlobReads(copy, layer)).toBe(4);
    expect(s.harness.logText()).toContain('a blob transfer failed; trying again');
  });

  it('a blob the source refuses (HTTP 403) is not tried again: the copy fails naming the blob, its size and how far it got', async () => {
    const { layers, totalBytes } = amd64();
    const layer = layers[0]!;
    const handle = copy.quay.handle.bind(copy.quay);
    copy.quay.handle = async (url, init) => (url.pathname.endsWith(`/blobs/${layer.digest}`) ? registryError(403, 'DENIED', 'not yours') : handle(url, init));
    // The other layer is still streaming when the refusal comes: it is stopped, not tried again.
    copy.quay.blobServing = (digest) => (digest === layers[1]!.digest ? { chunkDelayMs: 1_000, chunkBytes: 1024 } : {});

    const answer = await answerFor();

    expect(answer.Status).toBe('FAILED');
    expect(sourceBlobReads(copy, layer.digest)).toBe(1);
    expect(answer.Reason).toContain(`Could not copy blob ${layer.digest} (${mb(layer.size)}) of ${SOURCE} (linux/amd64) to ${TARGET_REPOSITORY_URI}:${SOURCE_TAG}: `);
    expect(answer.Reason).toContain('DENIED: not yours');
    expect(answer.Reason).toMatch(new RegExp(`\\. [0-2] of 3 blobs \\(\\d\\.\\d MB of ${mb(totalBytes).replace('.', '\\.')}\\) are in the target$`));
    expect(s.harness.logText()).not.toContain('a blob transfer failed; trying again');
    expect(copy.ecr.pushedManifests).toEqual([]);
  });

  it('a source blob that is not what its digest says is not tried again', async () => {
    const layer = amd64().layers[0]!.digest;
    copy.quay.blobServing = (digest) => (digest === layer ? { corrupt: true } : {});

    const answer = await answerFor();

    expect(answer.Status).toBe('FAILED');
    expect(answer.Reason).toContain(`Could not copy blob ${layer}`);
    expect(sourceBlobReads(copy, layer)).toBe(1);
  });

  it('a target that does not say in time whether it has a blob gets it anyway; the log names the question', async () => {
    const layer = amd64().layers[0]!.digest;
    s.world.addRepository(TARGET_REPOSITORY);
    const handle = copy.ecr.handle.bind(copy.ecr);
    copy.ecr.handle = async (url, init) => (init.method === 'HEAD' && url.pathname.endsWith(`/blobs/${layer}`) ? new Promise<Response>(() => undefined) : handle(url, init));

    const answer = await answerFor();

    expect(answer.Status).toBe('SUCCESS');
    expect(copy.ecr.uploaded.map((blob) => blob.digest)).toContain(layer);
    expect(s.harness.logText()).toMatch(
      new RegExp(
        `"message":"could not tell whether the target has a blob; copying it".*"digest":"${layer}".*"error":"ECR \\(is blob ${layer} there\\?\\) did not answer within 20 s`,
      ),
    );
  });

  it('a blob the target cannot say it has (its HEAD refused) is copied anyway', async () => {
    const layer = amd64().layers[0]!.digest;
    s.world.addRepository(TARGET_REPOSITORY);
    const handle = copy.ecr.handle.bind(copy.ecr);
    copy.ecr.handle = async (url, init) =>
      init.method === 'HEAD' && url.pathname.endsWith(`/blobs/${layer}`) ? registryError(403, 'DENIED', 'no HEAD for you') : handle(url, init);

    const answer = await answerFor();

    expect(answer.Status).toBe('SUCCESS');
    expect(copy.ecr.uploaded.map((blob) => blob.digest)).toContain(layer);
    expect(s.harness.logText()).toContain('could not tell whether the target has a blob; copying it');
  });

  it('a blob the target refuses for want of credentials fails the copy naming the credentials secret at fault', async () => {
    const secret = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:registry-credentials-AbCdEf';
    const harness = s.reconfigure({ env: { [MirrorEnv.CopyEngine]: 'function', [MirrorEnv.RegistryCredentialsSecretArn]: secret } });
    s.world.fault = (op) =>
      op === 'SecretsManager.GetSecretValue' ? serviceError('AccessDeniedException', 'not authorized to perform: secretsmanager:GetSecretValue') : undefined;
    const url = s.newUrl();

    await harness.invoke(createEvent(url, baseProperties));

    const answer = onlyAnswer(s.server, url);
    expect(answer.Status).toBe('FAILED');
    expect(answer.Reason).toMatch(new RegExp(`^Registry credentials secret ${secret} could not be read \\(AccessDeniedException: not authorized`));
  });

  it('a blob cut with less of the invocation left than a pause and a try hands the copy over at once, without a pause', async () => {
    const layer = amd64().layers[0]!.digest;
    // Cut 1.5 s into its transfer; the 4.6 s invocation keeps 2 s to answer in, so 1.1 s of work is left: less than the
    // 1 s pause and the shortest try (0.25 s) after it.
    copy.quay.blobServing = (digest) => (digest === layer ? { chunkDelayMs: 500, failAfterBytes: 20_000 } : {});
    const url = s.newUrl();

    await s.harness.invoke(createEvent(url, baseProperties), { budgetMs: 4_600 });

    expect(s.server.answersFor(url)).toEqual([]);
    expect(s.world.deliveredInvokes).toHaveLength(1);
    expect(s.harness.logText()).not.toContain('a blob transfer failed; trying again');
    expect(sourceBlobReads(copy, layer)).toBe(1);
  });

  describe('the resource’s deadline', () => {
    /** The continuation of a copy this function recorded with `deadline` (as its first invocation did). */
    function continuation(deadline: number): { url: string; event: unknown } {
      const { url, continuation: event } = recordedCopy(s, baseProperties, { deadline, targetTagKind: 'source-tag' });
      return { url, event };
    }

    /** Places blobs of the source in the target, as an earlier invocation (or another image) left them. */
    function present(...digests: string[]): void {
      const source = copy.quay.repository(SOURCE_REPOSITORY);
      for (const digest of digests) copy.ecr.repository(TARGET_REPOSITORY).blobs.set(digest, source.blobs.get(digest)!);
    }

    it('a continuation past the deadline with blobs still missing fails at once, copying nothing', async () => {
      const { layers, totalBytes } = amd64();
      const { url, event } = continuation(s.harness.clock.now() - 1_000);

      await s.harness.invoke(event);

      const answer = onlyAnswer(s.server, url);
      expect(answer.Status).toBe('FAILED');
      expect(answer.Reason).toContain(
        `Copying ${SOURCE} (linux/amd64) to ${TARGET_REPOSITORY_URI}:${SOURCE_TAG} in the mirror function did not finish within the resource's ServiceTimeout: ` +
          `0 of 3 blobs (0.0 MB of ${mb(totalBytes)}) are in the target. Raise ServiceTimeout`,
      );
      // Only the config was read (whole, to check its platform); no layer.
      expect(layers.map((layer) => sourceBlobReads(copy, layer.digest))).toEqual([0, 0]);
      expect(copy.ecr.uploaded).toEqual([]);
    });

    it('a continuation past the deadline whose blobs are all in the target publishes the image', async () => {
      const { config, layers } = amd64();
      const { url, event } = continuation(s.harness.clock.now() - 1_000);
      present(config.digest, ...layers.map((layer) => layer.digest));

      await s.harness.invoke(event);

      expect(onlyAnswer(s.server, url).Status).toBe('SUCCESS');
      expect(copy.ecr.uploaded).toEqual([]);
    });

    it('a blob cut with less time left before the deadline than a pause and a try fails the copy at once, without a pause', async () => {
      const layer = amd64().layers[0]!.digest;
      // Cut 3 s into its transfer (16 KiB a second, cut after 20,000 bytes), 1.1 s before the deadline: less than the
      // 1 s pause and the shortest try (0.25 s) after it.
      copy.quay.blobServing = (digest) => (digest === layer ? { chunkDelayMs: 1_000, failAfterBytes: 20_000 } : {});
      const { url, event } = continuation(s.harness.clock.now() + 4_100);

      await s.harness.invoke(event);

      expect(onlyAnswer(s.server, url).Reason).toContain("did not finish within the resource's ServiceTimeout");
      expect(s.harness.logText()).not.toContain('a blob transfer failed; trying again');
      expect(sourceBlobReads(copy, layer)).toBe(1);
    });

    it('says how many blobs were there before the copy: one, or several', async () => {
      const { config, layers, totalBytes } = amd64();
      const slow = layers[1]!;
      copy.quay.blobServing = (digest) => (digest === slow.digest ? { chunkDelayMs: 20_000 } : {});

      const one = continuation(s.harness.clock.now() + 30_000);
      present(layers[0]!.digest);
      await s.harness.invoke(one.event);
      const inBefore = config.size + layers[0]!.size;
      expect(onlyAnswer(s.server, one.url).Reason).toContain(
        `2 of 3 blobs (${mb(inBefore)} of ${mb(totalBytes)}) are in the target (1 was there before). Raise ServiceTimeout`,
      );

      copy.ecr.repositories.clear();
      const several = continuation(s.harness.clock.now() + 30_000);
      present(config.digest, layers[0]!.digest);
      await s.reconfigure({}).invoke(several.event);
      expect(onlyAnswer(s.server, several.url).Reason).toContain(`2 of 3 blobs (${mb(inBefore)} of ${mb(totalBytes)}) are in the target (2 were there before)`);
    });
  });

  it('asks the target about the first blob alone, so the other questions go authenticated up front', async () => {
    const answer = await answerFor({ SourceImage: SOURCE, Platforms: 'all' });

    expect(answer.Status).toBe('SUCCESS');
    const heads = copy.registries.requests.filter((request) => request.host === ECR_HOST && request.method === 'HEAD' && request.path.includes('/blobs/'));
    // One refused HEAD (401) before the Basic challenge is answered, then one per blob.
    expect(heads).toHaveLength(copy.image.blobs.length + 1);
  });
});
