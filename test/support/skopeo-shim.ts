// A test-only `skopeo` put first on a local build's PATH, so the deployed buildspec runs unchanged against local
// registries. Verified quirks (DESIGN.md) make it necessary: registries.conf remaps pulls only, while `skopeo login`
// and pushes still go to the real host name (here: an ECR host that does not resolve). The shim therefore
//   (a) adds the global `--registries-conf` flag (skopeo ignores CONTAINERS_REGISTRIES_CONF) mapping quay.io,
//       docker.io, ... to a local source registry with insecure = true, and
//   (b) rewrites an ECR host at the start of any argument (`docker://<ecr>/...`, `<ecr>/...`, `<ecr>`) to the
//       local registry standing in for it, and turns TLS verification off (local registries are plain HTTP);
//   (c) hands skopeo a copy of each auth file it reads in which every remapped host's credentials are also
//       filed under its local stand-in: skopeo looks credentials up by the remapped location, not the name given
//       (made with jq, which the buildspec needs anyway).
// Every call is logged (arguments as the buildspec gave them) so tests can check what was, or was not, run.
import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { shellQuote } from './buildspec-runner.js';

export interface SkopeoShimOptions {
  /** Registry host -> local `127.0.0.1:PORT` for pulls, e.g. `{ 'quay.io': source.host }`. */
  pullRegistries: Record<string, string>;
  /** ECR registry host -> local `127.0.0.1:PORT`, e.g. `{ '123456789012.dkr.ecr.us-east-1.amazonaws.com': target.host }`. */
  ecrHostToLocal: Record<string, string>;
  /** The real skopeo; default: the first `skopeo` on PATH. */
  realSkopeo?: string;
}

/** One skopeo invocation, with the arguments the caller passed (before the shim rewrote them). */
export interface SkopeoCall {
  /** `copy`, `inspect`, `login`, ... or '' when none was given (e.g. `skopeo --version`). */
  subcommand: string;
  args: string[];
}

export interface SkopeoShim {
  /** Put this first on PATH. */
  binDir: string;
  registriesConfPath: string;
  /** Calls so far, oldest first. */
  calls(): Promise<SkopeoCall[]>;
  /** Deletes the shim's files. Safe to call twice. */
  cleanup(): Promise<void>;
}

/** A host name with an optional port: the only thing that may be written into the shim and registries.conf. */
const HOST = /^[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?(?::[0-9]{1,5})?$/;
/** Global skopeo flags that take a value (so the subcommand can be found after them). */
const GLOBAL_FLAGS_WITH_VALUE = [
  '--override-arch',
  '--override-os',
  '--override-variant',
  '--policy',
  '--registries.d',
  '--registries-conf',
  '--tmpdir',
  '--command-timeout',
  '--user-agent-prefix',
];

export class SkopeoShimError extends Error {
  override readonly name = 'SkopeoShimError';
}

function checkHost(host: string, what: string): string {
  if (!HOST.test(host)) throw new SkopeoShimError(`createSkopeoShim: ${what} ${JSON.stringify(host)} is not host[:port]`);
  return host;
}

function findOnPath(name: string): string {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir !== '' && existsSync(join(dir, name))) return join(dir, name);
  }
  throw new SkopeoShimError(`createSkopeoShim: ${name} is not on PATH`);
}

/** registries.conf (v2) sending pulls of each host to its local stand-in over plain HTTP. */
export function registriesConf(pullRegistries: Record<string, string>): string {
  const entries = Object.entries(pullRegistries).map(
    ([host, local]) => `[[registry]]\nprefix = "${checkHost(host, 'pull registry')}"\nlocation = "${checkHost(local, 'local registry')}"\ninsecure = true\n`,
  );
  return ['unqualified-search-registries = []', '', ...entries].join('\n');
}

/**
 * jq program: the auth file with each local stand-in (`$aliases`: host -> local) filed under its host's credentials.
 * jq rather than python3: the shim runs for every skopeo call of a build, and a Python start-up there (~0.1 s) would
 * be test-only overhead the deployed job never has.
 */
const ALIAS_AUTH_JQ =
  '.auths //= {} | reduce ($aliases | to_entries[]) as $a (.; ' + 'if .auths[$a.key] != null and .auths[$a.value] == null then .auths[$a.value] = .auths[$a.key] else . end)';

