// A local stand-in for CodeBuild that runs a buildspec (version 0.2) on this machine, faithfully enough
// for the mirror buildspec and for a later local CodeBuild API (StartBuild/BatchGetBuilds) built on it:
//   - phases in order: install, pre_build, build, post_build; a failed install or pre_build ends the
//     build, a failed build still runs post_build (CodeBuild's phase transitions);
//   - each command is one bash process, but variables (exported or not) and the working directory carry
//     over to the next command and phase, as in CodeBuild 0.2; functions and shell options do not;
//   - on-failure ABORT (default) or CONTINUE, `finally` blocks, CODEBUILD_BUILD_SUCCEEDING, env.variables
//     (overridden by the start-build environment), env.exported-variables read at the end;
//   - stdout and stderr of every command merged, with CodeBuild-style [Container] lines, as the build log.
// Not emulated (rejected so nobody relies on them silently): parameter-store, secrets-manager, run-as.
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { parse as parseYaml } from 'yaml';

export const PHASE_NAMES = ['install', 'pre_build', 'build', 'post_build'] as const;
export type PhaseName = (typeof PHASE_NAMES)[number];
/** CodeBuild's build and phase status names (the subset a local run can end in). */
export type BuildStatus = 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'STOPPED';

export interface PhaseResult {
  name: PhaseName;
  status: BuildStatus;
  /** Exit code of the command that failed, 0 when every command succeeded, -1 when killed. */
  exitCode: number;
  /** CodeBuild's phase context message, e.g. `Error while executing command: ... Reason: exit status 1`. */
  message?: string;
  startTime: Date;
  endTime: Date;
}

export interface BuildResult {
  status: BuildStatus;
  /** The phases that ran, in order (phases skipped after an install/pre_build failure are absent). */
  phases: PhaseResult[];
  /** Values of `env.exported-variables` at the end of the build (variables never set are absent). */
  exported: Record<string, string>;
  /** Everything the build printed, with CodeBuild-style `[Container]` lines. */
  log: string;
  startTime: Date;
  endTime: Date;
}

export interface RunBuildspecOptions {
  /** Start-build environment overrides (highest precedence, like StartBuild environmentVariablesOverride). */
  env?: Record<string, string>;
  /** Directories put in front of PATH (e.g. a test shim for skopeo). */
  pathPrepend?: string | readonly string[];
  /** Working directory (CODEBUILD_SRC_DIR); a fresh temporary directory when absent. */
  cwd?: string;
  /** Whole-build timeout; the build ends TIMED_OUT. Default 10 minutes. */
  timeoutMs?: number;
  /** Aborting ends the build STOPPED (StopBuild). */
  signal?: AbortSignal;
  /** AWS_REGION and AWS_DEFAULT_REGION of the build, as CodeBuild sets both; default `env.AWS_REGION` or us-east-1. */
  region?: string;
  /** Receives the log as it is written (for a CloudWatch Logs stand-in). */
  onLog?: (text: string) => void;
  /**
   * Variables copied from this process's environment before `env` is applied. Default: PATH, LANG,
   * LC_ALL, TZ. HOME and TMPDIR are fresh directories, deleted with the build (a build container starts
   * clean and is discarded), unless `env` gives them.
   */
  inherit?: readonly string[];
}

/** The buildspec cannot be run: invalid YAML, wrong version or shape, or a feature this runner lacks. */
export class BuildspecError extends Error {
  override readonly name = 'BuildspecError';
  constructor(
    readonly source: string,
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(`buildspec ${source} cannot be run locally: ${reason}`, options);
  }
}

type OnFailure = 'ABORT' | 'CONTINUE';

interface PhaseSpec {
  commands: string[];
  finally: string[];
  onFailure: OnFailure;
}

export interface Buildspec {
  shell: 'bash' | 'sh';
  variables: Record<string, string>;
  exportedVariables: string[];
  phases: Partial<Record<PhaseName, PhaseSpec>>;
}

const VARIABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const DEFAULT_TIMEOUT_MS = 10 * 60_000;
/** How long to wait for a finished command's output pipes to close before moving on. */
const OUTPUT_DRAIN_MS = 500;
const DEFAULT_INHERIT = ['PATH', 'LANG', 'LC_ALL', 'TZ'] as const;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function stringList(value: unknown, where: string, source: string): string[] {
  if (value === undefined || value === null) return [];
  // YAML reads `- true` or `- 42` as non-strings; CodeBuild runs them as the commands they spell.
  if (!Array.isArray(value) || !value.every((item) => ['string', 'number', 'boolean'].includes(typeof item))) {
    throw new BuildspecError(source, `${where} must be a list of strings`);
  }
  return value.map(String);
}

/** Parses and checks a buildspec; throws BuildspecError naming what is wrong. */
export function parseBuildspec(text: string, source = '(inline)'): Buildspec {
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (error) {
    throw new BuildspecError(source, `invalid YAML: ${(error as Error).message}`, { cause: error });
  }
  if (!isRecord(doc)) throw new BuildspecError(source, 'the document is not a mapping');
  if (String(doc.version) !== '0.2') throw new BuildspecError(source, `version is ${String(doc.version)}; only 0.2 is supported`);
  if (doc['run-as'] !== undefined) throw new BuildspecError(source, 'run-as is not supported');

  const env = doc.env === undefined ? {} : doc.env;
  if (!isRecord(env)) throw new BuildspecError(source, 'env must be a mapping');
  for (const unsupported of ['parameter-store', 'secrets-manager', 'git-credential-helper']) {
    if (env[unsupported] !== undefined) throw new BuildspecError(source, `env.${unsupported} is not supported`);
  }
  const shell = env.shell ?? 'sh';
  if (shell !== 'bash' && shell !== 'sh') throw new BuildspecError(source, `env.shell ${String(shell)} is not supported (bash or sh)`);
  const variables: Record<string, string> = {};
  if (env.variables !== undefined) {
    if (!isRecord(env.variables)) throw new BuildspecError(source, 'env.variables must be a mapping');
    for (const [name, value] of Object.entries(env.variables)) {
      if (!VARIABLE_NAME.test(name)) throw new BuildspecError(source, `env.variables name ${JSON.stringify(name)} is not a variable name`);
      variables[name] = String(value);
    }
  }
  const exportedVariables = stringList(env['exported-variables'], 'env.exported-variables', source);
  for (const name of exportedVariables) {
    if (!VARIABLE_NAME.test(name)) throw new BuildspecError(source, `exported variable ${JSON.stringify(name)} is not a variable name`);
  }

  if (!isRecord(doc.phases)) throw new BuildspecError(source, 'phases must be a mapping');
  const phases: Partial<Record<PhaseName, PhaseSpec>> = {};
  for (const [name, spec] of Object.entries(doc.phases)) {
    if (!(PHASE_NAMES as readonly string[]).includes(name)) throw new BuildspecError(source, `unknown phase ${name}`);
    if (spec === null || spec === undefined) continue;
    if (!isRecord(spec)) throw new BuildspecError(source, `phases.${name} must be a mapping`);
    if (spec['run-as'] !== undefined) throw new BuildspecError(source, `phases.${name}.run-as is not supported`);
    const onFailure = spec['on-failure'] ?? 'ABORT';
    if (onFailure !== 'ABORT' && onFailure !== 'CONTINUE') {
      throw new BuildspecError(source, `phases.${name}.on-failure ${String(onFailure)} is not supported (ABORT or CONTINUE)`);
    }
    phases[name as PhaseName] = {
      commands: stringList(spec.commands, `phases.${name}.commands`, source),
      finally: stringList(spec.finally, `phases.${name}.finally`, source),
      onFailure,
    };
  }
  return { shell, variables, exportedVariables, phases };
}

/** Runs the buildspec file at `buildspecPath`. */
export async function runBuildspec(buildspecPath: string, options: RunBuildspecOptions = {}): Promise<BuildResult> {
  return runBuildspecText(await readFile(buildspecPath, 'utf8'), options, buildspecPath);
}

