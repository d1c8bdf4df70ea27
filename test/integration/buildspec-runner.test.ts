// The local CodeBuild stand-in (test/support/buildspec-runner.ts) against real bash: the CodeBuild 0.2 semantics the
// mirror buildspec and the later local CodeBuild API rely on. Each case is a small buildspec written here.
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BuildspecError, parseBuildspec, runBuildspecText, type BuildResult } from '../support/buildspec-runner.js';

let scratch: string;

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'buildspec-runner-test-'));
});

afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

/** A buildspec from phase command lists (each command one YAML scalar) plus optional extra top-level YAML. */
function buildspec(phases: Record<string, { commands?: string[]; finally?: string[]; onFailure?: string }>, env = 'env:\n  shell: bash\n'): string {
  const scalar = (command: string): string => JSON.stringify(command);
  const body = Object.entries(phases)
    .map(([name, phase]) =>
      [
        `  ${name}:`,
        ...(phase.onFailure ? [`    on-failure: ${phase.onFailure}`] : []),
        ...(phase.commands ? ['    commands:', ...phase.commands.map((c) => `      - ${scalar(c)}`)] : []),
        ...(phase.finally ? ['    finally:', ...phase.finally.map((c) => `      - ${scalar(c)}`)] : []),
      ].join('\n'),
    )
    .join('\n');
  return `version: 0.2\n${env}phases:\n${body}\n`;
}

/** True while `pid` exists and is not a zombie (an orphan may wait a moment for init to reap it). */
async function running(pid: number): Promise<boolean> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => undefined);
    if (stat === undefined || stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z')) return false;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return true;
}

function phaseSummary(result: BuildResult): Array<[string, string, number]> {
  return result.phases.map((phase) => [phase.name, phase.status, phase.exitCode]);
}

/** Lines the commands printed (without the runner's `[Container]` lines). */
function output(result: BuildResult): string[] {
  return result.log.split('\n').filter((line) => line !== '' && !line.startsWith('[Container] '));
}

