// The assertions every scenario shares. THE check: a function's final ImageUri names, in the target registry (read
// with test/support/oci-reader.ts, never the product's client), a single-platform manifest of the function's
// architecture whose digest is the source's own platform digest, pinned by digest only, in the repository the
// naming contract gives. Expected values come from the image generator and from literal names in the scenarios.
import { DescribeImagesCommand } from '@aws-sdk/client-ecr';
import { expect } from 'vitest';
import { SINGLE_MANIFEST_TYPES } from '../../support/media-types.js';
import { ecrClientFor } from '../../support/moto.js';
import { listTags, readBlob, readConfig, readManifest } from '../../support/oci-reader.js';
import type { CustomResourceRequest, DeployedFunction, Deployment } from './deploy.js';
import type { JsonObject } from './intrinsics.js';
import type { Harness, SourceImage } from './harness.js';

const PLATFORM_OF: Record<string, 'linux/amd64' | 'linux/arm64'> = { x86_64: 'linux/amd64', arm64: 'linux/arm64' };

/** A readable summary of a deployment for assertion messages. */
export function describeDeployment(deployment: Deployment): string {
  return JSON.stringify(
    {
      status: deployment.status,
      statusReason: deployment.statusReason,
      transforms: deployment.transforms,
      requests: deployment.requests.map((r) => ({
        type: r.requestType,
        logicalId: r.logicalId,
        status: r.answer?.Status,
        // The full Reason is in statusReason for the failing request; keep the rest readable.
        reason: r.answer?.Reason?.slice(0, 300),
        physicalId: r.answer?.PhysicalResourceId,
        ms: r.answerMs,
        timedOut: r.timedOut,
        problems: r.problems,
      })),
      builds: deployment.builds.map((b) => ({ id: b.id, status: b.status })),
      invocations: deployment.invocations.map((i) => ({ source: i.source, status: i.status, error: i.error })),
    },
    null,
    2,
  );
}

export function functionOf(deployment: Deployment, logicalId: string): DeployedFunction {
  const fn = deployment.functions.find((candidate) => candidate.logicalId === logicalId);
  if (fn === undefined) throw new Error(`no function ${logicalId} in the deployment:\n${describeDeployment(deployment)}`);
  return fn;
}

/** A resource of a successful deployment with its resolved properties (an ECS task definition, a function). */
export function resolvedPropertiesOf(deployment: Deployment, logicalId: string): JsonObject {
  const resource = deployment.resources.find((candidate) => candidate.logicalId === logicalId);
  if (resource === undefined) throw new Error(`no resource ${logicalId} in the deployment:\n${describeDeployment(deployment)}`);
  if (resource.properties === undefined) throw new Error(`the deploy driver could not resolve ${logicalId}: ${resource.unresolved}`);
  return resource.properties;
}

/** The logical id of the ImageMirror a rewritten site reads (`{"Fn::GetAtt": [id, "ImageUri"]}`); fails otherwise. */
export function mirrorReadBy(site: unknown): string {
  expect(site, 'the site reads an ImageMirror ImageUri').toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^ImageMirror[0-9a-f]{8}$/), 'ImageUri'] });
  return (site as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
}

/** The digest of `source`'s runnable manifest for a Lambda architecture (from the generator, not the product). */
export function platformDigest(source: SourceImage, architecture: string): string {
  const digest = source.pushed.platforms[PLATFORM_OF[architecture]!]?.digest;
  if (digest === undefined) throw new Error(`${source.reference} has no ${PLATFORM_OF[architecture]} image`);
  return digest;
}

/** THE check, for one function of a successful deployment. */
export async function expectMirroredImage(
  harness: Harness,
  deployment: Deployment,
  logicalId: string,
  expected: { source: SourceImage; repository: string; architecture: 'x86_64' | 'arm64' },
): Promise<void> {
  expect(deployment.status, describeDeployment(deployment)).toMatch(/^(CREATE|UPDATE)_COMPLETE$/);
  expectCleanInvocations(deployment);
  const fn = functionOf(deployment, logicalId);
  expect(fn.architecture).toBe(expected.architecture);
  await expectPlatformImageAt(harness, fn.imageUri, expected);
}

