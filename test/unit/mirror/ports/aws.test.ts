// The real ports: the response PUT over node:http against a local server, and the SDK-facing parts
// whose behaviour is easy to get subtly wrong (credential lookup, token reuse, build and log mapping).
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { BatchGetBuildsCommand, CodeBuildClient } from '@aws-sdk/client-codebuild';
import { CloudWatchLogsClient, GetLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { DescribeImagesCommand, ECRClient, GetAuthorizationTokenCommand, GetRepositoryPolicyCommand, SetRepositoryPolicyCommand } from '@aws-sdk/client-ecr';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { lambdaPullStatement } from '../../../../src/mirror/core/policy.js';
import { createAwsPorts } from '../../../../src/mirror/ports/aws.js';
import { createHttpPut } from '../../../../src/mirror/ports/http-put.js';
import { unboundedCall } from '../../../support/call-context.js';
import { serviceError } from '../fixtures/world.js';
import { MIRROR_FUNCTION_ARN as ARN, mirrorConfig, portsWithCredentials } from '../fixtures/ports-credentials.js';

const SECRET_ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:creds-AbCdEf';

describe('Function: createHttpPut', () => {
  let server: Server;
  let port: number;
  let status = 200;
  const seen: { method?: string; headers: IncomingHttpHeaders; body: string }[] = [];

  beforeAll(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString('utf8')));
      req.on('end', () => {
        seen.push({ method: req.method, headers: req.headers, body });
        res.statusCode = status;
        res.end('<Error>nope</Error>');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    port = (server.address() as { port: number }).port;
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('PUTs the body with an empty Content-Type and its byte length', async () => {
    const body = JSON.stringify({ Status: 'SUCCESS', Reason: 'ü' });
    await createHttpPut()(`http://127.0.0.1:${port}/r?X-Amz-Signature=s3cr3t`, body, 5_000);
    const last = seen.at(-1)!;
    expect(last.method).toBe('PUT');
    expect(last.headers['content-type']).toBe('');
    expect(last.headers['content-length']).toBe(String(Buffer.byteLength(body)));
    expect(last.body).toBe(body);
  });

  it('rejects a non-2xx answer without quoting the URL', async () => {
    status = 403;
    const url = `http://127.0.0.1:${port}/r?X-Amz-Signature=s3cr3t`;
    const failure = await createHttpPut()(url, '{}', 5_000).catch((error: Error) => error);
    status = 200;
    expect(failure).toBeInstanceOf(Error);
    expect((failure as Error).message).toBe('the response endpoint answered HTTP 403');
  });

  it('rejects an unreachable endpoint and a non-http scheme, naming neither URL', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', () => resolve()));
    const closedPort = (closed.address() as { port: number }).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    await expect(createHttpPut()(`http://127.0.0.1:${closedPort}/r?X-Amz-Signature=s3cr3t`, '{}', 5_000)).rejects.toThrow(/ECONNREFUSED/);
    await expect(createHttpPut()(`http://127.0.0.1:${closedPort}/r?X-Amz-Signature=s3cr3t`, '{}', 5_000)).rejects.not.toThrow(/s3cr3t/);
    await expect(createHttpPut()('ftp://example.com/x', '{}', 5_000)).rejects.toThrow('is not http(s)');
  });
});

describe('Function: createAwsPorts', () => {
  const ecr = mockClient(ECRClient);
  const secrets = mockClient(SecretsManagerClient);
  const codeBuild = mockClient(CodeBuildClient);
  const logs = mockClient(CloudWatchLogsClient);
  const lambda = mockClient(LambdaClient);
  afterEach(() => {
    for (const stub of [ecr, secrets, codeBuild, logs, lambda]) stub.reset();
  });
  afterAll(() => {
    for (const stub of [ecr, secrets, codeBuild, logs, lambda]) stub.restore();
  });

  it('gives registry hosts their secret entry (Docker Hub aliases included), nothing otherwise', async () => {
    secrets.on(GetSecretValueCommand).resolves({
      SecretString: JSON.stringify({ 'Quay.io': { username: 'q', password: 'qp' }, 'index.docker.io': { username: 'd', password: 'dp' } }),
    });
    const { credentials } = portsWithCredentials({ REGISTRY_CREDENTIALS_SECRET_ARN: SECRET_ARN });
    expect(await credentials('quay.io')).toEqual({ username: 'q', password: 'qp' });
    expect(await credentials('docker.io')).toEqual({ username: 'd', password: 'dp' });
    expect(await credentials('ghcr.io')).toBeUndefined();
    // Read once per invocation.
    expect(secrets.commandCalls(GetSecretValueCommand)).toHaveLength(1);
    expect(secrets.commandCalls(GetSecretValueCommand)[0]!.args[0].input).toEqual({ SecretId: SECRET_ARN });
  });

  it('asks no secret when none is configured', async () => {
    const { credentials } = portsWithCredentials();
    expect(await credentials('quay.io')).toBeUndefined();
    expect(secrets.calls()).toHaveLength(0);
  });

  it('retries a failed secret read on the next request', async () => {
    secrets
      .on(GetSecretValueCommand)
      .rejectsOnce(serviceError('InternalServiceError', 'boom', 500))
      .resolves({ SecretString: '{"quay.io": {"username": "u", "password": "p"}}' });
    const { credentials } = portsWithCredentials({ REGISTRY_CREDENTIALS_SECRET_ARN: SECRET_ARN });
    await expect(credentials('quay.io')).rejects.toThrow(`Registry credentials secret ${SECRET_ARN} could not be read`);
    expect(await credentials('quay.io')).toEqual({ username: 'u', password: 'p' });
  });

  it('gets ECR tokens from the registry region and reuses them', async () => {
    const regions: string[] = [];
    ecr.on(GetAuthorizationTokenCommand).resolves({ authorizationData: [{ authorizationToken: Buffer.from('AWS:tok:en').toString('base64') }] });
    const { credentials } = portsWithCredentials({}, (region) => {
      regions.push(region);
      return new ECRClient({ region });
    });
    expect(await credentials('210987654321.dkr.ecr.us-west-2.amazonaws.com')).toEqual({ username: 'AWS', password: 'tok:en' });
    expect(await credentials('210987654321.dkr.ecr.us-west-2.amazonaws.com')).toEqual({ username: 'AWS', password: 'tok:en' });
    expect(await credentials('123456789012.dkr.ecr.eu-west-1.amazonaws.com')).toEqual({ username: 'AWS', password: 'tok:en' });
    expect(regions).toEqual(['us-west-2']);
    expect(ecr.commandCalls(GetAuthorizationTokenCommand)).toHaveLength(2);
  });

  it('prefers the secret entry of an ECR host over an ECR token (as the build does), and uses the token otherwise', async () => {
    secrets.on(GetSecretValueCommand).resolves({
      SecretString: JSON.stringify({ '210987654321.dkr.ecr.us-west-2.amazonaws.com': { username: 'ci', password: 'from-secret' } }),
    });
    ecr.on(GetAuthorizationTokenCommand).resolves({ authorizationData: [{ authorizationToken: Buffer.from('AWS:token').toString('base64') }] });
    const { credentials } = portsWithCredentials({ REGISTRY_CREDENTIALS_SECRET_ARN: SECRET_ARN }, (region) => new ECRClient({ region }));
    expect(await credentials('210987654321.dkr.ecr.us-west-2.amazonaws.com')).toEqual({ username: 'ci', password: 'from-secret' });
    expect(ecr.commandCalls(GetAuthorizationTokenCommand)).toHaveLength(0);
    expect(await credentials('210987654321.dkr.ecr-fips.us-east-1.amazonaws.com')).toEqual({ username: 'AWS', password: 'token' });
    expect(ecr.commandCalls(GetAuthorizationTokenCommand)).toHaveLength(1);
  });

  it("gives every SDK client 3 attempts and connection and request timeouts, and each call its budget's abortSignal", async () => {
    let client: ECRClient | undefined;
    ecr.on(DescribeImagesCommand).callsFake((_input, getClient) => {
      client = getClient() as ECRClient;
      return { imageDetails: [] };
    });
    const call = unboundedCall();
    await createAwsPorts(mirrorConfig()).imageTags('r', `sha256:${'a'.repeat(64)}`, call);
    expect(await client!.config.maxAttempts()).toBe(3);
    const handler = client!.config.requestHandler as unknown as { configProvider: Promise<Record<string, unknown>> };
    expect(await handler.configProvider).toMatchObject({ connectionTimeout: 3_000, requestTimeout: 10_000, throwOnRequestTimeout: true });
    expect((ecr.commandCalls(DescribeImagesCommand)[0]!.args as unknown[])[1]).toEqual({ abortSignal: call.signal });
  });

  it('writes the repository policy only when our statement is missing or different', async () => {
    const ours = lambdaPullStatement({ partition: 'aws', region: 'eu-west-1', accountId: '123456789012' });
    const ports = createAwsPorts(mirrorConfig());
    ecr.on(GetRepositoryPolicyCommand).resolves({ policyText: JSON.stringify({ Version: '2012-10-17', Statement: [ours] }) });
    expect(await ports.ensureRepositoryPolicy('r', ours, unboundedCall())).toBe('unchanged');
    expect(ecr.commandCalls(SetRepositoryPolicyCommand)).toHaveLength(0);
    ecr.on(GetRepositoryPolicyCommand).resolves({ policyText: JSON.stringify({ Version: '2012-10-17', Statement: [] }) });
    ecr.on(SetRepositoryPolicyCommand).resolves({});
    expect(await ports.ensureRepositoryPolicy('r', ours, unboundedCall())).toBe('written');
    expect(JSON.parse(ecr.commandCalls(SetRepositoryPolicyCommand)[0]!.args[0].input.policyText!).Statement).toEqual([ours]);
  });

  it('maps a CodeBuild build to a report, environment included, and reports an unknown build as undefined', async () => {
    codeBuild.on(BatchGetBuildsCommand, { ids: ['p:1'] }).resolves({
      builds: [
        {
          id: 'p:1',
          projectName: 'p',
          environment: {
            type: 'LINUX_CONTAINER',
            image: 'i',
            computeType: 'BUILD_GENERAL1_SMALL',
            environmentVariables: [{ name: 'SOURCE_IMAGE', value: 'quay.io/a/b:1', type: 'PLAINTEXT' }],
          },
          buildStatus: 'FAILED',
          phases: [{ phaseType: 'BUILD', phaseStatus: 'FAILED', contexts: [{ message: 'exit 1' }, { message: '' }] }],
          exportedEnvironmentVariables: [{ name: 'IMAGE_DIGEST', value: 'sha256:x' }],
          logs: { groupName: 'g', streamName: 's' },
        },
      ],
    });
    codeBuild.on(BatchGetBuildsCommand, { ids: ['p:2'] }).resolves({ builds: [], buildsNotFound: ['p:2'] });
    const ports = createAwsPorts(mirrorConfig());
    expect(await ports.getBuild('p:1', unboundedCall())).toEqual({
      id: 'p:1',
      projectName: 'p',
      environment: { SOURCE_IMAGE: 'quay.io/a/b:1' },
      status: 'FAILED',
      phases: [{ type: 'BUILD', status: 'FAILED', messages: ['exit 1'] }],
      exportedVariables: { IMAGE_DIGEST: 'sha256:x' },
      logGroupName: 'g',
      logStreamName: 's',
    });
    expect(await ports.getBuild('p:2', unboundedCall())).toBeUndefined();
  });

  it('tails the newest log lines, splitting multi-line events', async () => {
    logs.on(GetLogEventsCommand).resolves({ events: [{ message: 'one\n' }, { message: 'two\nthree\n' }, { message: 'four' }] });
    const ports = createAwsPorts(mirrorConfig());
    expect(await ports.tailBuildLog('g', 's', 3, unboundedCall())).toEqual(['two', 'three', 'four']);
    expect(logs.commandCalls(GetLogEventsCommand)[0]!.args[0].input).toEqual({ logGroupName: 'g', logStreamName: 's', limit: 3, startFromHead: false });
  });

  it('invokes itself asynchronously and treats anything but 202 as a failure', async () => {
    lambda.on(InvokeCommand).resolvesOnce({ StatusCode: 202 }).resolves({ StatusCode: 200 });
    const ports = createAwsPorts(mirrorConfig());
    await ports.invokeSelf(ARN, '{"a":1}', unboundedCall());
    const input = lambda.commandCalls(InvokeCommand)[0]!.args[0].input;
    expect(input.FunctionName).toBe(ARN);
    expect(input.InvocationType).toBe('Event');
    expect(Buffer.from(input.Payload as Uint8Array).toString('utf8')).toBe('{"a":1}');
    await expect(ports.invokeSelf(ARN, '{}', unboundedCall())).rejects.toThrow('not 202');
  });
});
