// The mirror function's ports against endpoints that accept the connection and never answer, over real
// sockets, through the real AWS SDK clients createAwsPorts makes (pointed at the black hole with
// AWS_ENDPOINT_URL_<SERVICE>, as the reproduction did) and the real registry client and response PUT.
// Every call ends when its budget does, and the SDK's abortSignal tears its socket down. Then the whole
// handler with ECR silent: before, it waited forever; now it answers FAILED naming ECR within its invocation.
// Nothing here depends on how fast the host is: a call's budget ends when the test ends it, once the black hole holds
// the call's connection (however long connecting took), and the waits below are margins stated for a busy host that
// a correct client never comes near.
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
/** The budget each call is given (what its timeout error names); the test ends it once the call has connected. */
const CALL_MS = 2_000;
/**
 * How long a socket may stay open after its call gave up: closing takes milliseconds, and this stays below the SDK's
 * own 10 s request timeout, so only the budget's abort can have closed it.
 */
const DRAIN_MS = 8_000;
/** Room for a busy host when a bound in real time is checked (the response PUT's own timeout, the handler's). */
const SLACK_MS = 20_000;

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

/**
 * Runs one call on a budget of CALL_MS whose timer fires when the black hole has accepted the call's connection:
 * the moment a real budget would run out while the call waits on a silent socket.
 */
async function cutOffOnceConnected(hole: BlackHole, name: string, run: Parameters<Budget['call']>[2]): Promise<{ error: unknown; endedFirst: boolean }> {
  const accepted = hole.accepted();
  const timers: AbortController[] = [];
  const clock = {
    now: () => Date.now(),
    timer: () => {
      const controller = new AbortController();
      timers.push(controller);
      return { signal: controller.signal, cancel: () => undefined };
    },
  };
  let settled = false;
  let endedFirst = false;
  const call = new Budget(clock, () => 60_000, 0)
    .call(name, CALL_MS, run)
    .catch((error: unknown) => error)
    .finally(() => (settled = true));
  while (!settled && hole.accepted() === accepted) await new Promise((resolve) => setTimeout(resolve, 10));
  if (!settled) {
    endedFirst = true;
    for (const timer of timers) timer.abort(new Error('budget ended'));
  }
  return { error: await call, endedFirst };
}

async function expectCutOff(hole: BlackHole, name: string, run: Parameters<Budget['call']>[2]): Promise<void> {
  const { error, endedFirst } = await cutOffOnceConnected(hole, name, run);
  // It waited on the socket until its budget ended, then gave up with the budget's error ...
  expect(endedFirst, `${name} ended before its budget: ${String(error)}`).toBe(true);
  expect(error, String(error)).toBeInstanceOf(CallTimeoutError);
  expect((error as Error).message).toContain(`${name} did not answer within 2 s`);
  // ... and let go of the socket.
  await hole.drained(DRAIN_MS);
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
  });

  it('CodeBuild: StartBuild and ListBuildsForProject are cut off at their budget', async () => {
    await expectCutOff(hole, 'CodeBuild StartBuild', (call) => ports.startBuild({ projectName: 'copy', idempotencyToken: 't', environment: [] }, call));
    await expectCutOff(hole, 'CodeBuild ListBuildsForProject', (call) => ports.recentBuilds('copy', call));
  });

  it('CloudWatch Logs: GetLogEvents is cut off at its budget', async () => {
    await expectCutOff(hole, 'CloudWatch Logs GetLogEvents', (call) => ports.tailBuildLog('g', 's', 20, call));
  });

  it('Lambda: the hand-over Invoke is cut off at its budget', async () => {
    await expectCutOff(hole, 'Lambda Invoke', (call) => ports.invokeSelf(FUNCTION_ARN, '{}', call));
  });

  it('the source registry (and the Secrets Manager read its credentials need) is cut off at its budget', async () => {
    await expectCutOff(hole, 'the registry quay.io', (call) => ports.resolveSourcePlatform({ registry: 'quay.io', repository: 'a/b', tag: '1' }, 'x86_64', call));
    expect(credentials).toBeDefined();
    await expectCutOff(hole, 'Secrets Manager GetSecretValue', (call) => credentials!('quay.io', call));
  });

  it('the response PUT gives up each attempt at its timeout, and all attempts within the time left', async () => {
    // The PUT bounds itself in real time (it must work without the budget's clock): 1 s here.
    const started = Date.now();
    await expect(createHttpPut()(`${hole.url}/response?X-Amz-Signature=s`, '{}', 1_000)).rejects.toThrow('no answer from the response endpoint within 1000 ms');
    expect(Date.now() - started).toBeLessThan(1_000 + SLACK_MS);
    await hole.drained(DRAIN_MS);
    // Every attempt within the time left (4 s): exactly when is unit-tested on a virtual clock (cfn/response.test.ts).
    const log = createMirrorLog(new Logger({ serviceName: SERVICE_NAME, logLevel: 'CRITICAL' }));
    const accepted = hole.accepted();
    const end = Date.now() + 4_000;
    const sent = await sendResponse({ putResponse: createHttpPut(), sleep: (ms) => realClock.sleep(ms) }, `${hole.url}/response`, '{}', log, () => end - Date.now());
    expect(sent).toBe(false);
    expect(hole.accepted()).toBeGreaterThan(accepted);
    expect(Date.now()).toBeLessThan(end + SLACK_MS);
    await hole.drained(DRAIN_MS);
  });
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
    // The invocation's budget in real time, as Lambda gives it: ECR is cut off when it runs low, then the answer.
    const budgetMs = 20_000;
    const end = Date.now() + budgetMs;
    const url = server.url();
    const context = { invokedFunctionArn: FUNCTION_ARN, getRemainingTimeInMillis: () => end - Date.now() } as unknown as Context;
    await handler(createEvent(url, { SourceImage: 'quay.io/sysdig/serverless-patcher:6.2.0' }), context);
    // It returned on its own, having planned to within its budget (it keeps 1 s to return; a busy host gets room).
    expect(Date.now()).toBeLessThan(end + SLACK_MS);
    const answers = server.answersFor(url);
    expect(answers).toHaveLength(1);
    expect(answers[0]!.Status).toBe('FAILED');
    expect(answers[0]!.Reason).toContain('ECR CreateRepository did not answer within');
    expect(ecr.accepted()).toBeGreaterThan(0);
  });
});
