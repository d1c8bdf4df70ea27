// End to end, the opt-in options beyond Lambda (issue 12) on Sysdig's real templates, deployed in ap-northeast-1:
//   - the instrumentation template with `MirrorParameters: [SysdigWorkloadAgentImage]`: the patcher is mirrored as
//     linux/amd64 (as without the option), the workload agent as its whole multi-arch index with attestations
//     (digest preserved) and the patcher's SYSDIG_WORKLOAD_AGENT_IMAGE reads that mirror; a new agent tag moves it;
//     deleting the stack keeps every image;
//   - the orchestrator agent template with `Ecs: true`: its task definition's container image is mirrored as one
//     platform (X86_64 by default, ARM64 from RuntimePlatform) and the task definition CloudFormation would register
//     names the mirror;
//   - without the options, both deploy as before the issue: no extra mirror, the agent image stays a plain string.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readManifest } from '../support/oci-reader.js';
import { haveTools, TOOLS } from '../support/tools.js';
import {
  AMD64_ONLY,
  DOCKER_MULTI_ARCH,
  instrumentationTemplate,
  lambdaTemplate,
  MULTI_ARCH_WITH_ATTESTATION,
  orchestratorTemplate,
  withoutTransform,
  withSysdigImageFix,
} from './fixtures.js';
import {
  describeDeployment,
  expectAnsweredOnce,
  expectCleanInvocations,
  expectCopies,
  expectMirroredImage,
  expectNoMirrorUntagged,
  expectPlatformImageAt,
  expectPublishedImageAt,
  mirrorReadBy,
  platformDigest,
  resolvedPropertiesOf,
} from './harness/checks.js';
import type { Deployment } from './harness/deploy.js';
import { startHarness, type Harness, type SourceImage } from './harness/harness.js';
import type { JsonObject } from './harness/intrinsics.js';
import { COPY_ENGINES } from '../../src/contract.js';
import { TOOL_TEST_TIMEOUT_MS } from '../support/timeouts.js';

/** Only bounds a hang: the project's limit for tests that run tools (a busy host may take minutes). */
const SCENARIO_TIMEOUT_MS = TOOL_TEST_TIMEOUT_MS;
const REGION = 'ap-northeast-1';
const PATCHER = 'quay.io/sysdig/serverless-patcher:5.0.1';
const AGENT = 'quay.io/sysdig/workload-agent:5.0.1';
/** The next agent release as a Docker manifest list (no attestations), then one as a single manifest (no index). */
const AGENT_NEXT = 'quay.io/sysdig/workload-agent:5.0.2';
const AGENT_SINGLE = 'quay.io/sysdig/workload-agent:5.0.3-amd64';
const ORCHESTRATOR = 'quay.io/sysdig/orchestrator-agent:5.0.1';
const PATCHER_REPOSITORY = 'sysdig-image-fix/quay.io/sysdig/serverless-patcher';
const AGENT_REPOSITORY = 'sysdig-image-fix/quay.io/sysdig/workload-agent';
const ORCHESTRATOR_REPOSITORY = 'sysdig-image-fix/quay.io/sysdig/orchestrator-agent';
const AGENT_VARIABLE = 'SYSDIG_WORKLOAD_AGENT_IMAGE';

const instrumentation = instrumentationTemplate();
const orchestrator = orchestratorTemplate();

function resourcesOf(template: JsonObject | undefined): JsonObject {
  return (template?.Resources ?? {}) as JsonObject;
}

function mirrorsOf(deployment: Deployment): Record<string, JsonObject> {
  return Object.fromEntries(
    Object.entries(resourcesOf(deployment.processedTemplate)).filter(([, resource]) => (resource as JsonObject).Type === 'Custom::ImageMirror'),
  ) as Record<string, JsonObject>;
}

function propertiesOf(template: JsonObject | undefined, logicalId: string): JsonObject {
  return (resourcesOf(template)[logicalId] as JsonObject).Properties as JsonObject;
}

