// moto_server (moto 5.2.1) on 127.0.0.1 as the AWS ECR control plane for tests, with a real AWS SDK v3 client.
import { ECRClient, GetAuthorizationTokenCommand } from '@aws-sdk/client-ecr';
import { freePort, LOOPBACK } from './loopback.js';
import { ProcessExitedError, startProcess, waitFor, type ManagedProcess } from './processes.js';
import type { RegistryAuth } from './registry-http.js';

/** moto's fixed account id. */
export const MOTO_ACCOUNT_ID = '123456789012';
/** Dummy credentials moto accepts (it does not check signatures). */
export const MOTO_CREDENTIALS = { accessKeyId: 'testing', secretAccessKey: 'testing' } as const;

/** Only ends a hang: moto_server (Python) starts in a few seconds, a busy host may take a minute. */
const READY_TIMEOUT_MS = 120_000;
const START_ATTEMPTS = 3;

/** A running moto_server. */
export interface LocalMoto {
  /** `http://127.0.0.1:PORT`: the SDK `endpoint` and `AWS_ENDPOINT_URL`. */
  endpoint: string;
  /** Process id of moto_server (for leak checks). */
  pid: number;
  /** Forgets all state (`POST /moto-api/reset`). */
  reset(): Promise<void>;
  /** Stops the server. Safe to call twice. */
  stop(): Promise<void>;
}

/** Environment for moto_server: no real AWS credentials or profiles leak into it. */
function motoEnv(): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('AWS_')));
  return { ...env, AWS_ACCESS_KEY_ID: MOTO_CREDENTIALS.accessKeyId, AWS_SECRET_ACCESS_KEY: MOTO_CREDENTIALS.secretAccessKey };
}

async function launch(): Promise<{ server: ManagedProcess; endpoint: string }> {
  const port = await freePort();
  const endpoint = `http://${LOOPBACK}:${port}`;
  const server = await startProcess('moto_server', ['-H', LOOPBACK, '-p', String(port)], { name: 'moto_server', env: motoEnv() });
  const exitError = (): Error | undefined => {
    const exit = server.exitStatus();
    return exit && new ProcessExitedError(server.name, exit, server.output());
  };
  try {
    await waitFor(
      async () => {
        const response = await fetch(`${endpoint}/moto-api/data.json`);
        await response.body?.cancel();
        return response.ok;
      },
      READY_TIMEOUT_MS,
      { what: `moto_server on ${LOOPBACK}:${port}`, abortIf: exitError, intervalMs: 100 },
    );
    // Another process may own the port while ours failed to bind; make sure ours is the one that answered.
    const died = exitError();
    if (died) throw died;
    return { server, endpoint };
  } catch (error) {
    await server.stop();
    throw error;
  }
}

/** Starts `moto_server -H 127.0.0.1 -p PORT` on a free port and resolves once it answers. */
export async function startMoto(): Promise<LocalMoto> {
  for (let attempt = 1; ; attempt++) {
    try {
      const { server, endpoint } = await launch();
      return {
        endpoint,
        pid: server.pid,
        reset: async () => {
          const response = await fetch(`${endpoint}/moto-api/reset`, { method: 'POST' });
          await response.body?.cancel();
          if (!response.ok) throw new Error(`moto reset at ${endpoint} answered HTTP ${response.status}`);
        },
        stop: () => server.stop(),
      };
    } catch (error) {
      if (!(error instanceof ProcessExitedError) || attempt >= START_ATTEMPTS) throw error;
    }
  }
}

/** A real `@aws-sdk/client-ecr` client talking to `moto` with dummy credentials. */
export function ecrClientFor(moto: Pick<LocalMoto, 'endpoint'>, region = 'us-east-1'): ECRClient {
  return new ECRClient({ region, endpoint: moto.endpoint, credentials: { ...MOTO_CREDENTIALS }, maxAttempts: 2 });
}

/** Registry credentials from moto's ECR token, plus the proxy endpoint it names. */
export interface EcrCredentials extends RegistryAuth {
  proxyEndpoint?: string;
}

/**
 * Calls GetAuthorizationToken through the real SDK and decodes the token (`user:password`); with moto this is
 * user `AWS`, password `123456789012-auth-token`: use it as the htpasswd user of the registry standing in for ECR.
 */
export async function motoEcrCredentials(moto: Pick<LocalMoto, 'endpoint'>, region = 'us-east-1'): Promise<EcrCredentials> {
  const client = ecrClientFor(moto, region);
  try {
    const { authorizationData } = await client.send(new GetAuthorizationTokenCommand({}));
    const data = authorizationData?.[0];
    if (!data?.authorizationToken) throw new Error(`moto at ${moto.endpoint} returned no ECR authorization token`);
    const decoded = Buffer.from(data.authorizationToken, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 1) throw new Error(`moto's ECR authorization token is not "user:password" after base64 decoding`);
    return {
      username: decoded.slice(0, colon),
      password: decoded.slice(colon + 1),
      ...(data.proxyEndpoint ? { proxyEndpoint: data.proxyEndpoint } : {}),
    };
  } finally {
    client.destroy();
  }
}

/** One call of moto's IAM Query API (no IAM client in the project: the ops tests need only a few calls). Answers the XML. */
export async function motoIamCall(moto: Pick<LocalMoto, 'endpoint'>, action: string, parameters: Readonly<Record<string, string>>): Promise<string> {
  const response = await fetch(`${moto.endpoint}/`, {
    method: 'POST',
    body: new URLSearchParams({ Action: action, Version: '2010-05-08', ...parameters }),
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      // moto routes by the credential scope's service; while IAM checks are off it does not verify the signature.
      authorization: `AWS4-HMAC-SHA256 Credential=${MOTO_CREDENTIALS.accessKeyId}/20260101/us-east-1/iam/aws4_request, SignedHeaders=host, Signature=0`,
    },
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`moto IAM ${action} answered HTTP ${response.status}: ${text.slice(0, 300)}`);
  return text;
}

/** An IAM user with this inline policy and an access key; moto checks its calls once IAM checks are on. */
export async function createMotoUser(moto: Pick<LocalMoto, 'endpoint'>, name: string, policy: unknown): Promise<{ accessKeyId: string; secretAccessKey: string }> {
  await motoIamCall(moto, 'CreateUser', { UserName: name });
  await motoIamCall(moto, 'PutUserPolicy', { UserName: name, PolicyName: `${name}-policy`, PolicyDocument: JSON.stringify(policy) });
  const key = await motoIamCall(moto, 'CreateAccessKey', { UserName: name });
  const accessKeyId = /<AccessKeyId>([^<]+)<\/AccessKeyId>/.exec(key)?.[1];
  const secretAccessKey = /<SecretAccessKey>([^<]+)<\/SecretAccessKey>/.exec(key)?.[1];
  if (accessKeyId === undefined || secretAccessKey === undefined) throw new Error(`moto's CreateAccessKey answer has no key: ${key.slice(0, 300)}`);
  return { accessKeyId, secretAccessKey };
}

/**
 * Turns moto's IAM checks on (every later call must be signed by a known key and allowed by its policies) or off
 * (`/moto-api/reset-auth`: the number of calls allowed before checks start). `reset` does not turn them off.
 */
export async function setMotoIamChecks(moto: Pick<LocalMoto, 'endpoint'>, on: boolean): Promise<void> {
  const response = await fetch(`${moto.endpoint}/moto-api/reset-auth`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: on ? '0' : '1000000000000' });
  await response.body?.cancel();
  if (!response.ok) throw new Error(`moto reset-auth answered HTTP ${response.status}`);
}
