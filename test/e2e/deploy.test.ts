// End to end, success paths: stacks deployed in CloudFormation's order on real local parts (registries, skopeo, moto,
// the SAM translator, the local CodeBuild/Lambda/Logs emulators) with the BUNDLED macro and mirror functions.
// Every scenario ends in THE check (test/e2e/harness/checks.ts) on the image each function would run.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listTags, readManifest } from '../support/oci-reader.js';
import { haveTools, TOOLS } from '../support/tools.js';
import { AMD64_ONLY, DOCKER_MULTI_ARCH, instrumentationTemplate, lambdaTemplate, MULTI_ARCH_WITH_ATTESTATION, samTemplate } from './fixtures.js';
import { COPY_ENGINES } from '../../src/contract.js';
import {
  describeDeployment,
  expectAnsweredOnce,
  expectCopies,
  expectMirroredImage,
  expectNoMirrorUntagged,
  expectResponseUrlsKeptSecret,
  functionOf,
  platformDigest,
} from './harness/checks.js';
import type { Deployment } from './harness/deploy.js';
import { ECR_HOST, OTHER_REGION_ECR_HOST, PRIVATE_HOST, startHarness, type Harness, type SourceImage } from './harness/harness.js';
import type { JsonObject } from './harness/intrinsics.js';
import { startThrottledRegistry } from './harness/throttle.js';
import { TOOL_TEST_TIMEOUT_MS } from '../support/timeouts.js';

/** Only bounds a hang: the project's limit for tests that run tools (a busy host may take minutes). */
const SCENARIO_TIMEOUT_MS = TOOL_TEST_TIMEOUT_MS;

const PATCHER = 'quay.io/sysdig/serverless-patcher:5.0.1';
const PATCHER_REPOSITORY = 'sysdig-image-fix/quay.io/sysdig/serverless-patcher';

