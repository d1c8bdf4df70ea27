// Every example template, the README's workload command and its samconfig.toml snippet follow the README's own
// advice for SAM CLI ("Use it with SAM"), judged by SAM CLI's rules as its source states them (test/support/sam-cli.ts).
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseCfnYaml } from '../../../src/cli/cfn-yaml.js';
import type { JsonObject } from '../../../src/template/types.js';
import { TEMPLATE_PATH } from '../../../scripts/package-stackset.js';
import { parseSamconfigDeploy, parseSamDeployCommand, samDeployProblems } from '../../support/sam-cli.js';

const ROOT = join(TEMPLATE_PATH, '..');
/** The README and every docs/ page: the docs promises tested here may live on either. */
const DOCS = ['README.md', ...readdirSync(join(ROOT, 'docs')).map((file) => `docs/${file}`)].map((file) => readFileSync(join(ROOT, file), 'utf8')).join('\n');
const EXAMPLES = readdirSync(join(ROOT, 'examples'))
  .filter((file) => /\.ya?ml$/.test(file))
  .map((file) => {
    const text = readFileSync(join(ROOT, 'examples', file), 'utf8');
    return { file, text, template: parseCfnYaml(text) as JsonObject, bytes: Buffer.byteLength(text) };
  });

/** The docs section under `heading`, up to the next heading of the same or a higher level. */
function section(heading: string): string {
  const start = DOCS.indexOf(`\n${heading}\n`);
  if (start < 0) throw new Error(`the README and docs/ have no ${heading}`);
  const level = /^#+/.exec(heading)![0].length;
  const rest = DOCS.slice(start + heading.length + 2);
  const end = rest.search(new RegExp(`\\n#{1,${level}} `));
  return end < 0 ? rest : rest.slice(0, end);
}

/** Code blocks of a README section, with their info string. */
function codeBlocks(text: string): Array<{ lang: string; code: string }> {
  return [...text.matchAll(/^ *```(\w*)\n([\s\S]*?)^ *```$/gm)].map((m) => ({ lang: m[1]!, code: m[2]!.replace(/^ {3}/gm, '') }));
}

