// The CLI reads YAML as cfn-lint's decoder does (cfnlint.decode.cfn_yaml on PyYAML: YAML 1.1, short tags).
// Differential test, cfn-lint being the oracle: the same text read by both must give the same JSON (or both
// must refuse it), over the real third-party templates, the project's examples and generated documents that mix
// YAML 1.1 scalar forms with short tags. Conversions for values JSON cannot hold: test/support/cfn-yaml-oracle.ts.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { readCfnYaml } from '../../src/cli/cfn-yaml.js';
import { main } from '../../src/cli/main.js';
import { canonicalJson } from '../../src/values.js';
import { comparable, readWithCfnLint, type OracleReading } from '../support/cfn-yaml-oracle.js';
import { haveTestData, REAL_TEMPLATES, REAL_TEMPLATES_DIR } from '../support/test-data.js';
import { haveTools, TOOLS } from '../support/tools.js';
import { YAML_SHAPES } from '../support/yaml-shapes.js';

const ROOT = new URL('../../', import.meta.url).pathname;
const EXAMPLES = join(ROOT, 'examples');
/** Fixed so that a failure reproduces; FC_SEED=<n> explores other documents. */
const SEED = Number(process.env.FC_SEED ?? 80_808);
export const GENERATED_DOCUMENTS = 600;

type Reading = { readonly value: unknown } | { readonly error: string };

function readWithCli(text: string): Reading {
  try {
    return { value: comparable(readCfnYaml(text).value) };
  } catch (error) {
    return { error: error instanceof Error ? error.message : String(error) };
  }
}

/** Agreement: equal JSON, or both refuse the text (the messages differ by design). */
function disagreement(text: string, cli: Reading, oracle: OracleReading): string | undefined {
  if ('error' in cli && 'error' in oracle) return undefined;
  if ('value' in cli && 'value' in oracle && canonicalJson(cli.value) === canonicalJson(oracle.value)) return undefined;
  const show = (reading: Reading) => ('error' in reading ? `error: ${reading.error.split('\n')[0]}` : canonicalJson(reading.value));
  return `--- text:\n${text}\n--- cli:    ${show(cli)}\n--- cfn-lint: ${show(oracle)}`;
}

// ---- generated documents ----------------------------------------------------------------------------------------

/** Plain scalars whose YAML 1.1 meaning differs from 1.2 or from a string, and ordinary strings. */
const PLAIN_FORMS = [
  // integers: octal-looking, not octal, binary, hex, underscores, base 60, signs
  '0755',
  '084828588479',
  '0',
  '00',
  '007',
  '08',
  '09',
  '0o17',
  '0b101',
  '-0b1_0',
  '0x1F',
  '0x_1f',
  '+0x1F',
  '-0x1F',
  '1_000',
  '1__0',
  '+12',
  '-0',
  '12',
  '123456789012',
  '1:20',
  '-1:20',
  '190:20:30',
  '1:60',
  '12:30:45',
  '0_',
  // floats: 1.1 needs a dot and a signed exponent
  '.inf',
  '-.inf',
  '+.inf',
  '.Inf',
  '.NAN',
  '.nan',
  '.5',
  '-.5',
  '+.5',
  '1.',
  '1.5',
  '-1.5',
  '1.5e+3',
  '1.5e3',
  '1e3',
  '1E3',
  '1.0e-7',
  '6.02e+23',
  '1_0.5_0',
  '1:20.5',
  '09.5',
  // booleans and null: y/n/Y/N are strings for PyYAML
  'yes',
  'Yes',
  'YES',
  'no',
  'No',
  'NO',
  'on',
  'On',
  'ON',
  'off',
  'Off',
  'OFF',
  'y',
  'Y',
  'n',
  'N',
  'true',
  'True',
  'TRUE',
  'false',
  'False',
  'FALSE',
  '~',
  'null',
  'Null',
  'NULL',
  'nULL',
  // timestamps (dates need two-digit month and day; times may have one-digit parts)
  '2010-09-09',
  '2012-10-17',
  '2001-12-14t21:59:43.10-05:00',
  '2001-12-14 21:59:43.10 -5',
  '2001-12-14T21:59:43Z',
  '2001-1-2',
  '2001-01-02 3:04:05',
  '2020-02-29',
  '2000-02-29',
  '2001-12-14 21:59:43.1234567 +05:30',
  // strings
  'quay.io/sysdig/serverless-patcher:5.0.1',
  'nginx',
  'arn:aws:iam::aws:policy/ReadOnlyAccess',
  'hello world',
  'a:b',
  'x#y',
  'sha256-0755',
  'v1.2.3',
  '1.2.3',
  '0x',
  '0b',
  'yes please',
  '12 monkeys',
  'e',
  'Inf',
];
/** Values PyYAML refuses to load (a plain `=` or `<<` value, an impossible date, `0x_`): both sides must refuse. */
const REFUSED_FORMS = ['=', '<<', '2001-02-30', '2100-02-29', '1900-02-29', '2023-02-29', '0x_', '2001-12-14 24:00:00'];
const KEY_FORMS = [
  'Name',
  'Value',
  'Image',
  'Description',
  'Key1',
  'Default',
  'yes',
  'No',
  'on',
  '0755',
  '12',
  '1_000',
  '0x1F',
  '1:20',
  '2010-09-09',
  '1.5',
  'y',
  'n',
  'true',
  'Ref',
];
const IDENTIFIERS = ['PatcherImage', 'Role', 'Bucket', 'AWS::Region', 'AWS::AccountId', 'IsProd', 'Images'];

