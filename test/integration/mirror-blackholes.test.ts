// The mirror function's ports against endpoints that accept the connection and never answer, over real
// sockets, through the real AWS SDK clients createAwsPorts makes (pointed at the black hole with
// AWS_ENDPOINT_URL_<SERVICE>, as the reproduction did) and the real registry client and response PUT.
// Every call ends when its budget does, and the SDK's abortSignal tears its socket down. Then the whole
// handler with ECR silent: before, it waited forever; now it answers FAILED naming ECR within its invocation.
import { createServer } from 'node:net';
import { Logger } from '@aws-lambda-powertools/logger';
import type { Context } from 'aws-lambda';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Budget, CallTimeoutError } from '../../src/mirror/core/budget.js';
import { loadConfig } from '../../src/mirror/core/config.js';
import { createHandler } from '../../src/mirror/handler.js';
import { createMirrorLog, SERVICE_NAME } from '../../src/mirror/log.js';
import { createAwsPorts } from '../../src/mirror/ports/aws.js';
import { createHttpPut } from '../../src/mirror/ports/http-put.js';
import { realClock } from '../../src/mirror/ports/clock.js';
import type { MirrorPorts, RegistryPortOptions } from '../../src/mirror/ports/types.js';
import { RegistryClient } from '../../src/mirror/registry/client.js';
import { sendResponse } from '../../src/mirror/cfn/response.js';
import { startBlackHole, type BlackHole } from '../support/black-hole.js';
import { LOOPBACK } from '../support/loopback.js';
import { createEvent } from '../unit/mirror/fixtures/harness.js';
import { ResponseServer } from '../support/response-server.js';

const REGION = 'eu-west-1';
const ACCOUNT = '123456789012';
const FUNCTION_ARN = `arn:aws:lambda:${REGION}:${ACCOUNT}:function:sysdig-image-fix-mirror`;
const SECRET_ARN = `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:registry-credentials-AbCdEf`;
/** What each call is given here: long enough to connect and send, far shorter than any SDK default. */
const CALL_MS = 2_000;
/** Generous: the point is that the call ends, not how fast the machine is. */
const SLACK_MS = 8_000;

const SERVICES = ['ECR', 'CODEBUILD', 'CLOUDWATCH_LOGS', 'SECRETS_MANAGER', 'LAMBDA'] as const;

