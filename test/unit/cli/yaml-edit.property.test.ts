// The YAML output is the user's text with only the macro's changes, for every kind of site and wherever the value
// sits: generated templates with comments, every site kind (Lambda, SAM, task definition, MirrorParameters uses in
// Fn::Sub, Fn::Join, Fn::If, Outputs) and every way of writing a value (plain, quoted, block scalar, long-form
// Fn::Sub, short tags, flow collections, trailing comments). Each generated line says whether the transform may
// change it; the line diff between input and output must change no other line, and the output, read back by the
// CLI's reader, must equal the JSON output.
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { readCfnYaml } from '../../../src/cli/cfn-yaml.js';
import { lineDiff } from '../../support/line-diff.js';
import { REAL_TEMPLATES_DIR } from '../../support/test-data.js';
import { runCli } from './run-cli.js';

const RUNS = Number(process.env.YAML_EDIT_PROPERTY_RUNS ?? 150);
const ARGS = ['transform', '-', '--region', 'eu-west-1', '--account', '123456789012'];

/** `site`: a value line the transform may rewrite; `transform`: part of the Transform section; `fixed`: stays. */
type Kind = 'fixed' | 'site' | 'transform';
interface Line {
  readonly text: string;
  readonly kind: Kind;
}

/** How a value is written: on the key's line, as `Fn::Sub:` on the next line, or as a folded block scalar. */
type Form = 'inline' | 'sub-long' | 'folded';
interface Value {
  readonly form: Form;
  readonly text: string;
  /** Can stand inside a flow collection as written. */
  readonly flowSafe: boolean;
  readonly comment: boolean;
}

const IMAGES = ['quay.io/org/app:1', 'docker.io/library/nginx:1.27', 'public.ecr.aws/lambda/nodejs:20', '123456789012.dkr.ecr.eu-west-1.amazonaws.com/kept:1'];

const inline = (text: string, flowSafe = true) => ({ form: 'inline' as const, text, flowSafe });

/** An image site's value. */
const siteValue: fc.Arbitrary<Value> = fc
  .tuple(
    fc.constantFrom(...IMAGES),
    fc.constantFrom<(image: string) => Omit<Value, 'comment'>>(
      (image) => inline(image, false),
      (image) => inline(`'${image}'`),
      (image) => inline(`"${image}"`),
      () => inline('!Ref Image'),
      () => inline('!Ref Agent'),
      (image) => inline(`!Sub '${image.replace(/:[^:]*$/, ':${Tag}')}'`),
      (image) => inline(`!Sub ${image.replace(/:[^:]*$/, ':${Tag}')}`, false),
      (image) => ({ form: 'sub-long', text: `"${image.replace(/:[^:]*$/, ':${Tag}')}"`, flowSafe: false }),
      (image) => ({ form: 'folded', text: image, flowSafe: false }),
    ),
    fc.boolean(),
  )
  .map(([image, write, comment]) => ({ ...write(image), comment }));

/** A value elsewhere (environment variable, SSM parameter, output): a use of the mirrored parameter, or not. */
const useValue: fc.Arbitrary<Value> = fc
  .tuple(
    fc.constantFrom<Omit<Value, 'comment'>>(
      inline('!Ref Agent'),
      inline(`!Sub 'agent=\${Agent}'`),
      inline('!Sub "${Agent}"'),
      inline('!Sub ${Agent}', false),
      { form: 'sub-long', text: 'agent=${Agent}', flowSafe: false },
      inline("!Join ['', [!Ref Agent, ':x']]"),
      inline('!If [IsProd, !Ref Agent, !Ref AWS::NoValue]'),
      inline("!Sub ['${Agent}-${X}', {X: !Ref AWS::Region}]"),
      inline('!Ref AWS::Region'),
      inline('plain text', false),
    ),
    fc.boolean(),
  )
  .map(([value, comment]) => ({ ...value, comment }));

interface Render {
  comments: number;
}

function pad(column: number): string {
  return ' '.repeat(column);
}

/** `key: value` at `column` (`- ` before the key when `item`), with a unique trailing comment when asked. */
function valueLines(render: Render, column: number, key: string, value: Value, item = false): Line[] {
  const comment = value.comment ? `  # t${render.comments++}` : '';
  const lead = `${pad(column)}${item ? '- ' : ''}${key}:`;
  const inner = pad(column + (item ? 2 : 0) + 2);
  if (value.form === 'sub-long') {
    return [
      { text: `${lead}${comment}`, kind: 'site' },
      { text: `${inner}Fn::Sub: ${value.text}`, kind: 'site' },
    ];
  }
  if (value.form === 'folded') {
    return [
      { text: `${lead} >-${comment}`, kind: 'site' },
      { text: `${inner}${value.text}`, kind: 'site' },
    ];
  }
  return [{ text: `${lead} ${value.text}${comment}`, kind: 'site' }];
}