const quoted = (text: string, style: "'" | '"') => (style === "'" ? `'${text.replace(/'/g, "''")}'` : JSON.stringify(text));

const scalar = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...PLAIN_FORMS) },
  { weight: 2, arbitrary: fc.tuple(fc.constantFrom(...PLAIN_FORMS), fc.constantFrom("'" as const, '"' as const)).map(([text, style]) => quoted(text, style)) },
);
const key = fc.constantFrom(...KEY_FORMS);
/** Keys Python takes for equal (yes == on == true == 1): generated mappings avoid them, the edge cases test them. */
function keyIdentity(name: string): string {
  if (['yes', 'on', 'true'].includes(name)) return 'True';
  if (name === 'No') return 'False';
  const numeric: Record<string, string> = { '0755': '493', '12': '12', '1_000': '1000', '0x1F': '31', '1:20': '80', '1.5': '1.5' };
  return numeric[name] ?? name;
}
const identifier = fc.constantFrom(...IDENTIFIERS);

/** A value written inline (flow context): scalars, short-tag intrinsics, flow lists and mappings. */
const flowValue: fc.Arbitrary<string> = fc.letrec<{ value: string }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    { weight: 8, arbitrary: scalar },
    { weight: 1, arbitrary: identifier.map((name) => `!Ref ${name}`) },
    { weight: 1, arbitrary: scalar.map((text) => `!Sub ${text}`) },
    { weight: 1, arbitrary: fc.constantFrom('!GetAtt Role.Arn', '!GetAtt Db.Endpoint.Address', '!GetAtt [Role, Arn]') },
    { weight: 1, arbitrary: fc.tuple(tie('value'), tie('value')).map(([a, b]) => `!If [IsProd, ${a}, ${b}]`) },
    { weight: 1, arbitrary: fc.array(tie('value'), { maxLength: 3 }).map((items) => `!Join ['', [${items.join(', ')}]]`) },
    { weight: 1, arbitrary: fc.tuple(scalar, scalar).map(([a, b]) => `!FindInMap [Images, ${a}, ${b}]`) },
    { weight: 1, arbitrary: tie('value').map((item) => `!Select [0, [${item}]]`) },
    { weight: 1, arbitrary: fc.array(tie('value'), { maxLength: 3 }).map((items) => `[${items.join(', ')}]`) },
    {
      weight: 1,
      arbitrary: fc
        .uniqueArray(fc.tuple(key, tie('value')), { maxLength: 3, selector: ([name]) => keyIdentity(name) })
        .map((pairs) => `{${pairs.map(([name, item]) => `${name}: ${item}`).join(', ')}}`),
    },
  ),
})).value;

interface Block {
  /** Lines relative to the block's own indentation. */
  readonly lines: readonly string[];
}

const indentLines = (lines: readonly string[], by: string) => lines.map((line) => (line.length > 0 ? by + line : line));