/** What the patcher function's environment reads (processed template) and holds (resolved) for the agent image. */
function agentVariable(deployment: Deployment): { site: unknown; value: unknown } {
  const fn = instrumentation.patcherFunction;
  const site = ((propertiesOf(deployment.processedTemplate, fn).Environment as JsonObject).Variables as JsonObject)[AGENT_VARIABLE];
  const value = ((resolvedPropertiesOf(deployment, fn).Environment as JsonObject).Variables as JsonObject)[AGENT_VARIABLE];
  return { site, value };
}

/** The first container of a task definition: in the processed template and as CloudFormation would register it. */
function containerOf(deployment: Deployment): { site: JsonObject; resolved: JsonObject } {
  const id = orchestrator!.taskDefinition;
  const site = (propertiesOf(deployment.processedTemplate, id).ContainerDefinitions as JsonObject[])[0]!;
  const resolved = (resolvedPropertiesOf(deployment, id).ContainerDefinitions as JsonObject[])[0]!;
  expect(resolved.Name).toBe(orchestrator!.container);
  return { site, resolved };
}

/** Blob bytes of one platform of a generated image (its config and layers): what a one-platform copy uploads. */
function platformBlobBytes(source: SourceImage, platform: 'linux/amd64' | 'linux/arm64'): number {
  const manifest = source.generated.platforms[platform]!.json as { config: { size: number }; layers: Array<{ size: number }> };
  return manifest.config.size + manifest.layers.reduce((sum, layer) => sum + layer.size, 0);
}

