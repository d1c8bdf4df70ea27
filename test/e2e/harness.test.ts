// The e2e harness's own stand-ins, checked through the REAL AWS SDK v3 clients and plain HTTP: if these drift from
// the services they imitate, the scenarios prove nothing. CodeBuild/Logs/Lambda need only node and bash; the ECR
// proxy needs docker-registry, htpasswd and moto_server.
import { BatchGetBuildsCommand, CodeBuildClient, StartBuildCommand, StopBuildCommand } from '@aws-sdk/client-codebuild';
import { CloudWatchLogsClient, GetLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { CreateRepositoryCommand, DescribeImagesCommand } from '@aws-sdk/client-ecr';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateImage, pushImage } from '../support/images.js';
import { ecrClientFor, MOTO_CREDENTIALS, motoEcrCredentials, startMoto, type EcrCredentials, type LocalMoto } from '../support/moto.js';
import { RegistryHttpError } from '../support/oci-reader.js';
import { startRegistry, type LocalRegistry } from '../support/registry.js';
import { haveTools, TOOLS } from '../support/tools.js';
import { startAwsEmulator, type AwsEmulator } from './harness/aws-emulator.js';
import { CodeBuildEmulator } from './harness/codebuild.js';
import { startEcrProxy, type EcrProxy } from './harness/ecr-proxy.js';
import { LambdaEmulator } from './harness/lambda.js';
import { LogStore } from './harness/logs.js';
import { ResponseServer } from '../support/response-server.js';

const REGION = 'us-east-1';
const ACCOUNT = '123456789012';
const credentials = { ...MOTO_CREDENTIALS };

/** A buildspec that shows its environment, exports a variable, and can be slowed down or failed through overrides. */
const PROBE_BUILDSPEC = [
  'version: 0.2',
  'env:',
  '  shell: bash',
  '  exported-variables: [RESULT]',
  'phases:',
  '  build:',
  '    commands:',
  '      - echo "greeting=$GREETING region=$AWS_REGION"',
  '      - sleep "${SLEEP_SECONDS:-0}"',
  '      - test -z "${FAIL:-}"',
  '      - export RESULT="done:$GREETING"',
  '',
].join('\n');

interface EmulatorFixture {
  aws: AwsEmulator;
  codeBuild: CodeBuildEmulator;
  lambda: LambdaEmulator;
  logs: LogStore;
  scratch: string;
}

