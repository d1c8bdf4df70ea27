// The copy job's install phase, run by the local CodeBuild stand-in from template.yaml's buildspec: skopeo and jq are
// installed only when the image lacks them, and apt's lists and packages come from the directory CodeBuild's local
// cache keeps (cold build: update + download; warm build: neither). The build image is imitated with a PATH holding
// only the commands the job uses, and an apt-get stand-in that records its calls and "installs" the real tools.
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { embeddedBuildSpec, parseTemplate, TEMPLATE_PATH } from '../../scripts/package-stackset.js';
import { runBuildspecText, type BuildResult } from '../support/buildspec-runner.js';
import { buildspecOverride } from '../support/buildspec-under-test.js';
import { haveTools, TOOLS } from '../support/tools.js';

/** template.yaml's copy, or the mutated one scripts/mutate-buildspec.ts names. */
const override = buildspecOverride();
const BUILDSPEC = override !== undefined ? readFileSync(override, 'utf8') : embeddedBuildSpec(parseTemplate(readFileSync(TEMPLATE_PATH, 'utf8')));
/** What the job runs besides skopeo and jq (CodeBuild's standard images have all of them). */
const IMAGE_COMMANDS = ['bash', 'cat', 'mktemp', 'mv', 'rm', 'mkdir', 'find', 'sha256sum', 'cut', 'paste', 'grep'];

// Records every call; `update` writes a Packages list, `install` drops a .deb into the archives directory and puts
// the real tool on PATH. FAKE_APT_STALE_LISTS=1 makes an install fail until this build has run `update`.
const FAKE_APT_GET = `#!/bin/bash
set -euo pipefail
lists='' archives='' args=()
while [ "$#" -gt 0 ]; do
  case "$1" in
    -o) case "$2" in Dir::State::Lists=*) lists="\${2#*=}" ;; Dir::Cache::Archives=*) archives="\${2#*=}" ;; esac; shift 2 ;;
    -qq|-y) shift ;;
    *) args+=("$1"); shift ;;
  esac
done
echo "\${args[*]} lists=$lists archives=$archives" >> "$FAKE_APT_LOG"
case "\${args[0]}" in
  update) echo 'Package: skopeo' > "$lists/deb.debian.org_debian_dists_bookworm_main_binary-amd64_Packages"; : > "$FAKE_APT_BIN/.updated" ;;
  install)
    if [ "\${FAKE_APT_STALE_LISTS:-}" = 1 ] && [ ! -e "$FAKE_APT_BIN/.updated" ]; then echo 'E: 404 Not Found' >&2; exit 100; fi
    for tool in "\${args[@]:1}"; do
      [ -e "$archives/\${tool}_1.0_amd64.deb" ] || echo "downloaded $tool" >> "$FAKE_APT_LOG"
      echo deb > "$archives/\${tool}_1.0_amd64.deb"
      "$FAKE_APT_LN" -sf "$FAKE_APT_REAL/$tool" "$FAKE_APT_BIN/$tool"
    done ;;
esac
`;

function which(command: string): string {
  for (const dir of (process.env.PATH ?? '').split(':')) {
    if (dir !== '' && existsSync(join(dir, command))) return join(dir, command);
  }
  throw new Error(`${command} is not on PATH`);
}

