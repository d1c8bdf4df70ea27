// The transformed template written over the user's YAML: only what the macro changes may differ.
import { describe, expect, it } from 'vitest';
import { readCfnYaml, parseCfnYaml } from '../../../src/cli/cfn-yaml.js';
import { main } from '../../../src/cli/main.js';
import { editYamlTemplate } from '../../../src/cli/yaml-edit.js';
import type { Json, JsonObject } from '../../../src/template/types.js';

async function transformYaml(text: string, extra: string[] = []): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await main(['transform', '-', '--region', 'eu-west-1', '--account', '123456789012', ...extra], {
    stdout: { write: (chunk: string) => (stdout += chunk) },
    stderr: { write: (chunk: string) => (stderr += chunk) },
    readStdin: async () => text,
    env: {},
  });
  return { code, stdout, stderr };
}

const INPUT = `# Orders service (four-space indentation, comments, short tags)
AWSTemplateFormatVersion: 2010-09-09
Transform:
    - SysdigImageFix   # mirrors third-party images
    - AWS::Serverless-2016-10-31

Parameters:
    WorkerImage:
        Type: String
        Default: "amazon/aws-lambda-python:3.12"   # Docker Hub

Resources:
    # The worker, from Docker Hub through a parameter
    Worker:
        Type: AWS::Serverless::Function
        Properties:
            PackageType: Image
            ImageUri: !Ref WorkerImage   # keep me
            Architectures: [arm64]
            Environment: {Variables: {MODE: 'on', RETRIES: 0755}}

    Report:
        Type: AWS::Lambda::Function
        Properties:
            PackageType: Image
            Role: !GetAtt ReportRole.Arn
            Code: {ImageUri: quay.io/example-org/report-builder:2.3.0}

    Nightly:
        Type: AWS::Lambda::Function
        Properties:
            PackageType: Image
            Role: !GetAtt ReportRole.Arn
            Code:
                ImageUri:
                    Fn::Sub: "ghcr.io/example-org/nightly:\${AWS::Region}"

    ReportRole:
        Type: AWS::IAM::Role
        Properties:
            AssumeRolePolicyDocument:
                Version: 2012-10-17
                Statement: []

Outputs:
    # Outputs stay where they are
    WorkerArn:
        Value: !GetAtt Worker.Arn
`;

const MIRROR_ARN = 'arn:aws:lambda:eu-west-1:123456789012:function:mirror';

