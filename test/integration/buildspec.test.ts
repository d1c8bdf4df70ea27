// The deployed CodeBuild job (the compact form of src/mirror/buildspec.yaml that template.yaml carries; see
// test/support/buildspec-under-test.ts) run by the local buildspec runner with the
// real skopeo between real local registries: a source standing in for quay.io / docker.io, a private source
// registry, and a target standing in for ECR whose htpasswd user is moto's ECR token. `aws` calls go to moto_server.
// Expected digests come from the test image generator, and results are read back with the test-side registry reader.
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { spawnSync } from 'node:child_process';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseImageReference, targetRepositoryName, targetTag } from '../../src/reference/index.js';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { runBuildspec, runBuildspecText, shellQuote, type BuildResult } from '../support/buildspec-runner.js';
import { buildspecUnderTestPath } from '../support/buildspec-under-test.js';
import { generateImage, pushImage, type GenerateImageOptions, type PlatformKey, type PushedImage } from '../support/images.js';
import { SINGLE_MANIFEST_TYPES } from '../support/media-types.js';
import { MOTO_ACCOUNT_ID, MOTO_CREDENTIALS, motoEcrCredentials, startMoto, type EcrCredentials, type LocalMoto } from '../support/moto.js';
import { listRepositories, listTags, readConfig, readManifest, readStoredImage, tryReadManifest } from '../support/oci-reader.js';
import { startRegistry, type LocalRegistry, type RegistryAuth } from '../support/registry.js';
import { createSkopeoShim, type SkopeoCall, type SkopeoShim } from '../support/skopeo-shim.js';
import { TOOL_TEST_TIMEOUT_MS } from '../support/timeouts.js';
import { haveTools, TOOLS } from '../support/tools.js';

const BUILDSPEC = buildspecUnderTestPath();
const REGION = 'ap-northeast-1';
const ECR_HOST = `${MOTO_ACCOUNT_ID}.dkr.ecr.${REGION}.amazonaws.com`;
/** A private registry host of the kind an organisation would use (mapped to a local registry with htpasswd). */
const PRIVATE_HOST = 'registry.example.com';
/** Private ECR sources that need an ECR token of their own region (one local registry with the token's htpasswd). */
const SOURCE_ECR_REGION = 'eu-west-1';
const OTHER_REGION_ECR_HOST = `${MOTO_ACCOUNT_ID}.dkr.ecr.${SOURCE_ECR_REGION}.amazonaws.com`;
const FIPS_ECR_HOST = `210987654321.dkr.ecr-fips.${REGION}.amazonaws.com`;
const PATCHER = 'sysdig/serverless-patcher';
const BUILD_TIMEOUT_MS = 120_000;
/** Only bounds a hang (the builds themselves have BUILD_TIMEOUT_MS): the project's limit for tests that run tools. */
const TEST_TIMEOUT_MS = TOOL_TEST_TIMEOUT_MS;

const ARCHITECTURES = [
  { architecture: 'x86_64', platform: 'linux/amd64', other: 'linux/arm64' },
  { architecture: 'arm64', platform: 'linux/arm64', other: 'linux/amd64' },
] as const satisfies ReadonlyArray<{ architecture: string; platform: PlatformKey; other: PlatformKey }>;

interface Fixture {
  moto: LocalMoto;
  ecr: EcrCredentials;
  source: LocalRegistry;
  privateSource: LocalRegistry;
  privateAuth: RegistryAuth;
  /** Stands in for OTHER_REGION_ECR_HOST and FIPS_ECR_HOST; its htpasswd user is the ECR token of SOURCE_ECR_REGION. */
  ecrSource: LocalRegistry;
  target: LocalRegistry;
  shim: SkopeoShim;
  scratch: string;
}

interface MirrorRun {
  result: BuildResult;
  /** skopeo calls made by this build only. */
  calls: SkopeoCall[];
}

let fixture: Fixture;
let caseNumber = 0;

/** A target reference per the naming contract, under a prefix unique to the test so repositories never mix. */
function targetFor(sourceImage: string): { image: string; repository: string; tag: string } {
  const ref = parseImageReference(sourceImage);
  const repository = targetRepositoryName(ref, `case-${++caseNumber}`);
  const tag = targetTag(ref);
  return { image: `${ECR_HOST}/${repository}:${tag}`, repository, tag };
}

/**
 * Runs the buildspec as CodeBuild would with these StartBuild environment overrides (`text`: another buildspec;
 * `firstOnPath`: a directory put before the skopeo shim, e.g. with a wrapper that changes the world mid-build).
 */
async function runMirror(overrides: Record<string, string>, text?: string, firstOnPath?: string): Promise<MirrorRun> {
  const before = (await fixture.shim.calls()).length;
  const options = {
    env: {
      AWS_REGION: REGION,
      AWS_DEFAULT_REGION: REGION,
      AWS_ENDPOINT_URL: fixture.moto.endpoint,
      AWS_ACCESS_KEY_ID: MOTO_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: MOTO_CREDENTIALS.secretAccessKey,
      ...overrides,
    },
    pathPrepend: firstOnPath === undefined ? fixture.shim.binDir : [firstOnPath, fixture.shim.binDir],
    timeoutMs: BUILD_TIMEOUT_MS,
  };
  const result = text === undefined ? await runBuildspec(BUILDSPEC, options) : await runBuildspecText(text, options, 'buildspec.yaml (probe)');
  return { result, calls: (await fixture.shim.calls()).slice(before) };
}

/** The deployed buildspec with its install phase (which writes the steps) and one probe command after it. */
async function probeBuildspec(command: string): Promise<string> {
  const spec = parseYaml(await readFile(BUILDSPEC, 'utf8')) as { phases: Record<string, unknown> };
  return stringifyYaml({ ...spec, phases: { install: spec.phases.install, build: { commands: [command] } } });
}

/** Pushes a generated image to the anonymous source registry (quay.io / docker.io) as `repository:tag`. */
async function pushSource(repository: string, tag: string, options: GenerateImageOptions): Promise<PushedImage> {
  return pushImage(fixture.source.url, repository, tag, generateImage(options));
}

async function createCredentialsSecret(value: unknown): Promise<string> {
  const client = new SecretsManagerClient({ region: REGION, endpoint: fixture.moto.endpoint, credentials: { ...MOTO_CREDENTIALS } });
  try {
    const created = await client.send(new CreateSecretCommand({ Name: `registry-credentials-${randomUUID()}`, SecretString: JSON.stringify(value) }));
    return created.ARN!;
  } finally {
    client.destroy();
  }
}

function describeRun(run: MirrorRun): string {
  return `build ${run.result.status}; phases ${JSON.stringify(run.result.phases.map((p) => [p.name, p.status, p.exitCode]))}\n${run.result.log}`;
}

/** The target repository holds exactly `digest` under `tag`: one single-platform manifest for `platform`. */
async function expectMirrored(run: MirrorRun, target: { repository: string; tag: string }, expected: { digest: string; mediaType: string }, platform: PlatformKey) {
  expect(run.result.status, describeRun(run)).toBe('SUCCEEDED');
  expect(run.result.phases.map((p) => [p.name, p.status])).toEqual([
    ['install', 'SUCCEEDED'],
    ['pre_build', 'SUCCEEDED'],
    ['build', 'SUCCEEDED'],
    ['post_build', 'SUCCEEDED'],
  ]);
  expect(run.result.exported).toEqual({ IMAGE_DIGEST: expected.digest });

  const manifest = await readManifest(fixture.target.url, target.repository, target.tag, fixture.ecr);
  expect(manifest.digest).toBe(expected.digest);
  expect(manifest.mediaType).toBe(expected.mediaType);
  expect(SINGLE_MANIFEST_TYPES).toContain(manifest.mediaType);
  const config = await readConfig(fixture.target.url, target.repository, expected.digest, fixture.ecr);
  expect(`${config.os}/${config.architecture}`).toBe(platform);
  expect(await listTags(fixture.target.url, target.repository, fixture.ecr)).toEqual([target.tag]);
  // The copy used exactly one skopeo copy, never --all.
  const copies = run.calls.filter((call) => call.subcommand === 'copy');
  expect(copies).toHaveLength(1);
  expect(copies[0]!.args).not.toContain('--all');
}

