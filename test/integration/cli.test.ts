// The BUILT command line (dist/cli/index.js, the package's bin) on the project's examples.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCfnYaml } from '../../src/cli/cfn-yaml.js';
import { KNOWN_REGIONS } from '../../src/cli/regions.js';
import type { JsonObject } from '../../src/template/types.js';
import { lintTemplates } from '../support/cfn-lint.js';
import { changedLines } from '../support/line-diff.js';
import { TOOL_TEST_TIMEOUT_MS } from '../support/timeouts.js';
import { haveTools, inCi, TOOLS } from '../support/tools.js';

const ROOT = new URL('../..', import.meta.url).pathname;
const CLI = join(ROOT, 'dist/cli/index.js');
const SYSDIG_EXAMPLE = join(ROOT, 'examples/sysdig-instrumentation.yaml');
const SAM_EXAMPLE = join(ROOT, 'examples/sam-function.yaml');

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function run(command: string, args: string[], input?: string): Run {
  // No AWS_* variables: the CLI must work offline, without credentials or a configured region.
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('AWS_')));
  const result = spawnSync(command, args, { cwd: ROOT, input, encoding: 'utf8', env, timeout: TOOL_TEST_TIMEOUT_MS });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

const cli = (args: string[], input?: string) => run(process.execPath, [CLI, ...args], input);

let buildProblem: string | undefined;
let dir: string;

beforeAll(async () => {
  const build = run('npm', ['run', 'build', '--silent']);
  if (build.code !== 0) {
    buildProblem = `npm run build failed (exit ${build.code}); other bundle entries may not be ready yet:\n${build.stderr}`;
    if (inCi) throw new Error(buildProblem);
    console.warn(`[skip] ${buildProblem}`);
  }
  dir = await mkdtemp(join(tmpdir(), 'sif-cli-int-'));
});

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

function resources(template: JsonObject): Record<string, JsonObject> {
  return template.Resources as Record<string, JsonObject>;
}

function mirrorIdOf(template: JsonObject, logicalId: string): string {
  const properties = resources(template)[logicalId]!.Properties as JsonObject;
  const imageUri = (properties.ImageUri ?? (properties.Code as JsonObject).ImageUri) as JsonObject;
  const [id, attribute] = imageUri['Fn::GetAtt'] as [string, string];
  expect(attribute).toBe('ImageUri');
  expect(resources(template)[id]!.Type).toBe('Custom::ImageMirror');
  return id;
}

/** The summary line of one site: `<resource>  <verdict>  <image>  <arch>  <mirror>`. */
function summaryLine(stderr: string, logicalId: string): string[] {
  const line = stderr.split('\n').find((candidate) => candidate.trim().startsWith(`${logicalId} `));
  expect(line, `no summary line for ${logicalId} in:\n${stderr}`).toBeDefined();
  return line!.trim().split(/\s{2,}/);
}

