// End to end: Refresh: true (issue 20). A stack whose function runs a moving tag, deployed three times: the tag moves
// between the first and the second deployment, so the second updates the function to the new digest; the third, with
// no move, still reaches the mirror (its RefreshToken is new) but sends no Update to the function and runs no build.
// Once with the macro (the token is the macro's requestId), once as the CLI's output deployed directly (the token is
// the generated parameter the deployer sets).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REFRESH_TOKEN_PARAMETER } from '../../src/contract.js';
import { mirrorPointer } from '../../src/ops/references.js';
import { haveTools, TOOLS } from '../support/tools.js';
import { AMD64_ONLY, lambdaTemplate, MACRO } from './fixtures.js';
import { readManifest } from '../support/oci-reader.js';
import { describeDeployment, expectMirroredImage, functionOf, platformDigest } from './harness/checks.js';
import type { Deployment } from './harness/deploy.js';
import { startHarness, type Harness, type SourceImage } from './harness/harness.js';
import { TOOL_TEST_TIMEOUT_MS } from '../support/timeouts.js';

/** Only bounds a hang: the project's limit for tests that run tools. */
const SCENARIO_TIMEOUT_MS = TOOL_TEST_TIMEOUT_MS;
const CLI = new URL('../../dist/cli/index.js', import.meta.url).pathname;
const EXPORT = `${MACRO}-MirrorFunctionArn`;

function requestsOf(deployment: Deployment): string[][] {
  return deployment.requests.map((request) => [request.requestType, request.logicalId, request.answer?.Status ?? 'no answer']);
}