const fixed = (...texts: string[]): Line[] => texts.map((text) => ({ text, kind: 'fixed' }));

type Resource = (render: Render, id: string) => Line[];

const lambda = fc.tuple(siteValue, fc.boolean(), useValue).map(
  ([image, flow, use]): Resource =>
    (render, id) => [
      ...fixed(`  ${id}:`, '    Type: AWS::Lambda::Function', '    Properties:', '      PackageType: Image', '      Role: arn:aws:iam::123456789012:role/fn'),
      ...(flow && image.flowSafe && !image.comment
        ? [{ text: `      Code: {ImageUri: ${image.text}}`, kind: 'site' as const }]
        : [...fixed('      Code:'), ...valueLines(render, 8, 'ImageUri', image)]),
      ...fixed('      Environment:', '        Variables:'),
      ...valueLines(render, 10, 'AGENT', use),
    ],
);

const sam = siteValue.map(
  (image): Resource =>
    (render, id) => [...fixed(`  ${id}:`, '    Type: AWS::Serverless::Function', '    Properties:', '      PackageType: Image'), ...valueLines(render, 6, 'ImageUri', image)],
);

/** One container: block mapping with an Environment list (a use, and a use inside a block `!If`), or a flow mapping. */
const container = fc
  .tuple(siteValue, useValue, useValue, fc.boolean(), fc.boolean())
  .map(([image, use, conditional, flow, commented]) => (render: Render, index: number): Line[] => {
    const before = commented ? fixed(`        # container ${index}`) : [];
    if (flow && image.flowSafe && use.flowSafe && !image.comment) {
      return [...before, { text: `        - {Name: c${index}, Image: ${image.text}, Environment: [{Name: A, Value: ${use.text}}]}`, kind: 'site' }];
    }
    return [
      ...before,
      ...fixed(`        - Name: c${index}`),
      ...valueLines(render, 10, 'Image', image),
      ...fixed('          Environment:'),
      ...fixed('            - Name: A'),
      ...valueLines(render, 14, 'Value', use),
      ...fixed('            - !If', '              - IsProd', '              - Name: B'),
      ...valueLines(render, 16, 'Value', conditional),
      ...fixed('              - !Ref AWS::NoValue'),
    ];
  });

const task = fc.array(container, { minLength: 1, maxLength: 3 }).map(
  (containers): Resource =>
    (render, id) => [
      ...fixed(
        `  ${id}:`,
        '    Type: AWS::ECS::TaskDefinition',
        '    Properties:',
        '      ExecutionRoleArn: arn:aws:iam::123456789012:role/exec',
        '      ContainerDefinitions:',
      ),
      ...containers.flatMap((write, index) => write(render, index)),
    ],
);

const ssm = useValue.map(
  (use): Resource =>
    (render, id) => [...fixed(`  ${id}:`, '    Type: AWS::SSM::Parameter', '    Properties:', '      Type: String'), ...valueLines(render, 6, 'Value', use)],
);

const transformSection = fc.constantFrom<Line[]>(
  [{ text: 'Transform: SysdigImageFix', kind: 'transform' }],
  [{ text: 'Transform: [SysdigImageFix, AWS::Serverless-2016-10-31]  # both', kind: 'transform' }],
  [
    { text: 'Transform:', kind: 'transform' },
    { text: '  - AWS::Serverless-2016-10-31', kind: 'transform' },
    ...fixed('  # ours comes second'),
    { text: '  - SysdigImageFix  # mirrors images', kind: 'transform' },
  ],
);