/** Block-style mappings and sequences, with short tags on block sequences and comments between entries. */
/** Block-style mappings and sequences, with short tags on block sequences and comments between entries. */
const blockValue: fc.Arbitrary<Block> = fc.letrec<{ block: Block; entry: [string, string[]] }>((tie) => ({
  entry: fc.oneof(
    { depthSize: 'small' },
    {
      weight: 5,
      arbitrary: fc.tuple(key, flowValue, fc.boolean()).map(([name, value, comment]): [string, string[]] => [name, [`${name}: ${value}${comment ? '  # note' : ''}`]]),
    },
    { weight: 2, arbitrary: fc.tuple(key, tie('block')).map(([name, block]): [string, string[]] => [name, [`${name}:`, ...indentLines(block.lines, '  ')]]) },
    {
      weight: 1,
      arbitrary: fc
        .tuple(key, fc.constantFrom('!If', '!Join', '!Select'), fc.array(flowValue, { minLength: 2, maxLength: 3 }))
        .map(([name, tag, items]): [string, string[]] => [
          name,
          [`${name}: ${tag}`, ...items.map((item, index) => (tag === '!If' && index === 0 ? '  - IsProd' : `  - ${item}`))],
        ]),
    },
  ),
  block: fc.oneof(
    { depthSize: 'small' },
    {
      weight: 3,
      arbitrary: fc
        .tuple(fc.uniqueArray(tie('entry'), { minLength: 1, maxLength: 4, selector: ([name]) => keyIdentity(name) }), fc.boolean())
        .map(([entries, comment]) => ({ lines: [...(comment ? ['# a comment line'] : []), ...entries.flatMap(([, lines]) => lines)] })),
    },
    {
      weight: 1,
      arbitrary: fc
        .array(
          fc.oneof(
            flowValue.map((value) => [value]),
            tie('entry').map(([, lines]) => lines),
          ),
          { minLength: 1, maxLength: 3 },
        )
        .map((items) => ({
          lines: items.flatMap((lines) => lines.map((line, index) => (index === 0 ? `- ${line}` : `  ${line}`))),
        })),
    },
  ),
})).block;

/** A CloudFormation-shaped document: parameters, mappings and a Lambda image function around generated content. */
const documentWith = (
  parameterDefault: fc.Arbitrary<string>,
  imageUri: fc.Arbitrary<string>,
  // One document in ten carries a value PyYAML refuses: both readers must refuse the whole text.
  refused: fc.Arbitrary<string | null> = fc.oneof({ weight: 9, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: fc.constantFrom(...REFUSED_FORMS) }),
) =>
  fc
    .record({
      version: fc.constantFrom('2010-09-09', "'2010-09-09'", '"2010-09-09"'),
      parameterDefault,
      mappingKeys: fc.tuple(key, key),
      mappingValue: flowValue,
      imageUri,
      architectures: fc.constantFrom('[x86_64]', '[arm64]', '- arm64', '!Ref Arch'),
      variables: fc.uniqueArray(fc.tuple(key, flowValue), { minLength: 1, maxLength: 5, selector: ([name]) => keyIdentity(name) }),
      extra: blockValue,
      refused,
    })
    .map((parts) =>
      [
        `AWSTemplateFormatVersion: ${parts.version}`,
        'Parameters:',
        '  PatcherImage:',
        '    Type: String',
        `    Default: ${parts.parameterDefault}`,
        'Mappings:',
        '  Images:',
        `    ${parts.mappingKeys[0]}:`,
        `      ${parts.mappingKeys[1]}: ${parts.mappingValue}`,
        'Resources:',
        '  Patcher:',
        '    Type: AWS::Lambda::Function',
        '    Properties:',
        '      PackageType: Image',
        '      Code:',
        `        ImageUri: ${parts.imageUri}`,
        ...(parts.architectures.startsWith('-') ? ['      Architectures:', `        ${parts.architectures}`] : [`      Architectures: ${parts.architectures}`]),
        '      Environment:',
        '        Variables:',
        ...parts.variables.map(([name, value]) => `          ${name}: ${value}`),
        'Metadata:',
        ...(parts.refused !== null ? [`  Refused: ${parts.refused}`] : []),
        '  Generated:',
        ...indentLines(parts.extra.lines, '    '),
        '',
      ].join('\n'),
    );
const document = documentWith(scalar, fc.oneof(scalar, flowValue));

