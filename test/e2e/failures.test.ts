// End to end, failure paths: what CloudFormation hears when mirroring cannot work, how fast, and what is left behind.
// Same local parts and bundles as deploy.test.ts; expected texts come from the registries and the build logs.
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DescribeRepositoriesCommand } from '@aws-sdk/client-ecr';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ecrClientFor } from '../support/moto.js';
import { listRepositories, listTags, readManifest } from '../support/oci-reader.js';
import { freePort } from '../support/loopback.js';
import { haveTools, TOOLS } from '../support/tools.js';
import { AMD64_ONLY, lambdaTemplate, MULTI_ARCH_WITH_ATTESTATION } from './fixtures.js';
import { describeDeployment, expectAnsweredOnce, expectCleanInvocations, expectMirroredImage, expectResponseUrlsKeptSecret, platformDigest } from './harness/checks.js';
import type { Deployment } from './harness/deploy.js';
import { ECR_HOST, PRIVATE_HOST, startHarness, type Harness } from './harness/harness.js';
import { COPY_ENGINES } from '../../src/contract.js';
import { TOOL_TEST_TIMEOUT_MS } from '../support/timeouts.js';

/** Only bounds a hang: the project's limit for tests that run tools (a busy host may take minutes). */
const SCENARIO_TIMEOUT_MS = TOOL_TEST_TIMEOUT_MS;

