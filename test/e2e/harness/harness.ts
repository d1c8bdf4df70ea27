// The end-to-end harness: every local part the deployment needs, started on free 127.0.0.1 ports and stopped
// together, leaving no process behind.
//   - source registries (docker-registry) standing in for quay.io, docker.io and ghcr.io (anonymous), for a private
//     registry (htpasswd, credentials in Secrets Manager) and for ECR of another region (htpasswd with the ECR token);
//   - the target registry standing in for this account's ECR (htpasswd user AWS, password from moto's
//     GetAuthorizationToken) behind the ECR proxy that keeps moto's image list in step with what is pushed;
//   - moto_server for ECR and Secrets Manager; the local AWS emulator for CodeBuild, CloudWatch Logs and Lambda;
//   - the ResponseURL server; the skopeo shim for builds;
//   - the macro stack resolved from template.yaml, its two functions registered in the Lambda stand-in (bundles
//     dist/macro/index.js and dist/mirror/index.js) and its CodeBuild project (the inline buildspec).
import { CreateRepositoryCommand } from '@aws-sdk/client-ecr';
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { existsSync } from 'node:fs';
import { type CopyEngineName, DEFAULT_COPY_ENGINE } from '../../../src/contract.js';
import { generateImage, pushImage, type GeneratedImage, type GenerateImageOptions, type PushedImage } from '../../support/images.js';
import { ecrClientFor, MOTO_ACCOUNT_ID, MOTO_CREDENTIALS, motoEcrCredentials, startMoto, type EcrCredentials, type LocalMoto } from '../../support/moto.js';
import { startRegistry, type LocalRegistry, type RegistryAuth } from '../../support/registry.js';
import { createSkopeoShim, type SkopeoShim } from '../../support/skopeo-shim.js';
import { startAwsEmulator, type AwsEmulator } from './aws-emulator.js';
import { CodeBuildEmulator, type CodeBuildSettings } from './codebuild.js';
import { DeployDriver } from './deploy.js';
import { startEcrProxy, type EcrProxy } from './ecr-proxy.js';
import { LambdaEmulator } from './lambda.js';
import { LogStore } from './logs.js';
import { loadMacroStack, type MacroStack } from './macro-stack.js';
import { ResponseServer } from '../../support/response-server.js';

/** The stacks' region unless a suite asks for another ({@link HarnessOptions.region}). */
export const REGION = 'us-east-1';
export const OTHER_REGION = 'eu-west-1';
export const ACCOUNT_ID = MOTO_ACCOUNT_ID;
/** This account's private ECR in the default region: where mirrored images land ({@link Harness.ecrHost} in general). */
export const ECR_HOST = ecrHostOf(REGION);
/** ECR of the same account in another region: Lambda in REGION cannot use it. */
export const OTHER_REGION_ECR_HOST = ecrHostOf(OTHER_REGION);
/** A private registry that needs the credentials secret. */
export const PRIVATE_HOST = 'registry.example.com';
export const PUBLIC_HOSTS = ['quay.io', 'docker.io', 'ghcr.io'] as const;

const ROOT = new URL('../../../', import.meta.url).pathname;
export const MACRO_BUNDLE = `${ROOT}dist/macro/index.js`;
export const MIRROR_BUNDLE = `${ROOT}dist/mirror/index.js`;

export class HarnessError extends Error {
  override readonly name = 'HarnessError';
}

/** A generated image pushed to the registry standing in for its host. */
export interface SourceImage {
  /** The reference as a template writes it, e.g. `quay.io/sysdig/serverless-patcher:5.0.1`. */
  readonly reference: string;
  readonly generated: GeneratedImage;
  readonly pushed: PushedImage;
}

export interface HarnessOptions {
  readonly codeBuild?: Partial<CodeBuildSettings>;
  /** The macro stack's CopyEngine for every deployment of this harness (default: the template's default). */
  readonly copyEngine?: CopyEngineName;
  /** The region the stacks, the macro stack and this account's ECR are in (default {@link REGION}). */
  readonly region?: string;
}

/** This account's private ECR host in `region`. */
export function ecrHostOf(region: string): string {
  return `${ACCOUNT_ID}.dkr.ecr.${region}.amazonaws.com`;
}