describe('Local AWS emulator through the real SDK', () => {
  let fx: EmulatorFixture;
  let codeBuildClient: CodeBuildClient;

  beforeAll(async () => {
    const logs = new LogStore();
    const codeBuild = new CodeBuildEmulator({
      region: REGION,
      accountId: ACCOUNT,
      logs,
      pathPrepend: [],
      platformEnvironment: () => ({ AWS_REGION: REGION }),
      settings: { concurrencyLimit: 1, batchGetHoldMs: 0 },
    });
    codeBuild.putProject({ name: 'probe', buildspec: PROBE_BUILDSPEC, logGroupName: '/aws/codebuild/probe', timeoutInMinutes: 1 });
    const lambda = new LambdaEmulator({ region: REGION, accountId: ACCOUNT, runtimeEnvironment: {} });
    const aws = await startAwsEmulator({ codeBuild, logs, lambda });
    fx = { aws, codeBuild, lambda, logs, scratch: await mkdtemp(join(tmpdir(), 'sif-e2e-harness-')) };
    codeBuildClient = new CodeBuildClient({ region: REGION, endpoint: aws.url, credentials, maxAttempts: 1 });
  });

  afterAll(async () => {
    codeBuildClient?.destroy();
    await fx?.lambda.stopAll();
    await fx?.codeBuild.stopAll();
    await fx?.aws.stop();
    if (fx) await rm(fx.scratch, { recursive: true, force: true });
  });

  async function finished(id: string) {
    await fx.codeBuild.allBuilds().find((build) => build.id === id)!.done;
    const { builds } = await codeBuildClient.send(new BatchGetBuildsCommand({ ids: [id] }));
    return builds![0]!;
  }

  describe('Class: CodeBuildEmulator', () => {
    it('runs the buildspec with the StartBuild overrides and reports phases, exported variables and its log stream', async () => {
      const started = await codeBuildClient.send(
        new StartBuildCommand({ projectName: 'probe', environmentVariablesOverride: [{ name: 'GREETING', value: 'hello', type: 'PLAINTEXT' }] }),
      );
      expect(started.build?.buildStatus).toBe('IN_PROGRESS');
      expect(started.build?.startTime).toBeInstanceOf(Date);
      const build = await finished(started.build!.id!);

      expect(build.buildStatus).toBe('SUCCEEDED');
      expect(build.endTime).toBeInstanceOf(Date);
      expect(build.exportedEnvironmentVariables).toEqual([{ name: 'RESULT', value: 'done:hello' }]);
      expect(build.phases?.map((phase) => phase.phaseType)).toEqual([
        'SUBMITTED',
        'QUEUED',
        'PROVISIONING',
        'DOWNLOAD_SOURCE',
        'INSTALL',
        'PRE_BUILD',
        'BUILD',
        'POST_BUILD',
        'FINALIZING',
        'COMPLETED',
      ]);
      const logs = new CloudWatchLogsClient({ region: REGION, endpoint: fx.aws.url, credentials, maxAttempts: 1 });
      try {
        const events = await logs.send(
          new GetLogEventsCommand({ logGroupName: build.logs!.groupName!, logStreamName: build.logs!.streamName!, limit: 50, startFromHead: false }),
        );
        expect(events.events?.map((event) => event.message).join('')).toContain('greeting=hello region=us-east-1');
      } finally {
        logs.destroy();
      }
    });

    it('reports a failed command as a FAILED phase with CodeBuild context message', async () => {
      const started = await codeBuildClient.send(
        new StartBuildCommand({ projectName: 'probe', environmentVariablesOverride: [{ name: 'FAIL', value: 'yes', type: 'PLAINTEXT' }] }),
      );
      const build = await finished(started.build!.id!);
      expect(build.buildStatus).toBe('FAILED');
      const phase = build.phases?.find((candidate) => candidate.phaseType === 'BUILD');
      expect(phase?.phaseStatus).toBe('FAILED');
      expect(phase?.contexts?.[0]?.message).toMatch(/Error while executing command: test -z .*Reason: exit status 1/);
    });

    it('replays a StartBuild with the same idempotency token and refuses the token with other parameters', async () => {
      const token = randomUUID();
      const input = { projectName: 'probe', idempotencyToken: token, environmentVariablesOverride: [{ name: 'GREETING', value: 'once', type: 'PLAINTEXT' as const }] };
      const first = await codeBuildClient.send(new StartBuildCommand(input));
      const again = await codeBuildClient.send(new StartBuildCommand(input));
      expect(again.build?.id).toBe(first.build?.id);
      const changed = { ...input, environmentVariablesOverride: [{ name: 'GREETING', value: 'twice', type: 'PLAINTEXT' as const }] };
      await expect(codeBuildClient.send(new StartBuildCommand(changed))).rejects.toMatchObject({ name: 'InvalidInputException' });
      await finished(first.build!.id!);
    });

    it('refuses builds beyond the concurrency limit with AccountLimitExceededException, and StopBuild stops one', async () => {
      const slow = await codeBuildClient.send(
        new StartBuildCommand({ projectName: 'probe', environmentVariablesOverride: [{ name: 'SLEEP_SECONDS', value: '30', type: 'PLAINTEXT' }] }),
      );
      await expect(codeBuildClient.send(new StartBuildCommand({ projectName: 'probe' }))).rejects.toMatchObject({
        name: 'AccountLimitExceededException',
      });
      await codeBuildClient.send(new StopBuildCommand({ id: slow.build!.id! }));
      expect((await finished(slow.build!.id!)).buildStatus).toBe('STOPPED');
    });

    it('answers an unknown project with ResourceNotFoundException', async () => {
      await expect(codeBuildClient.send(new StartBuildCommand({ projectName: 'nope' }))).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
    });
  });

  describe('Class: LambdaEmulator', () => {
    /** A CommonJS bundle that records its event, context and process id, then returns or sleeps. */
    async function probeFunction(name: string, timeoutMs: number): Promise<string> {
      const bundle = join(fx.scratch, `${name}.cjs`);
      const record = join(fx.scratch, `${name}.json`);
      await writeFile(
        bundle,
        `exports.handler = async (event, context) => {
          require('node:fs').writeFileSync(${JSON.stringify(record)}, JSON.stringify({ event, pid: process.pid, arn: context.invokedFunctionArn,
            remaining: context.getRemainingTimeInMillis(), region: process.env.AWS_REGION, custom: process.env.CUSTOM }));
          if (event.sleepMs) await new Promise((r) => setTimeout(r, event.sleepMs));
          if (event.fail) throw new Error('asked to fail');
          return { echoed: event.value };
        };`,
      );
      fx.lambda.putFunction({
        name,
        arn: `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${name}`,
        bundle,
        environment: { CUSTOM: 'from-function' },
        timeoutMs,
        memoryMb: 128,
      });
      return record;
    }

    it('runs an Event invoke in a fresh process with a Lambda context and answers 202 at once', async () => {
      const record = await probeFunction('probe-event', 30_000);
      const client = new LambdaClient({ region: REGION, endpoint: fx.aws.url, credentials, maxAttempts: 1 });
      try {
        const arn = `arn:aws:lambda:${REGION}:${ACCOUNT}:function:probe-event`;
        const answer = await client.send(new InvokeCommand({ FunctionName: arn, InvocationType: 'Event', Payload: Buffer.from('{"value":42}') }));
        expect(answer.StatusCode).toBe(202);
        await fx.lambda.idle();
        const seen = JSON.parse(await readFile(record, 'utf8')) as Record<string, unknown>;
        expect(seen).toMatchObject({ event: { value: 42 }, arn, region: REGION, custom: 'from-function' });
        expect(seen.pid).not.toBe(process.pid);
        expect(seen.remaining).toBeGreaterThan(25_000);
        expect(seen.remaining).toBeLessThanOrEqual(30_000);

        const sync = await client.send(new InvokeCommand({ FunctionName: 'probe-event', Payload: Buffer.from('{"value":"x"}') }));
        expect(JSON.parse(Buffer.from(sync.Payload!).toString('utf8'))).toEqual({ echoed: 'x' });
        await expect(client.send(new InvokeCommand({ FunctionName: 'missing-function' }))).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
      } finally {
        client.destroy();
      }
    });

    it('kills an invocation at its timeout, as Lambda does', async () => {
      await probeFunction('probe-timeout', 1_000);
      const invocation = await fx.lambda.invoke('probe-timeout', { sleepMs: 60_000 }, 'lambda-api', 'RequestResponse').finished;
      expect(invocation.status).toBe('timeout');
      expect(invocation.error).toBe('Task timed out after 1.00 seconds');
      // Killed long before the handler's own end (generous: the host may be busy).
      expect(invocation.endedAt! - invocation.invokedAt!).toBeLessThan(30_000);
    });

    it('starts the timeout when the handler is called, not while the bundle loads (init), as Lambda does', async () => {
      const record = await probeFunction('probe-slow-init', 10_000);
      // Loading the bundle takes 12 s (blocked, not busy), longer than the whole timeout: the invocation still gets its 10 s.
      const bundle = join(fx.scratch, 'probe-slow-init.cjs');
      await writeFile(bundle, `Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 12000);\n${await readFile(bundle, 'utf8')}`);
      const invocation = await fx.lambda.invoke('probe-slow-init', { value: 1 }, 'lambda-api', 'RequestResponse').finished;
      expect(invocation.status, invocation.error).toBe('ok');
      expect(invocation.invokedAt! - invocation.startedAt).toBeGreaterThanOrEqual(12_000);
      const seen = JSON.parse(await readFile(record, 'utf8')) as { remaining: number };
      // Its first line saw most of the 10 s (a busy host may take a while to get there: 5 s of room).
      expect(seen.remaining).toBeGreaterThan(5_000);
      expect(seen.remaining).toBeLessThanOrEqual(10_000);
    });

    it('retries a failed asynchronous invocation twice with the same request id, as Lambda does', async () => {
      await probeFunction('probe-retry', 10_000);
      const first = fx.lambda.invoke('probe-retry', { fail: true }, 'lambda-api', 'Event');
      await fx.lambda.idle();
      const attempts = fx.lambda.allInvocations().filter((invocation) => invocation.functionName === 'probe-retry');
      expect(attempts.map((invocation) => [invocation.attempt, invocation.status, invocation.id])).toEqual([
        [1, 'error', first.id],
        [2, 'error', first.id],
        [3, 'error', first.id],
      ]);
      expect(attempts[0]!.error).toMatch(/asked to fail/);
    });
  });
});