describe('Function: editYamlTemplate (through the CLI)', () => {
  it("changes only the Transform entry, the rewritten sites and the added resources, in the input's own style", async () => {
    const run = await transformYaml(INPUT, ['--mirror-function-arn', MIRROR_ARN]);
    expect(run.code).toBe(0);
    expect(run.stderr).not.toContain('written afresh');
    const ids = Object.keys((parseCfnYaml(run.stdout) as { Resources: JsonObject }).Resources).filter((id) => id.startsWith('ImageMirror'));
    expect(ids).toHaveLength(3);
    const expected = INPUT.replace('    - SysdigImageFix   # mirrors third-party images\n', '')
      .replace('ImageUri: !Ref WorkerImage   # keep me', `ImageUri: !GetAtt ${ids[0]}.ImageUri   # keep me`)
      .replace('Code: {ImageUri: quay.io/example-org/report-builder:2.3.0}', `Code: {ImageUri: !GetAtt ${ids[1]}.ImageUri}`)
      .replace(
        // A value on its own line below the key is rewritten there (the smallest span).
        '                    Fn::Sub: "ghcr.io/example-org/nightly:${AWS::Region}"\n',
        `                    !GetAtt ${ids[2]}.ImageUri\n`,
      )
      .replace(
        '                Statement: []\n',
        [
          '                Statement: []',
          '',
          `    ${ids[0]}:`,
          '        Type: Custom::ImageMirror',
          '        Properties:',
          `            ServiceToken: ${MIRROR_ARN}`,
          '            ServiceTimeout: 3600',
          '            SourceImage: !Ref WorkerImage',
          '            Architecture: arm64',
          '            RepositoryPrefix: sysdig-image-fix',
          '',
          `    ${ids[1]}:`,
          '        Type: Custom::ImageMirror',
          '        Properties:',
          `            ServiceToken: ${MIRROR_ARN}`,
          '            ServiceTimeout: 3600',
          '            SourceImage: quay.io/example-org/report-builder:2.3.0',
          '            Architecture: x86_64',
          '            RepositoryName: sysdig-image-fix/quay.io/example-org/report-builder',
          '',
          `    ${ids[2]}:`,
          '        Type: Custom::ImageMirror',
          '        Properties:',
          `            ServiceToken: ${MIRROR_ARN}`,
          '            ServiceTimeout: 3600',
          '            SourceImage: !Sub ghcr.io/example-org/nightly:${AWS::Region}',
          '            Architecture: x86_64',
          '            RepositoryPrefix: sysdig-image-fix',
          '',
        ].join('\n'),
      );
    expect(run.stdout).toBe(expected);
  });

  it.each([
    ['a scalar: the line goes', 'Transform: SysdigImageFix\n', ''],
    ['a flow list: the list is rewritten', 'Transform: [SysdigImageFix, AWS::Serverless-2016-10-31]  # both\n', 'Transform: [AWS::Serverless-2016-10-31]  # both\n'],
    ['a block list: the item goes', 'Transform:\n  - AWS::Serverless-2016-10-31\n  - Name: SysdigImageFix\n', 'Transform:\n  - AWS::Serverless-2016-10-31\n'],
  ])('removes SysdigImageFix from a Transform section written as %s', async (_case, transform, remaining) => {
    const body = 'Resources:\n  Bucket:\n    Type: AWS::S3::Bucket\n';
    const run = await transformYaml(`${transform}${body}`);
    expect(run.stdout).toBe(`${remaining}${body}`);
  });

  it('rewrites a site that is an alias, or comes from a merge key, without touching the anchor', async () => {
    const input = [
      'Transform: SysdigImageFix',
      'Metadata:',
      '  Image: &image quay.io/a/b:1',
      'Resources:',
      '  A:',
      '    Type: AWS::Lambda::Function',
      '    Properties:',
      '      PackageType: Image',
      '      Code:',
      '        ImageUri: *image',
      '',
    ].join('\n');
    const run = await transformYaml(input);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('  Image: &image quay.io/a/b:1\n');
    expect(run.stdout).toMatch(/ {8}ImageUri: !GetAtt ImageMirror[0-9a-f]{8}\.ImageUri\n/);

    // A site that comes from a merge key: the mapping holding it is written out whole, the anchor stays.
    const merged = input
      .replace('Metadata:\n  Image: &image quay.io/a/b:1\n', 'Metadata:\n  Code: &code {ImageUri: quay.io/a/b:1}\n')
      .replace('      Code:\n        ImageUri: *image\n', '      <<: {Code: *code}\n');
    const fromMerge = await transformYaml(merged);
    expect(fromMerge.code).toBe(0);
    expect(fromMerge.stderr).not.toContain('written afresh');
    expect(fromMerge.stdout).toContain('  Code: &code {ImageUri: quay.io/a/b:1}\n');
    expect((parseCfnYaml(fromMerge.stdout) as { Resources: { A: { Properties: JsonObject } } }).Resources.A.Properties.Code).toEqual({
      ImageUri: { 'Fn::GetAtt': [expect.stringMatching(/^ImageMirror/), 'ImageUri'] },
    });
  });

  it('writes the template afresh, saying so, when the input cannot be edited in place (a merge key at the top)', async () => {
    const input =
      'Base: &base {Description: shared}\n<<: *base\nTransform: SysdigImageFix\nResources:\n  A:\n    Type: AWS::Lambda::Function\n    Properties:\n      PackageType: Image\n      Code: {ImageUri: nginx}\n';
    const run = await transformYaml(input);
    expect(run.code).toBe(0);
    expect(run.stderr).toContain("note: the input's YAML layout could not be kept (comments and formatting); the template is written afresh\n");
    const output = parseCfnYaml(run.stdout) as JsonObject;
    expect(output.Description).toBe('shared');
    expect(output.Transform).toBeUndefined();
  });

  it("writes new lines with the input's line endings (CRLF)", async () => {
    const input =
      'Transform: SysdigImageFix\r\nResources:\r\n  A:\r\n    Type: AWS::Lambda::Function\r\n    Properties:\r\n      PackageType: Image\r\n      Code:\r\n        ImageUri: nginx\r\n';
    const run = await transformYaml(input);
    expect(run.code).toBe(0);
    expect(run.stderr).not.toContain('written afresh');
    expect(run.stdout.replace(/\r\n/g, '')).not.toContain('\n');
    expect(run.stdout).toMatch(/\r\n {2}ImageMirror[0-9a-f]{8}:\r\n {4}Type: Custom::ImageMirror\r\n/);
  });

  it('never returns text that reads back differently from the output it was given', () => {
    const source = readCfnYaml('a: 1  # one\nb: [x, y]\nc:\n  d: e\n');
    const outputs: Json[] = [
      { a: 1, b: ['x', 'y'], c: { d: 'e' } },
      { a: '0755', b: ['x'], c: { d: 'yes', f: { g: [1, { h: 'i' }] } } },
      { a: { Ref: 'X' }, c: 'plain' },
      { a: 1, b: [], c: {}, z: '2010-09-09' },
    ];
    for (const output of outputs) {
      const text = editYamlTemplate(source, output);
      expect(text).toBeDefined();
      expect(parseCfnYaml(text!)).toEqual(output);
      expect(text).toContain('# one');
    }
  });
});