const templateText = fc
  .record({
    transform: transformSection,
    mirrorParameters: fc.boolean(),
    resources: fc.array(fc.oneof(lambda, sam, task, ssm), { minLength: 1, maxLength: 5 }),
    outputs: fc.array(useValue, { maxLength: 2 }),
    commentEvery: fc.boolean(),
  })
  .map(({ transform, mirrorParameters, resources, outputs, commentEvery }) => {
    const render: Render = { comments: 0 };
    const lines: Line[] = [
      ...fixed('# Generated template', 'AWSTemplateFormatVersion: "2010-09-09"'),
      ...transform,
      ...fixed('Metadata:', '  SysdigImageFix:', '    Ecs: true  # tasks in private subnets'),
      ...(mirrorParameters ? fixed('    MirrorParameters: [Agent]') : []),
      ...fixed(
        'Parameters:',
        '  Image:  # a Lambda image',
        '    Type: String',
        '    Default: quay.io/org/param:2',
        '  Agent:',
        '    Type: String',
        '    Default: quay.io/sysdig/agent:5',
        '  Tag: {Type: String, Default: "1.0"}',
        'Conditions:',
        '  IsProd: !Equals [!Ref AWS::Region, eu-west-1]',
        'Resources:',
      ),
      ...resources.flatMap((write, index) => [...(commentEvery ? fixed(`  # resource ${index}`) : []), ...write(render, `Res${index}`)]),
      ...(outputs.length > 0 ? fixed('Outputs:') : []),
      ...outputs.flatMap((use, index) => [...fixed(`  Out${index}:`), ...valueLines(render, 4, 'Value', use)]),
    ];
    return { lines, text: `${lines.map((line) => line.text).join('\n')}\n`, comments: render.comments };
  });

/** The output without the injected Custom::ImageMirror entries (and the blank line put before each). */
function withoutInjected(lines: readonly string[]): string[] {
  const kept: string[] = [];
  let inMirror = false;
  for (const line of lines) {
    if (/^ {2}ImageMirror[0-9a-f]{8}:$/.test(line)) {
      inMirror = true;
      if (kept.at(-1) === '') kept.pop();
      continue;
    }
    if (inMirror && line.startsWith('    ')) continue;
    inMirror = false;
    kept.push(line);
  }
  return kept;
}