describe.skipIf(!haveTools(TOOLS.registry, TOOLS.skopeo, TOOLS.htpasswd, TOOLS.moto, TOOLS.samTranslator, TOOLS.awsCli, TOOLS.jq)).each(COPY_ENGINES)(
  'End to end (CopyEngine %s): deployments that mirror (or keep) Lambda images',
  (engine) => {
    let harness: Harness;
    let patcher: SourceImage;

    beforeAll(async () => {
      harness = await startHarness({ copyEngine: engine });
      patcher = await harness.pushSource(PATCHER, MULTI_ARCH_WITH_ATTESTATION);
    });

    afterAll(async () => {
      const pids = harness?.pids() ?? [];
      await harness?.stop();
      for (const pid of pids) expect(() => process.kill(pid, 0), `server process ${pid} outlived the harness`).toThrow();
    });

    it(
      'Sysdig instrumentation template + Transform: the multi-arch Quay patcher with an attestation is mirrored as linux/amd64',
      async () => {
        const { template, parameters, patcherFunction, agentImageVariable } = instrumentationTemplate();
        const deployment = await harness.deployer.createStack('sysdig-instrumentation', { template, parameters });

        await expectMirroredImage(harness, deployment, patcherFunction, { source: patcher, repository: PATCHER_REPOSITORY, architecture: 'x86_64' });
        expectCopies(harness, deployment, 1);
        expect(deployment.requests.map((request) => [request.requestType, request.answer?.Status])).toEqual([['Create', 'SUCCESS']]);
        expectAnsweredOnce(harness, deployment.requests[0]!);
        // The workload agent image is only a string for ECS; it must stay exactly as the user wrote it.
        const resources = deployment.processedTemplate!.Resources as JsonObject;
        const variables = ((resources[patcherFunction] as JsonObject).Properties as JsonObject).Environment as JsonObject;
        expect((variables.Variables as JsonObject)[agentImageVariable]).toEqual({ Ref: 'SysdigWorkloadAgentImage' });
        // The attestation entry and the other platform were not copied.
        const copied = harness.ecrProxy
          .registered()
          .filter((entry) => entry.repository === PATCHER_REPOSITORY)
          .map((entry) => entry.digest);
        expect(copied).toEqual([platformDigest(patcher, 'x86_64')]);
      },
      SCENARIO_TIMEOUT_MS,
    );

    it(
      'the same Quay image for an arm64 function is mirrored as linux/arm64',
      async () => {
        const template = lambdaTemplate([{ logicalId: 'ArmPatcher', imageUri: PATCHER, architecture: 'arm64' }]);
        const deployment = await harness.deployer.createStack('patcher-arm64', { template });

        await expectMirroredImage(harness, deployment, 'ArmPatcher', { source: patcher, repository: PATCHER_REPOSITORY, architecture: 'arm64' });
        expect(deployment.requests.map((request) => request.answer?.Data?.Platform)).toEqual(['linux/arm64']);
        // The amd64 mirror of the first scenario keeps its tag: each architecture has its own (MUTABLE repositories).
        const tags = await expectNoMirrorUntagged(harness, PATCHER_REPOSITORY);
        expect(tags.get('5.0.1-arm64')).toBe(platformDigest(patcher, 'arm64'));
      },
      SCENARIO_TIMEOUT_MS,
    );

    describe('a Docker Hub short name (nginx:1.27) in a SAM template', () => {
      let nginx: SourceImage;
      const imageUris: string[] = [];
      beforeAll(async () => {
        nginx = await harness.pushSource('docker.io/library/nginx:1.27', DOCKER_MULTI_ARCH);
      });

      it.each([
        ['SysdigImageFix before the SAM transform', ['SysdigImageFix', 'AWS::Serverless-2016-10-31']],
        ['the SAM transform before SysdigImageFix', ['AWS::Serverless-2016-10-31', 'SysdigImageFix']],
      ])(
        'is mirrored with %s',
        async (_order, transforms) => {
          const deployment = await harness.deployer.createStack(`nginx-${transforms[0]!.startsWith('AWS') ? 'sam-first' : 'macro-first'}`, {
            template: samTemplate(transforms, 'nginx:1.27', 'arm64'),
          });

          expect(deployment.transforms.map((step) => [step.name, step.ok])).toEqual(transforms.map((name) => [name, true]));
          await expectMirroredImage(harness, deployment, 'WebFunction', {
            source: nginx,
            repository: 'sysdig-image-fix/docker.io/library/nginx',
            architecture: 'arm64',
          });
          imageUris.push(functionOf(deployment, 'WebFunction').imageUri);
          // Both orders end on the very same image.
          expect(new Set(imageUris).size).toBe(1);
        },
        SCENARIO_TIMEOUT_MS,
      );
    });

    it(
      'private ECR of the stack region is left untouched: no mirror resource, no build; a deploy-time reference to it is kept',
      async () => {
        await harness.createEcrRepository('orders-api');
        const orders = await harness.pushSource(`${ECR_HOST}/orders-api:1.4.2`, AMD64_ONLY);
        const literal = '${AWS::AccountId}.dkr.ecr.${AWS::Region}.${AWS::URLSuffix}/orders-api:1.4.2';
        const template = lambdaTemplate([
          { logicalId: 'OrdersFunction', imageUri: { 'Fn::Sub': literal } },
          { logicalId: 'ImportedFunction', imageUri: { 'Fn::ImportValue': 'orders-api-image' } },
        ]);
        const deployment = await harness.deployer.createStack('in-region-ecr', {
          template,
          imports: { 'orders-api-image': `${ECR_HOST}/orders-api:1.4.2` },
        });

        expect(deployment.status, describeDeployment(deployment)).toBe('CREATE_COMPLETE');
        const resources = deployment.processedTemplate!.Resources as JsonObject;
        expect(((resources.OrdersFunction as JsonObject).Properties as JsonObject).Code).toEqual({ ImageUri: { 'Fn::Sub': literal } });
        expect(functionOf(deployment, 'OrdersFunction').imageUri).toBe(`${ECR_HOST}/orders-api:1.4.2`);
        // The imported value is only known at deploy time: the mirror function keeps it, pinned to its digest.
        expect(deployment.requests).toHaveLength(1);
        expect(deployment.requests[0]!.answer?.Status).toBe('SUCCESS');
        expect(functionOf(deployment, 'ImportedFunction').imageUri).toBe(`${ECR_HOST}/orders-api@${orders.pushed.digest}`);
        expect(deployment.startBuildCalls).toEqual([]);
        expect(deployment.builds).toEqual([]);
        const manifest = await readManifest(harness.target.url, 'orders-api', orders.pushed.digest, harness.ecrCredentials);
        expect(manifest.digest).toBe(orders.pushed.digest);
      },
      SCENARIO_TIMEOUT_MS,
    );

    it(
      'an image in ECR of another region (same account) is mirrored into this region',
      async () => {
        const tool = await harness.pushSource(`${OTHER_REGION_ECR_HOST}/platform/tool:3.2`, MULTI_ARCH_WITH_ATTESTATION);
        const deployment = await harness.deployer.createStack('other-region-ecr', {
          template: lambdaTemplate([{ logicalId: 'ToolFunction', imageUri: tool.reference }]),
        });

        await expectMirroredImage(harness, deployment, 'ToolFunction', {
          source: tool,
          repository: `sysdig-image-fix/${OTHER_REGION_ECR_HOST}/platform/tool`,
          architecture: 'x86_64',
        });
      },
      SCENARIO_TIMEOUT_MS,
    );

    it(
      'a private registry is mirrored with the credentials secret (Secrets Manager) of the macro stack',
      async () => {
        const privateImage = await harness.pushSource(`${PRIVATE_HOST}/acme/billing:2.0`, MULTI_ARCH_WITH_ATTESTATION);
        const secretArn = await harness.createSecret({ [PRIVATE_HOST]: harness.privateAuth });
        await harness.setMacroStackParameters({ RegistryCredentialsSecretArn: secretArn });
        try {
          const deployment = await harness.deployer.createStack('private-registry', {
            template: lambdaTemplate([{ logicalId: 'BillingFunction', imageUri: privateImage.reference, architecture: 'arm64' }]),
          });
          await expectMirroredImage(harness, deployment, 'BillingFunction', {
            source: privateImage,
            repository: `sysdig-image-fix/${PRIVATE_HOST}/acme/billing`,
            architecture: 'arm64',
          });
          expectCopies(harness, deployment, 1);
          // The job gets the secret's ARN; the function reads the secret itself (the registry refuses anonymous pulls).
          if (engine === 'codebuild') expect(deployment.builds[0]!.overrides.REGISTRY_CREDENTIALS_SECRET_ARN).toBe(secretArn);
        } finally {
          await harness.setMacroStackParameters({});
        }
      },
      SCENARIO_TIMEOUT_MS,
    );

    it(
      'a second stack with an image already mirrored answers without a build, in under 2 s',
      async () => {
        const shared = await harness.pushSource('ghcr.io/example-org/shared-runtime:1.0', MULTI_ARCH_WITH_ATTESTATION);
        const template = lambdaTemplate([{ logicalId: 'SharedFunction', imageUri: shared.reference }]);
        const first = await harness.deployer.createStack('shared-first', { template });
        await expectMirroredImage(harness, first, 'SharedFunction', {
          source: shared,
          repository: 'sysdig-image-fix/ghcr.io/example-org/shared-runtime',
          architecture: 'x86_64',
        });
        expectCopies(harness, first, 1);
        const pushedBefore = harness.ecrProxy.pushedBlobBytes('sysdig-image-fix/ghcr.io/example-org/shared-runtime');

        const second = await harness.deployer.createStack('shared-second', { template });
        await expectMirroredImage(harness, second, 'SharedFunction', {
          source: shared,
          repository: 'sysdig-image-fix/ghcr.io/example-org/shared-runtime',
          architecture: 'x86_64',
        });
        expect(second.startBuildCalls).toEqual([]);
        expect(second.builds).toEqual([]);
        expect(harness.ecrProxy.pushedBlobBytes('sysdig-image-fix/ghcr.io/example-org/shared-runtime')).toBe(pushedBefore);
        // Answered at once: no build was started or polled. How fast that is, is measured by `npm run bench`
        // (redeployAnswerMs), not asserted here: a test must not depend on the machine's speed.
        expect(second.requests[0]!.answer?.Status).toBe('SUCCESS');
      },
      SCENARIO_TIMEOUT_MS,
    );

    it(
      `ten distinct images are all mirrored, none lost${engine === 'codebuild' ? ' (under a CodeBuild concurrency limit of 3)' : ' (ten copies in the function at once)'}`,
      async () => {
        const images = await Promise.all(
          Array.from({ length: 10 }, (_, i) => harness.pushSource(`quay.io/e2e-fleet/service-${i}:1.${i}`, { platforms: ['linux/amd64', 'linux/arm64'] })),
        );
        const template = lambdaTemplate(images.map((image, i) => ({ logicalId: `Service${i}`, imageUri: image.reference })));
        const { concurrencyLimit } = harness.codeBuild.settings;
        harness.codeBuild.settings.concurrencyLimit = 3;
        harness.codeBuild.resetPeak();
        let deployment: Deployment;
        try {
          deployment = await harness.deployer.createStack('fleet', { template });
        } finally {
          harness.codeBuild.settings.concurrencyLimit = concurrencyLimit;
        }

        expect(deployment.status, describeDeployment(deployment)).toBe('CREATE_COMPLETE');
        for (const [i, image] of images.entries()) {
          await expectMirroredImage(harness, deployment, `Service${i}`, {
            source: image,
            repository: `sysdig-image-fix/quay.io/e2e-fleet/service-${i}`,
            architecture: 'x86_64',
          });
        }
        for (const request of deployment.requests) expectAnsweredOnce(harness, request);
        expectCopies(harness, deployment, 10);
        if (engine === 'codebuild') {
          // The limit was really hit, and never exceeded.
          expect(deployment.startBuildCalls.filter((call) => call.outcome === 'AccountLimitExceededException').length).toBeGreaterThan(0);
          expect(harness.codeBuild.peakRunning()).toBeLessThanOrEqual(3);
        }
      },
      SCENARIO_TIMEOUT_MS,
    );

    it(
      'an update that changes the tag mirrors the new digest under a new physical id; the old one is deleted as a no-op',
      async () => {
        const v1 = await harness.pushSource('quay.io/e2e/app:1.0', MULTI_ARCH_WITH_ATTESTATION);
        const v2 = await harness.pushSource('quay.io/e2e/app:2.0', MULTI_ARCH_WITH_ATTESTATION);
        const template = lambdaTemplate([{ logicalId: 'AppFunction', imageUri: { 'Fn::Sub': 'quay.io/e2e/app:${AppVersion}' } }], {
          parameters: { AppVersion: { Type: 'String', Default: '1.0' } },
        });
        const repository = 'sysdig-image-fix/quay.io/e2e/app';
        const created = await harness.deployer.createStack('app', { template });
        await expectMirroredImage(harness, created, 'AppFunction', { source: v1, repository, architecture: 'x86_64' });
        const oldPhysicalId = created.mirrors[0]!.physicalId;

        const updated = await harness.deployer.updateStack('app', { template, parameters: { AppVersion: '2.0' } });
        await expectMirroredImage(harness, updated, 'AppFunction', { source: v2, repository, architecture: 'x86_64' });
        expect(platformDigest(v2, 'x86_64')).not.toBe(platformDigest(v1, 'x86_64'));
        expect(updated.mirrors).toHaveLength(1);
        expect(updated.mirrors[0]!.physicalId).not.toBe(oldPhysicalId);
        // The old physical resource is deleted after the update (cleanup), and that Delete changes nothing.
        const cleanup = updated.requests.filter((request) => request.requestType === 'Delete');
        expect(cleanup.map((request) => [request.event.PhysicalResourceId, request.answer?.Status])).toEqual([[oldPhysicalId, 'SUCCESS']]);
        const kept = await readManifest(harness.target.url, repository, platformDigest(v1, 'x86_64'), harness.ecrCredentials);
        expect(kept.digest).toBe(platformDigest(v1, 'x86_64'));
        for (const request of updated.requests) expectAnsweredOnce(harness, request);
      },
      SCENARIO_TIMEOUT_MS,
    );

    if (engine === 'codebuild') {
      it(
        'a build outlasting the Lambda timeout is handed over to fresh invocations and still answered exactly once',
        async () => {
          const slow = await harness.pushSource('quay.io/e2e/slow-build:1.0', MULTI_ARCH_WITH_ATTESTATION);
          // The build outlasts the first invocation by construction, not by timing: its buildspec starts only once a
          // continuation (a fresh invocation the first one handed over to) runs. The timeout is short enough to make
          // that happen within seconds, and long enough (30 s: every call of the function has seconds of room) that
          // how fast this host runs decides nothing.
          harness.setMirrorTimeout(30_000);
          const { batchGetHoldMs } = harness.codeBuild.settings;
          harness.codeBuild.settings.batchGetHoldMs = 1_000;
          const continued = (): boolean => harness.lambda.allInvocations().some((invocation) => invocation.source === 'lambda-api' && invocation.invokedAt !== undefined);
          const releaseHold = harness.codeBuild.beforeBuild(async () => {
            while (!continued()) await new Promise((resolve) => setTimeout(resolve, 200));
          });
          let deployment: Deployment;
          try {
            deployment = await harness.deployer.createStack('slow-build', {
              template: lambdaTemplate([{ logicalId: 'SlowFunction', imageUri: slow.reference }]),
            });
          } finally {
            releaseHold();
            harness.setMirrorTimeout(harness.macroStack().mirrorFunction.timeoutSeconds * 1000);
            Object.assign(harness.codeBuild.settings, { batchGetHoldMs });
          }

          await expectMirroredImage(harness, deployment, 'SlowFunction', {
            source: slow,
            repository: 'sysdig-image-fix/quay.io/e2e/slow-build',
            architecture: 'x86_64',
          });
          expectAnsweredOnce(harness, deployment.requests[0]!);
          const continuations = deployment.invocations.filter((invocation) => invocation.source === 'lambda-api');
          expect(continuations.length).toBeGreaterThan(0);
          // (expectMirroredImage also checked that no invocation ran into its timeout or failed: each handed over in time.)
          expect(deployment.invocations.filter((invocation) => invocation.source === 'cloudformation')).toHaveLength(1);
          // One build only: the hand-over waits for the same build, it never starts another.
          expect(deployment.builds).toHaveLength(1);
        },
        SCENARIO_TIMEOUT_MS,
      );
    } else {
      it(
        'a copy outlasting the Lambda timeout is handed over to fresh invocations, goes on from what ECR holds, and is answered exactly once',
        async () => {
          // 24 layers of 96 KiB sent at 96 KiB/s for the whole registry, however many blobs move at once: at least 24 s
          // of transfer whatever the machine's speed. A 20 s timeout leaves each invocation at most 13 s to copy (2 s kept
          // to answer, a 5 s hand-over margin), so the copy must hand over at least once; 13 s moves at least one layer
          // even when six share the rate (6 x 96 KiB take 6 s), so no invocation is left without progress.
          const slow = await harness.pushSource('quay.io/e2e/slow-copy:1.0', { platforms: ['linux/amd64'], layers: 24, layerBytes: 96 * 1024 });
          const throttled = await startThrottledRegistry(harness.registryUrlOf('quay.io'), 96 * 1024);
          await harness.setMirrorRegistryEndpoint('quay.io', throttled.url);
          harness.setMirrorTimeout(20_000);
          let deployment: Deployment;
          try {
            deployment = await harness.deployer.createStack('slow-copy', {
              template: lambdaTemplate([{ logicalId: 'SlowFunction', imageUri: slow.reference }]),
            });
          } finally {
            harness.setMirrorTimeout(harness.macroStack().mirrorFunction.timeoutSeconds * 1000);
            await harness.setMirrorRegistryEndpoint('quay.io', undefined);
            await throttled.stop();
          }

          await expectMirroredImage(harness, deployment, 'SlowFunction', {
            source: slow,
            repository: 'sysdig-image-fix/quay.io/e2e/slow-copy',
            architecture: 'x86_64',
          });
          expectAnsweredOnce(harness, deployment.requests[0]!);
          const continuations = deployment.invocations.filter((invocation) => invocation.source === 'lambda-api');
          expect(continuations.length).toBeGreaterThan(0);
          expect(deployment.invocations.filter((invocation) => invocation.source === 'cloudformation')).toHaveLength(1);
          expectCopies(harness, deployment, 1);
          // Every layer went up once: a continuation asks ECR what it holds and sends only the rest.
          const layerBytes = slow.generated.blobs.reduce((sum, blob) => sum + blob.size, 0);
          expect(harness.ecrProxy.pushedBlobBytes('sysdig-image-fix/quay.io/e2e/slow-copy')).toBeLessThan(2 * layerBytes);
        },
        SCENARIO_TIMEOUT_MS,
      );
    }

    it(
      'with IMMUTABLE repositories (macro stack parameter), both architectures of one tag are mirrored',
      async () => {
        const frozen = await harness.pushSource('quay.io/e2e/frozen:1.0', MULTI_ARCH_WITH_ATTESTATION);
        const repository = 'sysdig-image-fix/quay.io/e2e/frozen';
        await harness.setMacroStackParameters({ ImageTagMutability: 'IMMUTABLE' });
        try {
          for (const architecture of ['x86_64', 'arm64'] as const) {
            const deployment = await harness.deployer.createStack(`frozen-${architecture.replace('_', '-')}`, {
              template: lambdaTemplate([{ logicalId: 'FrozenFunction', imageUri: frozen.reference, architecture }]),
            });
            await expectMirroredImage(harness, deployment, 'FrozenFunction', { source: frozen, repository, architecture });
          }
          // Content-addressed tags (sha256-<platform digest hex>): the second architecture cannot collide with the first.
          const tags = (['x86_64', 'arm64'] as const).map((architecture) => platformDigest(frozen, architecture).replace(':', '-'));
          expect((await listTags(harness.target.url, repository, harness.ecrCredentials)).sort()).toEqual([...tags].sort());
        } finally {
          await harness.setMacroStackParameters({});
        }
      },
      SCENARIO_TIMEOUT_MS,
    );

    it(
      'with IMMUTABLE repositories, an upstream tag that moved (a rebuilt 1.27) is mirrored again under its new digest',
      async () => {
        const reference = 'quay.io/e2e/rebuilt:1.27';
        const repository = 'sysdig-image-fix/quay.io/e2e/rebuilt';
        const template = lambdaTemplate([{ logicalId: 'RebuiltFunction', imageUri: reference }]);
        await harness.setMacroStackParameters({ ImageTagMutability: 'IMMUTABLE' });
        try {
          const before = await harness.pushSource(reference, MULTI_ARCH_WITH_ATTESTATION);
          const first = await harness.deployer.createStack('rebuilt-before', { template });
          await expectMirroredImage(harness, first, 'RebuiltFunction', { source: before, repository, architecture: 'x86_64' });

          const after = await harness.pushSource(reference, MULTI_ARCH_WITH_ATTESTATION);
          const second = await harness.deployer.createStack('rebuilt-after', { template });
          await expectMirroredImage(harness, second, 'RebuiltFunction', { source: after, repository, architecture: 'x86_64' });
          expect(platformDigest(after, 'x86_64')).not.toBe(platformDigest(before, 'x86_64'));
          // Both images stay, each under its own tag: the first stack's function keeps running its image.
          const tags = [before, after].map((image) => platformDigest(image, 'x86_64').replace(':', '-'));
          expect((await listTags(harness.target.url, repository, harness.ecrCredentials)).sort()).toEqual([...tags].sort());
        } finally {
          await harness.setMacroStackParameters({});
        }
      },
      SCENARIO_TIMEOUT_MS,
    );

    it(
      `the ResponseURL never reaches ${engine === 'codebuild' ? 'a build environment, a build log or ' : ''}a function log`,
      async () => {
        const probe = await harness.pushSource('quay.io/e2e/leak-probe:1.0', AMD64_ONLY);
        const deployment = await harness.deployer.createStack('leak-probe', {
          template: lambdaTemplate([{ logicalId: 'ProbeFunction', imageUri: probe.reference }]),
        });
        await expectMirroredImage(harness, deployment, 'ProbeFunction', {
          source: probe,
          repository: 'sysdig-image-fix/quay.io/e2e/leak-probe',
          architecture: 'x86_64',
        });
        // Covers every URL issued and every build run in this file so far, including this deployment's.
        const checked = expectResponseUrlsKeptSecret(harness);
        expect(checked.urls).toBeGreaterThan(0);
        if (engine === 'codebuild') expect(harness.codeBuild.allBuilds().length).toBeGreaterThan(0);
      },
      SCENARIO_TIMEOUT_MS,
    );
  },
);