/** Images with YAML 1.1 look-alike tags, plain and quoted, as literals and through the parameter. */
const IMAGES = ['quay.io/sysdig/serverless-patcher:5.0.1', 'nginx:1.27', 'public.ecr.aws/lambda/python:3.12', 'ghcr.io/acme/tool:0755', "'nginx:1_000'", '"quay.io/a/b:1.5"'];
/** Documents the CLI can transform: their image sites hold valid references. */
const transformable = documentWith(
  fc.constantFrom(...IMAGES),
  fc.oneof(
    fc.constantFrom(...IMAGES),
    fc.constantFrom('!Ref PatcherImage', "!Sub '${PatcherImage}'", '!If [IsProd, nginx, !Ref PatcherImage]', "!Join ['', [quay.io/a/, b:1]]"),
  ),
  fc.constant(null),
)
  // JSON has no infinity: with .inf the JSON output is refused (tested in test/unit/cli/messages.test.ts).
  .filter((text) => !/\.(?:inf|Inf|INF|nan|NaN|NAN)\b/.test(text))
  .map((text) => `Transform: SysdigImageFix\nConditions:\n  IsProd: !Equals [!Ref AWS::Region, eu-west-1]\n${text.replace(/^AWSTemplateFormatVersion: .*\n/, '')}`);
export const TRANSFORMED_DOCUMENTS = 200;

async function cliOutput(text: string, format: 'yaml' | 'json'): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await main(['transform', '-', '--region', 'us-east-1', '--account', '123456789012', '--format', format], {
    stdout: { write: (chunk: string) => (stdout += chunk) },
    stderr: { write: (chunk: string) => (stderr += chunk) },
    readStdin: async () => text,
    env: {},
  });
  return { code, stdout, stderr };
}

/** A small corpus of hand-picked cases next to the generated ones (one construct each). */
const EDGE_CASES = [
  'a: [0755, 084828588479, yes, no, on, off, y, n, 1_000, 0x1F, 1:20, .inf, ~, 2010-09-09, 1e3, .5]\n',
  'Account: !If [IsRegionBAH, 084828588479, !If [IsRegionHKG, 183295418215, 292517598671]]\n',
  'a: 2001-12-14 21:59:43.10 -5\nb: 2001-12-14T21:59:43Z\nc: 2001-12-14 21:59:43 -0\nd: 2001-12-14 21:59:43 +23:99\n',
  'a: ! 0755\nb: !!str 0755\nc: !!int "0x1F"\nd: !!float "1"\ne: !!bool yes\nf: !!null ""\ng: !!timestamp 2001-1-1\n',
  'a: !GetAtt A\nb: !GetAtt A.B.C\nc: !Ref\nd: !Fancy [1, 0755]\ne: !Condition X\n',
  'base: &b {x: 1, y: 2}\nm:\n  <<: *b\n  y: 3\nn:\n  <<: [{a: 1}, {a: 2, b: 3}]\n',
  'yes: 1\ntrue: 2\n',
  '1: a\n1.0: b\n',
  'a: {b: 1, b: 2}\n',
  'a: !If {b: 1, b: 2}\n',
  '~: 1\n',
  '=: 1\na: =\n',
  'a: !!binary aGVsbG8=\n',
  '? [1]\n: x\n',
  '? !Ref a\n: 1\n',
  'a: &x 1\nb: *x\n',
  // aliases as keys, an anchor defined twice, an alias inside the node it names (PyYAML refuses the last two)
  'k: &k key\nm: {*k : 1}\nn:\n  *k : 2\n  other: *k\n',
  'a: &x 1\nb: *x\nc: &x 2\nd: *x\n',
  'c: &x [2, *x]\n',
  'c: &x {a: {b: *x}}\n',
  'a: |\n  0755\n  yes\nb: >-\n  folded\n  text\n',
  // LS, PS, NEL: line breaks in YAML 1.1, plain characters in 1.2 (LS and PS are kept inside quotes; NEL inside
  // quotes, which PyYAML folds into a space, is refused by the CLI: test/unit/cli/cfn-yaml.test.ts)
  'a: "x\u2028y"\nb: \'x\u2029y\'\n',
  'a: x\u0085b\n',
  'a: x\u2028y\n',
  // the shapes of the reading benchmark (bench/yaml-read-section.ts), small
  ...Object.values(YAML_SHAPES).map((shape) => shape(4_000)),
];

const haveTemplates = haveTestData(REAL_TEMPLATES);

