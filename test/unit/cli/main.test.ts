import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCfnYaml } from '../../../src/cli/cfn-yaml.js';
import type { JsonObject } from '../../../src/template/types.js';
import { type CliRun, runCli } from './run-cli.js';
import { lambdaImageFunction, mirrorIds, mirrorOf, samImageFunction, siteImage, stringParameter, templateWith } from '../macro/fixtures.js';

const QUAY = 'quay.io/sysdig/serverless-patcher:5.0.1';
const EU_WEST_1_ECR = '111122223333.dkr.ecr.eu-west-1.amazonaws.com/team/app:1';

/** The kind of template the CLI is for: one third-party image behind a parameter; `null` = no Transform. */
function patcherTemplate(transform: unknown = 'SysdigImageFix'): JsonObject {
  return {
    ...(transform !== null ? { Transform: transform as JsonObject } : {}),
    ...templateWith({ Patcher: lambdaImageFunction({ Ref: 'PatcherImage' }) }, { Parameters: { PatcherImage: stringParameter(QUAY) } }),
  };
}

const YAML_TEMPLATE = `AWSTemplateFormatVersion: 2010-09-09
Transform: SysdigImageFix
Parameters:
  PatcherImage:
    Type: String
    Default: ${QUAY}
  AgentImage:
    Type: String
    Default: quay.io/sysdig/workload-agent:5.0.1
Resources:
  Role:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument: {Version: 2012-10-17, Statement: []}
  Patcher:
    Type: AWS::Lambda::Function
    Properties:
      PackageType: Image
      Role: !GetAtt Role.Arn
      Code:
        ImageUri: !Ref PatcherImage
      Environment:
        Variables:
          AGENT_IMAGE: !Ref AgentImage
`;

let dir: string;
const file = (name: string) => join(dir, name);

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sif-cli-unit-'));
  await writeFile(file('template.yaml'), YAML_TEMPLATE);
  await writeFile(file('template.json'), JSON.stringify(patcherTemplate()));
  await writeFile(file('broken.yaml'), 'Resources: [unclosed\n');
  await writeFile(file('list.yaml'), '- not\n- a template\n');
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function parsedOutput(run: CliRun): JsonObject {
  expect(run.stdout.length).toBeGreaterThan(0);
  return parseCfnYaml(run.stdout) as JsonObject;
}

