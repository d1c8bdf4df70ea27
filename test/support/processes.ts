// Child processes for local test servers (docker-registry, moto_server): started in their own process
// group, tracked, and killed on stop() and when the test process exits, so no server outlives its test.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { accessSync, constants as fsConstants, statSync } from 'node:fs';
import { delimiter, isAbsolute, join, resolve } from 'node:path';

const TAIL_BYTES = 8 * 1024;
const DEFAULT_STOP_TIMEOUT_MS = 5_000;

/** A child process started with {@link startProcess}. */
export interface ManagedProcess {
  /** Short label used in error messages, e.g. `docker-registry source`. */
  readonly name: string;
  /** Process id; also the process group id (the child leads its own group). */
  readonly pid: number;
  /** Exit code and signal once the process has exited, otherwise undefined. */
  exitStatus(): ProcessExit | undefined;
  /** The last few KiB of stdout and stderr, for error messages. */
  output(): string;
  /** Terminates the whole process group (SIGTERM, then SIGKILL after a grace period) and waits for exit. */
  stop(): Promise<void>;
}

/** How a managed process ended. */
export interface ProcessExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** Options of {@link startProcess}. */
export interface StartProcessOptions {
  /** Label for error messages; defaults to the command. */
  name?: string;
  /** Full environment of the child (defaults to this process's environment). */
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Grace period between SIGTERM and SIGKILL in stop(). */
  stopTimeoutMs?: number;
}

/** The child could not be started (missing binary, bad cwd, ...). */
export class ProcessStartError extends Error {
  override readonly name = 'ProcessStartError';
  constructor(command: string, cause: unknown) {
    super(`Could not start ${command}: ${cause instanceof Error ? cause.message : String(cause)}. Is it installed and on PATH?`, { cause });
  }
}

/** A server process exited while a test still needed it. */
export class ProcessExitedError extends Error {
  override readonly name = 'ProcessExitedError';
  constructor(
    readonly processName: string,
    readonly exit: ProcessExit,
    readonly outputTail: string,
  ) {
    super(`${processName} exited unexpectedly (code ${exit.code}, signal ${exit.signal}). Output tail:\n${outputTail || '(none)'}`);
  }
}

/** {@link waitFor} gave up. */
export class WaitTimeoutError extends Error {
  override readonly name = 'WaitTimeoutError';
  constructor(what: string, timeoutMs: number, cause: unknown) {
    const last = cause instanceof Error ? ` Last error: ${cause.message}` : '';
    super(`Timed out after ${timeoutMs} ms waiting for ${what}.${last}`, { cause });
  }
}

/** Live children by pid, for the exit/signal safety net. */
const running = new Map<number, ChildProcess>();

/** Wrapping with `setpriv --pdeathsig` also kills the child when this test worker dies abruptly (SIGKILL). */
const pdeathsigPrefix: string[] = spawnSync('setpriv', ['--help'], { stdio: 'ignore' }).status === 0 ? ['setpriv', '--pdeathsig', 'SIGKILL', '--'] : [];

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // ESRCH: the group is already gone.
  }
}

let safetyNetInstalled = false;
function installSafetyNet(): void {
  if (safetyNetInstalled) return;
  safetyNetInstalled = true;
  // 'exit' handlers must be synchronous: SIGKILL is all we can do there.
  process.on('exit', () => {
    for (const pid of running.keys()) killGroup(pid, 'SIGKILL');
  });
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    const onSignal = (): void => {
      for (const pid of running.keys()) killGroup(pid, 'SIGKILL');
      // Listening for a signal suppresses Node's default exit; restore it when nobody else handles the signal.
      if (process.listenerCount(signal) === 1) {
        process.removeListener(signal, onSignal);
        process.kill(process.pid, signal);
      }
    };
    process.on(signal, onSignal);
  }
}

