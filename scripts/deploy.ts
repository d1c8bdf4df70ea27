// The macro stack in one command per region (template.yaml with SAM CLI and samconfig.toml):
//
//   npm run deploy -- --region eu-west-1            sam build, check the built bundles, sam deploy --region eu-west-1
//   npm run deploy -- --region eu-west-1 --guided   ... sam deploy --guided (asks for the parameters, may save them)
//   npm run deploy -- --region eu-west-1 -- --parameter-overrides RepositoryPrefix=team/mirrors
//                                                   anything after a second `--` goes to sam deploy unchanged
//
// `sam build` builds the bundles itself (scripts/sam/Makefile runs `npm run build`); this script then checks that
// .aws-sam/build holds exactly the bundles dist/ has now, so a build that silently produced nothing, or a stale
// one, is never deployed.
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { regionProblem, usageProblem } from '../src/cli/args.js';
import { isRegion } from '../src/reference/index.js';
import { invokedDirectly, TEMPLATE_PATH } from './package-stackset.js';

/** The first SAM CLI release that knows the nodejs24.x runtime (aws-sam-cli PR #8431, tag v1.147.1). */
export const MIN_SAM_CLI_VERSION = '1.147.1';
/** template.yaml's functions, and the dist/ bundle each one's build copies. */
export const FUNCTION_BUNDLES = { MacroFunction: 'dist/macro', MirrorFunction: 'dist/mirror' } as const;
const BUILT_FILES = ['index.js', 'package.json', 'THIRD-PARTY-NOTICES'] as const;

/** The deployment cannot go ahead; the message says what to do. */
export class DeployError extends Error {
  override readonly name = 'DeployError';
}

export interface DeployRequest {
  readonly region: string | undefined;
  readonly guided: boolean;
  /** Passed to `sam deploy` after the script's own arguments. */
  readonly samDeployArgs: readonly string[];
}

const OPTIONS = { region: { type: 'string' }, guided: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } } as const;

/** Node's parseArgs over the script's options; its refusals become DeployErrors worded as the CLI words them. */
function parseOptions(argv: readonly string[]) {
  try {
    return parseArgs({ args: [...argv], allowPositionals: true, strict: true, options: OPTIONS });
  } catch (error) {
    throw new DeployError(`${usageProblem(error, Object.keys(OPTIONS))}\n${USAGE}`);
  }
}

export function parseDeployArgs(argv: readonly string[]): DeployRequest | 'help' {
  const { values, positionals } = parseOptions(argv);
  if (values.help) return 'help';
  const separator = argv.indexOf('--');
  const passThrough = separator === -1 ? [] : argv.slice(separator + 1);
  if (positionals.length > passThrough.length) {
    throw new DeployError(`unexpected argument ${JSON.stringify(positionals[0])}; arguments for sam deploy go after --\n${USAGE}`);
  }
  if (values.region === undefined && !values.guided) {
    throw new DeployError(`--region is required (the macro works only in the region its stack is in; deploy it in each region you use)\n${USAGE}`);
  }
  if (values.region !== undefined && !isRegion(values.region)) throw new DeployError(regionProblem(values.region, '--region'));
  return { region: values.region, guided: values.guided ?? false, samDeployArgs: passThrough };
}

export const USAGE = 'usage: npm run deploy -- --region REGION [--guided] [-- SAM_DEPLOY_ARGS...]';

/** `SAM CLI, version 1.164.0` -> [1, 164, 0]; undefined when the text has no version. */
export function samCliVersion(text: string): [number, number, number] | undefined {
  const match = /version (\d+)\.(\d+)\.(\d+)/.exec(text);
  return match ? [Number(match[1]), Number(match[2]), Number(match[3])] : undefined;
}

export function isAtLeast(version: readonly number[], minimum: string): boolean {
  const wanted = minimum.split('.').map(Number);
  for (let i = 0; i < 3; i++) {
    if (version[i]! !== wanted[i]!) return version[i]! > wanted[i]!;
  }
  return true;
}

/** The sam commands, in order, for a request. */
export function samCommands(request: DeployRequest): string[][] {
  return [['build'], ['deploy', ...(request.region !== undefined ? ['--region', request.region] : []), ...(request.guided ? ['--guided'] : []), ...request.samDeployArgs]];
}

/** Files of .aws-sam/build that differ from (or lack) what dist/ holds now. */
export function staleBuildFiles(root: string): string[] {
  const stale: string[] = [];
  for (const [logicalId, bundle] of Object.entries(FUNCTION_BUNDLES)) {
    for (const file of BUILT_FILES) {
      const built = join(root, '.aws-sam', 'build', logicalId, file);
      let same = false;
      try {
        same = readFileSync(built).equals(readFileSync(join(root, bundle, file)));
      } catch {
        same = false;
      }
      if (!same) stale.push(join('.aws-sam', 'build', logicalId, file));
    }
  }
  return stale;
}

const ROOT = resolve(TEMPLATE_PATH, '..');

function run(command: string, args: readonly string[]): SpawnSyncReturns<Buffer> {
  return spawnSync(command, args, { cwd: ROOT, stdio: 'inherit' });
}

/** Checks SAM CLI and make, runs sam build, checks what it built, runs sam deploy. */
export function deploy(request: DeployRequest): void {
  const probe = spawnSync('sam', ['--version'], { encoding: 'utf8' });
  if (probe.error !== undefined || probe.status !== 0) {
    throw new DeployError(
      `sam (AWS SAM CLI) is not on PATH; install ${MIN_SAM_CLI_VERSION} or later: ` +
        'https://docs.aws.amazon.com/serverless-application-model/latest/developerguide/install-sam-cli.html. ' +
        'Without SAM CLI: npm run package, then aws cloudformation deploy (see docs/deploy.md)',
    );
  }
  const version = samCliVersion(probe.stdout);
  if (version === undefined || !isAtLeast(version, MIN_SAM_CLI_VERSION)) {
    throw new DeployError(
      `${probe.stdout.trim() || 'sam --version printed nothing'}: SAM CLI ${MIN_SAM_CLI_VERSION} or later is needed (the functions run on nodejs24.x); upgrade it`,
    );
  }
  if (spawnSync('make', ['--version'], { stdio: 'ignore' }).status !== 0) {
    throw new DeployError('make is not on PATH: sam build runs scripts/sam/Makefile to build the bundles; install make');
  }
  const [build, deployArgs] = samCommands(request);
  const built = run('sam', build!);
  if (built.status !== 0) throw new DeployError(`sam build failed (exit ${built.status ?? built.signal}); nothing was deployed`);
  const stale = staleBuildFiles(ROOT);
  if (stale.length > 0) {
    throw new DeployError(
      `sam build ended without the fresh bundles (${stale.join(', ')} differ from dist/ or are missing); nothing was deployed. Check the sam build output above`,
    );
  }
  const deployed = run('sam', deployArgs!);
  if (deployed.status !== 0) throw new DeployError(`sam deploy failed (exit ${deployed.status ?? deployed.signal})`);
}

if (invokedDirectly(import.meta.url)) {
  try {
    const request = parseDeployArgs(process.argv.slice(2));
    if (request === 'help') process.stdout.write(`${USAGE}\n`);
    else deploy(request);
  } catch (error) {
    if (!(error instanceof DeployError)) throw error;
    process.stderr.write(`deploy: ${error.message}\n`);
    process.exitCode = 1;
  }
}