describe('Function: main', () => {
  describe('transform', () => {
    it('transforms a YAML template: exit 0, YAML on stdout without our Transform, summary on stderr', async () => {
      const run = await runCli(['transform', file('template.yaml'), '--region', 'ap-northeast-1', '--account', '123456789012']);
      expect(run.code).toBe(0);
      expect(run.stdout).not.toMatch(/^\s*\{/);
      const output = parsedOutput(run);
      expect(output.Transform).toBeUndefined();
      const mirror = mirrorOf(output, 'Patcher');
      expect(mirror.properties.ServiceToken).toEqual({ 'Fn::ImportValue': 'SysdigImageFix-MirrorFunctionArn' });
      expect(mirror.properties.Architecture).toBe('x86_64');
      // The workload agent image is only an environment variable: never touched.
      expect((output.Resources as JsonObject).Patcher).toMatchObject({ Properties: { Environment: { Variables: { AGENT_IMAGE: { Ref: 'AgentImage' } } } } });
      expect(output.AWSTemplateFormatVersion).toBe('2010-09-09');
      const siteLine = run.stderr.split('\n').find((line) => line.trim().startsWith('Patcher '));
      expect(siteLine).toBeDefined();
      for (const part of ['mirror', QUAY, 'x86_64', mirror.id]) expect(siteLine).toContain(part);
      expect(run.stderr).not.toContain('region ap-northeast-1 (default');
    });

    it('writes JSON for JSON input, and the other format with --format', async () => {
      const fromJson = await runCli(['transform', file('template.json'), '--region', 'us-east-1']);
      expect(fromJson.code).toBe(0);
      expect(mirrorIds(JSON.parse(fromJson.stdout))).toHaveLength(1);

      const jsonToYaml = await runCli(['transform', file('template.json'), '--format', 'yaml']);
      expect(() => JSON.parse(jsonToYaml.stdout)).toThrow();
      expect(mirrorIds(parsedOutput(jsonToYaml))).toHaveLength(1);

      const yamlToJson = await runCli(['transform', file('template.yaml'), '--format', 'json']);
      expect(mirrorIds(JSON.parse(yamlToJson.stdout))).toHaveLength(1);
    });

    it('reads the template from standard input with -', async () => {
      const run = await runCli(['transform', '-', '--format', 'json'], { stdin: YAML_TEMPLATE });
      expect(run.code).toBe(0);
      expect(mirrorIds(JSON.parse(run.stdout))).toHaveLength(1);
    });

    it.each([
      ['a list with ours first', ['SysdigImageFix', 'AWS::Serverless-2016-10-31'], ['AWS::Serverless-2016-10-31']],
      ['a list with ours last', ['AWS::Serverless-2016-10-31', 'SysdigImageFix'], ['AWS::Serverless-2016-10-31']],
      ['a list of ours only', ['SysdigImageFix'], undefined],
      ['our name', 'SysdigImageFix', undefined],
    ])('removes SysdigImageFix from Transform given as %s, keeping the others in order', async (_case, transforms, remaining) => {
      const run = await runCli(['transform', '-'], { stdin: JSON.stringify(patcherTemplate(transforms)) });
      expect(run.code).toBe(0);
      const output = JSON.parse(run.stdout) as JsonObject;
      expect(output.Transform).toEqual(remaining);
      expect('Transform' in output).toBe(remaining !== undefined);
      expect(run.stderr).not.toContain('has no "Transform: SysdigImageFix"');
    });

    it('transforms a template without our Transform anyway, with a note', async () => {
      const run = await runCli(['transform', '-'], { stdin: JSON.stringify(patcherTemplate(null)) });
      expect(run.code).toBe(0);
      expect(mirrorIds(JSON.parse(run.stdout))).toHaveLength(1);
      expect(run.stderr).toContain('has no "Transform: SysdigImageFix"; transforming it anyway');
    });

    it('keeps another transform given as a string', async () => {
      const run = await runCli(['transform', '-'], { stdin: JSON.stringify(patcherTemplate('AWS::Serverless-2016-10-31')) });
      expect((JSON.parse(run.stdout) as JsonObject).Transform).toBe('AWS::Serverless-2016-10-31');
    });

    it('uses the region for the verdict: ECR of that region is kept, of another region mirrored', async () => {
      const stdin = JSON.stringify(templateWith({ Api: lambdaImageFunction(EU_WEST_1_ECR) }));
      const kept = await runCli(['transform', '-', '--region', 'eu-west-1'], { stdin });
      expect(siteImage((JSON.parse(kept.stdout) as { Resources: JsonObject }).Resources.Api)).toBe(EU_WEST_1_ECR);
      const mirrored = await runCli(['transform', '-', '--region', 'eu-central-1'], { stdin });
      expect(mirrorOf(JSON.parse(mirrored.stdout), 'Api').properties.SourceImage).toBe(EU_WEST_1_ECR);
    });

    it('defaults the region to AWS_REGION, then AWS_DEFAULT_REGION, then us-east-1, saying which', async () => {
      const stdin = JSON.stringify(templateWith({ Api: lambdaImageFunction(EU_WEST_1_ECR) }));
      const fromRegion = await runCli(['transform', '-'], { stdin, env: { AWS_REGION: 'eu-west-1', AWS_DEFAULT_REGION: 'us-west-2' } });
      expect(fromRegion.stderr).toContain('region eu-west-1 from AWS_REGION');
      expect(mirrorIds(JSON.parse(fromRegion.stdout))).toEqual([]);
      const fromDefault = await runCli(['transform', '-'], { stdin, env: { AWS_DEFAULT_REGION: 'eu-west-1' } });
      expect(fromDefault.stderr).toContain('region eu-west-1 from AWS_DEFAULT_REGION');
      expect(mirrorIds(JSON.parse(fromDefault.stdout))).toEqual([]);
      const builtIn = await runCli(['transform', '-'], { stdin });
      expect(builtIn.stderr).toContain('region us-east-1 (default');
      expect(mirrorIds(JSON.parse(builtIn.stdout))).toHaveLength(1);
    });

    it('uses --account for AWS::AccountId and notes the default account', async () => {
      const stdin = JSON.stringify(templateWith({ Api: lambdaImageFunction({ 'Fn::Sub': '${AWS::AccountId}.dkr.ecr.${AWS::Region}.amazonaws.com/api:1' }) }));
      const given = await runCli(['transform', '-', '--region', 'eu-west-1', '--account', '444455556666'], { stdin });
      expect(given.stderr).toContain('444455556666.dkr.ecr.eu-west-1.amazonaws.com/api:1');
      expect(given.stderr).not.toContain('account 123456789012 (default');
      const defaulted = await runCli(['transform', '-', '--region', 'eu-west-1'], { stdin });
      expect(defaulted.stderr).toContain('account 123456789012 (default');
      expect(defaulted.stderr).toContain('123456789012.dkr.ecr.eu-west-1.amazonaws.com/api:1');
    });

    it('overrides parameter Defaults with --parameter', async () => {
      const run = await runCli(['transform', file('template.yaml'), '--region', 'eu-west-1', '--parameter', `PatcherImage=${EU_WEST_1_ECR}`]);
      expect(run.code).toBe(0);
      expect(mirrorIds(parsedOutput(run))).toEqual([]);
      expect(run.stderr).toMatch(/Patcher\s+keep/);
    });

    it('leaves a parameter without Default or --parameter to deploy time', async () => {
      const stdin = JSON.stringify(templateWith({ Patcher: lambdaImageFunction({ Ref: 'PatcherImage' }) }, { Parameters: { PatcherImage: stringParameter() } }));
      const run = await runCli(['transform', '-'], { stdin });
      expect(run.code).toBe(0);
      expect(mirrorOf(JSON.parse(run.stdout), 'Patcher').properties.SourceImage).toEqual({ Ref: 'PatcherImage' });
      expect(run.stderr).toMatch(/Patcher\s+deploy-time/);
      expect(run.stderr).toContain('PatcherImage have no Default and no --parameter');
    });

    it('uses --mirror-function-arn as the ServiceToken', async () => {
      const arn = 'arn:aws:lambda:eu-west-1:111122223333:function:mirror';
      const run = await runCli(['transform', file('template.json'), '--mirror-function-arn', arn]);
      expect(mirrorOf(JSON.parse(run.stdout), 'Patcher').properties.ServiceToken).toBe(arn);
      expect(run.stderr).not.toContain('ServiceToken imports');
    });

    it('fails with exit 1 and every problem on stderr naming its resource; nothing on stdout', async () => {
      const stdin = JSON.stringify(
        templateWith({ Upper: lambdaImageFunction('quay.io/Org/App:1'), Spaced: samImageFunction('nginx latest'), Fine: lambdaImageFunction(QUAY) }),
      );
      const run = await runCli(['transform', '-'], { stdin });
      expect(run.code).toBe(1);
      expect(run.stdout).toBe('');
      expect(run.stderr).toContain('transform failed with 2 problems');
      const problemLines = run.stderr.split('\n').filter((line) => /Upper|Spaced/.test(line) && !/mirror|keep/.test(line));
      expect(problemLines.some((line) => line.includes('Upper'))).toBe(true);
      expect(problemLines.some((line) => line.includes('Spaced'))).toBe(true);
    });
  });

  describe('scan', () => {
    const stdin = JSON.stringify(
      templateWith(
        {
          Quay: lambdaImageFunction(QUAY),
          Local: lambdaImageFunction('123456789012.dkr.ecr.us-east-1.amazonaws.com/app:1'),
          Later: samImageFunction({ Ref: 'Unset' }),
          Skipped: lambdaImageFunction('nginx', { metadata: { SysdigImageFix: { Skip: true } } }),
        },
        { Parameters: { Unset: stringParameter() } },
      ),
    );

    it('prints a table of resource, image and verdict on stdout', async () => {
      const run = await runCli(['scan', '-', '--region', 'us-east-1'], { stdin });
      expect(run.code).toBe(0);
      const [header, ...rows] = run.stdout.trim().split('\n');
      expect(header).toMatch(/^RESOURCE\s+VERDICT\s+IMAGE\s+ARCHITECTURE\s+MIRROR$/);
      const verdictOf = (id: string) => rows.find((row) => row.startsWith(`${id} `))?.split(/\s{2,}/)[1];
      expect(verdictOf('Quay')).toBe('mirror');
      expect(verdictOf('Local')).toBe('keep');
      expect(verdictOf('Later')).toBe('deploy-time');
      expect(verdictOf('Skipped')).toBe('skip');
      expect(rows.find((row) => row.startsWith('Quay '))).toContain(QUAY);
    });

    it('prints the site reports as JSON with --format json', async () => {
      const run = await runCli(['scan', '-', '--format', 'json'], { stdin });
      const sites = JSON.parse(run.stdout) as { logicalId: string; verdict: string }[];
      expect(Object.fromEntries(sites.map((site) => [site.logicalId, site.verdict]))).toEqual({
        Quay: 'mirror',
        Local: 'keep',
        Later: 'deploy-time',
        Skipped: 'skip',
      });
    });

    it('exits 1 with the problems on stderr when the template cannot be transformed', async () => {
      const run = await runCli(['scan', '-'], { stdin: JSON.stringify(templateWith({ Bad: lambdaImageFunction('quay.io/A/B') })) });
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(/Bad.*quay\.io\/A\/B/);
    });
  });

  describe('usage errors exit 2', () => {
    it.each([
      ['no arguments', []],
      ['an unknown command', ['deploy', 'x.yaml']],
      ['no FILE', ['transform']],
      ['two FILEs', ['transform', 'a.yaml', 'b.yaml']],
      ['an unknown flag', ['transform', '-', '--regoin', 'us-east-1']],
      ['a flag without its value', ['transform', '-', '--region']],
      ['a bad region', ['transform', '-', '--region', 'Tokyo']],
      ['a bad account', ['transform', '-', '--account', '1234']],
      ['a bad format', ['transform', '-', '--format', 'xml']],
      ['a --parameter without =', ['transform', '-', '--parameter', 'PatcherImage']],
      ['an empty --mirror-function-arn', ['transform', '-', '--mirror-function-arn', '']],
    ])('%s', async (_case, argv) => {
      const run = await runCli(argv, { stdin: YAML_TEMPLATE });
      expect(run.code).toBe(2);
      expect(run.stdout).toBe('');
      expect(run.stderr).toMatch(/^error: .+\nRun "sysdig-image-fix --help" for usage\.\n$/);
    });

    it('an unknown --parameter name, naming it', async () => {
      const run = await runCli(['transform', file('template.yaml'), '--parameter', 'PatcherImag=x']);
      expect(run.code).toBe(2);
      expect(run.stderr).toContain('"PatcherImag"');
    });

    it.each([
      ['a missing file', () => file('missing.yaml'), /cannot read .*missing\.yaml/],
      ['an unparsable template', () => file('broken.yaml'), /broken\.yaml is not valid YAML: /],
      ['a YAML list instead of a template', () => file('list.yaml'), /list\.yaml is not a template/],
    ])('%s', async (_case, path, message) => {
      const run = await runCli(['transform', path()]);
      expect(run.code).toBe(2);
      expect(run.stdout).toBe('');
      expect(run.stderr).toMatch(message);
    });

    it('unreadable standard input', async () => {
      const run = await runCli(['scan', '-']);
      expect(run.code).toBe(2);
      expect(run.stderr).toContain('cannot read standard input');
    });
  });

  describe('--help', () => {
    it.each([['--help'], ['-h'], ['help']])('%s documents commands, flags, exit codes and examples', async (...argv) => {
      const run = await runCli(argv);
      expect(run.code).toBe(0);
      expect(run.stderr).toBe('');
      for (const text of [
        'transform FILE|-',
        'scan FILE|-...',
        'help [COMMAND]',
        '--region',
        '--account',
        '--parameter K=V',
        '--parameter-overrides K=V...',
        '--mirror-function-arn',
        '--format F',
        '-o, --output FILE',
        '-q, --quiet',
        'Exit codes',
        'Examples',
        'SysdigImageFix-MirrorFunctionArn',
        'deploy-time',
      ]) {
        expect(run.stdout).toContain(text);
      }
      expect(run.stdout).toMatch(/^\s+0\s/m);
      expect(run.stdout).toMatch(/^\s+1\s/m);
      expect(run.stdout).toMatch(/^\s+2\s/m);
    });
  });

  it('escapes control characters from the template before they reach the terminal', async () => {
    const stdin = JSON.stringify({ Resources: { 'Evil\u001b[2J': lambdaImageFunction(QUAY) } });
    const run = await runCli(['scan', '-'], { stdin });
    expect(run.stdout).not.toContain('\u001b');
    expect(run.stdout).toContain('Evil\\u001b[2J');
  });
});