/** `sam deploy` commands in a template's header comment (`#   sam deploy ... \` continued lines). */
function headerCommands(text: string): string[] {
  const comment = text
    .split('\n')
    .filter((line) => line.startsWith('#'))
    .map((line) => line.replace(/^#\s?/, ''))
    .join('\n');
  return [...comment.matchAll(/^\s*(sam deploy(?:[^\n]*\\\n)*[^\n]*)$/gm)].map((m) => m[1]!);
}

const useItWithSam = section('# Use it with SAM');

describe('examples/: deployable with sam deploy as the README says', () => {
  it('there are examples, and each uses the transform with image functions', () => {
    expect(EXAMPLES.map((e) => e.file).sort()).toEqual(['sam-function.yaml', 'sysdig-instrumentation.yaml']);
    for (const { template } of EXAMPLES) expect(JSON.stringify(template.Transform)).toContain('SysdigImageFix');
  });

  it.each(EXAMPLES.map((example) => [example.file, example] as const))('%s shows a sam deploy command that SAM CLI accepts', (_file, example) => {
    const commands = headerCommands(example.text);
    expect(commands).toHaveLength(1);
    const options = parseSamDeployCommand(commands[0]!);
    expect(options.templateFile).toBe(`examples/${example.file}`);
    expect(samDeployProblems(example.template, example.bytes, options)).toEqual([]);
  });

  it.each(EXAMPLES.map((example) => [example.file, example] as const))(
    "%s deploys with the README's shortest workload command and its samconfig.toml snippet",
    (_file, example) => {
      const command = codeBlocks(useItWithSam)
        .find((block) => block.lang === 'sh' && block.code.includes('sam deploy'))!
        .code.trim();
      expect(samDeployProblems(example.template, example.bytes, parseSamDeployCommand(command))).toEqual([]);
      const toml = codeBlocks(useItWithSam).find((block) => block.lang === 'toml')!.code;
      expect(samDeployProblems(example.template, example.bytes, parseSamconfigDeploy(toml))).toEqual([]);
    },
  );

  it("the README's own image-function snippet passes a third-party image through a parameter", () => {
    const snippet = codeBlocks(useItWithSam).find((block) => block.lang === 'yaml' && block.code.includes('PatcherImage'))!.code;
    const template = { Transform: 'SysdigImageFix', ...(parseCfnYaml(snippet) as JsonObject) };
    const options = parseSamconfigDeploy(codeBlocks(useItWithSam).find((block) => block.lang === 'toml')!.code);
    expect(samDeployProblems(template, snippet.length, options)).toEqual([]);
  });
});

describe('the SAM CLI rules used above (the check is live)', () => {
  const literal = (imageUri: string): JsonObject => ({
    Transform: ['SysdigImageFix', 'AWS::Serverless-2016-10-31'],
    Resources: { Fn: { Type: 'AWS::Serverless::Function', Properties: { PackageType: 'Image', ImageUri: imageUri } } },
  });
  const ok = parseSamDeployCommand('sam deploy --capabilities CAPABILITY_IAM CAPABILITY_AUTO_EXPAND --image-repository 123456789012.dkr.ecr.eu-west-1.amazonaws.com/x');

  it('refuses what the issue saw: a literal public.ecr.aws ImageUri, and a command without an image repository option', () => {
    expect(samDeployProblems(literal('public.ecr.aws/lambda/nodejs:20'), 100, ok)).toEqual([
      'Fn: Unable to upload artifact public.ecr.aws/lambda/nodejs:20: a literal image URI that is not ECR is pushed as a local image',
    ]);
    expect(samDeployProblems(literal('123456789012.dkr.ecr.us-east-1.amazonaws.com/app:1'), 100, ok)).toEqual([]);
    const withoutRepository = parseSamDeployCommand('sam deploy --capabilities CAPABILITY_IAM CAPABILITY_AUTO_EXPAND');
    expect(samDeployProblems(literal('123456789012.dkr.ecr.us-east-1.amazonaws.com/app:1'), 100, withoutRepository)).toEqual([
      "Missing option '--image-repositories', '--image-repository', '--resolve-image-repos'",
    ]);
    expect(samDeployProblems(literal('123456789012.dkr.ecr.us-east-1.amazonaws.com/app:1'), 100, { ...withoutRepository, guided: true })).toEqual([]);
  });

  it('refuses a repository that is not an ECR URI, an incomplete --image-repositories, two options at once, and missing capabilities', () => {
    const template = literal('123456789012.dkr.ecr.us-east-1.amazonaws.com/app:1');
    expect(samDeployProblems(template, 100, { ...ok, imageRepository: 'quay.io/x' })).toEqual(['Invalid Image Repository ECR URI: quay.io/x']);
    expect(samDeployProblems(template, 100, { capabilities: ok.capabilities!, imageRepositories: { Other: ok.imageRepository! } })).toEqual([
      "Incomplete list of function logical ids specified for '--image-repositories'.",
    ]);
    expect(samDeployProblems(template, 100, { ...ok, resolveImageRepos: true })).toEqual([
      "Only one of the following can be provided: '--image-repositories', '--image-repository', '--resolve-image-repos'",
    ]);
    expect(samDeployProblems(template, 100, { ...ok, capabilities: ['CAPABILITY_IAM'] })).toEqual(['SysdigImageFix is a macro: CAPABILITY_AUTO_EXPAND is required']);
    expect(samDeployProblems(template, 100, { ...ok, capabilities: ['CAPABILITY_AUTO_EXPAND'] })).toEqual(['the template creates IAM roles: CAPABILITY_IAM is required']);
    expect(samDeployProblems(template, 60_000, ok)).toEqual(['the template is 60000 bytes: more than 51200 needs --s3-bucket or --resolve-s3']);
  });

  it('leaves an intrinsic ImageUri to CloudFormation, as ResourceImage.export does', () => {
    expect(samDeployProblems(literal({ Ref: 'Image' } as never), 100, ok)).toEqual([]);
  });
});

describe('README: SAM CLI facts', () => {
  it('states the minimum SAM CLI version for nodejs24.x and CAPABILITY_AUTO_EXPAND wherever the transform is deployed', () => {
    expect(section('# Deploy the macro (once per account and region)')).toContain('**1.147.1 or later**');
    expect(useItWithSam).toContain('--resolve-image-repos');
    for (const { code } of codeBlocks(DOCS).filter((block) => /sam deploy .*--template-file|aws cloudformation deploy/.test(block.code))) {
      if (/sysdig-image-fix(?:-\d+\.\d+\.\d+)?\.yaml/.test(code)) continue; // the macro stack itself uses no transform
      expect(code).toContain('CAPABILITY_AUTO_EXPAND');
    }
  });
});