describe('YAML output over the input text (property)', () => {
  it('changes only rewritten values, the Transform entry and the added resources; reads back as the JSON output', async () => {
    await fc.assert(
      fc.asyncProperty(templateText, async ({ lines, text, comments }) => {
        const yaml = await runCli(ARGS, { stdin: text });
        const json = await runCli([...ARGS, '--format', 'json'], { stdin: text });
        expect(yaml.code, yaml.stderr).toBe(0);
        expect(json.code).toBe(0);
        expect(yaml.stderr).not.toContain('written afresh');
        expect(readCfnYaml(yaml.stdout).value).toEqual(JSON.parse(json.stdout));

        const output = withoutInjected(yaml.stdout.replace(/\n$/, '').split('\n'));
        const { removed, added } = lineDiff(
          lines.map((line) => line.text),
          output,
        );
        for (const index of removed) expect(lines[index]!.kind, `removed: ${lines[index]!.text}`).not.toBe('fixed');
        for (const index of added) {
          expect(output[index], 'an added line').toMatch(/ImageMirror[0-9a-f]{8}[.,]|^Transform: \[AWS::Serverless-2016-10-31\] {2}# both$/);
        }
        // Every trailing comment of a value stays, once.
        for (let n = 0; n < comments; n++) expect(yaml.stdout.split(`# t${n}\n`)).toHaveLength(2);
      }),
      { numRuns: RUNS },
    );
  });
});

describe('YAML output over the input text (examples)', () => {
  it('the two-container task definition of issue 18: only the Image values change, every comment stays in place', async () => {
    const input = [
      'Transform: SysdigImageFix',
      'Metadata: {SysdigImageFix: {Ecs: true}}',
      'Resources:',
      '  Task:',
      '    Type: AWS::ECS::TaskDefinition',
      '    Properties:',
      '      ExecutionRoleArn: arn:aws:iam::123456789012:role/exec',
      '      ContainerDefinitions:',
      '        # the app',
      '        - Name: app',
      '          Image: quay.io/a/app:1  # pinned upstream',
      '        # the sidecar',
      '        - Name: sidecar',
      '          Image: docker.io/library/nginx:1',
      '',
    ].join('\n');
    const run = await runCli(ARGS, { stdin: input });
    expect(run.code).toBe(0);
    const [app, sidecar] = [...run.stdout.matchAll(/^ {2}(ImageMirror[0-9a-f]{8}):$/gm)].map((match) => match[1]!);
    const expected = input
      .replace('Transform: SysdigImageFix\n', '')
      .replace('Image: quay.io/a/app:1  # pinned upstream', `Image: !GetAtt ${app}.ImageUri  # pinned upstream`)
      .replace('Image: docker.io/library/nginx:1', `Image: !GetAtt ${sidecar}.ImageUri`);
    expect(run.stdout.slice(0, expected.length)).toBe(expected);
    expect(run.stdout.slice(expected.length)).toMatch(new RegExp(`^ {2}${app}:\\n {4}Type: Custom::ImageMirror\\n`));
  });

  it.each([
    ["!Sub 'agent=${Agent}'", "!Sub 'agent=${M.ImageUri}'"],
    ['!Sub "agent=${Agent}"', '!Sub "agent=${M.ImageUri}"'],
    ['!Sub agent=${Agent}  # keep', '!Sub agent=${M.ImageUri}  # keep'],
    ["!Sub ['${Agent}:${T}', {T: !Ref AWS::Region}]", "!Sub ['${M.ImageUri}:${T}', {T: !Ref AWS::Region}]"],
    ['[!Ref Agent, !Ref AWS::Region]', '[!GetAtt M.ImageUri, !Ref AWS::Region]'],
    ['!If [C, !Ref Agent, "x"]', '!If [C, !GetAtt M.ImageUri, "x"]'],
    ['{A: !Ref Agent, B: 1}', '{A: !GetAtt M.ImageUri, B: 1}'],
    ['|\n        ${Agent}\n        second line', '|\n        ${M.ImageUri}\n        second line'],
  ])('a use written %j keeps its tag, quoting and layout: only the parameter changes', async (written, rewritten) => {
    const input = [
      'Transform: SysdigImageFix',
      'Metadata: {SysdigImageFix: {MirrorParameters: [Agent]}}',
      'Parameters: {Agent: {Type: String, Default: quay.io/a/agent:1}}',
      'Conditions: {C: !Equals [a, b]}',
      'Resources:',
      '  Param:',
      '    Type: AWS::SSM::Parameter',
      '    Properties:',
      '      Type: String',
      `      Value: ${written.startsWith('|') ? `!Sub ${written}` : written}`,
      '',
    ].join('\n');
    const run = await runCli(ARGS, { stdin: input });
    expect(run.code, run.stderr).toBe(0);
    const mirror = /^ {2}(ImageMirror[0-9a-f]{8}):$/m.exec(run.stdout)![1]!;
    const value = (written.startsWith('|') ? `!Sub ${rewritten}` : rewritten).replaceAll('M.ImageUri', `${mirror}.ImageUri`);
    expect(run.stdout).toContain(`\n      Value: ${value}\n  ${mirror}:\n`);
  });
});

describe("Sysdig's orchestrator agent template (../shared/real-templates), Ecs: true", () => {
  it('changes the one Image line, and adds the Ecs option and the mirror; nothing else', async () => {
    const original = readFileSync(`${REAL_TEMPLATES_DIR}sysdig-orchestrator-agent-5.0.1.yaml`, 'utf8');
    // The option goes into the template's Metadata (the only edit to the input).
    const input = original.replace('\nMetadata:\n', '\nMetadata:\n  SysdigImageFix: {Ecs: true}\n');
    expect(input).not.toBe(original);
    const parameters = ['SysdigAccessKey=k', 'VPC=vpc-1', 'SubnetA=subnet-1', 'SubnetB=subnet-2', 'NetworkType=Private'].flatMap((pair) => ['--parameter', pair]);
    const run = await runCli([...ARGS, ...parameters], { stdin: input });
    expect(run.code, run.stderr).toBe(0);
    const { removed, added } = lineDiff(original.split('\n'), run.stdout.split('\n'));
    const inputLines = original.split('\n');
    const outputLines = run.stdout.split('\n');
    expect(removed.map((index) => inputLines[index])).toEqual(['          Image: !Ref SysdigOrchestratorAgentImage']);
    const mirror = /^ {2}(ImageMirror[0-9a-f]{8}):$/m.exec(run.stdout)![1]!;
    // The new entry comes after a blank line, as the template's resources do (where the diff puts it is arbitrary).
    expect(added.filter((index) => outputLines[index] === '')).toHaveLength(1);
    expect(added.map((index) => outputLines[index]).filter((line) => line !== '')).toEqual([
      '  SysdigImageFix: {Ecs: true}',
      `          Image: !GetAtt ${mirror}.ImageUri`,
      `  ${mirror}:`,
      '    Type: Custom::ImageMirror',
      // The task definition waits for its log group; its mirror waits for what the site waits for (issue 18).
      '    DependsOn:',
      '    - SysdigOrchestratorAgentLogs',
      '    Properties:',
      '      ServiceToken: !ImportValue SysdigImageFix-MirrorFunctionArn',
      '      ServiceTimeout: 3600',
      '      SourceImage: !Ref SysdigOrchestratorAgentImage',
      '      Architecture: x86_64',
      '      RepositoryPrefix: sysdig-image-fix',
    ]);
  });
});
