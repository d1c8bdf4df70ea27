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