export interface Harness {
  readonly region: string;
  /** Who copies: the macro stack's CopyEngine, kept across setMacroStackParameters. */
  readonly copyEngine: CopyEngineName;
  readonly accountId: string;
  /** This account's private ECR in the harness's region (the target registry, behind the ECR proxy). */
  readonly ecrHost: string;
  readonly moto: LocalMoto;
  /** Credentials of the target registry (moto's ECR token). */
  readonly ecrCredentials: EcrCredentials;
  /** The docker-registry behind the ECR proxy: read results here with test/support/oci-reader.ts. */
  readonly target: LocalRegistry;
  readonly ecrProxy: EcrProxy;
  readonly privateAuth: RegistryAuth;
  readonly responses: ResponseServer;
  readonly logs: LogStore;
  readonly codeBuild: CodeBuildEmulator;
  readonly lambda: LambdaEmulator;
  readonly aws: AwsEmulator;
  readonly shim: SkopeoShim;
  readonly deployer: DeployDriver;
  /** The macro stack as currently deployed. */
  macroStack(): MacroStack;
  /** Re-deploys the macro stack with these parameter values (the rest keep their Defaults). */
  setMacroStackParameters(parameters: Readonly<Record<string, string>>): Promise<void>;
  /**
   * Points the mirror function's own registry client for `host` at `url` (e.g. a closed port, so that the function
   * cannot resolve the source and leaves it to the build, which still reaches the registry); undefined restores the
   * stand-in. Re-deploys the mirror function with the current macro stack parameters.
   */
  setMirrorRegistryEndpoint(host: string, url: string | undefined): Promise<void>;
  /** The local registry standing in for a real host (`quay.io`, ...): its `http://127.0.0.1:PORT`. */
  registryUrlOf(host: string): string;
  /** The mirror function's timeout (Lambda kills an invocation after it; getRemainingTimeInMillis counts down to it). */
  setMirrorTimeout(ms: number): void;
  /** Generates an image and pushes it to the registry standing in for the reference's host. */
  pushSource(reference: string, options: GenerateImageOptions): Promise<SourceImage>;
  /** Pushes an already generated image under another reference (e.g. a second tag). */
  pushGenerated(reference: string, image: GeneratedImage): Promise<SourceImage>;
  /** Creates a repository in this account's ECR (moto), e.g. for an image that is already private in-region. */
  createEcrRepository(name: string): Promise<void>;
  /** Creates a Secrets Manager secret in moto; returns its ARN. */
  createSecret(value: unknown): Promise<string>;
  /** Process ids of every server the harness started (for leak checks). */
  pids(): number[];
  stop(): Promise<void>;
}

/** `host/path:tag` split without the product's parser (the harness must not depend on the code it checks). */
export function splitReference(reference: string): { host: string; repository: string; tag: string } {
  const slash = reference.indexOf('/');
  const colon = reference.lastIndexOf(':');
  if (slash < 1 || colon < slash) throw new HarnessError(`pushSource: ${reference} is not host/repository:tag`);
  return { host: reference.slice(0, slash), repository: reference.slice(slash + 1, colon), tag: reference.slice(colon + 1) };
}