/**
 * THE check for any image reference a resource ends up with (a function's ImageUri, an ECS container's Image): it
 * names the source's own single-platform manifest of `architecture`, pinned by digest only (never tag@digest), in
 * this account's ECR of this region, in the contract's repository; the registry and ECR (moto) both hold it.
 */
export async function expectPlatformImageAt(
  harness: Harness,
  imageUri: string,
  expected: { source: SourceImage; repository: string; architecture: 'x86_64' | 'arm64' },
): Promise<void> {
  const digest = platformDigest(expected.source, expected.architecture);
  expect(imageUri).toBe(`${harness.ecrHost}/${expected.repository}@${digest}`);

  const manifest = await readManifest(harness.target.url, expected.repository, digest, harness.ecrCredentials);
  expect(manifest.digest).toBe(digest);
  expect(SINGLE_MANIFEST_TYPES).toContain(manifest.mediaType);
  expect(manifest.json.manifests).toBeUndefined();
  const config = await readConfig(harness.target.url, expected.repository, digest, harness.ecrCredentials);
  expect(`${config.os}/${config.architecture}`).toBe(PLATFORM_OF[expected.architecture]);
  await expectKnownToEcr(harness, expected.repository, [digest]);
}

/**
 * The check for an image mirrored as published (`Platforms: all`): `imageUri` names the source's top-level
 * manifest (the index, with its attestation entries) by its own digest; the target holds those exact bytes, every
 * child manifest (each platform and each attestation) and every blob; ECR (moto) knows the index and each child.
 * Returns what the target holds, for the scenario's own numbers.
 */
export async function expectPublishedImageAt(
  harness: Harness,
  imageUri: string,
  expected: { source: SourceImage; repository: string },
): Promise<{ digest: string; mediaType: string; children: number; attestations: number; blobBytes: number }> {
  const { generated } = expected.source;
  expect(imageUri).toBe(`${harness.ecrHost}/${expected.repository}@${generated.digest}`);
  const top = await readManifest(harness.target.url, expected.repository, generated.digest, harness.ecrCredentials);
  expect(top.digest).toBe(generated.digest);
  expect(top.mediaType).toBe(generated.mediaType);
  expect(top.bytes.equals(generated.top.bytes), 'the pushed top-level manifest is byte-identical to the source').toBe(true);
  for (const child of generated.children) {
    const read = await readManifest(harness.target.url, expected.repository, child.digest, harness.ecrCredentials);
    expect(read.bytes.equals(child.bytes), `child ${child.digest} (${child.role}) is byte-identical to the source`).toBe(true);
  }
  for (const blob of generated.blobs) {
    const bytes = await readBlob(harness.target.url, expected.repository, blob.digest, harness.ecrCredentials);
    expect(bytes.length).toBe(blob.size);
  }
  await expectKnownToEcr(harness, expected.repository, [generated.digest, ...generated.children.map((child) => child.digest)]);
  return {
    digest: top.digest,
    mediaType: top.mediaType,
    children: top.json.manifests?.length ?? 0,
    attestations: generated.attestations.length,
    blobBytes: generated.blobs.reduce((sum, blob) => sum + blob.size, 0),
  };
}

/** ECR's control plane (moto) knows these digests in `repository`: Lambda, ECS and the mirror function look there. */
async function expectKnownToEcr(harness: Harness, repository: string, digests: readonly string[]): Promise<void> {
  const ecr = ecrClientFor(harness.moto, harness.region);
  try {
    const described = await ecr.send(new DescribeImagesCommand({ repositoryName: repository, imageIds: digests.map((imageDigest) => ({ imageDigest })) }));
    expect(described.imageDetails?.map((image) => image.imageDigest).sort()).toEqual([...digests].sort());
  } finally {
    ecr.destroy();
  }
}

/**
 * Every function invocation of the deployment ended normally: none threw, none ran into its timeout (either would
 * make Lambda retry an asynchronous invocation, and the retry could answer CloudFormation a second time).
 */
