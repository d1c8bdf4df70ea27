// Black box: the BUILT mirror bundle (dist/mirror/index.js, as Lambda runs it: a fresh node process per
// invocation, killed at its timeout, asynchronous invocations retried when they fail) with a 40 s timeout and
// every endpoint it knows a black hole: ECR, CodeBuild, CloudWatch Logs, Secrets Manager and Lambda through
// AWS_ENDPOINT_URL_<SERVICE>, the source registry through REGISTRY_ENDPOINTS. It must answer CloudFormation
// exactly once and return on its own, within its timeout. Then the same with the ResponseURL a black hole too: it
// must still return in time, having tried. This runs in real time (about 40 s per case, both at once).
// The function plans with its timeout (getRemainingTimeInMillis) and keeps 1 s to return; a busy test host may run
// those last steps late, so the emulated Lambda kills only KILL_GRACE_MS after the timeout. That grace decides nothing
// for a function that keeps its budget, and a function that does not (a call waiting on a black hole) overruns it by
// minutes and is killed and retried: a second answer.
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBlackHole, type BlackHole } from '../support/black-hole.js';
import { createEvent } from '../unit/mirror/fixtures/harness.js';
import { ResponseServer } from '../support/response-server.js';
import { LambdaEmulator, type InvocationRecord } from './harness/lambda.js';

const BUNDLE = fileURLToPath(new URL('../../dist/mirror/index.js', import.meta.url));
const REGION = 'eu-west-1';
const ACCOUNT = '123456789012';
const NAME = 'SysdigImageFix-mirror';
const ARN = `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${NAME}`;
const INVOCATION_BUDGET_MS = 40_000;
const KILL_GRACE_MS = 20_000;
const SOURCE = { SourceImage: 'quay.io/sysdig/serverless-patcher:6.2.0', Architecture: 'x86_64' };
const SERVICES = ['ECR', 'CODEBUILD', 'CLOUDWATCH_LOGS', 'SECRETS_MANAGER', 'LAMBDA'] as const;

describe('Black box: the built mirror bundle with every endpoint a black hole', () => {
  let aws: BlackHole;
  let registry: BlackHole;
  let response: BlackHole;
  let server: ResponseServer;
  let lambda: LambdaEmulator;

  beforeAll(async () => {
    if (!existsSync(BUNDLE)) throw new Error(`${BUNDLE} is missing: run \`npm run build\` first (npm test does)`);
    [aws, registry, response, server] = await Promise.all([startBlackHole(), startBlackHole(), startBlackHole(), ResponseServer.start()]);
    lambda = new LambdaEmulator({
      region: REGION,
      accountId: ACCOUNT,
      runtimeEnvironment: {
        AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
        AWS_SECRET_ACCESS_KEY: 'secret-example',
        ...Object.fromEntries(SERVICES.map((service) => [`AWS_ENDPOINT_URL_${service}`, aws.url])),
      },
      asyncRetryDelaysMs: [500, 500],
      killGraceMs: KILL_GRACE_MS,
    });
    lambda.putFunction({
      name: NAME,
      arn: ARN,
      bundle: BUNDLE,
      timeoutMs: INVOCATION_BUDGET_MS,
      memoryMb: 256,
      environment: {
        CODEBUILD_PROJECT_NAME: NAME,
        BUILD_LOG_GROUP_NAME: `/aws/codebuild/${NAME}`,
        REPOSITORY_PREFIX: 'sysdig-image-fix',
        IMAGE_TAG_MUTABILITY: 'MUTABLE',
        KMS_KEY_ARN: '',
        REGISTRY_CREDENTIALS_SECRET_ARN: `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:registry-credentials-AbCdEf`,
        REGISTRY_ENDPOINTS: JSON.stringify({ 'quay.io': registry.url }),
      },
    });
  });

  afterAll(async () => {
    await lambda?.stopAll();
    await Promise.all([aws?.close(), registry?.close(), response?.close(), server?.stop()]);
  });

  it('answers exactly once, and returns before its timeout, also when the ResponseURL never answers', async () => {
    const answeredUrl = server.url();
    const silentUrl = `${response.url}/cloudformation-custom-resource-response/x?X-Amz-Signature=${randomUUID()}`;
    const started = Date.now();
    const answered = lambda.invoke(ARN, createEvent(answeredUrl, SOURCE), 'cloudformation', 'Event');
    const silent = lambda.invoke(ARN, createEvent(silentUrl, SOURCE), 'cloudformation', 'Event');
    const records: InvocationRecord[] = await Promise.all([answered.finished, silent.finished]);
    await lambda.idle();

    for (const record of records) {
      // It returned on its own (the emulated Lambda kills at the timeout plus the grace).
      expect(record.status, `${record.error ?? ''}\n${record.output.slice(-3000)}`).toBe('ok');
      expect(record.endedAt! - record.invokedAt!).toBeLessThan(INVOCATION_BUDGET_MS + KILL_GRACE_MS);
    }
    // No retries: both invocations succeeded the first time.
    expect(lambda.allInvocations()).toHaveLength(2);

    const answers = server.answersFor(answeredUrl);
    expect(answers).toHaveLength(1);
    expect(answers[0]!.Status).toBe('FAILED');
    expect(answers[0]!.Reason).toMatch(/did not answer within/);
    expect(server.attemptsFor(answeredUrl)).toHaveLength(1);
    // It did try every silent party it needed, and the silent ResponseURL too.
    expect(aws.accepted()).toBeGreaterThan(0);
    expect(registry.accepted()).toBeGreaterThan(0);
    expect(response.accepted()).toBeGreaterThan(0);
    console.log(
      `bundle with every endpoint a black hole (budget ${INVOCATION_BUDGET_MS / 1000} s): answered in ${((records[0]!.endedAt! - records[0]!.invokedAt!) / 1000).toFixed(1)} s ` +
        `("${answers[0]!.Reason.split('\n')[0]!.slice(0, 160)}"); with the ResponseURL silent too, returned after ${((records[1]!.endedAt! - records[1]!.invokedAt!) / 1000).toFixed(1)} s ` +
        `having made ${response.accepted()} PUT attempt(s); ${((Date.now() - started) / 1000).toFixed(1)} s in all`,
    );
  });
});
