// The CLI's offline commands stay offline (issue 20): `transform` and `scan`, the BUILT bundle, run without any AWS
// configuration or credentials and never load the AWS SDK nor the module of the commands that read AWS. A preloaded
// hook records every module the process loads; the same hook sees `mirrors` load them (so the check is not vacuous).
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TOOL_TEST_TIMEOUT_MS } from '../support/timeouts.js';

const ROOT = new URL('../..', import.meta.url).pathname;
const CLI = join(ROOT, 'dist/cli/index.js');
const AWS_BUNDLE = join(ROOT, 'dist/cli/aws-commands.js');
const EXAMPLE = join(ROOT, 'examples/sysdig-instrumentation.yaml');

/** Preloaded with `--require`: writes every module file the process loaded (CommonJS cache, ESM-imported CJS included). */
const HOOK = `
const Module = require('node:module');
const fs = require('node:fs');
const requested = [];
const load = Module._load;
Module._load = function (request, parent, isMain) { requested.push(request); return load.apply(this, arguments); };
process.on('exit', () => fs.writeFileSync(process.env.LOADED_MODULES_FILE, JSON.stringify({ requested, files: Object.keys(require.cache) })));
`;

describe('Command line: the offline commands never load AWS', () => {
  let dir: string;
  let hook: string;

  beforeAll(async () => {
    if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` first (npm run test:integration does)`);
    dir = await mkdtemp(join(tmpdir(), 'sif-offline-'));
    hook = join(dir, 'record-modules.cjs');
    await writeFile(hook, HOOK);
  });

  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  /** The CLI with nothing of AWS around it: no AWS_* variables, an empty HOME, no config or credentials files. */
  async function run(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string; loaded: { requested: string[]; files: string[] } }> {
    const record = join(dir, `loaded-${args[0]}.json`);
    const env = {
      ...Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('AWS_'))),
      HOME: dir,
      AWS_CONFIG_FILE: join(dir, 'no-config'),
      AWS_SHARED_CREDENTIALS_FILE: join(dir, 'no-credentials'),
      AWS_EC2_METADATA_DISABLED: 'true',
      LOADED_MODULES_FILE: record,
    };
    const result = spawnSync(process.execPath, ['--require', hook, CLI, ...args], { encoding: 'utf8', env, timeout: TOOL_TEST_TIMEOUT_MS });
    return { code: result.status, stdout: result.stdout, stderr: result.stderr, loaded: JSON.parse(await readFile(record, 'utf8')) };
  }

  const touchesAws = (name: string) => /@aws-sdk|@smithy|aws-commands/.test(name);

  it('transform and scan succeed without credentials and load no AWS module', async () => {
    for (const command of ['transform', 'scan']) {
      const result = await run([command, EXAMPLE, '--region', 'eu-west-1']);
      expect(result.code, result.stderr).toBe(0);
      expect(result.stdout.length).toBeGreaterThan(0);
      expect(result.loaded.requested.filter(touchesAws), command).toEqual([]);
      expect(result.loaded.files.filter(touchesAws), command).toEqual([]);
    }
  });

  it('the offline bundle carries no AWS SDK; the commands that read AWS have their own bundle, which mirrors loads', async () => {
    const offline = readFileSync(CLI, 'utf8');
    expect(offline).not.toMatch(/@aws-sdk\/|ECRClient|LambdaClient|CloudFormationClient/);
    expect(readFileSync(AWS_BUNDLE, 'utf8')).toMatch(/ECRClient/);
    // Positive control: the hook does see the AWS module when a command needs it (help reads nothing from AWS).
    const help = await run(['mirrors', '--help']);
    expect(help.code, help.stderr).toBe(0);
    expect(help.loaded.files.some((file) => file.endsWith('dist/cli/aws-commands.js'))).toBe(true);
  });
});