/** Nothing reached the target registry for this case. */
async function expectNothingPushed(run: MirrorRun, repository: string) {
  expect(run.calls.filter((call) => call.subcommand === 'copy')).toEqual([]);
  expect(await listRepositories(fixture.target.url, fixture.ecr)).not.toContain(repository);
  expect(run.result.exported).toEqual({});
}

/** The last line the build itself printed (not a `[Container]` line). */
function lastOutputLine(run: MirrorRun): string | undefined {
  return run.result.log
    .split('\n')
    .filter((line) => line.trim() !== '' && !line.startsWith('[Container] '))
    .at(-1);
}

/** The registries the build ran `skopeo login` for (the host is login's last argument), sorted. */
function loginHosts(run: MirrorRun): string[] {
  return run.calls
    .filter((call) => call.subcommand === 'login')
    .map((call) => call.args.at(-1)!)
    .sort();
}

function failedPhase(run: MirrorRun): string | undefined {
  return run.result.phases.find((phase) => phase.status !== 'SUCCEEDED')?.name;
}

describe.skipIf(!haveTools(TOOLS.registry, TOOLS.skopeo, TOOLS.htpasswd, TOOLS.moto, TOOLS.awsCli, TOOLS.jq))(
  'Buildspec: src/mirror/buildspec.yaml copies one platform (or, with ARCHITECTURE=all, the whole image) with real skopeo between local registries',
  () => {
    beforeAll(async () => {
      const started: Array<{ stop(): Promise<void> }> = [];
      try {
        const moto = await startMoto();
        started.push(moto);
        const ecr = await motoEcrCredentials(moto, REGION);
        const target = await startRegistry({ name: 'ecr', htpasswd: { username: ecr.username, password: ecr.password } });
        started.push(target);
        const source = await startRegistry({ name: 'quay' });
        started.push(source);
        const privateAuth = { username: 'puller', password: `pw-${randomBytes(12).toString('hex')}` };
        const privateSource = await startRegistry({ name: 'private', htpasswd: privateAuth });
        started.push(privateSource);
        const ecrSource = await startRegistry({ name: 'ecr-source', htpasswd: await motoEcrCredentials(moto, SOURCE_ECR_REGION) });
        started.push(ecrSource);
        const shim = await createSkopeoShim({
          pullRegistries: { 'quay.io': source.host, 'docker.io': source.host, [PRIVATE_HOST]: privateSource.host },
          // ECR hosts are rewritten (skopeo login is not remapped by registries.conf).
          ecrHostToLocal: { [ECR_HOST]: target.host, [OTHER_REGION_ECR_HOST]: ecrSource.host, [FIPS_ECR_HOST]: ecrSource.host },
        });
        started.push({ stop: shim.cleanup });
        const scratch = await mkdtemp(join(tmpdir(), 'buildspec-test-'));
        fixture = { moto, ecr, source, privateSource, privateAuth, ecrSource, target, shim, scratch };
      } catch (error) {
        await Promise.all(started.map((part) => part.stop()));
        throw error;
      }
    });

    afterAll(async () => {
      if (!fixture) return;
      await Promise.all([fixture.moto.stop(), fixture.target.stop(), fixture.source.stop(), fixture.privateSource.stop(), fixture.ecrSource.stop(), fixture.shim.cleanup()]);
      await rm(fixture.scratch, { recursive: true, force: true });
    });

    describe.each(['oci', 'docker'] as const)('a two-platform %s image with attestations at quay.io/sysdig/serverless-patcher:5.0.1', (format) => {
      let pushed: PushedImage;

      beforeAll(async () => {
        // The same tag is re-pushed per media type family, as a registry would see a rebuilt release.
        pushed = await pushSource(PATCHER, '5.0.1', { platforms: ['linux/amd64', 'linux/arm64/v8'], format, attestation: true });
        expect(pushed.attestations).toHaveLength(2);
      });

      for (const { architecture, platform, other } of ARCHITECTURES) {
        it(
          `ARCHITECTURE=${architecture}, SOURCE_IMAGE pinned to the ${platform} digest: target holds exactly that manifest`,
          async () => {
            const child = pushed.platforms[platform]!;
            const sourceImage = `quay.io/${PATCHER}@${child.digest}`;
            const target = targetFor(sourceImage);
            const run = await runMirror({ SOURCE_IMAGE: sourceImage, TARGET_IMAGE: target.image, ARCHITECTURE: architecture });

            await expectMirrored(run, target, child, platform);
            expect(target.tag).toBe(child.digest.replace(':', '-'));
            expect(await tryReadManifest(fixture.target.url, target.repository, pushed.digest, fixture.ecr)).toBeUndefined();
            expect(await tryReadManifest(fixture.target.url, target.repository, pushed.platforms[other]!.digest, fixture.ecr)).toBeUndefined();
            expect(run.result.log).toContain(`Mirrored ${sourceImage} (${platform}) to ${ECR_HOST}/${target.repository}@${child.digest}`);
          },
          TEST_TIMEOUT_MS,
        );

        it(
          `ARCHITECTURE=${architecture}, SOURCE_IMAGE by tag: the ${platform} child of the index, digest unchanged`,
          async () => {
            const sourceImage = `quay.io/${PATCHER}:5.0.1`;
            const target = targetFor(sourceImage);
            const run = await runMirror({ SOURCE_IMAGE: sourceImage, TARGET_IMAGE: target.image, ARCHITECTURE: architecture });

            await expectMirrored(run, target, pushed.platforms[platform]!, platform);
            expect(target.tag).toBe('5.0.1');
            expect(await tryReadManifest(fixture.target.url, target.repository, pushed.digest, fixture.ecr)).toBeUndefined();
            for (const attestation of pushed.attestations) {
              expect(await tryReadManifest(fixture.target.url, target.repository, attestation.digest, fixture.ecr)).toBeUndefined();
            }
          },
          TEST_TIMEOUT_MS,
        );
      }
    });

    it(
      'SOURCE_IMAGE pinned to the index digest: copies the child for ARCHITECTURE, not the index',
      async () => {
        const pushed = await pushSource('library/pinned-index', 'v1', { platforms: ['linux/amd64', 'linux/arm64'], format: 'docker' });
        const sourceImage = `docker.io/library/pinned-index@${pushed.digest}`;
        const target = targetFor(sourceImage);
        const run = await runMirror({ SOURCE_IMAGE: sourceImage, TARGET_IMAGE: target.image, ARCHITECTURE: 'arm64' });

        await expectMirrored(run, target, pushed.platforms['linux/arm64']!, 'linux/arm64');
        expect(await tryReadManifest(fixture.target.url, target.repository, pushed.digest, fixture.ecr)).toBeUndefined();
      },
      TEST_TIMEOUT_MS,
    );

    it(
      'a single-platform image (no index) is copied as is',
      async () => {
        const pushed = await pushSource('team/single', '2.0', { platforms: ['linux/arm64'], format: 'oci' });
        const sourceImage = `quay.io/team/single:2.0`;
        const target = targetFor(sourceImage);
        const run = await runMirror({ SOURCE_IMAGE: sourceImage, TARGET_IMAGE: target.image, ARCHITECTURE: 'arm64' });

        await expectMirrored(run, target, pushed.platforms['linux/arm64']!, 'linux/arm64');
        expect(pushed.digest).toBe(pushed.platforms['linux/arm64']!.digest);
      },
      TEST_TIMEOUT_MS,
    );

    describe('a source without the wanted platform', () => {
      it(
        'an index with only linux/amd64 (+ attestation) fails for arm64, naming the platforms it has; nothing is pushed',
        async () => {
          await pushSource('team/amd64-only', '1.0', { platforms: ['linux/amd64'], format: 'oci', attestation: true });
          const sourceImage = 'quay.io/team/amd64-only:1.0';
          const target = targetFor(sourceImage);
          const run = await runMirror({ SOURCE_IMAGE: sourceImage, TARGET_IMAGE: target.image, ARCHITECTURE: 'arm64' });

          expect(run.result.status).toBe('FAILED');
          expect(failedPhase(run)).toBe('build');
          expect(run.result.log).toContain(`ERROR: ${sourceImage} has no linux/arm64 image; it has: linux/amd64.`);
          expect(run.result.log).toContain("change the function's Architectures");
          // The build's last line (what the mirror function reports) carries the reason.
          expect(lastOutputLine(run)).toBe(
            `Mirroring ${sourceImage} (linux/arm64) to ${target.image} failed: ${sourceImage} has no linux/arm64 image; it has: linux/amd64. ` +
              "Use an image that publishes linux/arm64, or change the function's Architectures.",
          );
          await expectNothingPushed(run, target.repository);
        },
        TEST_TIMEOUT_MS,
      );

      it(
        'a single linux/arm64 image fails for x86_64, saying what it is; nothing is pushed',
        async () => {
          await pushSource('team/arm64-only', '1.0', { platforms: ['linux/arm64'], format: 'docker' });
          const sourceImage = 'quay.io/team/arm64-only:1.0';
          const target = targetFor(sourceImage);
          const run = await runMirror({ SOURCE_IMAGE: sourceImage, TARGET_IMAGE: target.image, ARCHITECTURE: 'x86_64' });

          expect(run.result.status).toBe('FAILED');
          expect(run.result.log).toContain(`ERROR: ${sourceImage} is a linux/arm64 image, not linux/amd64.`);
          await expectNothingPushed(run, target.repository);
        },
        TEST_TIMEOUT_MS,
      );

      it(
        'a missing image fails with the registry error and what to check',
        async () => {
          const sourceImage = 'quay.io/team/does-not-exist:1.0';
          const target = targetFor(sourceImage);
          const run = await runMirror({ SOURCE_IMAGE: sourceImage, TARGET_IMAGE: target.image, ARCHITECTURE: 'x86_64' });

          expect(run.result.status).toBe('FAILED');
          expect(run.result.log).toMatch(/manifest unknown|not found/i);
          expect(run.result.log).toContain(`ERROR: cannot read ${sourceImage}`);
          await expectNothingPushed(run, target.repository);
        },
        TEST_TIMEOUT_MS,
      );
    });

    describe('a private source registry', () => {
      let pushed: PushedImage;
      const sourceImage = `${PRIVATE_HOST}/team/private-app:3.1`;

      beforeAll(async () => {
        pushed = await pushImage(
          fixture.privateSource.url,
          'team/private-app',
          '3.1',
          generateImage({ platforms: ['linux/amd64', 'linux/arm64'], format: 'oci', attestation: true }),
          fixture.privateAuth,
        );
      });

      it(
        'with REGISTRY_CREDENTIALS_SECRET_ARN holding its credentials: succeeds, and the password never reaches the log',
        async () => {
          const { username, password } = fixture.privateAuth;
          const secretArn = await createCredentialsSecret({ [PRIVATE_HOST]: { username, password }, 'other.example.com': { username: 'x', password: 'y' } });
          const target = targetFor(sourceImage);
          const run = await runMirror({ SOURCE_IMAGE: sourceImage, TARGET_IMAGE: target.image, ARCHITECTURE: 'x86_64', REGISTRY_CREDENTIALS_SECRET_ARN: secretArn });

          await expectMirrored(run, target, pushed.platforms['linux/amd64']!, 'linux/amd64');
          expect(run.result.log).toContain(`Using credentials for ${PRIVATE_HOST} from the secret`);
          expect(run.result.log).not.toContain(password);
          expect(run.result.log).not.toContain(Buffer.from(`${username}:${password}`).toString('base64'));
          expect(run.result.log).not.toContain(fixture.ecr.password);
        },
        TEST_TIMEOUT_MS,
      );

      it(
        "without a secret: FAILED with the registry's unauthorized error visible; nothing is pushed",
        async () => {
          const target = targetFor(sourceImage);
          const run = await runMirror({ SOURCE_IMAGE: sourceImage, TARGET_IMAGE: target.image, ARCHITECTURE: 'x86_64' });

          expect(run.result.status).toBe('FAILED');
          expect(run.result.log).toMatch(/unauthorized/i);
          expect(run.result.log).toContain(`credentials secret entry for ${PRIVATE_HOST}`);
          // A permanent error is not retried.
          expect(run.result.log).not.toContain('Attempt 1 failed');
          await expectNothingPushed(run, target.repository);
        },
        TEST_TIMEOUT_MS,
      );

      it(
        'with a secret that has no entry for the host: pulls anonymously, says so, and fails unauthorized',
        async () => {
          const secretArn = await createCredentialsSecret({ 'other.example.com': { username: 'x', password: 'y' } });
          const target = targetFor(sourceImage);
          const run = await runMirror({ SOURCE_IMAGE: sourceImage, TARGET_IMAGE: target.image, ARCHITECTURE: 'x86_64', REGISTRY_CREDENTIALS_SECRET_ARN: secretArn });

          expect(run.result.status).toBe('FAILED');
          expect(run.result.log).toContain(`The credentials secret has no entry for ${PRIVATE_HOST}; pulling anonymously`);
          expect(run.result.log).toMatch(/unauthorized/i);
          await expectNothingPushed(run, target.repository);
        },
        TEST_TIMEOUT_MS,
      );

      it(
        'with a secret that is not the expected JSON: FAILED before any pull, without echoing the secret',
        async () => {
          const secretArn = await createCredentialsSecret('not-an-object-s3cr3t');
          const target = targetFor(sourceImage);
          const run = await runMirror({ SOURCE_IMAGE: sourceImage, TARGET_IMAGE: target.image, ARCHITECTURE: 'x86_64', REGISTRY_CREDENTIALS_SECRET_ARN: secretArn });

          expect(run.result.status).toBe('FAILED');
          expect(run.result.log).toContain('is not a JSON object keyed by registry host');
          expect(run.result.log).not.toContain('not-an-object-s3cr3t');
          expect(run.calls.filter((call) => call.subcommand === 'inspect' || call.subcommand === 'copy')).toEqual([]);
          await expectNothingPushed(run, target.repository);
        },
        TEST_TIMEOUT_MS,
      );
    });

    describe('the job is lean: nothing is read twice', () => {
      it(
        'a source pinned by digest is not inspected before the copy; the pushed digest is read back once (manifest + config)',
        async () => {
          const pushed = await pushSource('team/lean', '1.0', { platforms: ['linux/amd64', 'linux/arm64'], format: 'oci', attestation: true });
          const child = pushed.platforms['linux/amd64']!;
          const sourceImage = `quay.io/team/lean@${child.digest}`;
          const target = targetFor(sourceImage);
          const run = await runMirror({ SOURCE_IMAGE: sourceImage, TARGET_IMAGE: target.image, ARCHITECTURE: 'x86_64' });

          await expectMirrored(run, target, child, 'linux/amd64');
          // skopeo --version, one login (the target: quay.io needs none), the copy, then manifest and config of the pushed digest.
          expect(run.calls.map((call) => call.subcommand)).toEqual(['', 'login', 'copy', 'inspect', 'inspect']);
          const pushedRef = `docker://${ECR_HOST}/${target.repository}@${child.digest}`;
          expect(run.calls.filter((call) => call.subcommand === 'inspect').map((call) => call.args.at(-1))).toEqual([pushedRef, pushedRef]);
          expect(loginHosts(run)).toEqual([ECR_HOST]);
        },
        TEST_TIMEOUT_MS,
      );
    });

    describe('a private ECR source (another region, FIPS) is read with an ECR token of its own region', () => {
      /** A two-platform image in the registry standing in for the ECR sources (which refuses anonymous pulls). */
      async function pushEcrSource(repository: string): Promise<PushedImage> {
        const image = generateImage({ platforms: ['linux/amd64', 'linux/arm64'], format: 'oci', attestation: true });
        return pushImage(fixture.ecrSource.url, repository, '3.2', image, fixture.ecr);
      }

      it.each([
        { label: 'ECR of another region (same account)', host: OTHER_REGION_ECR_HOST, region: SOURCE_ECR_REGION, pin: false },
        { label: 'ECR of another region, pinned to the platform digest', host: OTHER_REGION_ECR_HOST, region: SOURCE_ECR_REGION, pin: true },
        { label: 'ECR FIPS of this region (another account; the target token is reused)', host: FIPS_ECR_HOST, region: REGION, pin: false },
      ])(
        '$label: logs in to the source with the token, then copies',
        async ({ host, region, pin }) => {
          const repository = `platform/tool-${randomUUID().slice(0, 8)}`;
          const pushed = await pushEcrSource(repository);
          const child = pushed.platforms['linux/arm64']!;
          const sourceImage = pin ? `${host}/${repository}@${child.digest}` : `${host}/${repository}:3.2`;
          const target = targetFor(sourceImage);
          const run = await runMirror({ SOURCE_IMAGE: sourceImage, TARGET_IMAGE: target.image, ARCHITECTURE: 'arm64' });

          await expectMirrored(run, target, child, 'linux/arm64');
          expect(run.result.log).toContain(`Logged in to ${host} with the ECR token of ${region}`);
          expect(loginHosts(run)).toEqual([ECR_HOST, host].sort());
          expect(run.result.log).not.toContain(fixture.ecr.password);
        },
        TEST_TIMEOUT_MS,
      );

      it(
        'a credentials-secret entry for the ECR host takes precedence: no token login to the source',
        async () => {
          const repository = `platform/by-secret-${randomUUID().slice(0, 8)}`;
          const pushed = await pushEcrSource(repository);
          const sourceImage = `${OTHER_REGION_ECR_HOST}/${repository}:3.2`;
          const secretArn = await createCredentialsSecret({ [OTHER_REGION_ECR_HOST]: { username: fixture.ecr.username, password: fixture.ecr.password } });
          const target = targetFor(sourceImage);
          const run = await runMirror({ SOURCE_IMAGE: sourceImage, TARGET_IMAGE: target.image, ARCHITECTURE: 'x86_64', REGISTRY_CREDENTIALS_SECRET_ARN: secretArn });

          await expectMirrored(run, target, pushed.platforms['linux/amd64']!, 'linux/amd64');
          expect(run.result.log).toContain(`Using credentials for ${OTHER_REGION_ECR_HOST} from the secret`);
          expect(loginHosts(run)).toEqual([ECR_HOST]);
        },
        TEST_TIMEOUT_MS,
      );

      it(
        'the secret wins even when its entry is wrong: the ECR source refuses it, and nothing is pushed',
        async () => {
          const repository = `platform/wrong-secret-${randomUUID().slice(0, 8)}`;
          await pushEcrSource(repository);
          const sourceImage = `${OTHER_REGION_ECR_HOST}/${repository}:3.2`;
          const secretArn = await createCredentialsSecret({ [OTHER_REGION_ECR_HOST]: { username: 'AWS', password: 'not-the-token' } });
          const target = targetFor(sourceImage);
          const run = await runMirror({ SOURCE_IMAGE: sourceImage, TARGET_IMAGE: target.image, ARCHITECTURE: 'x86_64', REGISTRY_CREDENTIALS_SECRET_ARN: secretArn });

          expect(run.result.status).toBe('FAILED');
          expect(run.result.log).toMatch(/unauthorized/i);
          expect(run.result.log).toContain(`ERROR: cannot read ${sourceImage}`);
          expect(loginHosts(run)).toEqual([ECR_HOST]);
          await expectNothingPushed(run, target.repository);
        },
        TEST_TIMEOUT_MS,
      );

      it(
        'a secret without an entry for the ECR host: the ECR token is used, and the log says so',
        async () => {
          const repository = `platform/token-${randomUUID().slice(0, 8)}`;
          const pushed = await pushEcrSource(repository);
          const sourceImage = `${OTHER_REGION_ECR_HOST}/${repository}:3.2`;
          const secretArn = await createCredentialsSecret({ 'other.example.com': { username: 'x', password: 'y' } });
          const target = targetFor(sourceImage);
          const run = await runMirror({ SOURCE_IMAGE: sourceImage, TARGET_IMAGE: target.image, ARCHITECTURE: 'x86_64', REGISTRY_CREDENTIALS_SECRET_ARN: secretArn });

          await expectMirrored(run, target, pushed.platforms['linux/amd64']!, 'linux/amd64');
          expect(run.result.log).toContain(`The credentials secret has no entry for ${OTHER_REGION_ECR_HOST}; using the ECR token of ${SOURCE_ECR_REGION}`);
          expect(loginHosts(run)).toEqual([ECR_HOST, OTHER_REGION_ECR_HOST].sort());
        },
        TEST_TIMEOUT_MS,
      );

      it(
        'a registry host that is not private ECR gets no ECR token',
        async () => {
          const pushed = await pushSource('team/no-token', '1.0', { platforms: ['linux/amd64'], format: 'docker' });
          const sourceImage = 'quay.io/team/no-token:1.0';
          const target = targetFor(sourceImage);
          const run = await runMirror({ SOURCE_IMAGE: sourceImage, TARGET_IMAGE: target.image, ARCHITECTURE: 'x86_64' });

          await expectMirrored(run, target, pushed.platforms['linux/amd64']!, 'linux/amd64');
          expect(loginHosts(run)).toEqual([ECR_HOST]);
        },
        TEST_TIMEOUT_MS,
      );
    });

    describe('a source written repo:tag@digest (as Renovate writes it)', () => {
      it(
        'is copied by its digest alone: skopeo refuses a reference with both',
        async () => {
          const pushed = await pushSource('team/renovate', '1.0', { platforms: ['linux/amd64', 'linux/arm64'], format: 'oci' });
          const child = pushed.platforms['linux/arm64']!;
          const sourceImage = `quay.io/team/renovate:1.0@${child.digest}`;
          const target = targetFor(sourceImage);
          const run = await runMirror({ SOURCE_IMAGE: sourceImage, TARGET_IMAGE: target.image, ARCHITECTURE: 'arm64' });

          await expectMirrored(run, target, child, 'linux/arm64');
          const copy = run.calls.find((call) => call.subcommand === 'copy')!;
          expect(copy.args).toContain(`docker://quay.io/team/renovate@${child.digest}`);
          expect(run.result.log).toContain(`copying quay.io/team/renovate@${child.digest} (by the digest alone)`);
        },
        TEST_TIMEOUT_MS,
      );

      it(
        'skopeo\'s "both a tag and digest" refusal is never retried',
        async () => {
          const digest = `sha256:${'1'.repeat(64)}`;
          const text = await probeBuildspec(`. "$MIRROR_STEPS"; skopeo_retried inspect --raw "docker://quay.io/team/renovate:1.0@${digest}"`);
          const run = await runMirror({}, text);

          expect(run.result.status).toBe('FAILED');
          expect(run.result.log).toMatch(/both a tag and digest/i);
          expect(run.result.log).not.toMatch(/^Attempt \d+ failed; retrying/m);
          expect(run.calls.filter((call) => call.subcommand === 'inspect')).toHaveLength(1);
        },
        TEST_TIMEOUT_MS,
      );
    });

    describe('ARCHITECTURE=all: the image as published (skopeo copy --all), digest preserved and read back', () => {
      /** A two-platform index with an attestation per platform, kept whole so that its parts can be checked. */
      async function pushIndex(repository: string, format: 'oci' | 'docker') {
        const image = generateImage({ platforms: ['linux/amd64', 'linux/arm64/v8'], format, attestation: true, layers: 2, layerBytes: 64 * 1024 });
        const pushed = await pushImage(fixture.source.url, repository, '1.2.3', image);
        return { image, pushed };
      }

      /** SUCCEEDED, IMAGE_DIGEST = the source's top digest, and the target holds that manifest and everything it names. */
      async function expectWholeImage(run: MirrorRun, target: { repository: string; tag: string }, image: ReturnType<typeof generateImage>) {
        expect(run.result.status, describeRun(run)).toBe('SUCCEEDED');
        expect(run.result.exported).toEqual({ IMAGE_DIGEST: image.digest });
        const tagged = await readManifest(fixture.target.url, target.repository, target.tag, fixture.ecr);
        expect(tagged.digest).toBe(image.digest);
        expect(tagged.mediaType).toBe(image.mediaType);
        expect(tagged.bytes.equals(image.top.bytes)).toBe(true);
        const stored = await readStoredImage(fixture.target.url, target.repository, image.digest, fixture.ecr);
        expect(stored.manifests).toEqual([image.digest, ...image.children.map((child) => child.digest)]);
        expect([...stored.blobs.keys()].sort()).toEqual(image.blobs.map((blob) => blob.digest).sort());
        const copies = run.calls.filter((call) => call.subcommand === 'copy');
        expect(copies).toHaveLength(1);
        expect(copies[0]!.args).toContain('--all');
        expect(copies[0]!.args).not.toContain('--override-arch');
        return stored;
      }

      describe.each(['oci', 'docker'] as const)('a two-platform %s index with attestations', (format) => {
        let source: Awaited<ReturnType<typeof pushIndex>>;
        const repository = `sysdig/workload-agent-${format}`;

        beforeAll(async () => {
          source = await pushIndex(repository, format);
          expect(source.image.attestations).toHaveLength(2);
          expect(source.pushed.digest).toBe(source.image.digest);
        });

        it(
          'pinned to the index digest: the pushed index digest equals the source, every child and attestation is in the target',
          async () => {
            const sourceImage = `quay.io/${repository}@${source.image.digest}`;
            const target = targetFor(sourceImage);
            const run = await runMirror({ SOURCE_IMAGE: sourceImage, TARGET_IMAGE: target.image, ARCHITECTURE: 'all' });

            await expectWholeImage(run, target, source.image);
            for (const attestation of source.image.attestations) {
              expect(await tryReadManifest(fixture.target.url, target.repository, attestation.digest, fixture.ecr)).toBeDefined();
            }
            // Lean: not inspected before the copy; the pushed index is read back once.
            expect(run.calls.map((call) => call.subcommand)).toEqual(['', 'login', 'copy', 'inspect']);
            expect(run.result.log).toContain(`Mirroring ${sourceImage} (all platforms) to ${target.image}`);
            expect(run.result.log).toContain(`is the index of ${sourceImage} with 4 entries`);
            expect(run.result.log).toContain(`Mirrored ${sourceImage} (all platforms) to ${ECR_HOST}/${target.repository}@${source.image.digest}`);
          },
          TEST_TIMEOUT_MS,
        );

        it(
          'by tag: read once, then copied by the digest the tag names, and verified the same way',
          async () => {
            const sourceImage = `quay.io/${repository}:1.2.3`;
            const target = targetFor(sourceImage);
            const run = await runMirror({ SOURCE_IMAGE: sourceImage, TARGET_IMAGE: target.image, ARCHITECTURE: 'all' });

            await expectWholeImage(run, target, source.image);
            expect(target.tag).toBe('1.2.3');
            const copy = run.calls.find((call) => call.subcommand === 'copy')!;
            expect(copy.args).toContain(`docker://quay.io/${repository}@${source.image.digest}`);
            expect(run.calls.map((call) => call.subcommand)).toEqual(['', 'login', 'inspect', 'copy', 'inspect']);
          },
          TEST_TIMEOUT_MS,
        );
      });

      it(
        'a single-manifest source is copied as it is, by its own digest',
        async () => {
          const image = generateImage({ platforms: ['linux/arm64'], format: 'oci' });
          await pushImage(fixture.source.url, 'team/single-all', '2.0', image);
          expect(image.index).toBeUndefined();
          const sourceImage = 'quay.io/team/single-all:2.0';
          const target = targetFor(sourceImage);
          const run = await runMirror({ SOURCE_IMAGE: sourceImage, TARGET_IMAGE: target.image, ARCHITECTURE: 'all' });

          await expectWholeImage(run, target, image);
          expect(SINGLE_MANIFEST_TYPES).toContain((await readManifest(fixture.target.url, target.repository, image.digest, fixture.ecr)).mediaType);
        },
        TEST_TIMEOUT_MS,
      );

      it(
        'bytes pushed: the whole index is every platform and attestation; one platform is only its own image',
        async () => {
          const { image } = await pushIndex('team/bytes', 'oci');
          const whole = targetFor(`quay.io/team/bytes@${image.digest}`);
          const wholeRun = await runMirror({ SOURCE_IMAGE: `quay.io/team/bytes@${image.digest}`, TARGET_IMAGE: whole.image, ARCHITECTURE: 'all' });
          const wholeStored = await expectWholeImage(wholeRun, whole, image);
          const amd64 = image.platforms['linux/amd64']!;
          const one = targetFor(`quay.io/team/bytes@${amd64.digest}`);
          const oneRun = await runMirror({ SOURCE_IMAGE: `quay.io/team/bytes@${amd64.digest}`, TARGET_IMAGE: one.image, ARCHITECTURE: 'x86_64' });
          expect(oneRun.result.status, describeRun(oneRun)).toBe('SUCCEEDED');
          const oneStored = await readStoredImage(fixture.target.url, one.repository, amd64.digest, fixture.ecr);

          const generatedBytes = image.top.size + image.children.reduce((sum, child) => sum + child.size, 0) + image.blobs.reduce((sum, blob) => sum + blob.size, 0);
          expect(wholeStored.bytes).toBe(generatedBytes);
          expect(oneStored.manifests).toEqual([amd64.digest]);
          expect(oneStored.bytes).toBeLessThan(wholeStored.bytes / 2 + 1);
          console.info(`bytes stored by one copy: all platforms ${wholeStored.bytes}, linux/amd64 ${oneStored.bytes} (${(wholeStored.bytes / oneStored.bytes).toFixed(2)}x)`);
        },
        TEST_TIMEOUT_MS,
      );

      it(
        'a pushed digest that is not the source digest fails the build naming both, and exports nothing',
        async () => {
          const { image } = await pushIndex('team/mismatch', 'docker');
          const sourceImage = `quay.io/team/mismatch@${image.digest}`;
          const target = targetFor(sourceImage);
          const other = `sha256:${'0'.repeat(64)}`;
          // The deployed steps, with what the copy is expected to deliver replaced by another digest after the copy.
          const spec = parseYaml(await readFile(BUILDSPEC, 'utf8')) as { phases: Record<string, { commands: string[] }> };
          const build = spec.phases.build!;
          const verify = build.commands.findIndex((command) => command.endsWith('verify_target'));
          build.commands.splice(verify, 0, `printf '%s\\n' '${other}' > "$MIRROR_DIR/expected"`);
          const run = await runMirror({ SOURCE_IMAGE: sourceImage, TARGET_IMAGE: target.image, ARCHITECTURE: 'all' }, stringifyYaml(spec));

          expect(run.result.status).toBe('FAILED');
          expect(failedPhase(run)).toBe('build');
          expect(run.result.log).toContain(
            `ERROR: the digests differ: skopeo pushed ${image.digest} to ${ECR_HOST}/${target.repository}, but ${sourceImage} is ${other}, so the copy changed the image.`,
          );
          expect(lastOutputLine(run)).toBe(
            `Mirroring ${sourceImage} (all platforms) to ${target.image} failed: the digests differ: skopeo pushed ${image.digest} to ` +
              `${ECR_HOST}/${target.repository}, but ${sourceImage} is ${other}, so the copy changed the image. Report this with the build log.`,
          );
          expect(run.result.exported).toEqual({});
        },
        TEST_TIMEOUT_MS,
      );

      describe('an IMMUTABLE target tag that exists (ECR refuses the push)', () => {
        /** The deployed buildspec whose copy step meets ECR's refusal of an existing IMMUTABLE tag (skopeo's copy fails so). */
        async function refusingPush(): Promise<string> {
          const spec = parseYaml(await readFile(BUILDSPEC, 'utf8')) as { phases: Record<string, { commands: string[] }> };
          const commands = spec.phases.build!.commands;
          const copy = commands.findIndex((command) => command.endsWith('copy_platform'));
          commands[copy] =
            `. "$MIRROR_STEPS"; skopeo() { if [ "\${3:-}" = copy ]; then echo 'tag invalid: The image tag already exists and cannot be overwritten' >&2; ` +
            'return 1; fi; command skopeo "$@"; }; copy_platform';
          return stringifyYaml(spec);
        }

        it(
          'holding exactly the source digest: nothing to push, IMAGE_DIGEST is that digest',
          async () => {
            const { image } = await pushIndex('team/immutable-same', 'oci');
            const sourceImage = `quay.io/team/immutable-same@${image.digest}`;
            const target = targetFor(sourceImage);
            expect((await runMirror({ SOURCE_IMAGE: sourceImage, TARGET_IMAGE: target.image, ARCHITECTURE: 'all' })).result.status).toBe('SUCCEEDED');

            const run = await runMirror({ SOURCE_IMAGE: sourceImage, TARGET_IMAGE: target.image, ARCHITECTURE: 'all' }, await refusingPush());
            expect(run.result.status, describeRun(run)).toBe('SUCCEEDED');
            expect(run.result.log).toContain(`${target.image} already holds ${image.digest}; nothing to push`);
            expect(run.result.exported).toEqual({ IMAGE_DIGEST: image.digest });
          },
          TEST_TIMEOUT_MS,
        );

        it(
          'holding other content (the source tag moved): FAILED naming both digests and what to do',
          async () => {
            const old = await pushIndex('team/immutable-moved', 'docker');
            const tagged = 'quay.io/team/immutable-moved:1.2.3';
            // The tag an IMMUTABLE repository gets when the mirror function could not read the source: <source tag>-all.
            const movedTarget = targetFor(tagged).image.replace(/:1\.2\.3$/, ':1.2.3-all');
            expect((await runMirror({ SOURCE_IMAGE: tagged, TARGET_IMAGE: movedTarget, ARCHITECTURE: 'all' })).result.status).toBe('SUCCEEDED');
            const moved = await pushIndex('team/immutable-moved', 'docker');
            expect(moved.image.digest).not.toBe(old.image.digest);

            const run = await runMirror({ SOURCE_IMAGE: tagged, TARGET_IMAGE: movedTarget, ARCHITECTURE: 'all' }, await refusingPush());
            expect(run.result.status).toBe('FAILED');
            expect(run.result.log).toContain(
              `ERROR: the tag ${movedTarget} already exists and holds ${old.image.digest}, not quay.io/team/immutable-moved@${moved.image.digest} (${moved.image.digest})`,
            );
            expect(run.result.log).toContain("set the macro stack's ImageTagMutability to MUTABLE");
            expect(run.result.exported).toEqual({});
          },
          TEST_TIMEOUT_MS,
        );
      });

      it(
        'a missing source fails before anything is pushed',
        async () => {
          const sourceImage = 'quay.io/team/does-not-exist-all:1.0';
          const target = targetFor(sourceImage);
          const run = await runMirror({ SOURCE_IMAGE: sourceImage, TARGET_IMAGE: target.image, ARCHITECTURE: 'all' });

          expect(run.result.status).toBe('FAILED');
          expect(run.result.log).toContain(`ERROR: cannot read ${sourceImage}`);
          await expectNothingPushed(run, target.repository);
        },
        TEST_TIMEOUT_MS,
      );
    });

    describe('hostile environment values are refused before any registry call, and nothing they carry runs', () => {
      const valid = () => ({ SOURCE_IMAGE: `quay.io/${PATCHER}:5.0.1`, TARGET_IMAGE: targetFor(`quay.io/${PATCHER}:5.0.1`).image, ARCHITECTURE: 'x86_64' });
      const cases: Array<{ name: string; overrides: (marker: string) => Record<string, string>; message: string }> = [
        { name: 'SOURCE_IMAGE with ;', overrides: (m) => ({ SOURCE_IMAGE: `quay.io/x;touch ${m}` }), message: 'ERROR: SOURCE_IMAGE' },
        { name: 'SOURCE_IMAGE with $(...)', overrides: (m) => ({ SOURCE_IMAGE: `quay.io/x$(touch ${m})` }), message: 'ERROR: SOURCE_IMAGE' },
        { name: 'SOURCE_IMAGE with backticks', overrides: (m) => ({ SOURCE_IMAGE: `quay.io/x\`touch ${m}\`` }), message: 'ERROR: SOURCE_IMAGE' },
        { name: 'SOURCE_IMAGE with a newline', overrides: (m) => ({ SOURCE_IMAGE: `quay.io/x:1\ntouch ${m}` }), message: 'ERROR: SOURCE_IMAGE' },
        { name: 'SOURCE_IMAGE with spaces', overrides: (m) => ({ SOURCE_IMAGE: `quay.io/x:1 && touch ${m}` }), message: 'ERROR: SOURCE_IMAGE' },
        { name: 'SOURCE_IMAGE that is an option', overrides: () => ({ SOURCE_IMAGE: '--src-creds=a:b' }), message: 'ERROR: SOURCE_IMAGE' },
        {
          name: 'SOURCE_IMAGE without a registry host',
          overrides: () => ({ SOURCE_IMAGE: 'sysdig/serverless-patcher:5.0.1' }),
          message: 'does not start with a registry host',
        },
        { name: 'ARCHITECTURE with ;', overrides: () => ({ ARCHITECTURE: 'amd64; id' }), message: 'ERROR: ARCHITECTURE' },
        { name: 'ARCHITECTURE with $(...)', overrides: (m) => ({ ARCHITECTURE: `$(touch ${m})` }), message: 'ERROR: ARCHITECTURE' },
        { name: 'ARCHITECTURE amd64 (an OCI name, not a Lambda one)', overrides: () => ({ ARCHITECTURE: 'amd64' }), message: 'is not x86_64 or arm64' },
        { name: 'ARCHITECTURE ALL (the value is all)', overrides: () => ({ ARCHITECTURE: 'ALL' }), message: 'or all (every platform)' },
        { name: 'ARCHITECTURE all with $(...)', overrides: (m) => ({ ARCHITECTURE: `all$(touch ${m})` }), message: 'ERROR: ARCHITECTURE' },
        { name: 'ARCHITECTURE all with a newline', overrides: (m) => ({ ARCHITECTURE: `all\ntouch ${m}` }), message: 'ERROR: ARCHITECTURE' },
        {
          name: 'ARCHITECTURE=all with SOURCE_IMAGE carrying $(...)',
          overrides: (m) => ({ ARCHITECTURE: 'all', SOURCE_IMAGE: `quay.io/x$(touch ${m})` }),
          message: 'ERROR: SOURCE_IMAGE',
        },
        {
          name: 'ARCHITECTURE=all with TARGET_IMAGE outside ECR',
          overrides: () => ({ ARCHITECTURE: 'all', TARGET_IMAGE: 'evil.example.com/x:1' }),
          message: 'private ECR of this region',
        },
        { name: 'TARGET_IMAGE with ;', overrides: (m) => ({ TARGET_IMAGE: `${ECR_HOST}/x:1;touch ${m}` }), message: 'ERROR: TARGET_IMAGE' },
        {
          name: 'TARGET_IMAGE outside ECR (the login token must not go there)',
          overrides: () => ({ TARGET_IMAGE: 'evil.example.com/x:1' }),
          message: 'private ECR of this region',
        },
        {
          name: 'TARGET_IMAGE in ECR of another region',
          overrides: () => ({ TARGET_IMAGE: `${MOTO_ACCOUNT_ID}.dkr.ecr.us-east-1.amazonaws.com/x:1` }),
          message: 'private ECR of this region',
        },
        { name: 'TARGET_IMAGE without a tag', overrides: () => ({ TARGET_IMAGE: `${ECR_HOST}/x` }), message: 'ERROR: TARGET_IMAGE' },
        {
          name: 'REGISTRY_CREDENTIALS_SECRET_ARN with $(...)',
          overrides: (m) => ({ REGISTRY_CREDENTIALS_SECRET_ARN: `arn:$(touch ${m})` }),
          message: 'ERROR: REGISTRY_CREDENTIALS_SECRET_ARN',
        },
      ];

      it.each(cases)(
        '$name -> FAILED in pre_build with a clear message',
        async ({ overrides, message }) => {
          const marker = join(fixture.scratch, `PWNED-${randomUUID()}`);
          const run = await runMirror({ ...valid(), ...overrides(marker) });

          expect(run.result.status).toBe('FAILED');
          expect(failedPhase(run)).toBe('pre_build');
          expect(run.result.phases.map((p) => p.name)).toEqual(['install', 'pre_build']);
          expect(run.result.log).toContain(message);
          expect(existsSync(marker)).toBe(false);
          // Only `skopeo --version` (install) ran: no login, inspect or copy.
          expect(run.calls.map((call) => call.subcommand)).toEqual(['']);
          expect(run.result.exported).toEqual({});
        },
        TEST_TIMEOUT_MS,
      );
    });

    /**
     * A directory holding a `skopeo` put before the shim on the build's PATH: it runs `lines` (bash; "$SHIM" is the shim,
     * "$REAL" the real skopeo, "$MARK" a file that does not exist yet) and then, unless they exited, the shim with
     * the arguments as given. How a test changes the world in the middle of a build.
     */
    async function wrappedSkopeo(lines: readonly string[]): Promise<string> {
      const dir = await mkdtemp(join(fixture.scratch, 'skopeo-wrapper-'));
      const real = spawnSync('sh', ['-c', 'command -v skopeo'], { encoding: 'utf8' }).stdout.trim();
      const script = [
        '#!/bin/bash',
        'set -o pipefail',
        `SHIM=${shellQuote(join(fixture.shim.binDir, 'skopeo'))} REAL=${shellQuote(real)} MARK=${shellQuote(join(dir, 'mark'))}`,
        ...lines,
        'exec "$SHIM" "$@"',
      ].join('\n');
      await writeFile(join(dir, 'skopeo'), `${script}\n`, { mode: 0o755 });
      return dir;
    }

    describe('a source tag that moves while the build copies it (the function could not pin the source)', () => {
      /** Moves `repository:tag` of the source registry to the image `repository:replacement` just before the first copy. */
      function tagMovesBeforeCopy(repository: string, tag: string, replacement: string): Promise<string> {
        const source = `docker://${fixture.source.host}/${repository}`;
        return wrappedSkopeo([
          'if [[ " $* " == *" copy "* ]] && mkdir "$MARK" 2>/dev/null; then',
          `  "$REAL" --insecure-policy copy --all --src-tls-verify=false --dest-tls-verify=false ${shellQuote(`${source}:${replacement}`)} ${shellQuote(`${source}:${tag}`)} >&2 || exit 97`,
          'fi',
        ]);
      }

      it(
        'one platform: what arrived is not the linux/amd64 image the build checked, so the build fails naming both digests',
        async () => {
          const checked = await pushSource('team/moving', '1.0', { platforms: ['linux/amd64', 'linux/arm64'], format: 'oci', attestation: true });
          const moved = await pushSource('team/moving', 'next', { platforms: ['linux/amd64', 'linux/arm64'], format: 'oci', attestation: true });
          const sourceImage = 'quay.io/team/moving:1.0';
          const target = targetFor(sourceImage);
          const hook = await tagMovesBeforeCopy('team/moving', '1.0', 'next');
          const run = await runMirror({ SOURCE_IMAGE: sourceImage, TARGET_IMAGE: target.image, ARCHITECTURE: 'x86_64' }, undefined, hook);

          expect(existsSync(join(hook, 'mark')), describeRun(run)).toBe(true);
          expect(run.result.status).toBe('FAILED');
          expect(failedPhase(run)).toBe('build');
          const arrived = moved.platforms['linux/amd64']!.digest;
          const expected = checked.platforms['linux/amd64']!.digest;
          expect(arrived).not.toBe(expected);
          expect(run.result.log).toContain(
            `ERROR: ${ECR_HOST}/${target.repository}@${arrived} is not the linux/amd64 manifest of ${sourceImage} (${expected}): the copy changed the image.`,
          );
          // The mirror function reads IMAGE_DIGEST only from a build that succeeded; none is exported.
          expect(run.result.exported).toEqual({});
        },
        TEST_TIMEOUT_MS,
      );

      it(
        'all platforms: the tag is read once and copied by that digest, so the image copied is the image read',
        async () => {
          const read = await pushSource('team/moving-all', '1.0', { platforms: ['linux/amd64', 'linux/arm64'], format: 'oci', attestation: true });
          const moved = await pushSource('team/moving-all', 'next', { platforms: ['linux/amd64', 'linux/arm64'], format: 'oci', attestation: true });
          const sourceImage = 'quay.io/team/moving-all:1.0';
          const target = targetFor(sourceImage);
          const hook = await tagMovesBeforeCopy('team/moving-all', '1.0', 'next');
          const run = await runMirror({ SOURCE_IMAGE: sourceImage, TARGET_IMAGE: target.image, ARCHITECTURE: 'all' }, undefined, hook);

          expect(existsSync(join(hook, 'mark')), describeRun(run)).toBe(true);
          expect(run.result.status, describeRun(run)).toBe('SUCCEEDED');
          expect(run.result.exported).toEqual({ IMAGE_DIGEST: read.digest });
          expect((await readManifest(fixture.target.url, target.repository, target.tag, fixture.ecr)).digest).toBe(read.digest);
          expect(moved.digest).not.toBe(read.digest);
        },
        TEST_TIMEOUT_MS,
      );
    });

    describe('what arrived is checked, not trusted', () => {
      it(
        'one platform: a copy that pushed the whole index of a source pinned to it fails, since Lambda needs one image',
        async () => {
          const pushed = await pushSource('team/index-pinned', '1.0', { platforms: ['linux/amd64', 'linux/arm64'], format: 'oci', attestation: true });
          const sourceImage = `quay.io/team/index-pinned@${pushed.digest}`;
          const target = targetFor(sourceImage);
          // A copy that ignores the platform choice and copies everything, as `copy --all` does.
          const hook = await wrappedSkopeo([
            'args=()',
            'for arg in "$@"; do args+=("$arg"); if [ "$arg" = copy ]; then args+=(--all); touch "$MARK"; fi; done',
            'set -- "${args[@]}"',
          ]);
          const run = await runMirror({ SOURCE_IMAGE: sourceImage, TARGET_IMAGE: target.image, ARCHITECTURE: 'x86_64' }, undefined, hook);

          expect(existsSync(join(hook, 'mark')), describeRun(run)).toBe(true);
          expect(run.result.status).toBe('FAILED');
          expect(run.result.log).toContain(`ERROR: ${ECR_HOST}/${target.repository}@${pushed.digest} is an image index; Lambda needs a single-platform image.`);
          expect(run.result.exported).toEqual({});
        },
        TEST_TIMEOUT_MS,
      );

      it.each(['x86_64', 'all'] as const)(
        'ARCHITECTURE=%s: a target registry that reads back other bytes than the pushed digest fails the build naming both',
        async (architecture) => {
          const pushed = await pushSource(`team/read-back-${architecture.replace('_', '-')}`, '1.0', { platforms: ['linux/amd64', 'linux/arm64'], format: 'oci' });
          const sourceImage = `quay.io/team/read-back-${architecture.replace('_', '-')}:1.0`;
          const target = targetFor(sourceImage);
          // Reading a pushed manifest by digest from the target answers one more byte than was pushed.
          const hook = await wrappedSkopeo([
            `if [[ " $* " == *" inspect "* && " $* " != *" --config "* && " $* " == *" docker://${ECR_HOST}/"*@sha256:* ]]; then`,
            '  touch "$MARK"; "$SHIM" "$@" | { cat; echo; }; exit',
            'fi',
          ]);
          const run = await runMirror({ SOURCE_IMAGE: sourceImage, TARGET_IMAGE: target.image, ARCHITECTURE: architecture }, undefined, hook);

          expect(existsSync(join(hook, 'mark')), describeRun(run)).toBe(true);
          expect(run.result.status).toBe('FAILED');
          const digest = architecture === 'all' ? pushed.digest : pushed.platforms['linux/amd64']!.digest;
          expect(run.result.log).toMatch(
            new RegExp(`ERROR: ${`${ECR_HOST}/${target.repository}@${digest}`.replaceAll('.', '\\.')} answered a manifest whose digest is sha256:[0-9a-f]{64}`),
          );
          expect(run.result.exported).toEqual({});
        },
        TEST_TIMEOUT_MS,
      );

      it(
        'index entries for another operating system are not linux images: an amd64 entry for windows fails x86_64 by tag, naming what the index has',
        async () => {
          const image = generateImage({ platforms: ['linux/amd64', 'linux/arm64'], format: 'oci' });
          const json = structuredClone(image.index!.json) as { manifests: Array<{ platform: { os: string; architecture: string } }> };
          json.manifests.find((entry) => entry.platform.architecture === 'amd64')!.platform.os = 'windows';
          const bytes = Buffer.from(JSON.stringify(json));
          const top = { ...image.index!, bytes, json, size: bytes.length, digest: `sha256:${createHash('sha256').update(bytes).digest('hex')}` };
          await pushImage(fixture.source.url, 'team/windows-amd64', '1.0', { ...image, top, index: top, digest: top.digest });
          const sourceImage = 'quay.io/team/windows-amd64:1.0';
          const target = targetFor(sourceImage);
          const run = await runMirror({ SOURCE_IMAGE: sourceImage, TARGET_IMAGE: target.image, ARCHITECTURE: 'x86_64' });

          expect(run.result.status).toBe('FAILED');
          expect(failedPhase(run)).toBe('build');
          expect(run.result.log).toContain(`ERROR: ${sourceImage} has no linux/amd64 image; it has: windows/amd64, linux/arm64.`);
          await expectNothingPushed(run, target.repository);
        },
        TEST_TIMEOUT_MS,
      );
    });

    describe('inputs: what the job refuses says why, and a registry host is one name whatever its letter case', () => {
      it.each([
        ['shell characters', (marker: string) => `quay.io/x;touch ${marker}`],
        ['a valid shape longer than 2048 characters', () => `quay.io/${'a/'.repeat(1100)}b:1`],
      ])(
        'a SOURCE_IMAGE with %s is not an image reference, and the message says which characters may appear',
        async (_case, source) => {
          const marker = join(fixture.scratch, `PWNED-${randomUUID()}`);
          const sourceImage = source(marker);
          const run = await runMirror({ SOURCE_IMAGE: sourceImage, TARGET_IMAGE: targetFor(`quay.io/${PATCHER}:5.0.1`).image, ARCHITECTURE: 'x86_64' });

          expect(run.result.status).toBe('FAILED');
          expect(failedPhase(run)).toBe('pre_build');
          expect(run.result.log).toMatch(/ERROR: SOURCE_IMAGE .* is not an image reference \(only letters, digits and \._:\/@\+- may appear\)\./);
          expect(existsSync(marker)).toBe(false);
        },
        TEST_TIMEOUT_MS,
      );

      it(
        "a credentials secret naming the host in other letter case is the host's entry (host names compare case-insensitively)",
        async () => {
          const pushed = await pushImage(
            fixture.privateSource.url,
            'team/case-app',
            '1.0',
            generateImage({ platforms: ['linux/amd64'], format: 'oci' }),
            fixture.privateAuth,
          );
          const { username, password } = fixture.privateAuth;
          const secretArn = await createCredentialsSecret({ [PRIVATE_HOST.toUpperCase()]: { username, password } });
          const sourceImage = `${PRIVATE_HOST}/team/case-app:1.0`;
          const target = targetFor(sourceImage);
          const run = await runMirror({ SOURCE_IMAGE: sourceImage, TARGET_IMAGE: target.image, ARCHITECTURE: 'x86_64', REGISTRY_CREDENTIALS_SECRET_ARN: secretArn });

          await expectMirrored(run, target, pushed.platforms['linux/amd64']!, 'linux/amd64');
          expect(run.result.log).toContain(`Using credentials for ${PRIVATE_HOST} from the secret`);
        },
        TEST_TIMEOUT_MS,
      );
    });

    describe('registry credentials stay private to the build phase', () => {
      /** The buildspec under test with probes: file modes right after the logins, and what is left once the build phase ended. */
      async function withCredentialProbes(): Promise<string> {
        const spec = parseYaml(await readFile(BUILDSPEC, 'utf8')) as { phases: Record<string, { commands: string[] }> };
        const build = spec.phases.build!.commands;
        const afterLogin = build.findIndex((command) => command.endsWith('log_in')) + 1;
        expect(afterLogin).toBeGreaterThan(0);
        build.splice(afterLogin, 0, `. "$MIRROR_STEPS"; stat -c 'PROBE mode %a %n' "$MIRROR_DIR/auth" "$SRC_AUTH" "$DEST_AUTH" "$MIRROR_DIR"/auth/ecr-token-*`);
        spec.phases.post_build!.commands.unshift('if [ -e "$MIRROR_DIR/auth" ]; then echo "PROBE auth left: $(ls -A "$MIRROR_DIR/auth")"; else echo "PROBE auth gone"; fi');
        return stringifyYaml(spec);
      }

      it.each([
        ['a build that succeeds', 'team/private-probe-ok', true],
        ['a build that fails after the logins', 'team/private-probe-missing', false],
      ] as const)(
        '%s: the auth files are readable by the build user only, and are gone once the build phase ends',
        async (_case, repository, exists) => {
          const { username, password } = fixture.privateAuth;
          if (exists) await pushImage(fixture.privateSource.url, repository, '1.0', generateImage({ platforms: ['linux/amd64'], format: 'oci' }), fixture.privateAuth);
          const secretArn = await createCredentialsSecret({ [PRIVATE_HOST]: { username, password } });
          const sourceImage = `${PRIVATE_HOST}/${repository}:1.0`;
          const target = targetFor(sourceImage);
          const run = await runMirror(
            { SOURCE_IMAGE: sourceImage, TARGET_IMAGE: target.image, ARCHITECTURE: 'x86_64', REGISTRY_CREDENTIALS_SECRET_ARN: secretArn },
            await withCredentialProbes(),
          );

          expect(run.result.status, describeRun(run)).toBe(exists ? 'SUCCEEDED' : 'FAILED');
          const modes = [...run.result.log.matchAll(/^PROBE mode (\d+) (.+)$/gm)].map(([, mode, path]) => [path!.replace(/^.*\/auth/, 'auth'), mode]);
          expect(modes).toEqual([
            ['auth', '700'],
            ['auth/source.json', '600'],
            ['auth/target.json', '600'],
            [`auth/ecr-token-${REGION}`, '600'],
          ]);
          // Output lines only (CodeBuild also echoes each command, probes included).
          expect(run.result.log).toMatch(/^PROBE auth gone$/m);
          expect(run.result.log).not.toMatch(/^PROBE auth left/m);
        },
        TEST_TIMEOUT_MS,
      );
    });
  },
);