describe('Class: ResponseServer', () => {
  let server: ResponseServer;
  beforeAll(async () => {
    server = await ResponseServer.start();
  });
  afterAll(async () => {
    await server?.stop();
  });

  const answer = (requestId: string) => JSON.stringify({ Status: 'SUCCESS', PhysicalResourceId: 'p', StackId: 's', RequestId: requestId, LogicalResourceId: 'L' });

  it('accepts a PUT only with the issued signature, records every attempt, and can fail the next PUTs', async () => {
    const issued = server.issue('arn:aws:cloudformation:us-east-1:123456789012:stack/s/1', 'L', 'req-1');
    const forged = new URL(issued.url);
    forged.searchParams.set('X-Amz-Signature', '0'.repeat(64));
    expect((await fetch(forged, { method: 'PUT', body: answer('req-1') })).status).toBe(403);
    server.failNextPuts(1);
    expect((await fetch(issued.url, { method: 'PUT', body: answer('req-1') })).status).toBe(500);
    expect((await fetch(issued.url, { method: 'PUT', body: answer('req-1') })).status).toBe(200);

    expect(server.puts().map((put) => put.status)).toEqual([403, 500, 200]);
    expect(server.answersFor('req-1')).toHaveLength(1);
    expect((await server.waitForAnswer('req-1', 1_000)).answer.PhysicalResourceId).toBe('p');
    await expect(server.waitForAnswer('never-answered', 50)).rejects.toThrow(/no answer/);
  });
});

