// What the CLI says, as the exact text a user sees on stdout and stderr.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { main } from '../../../src/cli/main.js';
import type { JsonObject } from '../../../src/template/types.js';
import { lambdaImageFunction, samImageFunction, stringParameter, templateWith as plainTemplate } from '../macro/fixtures.js';

/** A template with `Transform: SysdigImageFix`, as users write it. */
const templateWith = (resources: Record<string, JsonObject>, sections: JsonObject = {}) => plainTemplate(resources, { Transform: 'SysdigImageFix', ...sections });

interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

async function runCli(argv: string[], stdin?: string, env: Record<string, string> = {}): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const code = await main(argv, {
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
    readStdin: async () => stdin ?? '',
    env,
  });
  return { code, stdout, stderr };
}

/** The flags that silence the notes about defaults, so a test sees only what it is about. */
const QUIET = ['--region', 'eu-west-1', '--account', '123456789012', '--mirror-function-arn', 'arn:aws:lambda:eu-west-1:123456789012:function:mirror'];
const HELP_HINT = 'Run "sysdig-image-fix --help" for usage.\n';
const QUAY = 'quay.io/sysdig/serverless-patcher:5.0.1';

const S3_REASON =
  'it is an S3 URL, not an image reference: Lambda runs container images from a registry (give registry/repository:tag); code in S3 is a Zip package (PackageType: Zip)';
const ARCHIVE_REASON =
  'it is a local path or archive, not an image reference: push the image to a registry and give its registry/repository:tag (or let SAM build it: PackageType Image with Metadata Dockerfile and DockerContext, then sam build)';

