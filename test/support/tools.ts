// Gating for tests that need machine tools (Debian packages, Python modules) or test data kept outside the
// repository (test/support/test-data.ts). On a laptop a missing tool skips the suite, and the run ends with ONE block
// naming every skipped suite and what it lacks (SkipSummaryReporter, listed in vitest.config.ts); under CI=true a
// missing tool is a failure, with one line saying what is missing and how to get it.
import { spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';

export const inCi = process.env.CI === 'true';

export interface ToolCheck {
  name: string;
  /** argv that exits 0 when the tool is usable */
  probe: string[];
  install: string;
}

/** Files some suites read that live outside the repository (test-data.ts); checked without starting a process. */
export interface DataCheck {
  name: string;
  /** Exists when the data is there. */
  path: string;
  /** How to get it. */
  install: string;
}

/** What a suite may need. */
export type Need = ToolCheck | DataCheck;

function isData(need: Pick<Need, 'name'> & Partial<Pick<DataCheck, 'path'>>): boolean {
  return need.path !== undefined;
}

/** "tools are", "test data is", "tools and test data are": what `needs` are, for messages. */
function missingWords(needs: readonly { readonly data?: boolean }[]): string {
  const data = needs.some((need) => need.data === true);
  const tools = needs.some((need) => need.data !== true);
  return data && tools ? 'tools and test data are' : data ? 'test data is' : 'tools are';
}

// Versions are those the suites were written and run against (README, "Test tools").
export const TOOLS = {
  registry: { name: 'docker-registry', probe: ['docker-registry', '--version'], install: 'apt-get install -y docker-registry' },
  skopeo: { name: 'skopeo', probe: ['skopeo', '--version'], install: 'apt-get install -y skopeo' },
  htpasswd: { name: 'htpasswd', probe: ['sh', '-c', 'command -v htpasswd'], install: 'apt-get install -y apache2-utils' },
  cfnLint: { name: 'cfn-lint', probe: ['cfn-lint', '--version'], install: "pip install 'cfn-lint==1.51.*'" },
  moto: { name: 'moto_server', probe: ['sh', '-c', 'command -v moto_server'], install: "pip install 'moto[server]==5.2.1'" },
  samTranslator: {
    name: 'samtranslator',
    probe: ['python3', '-c', 'import samtranslator'],
    install: "pip install 'aws-sam-translator==1.110.*'",
  },
  awsCli: { name: 'aws', probe: ['aws', '--version'], install: "pip install 'awscli==1.45.*'" },
  jq: { name: 'jq', probe: ['jq', '--version'], install: 'apt-get install -y jq' },
  make: { name: 'make', probe: ['make', '--version'], install: 'apt-get install -y make' },
  openssl: { name: 'openssl', probe: ['openssl', 'version'], install: 'apt-get install -y openssl' },
} satisfies Record<string, ToolCheck>;

const cache = new Map<string, boolean>();

function available(need: Need): boolean {
  const hit = cache.get(need.name);
  if (hit !== undefined) return hit;
  let ok: boolean;
  if ('path' in need) ok = existsSync(need.path);
  else {
    const [cmd, ...args] = need.probe;
    ok = spawnSync(cmd!, args, { stdio: 'ignore', timeout: 30_000 }).status === 0;
  }
  cache.set(need.name, ok);
  return ok;
}

/** Directory where test workers record skipped suites for the end-of-run summary (set by vitest.config.ts). */
export const SKIP_LOG_ENV = 'SYSDIG_IMAGE_FIX_SKIP_LOG';

interface SkipRecord {
  readonly suite: string;
  readonly tools: ReadonlyArray<{ readonly name: string; readonly install: string; readonly data?: boolean }>;
}

/** The test file that asked, from the call stack (vitest reports original paths). */
function callingSuite(): string {
  const frames = new Error().stack?.split('\n') ?? [];
  for (const frame of frames) {
    const match = /(?:file:\/\/)?(\/[^\s():]+\.test\.ts)/.exec(frame);
    if (match) return relative(process.cwd(), match[1]!);
  }
  return 'a suite outside test files';
}

function recordSkip(missing: readonly Need[]): boolean {
  const dir = process.env[SKIP_LOG_ENV];
  if (dir === undefined) return false;
  const record: SkipRecord = { suite: callingSuite(), tools: missing.map((need) => ({ name: need.name, install: need.install, ...(isData(need) ? { data: true } : {}) })) };
  // One file per worker process; appends of one short line are atomic enough for a summary.
  appendFileSync(join(dir, `skips-${process.pid}.jsonl`), `${JSON.stringify(record)}\n`);
  return true;
}

/**
 * Returns the names of missing tools. Under CI=true a missing tool throws, so the suite fails
 * instead of silently skipping; elsewhere the skip is recorded for the end-of-run summary (or, outside
 * vitest, printed at once) and the caller skips.
 */
export function missingTools(...needs: Need[]): string[] {
  const missing = needs.filter((need) => !available(need));
  if (missing.length === 0) return [];
  const reason = missing.map((need) => `${need.name} (${isData(need) ? 'to get it' : 'install'}: ${need.install})`).join(', ');
  const words = missingWords(missing.map((need) => ({ data: isData(need) })));
  if (inCi) throw new Error(`CI=true but required ${words} missing: ${reason}`);
  if (!recordSkip(missing)) console.warn(`[skip] missing: ${reason}`);
  return missing.map((need) => need.name);
}

/** `describe.skipIf(!haveTools(...))` style helper. */
export function haveTools(...needs: Need[]): boolean {
  return missingTools(...needs).length === 0;
}

/**
 * The directory for the skip records of this vitest run, empty; the reporter deletes it. Named after the main
 * process: vitest may evaluate its config more than once, and every evaluation must agree on the directory.
 */
export function createSkipLog(): string {
  const dir = join(tmpdir(), `sysdig-image-fix-skips-${process.pid}`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** What a skipped suite lacks: name -> how to get it, and whether it is test data rather than a tool. */
export type Missing = Map<string, { readonly install: string; readonly data?: boolean }>;

/** Every skipped suite with the tools it lacks, in suite order, merged across workers and calls. */
export function readSkips(dir: string): Map<string, Missing> {
  const suites = new Map<string, Missing>();
  let files: string[] = [];
  try {
    files = readdirSync(dir).filter((file) => file.endsWith('.jsonl'));
  } catch {
    return suites;
  }
  for (const file of files) {
    for (const line of readFileSync(join(dir, file), 'utf8').split('\n')) {
      if (line.trim() === '') continue;
      const record = JSON.parse(line) as SkipRecord;
      const tools: Missing = suites.get(record.suite) ?? new Map();
      for (const tool of record.tools) tools.set(tool.name, { install: tool.install, ...(tool.data ? { data: true } : {}) });
      suites.set(record.suite, tools);
    }
  }
  return new Map([...suites].sort(([a], [b]) => a.localeCompare(b)));
}

/** The one block printed at the end of a run with skipped suites ('' when nothing was skipped). */
export function skipSummary(suites: ReadonlyMap<string, Missing>): string {
  if (suites.size === 0) return '';
  const width = Math.max(...[...suites.keys()].map((suite) => suite.length));
  const installs: Missing = new Map();
  const lines = [...suites].map(([suite, tools]) => {
    for (const [name, how] of tools) installs.set(name, how);
    return `  ${suite.padEnd(width)}  missing ${[...tools.keys()].join(', ')}`;
  });
  return [
    '',
    `Skipped ${suites.size} suite${suites.size === 1 ? '' : 's'}: ${missingWords([...installs.values()])} missing (under CI=true these fail instead)`,
    ...lines,
    'Install:',
    ...[...installs].map(([name, { install }]) => `  ${name.padEnd(16)} ${install}`),
    '',
  ].join('\n');
}

/** vitest reporter: prints skipSummary once the run has ended, after vitest's own summary. */
export class SkipSummaryReporter {
  constructor(private readonly dir: string) {}

  onTestRunEnd(): void {
    const summary = skipSummary(readSkips(this.dir));
    rmSync(this.dir, { recursive: true, force: true });
    if (summary !== '') process.stdout.write(`${summary}\n`);
  }
}