describe.skipIf(!haveTools(TOOLS.registry, TOOLS.htpasswd, TOOLS.moto))('Function: startEcrProxy', () => {
  let moto: LocalMoto;
  let target: LocalRegistry;
  let proxy: EcrProxy;
  let auth: EcrCredentials;
  let proxyEcr: ReturnType<typeof ecrClientFor> | undefined;

  beforeAll(async () => {
    moto = await startMoto();
    auth = await motoEcrCredentials(moto, REGION);
    target = await startRegistry({ name: 'proxy-target', htpasswd: auth });
    proxyEcr = ecrClientFor(moto, REGION);
    proxy = await startEcrProxy({ backendUrl: target.url, ecr: proxyEcr, registryId: ACCOUNT });
  });
  afterAll(async () => {
    await proxy?.stop();
    proxyEcr?.destroy();
    await target?.stop();
    await moto?.stop();
  });

  async function createRepository(name: string, immutable = false): Promise<void> {
    const ecr = ecrClientFor(moto, REGION);
    try {
      await ecr.send(new CreateRepositoryCommand({ repositoryName: name, imageTagMutability: immutable ? 'IMMUTABLE' : 'MUTABLE' }));
    } finally {
      ecr.destroy();
    }
  }

  it('refuses a push to a repository ECR does not have, with NAME_UNKNOWN', async () => {
    const push = pushImage(proxy.url, 'nowhere/app', '1.0', generateImage({ platforms: ['linux/amd64'] }), auth);
    await expect(push).rejects.toSatisfy((error) => error instanceof RegistryHttpError && error.status === 404 && error.body.includes('NAME_UNKNOWN'));
  });

  it('registers every pushed manifest in ECR with its true digest, and counts the pushed blob bytes', async () => {
    await createRepository('team/app');
    const image = generateImage({ platforms: ['linux/amd64'], layerBytes: 10_000 });
    const pushed = await pushImage(proxy.url, 'team/app', '1.0', image, auth);
    const ecr = ecrClientFor(moto, REGION);
    try {
      const described = await ecr.send(new DescribeImagesCommand({ repositoryName: 'team/app', imageIds: [{ imageTag: '1.0' }] }));
      expect(described.imageDetails?.[0]?.imageDigest).toBe(pushed.digest);
    } finally {
      ecr.destroy();
    }
    expect(proxy.pushedBlobBytes('team/app')).toBe(image.blobs.reduce((sum, blob) => sum + blob.size, 0));
  });

  it('keeps an existing tag of an IMMUTABLE repository from moving, and refuses even the same image again, as ECR does', async () => {
    await createRepository('team/frozen', true);
    const first = generateImage({ platforms: ['linux/amd64'] });
    await pushImage(proxy.url, 'team/frozen', '1.0', first, auth);
    const other = pushImage(proxy.url, 'team/frozen', '1.0', generateImage({ platforms: ['linux/arm64'] }), auth);
    await expect(other).rejects.toSatisfy((error) => error instanceof RegistryHttpError && error.body.includes('TAG_INVALID'));
    const again = pushImage(proxy.url, 'team/frozen', '1.0', first, auth);
    await expect(again).rejects.toSatisfy((error) => error instanceof RegistryHttpError && error.body.includes('TAG_INVALID'));
    // A MUTABLE repository takes both.
    await createRepository('team/thawed');
    await pushImage(proxy.url, 'team/thawed', '1.0', first, auth);
    await expect(pushImage(proxy.url, 'team/thawed', '1.0', first, auth)).resolves.toBeDefined();
  });
});
