// Runs the real cfn-lint on templates (as JSON temp files) and returns its findings.
// Gate suites that use it on TOOLS.cfnLint (test/support/tools.ts).
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface LintFinding {
  /** Rule id, e.g. `W2001`. */
  readonly rule: string;
  readonly level: string;
  readonly message: string;
  /** Template path of the finding (`Resources/Fn/Properties/...`), or null for whole-template findings. */
  readonly path: string | null;
}

/** Identity of a finding across formats: rule + template path (line numbers differ between YAML and JSON). */
export function findingKey(finding: LintFinding): string {
  return `${finding.rule} ${finding.path ?? finding.message}`;
}

interface RawFinding {
  Filename: string;
  Level: string;
  Message: string;
  Location?: { Path?: (string | number)[] | null };
  Rule: { Id: string };
}

function run(argv: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/**
 * Lints several templates in one cfn-lint process (its start-up dominates the cost) for one region.
 * Returns findings per template name.
 */
export async function lintTemplates(templates: Readonly<Record<string, unknown>>, options: { readonly region: string }): Promise<Map<string, LintFinding[]>> {
  const dir = await mkdtemp(join(tmpdir(), 'sif-cfn-lint-'));
  try {
    const files = new Map<string, string>();
    let index = 0;
    for (const [name, template] of Object.entries(templates)) {
      const file = join(dir, `template-${index++}.json`);
      await writeFile(file, JSON.stringify(template, null, 2));
      files.set(file, name);
    }
    // Exit codes 2/4/8 only say which levels were found; the JSON on stdout is the answer.
    const { code, stdout, stderr } = await run(['cfn-lint', '--format', 'json', '--regions', options.region, '--', ...files.keys()]);
    let raw: RawFinding[];
    try {
      raw = JSON.parse(stdout) as RawFinding[];
    } catch (error) {
      throw new Error(`cfn-lint (exit ${code}) printed no JSON: ${stderr || stdout}`, { cause: error });
    }
    const findings = new Map<string, LintFinding[]>([...files.values()].map((name) => [name, []]));
    for (const finding of raw) {
      const name = files.get(finding.Filename);
      if (name === undefined) throw new Error(`cfn-lint reported an unknown file ${finding.Filename}`);
      findings.get(name)!.push({
        rule: finding.Rule.Id,
        level: finding.Level,
        message: finding.Message,
        path: finding.Location?.Path ? finding.Location.Path.join('/') : null,
      });
    }
    return findings;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export async function lintTemplate(template: unknown, options: { readonly region: string }): Promise<LintFinding[]> {
  return (await lintTemplates({ template }, options)).get('template')!;
}
