// The buildspec's bash functions, run one script at a time: the deployed buildspec's first install command writes the
// steps file ($MIRROR_STEPS), the script runs after sourcing it, and the scratch directory goes when it ends. For tests
// that hold one function of the buildspec to its TypeScript twin, or drive one step with stand-ins for skopeo.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { buildspecUnderTestPath } from './buildspec-under-test.js';

export interface StepsRun {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** The install phase's first command: it writes the steps file the other commands source. */
function stepsWriter(): string {
  const spec = parseYaml(readFileSync(buildspecUnderTestPath(), 'utf8')) as { phases: { install: { commands: string[] } } };
  return spec.phases.install.commands[0]!;
}

/** Runs `script` in bash after the real steps file was written and sourced; stdin in; `env` added to a bare PATH. */
export function runSteps(script: string, input = '', env: Record<string, string> = {}): StepsRun {
  const result = spawnSync('bash', ['-c', `${stepsWriter()}\n. "$MIRROR_STEPS"\ntrap 'rm -rf "$MIRROR_DIR"' EXIT\n${script}`], {
    input,
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', LANG: 'C', ...env },
    maxBuffer: 64 * 1024 * 1024,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** `runSteps` for a script that must succeed: its stdout. */
export function withSteps(script: string, input = ''): string {
  const result = runSteps(script, input);
  if (result.status !== 0) throw new Error(`bash exited ${result.status}: ${result.stderr}`);
  return result.stdout;
}