describe.skipIf(!haveTools(TOOLS.registry, TOOLS.skopeo, TOOLS.htpasswd, TOOLS.moto, TOOLS.samTranslator, TOOLS.awsCli, TOOLS.jq)).each(COPY_ENGINES)(
  `End to end in ${REGION} (CopyEngine %s): Sysdig's image parameters and ECS task images, mirrored on request`,
  (engine) => {
    let harness: Harness;
    let patcher: SourceImage;
    let agent: SourceImage;
    let agentNext: SourceImage;
    let agentSingle: SourceImage;
    let orchestratorImage: SourceImage;
    /** Parameters of the instrumentation stack: the patcher and the agent on the registry standing in for Quay. */
    let instrumentationParameters: Record<string, string>;

    beforeAll(async () => {
      harness = await startHarness({ region: REGION, copyEngine: engine });
      const push = (reference: string, shape = MULTI_ARCH_WITH_ATTESTATION): Promise<SourceImage> => harness.pushSource(reference, shape);
      [patcher, agent, agentNext, agentSingle, orchestratorImage] = await Promise.all([
        push(PATCHER),
        push(AGENT),
        push(AGENT_NEXT, DOCKER_MULTI_ARCH),
        push(AGENT_SINGLE, AMD64_ONLY),
        push(ORCHESTRATOR),
      ]);
      instrumentationParameters = { ...instrumentation.parameters, SysdigServerlessPatcherImage: PATCHER, SysdigWorkloadAgentImage: AGENT };
    });

    afterAll(async () => {
      const pids = harness?.pids() ?? [];
      await harness?.stop();
      for (const pid of pids) expect(() => process.kill(pid, 0), `server process ${pid} outlived the harness`).toThrow();
    });

    describe('without the options, both templates deploy as before', () => {
      it(
        'instrumentation: only the patcher is mirrored (linux/amd64); the agent image stays the Quay string',
        async () => {
          const deployment = await harness.deployer.createStack('instrumentation-plain', { template: instrumentation.template, parameters: instrumentationParameters });

          await expectMirroredImage(harness, deployment, instrumentation.patcherFunction, { source: patcher, repository: PATCHER_REPOSITORY, architecture: 'x86_64' });
          // The macro's output is the template with exactly one change and one addition.
          const [mirrorId, ...others] = Object.keys(mirrorsOf(deployment));
          expect(others).toEqual([]);
          const expected = withoutTransform(instrumentation.template);
          ((resourcesOf(expected)[instrumentation.patcherFunction] as JsonObject).Properties as JsonObject).Code = { ImageUri: { 'Fn::GetAtt': [mirrorId!, 'ImageUri'] } };
          resourcesOf(expected)[mirrorId!] = resourcesOf(deployment.processedTemplate)[mirrorId!]!;
          expect(deployment.processedTemplate).toEqual(expected);
          expect(propertiesOf(deployment.processedTemplate, mirrorId!).Platforms).toBeUndefined();
          expect(agentVariable(deployment)).toEqual({ site: { Ref: 'SysdigWorkloadAgentImage' }, value: AGENT });
          expect(deployment.requests.map((request) => [request.requestType, request.logicalId, request.answer?.Status])).toEqual([['Create', mirrorId, 'SUCCESS']]);
          // Nothing of the agent was copied; of the patcher only its amd64 image.
          expect(harness.ecrProxy.registered().filter((entry) => entry.repository === AGENT_REPOSITORY)).toEqual([]);
          expect(harness.ecrProxy.registered().map((entry) => [entry.repository, entry.digest])).toEqual([[PATCHER_REPOSITORY, platformDigest(patcher, 'x86_64')]]);
        },
        SCENARIO_TIMEOUT_MS,
      );

      it.skipIf(orchestrator === undefined)(
        'orchestrator agent: the macro changes nothing, no mirror, no build; the task pulls from Quay',
        async () => {
          const deployment = await harness.deployer.createStack('orchestrator-plain', { template: orchestrator!.template, parameters: orchestrator!.parameters });

          expect(deployment.status, describeDeployment(deployment)).toBe('CREATE_COMPLETE');
          expect(deployment.processedTemplate).toEqual(withoutTransform(orchestrator!.template));
          expect(deployment.requests).toEqual([]);
          expect(deployment.builds).toEqual([]);
          expect(containerOf(deployment).resolved.Image).toBe(ORCHESTRATOR);
        },
        SCENARIO_TIMEOUT_MS,
      );
    });

    describe('instrumentation with MirrorParameters: [SysdigWorkloadAgentImage]', () => {
      const stackName = 'instrumentation-agent';
      const template = withSysdigImageFix(instrumentation.template, { MirrorParameters: ['SysdigWorkloadAgentImage'] });
      let created: Deployment | undefined;
      let mirrorIds: { patcher: string; agent: string } | undefined;

      it(
        'create: the patcher as linux/amd64, the agent as its whole index with attestations, digest equal to the source',
        async () => {
          const deployment = await harness.deployer.createStack(stackName, { template, parameters: instrumentationParameters });

          await expectMirroredImage(harness, deployment, instrumentation.patcherFunction, { source: patcher, repository: PATCHER_REPOSITORY, architecture: 'x86_64' });
          const ids = {
            patcher: mirrorReadBy((propertiesOf(deployment.processedTemplate, instrumentation.patcherFunction).Code as JsonObject).ImageUri),
            agent: mirrorReadBy(agentVariable(deployment).site),
          };
          expect(ids.agent).not.toBe(ids.patcher);
          expect(Object.keys(mirrorsOf(deployment)).sort()).toEqual([ids.agent, ids.patcher].sort());
          // The agent runs in tasks of any architecture: copied as published, never one platform.
          const agentMirror = propertiesOf(deployment.processedTemplate, ids.agent);
          expect(agentMirror).toMatchObject({ SourceImage: { Ref: 'SysdigWorkloadAgentImage' }, Platforms: 'all' });
          expect(agentMirror.Architecture).toBeUndefined();
          const patcherMirror = propertiesOf(deployment.processedTemplate, ids.patcher);
          expect(patcherMirror).toMatchObject({ SourceImage: { Ref: 'SysdigServerlessPatcherImage' }, Architecture: 'x86_64' });
          expect(patcherMirror.Platforms).toBeUndefined();

          expect(deployment.requests.map((request) => [request.requestType, request.logicalId, request.answer?.Status]).sort()).toEqual(
            [
              ['Create', ids.agent, 'SUCCESS'],
              ['Create', ids.patcher, 'SUCCESS'],
            ].sort(),
          );
          for (const request of deployment.requests) expectAnsweredOnce(harness, request);
          const agentAnswer = deployment.requests.find((request) => request.logicalId === ids.agent)!.answer!.Data!;
          const agentUri = `${harness.ecrHost}/${AGENT_REPOSITORY}@${agent.pushed.digest}`;
          expect(agentAnswer).toMatchObject({ ImageUri: agentUri, ImageDigest: agent.pushed.digest, Platform: 'all' });

          // THE check of this option: the value the patcher function is created with names the mirrored index.
          const { value } = agentVariable(deployment);
          expect(value).toBe(agentUri);
          const published = await expectPublishedImageAt(harness, value as string, { source: agent, repository: AGENT_REPOSITORY });
          expect(published).toMatchObject({ digest: agent.pushed.digest, children: 4, attestations: 2 });
          // Every manifest of the source, and nothing else, was registered in ECR: the index and its four children.
          const agentDigests = harness.ecrProxy
            .registered()
            .filter((entry) => entry.repository === AGENT_REPOSITORY)
            .map((entry) => entry.digest);
          expect(new Set(agentDigests)).toEqual(new Set([agent.pushed.digest, ...agent.generated.children.map((child) => child.digest)]));
          // The patcher still has only its amd64 image in ECR (the plain deployment above copied it; this one reused it).
          expect(
            new Set(
              harness.ecrProxy
                .registered()
                .filter((entry) => entry.repository === PATCHER_REPOSITORY)
                .map((entry) => entry.digest),
            ),
          ).toEqual(new Set([platformDigest(patcher, 'x86_64')]));
          // Bytes: the whole index (both platforms and their attestations) against one platform of the same shape.
          const bytes = { index: harness.ecrProxy.pushedBlobBytes(AGENT_REPOSITORY), onePlatform: harness.ecrProxy.pushedBlobBytes(PATCHER_REPOSITORY) };
          console.info(`[e2e] blob bytes pushed: workload agent (whole index) ${bytes.index}, patcher (linux/amd64) ${bytes.onePlatform}`);
          expect(bytes).toEqual({ index: published.blobBytes, onePlatform: platformBlobBytes(patcher, 'linux/amd64') });
          // The rest of the patcher's environment is as the template resolves it.
          expect((resolvedPropertiesOf(deployment, instrumentation.patcherFunction).Environment as JsonObject).Variables).toMatchObject({
            SYSDIG_ORCHESTRATOR_HOST: instrumentationParameters.SysdigOrchestratorAgentHost,
          });
          created = deployment;
          mirrorIds = ids;
        },
        SCENARIO_TIMEOUT_MS,
      );

      it(
        'the same agent image as a Lambda function image: its linux/amd64 mirror gets its own tag beside the whole index',
        async () => {
          expect(created?.status, 'the create scenario must have passed').toBe('CREATE_COMPLETE');
          const deployment = await harness.deployer.createStack('agent-as-function', {
            template: lambdaTemplate([{ logicalId: 'AgentFunction', imageUri: AGENT, architecture: 'x86_64' }]),
          });

          await expectMirroredImage(harness, deployment, 'AgentFunction', { source: agent, repository: AGENT_REPOSITORY, architecture: 'x86_64' });
          // Both kinds of mirror of quay.io/sysdig/workload-agent:5.0.1 keep a tag of their own (issue 16: they shared
          // 5.0.1, and the later build left the other image untagged). The platform was already in the repository, as
          // a child of the index, without a tag: the build gave it one.
          const tags = await expectNoMirrorUntagged(harness, AGENT_REPOSITORY);
          expect(Object.fromEntries(tags)).toEqual({ '5.0.1': platformDigest(agent, 'x86_64'), '5.0.1-all': agent.pushed.digest });
        },
        SCENARIO_TIMEOUT_MS,
      );

      it(
        'update with a new agent tag (a Docker manifest list): the agent mirror moves to it; the patcher mirror is not touched',
        async () => {
          expect(created?.status, 'the create scenario must have passed').toBe('CREATE_COMPLETE');
          const updated = await harness.deployer.updateStack(stackName, {
            template,
            parameters: { ...instrumentationParameters, SysdigWorkloadAgentImage: AGENT_NEXT },
          });

          await expectMirroredImage(harness, updated, instrumentation.patcherFunction, { source: patcher, repository: PATCHER_REPOSITORY, architecture: 'x86_64' });
          expect(agent.pushed.digest).not.toBe(agentNext.pushed.digest);
          const { value } = agentVariable(updated);
          expect(value).toBe(`${harness.ecrHost}/${AGENT_REPOSITORY}@${agentNext.pushed.digest}`);
          await expectPublishedImageAt(harness, value as string, { source: agentNext, repository: AGENT_REPOSITORY });
          // An Update of the agent mirror (a new physical id: the new image), then the old one's Delete, which keeps it.
          // The patcher mirror's properties did not change: CloudFormation sends it nothing.
          const oldPhysicalId = created!.mirrors.find((mirror) => mirror.logicalId === mirrorIds!.agent)!.physicalId;
          expect(updated.requests.map((request) => [request.requestType, request.logicalId, request.answer?.Status])).toEqual([
            ['Update', mirrorIds!.agent, 'SUCCESS'],
            ['Delete', mirrorIds!.agent, 'SUCCESS'],
          ]);
          expect(updated.requests[0]!.answer!.PhysicalResourceId).not.toBe(oldPhysicalId);
          expect(updated.requests[1]!.event.PhysicalResourceId).toBe(oldPhysicalId);
          for (const request of updated.requests) expectAnsweredOnce(harness, request);
          // The old index stays: tasks started from the old value may still pull it.
          await expectPublishedImageAt(harness, `${harness.ecrHost}/${AGENT_REPOSITORY}@${agent.pushed.digest}`, { source: agent, repository: AGENT_REPOSITORY });
        },
        SCENARIO_TIMEOUT_MS,
      );

      it(
        'update to an agent published as one manifest (no index): that manifest is mirrored as it is, digest kept',
        async () => {
          expect(created?.status, 'the create scenario must have passed').toBe('CREATE_COMPLETE');
          expect(agentSingle.generated.index).toBeUndefined();
          const updated = await harness.deployer.updateStack(stackName, {
            template,
            parameters: { ...instrumentationParameters, SysdigWorkloadAgentImage: AGENT_SINGLE },
          });

          expect(updated.status, describeDeployment(updated)).toBe('UPDATE_COMPLETE');
          expectCleanInvocations(updated);
          const { value } = agentVariable(updated);
          const published = await expectPublishedImageAt(harness, value as string, { source: agentSingle, repository: AGENT_REPOSITORY });
          expect(published).toMatchObject({ digest: agentSingle.pushed.digest, children: 0 });
          expect(updated.requests.find((request) => request.requestType !== 'Delete')?.answer?.Data).toMatchObject({
            Platform: 'all',
            ImageDigest: agentSingle.pushed.digest,
          });
          for (const request of updated.requests) expectAnsweredOnce(harness, request);
        },
        SCENARIO_TIMEOUT_MS,
      );

      it(
        "delete: every mirror answers its Delete and keeps its images (the agent's three releases, the patcher)",
        async () => {
          expect(created?.status, 'the create scenario must have passed').toBe('CREATE_COMPLETE');
          const deleted = await harness.deployer.deleteStack(stackName);

          expect(deleted.status, describeDeployment(deleted)).toBe('DELETE_COMPLETE');
          expectCleanInvocations(deleted);
          expect(deleted.requests.map((request) => [request.requestType, request.answer?.Status])).toEqual([
            ['Delete', 'SUCCESS'],
            ['Delete', 'SUCCESS'],
          ]);
          for (const request of deleted.requests) expectAnsweredOnce(harness, request);
          expect(deleted.builds).toEqual([]);
          for (const source of [agent, agentNext, agentSingle]) {
            await expectPublishedImageAt(harness, `${harness.ecrHost}/${AGENT_REPOSITORY}@${source.pushed.digest}`, { source, repository: AGENT_REPOSITORY });
          }
          const digest = platformDigest(patcher, 'x86_64');
          expect((await readManifest(harness.target.url, PATCHER_REPOSITORY, digest, harness.ecrCredentials)).digest).toBe(digest);
        },
        SCENARIO_TIMEOUT_MS,
      );
    });

    it(
      'opting in on a stack deployed without the option: one Create for the agent mirror, the patcher mirror untouched',
      async () => {
        const updated = await harness.deployer.updateStack('instrumentation-plain', {
          template: withSysdigImageFix(instrumentation.template, { MirrorParameters: ['SysdigWorkloadAgentImage'] }),
          parameters: instrumentationParameters,
        });

        await expectMirroredImage(harness, updated, instrumentation.patcherFunction, { source: patcher, repository: PATCHER_REPOSITORY, architecture: 'x86_64' });
        const agentMirror = mirrorReadBy(agentVariable(updated).site);
        expect(updated.requests.map((request) => [request.requestType, request.logicalId, request.answer?.Status])).toEqual([['Create', agentMirror, 'SUCCESS']]);
        expectAnsweredOnce(harness, updated.requests[0]!);
        // That index is in ECR already (the stack above mirrored it): answered from ECR, without a build.
        expect(updated.builds).toEqual([]);
        await expectPublishedImageAt(harness, agentVariable(updated).value as string, { source: agent, repository: AGENT_REPOSITORY });
      },
      SCENARIO_TIMEOUT_MS,
    );

    describe.skipIf(orchestrator === undefined)('orchestrator agent with Ecs: true', () => {
      it(
        "template option: the task's Quay image is mirrored as linux/amd64 (no RuntimePlatform) and the task definition names the mirror",
        async () => {
          // The same stack without the option first (then deleted): physical ids in the task definition name the stack.
          const stackName = 'orchestrator-ecs';
          const plain = await harness.deployer.createStack(stackName, { template: orchestrator!.template, parameters: orchestrator!.parameters });
          expect((await harness.deployer.deleteStack(stackName)).status).toBe('DELETE_COMPLETE');
          const deployment = await harness.deployer.createStack(stackName, {
            template: withSysdigImageFix(orchestrator!.template, { Ecs: true }),
            parameters: orchestrator!.parameters,
          });

          expect(deployment.status, describeDeployment(deployment)).toBe('CREATE_COMPLETE');
          expectCleanInvocations(deployment);
          const { site, resolved } = containerOf(deployment);
          const mirrorId = mirrorReadBy(site.Image);
          expect(Object.keys(mirrorsOf(deployment))).toEqual([mirrorId]);
          const mirror = propertiesOf(deployment.processedTemplate, mirrorId);
          expect(mirror).toMatchObject({ SourceImage: { Ref: 'SysdigOrchestratorAgentImage' }, Architecture: 'x86_64' });
          expect(mirror.Platforms).toBeUndefined();
          expect(deployment.requests.map((request) => [request.requestType, request.logicalId, request.answer?.Status])).toEqual([['Create', mirrorId, 'SUCCESS']]);
          expectAnsweredOnce(harness, deployment.requests[0]!);
          expectCopies(harness, deployment, 1);
          // The execution role is in the template with AmazonECSTaskExecutionRolePolicy: it may pull from ECR, no warning.
          const macroLogs = deployment.invocations.filter((invocation) => invocation.source === 'macro').map((invocation) => invocation.output);
          expect(macroLogs).toHaveLength(1);
          expect(macroLogs[0]).not.toContain('transform warnings');

          // THE check: the image the task definition is registered with.
          await expectPlatformImageAt(harness, resolved.Image as string, { source: orchestratorImage, repository: ORCHESTRATOR_REPOSITORY, architecture: 'x86_64' });
          // Everything else of the task definition is as without the option (execution role, environment, ports...).
          const reference = structuredClone(resolvedPropertiesOf(plain, orchestrator!.taskDefinition));
          (reference.ContainerDefinitions as JsonObject[])[0]!.Image = resolved.Image!;
          expect(resolvedPropertiesOf(deployment, orchestrator!.taskDefinition)).toEqual(reference);
          expect(
            harness.ecrProxy
              .registered()
              .filter((entry) => entry.repository === ORCHESTRATOR_REPOSITORY)
              .map((entry) => entry.digest),
          ).toEqual([platformDigest(orchestratorImage, 'x86_64')]);
        },
        SCENARIO_TIMEOUT_MS,
      );

      it(
        'without ExecutionRoleArn the stack is refused before anything runs, naming the task definition and the fix',
        async () => {
          const template = withSysdigImageFix(orchestrator!.template, { Ecs: true });
          delete propertiesOf(template, orchestrator!.taskDefinition).ExecutionRoleArn;
          const deployment = await harness.deployer.createStack('orchestrator-no-role', { template, parameters: orchestrator!.parameters });

          expect(deployment.status, describeDeployment(deployment)).toBe('VALIDATION_FAILED');
          expect(deployment.statusReason).toContain(orchestrator!.taskDefinition);
          expect(deployment.statusReason).toContain('ExecutionRoleArn');
          expect(deployment.requests).toEqual([]);
          expect(deployment.builds).toEqual([]);
        },
        SCENARIO_TIMEOUT_MS,
      );

      it(
        'an execution role of the template without ECR pull permission: the stack deploys and the macro warns, naming the role',
        async () => {
          const template = withSysdigImageFix(orchestrator!.template, { Ecs: true });
          delete propertiesOf(template, 'SysdigOrchestratorAgentExecutionRole').ManagedPolicyArns;
          const deployment = await harness.deployer.createStack('orchestrator-role-without-pull', { template, parameters: orchestrator!.parameters });

          expect(deployment.status, describeDeployment(deployment)).toBe('CREATE_COMPLETE');
          await expectPlatformImageAt(harness, containerOf(deployment).resolved.Image as string, {
            source: orchestratorImage,
            repository: ORCHESTRATOR_REPOSITORY,
            architecture: 'x86_64',
          });
          const macroLog = deployment.invocations.find((invocation) => invocation.source === 'macro')!.output;
          expect(macroLog).toContain('transform warnings');
          expect(macroLog).toContain('SysdigOrchestratorAgentExecutionRole');
        },
        SCENARIO_TIMEOUT_MS,
      );

      it(
        'resource option on an ARM64 task definition (RuntimePlatform): the linux/arm64 image is mirrored',
        async () => {
          const template = withSysdigImageFix(orchestrator!.template, { Ecs: true }, orchestrator!.taskDefinition);
          propertiesOf(template, orchestrator!.taskDefinition).RuntimePlatform = { CpuArchitecture: 'ARM64', OperatingSystemFamily: 'LINUX' };
          const deployment = await harness.deployer.createStack('orchestrator-ecs-arm64', { template, parameters: orchestrator!.parameters });

          expect(deployment.status, describeDeployment(deployment)).toBe('CREATE_COMPLETE');
          expectCleanInvocations(deployment);
          const { site, resolved } = containerOf(deployment);
          const mirrorId = mirrorReadBy(site.Image);
          expect(propertiesOf(deployment.processedTemplate, mirrorId)).toMatchObject({ Architecture: 'arm64' });
          expect(deployment.requests.map((request) => request.answer?.Data?.Platform)).toEqual(['linux/arm64']);
          await expectPlatformImageAt(harness, resolved.Image as string, { source: orchestratorImage, repository: ORCHESTRATOR_REPOSITORY, architecture: 'arm64' });
        },
        SCENARIO_TIMEOUT_MS,
      );
    });
  },
);