function isExecutableFile(path: string): boolean {
  try {
    accessSync(path, fsConstants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/**
 * Absolute path of `command` (searched on PATH unless it contains a slash). Resolved here because the
 * `setpriv` wrapper would otherwise turn a missing binary into an ordinary early exit.
 */
function resolveExecutable(command: string, env: NodeJS.ProcessEnv, cwd: string): string {
  if (command.includes('/')) {
    const path = isAbsolute(command) ? command : resolve(cwd, command);
    if (isExecutableFile(path)) return path;
  } else {
    for (const dir of (env.PATH ?? '').split(delimiter).filter(Boolean)) {
      const path = join(dir, command);
      if (isExecutableFile(path)) return path;
    }
  }
  throw new ProcessStartError(command, new Error('no such executable file (ENOENT)'));
}

function appendTail(tail: string, chunk: Buffer): string {
  const next = tail + chunk.toString('utf8');
  return next.length > TAIL_BYTES ? next.slice(next.length - TAIL_BYTES) : next;
}

/**
 * Starts `command args` in a new process group with stdout/stderr captured (tails kept for errors).
 * The child is killed by {@link ManagedProcess.stop}, by {@link stopAllProcesses}, and when this process exits.
 */
export async function startProcess(command: string, args: readonly string[], options: StartProcessOptions = {}): Promise<ManagedProcess> {
  installSafetyNet();
  const name = options.name ?? command;
  const env = options.env ?? process.env;
  const argv = [...pdeathsigPrefix, resolveExecutable(command, env, options.cwd ?? process.cwd()), ...args];
  const child = spawn(argv[0]!, argv.slice(1), {
    cwd: options.cwd,
    env,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdoutTail = '';
  let stderrTail = '';
  child.stdout?.on('data', (chunk: Buffer) => (stdoutTail = appendTail(stdoutTail, chunk)));
  child.stderr?.on('data', (chunk: Buffer) => (stderrTail = appendTail(stderrTail, chunk)));

  let exit: ProcessExit | undefined;
  const exited = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      exit = { code, signal };
      if (child.pid !== undefined) running.delete(child.pid);
      resolve();
    });
  });

  await new Promise<void>((resolve, reject) => {
    child.once('spawn', resolve);
    child.once('error', (error) => reject(new ProcessStartError(command, error)));
  });
  const pid = child.pid!;
  running.set(pid, child);

  const output = (): string => [stdoutTail && `--- stdout ---\n${stdoutTail}`, stderrTail && `--- stderr ---\n${stderrTail}`].filter(Boolean).join('\n');

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      if (exit === undefined) {
        killGroup(pid, 'SIGTERM');
        const timer = new Promise<'timeout'>((resolve) => setTimeout(resolve, options.stopTimeoutMs ?? DEFAULT_STOP_TIMEOUT_MS, 'timeout').unref());
        if ((await Promise.race([exited, timer])) === 'timeout') killGroup(pid, 'SIGKILL');
        await exited;
      }
      // Helpers the server may have forked share its group; make sure none survive the leader.
      killGroup(pid, 'SIGKILL');
    })();
    return stopping;
  };

  return { name, pid, exitStatus: () => exit, output, stop };
}

/** Stops every process started by {@link startProcess} that is still running. */
export async function stopAllProcesses(): Promise<void> {
  await Promise.all(
    [...running.keys()].map(async (pid) => {
      killGroup(pid, 'SIGKILL');
      const child = running.get(pid);
      if (child && child.exitCode === null && child.signalCode === null) {
        await new Promise<void>((resolve) => child.once('exit', () => resolve()));
      }
    }),
  );
}

/** True while a process with this pid exists (signal 0 probes without signalling). */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Options of {@link waitFor}. */
export interface WaitForOptions {
  /** What is awaited, for the timeout message. */
  what?: string;
  intervalMs?: number;
  /** Checked before each attempt; an error returned here ends the wait at once (e.g. the server exited). */
  abortIf?: () => Error | undefined;
}

/**
 * Polls `check` until it returns a truthy value (returned) or `timeoutMs` passes.
 * A throwing check counts as "not yet"; its last error is kept in the timeout error.
 */
export async function waitFor<T>(check: () => T | Promise<T>, timeoutMs: number, options: WaitForOptions = {}): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  const intervalMs = options.intervalMs ?? 50;
  let lastError: unknown;
  for (;;) {
    const abort = options.abortIf?.();
    if (abort) throw abort;
    try {
      const value = await check();
      if (value) return value as NonNullable<T>;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() >= deadline) throw new WaitTimeoutError(options.what ?? 'a condition', timeoutMs, lastError);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
