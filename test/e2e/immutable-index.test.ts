// End to end, IMMUTABLE repositories and a source pinned to an image index digest that the mirror function cannot
// read (its registry endpoint is a closed port; the build still reaches the registry). The build copies the
// index's linux/amd64 child under a tag derived from the index digest. Deployed again, ECR refuses the re-push to
// that tag; the build must see that the tag already holds exactly the index's linux/amd64 child (it expands the
// index first, as its post-copy check does) instead of claiming that the upstream tag moved.
// CopyEngine codebuild only: leaving an unreadable source to the build is that engine's fallback. The function engine
// copies what it reads itself, so an unreadable source fails (failures.test.ts); its IMMUTABLE tags are in deploy.test.ts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../support/loopback.js';
import { haveTools, TOOLS } from '../support/tools.js';
import { lambdaTemplate, MULTI_ARCH_WITH_ATTESTATION } from './fixtures.js';
import { describeDeployment, expectMirroredImage, platformDigest } from './harness/checks.js';
import { ECR_HOST, startHarness, type Harness } from './harness/harness.js';
import { TOOL_TEST_TIMEOUT_MS } from '../support/timeouts.js';

/** Only bounds a hang: the project's limit for tests that run tools (a busy host may take minutes). */
const SCENARIO_TIMEOUT_MS = TOOL_TEST_TIMEOUT_MS;

describe.skipIf(!haveTools(TOOLS.registry, TOOLS.skopeo, TOOLS.htpasswd, TOOLS.moto, TOOLS.samTranslator, TOOLS.awsCli, TOOLS.jq))(
  'End to end (CopyEngine codebuild): IMMUTABLE repositories and a source pinned to an index digest',
  () => {
    let harness: Harness;

    beforeAll(async () => {
      harness = await startHarness({ copyEngine: 'codebuild' });
    });

    afterAll(async () => {
      await harness?.stop();
    });

    it(
      "a second deployment finds the tag already holding the index's amd64 child and succeeds without a push",
      async () => {
        const source = await harness.pushSource('quay.io/e2e/pinned-index:1.0', MULTI_ARCH_WITH_ATTESTATION);
        const pinned = `quay.io/e2e/pinned-index@${source.pushed.digest}`;
        const repository = 'sysdig-image-fix/quay.io/e2e/pinned-index';
        const tag = `${source.pushed.digest.replace(':', '-')}-amd64`;
        const template = lambdaTemplate([{ logicalId: 'PinnedFunction', imageUri: pinned }]);
        await harness.setMacroStackParameters({ ImageTagMutability: 'IMMUTABLE' });
        await harness.setMirrorRegistryEndpoint('quay.io', `http://127.0.0.1:${await freePort()}`);
        try {
          const first = await harness.deployer.createStack('pinned-index-first', { template });
          await expectMirroredImage(harness, first, 'PinnedFunction', { source, repository, architecture: 'x86_64' });
          expect(first.builds.map((build) => [build.overrides.SOURCE_IMAGE, build.overrides.TARGET_IMAGE])).toEqual([[pinned, `${ECR_HOST}/${repository}:${tag}`]]);

          const again = await harness.deployer.createStack('pinned-index-again', { template });
          expect(again.status, describeDeployment(again)).toBe('CREATE_COMPLETE');
          await expectMirroredImage(harness, again, 'PinnedFunction', { source, repository, architecture: 'x86_64' });
          const log = again.builds[0]!.result?.log ?? '';
          expect(log).toContain(`${ECR_HOST}/${repository}:${tag} already holds ${platformDigest(source, 'x86_64')}; nothing to push`);
          expect(log).not.toMatch(/^ERROR: /m);
        } finally {
          await harness.setMirrorRegistryEndpoint('quay.io', undefined);
          await harness.setMacroStackParameters({});
        }
      },
      SCENARIO_TIMEOUT_MS,
    );
  },
);