describe.skipIf(!haveTools(TOOLS.skopeo, TOOLS.jq))('copy job install phase: skopeo only when missing, apt from the local cache', () => {
  let work: string;

  beforeAll(() => {
    work = mkdtempSync(join(tmpdir(), 'sif-install-'));
  });
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  /** A build image: the base commands, apt-get, and skopeo/jq only when `withTools`. */
  function image(name: string, withTools: boolean): { bin: string; log: string } {
    const bin = join(work, name, 'bin');
    mkdirSync(bin, { recursive: true });
    for (const command of [...IMAGE_COMMANDS, ...(withTools ? ['skopeo', 'jq'] : [])]) symlinkSync(which(command), join(bin, command));
    writeFileSync(join(bin, 'apt-get'), FAKE_APT_GET);
    chmodSync(join(bin, 'apt-get'), 0o755);
    const log = join(work, name, 'apt.log');
    writeFileSync(log, '');
    return { bin, log };
  }

  async function build(img: { bin: string; log: string }, cache: string, extra: Record<string, string> = {}): Promise<BuildResult> {
    rmSync(join(img.bin, '.updated'), { force: true });
    return runBuildspecText(BUILDSPEC, {
      env: {
        PATH: img.bin,
        MIRROR_APT_CACHE_DIR: cache,
        FAKE_APT_LOG: img.log,
        FAKE_APT_BIN: img.bin,
        FAKE_APT_REAL: join(which('skopeo'), '..'),
        // The stand-in's own helper, outside the imitated image's PATH.
        FAKE_APT_LN: which('ln'),
        // Only the install phase matters here: pre_build refuses these inputs and ends the build.
        SOURCE_IMAGE: '',
        ...extra,
      },
    });
  }

  const installPhase = (result: BuildResult) => result.phases.find((phase) => phase.name === 'install')!;
  const aptCalls = (log: string): string[] => readFileSync(log, 'utf8').split('\n').filter(Boolean);

  it('an image that has skopeo and jq installs nothing', async () => {
    const img = image('ready', true);
    const result = await build(img, join(work, 'ready-cache'));
    expect(installPhase(result).status, result.log).toBe('SUCCEEDED');
    expect(aptCalls(img.log)).toEqual([]);
    expect(result.log).toContain('skopeo and jq are on the build image');
  });

  it('cold cache: apt-get update, then install into the cached directories; warm cache: no update, nothing downloaded', async () => {
    const cache = join(work, 'shared-cache');
    const cold = image('cold', false);
    const first = await build(cold, cache);
    expect(installPhase(first).status, first.log).toBe('SUCCEEDED');
    expect(aptCalls(cold.log)).toEqual([
      `update lists=${cache}/lists archives=${cache}/archives`,
      `install skopeo jq lists=${cache}/lists archives=${cache}/archives`,
      'downloaded skopeo',
      'downloaded jq',
    ]);
    expect(first.log).toMatch(/skopeo version \d/);

    // The next build on the same host: CodeBuild links the cached directory back in (here: the same path).
    const warm = image('warm', false);
    const second = await build(warm, cache);
    expect(installPhase(second).status, second.log).toBe('SUCCEEDED');
    expect(aptCalls(warm.log)).toEqual([`install skopeo jq lists=${cache}/lists archives=${cache}/archives`]);
    expect(second.log).toContain('package lists from the build cache');
  });

  it('cached lists that no longer match the mirror are refreshed and the install retried', async () => {
    const cache = join(work, 'stale-cache');
    await build(image('stale-seed', false), cache);
    const img = image('stale', false);
    const result = await build(img, cache, { FAKE_APT_STALE_LISTS: '1' });
    expect(installPhase(result).status, result.log).toBe('SUCCEEDED');
    expect(aptCalls(img.log).map((call) => call.split(' ')[0])).toEqual(['install', 'update', 'install']);
  });

  it('lists older than a day are refreshed before installing', async () => {
    const cache = join(work, 'old-cache');
    await build(image('old-seed', false), cache);
    const list = join(cache, 'lists', 'deb.debian.org_debian_dists_bookworm_main_binary-amd64_Packages');
    const twoDaysAgo = new Date(Date.now() - 2 * 24 * 3600_000);
    utimesSync(list, twoDaysAgo, twoDaysAgo);
    const img = image('old', false);
    await build(img, cache);
    expect(aptCalls(img.log).map((call) => call.split(' ')[0])).toEqual(['update', 'install']);
  });

  it('the default cache directory is the one CodeBuild caches (buildspec cache.paths), and the project enables the local cache', () => {
    const spec = parse(BUILDSPEC) as { cache: { paths: string[] } };
    const defaultDir = /MIRROR_APT_CACHE_DIR:-([^}]+)\}/.exec(BUILDSPEC)![1]!;
    expect(spec.cache.paths).toEqual([`${defaultDir}/**/*`]);
    const project = (parseTemplate(readFileSync(TEMPLATE_PATH, 'utf8')).Resources as Record<string, { Properties: Record<string, unknown> }>).MirrorBuildProject!;
    expect(project.Properties.Cache).toEqual({ Type: 'LOCAL', Modes: ['LOCAL_CUSTOM_CACHE'] });
  });
});