export function expectCleanInvocations(deployment: Deployment): void {
  expect(deployment.leftRunning, 'builds or invocations still running after the operation').toEqual({ builds: 0, invocations: 0 });
  const unclean = deployment.invocations.filter((invocation) => invocation.status !== 'ok' || invocation.attempt > 1);
  expect(
    unclean.map((invocation) => ({ source: invocation.source, status: invocation.status, attempt: invocation.attempt, error: invocation.error })),
    describeDeployment(deployment),
  ).toEqual([]);
}

/**
 * Who copied, per engine: `copies` successful CodeBuild builds with the CodeBuild engine; with the function engine,
 * no build started at all (the function copied itself) and every copy it made is registered in ECR.
 */
export function expectCopies(harness: Harness, deployment: Deployment, copies: number): void {
  if (harness.copyEngine === 'codebuild') {
    expect(deployment.builds.map((build) => build.status)).toEqual(Array.from({ length: copies }, () => 'SUCCEEDED'));
    return;
  }
  expect(deployment.startBuildCalls).toEqual([]);
  expect(deployment.builds).toEqual([]);
}

/** The accepted answers CloudFormation got for one request: exactly one is the contract. */
export function expectAnsweredOnce(harness: Harness, request: CustomResourceRequest): void {
  const answers = harness.responses.answersFor(request.requestId);
  expect(answers, `answers for ${request.requestType} ${request.logicalId}`).toHaveLength(1);
  expect(request.problems).toEqual([]);
}

/** Everything a build exposes or writes, and everything the functions logged. */
function exposedText(harness: Harness): Array<{ where: string; text: string }> {
  const places: Array<{ where: string; text: string }> = [];
  for (const call of harness.codeBuild.startRequests()) {
    places.push({ where: `StartBuild overrides (${call.buildId ?? call.outcome})`, text: JSON.stringify(call.environmentVariablesOverride) });
  }
  for (const build of harness.codeBuild.allBuilds()) {
    places.push({ where: `environment of build ${build.id}`, text: JSON.stringify(build.environment) });
    places.push({ where: `log of build ${build.id}`, text: build.result?.log ?? '' });
  }
  places.push({ where: 'CloudWatch Logs', text: harness.logs.allText() });
  for (const invocation of harness.lambda.allInvocations()) {
    places.push({ where: `log of ${invocation.functionName} invocation ${invocation.id} (${invocation.source})`, text: invocation.output });
  }
  for (const call of harness.aws.calls()) {
    if (call.service === 'codebuild' || call.service === 'logs') places.push({ where: `${call.service}.${call.operation} request`, text: JSON.stringify(call.input) });
  }
  return places;
}

/** No issued ResponseURL (nor its signature) appears in any build environment, build log or function log. */
export function expectResponseUrlsKeptSecret(harness: Harness): { urls: number; places: number } {
  const issued = harness.responses.issued();
  const places = exposedText(harness);
  for (const url of issued) {
    for (const place of places) {
      expect(place.text.includes(url.signature), `the ResponseURL signature of request ${url.requestId} leaked into ${place.where}`).toBe(false);
      expect(place.text.includes(url.url), `the ResponseURL of request ${url.requestId} leaked into ${place.where}`).toBe(false);
    }
  }
  return { urls: issued.length, places: places.length };
}

/**
 * Every image pushed into `repository` under a tag still has one (issue 16: two kinds of mirror shared a tag, and the
 * later build left the earlier image untagged, which "expire untagged" lifecycle rules delete). Returns tag -> digest.
 */
export async function expectNoMirrorUntagged(harness: Harness, repository: string): Promise<Map<string, string>> {
  const tags = await listTags(harness.target.url, repository, harness.ecrCredentials);
  const held = new Map<string, string>();
  for (const tag of tags) held.set(tag, (await readManifest(harness.target.url, repository, tag, harness.ecrCredentials)).digest);
  const pushedUnderTag = harness.ecrProxy.registered().filter((entry) => entry.repository === repository && !entry.reference.startsWith('sha256:'));
  expect(pushedUnderTag.length).toBeGreaterThan(0);
  for (const entry of pushedUnderTag) expect([...held.values()], `${entry.digest} (pushed as ${entry.reference}) lost its tag`).toContain(entry.digest);
  return held;
}
