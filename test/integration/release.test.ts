// Getting the product as a user does, from a copy of this checkout as a fresh clone has it (test/support/checkout-copy.ts):
//   - the CLI as an npm package: npm pack, install the tarball OFFLINE into an empty prefix with an empty npm cache
//     (so nothing the package depends on may come from anywhere), run sysdig-image-fix --version and scan from there;
//   - npm run package: the release template named with the version, its third-party notices and a .sha256 for each
//     (sha256sum -c), the template clean under cfn-lint in three regions, next to template.yaml with its
//     Serverless Application Repository metadata (cfn-lint, SAM translator);
//   - sam build's makefile (run as SAM CLI's makefile builder runs it) and npm run deploy (with a stand-in `sam`);
//   - the README's install command is the tarball npm pack writes, and the packed docs' links stay inside the package.
// The README's and docs' commands and samples are run by test/integration/docs.test.ts.
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCfnYaml } from '../../src/cli/cfn-yaml.js';
import type { JsonObject } from '../../src/template/types.js';
import { deployCommand, RELEASE_NAME } from '../../scripts/package.js';
import { FUNCTION_BUNDLES, MIN_SAM_CLI_VERSION } from '../../scripts/deploy.js';
import { copyCheckout, type CheckoutCopy } from '../support/checkout-copy.js';
import { lintTemplates } from '../support/cfn-lint.js';
import { markdownLinks } from '../support/markdown.js';
import { samTranslate } from '../support/sam.js';
import { haveTools, TOOLS } from '../support/tools.js';

const LINT_REGIONS = ['us-east-1', 'eu-west-1', 'ap-northeast-1'];

let copy: CheckoutCopy;
let work: string;
let pkg: { name: string; version: string; repository: { url: string }; homepage: string; license: string };

function run(command: string, args: readonly string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): SpawnSyncReturns<string> {
  return spawnSync(command, args, {
    cwd: options.cwd ?? copy.dir,
    encoding: 'utf8',
    env: { ...process.env, npm_config_update_notifier: 'false', npm_config_fund: 'false', npm_config_audit: 'false', ...options.env },
    maxBuffer: 64 * 1024 * 1024,
  });
}

function expectOk(result: SpawnSyncReturns<string>, what: string): SpawnSyncReturns<string> {
  expect(result.status, `${what} failed:\n${result.stderr}\n${result.stdout}`).toBe(0);
  return result;
}

beforeAll(() => {
  copy = copyCheckout();
  work = mkdtempSync(join(tmpdir(), 'sif-release-'));
  pkg = JSON.parse(readFileSync(join(copy.dir, 'package.json'), 'utf8')) as typeof pkg;
});