describe.skipIf(!haveTools(TOOLS.cfnLint))('YAML differential: the CLI reads templates as cfn-lint does', () => {
  const corpora: Record<'real' | 'examples' | 'edge' | 'generated', { name: string; text: string }[]> = {
    real: haveTemplates
      ? readdirSync(REAL_TEMPLATES_DIR)
          .filter((file) => /\.ya?ml$/.test(file))
          .map((file) => ({ name: file, text: readFileSync(join(REAL_TEMPLATES_DIR, file), 'utf8') }))
      : [],
    examples: readdirSync(EXAMPLES)
      .filter((file) => /\.ya?ml$/.test(file))
      .map((file) => ({ name: `examples/${file}`, text: readFileSync(join(EXAMPLES, file), 'utf8') })),
    edge: EDGE_CASES.map((text, index) => ({ name: `edge case ${index + 1}`, text })),
    generated: fc.sample(document, { numRuns: GENERATED_DOCUMENTS, seed: SEED }).map((text, index) => ({ name: `generated ${index + 1} (seed ${SEED})`, text })),
  };
  const oracle: Partial<Record<keyof typeof corpora, OracleReading[]>> = {};

  beforeAll(async () => {
    for (const name of Object.keys(corpora) as (keyof typeof corpora)[]) oracle[name] = await readWithCfnLint(corpora[name].map((entry) => entry.text));
  });

  // Without the real templates their corpus is not compared (the run's summary names them as missing).
  it.each((['real', 'examples', 'edge', 'generated'] as const).filter((name) => name !== 'real' || haveTemplates))(
    '%s documents: equal JSON, or both refuse the text',
    (name) => {
      const cases = corpora[name];
      expect(cases.length).toBeGreaterThan(0);
      const problems = cases
        .map((entry, index) => disagreement(entry.text, readWithCli(entry.text), oracle[name]![index]!))
        .filter((problem): problem is string => problem !== undefined);
      expect(problems.slice(0, 3)).toEqual([]);
    },
  );

  it('covers what it claims: 500+ generated documents, most readable, every refused form refused', () => {
    const generated = oracle.generated!;
    expect(generated.length).toBeGreaterThanOrEqual(500);
    const readable = generated.filter((reading) => 'value' in reading).length;
    // The documents are mostly loadable, so the comparison is on values, not on two errors.
    expect(readable / generated.length).toBeGreaterThan(0.7);
    for (const form of REFUSED_FORMS) expect(readWithCli(`a: ${form}\n`)).toHaveProperty('error');
  });

  it('reads the Athena connector pattern as AWS does: 084828588479 stays the account id', () => {
    expect(readWithCli(EDGE_CASES[1]!)).toEqual({
      value: { Account: { 'Fn::If': ['IsRegionBAH', '084828588479', { 'Fn::If': ['IsRegionHKG', 183295418215, 292517598671] }] } },
    });
  });
});

describe.skipIf(!haveTools(TOOLS.cfnLint))("YAML read-back: cfn-lint reads the CLI's YAML output as the CLI's JSON output", () => {
  const inputs = [
    ...(haveTemplates
      ? readdirSync(REAL_TEMPLATES_DIR)
          .filter((file) => /\.ya?ml$/.test(file))
          .map((file) => readFileSync(join(REAL_TEMPLATES_DIR, file), 'utf8'))
      : []),
    ...readdirSync(EXAMPLES)
      .filter((file) => /\.ya?ml$/.test(file))
      .map((file) => readFileSync(join(EXAMPLES, file), 'utf8')),
    ...fc.sample(transformable, { numRuns: TRANSFORMED_DOCUMENTS, seed: SEED }),
  ];
  const outputs: { input: string; yaml: string; json: unknown }[] = [];
  let oracle: OracleReading[] = [];

  beforeAll(async () => {
    for (const input of inputs) {
      const [yaml, json] = [await cliOutput(input, 'yaml'), await cliOutput(input, 'json')];
      expect(yaml.code, `${yaml.stderr}\n--- input:\n${input}`).toBe(0);
      expect(json.code).toBe(0);
      outputs.push({ input, yaml: yaml.stdout, json: JSON.parse(json.stdout) });
    }
    oracle = await readWithCfnLint(outputs.map((output) => output.yaml));
  });

  it('every output: equal JSON, and the output carries at least one mirror where the input had a foreign image', () => {
    const problems = outputs
      .map((output, index) => disagreement(output.yaml, { value: output.json }, oracle[index]!))
      .filter((problem): problem is string => problem !== undefined);
    expect(problems.slice(0, 3)).toEqual([]);
    const mirrored = outputs.filter((output) => output.yaml.includes('Type: Custom::ImageMirror')).length;
    expect(mirrored).toBeGreaterThanOrEqual(TRANSFORMED_DOCUMENTS);
    expect(outputs.length).toBe(inputs.length);
  });
});