/** Single-quotes a value for bash: the result is always one literal word. */
export function shellQuote(value: string): string {
  return `'${value.replaceAll("'", `'\\''`)}'`;
}

function findExecutable(name: string): string {
  for (const dir of (process.env.PATH ?? '/usr/bin:/bin').split(delimiter)) {
    const candidate = join(dir, name);
    if (dir !== '' && existsSync(candidate)) return candidate;
  }
  throw new Error(`${name} not found on PATH; the buildspec runner needs it`);
}

/** Bash's own variables, which must not be carried from one command's shell into the next. */
const SHELL_OWNED = [
  'BASH',
  'BASH_*',
  'BASHOPTS',
  'BASHPID',
  'COLUMNS',
  'COMP_*',
  'DIRSTACK',
  'EPOCHREALTIME',
  'EPOCHSECONDS',
  'EUID',
  'FUNCNAME',
  'GROUPS',
  'HISTCMD',
  'HISTFILE',
  'HISTFILESIZE',
  'HISTSIZE',
  'HOSTNAME',
  'HOSTTYPE',
  'IFS',
  'LINENO',
  'LINES',
  'MACHTYPE',
  'MAILCHECK',
  'OLDPWD',
  'OPTARG',
  'OPTERR',
  'OPTIND',
  'OSTYPE',
  'PIPESTATUS',
  'PPID',
  'PS1',
  'PS2',
  'PS4',
  'PWD',
  'RANDOM',
  'SECONDS',
  'SHELLOPTS',
  'SHLVL',
  'SRANDOM',
  'UID',
  '_',
  '__codebuild_*',
].join('|');

/**
 * The script one command runs in: restore the previous command's variables and directory, run the
 * command, and (from an EXIT trap, so `exit` and `set -e` are covered) save them for the next one.
 */
function commandScript(statePath: string, command: string, succeeding: boolean, posix: boolean): string {
  const state = shellQuote(statePath);
  return [
    ...(posix ? ['set -o posix'] : []),
    'exec 2>&1',
    '__codebuild_save_state() {',
    '  local __codebuild_status=$? __codebuild_name',
    "  local IFS=$' \\t\\n'",
    '  set +euo pipefail',
    '  {',
    '    for __codebuild_name in $(compgen -v); do',
    '      case "$__codebuild_name" in',
    `        ${SHELL_OWNED}) ;;`,
    '        *) declare -p "$__codebuild_name" 2>/dev/null ;;',
    '      esac',
    '    done',
    `    printf 'cd -- %q 2>/dev/null || true\\n' "$PWD"`,
    `  } > ${state}.next && mv -f ${state}.next ${state}`,
    '  exit "$__codebuild_status"',
    '}',
    'trap __codebuild_save_state EXIT',
    `. ${state}`,
    `export CODEBUILD_BUILD_SUCCEEDING=${succeeding ? 1 : 0}`,
    command,
    '',
  ].join('\n');
}

function timestamp(date = new Date()): string {
  const pad = (n: number, width = 2): string => String(n).padStart(width, '0');
  return (
    `${date.getUTCFullYear()}/${pad(date.getUTCMonth() + 1)}/${pad(date.getUTCDate())} ` +
    `${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())}.${pad(date.getUTCMilliseconds(), 3)}000`
  );
}

interface CommandOutcome {
  exitCode: number;
  /** Set when the command did not end by itself. */
  interrupted?: 'TIMED_OUT' | 'STOPPED';
}

/** Runs the buildspec text (e.g. taken from a template). `source` names it in errors. */
export async function runBuildspecText(text: string, options: RunBuildspecOptions = {}, source = '(inline)'): Promise<BuildResult> {
  const spec = parseBuildspec(text, source);
  const bash = findExecutable('bash');
  const startTime = new Date();
  const deadline = startTime.getTime() + (options.timeoutMs ?? DEFAULT_TIMEOUT_MS);
  const scratch = await mkdtemp(join(tmpdir(), 'buildspec-runner-'));
  const cwd = options.cwd ?? join(scratch, 'src');
  const statePath = join(scratch, 'state.sh');
  const scriptPath = join(scratch, 'command.sh');

  const processGroups: number[] = [];
  let log = '';
  const write = (textChunk: string): void => {
    log += textChunk;
    options.onLog?.(textChunk);
  };
  const container = (line: string): void => write(`[Container] ${timestamp()} ${line}\n`);

  try {
    await mkdir(cwd, { recursive: true });
    const home = join(scratch, 'home');
    const buildTmp = join(scratch, 'tmp');
    await mkdir(home);
    await mkdir(buildTmp);

    const buildId = `local-build:${randomUUID()}`;
    const region = options.region ?? options.env?.AWS_REGION ?? 'us-east-1';
    const environment: Record<string, string> = {};
    for (const name of options.inherit ?? DEFAULT_INHERIT) {
      const value = process.env[name];
      if (value !== undefined) environment[name] = value;
    }
    const prepend = typeof options.pathPrepend === 'string' ? [options.pathPrepend] : (options.pathPrepend ?? []);
    environment.PATH = [...prepend, environment.PATH ?? process.env.PATH ?? '/usr/bin:/bin'].join(delimiter);
    Object.assign(
      environment,
      {
        HOME: home,
        TMPDIR: buildTmp,
        AWS_REGION: region,
        AWS_DEFAULT_REGION: region,
        CODEBUILD_BUILD_ID: buildId,
        CODEBUILD_BUILD_ARN: `arn:aws:codebuild:${region}:000000000000:build/${buildId}`,
        CODEBUILD_BUILD_NUMBER: '1',
        CODEBUILD_INITIATOR: 'buildspec-runner',
        CODEBUILD_SRC_DIR: cwd,
        CODEBUILD_START_TIME: String(startTime.getTime()),
      },
      spec.variables,
      options.env ?? {},
    );
    const initialState = Object.entries(environment)
      .filter(([name]) => VARIABLE_NAME.test(name))
      .map(([name, value]) => `declare -x ${name}=${shellQuote(value)}`);
    await writeFile(statePath, `${initialState.join('\n')}\ncd -- ${shellQuote(cwd)}\n`, { mode: 0o600 });

    const runCommand = async (command: string, succeeding: boolean): Promise<CommandOutcome> => {
      container(`Running command ${command}`);
      await writeFile(scriptPath, commandScript(statePath, command, succeeding, spec.shell === 'sh'), { mode: 0o600 });
      if (options.signal?.aborted) return { exitCode: -1, interrupted: 'STOPPED' };
      if (Date.now() >= deadline) return { exitCode: -1, interrupted: 'TIMED_OUT' };
      const child = spawn(bash, ['--noprofile', '--norc', scriptPath], { cwd, env: {}, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
      if (child.pid !== undefined) processGroups.push(child.pid);
      child.stdout.setEncoding('utf8').on('data', write);
      child.stderr.setEncoding('utf8').on('data', write);
      const closed = new Promise<void>((resolve) => child.once('close', () => resolve()));
      let interrupted: CommandOutcome['interrupted'];
      const kill = (why: 'TIMED_OUT' | 'STOPPED'): void => {
        interrupted ??= why;
        try {
          process.kill(-child.pid!, 'SIGKILL');
        } catch {
          // The group already exited.
        }
      };
      const timer = setTimeout(() => kill('TIMED_OUT'), Math.max(0, deadline - Date.now()));
      const onAbort = (): void => kill('STOPPED');
      options.signal?.addEventListener('abort', onAbort, { once: true });
      try {
        const code = await new Promise<number>((resolve, reject) => {
          child.once('error', reject);
          child.once('exit', (exitCode, signal) => resolve(exitCode ?? (signal ? -1 : 0)));
        });
        // Let the pipes drain; a background process that keeps them open (`server &`) must not stall the build.
        await Promise.race([closed, new Promise((resolve) => setTimeout(resolve, OUTPUT_DRAIN_MS))]);
        return interrupted ? { exitCode: -1, interrupted } : { exitCode: code };
      } finally {
        clearTimeout(timer);
        options.signal?.removeEventListener('abort', onAbort);
      }
    };

    const phases: PhaseResult[] = [];
    let succeeding = true;
    let interrupted: CommandOutcome['interrupted'];
    for (const name of PHASE_NAMES) {
      const phase = spec.phases[name] ?? { commands: [], finally: [], onFailure: 'ABORT' as const };
      const phaseStart = new Date();
      container(`Entering phase ${name.toUpperCase()}`);
      let failure: { command: string; outcome: CommandOutcome } | undefined;
      for (const command of phase.commands) {
        const outcome = await runCommand(command, succeeding);
        if (outcome.exitCode !== 0) {
          failure = { command, outcome };
          break;
        }
      }
      if (!failure?.outcome.interrupted) {
        for (const command of phase.finally) {
          const outcome = await runCommand(command, succeeding && failure === undefined);
          if (outcome.exitCode !== 0) {
            failure ??= { command, outcome };
            break;
          }
        }
      }
      interrupted = failure?.outcome.interrupted;
      const status: BuildStatus = interrupted ?? (failure ? 'FAILED' : 'SUCCEEDED');
      const message = failure
        ? interrupted
          ? `Build ${interrupted === 'TIMED_OUT' ? 'timed out' : 'was stopped'} while running command: ${failure.command}`
          : `Error while executing command: ${failure.command}. Reason: exit status ${failure.outcome.exitCode}`
        : undefined;
      container(`Phase complete: ${name.toUpperCase()} State: ${status}`);
      container(`Phase context status code: ${failure ? (interrupted ?? 'COMMAND_EXECUTION_ERROR') : ''} Message: ${message ?? ''}`);
      phases.push({
        name,
        status,
        exitCode: failure?.outcome.exitCode ?? 0,
        ...(message !== undefined ? { message } : {}),
        startTime: phaseStart,
        endTime: new Date(),
      });
      if (failure) {
        succeeding = false;
        // ABORT ends the build, except that post_build still follows a failed build phase; CONTINUE goes on.
        if (interrupted || (phase.onFailure === 'ABORT' && name !== 'build')) break;
      }
    }

    const exported = await readExported(bash, statePath, spec.exportedVariables, cwd);
    const status: BuildStatus = interrupted ?? (succeeding ? 'SUCCEEDED' : 'FAILED');
    return { status, phases, exported, log, startTime, endTime: new Date() };
  } finally {
    // Background processes live on across commands, as in CodeBuild, and end with the build.
    for (const group of processGroups) {
      try {
        process.kill(-group, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
    await rm(scratch, { recursive: true, force: true });
  }
}

/** Values of the exported variables in the final state, NUL-separated so any value survives. */
async function readExported(bash: string, statePath: string, names: readonly string[], cwd: string): Promise<Record<string, string>> {
  if (names.length === 0) return {};
  const script = [
    `. ${shellQuote(statePath)} >/dev/null 2>&1`,
    `for __codebuild_name in ${names.join(' ')}; do`,
    '  if [ -n "${!__codebuild_name+set}" ]; then printf \'%s\\0%s\\0\' "$__codebuild_name" "${!__codebuild_name}"; fi',
    'done',
  ].join('\n');
  const output = await new Promise<string>((resolve, reject) => {
    const child = spawn(bash, ['--noprofile', '--norc', '-c', script], { cwd, env: {}, stdio: ['ignore', 'pipe', 'ignore'] });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
    child.once('error', reject);
    child.once('close', () => resolve(out));
  });
  const parts = output.split('\0');
  const exported: Record<string, string> = {};
  for (let i = 0; i + 1 < parts.length; i += 2) exported[parts[i]!] = parts[i + 1]!;
  return exported;
}
