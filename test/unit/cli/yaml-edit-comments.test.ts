// The CLI writes the transformed template over the user's YAML (src/cli/yaml-edit.ts): a comment on the line of a
// value it rewrites is the user's note about that value, and it stays on that line, wherever the user put it: after
// the value, or after the key with the value on the next line. Each case is the whole output, byte for byte.
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
      (id: string) => `        ImageUri: !GetAtt ${id}.ImageUri  # pinned by ops\n`,
    ],
    [
      'after the key of an intrinsic written as a mapping',
      '        ImageUri:  # per region\n          Fn::Sub: quay.io/a/b:${AWS::Region}\n',
      (id: string) => `        ImageUri: !GetAtt ${id}.ImageUri  # per region\n`,
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
});