describe('Function: runBuildspecText', () => {
  it('carries variables (exported or not) and the directory across commands and phases, but not functions or shell options', async () => {
    const result = await runBuildspecText(
      buildspec({
        install: { commands: ['PLAIN=one', 'export EXPORTED="two words"; cd /', 'greet() { echo hi; }; set -u'] },
        build: {
          commands: [
            'echo "plain=$PLAIN exported=$EXPORTED pwd=$(pwd)"',
            'bash -c \'echo "child sees exported=$EXPORTED plain=${PLAIN:-unset}"\'',
            'type greet >/dev/null 2>&1 && echo "function kept" || echo "function gone"',
            'echo "nounset ${NEVER_SET:-is off}"; [[ $- != *u* ]] && echo "set -u gone"',
          ],
        },
      }),
    );

    expect(result.status).toBe('SUCCEEDED');
    expect(output(result)).toEqual(['plain=one exported=two words pwd=/', 'child sees exported=two words plain=unset', 'function gone', 'nounset is off', 'set -u gone']);
  });

  it('applies start-build env over buildspec env.variables over the inherited environment, and sets CODEBUILD_* and the region', async () => {
    const cwd = join(scratch, 'src-dir');
    const result = await runBuildspecText(
      buildspec(
        { build: { commands: ['echo "$FROM_SPEC $BOTH $CODEBUILD_SRC_DIR $(pwd) $AWS_REGION $AWS_DEFAULT_REGION ${CODEBUILD_BUILD_ID%%:*}"'] } },
        'env:\n  shell: bash\n  variables:\n    FROM_SPEC: spec\n    BOTH: spec\n',
      ),
      { env: { BOTH: 'override' }, cwd, region: 'eu-central-1' },
    );

    expect(output(result)).toEqual([`spec override ${cwd} ${cwd} eu-central-1 eu-central-1 local-build`]);
  });

  it('passes environment values literally: nothing in them is evaluated', async () => {
    const marker = join(scratch, 'PWNED-env');
    const hostile = `x'; touch ${marker}; '$(touch ${marker})\`touch ${marker}\`\nnext line`;
    const result = await runBuildspecText(buildspec({ build: { commands: ['printf "%s|" "$HOSTILE"'] } }), { env: { HOSTILE: hostile } });

    expect(result.status).toBe('SUCCEEDED');
    expect(result.log).toContain(`${hostile}|`);
    expect(existsSync(marker)).toBe(false);
  });

  it('a failed build phase stops its remaining commands, runs its finally block, then post_build with CODEBUILD_BUILD_SUCCEEDING=0', async () => {
    const result = await runBuildspecText(
      buildspec({
        install: { commands: ['echo "install succeeding=$CODEBUILD_BUILD_SUCCEEDING"'] },
        build: { commands: ['echo before', 'echo to-stderr >&2; exit 3', 'echo skipped'], finally: ['echo "finally succeeding=$CODEBUILD_BUILD_SUCCEEDING"'] },
        post_build: { commands: ['echo "post succeeding=$CODEBUILD_BUILD_SUCCEEDING"'] },
      }),
    );

    expect(result.status).toBe('FAILED');
    expect(phaseSummary(result)).toEqual([
      ['install', 'SUCCEEDED', 0],
      ['pre_build', 'SUCCEEDED', 0],
      ['build', 'FAILED', 3],
      ['post_build', 'SUCCEEDED', 0],
    ]);
    expect(result.phases[2]!.message).toBe('Error while executing command: echo to-stderr >&2; exit 3. Reason: exit status 3');
    expect(output(result)).toEqual(['install succeeding=1', 'before', 'to-stderr', 'finally succeeding=0', 'post succeeding=0']);
  });

  it.each(['install', 'pre_build'])('a failed %s phase ends the build: no later phase runs, post_build included', async (failing) => {
    const result = await runBuildspecText(
      buildspec({
        install: { commands: [failing === 'install' ? 'false' : 'true'] },
        pre_build: { commands: ['false'], finally: ['echo pre_build-finally'] },
        build: { commands: ['echo build'] },
        post_build: { commands: ['echo post_build'] },
      }),
    );

    expect(result.status).toBe('FAILED');
    expect(result.phases.map((phase) => phase.name)).toEqual(failing === 'install' ? ['install'] : ['install', 'pre_build']);
    expect(output(result)).toEqual(failing === 'install' ? [] : ['pre_build-finally']);
  });

  it('on-failure: CONTINUE goes on to the next phase, and the build still fails', async () => {
    const result = await runBuildspecText(
      buildspec({ install: { onFailure: 'CONTINUE', commands: ['false', 'echo skipped'] }, build: { commands: ['echo "build succeeding=$CODEBUILD_BUILD_SUCCEEDING"'] } }),
    );

    expect(result.status).toBe('FAILED');
    expect(phaseSummary(result)).toEqual([
      ['install', 'FAILED', 1],
      ['pre_build', 'SUCCEEDED', 0],
      ['build', 'SUCCEEDED', 0],
      ['post_build', 'SUCCEEDED', 0],
    ]);
    expect(output(result)).toEqual(['build succeeding=0']);
  });

  it('a failing finally command fails its phase', async () => {
    const result = await runBuildspecText(buildspec({ build: { commands: ['echo ok'], finally: ['exit 4', 'echo skipped'] } }));

    expect(result.status).toBe('FAILED');
    expect(phaseSummary(result)[2]).toEqual(['build', 'FAILED', 4]);
    expect(output(result)).toEqual(['ok']);
  });

  it('exports env.exported-variables as they are at the end of the build, values kept exactly; unset ones are absent', async () => {
    const result = await runBuildspecText(
      buildspec(
        { build: { commands: ['MULTI=$\'line 1\\nline "2" $x\'', 'CHANGED=first', 'export SET_EMPTY='] }, post_build: { commands: ['CHANGED=last'] } },
        'env:\n  shell: bash\n  exported-variables: [MULTI, CHANGED, SET_EMPTY, NEVER_SET]\n',
      ),
    );

    expect(result.exported).toEqual({ MULTI: 'line 1\nline "2" $x', CHANGED: 'last', SET_EMPTY: '' });
  });

  it('writes CodeBuild-style [Container] lines and streams the same log to onLog', async () => {
    const streamed: string[] = [];
    const result = await runBuildspecText(buildspec({ build: { commands: ['echo hello'] } }), { onLog: (text) => streamed.push(text) });

    expect(streamed.join('')).toBe(result.log);
    expect(result.log).toMatch(/^\[Container\] \d{4}\/\d{2}\/\d{2} \d{2}:\d{2}:\d{2}\.\d{6} Entering phase INSTALL$/m);
    expect(result.log).toMatch(/\[Container\] .* Running command echo hello\nhello\n/);
    expect(result.log).toMatch(/\[Container\] .* Phase complete: BUILD State: SUCCEEDED/);
  });

  it('a build past its timeout is killed, background children included, and ends TIMED_OUT without later phases', async () => {
    const pids = join(scratch, 'timeout-pids');
    const result = await runBuildspecText(
      buildspec({
        build: { commands: ['echo started', `sleep 60 & echo "$! $$" > ${pids}; wait`] },
        post_build: { commands: ['echo post_build'] },
      }),
      { timeoutMs: 1_500 },
    );

    expect(result.status).toBe('TIMED_OUT');
    expect(phaseSummary(result)[2]).toEqual(['build', 'TIMED_OUT', -1]);
    expect(result.phases.map((phase) => phase.name)).not.toContain('post_build');
    expect(output(result)).toEqual(['started']);
    const started = (await readFile(pids, 'utf8')).trim().split(' ').map(Number);
    expect(started).toHaveLength(2);
    for (const pid of started) expect(await running(pid)).toBe(false);
  });

  it('background processes outlive their command (as in CodeBuild) but not the build', async () => {
    const pidFile = join(scratch, 'background-pid');
    const result = await runBuildspecText(
      buildspec({
        install: { commands: [`sleep 60 & echo $! > ${pidFile}`] },
        build: { commands: [`kill -0 "$(cat ${pidFile})" && echo "still running"`] },
      }),
    );

    expect(result.status).toBe('SUCCEEDED');
    expect(output(result)).toEqual(['still running']);
    expect(await running(Number(await readFile(pidFile, 'utf8')))).toBe(false);
  });

  it('aborting the signal stops the build (StopBuild)', async () => {
    const controller = new AbortController();
    const result = await runBuildspecText(buildspec({ build: { commands: ['echo started', 'sleep 60'] } }), {
      signal: controller.signal,
      onLog: (text) => {
        // Abort once the sleep is running, so a live process group is what gets stopped.
        if (text.includes('Running command sleep 60')) setTimeout(() => controller.abort(), 200);
      },
    });

    expect(result.status).toBe('STOPPED');
    expect(phaseSummary(result)[2]).toEqual(['build', 'STOPPED', -1]);
    expect(result.phases.map((phase) => phase.name)).not.toContain('post_build');
  });
});

