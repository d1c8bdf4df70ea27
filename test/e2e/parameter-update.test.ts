// End to end: the offline CLI's output, deployed as a plain template (no macro runs), stays right when the stack is
// deployed or updated with other parameter values: the mirror follows the value CloudFormation passes (repository
// named after that image), and two parameters that share a value at transform time never share a mirror.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCfnYaml } from '../../src/cli/cfn-yaml.js';
import { haveTools, TOOLS } from '../support/tools.js';
import { AMD64_ONLY, instrumentationTemplate, lambdaTemplate, MACRO, MULTI_ARCH_WITH_ATTESTATION } from './fixtures.js';
import { describeDeployment, expectAnsweredOnce, expectMirroredImage, functionOf, platformDigest } from './harness/checks.js';
import { startHarness, type Harness, type SourceImage } from './harness/harness.js';
import type { JsonObject } from './harness/intrinsics.js';
import { COPY_ENGINES } from '../../src/contract.js';
import { TOOL_TEST_TIMEOUT_MS } from '../support/timeouts.js';

/** Only bounds a hang: the project's limit for tests that run tools (a busy host may take minutes). */
const SCENARIO_TIMEOUT_MS = TOOL_TEST_TIMEOUT_MS;
const CLI = new URL('../../dist/cli/index.js', import.meta.url).pathname;
const EXPORT = `${MACRO}-MirrorFunctionArn`;

/** `sysdig-image-fix transform - --region R --account A`, the built bundle as a user runs it. */
function cliTransform(harness: Harness, text: string): string {
  const result = spawnSync(process.execPath, [CLI, 'transform', '-', '--region', harness.region, '--account', harness.accountId], {
    input: text,
    encoding: 'utf8',
    timeout: TOOL_TEST_TIMEOUT_MS,
    // No AWS_* variables: the CLI works offline.
    env: Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('AWS_'))),
  });
  expect(result.status, result.stderr).toBe(0);
  return result.stdout;
}

function mirrorsIn(template: string): Record<string, JsonObject> {
  const resources = (parseCfnYaml(template) as { Resources: Record<string, JsonObject> }).Resources;
  return Object.fromEntries(Object.entries(resources).filter(([, resource]) => resource.Type === 'Custom::ImageMirror'));
}

describe.skipIf(!haveTools(TOOLS.registry, TOOLS.skopeo, TOOLS.htpasswd, TOOLS.moto, TOOLS.samTranslator, TOOLS.awsCli, TOOLS.jq)).each(COPY_ENGINES)(
  'End to end (CopyEngine %s): CLI output deployed, then updated with other parameter values',
  (engine) => {
    let harness: Harness;
    let imports: Record<string, string>;

    beforeAll(async () => {
      if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` first (npm run test:e2e does)`);
      harness = await startHarness({ copyEngine: engine });
      // The macro stack exports the mirror function's ARN; the CLI's default ServiceToken imports it.
      imports = { [EXPORT]: harness.macroStack().mirrorFunction.arn };
    });

    afterAll(async () => {
      const pids = harness?.pids() ?? [];
      await harness?.stop();
      for (const pid of pids) expect(() => process.kill(pid, 0), `server process ${pid} outlived the harness`).toThrow();
    });

    it(
      "Sysdig's instrumentation template: a new patcher image from another registry lands in that image's repository",
      async () => {
        const first: SourceImage = await harness.pushSource('quay.io/sysdig/serverless-patcher:5.0.1', MULTI_ARCH_WITH_ATTESTATION);
        const next: SourceImage = await harness.pushSource('ghcr.io/sysdig/serverless-patcher:5.0.2', MULTI_ARCH_WITH_ATTESTATION);
        const { path, parameters, patcherFunction } = instrumentationTemplate();
        // The one line a user adds, then the CLI, offline, with the template's Default for the patcher image.
        const output = cliTransform(harness, `${readFileSync(path, 'utf8').trimEnd()}\nTransform: ${MACRO}\n`);
        expect(Object.values(mirrorsIn(output)).map((mirror) => mirror.Properties)).toEqual([
          expect.objectContaining({ SourceImage: { Ref: 'SysdigServerlessPatcherImage' }, RepositoryPrefix: 'sysdig-image-fix' }),
        ]);

        const created = await harness.deployer.createStack('cli-output', { template: output, parameters, imports });
        // A plain template: no macro ran, the injected resource did the work.
        expect(created.transforms, describeDeployment(created)).toEqual([]);
        await expectMirroredImage(harness, created, patcherFunction, {
          source: first,
          repository: 'sysdig-image-fix/quay.io/sysdig/serverless-patcher',
          architecture: 'x86_64',
        });

        // `aws cloudformation deploy --parameter-overrides SysdigServerlessPatcherImage=ghcr.io/...` on the same output.
        const updated = await harness.deployer.updateStack('cli-output', {
          template: output,
          parameters: { ...parameters, SysdigServerlessPatcherImage: next.reference },
          imports,
        });
        await expectMirroredImage(harness, updated, patcherFunction, {
          source: next,
          repository: 'sysdig-image-fix/ghcr.io/sysdig/serverless-patcher',
          architecture: 'x86_64',
        });
        expect(updated.requests.map((request) => [request.requestType, request.answer?.Status])).toEqual([
          ['Update', 'SUCCESS'],
          ['Delete', 'SUCCESS'],
        ]);
        for (const request of updated.requests) expectAnsweredOnce(harness, request);
      },
      SCENARIO_TIMEOUT_MS,
    );

    it(
      'two parameters with the same value when transformed: updated with another value for one, each function runs its own image',
      async () => {
        const shared: SourceImage = await harness.pushSource('quay.io/e2e/shared-tool:1.0', AMD64_ONLY);
        const other: SourceImage = await harness.pushSource('docker.io/e2e/other-tool:2.0', AMD64_ONLY);
        const template = lambdaTemplate(
          [
            { logicalId: 'First', imageUri: { Ref: 'FirstImage' } },
            { logicalId: 'Second', imageUri: { Ref: 'SecondImage' } },
          ],
          {
            parameters: {
              FirstImage: { Type: 'String', Default: shared.reference },
              SecondImage: { Type: 'String', Default: shared.reference },
            },
          },
        );
        const output = cliTransform(harness, JSON.stringify(template));
        expect(Object.keys(mirrorsIn(output))).toHaveLength(2);

        const created = await harness.deployer.createStack('two-parameters', { template: output, imports });
        for (const fn of ['First', 'Second']) {
          await expectMirroredImage(harness, created, fn, { source: shared, repository: 'sysdig-image-fix/quay.io/e2e/shared-tool', architecture: 'x86_64' });
        }

        const updated = await harness.deployer.updateStack('two-parameters', { template: output, parameters: { SecondImage: other.reference }, imports });
        await expectMirroredImage(harness, updated, 'First', { source: shared, repository: 'sysdig-image-fix/quay.io/e2e/shared-tool', architecture: 'x86_64' });
        await expectMirroredImage(harness, updated, 'Second', { source: other, repository: 'sysdig-image-fix/docker.io/e2e/other-tool', architecture: 'x86_64' });
        expect(functionOf(updated, 'Second').imageUri).toContain(platformDigest(other, 'x86_64'));
      },
      SCENARIO_TIMEOUT_MS,
    );
  },
);