const saved: Record<string, string | undefined> = {};
function setEnv(values: Record<string, string | undefined>): void {
  for (const [name, value] of Object.entries(values)) {
    if (!(name in saved)) saved[name] = process.env[name];
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
}

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, LOOPBACK, resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** A budget of CALL_MS for one call, in real time. */
function within<T>(name: string, run: Parameters<Budget['call']>[2]): Promise<T> {
  const end = Date.now() + CALL_MS + 1_000;
  return new Budget(realClock, () => end - Date.now(), 0).call(name, CALL_MS, run) as Promise<T>;
}

async function expectCutOff(hole: BlackHole, name: string, run: Parameters<Budget['call']>[2]): Promise<void> {
  const accepted = hole.accepted();
  const started = Date.now();
  const error = await within(name, run).catch((e: unknown) => e);
  const elapsed = Date.now() - started;
  expect(error, String(error)).toBeInstanceOf(CallTimeoutError);
  expect((error as Error).message).toContain(`${name} did not answer within 2 s`);
  expect(elapsed).toBeGreaterThanOrEqual(CALL_MS - 50);
  expect(elapsed).toBeLessThan(CALL_MS + SLACK_MS);
  // It really reached the socket, and let go of it.
  expect(hole.accepted()).toBeGreaterThan(accepted);
  await hole.drained(SLACK_MS);
}

describe('Ports against black-hole endpoints (real sockets)', () => {
  let hole: BlackHole;
  let ports: MirrorPorts;
  let credentials: RegistryPortOptions['credentials'] | undefined;

  beforeAll(async () => {
    hole = await startBlackHole();
    setEnv({
      AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
      AWS_SECRET_ACCESS_KEY: 'secret-example',
      AWS_SESSION_TOKEN: undefined,
      AWS_PROFILE: undefined,
      ...Object.fromEntries(SERVICES.map((service) => [`AWS_ENDPOINT_URL_${service}`, hole.url])),
    });
    const config = loadConfig(
      { AWS_REGION: REGION, CODEBUILD_PROJECT_NAME: 'copy', REGISTRY_CREDENTIALS_SECRET_ARN: SECRET_ARN, REGISTRY_ENDPOINTS: JSON.stringify({ 'quay.io': hole.url }) },
      FUNCTION_ARN,
    );
    ports = createAwsPorts(config, {
      registry: (options) => {
        credentials = options.credentials;
        return new RegistryClient(options);
      },
    });
  });
  afterAll(async () => {
    setEnv(Object.fromEntries(Object.keys(saved).map((name) => [name, saved[name]])));
    await hole?.close();
  });

  it('ECR: CreateRepository is cut off at its budget', async () => {
    await expectCutOff(hole, 'ECR CreateRepository', (call) =>
      ports.ensureRepository({ repositoryName: 'sysdig-image-fix/x', imageTagMutability: 'MUTABLE', kmsKeyArn: undefined, tags: {} }, call),
    );
  }, 30_000);

  it('CodeBuild: StartBuild and ListBuildsForProject are cut off at their budget', async () => {
    await expectCutOff(hole, 'CodeBuild StartBuild', (call) => ports.startBuild({ projectName: 'copy', idempotencyToken: 't', environment: [] }, call));
    await expectCutOff(hole, 'CodeBuild ListBuildsForProject', (call) => ports.recentBuilds('copy', call));
  }, 30_000);

  it('CloudWatch Logs: GetLogEvents is cut off at its budget', async () => {
    await expectCutOff(hole, 'CloudWatch Logs GetLogEvents', (call) => ports.tailBuildLog('g', 's', 20, call));
  }, 30_000);

  it('Lambda: the hand-over Invoke is cut off at its budget', async () => {
    await expectCutOff(hole, 'Lambda Invoke', (call) => ports.invokeSelf(FUNCTION_ARN, '{}', call));
  }, 30_000);

  it('the source registry (and the Secrets Manager read its credentials need) is cut off at its budget', async () => {
    await expectCutOff(hole, 'the registry quay.io', (call) => ports.resolveSourcePlatform({ registry: 'quay.io', repository: 'a/b', tag: '1' }, 'x86_64', call));
    expect(credentials).toBeDefined();
    await expectCutOff(hole, 'Secrets Manager GetSecretValue', (call) => credentials!('quay.io', call));
  }, 30_000);

  it('the response PUT gives up each attempt at its timeout, and all attempts within the time left', async () => {
    const started = Date.now();
    await expect(createHttpPut()(`${hole.url}/response?X-Amz-Signature=s`, '{}', 1_000)).rejects.toThrow('no answer from the response endpoint within 1000 ms');
    expect(Date.now() - started).toBeLessThan(1_000 + SLACK_MS);
    const log = createMirrorLog(new Logger({ serviceName: SERVICE_NAME, logLevel: 'CRITICAL' }));
    const end = Date.now() + 4_000;
    const sent = await sendResponse({ putResponse: createHttpPut(), sleep: (ms) => realClock.sleep(ms) }, `${hole.url}/response`, '{}', log, () => end - Date.now());
    expect(sent).toBe(false);
    expect(Date.now()).toBeLessThan(end);
    await hole.drained(SLACK_MS);
  }, 30_000);
});

describe('The handler with ECR a black hole (AWS_ENDPOINT_URL_ECR)', () => {
  let ecr: BlackHole;
  let server: ResponseServer;

  beforeAll(async () => {
    ecr = await startBlackHole();
    server = await ResponseServer.start();
  });
  afterEach(() => {
    setEnv(Object.fromEntries(Object.keys(saved).map((name) => [name, saved[name]])));
  });
  afterAll(async () => {
    await ecr?.close();
    await server?.stop();
  });

  it('answers FAILED naming ECR once, before its invocation ends (it used to wait forever)', async () => {
    const refused = `http://${LOOPBACK}:${await closedPort()}`;
    setEnv({
      AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
      AWS_SECRET_ACCESS_KEY: 'secret-example',
      AWS_SESSION_TOKEN: undefined,
      AWS_PROFILE: undefined,
      AWS_ENDPOINT_URL_ECR: ecr.url,
      // Nothing listens here: CodeBuild refuses at once, so only ECR is silent.
      AWS_ENDPOINT_URL_CODEBUILD: refused,
    });
    const handler = createHandler({
      env: { AWS_REGION: REGION, CODEBUILD_PROJECT_NAME: 'copy', REGISTRY_ENDPOINTS: JSON.stringify({ 'quay.io': refused }) },
      createLog: () => createMirrorLog(new Logger({ serviceName: SERVICE_NAME, logLevel: 'CRITICAL' })),
    });
    const budgetMs = 12_000;
    const end = Date.now() + budgetMs;
    const url = server.url();
    const context = { invokedFunctionArn: FUNCTION_ARN, getRemainingTimeInMillis: () => end - Date.now() } as unknown as Context;
    await handler(createEvent(url, { SourceImage: 'quay.io/sysdig/serverless-patcher:6.2.0' }), context);
    expect(Date.now()).toBeLessThan(end);
    const answers = server.answersFor(url);
    expect(answers).toHaveLength(1);
    expect(answers[0]!.Status).toBe('FAILED');
    expect(answers[0]!.Reason).toContain('ECR CreateRepository did not answer within');
    expect(ecr.accepted()).toBeGreaterThan(0);
  }, 60_000);
});
