// The CLI reads its own Transform entry's Parameters as CloudFormation hands them to the macro: options with the same
// checks, a Ref resolved with the values given here. Its entry leaves the output; other transforms stay, in order.
import { describe, expect, it } from 'vitest';
import { parseCfnYaml } from '../../../src/cli/cfn-yaml.js';
import type { JsonObject } from '../../../src/template/types.js';
import { runCli } from './run-cli.js';

const SAM = 'AWS::Serverless-2016-10-31';

function templateText(transform: string, extra = ''): string {
  return [
    `Transform: ${transform}`,
    'Parameters:',
    '  Prefix: {Type: String, Default: from/default}',
    'Resources:',
    '  Fn:',
    '    Type: AWS::Lambda::Function',
    '    Properties: {PackageType: Image, Role: arn:aws:iam::123456789012:role/r, Code: {ImageUri: quay.io/org/app:1}}',
    extra,
  ].join('\n');
}

async function transformText(text: string, ...flags: string[]) {
  return runCli(['transform', '-', '--region', 'eu-west-1', ...flags], { stdin: text });
}

const outputOf = (stdout: string): JsonObject => parseCfnYaml(stdout) as JsonObject;
const mirrorProperties = (output: JsonObject): JsonObject =>
  (Object.values(output.Resources as JsonObject).find((r) => (r as JsonObject).Type === 'Custom::ImageMirror') as JsonObject).Properties as JsonObject;

describe('CLI: Transform parameters', () => {
  it('uses RepositoryPrefix from its Transform entry (before: ignored, sysdig-image-fix/...)', async () => {
    const { code, stdout } = await transformText(templateText('[{Name: SysdigImageFix, Parameters: {RepositoryPrefix: team/mirrors}}]'));
    expect(code).toBe(0);
    expect(mirrorProperties(outputOf(stdout)).RepositoryName).toBe('team/mirrors/quay.io/org/app');
  });

  it('fails (exit 1) naming an unknown key (before: exit 0, the key ignored)', async () => {
    const { code, stdout, stderr } = await transformText(templateText('[{Name: SysdigImageFix, Parameters: {RepositoryPrefix: team/mirrors, Bogus: 1}}]'));
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toContain('Transform SysdigImageFix: unknown option "Bogus" in Parameters; allowed keys: RepositoryPrefix');
  });

  it('resolves a Ref to a template parameter with --parameter, else its Default, and warns that the output holds that value', async () => {
    const text = templateText('{Name: SysdigImageFix, Parameters: {RepositoryPrefix: !Ref Prefix}}');
    const given = await transformText(text, '--parameter', 'Prefix=given/prefix');
    expect(mirrorProperties(outputOf(given.stdout)).RepositoryName).toBe('given/prefix/quay.io/org/app');
    expect(given.stderr).toContain('warning: Template: Transform SysdigImageFix Parameters.RepositoryPrefix is {"Ref":"Prefix"}, "given/prefix" here');
    const byDefault = await transformText(text);
    expect(mirrorProperties(outputOf(byDefault.stdout)).RepositoryName).toBe('from/default/quay.io/org/app');
  });

  it('refuses what CloudFormation refuses there (any other intrinsic)', async () => {
    const { code, stderr } = await transformText(templateText("[{Name: SysdigImageFix, Parameters: {RepositoryPrefix: !Sub '${AWS::Region}/x'}}]"));
    expect(code).toBe(1);
    expect(stderr).toContain('must resolve to a string, number, boolean or a list of any of these');
  });

  it('refuses a Transform section that names SysdigImageFix twice', async () => {
    const { code, stderr } = await transformText(templateText('[SysdigImageFix, {Name: SysdigImageFix, Parameters: {Ecs: true}}]'));
    expect(code).toBe(2);
    expect(stderr).toContain('the Transform section names SysdigImageFix 2 times');
  });

  it.each([
    ['ours first', `[{Name: SysdigImageFix, Parameters: {RepositoryPrefix: team/mirrors}}, ${SAM}]`],
    ['ours last', `[${SAM}, {Name: SysdigImageFix, Parameters: {RepositoryPrefix: team/mirrors}}]`],
  ])('with SAM (%s): its own entry leaves the output, the SAM transform stays', async (_case, transforms) => {
    const { code, stdout } = await transformText(templateText(transforms));
    expect(code).toBe(0);
    const output = outputOf(stdout);
    expect(output.Transform).toEqual([SAM]);
    expect(mirrorProperties(output).RepositoryName).toBe('team/mirrors/quay.io/org/app');
  });
});