describe('CLI messages', () => {
  describe('summary of failed sites (ImageUri "", s3://bucket/key, ./archive_x86_64.tar.gz)', () => {
    const template = JSON.stringify(
      templateWith({
        Empty: samImageFunction(''),
        InS3: samImageFunction('s3://bucket/key'),
        Archive: lambdaImageFunction('./archive_x86_64.tar.gz'),
        Fine: lambdaImageFunction(QUAY),
      }),
    );

    it('transform counts the failed sites, says nothing was injected, and lists each reason; nothing on stdout', async () => {
      const run = await runCli(['transform', '-', ...QUIET], template);
      expect(run.code).toBe(1);
      expect(run.stdout).toBe('');
      expect(run.stderr).toBe(
        [
          'SysdigImageFix: 4 image sites (1 mirror, 3 failed); nothing injected (the transform failed)',
          '  RESOURCE  VERDICT  IMAGE                                    ARCHITECTURE  MIRROR',
          '  Empty     failed   ""                                       -             -',
          '  InS3      failed   "s3://bucket/key"                        -             -',
          '  Archive   failed   "./archive_x86_64.tar.gz"                -             -',
          '  Fine      mirror   quay.io/sysdig/serverless-patcher:5.0.1  x86_64        ImageMirror4f072ecd',
          'error: SysdigImageFix transform failed with 3 problems:',
          '  Resource Empty: image "" is not a valid image reference: the reference is empty',
          `  Resource InS3: image "s3://bucket/key" is not a valid image reference: ${S3_REASON}`,
          `  Resource Archive: image "./archive_x86_64.tar.gz" is not a valid image reference: ${ARCHIVE_REASON}`,
          '',
        ].join('\n'),
      );
    });

    it('scan prints no partial table on stdout when it fails', async () => {
      for (const format of [[], ['--format', 'json']]) {
        const run = await runCli(['scan', '-', ...QUIET, ...format], template);
        expect(run.code).toBe(1);
        expect(run.stdout).toBe('');
        expect(run.stderr).toContain('error: SysdigImageFix transform failed with 3 problems:\n');
      }
    });
  });

  describe('the value of a parameter is named where it came from', () => {
    const template = JSON.stringify(templateWith({ Fn: lambdaImageFunction({ Ref: 'Img' }) }, { Parameters: { Img: stringParameter('s3://bucket/key') } }));
    it.each([
      ['its Default', [], 's3://bucket/key', 'Parameters.Img.Default'],
      ['--parameter', ['--parameter', 'Img=https://quay.io/sysdig/agent:1'], 'https://quay.io/sysdig/agent:1', '--parameter Img'],
    ])('from %s', async (_case, flags, value, origin) => {
      const run = await runCli(['transform', '-', ...QUIET, ...flags], template);
      expect(run.code).toBe(1);
      const reason = value.startsWith('s3:') ? S3_REASON : 'it is a URL, not an image reference: write it without "https://" (quay.io/sysdig/agent:1)';
      expect(run.stderr).toContain(`\n  Resource Fn: image "${value}" (from ${origin}) is not a valid image reference: ${reason}\n`);
    });

    it('names every parameter a value is built from', async () => {
      const built = JSON.stringify(
        templateWith(
          { Fn: lambdaImageFunction({ 'Fn::Sub': '${Registry}/${Repository}' }) },
          { Parameters: { Registry: stringParameter('s3:/'), Repository: stringParameter('bucket/key') } },
        ),
      );
      const run = await runCli(['transform', '-', ...QUIET, '--parameter', 'Repository=bucket/app'], built);
      expect(run.stderr).toContain(
        `\n  Resource Fn: image "s3://bucket/app" (built from Parameters.Registry.Default, --parameter Repository) is not a valid image reference: ${S3_REASON}\n`,
      );
    });
  });

  it('counts the ImageMirror resources injected, not only the verdicts: 16 sites of 2 images get 2 mirrors', async () => {
    const functions: Record<string, JsonObject> = {};
    for (let index = 0; index < 16; index++) {
      functions[`Function${index}`] = index % 2 === 0 ? samImageFunction({ Ref: 'Image' }) : lambdaImageFunction('public.ecr.aws/lambda/python:3.12');
    }
    const template = JSON.stringify(templateWith(functions, { Parameters: { Image: stringParameter('public.ecr.aws/lambda/nodejs:20') } }));
    const run = await runCli(['transform', '-', ...QUIET], template);
    expect(run.code).toBe(0);
    expect(run.stderr.split('\n')[0]).toBe('SysdigImageFix: 16 image sites (16 mirror); 2 ImageMirror resources injected');
    const single = await runCli(['transform', '-', ...QUIET], JSON.stringify(templateWith({ A: lambdaImageFunction(QUAY) })));
    expect(single.stderr.split('\n')[0]).toBe('SysdigImageFix: 1 image site (1 mirror); 1 ImageMirror resource injected');
    const kept = await runCli(['transform', '-', ...QUIET], JSON.stringify(templateWith({ A: lambdaImageFunction('123456789012.dkr.ecr.eu-west-1.amazonaws.com/a:1') })));
    expect(kept.stderr.split('\n')[0]).toBe('SysdigImageFix: 1 image site (1 keep); no ImageMirror resource injected');
  });

  it('notes a kept image whose registry comes from a parameter: another value at deploy time may need a mirror', async () => {
    const template = JSON.stringify(
      templateWith(
        { Api: lambdaImageFunction({ 'Fn::Sub': '${Registry}/api:${Tag}' }) },
        { Parameters: { Registry: stringParameter('123456789012.dkr.ecr.eu-west-1.amazonaws.com'), Tag: stringParameter('1.4.2') } },
      ),
    );
    const run = await runCli(['transform', '-', ...QUIET], template);
    expect(run.stderr).toContain(
      'note: Api keeps its image for the value of Registry given here; deployed with a value that names an image outside private ECR of eu-west-1, ' +
        'Lambda refuses it (transform again with those --parameter values, or deploy with the macro)\n',
    );
  });

  describe('usage errors', () => {
    it.each([
      ['--regoin', ['transform', '-', '--regoin', 'us-east-1'], 'unknown option --regoin; did you mean --region?'],
      ['--paramter=K=V', ['transform', '-', '--paramter=A=b'], 'unknown option --paramter; did you mean --parameter?'],
      ['--fromat', ['scan', '-', '--fromat', 'json'], 'unknown option --fromat; did you mean --format?'],
      [
        'an option nothing resembles',
        ['transform', '-', '--colour'],
        'unknown option --colour; the options are --region, --account, --parameter, --parameter-overrides, --mirror-function-arn, --format, --output, --quiet, --help, --version',
      ],
      ['a flag without its value', ['transform', '-', '--region'], '--region needs a value'],
      ['a mistyped command', ['tranform', 'x.yaml'], 'unknown command "tranform"; did you mean "transform"?'],
      ['an unknown command', ['deploy', 'x.yaml'], 'unknown command "deploy": the commands are "transform", "scan"'],
    ])('%s: one plain line with the fix', async (_case, argv, line) => {
      const run = await runCli(argv, '{}');
      expect(run).toEqual({ code: 2, stdout: '', stderr: `error: ${line}\n${HELP_HINT}` });
    });

    it('a YAML template that does not parse: the reason with real line breaks and the place it points at', async () => {
      const run = await runCli(['transform', '-'], 'Resources:\n  A:\n    Type: X\n   B: 1\n');
      expect(run.code).toBe(2);
      expect(run.stderr).toBe(
        `error: <stdin> is not valid YAML: All mapping items must start at the same column at line 4, column 1:\n\n    Type: X\n   B: 1\n^\n${HELP_HINT}`,
      );
    });

    it('a JSON template that does not parse is reported as JSON, with its line and column', async () => {
      const run = await runCli(['transform', '-'], '{\n  "Resources": {\n    "A": {"Type": "X",}\n  }\n}\n');
      expect(run).toEqual({ code: 2, stdout: '', stderr: `error: <stdin> is not valid JSON: Expected double-quoted property name at line 3, column 23\n${HELP_HINT}` });
    });

    it('a value JSON cannot hold, for JSON output', async () => {
      const run = await runCli(['transform', '-', ...QUIET, '--format', 'json'], 'Transform: SysdigImageFix\nResources: {}\nMetadata:\n  Limit: .inf\n');
      expect(run).toEqual({
        code: 2,
        stdout: '',
        stderr: `error: Metadata.Limit is infinite or not a number (.inf or .nan in YAML); JSON cannot hold it: use --format yaml or fix the value\n${HELP_HINT}`,
      });
    });
  });

  it('--version prints the package version', async () => {
    const { version } = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };
    expect(await runCli(['--version'])).toEqual({ code: 0, stdout: `sysdig-image-fix ${version}\n`, stderr: '' });
  });

  it('warns about a region name AWS does not have, naming the closest one, and goes on', async () => {
    const run = await runCli(['scan', '-', '--region', 'eu-wst-1', '--account', '123456789012'], JSON.stringify(templateWith({ A: lambdaImageFunction(QUAY) })));
    expect(run.code).toBe(0);
    expect(run.stderr.split('\n')[0]).toBe('warning: region eu-wst-1 (--region) is not a known AWS region; did you mean eu-west-1? Continuing with eu-wst-1.');
    const fromEnv = await runCli(['scan', '-', '--account', '123456789012'], '{}', { AWS_REGION: 'ap-northeast-9' });
    expect(fromEnv.stderr.split('\n')[0]).toBe(
      'warning: region ap-northeast-9 (AWS_REGION) is not a known AWS region; did you mean ap-northeast-1? Continuing with ap-northeast-9.',
    );
    const unlike = await runCli(['scan', '-', '--region', 'mars-north-1', '--account', '123456789012'], '{}');
    expect(unlike.stderr.split('\n')[0]).toBe('warning: region mars-north-1 (--region) is not a known AWS region. Continuing with mars-north-1.');
  });

  describe("YAML as CloudFormation reads it: the Athena connector's AWS account 084828588479 (me-south-1)", () => {
    const athena = [
      'Conditions:',
      '  IsRegionBAH: !Equals [!Ref "AWS::Region", me-south-1]',
      '  IsRegionHKG: !Equals [!Ref "AWS::Region", ap-east-1]',
      'Resources:',
      '  Connector:',
      '    Type: AWS::Serverless::Function',
      '    Properties:',
      '      PackageType: Image',
      '      ImageUri: !Sub',
      "        - '${Account}.dkr.ecr.${AWS::Region}.amazonaws.com/athena-federation-repository-redshift:2024.1.1'",
      '        - Account: !If [IsRegionBAH, 084828588479, !If [IsRegionHKG, 183295418215, 292517598671]]',
      '',
    ].join('\n');

    it("scan keeps AWS's own in-region ECR image", async () => {
      const run = await runCli(['scan', '-', '--region', 'me-south-1', '--account', '123456789012'], athena);
      expect(run.code).toBe(0);
      expect(run.stdout.split('\n')[1]).toMatch(/^Connector\s+keep\s+084828588479\.dkr\.ecr\.me-south-1\.amazonaws\.com\/athena-federation-repository-redshift:2024\.1\.1\s/);
    });

    it('transform writes the account id as the string it is, in YAML and in JSON', async () => {
      const yaml = await runCli(['transform', '-', '--region', 'me-south-1', '--account', '123456789012'], athena);
      expect(yaml.stdout).toBe(athena);
      const json = await runCli(['transform', '-', '--region', 'me-south-1', '--account', '123456789012', '--format', 'json'], athena);
      expect(json.stdout).toContain('"Account": {\n');
      expect(json.stdout).toContain('"084828588479",');
    });
  });
});
