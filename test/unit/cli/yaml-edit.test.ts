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

  it('fills an empty Parameters section, its comment kept, with the refresh token parameter (Refresh: true)', async () => {
    const input = [
      'Transform: SysdigImageFix',
      'Metadata:',
      '  SysdigImageFix: {Refresh: true}',
      'Parameters:  # none yet',
      'Resources:',
      '  Fn:',
      '    Type: AWS::Lambda::Function',
      '    Properties:',
      '      PackageType: Image',
      '      Code: {ImageUri: quay.io/a/b:1}',
      '',
    ].join('\n');
    const run = await transformYaml(input);
    expect(run.code).toBe(0);
    expect(run.stderr).not.toContain('written afresh');
    const mirror = /^ {2}(ImageMirror[0-9a-f]{8}):$/m.exec(run.stdout)![1]!;
    const parameter = (parseCfnYaml(run.stdout) as { Parameters: JsonObject }).Parameters.SysdigImageFixRefreshToken as JsonObject;
    expect(run.stdout.slice(0, run.stdout.indexOf('\n  Fn:\n'))).toBe(
      [
        'Metadata:',
        '  SysdigImageFix: {Refresh: true}',
        'Parameters: # none yet',
        '  SysdigImageFixRefreshToken:',
        '    Type: String',
        '    MinLength: 1',
        `    Description: ${JSON.stringify(parameter.Description)}`,
        'Resources:',
      ].join('\n'),
    );
    expect(run.stdout).toContain(`      Code: {ImageUri: !GetAtt ${mirror}.ImageUri}\n`);
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

/** The edited text of `input` for `output`; when there is one, it reads back as `output`. */
function edited(input: string, output: Json): string | undefined {
  const text = editYamlTemplate(readCfnYaml(input), output);
  if (text !== undefined) expect(readCfnYaml(text).value).toEqual(output);
  return text;
}

// Each case: the user's text, the JSON the transform returns for it, and the whole text written (every byte that
// is not part of the changed value stays as it was).
describe('Function: editYamlTemplate (each way of writing a value: the whole text written)', () => {
  it.each<[string, string, Json, string]>([
    ['spaces after the colon and a comment stay', 'a:   x  # c\n', { a: 'y' }, 'a:   y  # c\n'],
    ['a space before the colon stays', 'a : x\nb: 1\n', { a: 'y', b: 1 }, 'a : y\nb: 1\n'],
    ['a tab before the colon stays', 'a\t: x\n', { a: 'y' }, 'a\t: y\n'],
    ['a text without a final line break gets none', 'a: 1\nb: x', { a: 1, b: 'y' }, 'a: 1\nb: y'],
    ['the anchor of a rewritten value goes with the old value', 'a: &old x\nb: 1\n', { a: 'y', b: 1 }, 'a: y\nb: 1\n'],
    ['a short tag whose function changes is written anew', 'a: !Ref X  # c\n', { a: { 'Fn::Sub': 'y' } }, 'a: !Sub y  # c\n'],
    ['a short tag that becomes a string goes', 'a: !Ref X\n', { a: 'y' }, 'a: y\n'],
    ['a standard tag (not an intrinsic) goes with its value', 'a: !!str 1\n', { a: '2' }, 'a: "2"\n'],
    ['a short tag keeps its anchor when only its string changes', 'a: &n !Base64 5\n', { a: { 'Fn::Base64': 'x' } }, 'a: &n !Base64 x\n'],
    ['a short tag whose argument stops being a string is written anew', "a: !Base64 'a'\n", { a: { 'Fn::Base64': 5 } }, 'a:\n  Fn::Base64: 5\n'],
    ['an empty value gets one', 'a:\nb: 1\n', { a: 'x', b: 1 }, 'a: x\nb: 1\n'],
    ['an empty value with a comment gets one before the comment', 'a:  # none yet\nb: 1\n', { a: 'x', b: 1 }, 'a: x  # none yet\nb: 1\n'],
    ['an empty value at the end of a text without a final line break', 'a: 1\nb:', { a: 1, b: 'x' }, 'a: 1\nb: x'],
    ['a short-form !GetAtt (read as a list) whose resource changes', 'a: !GetAtt Old.Arn  # c\n', { a: { 'Fn::GetAtt': ['New', 'Arn'] } }, 'a: !GetAtt New.Arn  # c\n'],
  ])('a value on its key line: %s', (_case, input, output, expected) => {
    expect(edited(input, output)).toBe(expected);
  });

  it.each<[string, string, Json, string]>([
    ['an empty value whose tag is on the next line: the new value replaces the tag there', 'a:\n  !Ref\nb: 1\n', { a: 'x', b: 1 }, 'a:\n  x\nb: 1\n'],
    ['a plain value on the next line stays there', 'a:\n  x\nb: 1\n', { a: 'y', b: 1 }, 'a:\n  y\nb: 1\n'],
    [
      'a block mapping replacing it is indented like the input (four spaces)',
      'Top:\n    a:\n        # note\n        x\n',
      { Top: { a: { y: { z: 1 } } } },
      'Top:\n    a:\n        # note\n        y:\n            z: 1\n',
    ],
    [
      'its comments, joined, follow an intrinsic that replaces it',
      "a:\n  Fn::Join:  # one\n    - ''\n    - [x]  # two\nb: 1\n",
      { a: { 'Fn::GetAtt': ['M', 'ImageUri'] }, b: 1 },
      'a:\n  !GetAtt M.ImageUri  # one # two\nb: 1\n',
    ],
    [
      'a block sequence at the key column replaced by a scalar: on the key line, with the comments',
      'a:  # c\n- x  # one\n- y\nb: 1\n',
      { a: 'z', b: 1 },
      'a: z  # c # one\nb: 1\n',
    ],
    ['a block sequence at the key column replaced by a scalar, no comments', 'a:\n- x\n- y\nb: 1\n', { a: 'z', b: 1 }, 'a: z\nb: 1\n'],
    [
      'a block sequence at the key column replaced by a mapping: the comments before it stay on the key line',
      'a:  # one\n# two\n- x\nb: 1\n',
      { a: { k: 'v' }, b: 1 },
      'a: # one # two\n  k: v\nb: 1\n',
    ],
    ['a block sequence at the key column replaced by a mapping, no comments', 'a:\n- x\n- y\nb: 1\n', { a: { k: 'v' }, b: 1 }, 'a:\n  k: v\nb: 1\n'],
  ])('a value below its key: %s', (_case, input, output, expected) => {
    expect(edited(input, output)).toBe(expected);
  });

  it.each<[string, string, Json, string]>([
    ['a block mapping', 'a: x\nb: 1\n', { a: { c: 1, d: 2 }, b: 1 }, 'a:\n  c: 1\n  d: 2\nb: 1\n'],
    ['a block sequence (indented, the default)', 'a: x\nb: 1\n', { a: [1, 2], b: 1 }, 'a:\n  - 1\n  - 2\nb: 1\n'],
    ['a nested mapping, four-space indentation', 'Top:\n    a: x\n', { Top: { a: { b: { c: 1 } } } }, 'Top:\n    a:\n        b:\n            c: 1\n'],
    ['a sequence where the input indents sequences', 'L:\n  - 1\nTop:\n  a: x\n', { L: [1], Top: { a: ['p', 'q'] } }, 'L:\n  - 1\nTop:\n  a:\n    - p\n    - q\n'],
    ['a sequence where the input does not indent sequences', 'L:\n- 1\nTop:\n  a: x\n', { L: [1], Top: { a: ['p', 'q'] } }, 'L:\n- 1\nTop:\n  a:\n  - p\n  - q\n'],
    ['a mapping where the input does not indent sequences', 'L:\n- 1\nTop:\n  a: x\n', { L: [1], Top: { a: { b: 1 } } }, 'L:\n- 1\nTop:\n  a:\n    b: 1\n'],
    ['an empty value', 'a:\nb: 1\n', { a: { x: 1 }, b: 1 }, 'a:\n  x: 1\nb: 1\n'],
    ['an empty value with a comment: the comment stays on the key line', 'a:  # none yet\nb: 1\n', { a: { x: 1 }, b: 1 }, 'a: # none yet\n  x: 1\nb: 1\n'],
    ['an empty value with a comment, Windows line endings', 'a:  # none yet\r\nb: 1\r\n', { a: { x: 1 }, b: 1 }, 'a: # none yet\r\n  x: 1\r\nb: 1\r\n'],
  ])('a scalar becoming a collection: %s', (_case, input, output, expected) => {
    expect(edited(input, output)).toBe(expected);
  });

  it.each<[string, string, Json, string]>([
    ['the same function: its argument is edited in place', "a:\n  Fn::Sub: 'x-${A}'  # c\n", { a: { 'Fn::Sub': 'x-${B}' } }, "a:\n  Fn::Sub: 'x-${B}'  # c\n"],
    ['a long-form intrinsic becoming a string', 'a:\n  Fn::Sub: x\n', { a: 'plain' }, 'a:\n  plain\n'],
    ['a mapping becoming an intrinsic: written whole, in short form', 'm:\n  a: 1\n', { m: { Ref: 'X' } }, 'm:\n  !Ref X\n'],
    ['a long-form intrinsic becoming a mapping: written whole', 'm:\n  Fn::Sub: x  # sub\n', { m: { 'Fn::Sub': 'x', b: 1 } }, 'm:\n  Fn::Sub: x\n  b: 1\n'],
  ])('intrinsics: %s', (_case, input, output, expected) => {
    expect(edited(input, output)).toBe(expected);
  });

  it.each<[string, string, Json, string]>([
    ['an entry removed: the mapping is rewritten', 'm: {a: 1, b: 2}  # c\n', { m: { a: 1 } }, 'm: {a: 1}  # c\n'],
    ['a value changed: the spacing and quoting of the rest stay', 'm: { a: "1",   b: x }  # c\n', { m: { a: '1', b: 'y' } }, 'm: { a: "1",   b: y }  # c\n'],
    ['entries added before the closing brace, in flow style', 'm: {a: 1}\n', { m: { a: 1, b: { c: [1, 2] }, d: 'x, y' } }, 'm: {a: 1, b: {c: [1, 2]}, d: "x, y"}\n'],
    ['an entry added to a nested flow mapping', 'm: {n: {a: 1}}\n', { m: { n: { a: 1, b: 2 } } }, 'm: {n: {a: 1, b: 2}}\n'],
    ['an entry added to an empty flow mapping', 'm: {}\n', { m: { a: 1 } }, 'm: {a: 1}\n'],
    ['a tagged value replaced by a string that needs quotes in flow', 'm: {a: !Ref X, b: 1}\n', { m: { a: 'x, y', b: 1 } }, 'm: {a: "x, y", b: 1}\n'],
  ])('flow mappings: %s', (_case, input, output, expected) => {
    expect(edited(input, output)).toBe(expected);
  });

  it.each<[string, string, Json, string]>([
    ['after entries with no blank line between: none', 'a: 1\nb: 2\n', { a: 1, b: 2, c: 3 }, 'a: 1\nb: 2\nc: 3\n'],
    ['after entries with blank lines between: one before each', 'a: 1\n\nb: 2\n', { a: 1, b: 2, c: 3 }, 'a: 1\n\nb: 2\n\nc: 3\n'],
    ['a blank line before the first entry only: none', 'm:\n\n  a: 1\n  b: 2\n', { m: { a: 1, b: 2, c: 3 } }, 'm:\n\n  a: 1\n  b: 2\n  c: 3\n'],
    ['to a text without a final line break', 'a: 1', { a: 1, b: 2 }, 'a: 1\nb: 2\n'],
    ['where the next entry, removed, began', 'm:\n  a: 1\nn: 2\n', { m: { a: 1, b: 2 } }, 'm:\n  a: 1\n  b: 2\n'],
  ])('new mapping entries: %s', (_case, input, output, expected) => {
    expect(edited(input, output)).toBe(expected);
  });

  it.each<[string, string, Json, string]>([
    ['the last entry of a text without a final line break removed', 'a: 1\nb: 2', { a: 1 }, 'a: 1\n'],
    ['keys that are one JSON key (1 and "1"): the mapping is written whole', 'm:\n  1: a\n  "1": b\n', { m: { '1': 'c' } }, 'm:\n  "1": c\n'],
    ['a sequence item removed', 'l:\n- a\n- b\n- c\n', { l: ['a', 'c'] }, 'l:\n- a\n- c\n'],
    ['a sequence that is not the old one less some items: written whole', 'l:\n- a\n- b\n- c\n', { l: ['a', 'x'] }, 'l:\n- a\n- x\n'],
    ['every sequence item removed', 'l:\n- a\n- b\n', { l: [] }, 'l: []\n'],
    ['a null item removed from the end', 'l:\n- a\n- b\n- null\n', { l: ['a', 'b'] }, 'l:\n- a\n- b\n'],
    ['an empty sequence item filled', 'l:\n- \n- b\n', { l: ['x', 'b'] }, 'l:\n- x\n- b\n'],
  ])('mappings and sequences: %s', (_case, input, output, expected) => {
    expect(edited(input, output)).toBe(expected);
  });

  it.each<[string, string, Json]>([
    ['an explicit `? key` entry', '? a\n: x\n', { a: 'y' }],
    ['a rewritten anchor that an alias still uses', 'a: &n x\nb: *n\n', { a: 'y', b: 'x' }],
    ['a flow entry without a value', 'm: {a}\n', { m: { a: 'x' } }],
    ['an empty document', '', { a: 1 }],
    ['a document of comments only', '# nothing yet\n', { a: 1 }],
  ])('gives no text (the caller writes the template afresh) for %s', (_case, input, output) => {
    expect(edited(input, output)).toBeUndefined();
  });
});