describe.skipIf(!haveTools(TOOLS.registry, TOOLS.skopeo, TOOLS.htpasswd, TOOLS.moto, TOOLS.samTranslator, TOOLS.awsCli, TOOLS.jq)).each(COPY_ENGINES)(
  'End to end (CopyEngine %s): deployments that cannot mirror fail clearly and cleanly',
  (engine) => {
    let harness: Harness;

    beforeAll(async () => {
      harness = await startHarness({ copyEngine: engine });
    });

    afterAll(async () => {
      const pids = harness?.pids() ?? [];
      await harness?.stop();
      for (const pid of pids) expect(() => process.kill(pid, 0), `server process ${pid} outlived the harness`).toThrow();
    });

    /** The failed Create of a one-function stack, after its rollback. */
    function failedCreate(deployment: Deployment): { reason: string; physicalId: string } {
      expect(deployment.status, describeDeployment(deployment)).toBe('ROLLBACK_COMPLETE');
      expectCleanInvocations(deployment);
      const create = deployment.requests.find((request) => request.requestType === 'Create');
      expect(create?.answer?.Status, describeDeployment(deployment)).toBe('FAILED');
      expectAnsweredOnce(harness, create!);
      return { reason: create!.answer!.Reason ?? '', physicalId: create!.answer!.PhysicalResourceId };
    }

    async function ecrRepositoryExists(name: string): Promise<boolean> {
      const ecr = ecrClientFor(harness.moto, harness.region);
      try {
        await ecr.send(new DescribeRepositoriesCommand({ repositoryNames: [name] }));
        return true;
      } catch (error) {
        if ((error as { name?: string }).name === 'RepositoryNotFoundException') return false;
        throw error;
      } finally {
        ecr.destroy();
      }
    }

    it(
      'a private registry without the credentials secret fails, saying the registry answered unauthorized',
      async () => {
        const image = await harness.pushSource(`${PRIVATE_HOST}/acme/secret-tool:1.0`, AMD64_ONLY);
        const deployment = await harness.deployer.createStack('private-without-secret', {
          template: lambdaTemplate([{ logicalId: 'SecretToolFunction', imageUri: image.reference }]),
        });

        const { reason } = failedCreate(deployment);
        expect(reason).toMatch(/unauthorized/i);
        expect(reason).toContain(image.reference);
        expect(deployment.startBuildCalls).toEqual([]);
      },
      SCENARIO_TIMEOUT_MS,
    );

    it(
      'a tag that does not exist fails with the registry error in the Reason, without a build',
      async () => {
        await harness.pushSource('quay.io/e2e/versioned:1.0', AMD64_ONLY);
        const deployment = await harness.deployer.createStack('missing-tag', {
          template: lambdaTemplate([{ logicalId: 'VersionedFunction', imageUri: 'quay.io/e2e/versioned:9.9.9' }]),
        });

        const { reason } = failedCreate(deployment);
        // docker-registry's own words for an unknown tag.
        expect(reason).toMatch(/manifest unknown/i);
        expect(reason).toContain('quay.io/e2e/versioned:9.9.9');
        expect(deployment.startBuildCalls).toEqual([]);
        expect(deployment.builds).toEqual([]);
      },
      SCENARIO_TIMEOUT_MS,
    );

    it(
      'an image without the function architecture fails before any build, naming what the image has',
      async () => {
        const image = await harness.pushSource('quay.io/e2e/amd64-only:1.0', AMD64_ONLY);
        const deployment = await harness.deployer.createStack('missing-architecture', {
          template: lambdaTemplate([{ logicalId: 'ArmFunction', imageUri: image.reference, architecture: 'arm64' }]),
        });

        const { reason } = failedCreate(deployment);
        expect(reason).toContain('linux/arm64');
        expect(reason).toContain('linux/amd64');
        expect(reason).toContain(image.reference);
        expect(deployment.startBuildCalls).toEqual([]);
      },
      SCENARIO_TIMEOUT_MS,
    );

    describe('a hostile image reference', () => {
      const marker = join(tmpdir(), `sif-e2e-pwned-${randomUUID()}`);
      it.each([
        ['command substitution', `quay.io/e2e/tool:1.0$(touch\${IFS}${marker})`],
        ['option injection', '--src-creds=attacker:secret'],
        ['a second line', 'quay.io/e2e/tool:1.0\nrm -rf /'],
        ['shell metacharacters in the path', 'quay.io/e2e/tool;id:1.0'],
      ])(
        'with %s fails the transform naming the resource; nothing runs',
        async (_kind, hostile) => {
          const invocationsBefore = harness.lambda.allInvocations().length;
          const putsBefore = harness.responses.puts().length;
          const template = lambdaTemplate([{ logicalId: 'HostileFunction', imageUri: { Ref: 'ToolImage' } }], {
            parameters: { ToolImage: { Type: 'String' } },
          });
          const deployment = await harness.deployer.createStack(`hostile-${randomUUID().slice(0, 8)}`, { template, parameters: { ToolImage: hostile } });

          expect(deployment.status).toBe('VALIDATION_FAILED');
          expect(deployment.transforms.map((step) => [step.name, step.ok])).toEqual([['SysdigImageFix', false]]);
          expect(deployment.statusReason).toContain('HostileFunction');
          expect(deployment.requests).toEqual([]);
          expect(deployment.startBuildCalls).toEqual([]);
          // Only the macro ran; no mirror invocation, no answer.
          expect(
            harness.lambda
              .allInvocations()
              .slice(invocationsBefore)
              .map((invocation) => invocation.source),
          ).toEqual(['macro']);
          expect(harness.responses.puts().length).toBe(putsBefore);
          expect(existsSync(marker)).toBe(false);
        },
        SCENARIO_TIMEOUT_MS,
      );
    });

    it(
      'a failed Create rolls back: its Delete succeeds as a no-op and nothing is left in ECR',
      async () => {
        const repository = 'sysdig-image-fix/quay.io/e2e/never-published';
        const deployment = await harness.deployer.createStack('rollback', {
          template: lambdaTemplate([{ logicalId: 'NeverFunction', imageUri: 'quay.io/e2e/never-published:1.0' }]),
        });

        const { physicalId } = failedCreate(deployment);
        expect(physicalId).not.toMatch(/\.dkr\.ecr\./);
        const deletes = deployment.requests.filter((request) => request.requestType === 'Delete');
        expect(deletes.map((request) => [request.event.PhysicalResourceId, request.answer?.Status])).toEqual([[physicalId, 'SUCCESS']]);
        expectAnsweredOnce(harness, deletes[0]!);
        expect(await ecrRepositoryExists(repository)).toBe(false);
        expect(await listRepositories(harness.target.url, harness.ecrCredentials)).not.toContain(repository);
        expect(deployment.builds).toEqual([]);
      },
      SCENARIO_TIMEOUT_MS,
    );

    if (engine === 'codebuild') {
      it(
        'a build that breaks mid-copy fails with the last build log lines in the Reason; the ResponseURL stays out of it',
        async () => {
          const image = await harness.pushSource('quay.io/e2e/broken-copy:1.0', { ...MULTI_ARCH_WITH_ATTESTATION, layers: 3, layerBytes: 64 * 1024 });
          const repository = 'sysdig-image-fix/quay.io/e2e/broken-copy';
          // ECR refuses the second blob upload of this repository: the copy has started and breaks half-way.
          const heal = harness.ecrProxy.injectUploadFault({
            repository,
            afterBlobs: 1,
            status: 403,
            code: 'DENIED',
            message: 'User: arn:aws:sts::123456789012:assumed-role/e2e-build-role is not authorized to perform: ecr:UploadLayerPart',
          });
          let deployment: Deployment;
          try {
            deployment = await harness.deployer.createStack('broken-copy', {
              template: lambdaTemplate([{ logicalId: 'BrokenFunction', imageUri: image.reference }]),
            });
          } finally {
            heal();
          }

          const { reason } = failedCreate(deployment);
          expect(deployment.builds.map((build) => build.status)).toEqual(['FAILED']);
          expect(harness.ecrProxy.pushedBlobBytes(repository)).toBeGreaterThan(0);
          const build = deployment.builds[0]!;
          const logLines = harness.logs
            .text(build.logGroupName, build.logStreamName)
            .split('\n')
            .map((line) => line.trim())
            .filter((line) => line !== '');
          for (const line of logLines.slice(-3)) expect(reason).toContain(line);
          expect(reason).toContain(build.id);
          expectResponseUrlsKeptSecret(harness);
        },
        SCENARIO_TIMEOUT_MS,
      );
    } else {
      it(
        "a copy that breaks mid-way (ECR refuses a blob) fails naming the blob and ECR's words; nothing is tagged, no build runs",
        async () => {
          const image = await harness.pushSource('quay.io/e2e/broken-copy-fn:1.0', { ...MULTI_ARCH_WITH_ATTESTATION, layers: 3, layerBytes: 64 * 1024 });
          const repository = 'sysdig-image-fix/quay.io/e2e/broken-copy-fn';
          // The function uploads blobs side by side: ECR refuses to complete one layer, after its bytes were sent.
          const layer = (image.generated.platforms['linux/amd64']!.json as { layers: { digest: string }[] }).layers[2]!.digest;
          const heal = harness.ecrProxy.injectUploadFault({
            repository,
            afterBlobs: 0,
            digest: layer,
            status: 403,
            code: 'DENIED',
            message: 'User: arn:aws:sts::123456789012:assumed-role/e2e-mirror-role is not authorized to perform: ecr:UploadLayerPart',
          });
          let deployment: Deployment;
          try {
            deployment = await harness.deployer.createStack('broken-copy-fn', {
              template: lambdaTemplate([{ logicalId: 'BrokenFunction', imageUri: image.reference }]),
            });
          } finally {
            heal();
          }

          const { reason } = failedCreate(deployment);
          expect(reason.startsWith(`Could not copy blob ${layer} (`), reason).toBe(true);
          expect(reason).toContain('of quay.io/e2e/broken-copy-fn:1.0 (linux/amd64)');
          expect(harness.ecrProxy.pushedBlobBytes(repository)).toBeGreaterThan(0);
          expect(reason).toContain(
            '(HTTP 403; registry says "DENIED: User: arn:aws:sts::123456789012:assumed-role/e2e-mirror-role is not authorized to perform: ecr:UploadLayerPart")',
          );
          expect(reason).toMatch(/\d of \d blobs \([0-9.]+ MB of [0-9.]+ MB\) are in the target/);
          expect(deployment.startBuildCalls).toEqual([]);
          expect(await listTags(harness.target.url, repository, harness.ecrCredentials).catch(() => [])).toEqual([]);
          expectResponseUrlsKeptSecret(harness);
        },
        SCENARIO_TIMEOUT_MS,
      );
    }

    if (engine === 'codebuild') {
      it(
        'IMMUTABLE, source not resolvable by the mirror function: tagged <tag>-amd64; once the upstream tag moved, the Reason says the tag is taken and what to do',
        async () => {
          const reference = 'quay.io/e2e/unresolved:2.0';
          const repository = 'sysdig-image-fix/quay.io/e2e/unresolved';
          const template = lambdaTemplate([{ logicalId: 'UnresolvedFunction', imageUri: reference }]);
          await harness.setMacroStackParameters({ ImageTagMutability: 'IMMUTABLE' });
          // The function's own registry client meets a closed port; the build still reaches quay.io.
          await harness.setMirrorRegistryEndpoint('quay.io', `http://127.0.0.1:${await freePort()}`);
          try {
            const before = await harness.pushSource(reference, AMD64_ONLY);
            const first = await harness.deployer.createStack('unresolved-before', { template });
            await expectMirroredImage(harness, first, 'UnresolvedFunction', { source: before, repository, architecture: 'x86_64' });
            expect(first.builds.map((build) => [build.overrides.SOURCE_IMAGE, build.overrides.TARGET_IMAGE])).toEqual([[reference, `${ECR_HOST}/${repository}:2.0-amd64`]]);

            // The same image again (no digest, so no fast path): ECR refuses the re-push, and the build finds the tag
            // already holding exactly that image.
            const again = await harness.deployer.createStack('unresolved-again', { template });
            await expectMirroredImage(harness, again, 'UnresolvedFunction', { source: before, repository, architecture: 'x86_64' });
            expect(again.builds[0]!.result?.log).toContain(`${ECR_HOST}/${repository}:2.0-amd64 already holds ${platformDigest(before, 'x86_64')}; nothing to push`);

            await harness.pushSource(reference, AMD64_ONLY); // rebuilt upstream: the tag moved
            const second = await harness.deployer.createStack('unresolved-after', { template });
            const { reason } = failedCreate(second);
            const summary = reason.split('\n')[0]!;
            expect(summary).toContain(`The target tag 2.0-amd64 already exists in the IMMUTABLE repository ${repository} with other content`);
            expect(summary).toContain(`delete the tag 2.0-amd64 from ${repository}`);
            expect(summary).toContain('ImageTagMutability to MUTABLE');
            // The tag still names the first image; nothing else was tagged.
            const kept = await readManifest(harness.target.url, repository, '2.0-amd64', harness.ecrCredentials);
            expect(kept.digest).toBe(platformDigest(before, 'x86_64'));
            expect(await listTags(harness.target.url, repository, harness.ecrCredentials)).toEqual(['2.0-amd64']);
          } finally {
            await harness.setMirrorRegistryEndpoint('quay.io', undefined);
            await harness.setMacroStackParameters({});
          }
        },
        SCENARIO_TIMEOUT_MS,
      );
    } else {
      it(
        'a source the mirror function cannot reach fails naming the registry and the address it tried; no build to fall back to',
        async () => {
          const image = await harness.pushSource('quay.io/e2e/unreachable-fn:2.0', AMD64_ONLY);
          const port = await freePort();
          await harness.setMirrorRegistryEndpoint('quay.io', `http://127.0.0.1:${port}`);
          let deployment: Deployment;
          try {
            deployment = await harness.deployer.createStack('unreachable-fn', {
              template: lambdaTemplate([{ logicalId: 'UnreachableFunction', imageUri: image.reference }]),
            });
          } finally {
            await harness.setMirrorRegistryEndpoint('quay.io', undefined);
          }
          const { reason } = failedCreate(deployment);
          expect(reason).toContain(`Could not read ${image.reference} (linux/amd64) to copy it`);
          expect(reason).toContain(`cannot reach quay.io at http://127.0.0.1:${port}/v2/e2e/unreachable-fn/manifests/2.0: connection refused (ECONNREFUSED)`);
          expect(deployment.startBuildCalls).toEqual([]);
        },
        SCENARIO_TIMEOUT_MS,
      );
    }

    it(
      'an answer refused twice by the ResponseURL endpoint is retried and lands exactly once',
      async () => {
        const image = await harness.pushSource('quay.io/e2e/retry-answer:1.0', AMD64_ONLY);
        harness.responses.failNextPuts(2);
        const deployment = await harness.deployer.createStack('retried-answer', {
          template: lambdaTemplate([{ logicalId: 'RetryFunction', imageUri: image.reference, architecture: 'arm64' }]),
        });

        const create = deployment.requests[0]!;
        const puts = harness.responses.puts().filter((put) => put.requestId === create.requestId);
        expect(puts.map((put) => put.status)).toEqual([500, 500, 200]);
        expect(create.answer?.Status).toBe('FAILED');
        expectAnsweredOnce(harness, create);
        // CloudFormation's presigned S3 URL wants no Content-Type (it is part of the signature).
        expect(puts.map((put) => put.contentType ?? '')).toEqual(['', '', '']);
      },
      SCENARIO_TIMEOUT_MS,
    );
  },
);
