// The CLI writes the transformed template over the user's YAML (src/cli/yaml-edit.ts): a comment on the line of a
// value it rewrites is the user's note about that value, and it stays on that line, wherever the user put it: after
// the value, or after the key with the value on the next line; comment lines between a key and its value stay too, and
// a value on a line of its own is rewritten there (issue 18: the smallest span). Each case is the whole output, byte
// for byte.
import { describe, expect, it } from 'vitest';
import { runCli } from './run-cli.js';

const HEADER = 'Transform: SysdigImageFix\nResources:\n  Fn:\n    Type: AWS::Lambda::Function\n    Properties:\n      PackageType: Image\n      Code:\n';

async function transformed(code: string): Promise<{ text: string; id: string }> {
  const run = await runCli(
    ['transform', '-', '--region', 'eu-west-1', '--account', '123456789012', '--mirror-function-arn', 'arn:aws:lambda:eu-west-1:123456789012:function:m'],
    {
      stdin: `${HEADER}${code}`,
    },
  );
  expect(run.code, run.stderr).toBe(0);
  expect(run.stderr).not.toContain('written afresh');
  const id = /ImageMirror[0-9a-f]{8}/.exec(run.stdout)?.[0];
  expect(id).toBeDefined();
  return { text: run.stdout, id: id! };
}

/** The `Code:` mapping of the output (the lines after the header, up to the added mirror). */
function codeOf(text: string): string {
  const rest = text.slice('Resources:\n  Fn:\n    Type: AWS::Lambda::Function\n    Properties:\n      PackageType: Image\n      Code:\n'.length);
  return rest.slice(0, rest.indexOf('\n  ImageMirror') + 1).replace(/\n+$/, '\n');
}

describe('Function: editYamlTemplate (comments on a rewritten value)', () => {
  it.each([
    ['after a plain value', '        ImageUri: quay.io/a/b:1  # pinned by ops\n', (id: string) => `        ImageUri: !GetAtt ${id}.ImageUri  # pinned by ops\n`],
    ['after a quoted value', "        ImageUri: 'quay.io/a/b:1'   # pinned by ops\n", (id: string) => `        ImageUri: !GetAtt ${id}.ImageUri   # pinned by ops\n`],
    [
      'after the key, the value on the next line',
      '        ImageUri:   # pinned by ops\n          quay.io/a/b:1\n',
      (id: string) => `        ImageUri:   # pinned by ops\n          !GetAtt ${id}.ImageUri\n`,
    ],
    [
      'after the key of an intrinsic written as a mapping',
      '        ImageUri:  # per region\n          Fn::Sub: quay.io/a/b:${AWS::Region}\n',
      (id: string) => `        ImageUri:  # per region\n          !GetAtt ${id}.ImageUri\n`,
    ],
    [
      'after a short-tag intrinsic',
      '        ImageUri: !Sub "quay.io/a/b:${AWS::Region}"  # per region\n',
      (id: string) => `        ImageUri: !GetAtt ${id}.ImageUri  # per region\n`,
    ],
  ])('keeps a comment %s', async (_case, code, expected) => {
    const { text, id } = await transformed(code);
    expect(text.startsWith('Resources:\n')).toBe(true);
    expect(codeOf(text)).toBe(expected(id));
  });

  it('keeps the comment lines around the rewritten line where they were', async () => {
    const code = '        # the image\n        ImageUri: quay.io/a/b:1  # pinned by ops\n        # end of Code\n';
    const { text, id } = await transformed(code);
    expect(codeOf(text)).toBe(`        # the image\n        ImageUri: !GetAtt ${id}.ImageUri  # pinned by ops\n        # end of Code\n`);
  });

  it.each([
    [
      'a plain value',
      '        ImageUri:\n          # the image\n          quay.io/a/b:1\n',
      (id: string) => `        ImageUri:\n          # the image\n          !GetAtt ${id}.ImageUri\n`,
    ],
    [
      'a short-tag value',
      '        ImageUri:\n          # per region\n          !Sub "quay.io/a/b:${AWS::Region}"  # pinned\n',
      (id: string) => `        ImageUri:\n          # per region\n          !GetAtt ${id}.ImageUri  # pinned\n`,
    ],
    [
      'an intrinsic written as a mapping',
      '        ImageUri:\n          # per region\n          Fn::Sub: quay.io/a/b:${AWS::Region}\n',
      (id: string) => `        ImageUri:\n          # per region\n          !GetAtt ${id}.ImageUri\n`,
    ],
    [
      'a value whose tag is on the key line',
      '        ImageUri: !Sub  # per region\n          # the patcher\n          "quay.io/a/b:${AWS::Region}"\n',
      (id: string) => `        ImageUri:  # per region\n          # the patcher\n          !GetAtt ${id}.ImageUri\n`,
    ],
    [
      'a value after several comment lines, a blank line and a comment on the key line',
      '        ImageUri:   # pinned by ops\n          # one\n\n        # two, less indented\n          quay.io/a/b:1  # three\n',
      (id: string) => `        ImageUri:   # pinned by ops\n          # one\n\n        # two, less indented\n          !GetAtt ${id}.ImageUri  # three\n`,
    ],
  ])('keeps comment lines between the key and %s where they were, and rewrites the value on its own line', async (_case, code, expected) => {
    const { text, id } = await transformed(code);
    expect(codeOf(text)).toBe(expected(id));
  });

  it('keeps the comment line of `ImageUri:` / `# the patcher` / `!Ref PatcherImage` (issue 18) and rewrites only the value line', async () => {
    const input = [
      'Transform: SysdigImageFix',
      'Parameters:',
      '  PatcherImage: {Type: String, Default: quay.io/sysdig/patcher:1}',
      'Resources:',
      '  Patcher:',
      '    Type: AWS::Serverless::Function',
      '    Properties:',
      '      PackageType: Image',
      '      ImageUri:',
      '        # the patcher',
      '        !Ref PatcherImage',
      '      Timeout: 30',
      '',
    ].join('\n');
    const run = await runCli(['transform', '-', '--region', 'eu-west-1', '--account', '123456789012'], { stdin: input });
    expect(run.code, run.stderr).toBe(0);
    const mirror = /^ {2}(ImageMirror[0-9a-f]{8}):$/m.exec(run.stdout)![1]!;
    const expected = input.replace('Transform: SysdigImageFix\n', '').replace('!Ref PatcherImage', `!GetAtt ${mirror}.ImageUri`);
    expect(run.stdout.slice(0, expected.length)).toBe(expected);
  });
});