describe('Function: parseBuildspec', () => {
  it('reads shell, variables, exported variables and phases', () => {
    const spec = parseBuildspec(
      'version: 0.2\nenv:\n  shell: bash\n  variables: {A: 1}\n  exported-variables: [A]\nphases:\n  build:\n    on-failure: CONTINUE\n    commands: [echo]\n    finally: [true]\n',
    );
    expect(spec).toEqual({
      shell: 'bash',
      variables: { A: '1' },
      exportedVariables: ['A'],
      phases: { build: { commands: ['echo'], finally: ['true'], onFailure: 'CONTINUE' } },
    });
  });

  it.each([
    ['version: 0.1\nphases: {}\n', 'only 0.2 is supported'],
    ['version: 0.2\nphases:\n  deploy:\n    commands: [echo]\n', 'unknown phase deploy'],
    ['version: 0.2\nenv:\n  secrets-manager: {A: x}\nphases: {}\n', 'env.secrets-manager is not supported'],
    ['version: 0.2\nenv:\n  parameter-store: {A: x}\nphases: {}\n', 'env.parameter-store is not supported'],
    ['version: 0.2\nphases:\n  build:\n    on-failure: RETRY\n    commands: [echo]\n', 'on-failure RETRY is not supported'],
    ['version: 0.2\nenv:\n  shell: pwsh\nphases: {}\n', 'env.shell pwsh is not supported'],
    ['version: 0.2\nphases: [\n', 'invalid YAML'],
  ])('refuses what it cannot run faithfully: %j', (text, reason) => {
    expect(() => parseBuildspec(text, 'case.yaml')).toThrow(BuildspecError);
    expect(() => parseBuildspec(text, 'case.yaml')).toThrow(reason);
  });
});