describe.skipIf(!haveTools(TOOLS.registry, TOOLS.skopeo, TOOLS.htpasswd, TOOLS.moto, TOOLS.awsCli, TOOLS.jq))('End to end: Refresh follows a moving tag', () => {
  let harness: Harness;

  beforeAll(async () => {
    harness = await startHarness();
  });

  afterAll(async () => {
    const pids = harness?.pids() ?? [];
    await harness?.stop();
    for (const pid of pids) expect(() => process.kill(pid, 0), `server process ${pid} outlived the harness`).toThrow();
  });

  /** Deploys `deploy(n)` three times, moving the tag before the second; checks what each deployment did. */
  async function threeDeployments(
    reference: string,
    repository: string,
    deploy: (step: 1 | 2 | 3) => Promise<Deployment>,
  ): Promise<{ first: SourceImage; moved: SourceImage; deployments: Deployment[] }> {
    const first = await harness.pushSource(reference, AMD64_ONLY);
    const created = await deploy(1);
    await expectMirroredImage(harness, created, 'Moving', { source: first, repository, architecture: 'x86_64' });

    // The upstream tag moves to a new build.
    const moved = await harness.pushSource(reference, AMD64_ONLY);
    expect(platformDigest(moved, 'x86_64')).not.toBe(platformDigest(first, 'x86_64'));
    const second = await deploy(2);
    await expectMirroredImage(harness, second, 'Moving', { source: moved, repository, architecture: 'x86_64' });
    expect(second.updatedResources, describeDeployment(second)).toEqual(['Moving']);
    expect(second.builds, 'the moved image is copied').toHaveLength(1);
    // The old image stays in the registry (prune removes it once nothing uses it). Read from the registry itself:
    // moto's PutImage of the new image under the tag deletes the one that held it, where ECR keeps it untagged.
    const old = await readManifest(harness.target.url, repository, platformDigest(first, 'x86_64'), harness.ecrCredentials);
    expect(old.digest).toBe(platformDigest(first, 'x86_64'));

    const third = await deploy(3);
    expect(third.status, describeDeployment(third)).toBe('UPDATE_COMPLETE');
    expect(functionOf(third, 'Moving').imageUri).toBe(functionOf(second, 'Moving').imageUri);
    expect(third.updatedResources, 'no Update reaches the function').toEqual([]);
    expect(third.builds, 'an unchanged digest needs no build').toEqual([]);
    return { first, moved, deployments: [created, second, third] };
  }

  it(
    'with the macro: every deployment refreshes; a moved tag updates the function, an unmoved one sends it nothing',
    async () => {
      const repository = 'sysdig-image-fix/quay.io/e2e/moving';
      const template = lambdaTemplate([{ logicalId: 'Moving', imageUri: 'quay.io/e2e/moving:latest' }], { metadata: { SysdigImageFix: { Refresh: true } } });
      const { moved, deployments } = await threeDeployments('quay.io/e2e/moving:latest', repository, (step) =>
        step === 1 ? harness.deployer.createStack('refresh-macro', { template }) : harness.deployer.updateStack('refresh-macro', { template }),
      );
      const [, second, third] = deployments as [Deployment, Deployment, Deployment];
      // The moved image is a new physical id (CloudFormation's replacement): the old one gets its cleanup Delete.
      expect(requestsOf(second).map(([type, , status]) => [type, status])).toEqual([
        ['Update', 'SUCCESS'],
        ['Delete', 'SUCCESS'],
      ]);
      // The third deployment still reaches the mirror (a new token), which answers the same physical id.
      expect(requestsOf(third).map(([type, , status]) => [type, status])).toEqual([['Update', 'SUCCESS']]);
      expect(third.requests[0]!.answer!.PhysicalResourceId).toBe(second.mirrors[0]!.physicalId);
      // What `mirrors` reads from the stack names the function's image.
      const read = mirrorPointer('refresh-macro', { logicalId: third.mirrors[0]!.logicalId, physicalId: third.mirrors[0]!.physicalId, status: 'UPDATE_COMPLETE' });
      expect(read).toEqual({ pointer: expect.objectContaining({ repositoryUri: `${harness.ecrHost}/${repository}`, digest: platformDigest(moved, 'x86_64') }) });
    },
    SCENARIO_TIMEOUT_MS,
  );

  it(
    'the CLI output deployed directly: the generated parameter, set anew each time, refreshes as the macro does',
    async () => {
      if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` first (npm run test:e2e does)`);
      const repository = 'sysdig-image-fix/docker.io/e2e/moving-cli';
      const input = lambdaTemplate([{ logicalId: 'Moving', imageUri: 'docker.io/e2e/moving-cli:stable' }], { metadata: { SysdigImageFix: { Refresh: true } } });
      const cli = spawnSync(process.execPath, [CLI, 'transform', '-', '--region', harness.region, '--account', harness.accountId, '--format', 'json'], {
        input: JSON.stringify(input),
        encoding: 'utf8',
        timeout: TOOL_TEST_TIMEOUT_MS,
        env: Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('AWS_'))),
      });
      expect(cli.status, cli.stderr).toBe(0);
      expect(cli.stderr).toContain(`again only when parameter ${REFRESH_TOKEN_PARAMETER} changes`);
      const output = cli.stdout;
      const imports = { [EXPORT]: harness.macroStack().mirrorFunction.arn };
      const tokens = { 1: '2026-12-05T10:00:00Z', 2: '2026-12-05T11:00:00Z', 3: '2026-12-05T12:00:00Z' } as const;
      const { deployments } = await threeDeployments('docker.io/e2e/moving-cli:stable', repository, (step) => {
        const stack = { template: output, parameters: { [REFRESH_TOKEN_PARAMETER]: tokens[step] }, imports };
        return step === 1 ? harness.deployer.createStack('refresh-cli', stack) : harness.deployer.updateStack('refresh-cli', stack);
      });
      expect(deployments[0]!.transforms, 'a plain template: no macro ran').toEqual([]);

      // The same value again: CloudFormation sees no change and calls nothing.
      const same = await harness.deployer.updateStack('refresh-cli', { template: output, parameters: { [REFRESH_TOKEN_PARAMETER]: tokens[3] }, imports });
      expect(same.status).toBe('UPDATE_COMPLETE');
      expect(same.requests).toEqual([]);
      expect(same.updatedResources).toEqual([]);
    },
    SCENARIO_TIMEOUT_MS,
  );
});