function shimScript(
  realSkopeo: string,
  dir: string,
  confPath: string,
  logPath: string,
  pullRegistries: Record<string, string>,
  ecrHostToLocal: Record<string, string>,
): string {
  const rewrites = Object.entries(ecrHostToLocal).flatMap(([ecr, local]) => {
    checkHost(ecr, 'ECR host');
    checkHost(local, 'local registry');
    return [
      `    ${shellQuote(`docker://${ecr}/`)}*) arg=${shellQuote(`docker://${local}/`)}"\${arg#${`docker://${ecr}/`}}" ;;`,
      `    ${shellQuote(`${ecr}/`)}*) arg=${shellQuote(`${local}/`)}"\${arg#${ecr}/}" ;;`,
      `    ${shellQuote(ecr)}) arg=${shellQuote(local)} ;;`,
    ];
  });
  return [
    '#!/usr/bin/env bash',
    '# Test-only skopeo shim generated by test/support/skopeo-shim.ts; never deployed.',
    'set -euo pipefail',
    `real=${shellQuote(realSkopeo)}`,
    `conf=${shellQuote(confPath)}`,
    `log=${shellQuote(logPath)}`,
    'json_string() {',
    '  local s=$1',
    "  s=${s//\\\\/\\\\\\\\}; s=${s//\\\"/\\\\\\\"}; s=${s//$'\\n'/\\\\n}; s=${s//$'\\r'/\\\\r}; s=${s//$'\\t'/\\\\t}",
    '  printf \'"%s"\' "$s"',
    '}',
    // One write per call: builds may run skopeo concurrently (two logins), and their lines must not interleave.
    'line="[" sep=""; for a in "$@"; do line+="$sep$(json_string "$a")"; sep=","; done; printf "%s]\\n" "$line" >> "$log"',
    'globals=() subcommand=""',
    'while [ $# -gt 0 ] && [ -z "$subcommand" ]; do',
    '  case "$1" in',
    `    ${GLOBAL_FLAGS_WITH_VALUE.join('|')}) globals+=("$1" "$2"); shift 2 ;;`,
    '    -*) globals+=("$1"); shift ;;',
    '    *) subcommand=$1; shift ;;',
    '  esac',
    'done',
    // Rewritten ECR hosts too: a credentials-secret entry can name one (the build then skips the ECR token).
    `aliases=${shellQuote(JSON.stringify({ ...pullRegistries, ...ecrHostToLocal }))}`,
    `alias_jq=${shellQuote(ALIAS_AUTH_JQ)}`,
    'copies=()',
    'alias_auth() {',
    '  if [ ! -f "$1" ] || [ "$subcommand" = login ] || [ "$subcommand" = logout ]; then aliased=$1; return; fi',
    `  aliased=$(mktemp ${shellQuote(join(dir, 'auth.XXXXXX'))})`,
    '  copies+=("$aliased")',
    '  jq --argjson aliases "$aliases" "$alias_jq" "$1" > "$aliased"',
    '}',
    'rest=()',
    'while [ $# -gt 0 ]; do',
    '  arg=$1; shift',
    '  case "$arg" in',
    ...rewrites,
    '    --authfile|--src-authfile|--dest-authfile)',
    '      if [ $# -gt 0 ]; then alias_auth "$1"; shift; rest+=("$arg" "$aliased"); continue; fi ;;',
    '    --authfile=*|--src-authfile=*|--dest-authfile=*)',
    '      alias_auth "${arg#*=}"; arg="${arg%%=*}=$aliased" ;;',
    '  esac',
    '  rest+=("$arg")',
    'done',
    'case "$subcommand" in',
    '  copy|sync) tls=(--src-tls-verify=false --dest-tls-verify=false) ;;',
    '  inspect|login|logout|list-tags|delete|layers) tls=(--tls-verify=false) ;;',
    '  *) tls=() ;;',
    'esac',
    'status=0',
    'if [ -z "$subcommand" ]; then',
    '  "$real" --registries-conf "$conf" "${globals[@]}" "${rest[@]}" || status=$?',
    'else',
    '  "$real" --registries-conf "$conf" "${globals[@]}" "$subcommand" "${tls[@]}" "${rest[@]}" || status=$?',
    'fi',
    'if [ ${#copies[@]} -gt 0 ]; then rm -f "${copies[@]}"; fi',
    'exit "$status"',
    '',
  ].join('\n');
}

/** Writes the shim and its registries.conf into a fresh temporary directory. */
export async function createSkopeoShim(options: SkopeoShimOptions): Promise<SkopeoShim> {
  const realSkopeo = options.realSkopeo ?? findOnPath('skopeo');
  const dir = await mkdtemp(join(tmpdir(), 'skopeo-shim-'));
  try {
    const binDir = join(dir, 'bin');
    const registriesConfPath = join(dir, 'registries.conf');
    const logPath = join(dir, 'calls.jsonl');
    await mkdir(binDir);
    await writeFile(registriesConfPath, registriesConf(options.pullRegistries));
    await writeFile(logPath, '');
    const shimPath = join(binDir, 'skopeo');
    await writeFile(shimPath, shimScript(realSkopeo, dir, registriesConfPath, logPath, options.pullRegistries, options.ecrHostToLocal));
    await chmod(shimPath, 0o755);
    return {
      binDir,
      registriesConfPath,
      calls: async () =>
        (await readFile(logPath, 'utf8'))
          .split('\n')
          .filter((line) => line !== '')
          .map((line) => {
            const argv = JSON.parse(line) as string[];
            const rest = [...argv];
            while (rest.length > 0 && rest[0]!.startsWith('-')) rest.splice(0, GLOBAL_FLAGS_WITH_VALUE.includes(rest[0]!) ? 2 : 1);
            return { subcommand: rest[0] ?? '', args: argv };
          }),
      cleanup: () => rm(dir, { recursive: true, force: true }),
    };
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
}