describe('CLI bundle (dist/cli/index.js) on the examples', () => {
  it('npm start transforms the Sysdig-like example for ap-northeast-1', (context) => {
    if (buildProblem) context.skip(buildProblem);
    const result = run('npm', ['start', '--silent']);
    expect(result.code).toBe(0);
    const output = parseCfnYaml(result.stdout) as JsonObject;
    expect(output.Transform).toBeUndefined();
    const mirrorId = mirrorIdOf(output, 'PatcherFunction');
    expect(summaryLine(result.stderr, 'PatcherFunction')).toEqual(['PatcherFunction', 'mirror', 'quay.io/sysdig/serverless-patcher:5.0.1', 'x86_64', mirrorId]);
    // Only the Lambda image is mirrored; the agent image stays a plain environment variable.
    expect(Object.values(resources(output)).filter((resource) => resource.Type === 'Custom::ImageMirror')).toHaveLength(1);
    expect(resources(output).PatcherFunction).toMatchObject({
      Properties: { Environment: { Variables: { SYSDIG_WORKLOAD_AGENT_IMAGE: { Ref: 'SysdigWorkloadAgentImage' } } } },
    });
  });

  it('transforms the SAM example to JSON, keeping the SAM transform, with one summary line per site', (context) => {
    if (buildProblem) context.skip(buildProblem);
    const result = cli(['transform', SAM_EXAMPLE, '--region', 'eu-west-1', '--format', 'json']);
    expect(result.code).toBe(0);
    const output = JSON.parse(result.stdout) as JsonObject;
    expect(output.Transform).toEqual(['AWS::Serverless-2016-10-31']);
    expect(summaryLine(result.stderr, 'ThumbnailFunction')).toEqual([
      'ThumbnailFunction',
      'mirror',
      'public.ecr.aws/lambda/nodejs:20',
      'arm64',
      mirrorIdOf(output, 'ThumbnailFunction'),
    ]);
    expect(summaryLine(result.stderr, 'WorkerFunction')).toEqual([
      'WorkerFunction',
      'mirror',
      'docker.io/amazon/aws-lambda-python:3.12',
      'arm64',
      mirrorIdOf(output, 'WorkerFunction'),
    ]);
    expect(summaryLine(result.stderr, 'ReportFunction')).toEqual([
      'ReportFunction',
      'mirror',
      'quay.io/example-org/report-builder:2.3.0',
      'x86_64',
      mirrorIdOf(output, 'ReportFunction'),
    ]);
    expect(summaryLine(result.stderr, 'ApiFunction').slice(0, 3)).toEqual(['ApiFunction', 'keep', '123456789012.dkr.ecr.eu-west-1.amazonaws.com/orders-api:1.4.2']);
    expect(result.stderr).toContain('account 123456789012 (default');
  });

  it('scans the SAM example from standard input', async (context) => {
    if (buildProblem) context.skip(buildProblem);
    const result = cli(['scan', '-', '--region', 'eu-west-1'], await readFile(SAM_EXAMPLE, 'utf8'));
    expect(result.code).toBe(0);
    const rows = result.stdout
      .trim()
      .split('\n')
      .map((row) => row.split(/\s{2,}/));
    expect(rows[0]!.slice(0, 3)).toEqual(['RESOURCE', 'VERDICT', 'IMAGE']);
    expect(Object.fromEntries(rows.slice(1).map((row) => [row[0], row[1]]))).toEqual({
      ThumbnailFunction: 'mirror',
      WorkerFunction: 'mirror',
      ApiFunction: 'keep',
      ReportFunction: 'mirror',
    });
  });

  it('exits 1 with the problem on stderr for an invalid image', async (context) => {
    if (buildProblem) context.skip(buildProblem);
    const file = join(dir, 'invalid.yaml');
    await writeFile(file, 'Resources:\n  Broken:\n    Type: AWS::Lambda::Function\n    Properties:\n      Code:\n        ImageUri: quay.io/Org/UPPER:1\n');
    const result = cli(['transform', file]);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/Broken.*quay\.io\/Org\/UPPER:1/);
  });

  it.for([
    ['an unknown flag', ['transform', SYSDIG_EXAMPLE, '--bogus'], /bogus/],
    ['a missing file', ['transform', 'examples/does-not-exist.yaml'], /cannot read examples\/does-not-exist\.yaml/],
    ['no command', [], /no command/],
  ] as const)('exits 2 on %s', ([, args, message], context) => {
    if (buildProblem) context.skip(buildProblem);
    const result = cli([...args]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
  });

  it('changes only what the macro does: diff of the YAML input and output', (context) => {
    if (buildProblem) context.skip(buildProblem);
    const input = readFileSync(SAM_EXAMPLE, 'utf8');
    const result = cli(['transform', SAM_EXAMPLE, '--region', 'eu-west-1']);
    expect(result.code).toBe(0);
    const { removed, added } = changedLines(input.split('\n'), result.stdout.split('\n'));
    const output = parseCfnYaml(result.stdout) as JsonObject;
    const mirrorIds = ['ThumbnailFunction', 'WorkerFunction', 'ReportFunction'].map((id) => mirrorIdOf(output, id));
    expect(removed).toEqual(['  - SysdigImageFix', '      ImageUri: !Ref ThumbnailImage', '      ImageUri: !Ref WorkerImage', '        ImageUri: !Ref ReportImage']);
    const sites = [
      `      ImageUri: !GetAtt ${mirrorIds[0]}.ImageUri`,
      `      ImageUri: !GetAtt ${mirrorIds[1]}.ImageUri`,
      `        ImageUri: !GetAtt ${mirrorIds[2]}.ImageUri`,
    ];
    expect(added.slice(0, 3)).toEqual(sites);
    // The rest of the additions, read on their own, are exactly the injected resources.
    const mirrors = Object.fromEntries(mirrorIds.map((id) => [id, resources(output)[id]]));
    expect(parseCfnYaml(added.slice(3).join('\n'))).toEqual(mirrors);
  });

  it('prints its version', (context) => {
    if (buildProblem) context.skip(buildProblem);
    const { version } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
    expect(run(CLI, ['--version'])).toMatchObject({ code: 0, stdout: `sysdig-image-fix ${version}\n` });
  });

  it('runs as an executable with --help', (context) => {
    if (buildProblem) context.skip(buildProblem);
    const result = run(CLI, ['--help']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('sysdig-image-fix transform FILE|-');
    expect(result.stdout).toContain('Exit codes');
  });

  describe.skipIf(!haveTools(TOOLS.cfnLint))('cfn-lint', () => {
    it("knows every region cfn-lint knows (the --region warning's list)", () => {
      const listed = run('python3', ['-c', 'import json; from cfnlint.helpers import REGIONS; print(json.dumps(REGIONS))']);
      expect(listed.code).toBe(0);
      const cfnLintRegions = JSON.parse(listed.stdout) as string[];
      expect(cfnLintRegions.length).toBeGreaterThan(30);
      expect(cfnLintRegions.filter((region) => !KNOWN_REGIONS.includes(region))).toEqual([]);
    });

    it('finds nothing in the transformed examples', async (context) => {
      if (buildProblem) context.skip(buildProblem);
      const outputs: Record<string, unknown> = {};
      for (const example of [SYSDIG_EXAMPLE, SAM_EXAMPLE]) {
        const result = cli(['transform', example, '--region', 'ap-northeast-1', '--format', 'json']);
        expect(result.code).toBe(0);
        outputs[example] = JSON.parse(result.stdout);
      }
      const findings = await lintTemplates(outputs, { region: 'ap-northeast-1' });
      expect(Object.fromEntries([...findings].map(([name, list]) => [name, list.map((f) => `${f.rule} ${f.path ?? ''}: ${f.message}`)]))).toEqual({
        [SYSDIG_EXAMPLE]: [],
        [SAM_EXAMPLE]: [],
      });
    });
  });
});
