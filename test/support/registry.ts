// A real local OCI registry (Debian's docker-registry 2.8.2, the reference implementation) for tests:
// plain HTTP on 127.0.0.1, filesystem storage in a temp dir, deletes enabled, optional htpasswd auth.
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort, LOOPBACK } from './loopback.js';
import { ProcessExitedError, startProcess, waitFor, type ManagedProcess } from './processes.js';
import type { RegistryAuth } from './registry-http.js';

export type { RegistryAuth } from './registry-http.js';

const execFileAsync = promisify(execFile);
/** Only ends a hang: the registry starts in well under a second, but a busy host may take far longer. */
const READY_TIMEOUT_MS = 120_000;
const START_ATTEMPTS = 3;
/** Response header carrying a per-instance id, so readiness cannot be confused with another server on the port. */
const INSTANCE_HEADER = 'X-Test-Registry-Instance';

/** Options of {@link startRegistry}. */
export interface RegistryOptions {
  /** Require HTTP Basic auth with this user (bcrypt htpasswd file made with `htpasswd -Bbn`). */
  htpasswd?: RegistryAuth;
  /** Label for error messages and the htpasswd realm, e.g. `source` or `ecr`. */
  name?: string;
}

/** A running local registry. */
export interface LocalRegistry {
  /** `127.0.0.1:PORT`, the registry part of image references (`127.0.0.1:PORT/repo:tag`). */
  host: string;
  /** `http://127.0.0.1:PORT`, the base URL of the Distribution API (`/v2/`). */
  url: string;
  name: string;
  /** The htpasswd credentials when auth is enabled. */
  auth?: RegistryAuth;
  /** Process id of docker-registry (for leak checks). */
  pid: number;
  /** Stops the registry and deletes its storage. Safe to call twice. */
  stop(): Promise<void>;
}

/** Creates a bcrypt htpasswd line with the real `htpasswd` tool (docker-registry accepts bcrypt only). */
async function htpasswdLine(auth: RegistryAuth): Promise<string> {
  if (auth.username.includes(':')) throw new Error(`htpasswd user name must not contain ':' (got ${JSON.stringify(auth.username)})`);
  const { stdout } = await execFileAsync('htpasswd', ['-Bbn', auth.username, auth.password]);
  return `${stdout.trim()}\n`;
}

/** docker-registry configuration; JSON is valid YAML, so no YAML writer is needed. */
function registryConfig(options: { port: number; storageDir: string; instanceId: string; htpasswdPath?: string; realm: string }): string {
  return JSON.stringify(
    {
      version: '0.1',
      log: { level: 'error', formatter: 'text', accesslog: { disabled: true } },
      storage: {
        filesystem: { rootdirectory: options.storageDir },
        delete: { enabled: true },
        maintenance: { uploadpurging: { enabled: false } },
      },
      http: {
        addr: `${LOOPBACK}:${options.port}`,
        secret: randomUUID(),
        headers: { 'X-Content-Type-Options': ['nosniff'], [INSTANCE_HEADER]: [options.instanceId] },
      },
      ...(options.htpasswdPath ? { auth: { htpasswd: { realm: options.realm, path: options.htpasswdPath } } } : {}),
    },
    null,
    2,
  );
}

/** Environment without REGISTRY_* variables, which docker-registry would read as config overrides. */
function cleanEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('REGISTRY_')));
}

async function launch(dir: string, name: string, htpasswdPath: string | undefined): Promise<{ process: ManagedProcess; port: number }> {
  const port = await freePort();
  const instanceId = randomUUID();
  const configPath = join(dir, 'config.yml');
  await writeFile(configPath, registryConfig({ port, storageDir: join(dir, 'storage'), instanceId, htpasswdPath, realm: name }));
  const server = await startProcess('docker-registry', ['serve', configPath], { name: `docker-registry ${name}`, env: cleanEnv() });
  try {
    await waitFor(
      async () => {
        const response = await fetch(`http://${LOOPBACK}:${port}/v2/`);
        await response.body?.cancel();
        return (response.status === 200 || response.status === 401) && response.headers.get(INSTANCE_HEADER) === instanceId;
      },
      READY_TIMEOUT_MS,
      {
        what: `docker-registry ${name} on ${LOOPBACK}:${port}`,
        abortIf: () => {
          const exit = server.exitStatus();
          return exit && new ProcessExitedError(server.name, exit, server.output());
        },
      },
    );
    return { process: server, port };
  } catch (error) {
    await server.stop();
    throw error;
  }
}

/**
 * Starts `docker-registry serve` on a free 127.0.0.1 port and resolves once `GET /v2/` answers (200, or 401 with
 * auth). Retries on a fresh port if the server dies at start (another process may have taken the port).
 */
export async function startRegistry(options: RegistryOptions = {}): Promise<LocalRegistry> {
  const name = options.name ?? 'registry';
  const dir = await mkdtemp(join(tmpdir(), `sif-registry-${name.replace(/[^A-Za-z0-9_-]/g, '_')}-`));
  try {
    let htpasswdPath: string | undefined;
    if (options.htpasswd) {
      htpasswdPath = join(dir, 'htpasswd');
      await writeFile(htpasswdPath, await htpasswdLine(options.htpasswd), { mode: 0o600 });
    }
    let started: { process: ManagedProcess; port: number } | undefined;
    for (let attempt = 1; !started; attempt++) {
      try {
        started = await launch(dir, name, htpasswdPath);
      } catch (error) {
        if (!(error instanceof ProcessExitedError) || attempt >= START_ATTEMPTS) throw error;
      }
    }
    const { process: server, port } = started;
    const host = `${LOOPBACK}:${port}`;
    return {
      host,
      url: `http://${host}`,
      name,
      ...(options.htpasswd ? { auth: { ...options.htpasswd } } : {}),
      pid: server.pid,
      stop: async () => {
        await server.stop();
        await rm(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
}