afterAll(() => {
  copy?.remove();
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('the CLI as an npm package (npm pack, offline install into an empty prefix)', () => {
  let prefix: string;
  let packed: { files: Array<{ path: string }>; filename: string };

  beforeAll(() => {
    // npm pack runs prepack (the build) in the fresh copy, which has no dist/ yet.
    const result = expectOk(run('npm', ['pack', '--json', '--pack-destination', work]), 'npm pack');
    packed = (JSON.parse(result.stdout) as (typeof packed)[])[0]!;
    prefix = join(work, 'prefix');
    const cache = join(work, 'empty-npm-cache');
    mkdirSync(cache);
    expectOk(
      run('npm', ['install', '--global', '--offline', '--prefix', prefix, '--cache', cache, join(work, packed.filename)], { cwd: work }),
      'offline npm install of the tarball',
    );
  });

  it('is publishable: not private, with files, a prepack that builds, repository, homepage and a license', () => {
    expect(pkg).not.toHaveProperty('private');
    expect(pkg).toMatchObject({ bin: { 'sysdig-image-fix': 'dist/cli/index.js' }, scripts: { prepack: expect.stringContaining('npm run build') } });
    expect(pkg.repository.url).toMatch(/^git\+https:\/\/github\.com\/[\w.-]+\/[\w.-]+\.git$/);
    expect(pkg.homepage).toMatch(/^https:\/\//);
    expect(pkg.license).toBe('Apache-2.0');
  });

  it('carries the CLI bundle with its notices, the examples, README, docs, CHANGELOG and LICENSE, and nothing of the sources, tests or Lambda bundles', () => {
    const paths = packed.files.map((file) => file.path).sort();
    expect(paths).toEqual(
      expect.arrayContaining([
        'CHANGELOG.md',
        'LICENSE',
        'README.md',
        'dist/cli/THIRD-PARTY-NOTICES',
        'dist/cli/index.js',
        'dist/cli/package.json',
        'docs/deploy.md',
        'examples/sam-function.yaml',
        'package.json',
      ]),
    );
    const docs = readdirSync(join(copy.dir, 'docs')).map((file) => `docs/${file}`);
    expect(docs.filter((file) => !paths.includes(file))).toEqual([]);
    expect(paths.filter((path) => !/^(CHANGELOG\.md|LICENSE|README\.md|package\.json|dist\/cli\/[^/]+|docs\/[^/]+\.md|examples\/[^/]+)$/.test(path))).toEqual([]);
  });

  it('every relative link in the packed README, docs and CHANGELOG names a packed file (the docs work where npm installs them)', () => {
    const paths = new Set(packed.files.map((file) => file.path));
    const broken = [...paths]
      .filter((path) => path.endsWith('.md'))
      .flatMap((file) =>
        markdownLinks(readFileSync(join(copy.dir, file), 'utf8'))
          .filter(({ target }) => !/^[a-z]+:/i.test(target) && !target.startsWith('#'))
          .map(({ line, target }) => ({ line, target, path: join(file, '..', target.split('#')[0]!) }))
          .filter(({ path }) => !paths.has(path))
          .map(({ line, target, path }) => `${file}:${line}: ${target} (${path} is not in the package)`),
      );
    expect(broken).toEqual([]);
  });

  it("the README's install command installs the tarball npm pack writes", () => {
    const readme = readFileSync(join(copy.dir, 'README.md'), 'utf8');
    const install = /^\$ (npm install -g \S+)$/m.exec(readme)?.[1];
    expect(install, 'the README shows "$ npm install -g <tarball>"').toBe(`npm install -g ./${packed.filename}`);
  });

  it('needs no dependency at run time: the bundle is self-contained', () => {
    const installed = JSON.parse(readFileSync(join(prefix, 'lib', 'node_modules', pkg.name, 'package.json'), 'utf8')) as JsonObject;
    expect(installed.dependencies).toBeUndefined();
    expect(existsSync(join(prefix, 'lib', 'node_modules', pkg.name, 'node_modules'))).toBe(false);
  });

  it('sysdig-image-fix --version prints the package version (implemented with issue 8)', () => {
    const result = run(join(prefix, 'bin', 'sysdig-image-fix'), ['--version'], { cwd: work });
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).toContain(pkg.version);
  });

  it('sysdig-image-fix scan works from the installed package on its own example, without the checkout', () => {
    const example = join(prefix, 'lib', 'node_modules', pkg.name, 'examples', 'sysdig-instrumentation.yaml');
    const result = expectOk(run(join(prefix, 'bin', 'sysdig-image-fix'), ['scan', example, '--region', 'eu-west-1'], { cwd: work }), 'scan');
    expect(result.stdout).toMatch(/PatcherFunction\s+mirror\s+quay\.io\/sysdig\/serverless-patcher:5\.0\.1\s+x86_64\s+ImageMirror[0-9a-f]{8}/);
  });
});

describe.skipIf(!haveTools(TOOLS.cfnLint, TOOLS.samTranslator))('npm run package: the release template (cfn-lint, SAM translator)', () => {
  let report: string;
  let release: string;

  const releaseDir = (): string => join(copy.dir, 'dist', 'release');
  const notices = RELEASE_NAME.replace(/\.yaml$/, '-THIRD-PARTY-NOTICES');

  beforeAll(() => {
    // An artefact of an earlier version in the folder is removed, not shipped beside the new one.
    mkdirSync(releaseDir(), { recursive: true });
    writeFileSync(join(releaseDir(), 'sysdig-image-fix-0.0.1.yaml'), 'old');
    report = expectOk(run('npm', ['run', '--silent', 'package']), 'npm run package').stdout;
    release = join(releaseDir(), RELEASE_NAME);
  });

  it('names the template with the package version and writes exactly it, its notices and a .sha256 for each', () => {
    expect(RELEASE_NAME).toBe(`sysdig-image-fix-${pkg.version}.yaml`);
    expect(readdirSync(releaseDir()).sort()).toEqual([notices, `${notices}.sha256`, RELEASE_NAME, `${RELEASE_NAME}.sha256`].sort());
  });

  it('writes a transform-free template with both bundles inline and prints its size, sha256 and the deploy command', () => {
    const text = readFileSync(release, 'utf8');
    const template = parseCfnYaml(text) as JsonObject;
    expect(template.Transform).toBeUndefined();
    const functions = Object.values(template.Resources as Record<string, JsonObject>).filter((r) => r.Type === 'AWS::Lambda::Function');
    expect(functions.map((f) => typeof ((f.Properties as JsonObject).Code as JsonObject).ZipFile)).toEqual(['string', 'string']);
    const bytes = readFileSync(release).length;
    expect(report).toContain(`template dist/release/${RELEASE_NAME}: ${bytes} bytes`);
    expect(report).toMatch(new RegExp(`^sha256 {3}[0-9a-f]{64}  dist/release/${RELEASE_NAME.replaceAll('.', '\\.')}$`, 'm'));
    expect(report).toContain(`deploy   ${deployCommand(`dist/release/${RELEASE_NAME}`)}`);
    expect(text).toContain(`# Third-party notices of the inline code: ${notices}, beside this file.`);
  });

  it('each .sha256 is in sha256sum format and sha256sum -c accepts it in the release folder', () => {
    for (const file of [RELEASE_NAME, notices]) expect(readFileSync(join(releaseDir(), `${file}.sha256`), 'utf8')).toMatch(new RegExp(`^[0-9a-f]{64}  ${file}\n$`));
    const check = run('sha256sum', ['-c', `${RELEASE_NAME}.sha256`, `${notices}.sha256`], { cwd: releaseDir() });
    expect(check.stdout).toBe(`${RELEASE_NAME}: OK\n${notices}: OK\n`);
    writeFileSync(join(work, 'tampered.yaml'), `${readFileSync(release, 'utf8')}# changed\n`);
    writeFileSync(join(work, 'tampered.yaml.sha256'), readFileSync(`${release}.sha256`, 'utf8').replace(RELEASE_NAME, 'tampered.yaml'));
    expect(run('sha256sum', ['-c', 'tampered.yaml.sha256'], { cwd: work }).status).not.toBe(0);
  });

  it('the notices beside the template cover both inline bundles: every package of dist/macro and dist/mirror', () => {
    const text = readFileSync(join(releaseDir(), notices), 'utf8');
    expect(text.split('\n')[0]).toBe(`Third-party notices for the inline code (MacroFunction, MirrorFunction) of ${RELEASE_NAME} (sysdig-image-fix ${pkg.version})`);
    const sections = (file: string): string[] => [...file.matchAll(/^={80}\n(\S+ \S+)$/gm)].map((m) => m[1]!);
    const bundled = new Set(['macro', 'mirror'].flatMap((bundle) => sections(readFileSync(join(copy.dir, 'dist', bundle, 'THIRD-PARTY-NOTICES'), 'utf8'))));
    expect(sections(text).sort()).toEqual([...bundled].sort());
    expect(bundled.size).toBeGreaterThan(0);
  });

  it('docs/deploy.md gives the same one-line aws cloudformation deploy, for the versioned file', () => {
    const docs = readFileSync(join(copy.dir, 'docs', 'deploy.md'), 'utf8');
    expect(docs).toContain(`\n${deployCommand(RELEASE_NAME)}\n`);
  });

  it('cfn-lint finds nothing in the release template or template.yaml (with its SAR metadata) in three regions', async () => {
    const templates = {
      release: parseCfnYaml(readFileSync(release, 'utf8')),
      'template.yaml': parseCfnYaml(readFileSync(join(copy.dir, 'template.yaml'), 'utf8')),
    };
    expect((templates['template.yaml'] as JsonObject).Metadata).toHaveProperty(['AWS::ServerlessRepo::Application']);
    for (const region of LINT_REGIONS) {
      const findings = await lintTemplates(templates, { region });
      expect(Object.fromEntries(findings), region).toEqual({ release: [], 'template.yaml': [] });
    }
  });

  it('the SAM translator accepts template.yaml with the SAR metadata and keeps it', async () => {
    const template = parseCfnYaml(readFileSync(join(copy.dir, 'template.yaml'), 'utf8')) as JsonObject;
    for (const resource of Object.values(template.Resources as Record<string, JsonObject>)) {
      if (resource.Type === 'AWS::Serverless::Function') (resource.Properties as JsonObject).CodeUri = 's3://bucket/key.zip';
    }
    const translated = await samTranslate(template, { region: 'eu-west-1' });
    expect((translated.Metadata as JsonObject)['AWS::ServerlessRepo::Application']).toEqual((template.Metadata as JsonObject)['AWS::ServerlessRepo::Application']);
  });
});

describe.skipIf(!haveTools(TOOLS.make))('sam build (makefile) and npm run deploy', () => {
  const template = (): JsonObject => parseCfnYaml(readFileSync(join(copy.dir, 'template.yaml'), 'utf8')) as JsonObject;

  /** What SAM CLI's makefile builder runs: `make --makefile <ContextPath>/Makefile build-<id>` in WorkingDirectory. */
  function samMakefileBuild(logicalId: string, artifacts: string): SpawnSyncReturns<string> {
    const metadata = (template().Resources as Record<string, JsonObject>)[logicalId]!.Metadata as Record<string, string>;
    expect(metadata.BuildMethod).toBe('makefile');
    mkdirSync(artifacts, { recursive: true });
    return run('make', ['--makefile', join(copy.dir, metadata.ContextPath!, 'Makefile'), `build-${logicalId}`], {
      cwd: join(copy.dir, metadata.WorkingDirectory!),
      env: { ARTIFACTS_DIR: artifacts },
    });
  }

  it.each(Object.entries(FUNCTION_BUNDLES))('building %s writes the fresh bundle of %s, with or without an old dist/', (logicalId, bundle) => {
    rmSync(join(copy.dir, 'dist'), { recursive: true, force: true });
    const artifacts = join(work, 'sam-build', logicalId);
    expectOk(samMakefileBuild(logicalId, artifacts), `make build-${logicalId}`);
    expect(readdirSync(artifacts).sort()).toEqual(['THIRD-PARTY-NOTICES', 'index.js', 'package.json']);
    expect(readFileSync(join(artifacts, 'THIRD-PARTY-NOTICES'), 'utf8')).toBe(readFileSync(join(copy.dir, bundle, 'THIRD-PARTY-NOTICES'), 'utf8'));
    expect(readFileSync(join(artifacts, 'index.js')).equals(readFileSync(join(copy.dir, bundle, 'index.js')))).toBe(true);
    // A stale bundle is replaced, not packaged.
    writeFileSync(join(copy.dir, bundle, 'index.js'), 'stale');
    expectOk(samMakefileBuild(logicalId, artifacts), `make build-${logicalId} again`);
    expect(readFileSync(join(artifacts, 'index.js'), 'utf8')).not.toBe('stale');
  });

  it('fails and says what to do without npm ci', () => {
    const bare = copyCheckout('sif-bare-');
    try {
      rmSync(join(bare.dir, 'node_modules'));
      const metadata = (template().Resources as Record<string, JsonObject>).MacroFunction!.Metadata as Record<string, string>;
      const result = run('make', ['--makefile', join(bare.dir, metadata.ContextPath!, 'Makefile'), 'build-MacroFunction'], {
        cwd: bare.dir,
        env: { ARTIFACTS_DIR: join(work, 'bare') },
      });
      expect(result.status).not.toBe(0);
      expect(result.stderr).toContain('node_modules is missing; run `npm ci`');
    } finally {
      bare.remove();
    }
  });

  describe('npm run deploy with a stand-in sam', () => {
    let bin: string;
    let log: string;
    // Records every call; `build` does what SAM CLI's makefile builder does for each function (or, with
    // FAKE_SAM_BUILD=empty, "succeeds" without building anything).
    const FAKE_SAM = `#!/bin/bash
echo "$*" >> "$FAKE_SAM_LOG"
case "$1" in
  --version) echo "SAM CLI, version $FAKE_SAM_VERSION" ;;
  build)
    [ "\${FAKE_SAM_BUILD:-}" = empty ] && exit 0
    for id in MacroFunction MirrorFunction; do
      mkdir -p ".aws-sam/build/$id"
      ARTIFACTS_DIR="$PWD/.aws-sam/build/$id" make --makefile scripts/sam/Makefile "build-$id" >/dev/null || exit 1
    done ;;
esac
`;
    beforeAll(() => {
      bin = join(work, 'fake-sam-bin');
      mkdirSync(bin, { recursive: true });
      writeFileSync(join(bin, 'sam'), FAKE_SAM);
      chmodSync(join(bin, 'sam'), 0o755);
      log = join(work, 'sam.log');
    });

    function deploy(args: string[], env: Record<string, string> = {}): { result: SpawnSyncReturns<string>; calls: string[] } {
      writeFileSync(log, '');
      rmSync(join(copy.dir, '.aws-sam'), { recursive: true, force: true });
      const result = run('npm', ['run', '--silent', 'deploy', '--', ...args], {
        env: { PATH: `${bin}${delimiter}${process.env.PATH}`, FAKE_SAM_LOG: log, FAKE_SAM_VERSION: '1.164.0', ...env },
      });
      return { result, calls: readFileSync(log, 'utf8').split('\n').filter(Boolean) };
    }

    it('checks SAM CLI, builds, checks the built bundles, then deploys to the region (and --guided, and pass-through)', () => {
      const { result, calls } = deploy(['--region', 'eu-west-1', '--guided', '--', '--parameter-overrides', 'RepositoryPrefix=team/m']);
      expect(result.status, result.stderr).toBe(0);
      expect(calls).toEqual(['--version', 'build', 'deploy --region eu-west-1 --guided --parameter-overrides RepositoryPrefix=team/m']);
    });

    it("the README's step 1, as written, checks SAM CLI, builds and deploys guided to its region", () => {
      const readme = readFileSync(join(copy.dir, 'README.md'), 'utf8');
      const line = /^\s*npm run deploy -- (.*)$/m.exec(readme);
      expect(line, 'the README shows npm run deploy').not.toBeNull();
      const args = line![1]!.trim().split(/\s+/);
      const { result, calls } = deploy(args);
      expect(result.status, result.stderr).toBe(0);
      expect(calls).toEqual(['--version', 'build', `deploy ${args.join(' ')}`]);
    });

    it(`refuses a SAM CLI older than ${MIN_SAM_CLI_VERSION} before building anything`, () => {
      const { result, calls } = deploy(['--region', 'eu-west-1'], { FAKE_SAM_VERSION: '1.146.0' });
      expect(result.status).not.toBe(0);
      expect(result.stderr).toContain(`SAM CLI ${MIN_SAM_CLI_VERSION} or later is needed`);
      expect(calls).toEqual(['--version']);
    });

    it('never deploys when sam build left no fresh bundles', () => {
      const { result, calls } = deploy(['--region', 'eu-west-1'], { FAKE_SAM_BUILD: 'empty' });
      expect(result.status).not.toBe(0);
      expect(result.stderr).toContain('sam build ended without the fresh bundles (.aws-sam/build/MacroFunction/index.js');
      expect(calls).toEqual(['--version', 'build']);
    });

    it('needs --region (or --guided), and a region name', () => {
      expect(deploy([]).result.stderr).toContain('--region is required');
      expect(deploy(['--region', 'Frankfurt']).result.stderr).toContain('is not an AWS region name');
    });
  });
});