export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  for (const bundle of [MACRO_BUNDLE, MIRROR_BUNDLE]) {
    if (!existsSync(bundle)) throw new HarnessError(`${bundle} is missing: run \`npm run build\` first (npm run test:e2e does)`);
  }
  const region = options.region ?? REGION;
  if (region === OTHER_REGION) throw new HarnessError(`the harness's region must differ from ${OTHER_REGION}, which stands for ECR of another region`);
  const ecrHost = ecrHostOf(region);
  const stoppers: Array<() => Promise<void>> = [];
  const pids: number[] = [];
  const stopAll = async (): Promise<void> => {
    for (const stop of stoppers.reverse()) await stop().catch(() => {});
    stoppers.length = 0;
  };
  try {
    const moto = await startMoto();
    stoppers.push(() => moto.stop());
    pids.push(moto.pid);
    const ecrCredentials = await motoEcrCredentials(moto, region);
    const privateAuth: RegistryAuth = { username: 'e2e-puller', password: `pw-${crypto.randomUUID()}` };

    const [publicSource, privateSource, otherRegion, target] = await Promise.all([
      startRegistry({ name: 'public-source' }),
      startRegistry({ name: 'private-source', htpasswd: privateAuth }),
      startRegistry({ name: 'ecr-other-region', htpasswd: ecrCredentials }),
      startRegistry({ name: 'ecr-target', htpasswd: ecrCredentials }),
    ]);
    for (const registry of [publicSource, privateSource, otherRegion, target]) {
      stoppers.push(() => registry.stop());
      pids.push(registry.pid);
    }
    const ecrClient = ecrClientFor(moto, region);
    stoppers.push(async () => ecrClient.destroy());
    const ecrProxy = await startEcrProxy({ backendUrl: target.url, ecr: ecrClient, registryId: ACCOUNT_ID });
    stoppers.push(() => ecrProxy.stop());

    /** Which local registry stands in for which real host (the URL for HTTP, the host:port for skopeo). */
    const registryFor = new Map<string, { registry: { url: string; host: string }; auth?: RegistryAuth }>([
      ...PUBLIC_HOSTS.map((host) => [host, { registry: publicSource }] as const),
      [PRIVATE_HOST, { registry: privateSource, auth: privateAuth }],
      [OTHER_REGION_ECR_HOST, { registry: otherRegion, auth: ecrCredentials }],
      [ecrHost, { registry: ecrProxy, auth: ecrCredentials }],
    ]);
    // ECR hosts (this region's target, the other region's source) are rewritten by the shim: the build logs in to
    // them with `skopeo login`, which registries.conf does not remap. The other registries are remapped for pulls.
    const ecrHosts = new Set([ecrHost, OTHER_REGION_ECR_HOST]);
    const shim = await createSkopeoShim({
      pullRegistries: Object.fromEntries([...registryFor].filter(([host]) => !ecrHosts.has(host)).map(([host, entry]) => [host, entry.registry.host])),
      ecrHostToLocal: Object.fromEntries([...registryFor].filter(([host]) => ecrHosts.has(host)).map(([host, entry]) => [host, entry.registry.host])),
    });
    stoppers.push(() => shim.cleanup());

    const responses = await ResponseServer.start();
    stoppers.push(() => responses.stop());
    const logs = new LogStore();
    const awsCredentials = {
      AWS_ACCESS_KEY_ID: MOTO_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: MOTO_CREDENTIALS.secretAccessKey,
      // No real configuration or instance metadata may leak into a local run.
      AWS_CONFIG_FILE: '/nonexistent/aws-config',
      AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/aws-credentials',
      AWS_EC2_METADATA_DISABLED: 'true',
    };
    const codeBuild = new CodeBuildEmulator({
      region,
      accountId: ACCOUNT_ID,
      logs,
      pathPrepend: [shim.binDir],
      ...(options.codeBuild ? { settings: options.codeBuild } : {}),
      platformEnvironment: (build) => ({
        AWS_REGION: region,
        AWS_DEFAULT_REGION: region,
        CODEBUILD_BUILD_ID: build.id,
        CODEBUILD_BUILD_ARN: build.arn,
        CODEBUILD_BUILD_NUMBER: String(build.number),
        CODEBUILD_INITIATOR: 'sysdig-image-fix-mirror',
        CODEBUILD_BUILD_IMAGE: 'aws/codebuild/standard:7.0',
        // The aws CLI (v1) in the build talks to moto: ECR login token, Secrets Manager.
        AWS_ENDPOINT_URL: moto.endpoint,
        ...awsCredentials,
      }),
    });
    stoppers.push(() => codeBuild.stopAll());

    let lambda!: LambdaEmulator;
    const aws = await startAwsEmulator({
      codeBuild,
      logs,
      get lambda() {
        return lambda;
      },
    });
    lambda = new LambdaEmulator({
      region,
      accountId: ACCOUNT_ID,
      runtimeEnvironment: {
        ...awsCredentials,
        AWS_SESSION_TOKEN: 'testing',
        AWS_ENDPOINT_URL_ECR: moto.endpoint,
        AWS_ENDPOINT_URL_SECRETS_MANAGER: moto.endpoint,
        AWS_ENDPOINT_URL_CODEBUILD: aws.url,
        AWS_ENDPOINT_URL_LAMBDA: aws.url,
        AWS_ENDPOINT_URL_CLOUDWATCH_LOGS: aws.url,
      },
    });
    // Stopped before the emulator so that no invocation is left talking to a closed server.
    stoppers.push(() => aws.stop());
    stoppers.push(() => lambda.stopAll());

    /** REGISTRY_ENDPOINTS of the mirror function: the real hosts mapped to their local stand-ins, then any overrides. */
    const endpointOverrides = new Map<string, string>();
    const registryEndpoints = (): string =>
      JSON.stringify(Object.fromEntries([...[...registryFor].map(([host, entry]) => [host, entry.registry.url] as const), ...endpointOverrides]));
    let macroStack: MacroStack;
    let macroStackParameters: Readonly<Record<string, string>> = {};
    let mirrorTimeoutMs: number | undefined;
    const copyEngine = options.copyEngine ?? DEFAULT_COPY_ENGINE;
    const deployMacroStack = async (parameters: Readonly<Record<string, string>>): Promise<void> => {
      macroStackParameters = parameters;
      const withEngine = options.copyEngine !== undefined ? { CopyEngine: options.copyEngine, ...parameters } : parameters;
      macroStack = await loadMacroStack({ region, accountId: ACCOUNT_ID, parameters: withEngine });
      codeBuild.putProject(macroStack.buildProject);
      const { macroFunction, mirrorFunction } = macroStack;
      lambda.putFunction({
        name: macroFunction.name,
        arn: macroFunction.arn,
        bundle: MACRO_BUNDLE,
        environment: macroFunction.environment,
        timeoutMs: macroFunction.timeoutSeconds * 1000,
        memoryMb: macroFunction.memoryMb,
      });
      lambda.putFunction({
        name: mirrorFunction.name,
        arn: mirrorFunction.arn,
        bundle: MIRROR_BUNDLE,
        environment: { ...mirrorFunction.environment, REGISTRY_ENDPOINTS: registryEndpoints() },
        timeoutMs: mirrorTimeoutMs ?? mirrorFunction.timeoutSeconds * 1000,
        memoryMb: mirrorFunction.memoryMb,
      });
    };
    await deployMacroStack({});

    const deployer = new DeployDriver({ region, accountId: ACCOUNT_ID, lambda, codeBuild, responses, macroStack: () => macroStack });

    const pushGenerated = async (reference: string, generated: GeneratedImage): Promise<SourceImage> => {
      const { host, repository, tag } = splitReference(reference);
      const entry = registryFor.get(host);
      if (entry === undefined) throw new HarnessError(`pushSource: no local registry stands in for ${host}`);
      const pushed = await pushImage(entry.registry.url, repository, tag, generated, entry.auth);
      return { reference, generated, pushed };
    };

    return {
      region,
      copyEngine,
      accountId: ACCOUNT_ID,
      ecrHost,
      moto,
      ecrCredentials,
      target,
      ecrProxy,
      privateAuth,
      responses,
      logs,
      codeBuild,
      lambda,
      aws,
      shim,
      deployer,
      macroStack: () => macroStack,
      setMacroStackParameters: deployMacroStack,
      async setMirrorRegistryEndpoint(host, url) {
        if (url === undefined) endpointOverrides.delete(host);
        else endpointOverrides.set(host, url);
        await deployMacroStack(macroStackParameters);
      },
      registryUrlOf(host) {
        const entry = registryFor.get(host);
        if (entry === undefined) throw new HarnessError(`no local registry stands in for ${host}`);
        return entry.registry.url;
      },
      setMirrorTimeout(ms) {
        mirrorTimeoutMs = ms;
        lambda.getFunction(macroStack.mirrorFunction.name).timeoutMs = ms;
      },
      pushSource: (reference, imageOptions) => pushGenerated(reference, generateImage(imageOptions)),
      pushGenerated,
      async createEcrRepository(name) {
        await ecrClient.send(new CreateRepositoryCommand({ repositoryName: name }));
      },
      async createSecret(value) {
        const client = new SecretsManagerClient({ region, endpoint: moto.endpoint, credentials: { ...MOTO_CREDENTIALS } });
        try {
          const created = await client.send(new CreateSecretCommand({ Name: `e2e-registry-credentials-${crypto.randomUUID()}`, SecretString: JSON.stringify(value) }));
          if (created.ARN === undefined) throw new HarnessError('moto created a secret without an ARN');
          return created.ARN;
        } finally {
          client.destroy();
        }
      },
      pids: () => [...pids],
      stop: stopAll,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}
