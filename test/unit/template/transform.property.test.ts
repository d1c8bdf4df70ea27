// Properties of the transform over random templates: random mixes of image sites, intrinsics,
// parameters, conditions, options and junk, plus arbitrary JSON.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { transform } from '../../../src/template/transform.js';
import type { Json, JsonObject, SiteReport, TransformContext, TransformDefaults, TransformResult } from '../../../src/template/types.js';
import { equals, getAtt, ifThen, imageOf, isBranchChoiceOf, mirrorRef, NO_VALUE, readsMirrorWhereItHadAnImage, ref, sub, withoutTransformChanges } from './fixtures.js';
import { propertyRuns } from '../../support/property-runs.js';

// TEMPLATE_PROPERTY_RUNS raises the count for a longer bug hunt; 500 is the floor the suite runs with.
const FULL_RUNS = Math.max(500, Number(process.env.TEMPLATE_PROPERTY_RUNS ?? 500));
const RUNS = propertyRuns(FULL_RUNS);

const isObject = (v: unknown): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);
const ID = /^ImageMirror[0-9a-f]{8}$/;

/** Mostly valid values with a few broken ones, so that both outcomes are common. */
function mostly<T>(valid: fc.Arbitrary<T>, broken: fc.Arbitrary<T>): fc.Arbitrary<T> {
  return fc.oneof({ weight: 12, arbitrary: valid }, { weight: 1, arbitrary: broken });
}

const literalImage = mostly(
  fc.constantFrom<Json>(
    'quay.io/sysdig/serverless-patcher:5.0.1',
    'nginx',
    'nginx:1.27',
    'docker.io/library/nginx:1.27',
    '123456789012.dkr.ecr.ap-northeast-1.amazonaws.com/app:1',
    `123456789012.dkr.ecr.us-east-1.amazonaws.com/app@sha256:${'b'.repeat(64)}`,
    '123456789012.dkr.ecr-fips.us-east-1.amazonaws.com/app:1',
    'public.ecr.aws/lambda/python:3.12',
    'localhost:5000/x',
  ),
  fc.constantFrom<Json>('Not A Valid Image', '', `quay.io/${'a'.repeat(250)}`, 42, null),
);

const parameterName = mostly(
  fc.constantFrom('Image', 'NoDefault', 'FromSsm', 'AWS::StackName', 'AWS::NoValue', 'Fn', 'Nope', 'constructor'),
  fc.constantFrom('Archs', 'Bad', 'AWS::Region'),
);
const conditionName = fc.constantFrom('IsTokyo', 'Later', 'NotTokyo', 'LoopA', 'Undeclared');

const { image } = fc.letrec<{ image: Json }>((tie) => ({
  image: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    literalImage,
    parameterName.map(ref),
    fc.constantFrom(
      sub('quay.io/org/app:${AWS::Region}'),
      sub('${AWS::AccountId}.dkr.ecr.${AWS::Region}.${AWS::URLSuffix}/app:1'),
      sub('quay.io/org/${AWS::StackName}'),
      sub('${Fn.Arn}'),
      sub('${!Literal}'),
      getAtt('Fn', 'ImageUri'),
      { 'Fn::GetAtt': 'Fn.ImageUri' },
      { 'Fn::ImportValue': 'Shared' },
      { 'Fn::FindInMap': ['Images', { Ref: 'AWS::Region' }, 'App'] },
      { 'Fn::FindInMap': ['Images', 'x', 'y', { DefaultValue: 'nginx' }] },
      { 'Fn::Select': [0, { 'Fn::Split': [',', 'nginx,quay.io/a/b'] }] },
      NO_VALUE,
    ),
    fc.tuple(conditionName, tie('image'), tie('image')).map(([c, a, b]) => ifThen(c, a, b)),
    fc.array(tie('image'), { maxLength: 3 }).map((parts) => ({ 'Fn::Join': ['/', parts] }) as Json),
    fc.string({ maxLength: 8 }).map((name) => mirrorRef(`ImageMirror${name}`)),
  ),
}));

const architectures = mostly(
  fc.constantFrom<Json | undefined>(undefined, ['arm64'], ['x86_64'], ref('Archs'), [ref('NoDefault')], ifThen('Later', ['arm64'], NO_VALUE)),
  fc.constantFrom<Json | undefined>(['ppc'], [], ['arm64', 'x86_64'], 'arm64'),
);

const sharedOptions = {
  RepositoryPrefix: fc.constantFrom<Json>('sysdig-image-fix', 'team/mirror'),
  Architecture: fc.constantFrom<Json>('x86_64', 'arm64'),
  ServiceTimeout: fc.constantFrom<Json>(3600, '600'),
};
const validOptions = fc.record({ Skip: fc.constantFrom<Json>(true, false, 'true', 'false'), ...sharedOptions }, { requiredKeys: [] }) as fc.Arbitrary<Json>;
const validTemplateOptions = fc.record(sharedOptions, { requiredKeys: [] }) as fc.Arbitrary<Json>;
const brokenOptions = fc.oneof(
  fc.dictionary(
    fc.constantFrom('Skip', 'RepositoryPrefix', 'Architecture', 'ServiceTimeout', 'Other'),
    fc.oneof(fc.constantFrom<Json>('ppc', 'Bad Prefix', 0, 3601, 'maybe'), fc.jsonValue({ maxDepth: 1 }) as fc.Arbitrary<Json>),
    { minKeys: 1, maxKeys: 3 },
  ) as fc.Arbitrary<Json>,
  fc.jsonValue({ maxDepth: 1 }) as fc.Arbitrary<Json>,
);
const options = mostly(fc.oneof(fc.constant(undefined), fc.constant(undefined), validOptions), brokenOptions);
const templateOptions = mostly(fc.oneof(fc.constant(undefined), fc.constant(undefined), validTemplateOptions), brokenOptions);

const functionResource = fc
  .record({
    sam: fc.boolean(),
    image,
    architectures,
    condition: fc.option(fc.constantFrom('IsTokyo', 'Later', 'NotTokyo'), { nil: undefined }),
    options,
    extra: fc.dictionary(fc.constantFrom('MemorySize', 'Environment', 'Timeout'), fc.jsonValue({ maxDepth: 2 }) as fc.Arbitrary<Json>, { maxKeys: 2 }),
  })
  .map(
    ({ sam, image, architectures, condition, options, extra }): Json => ({
      Type: sam ? 'AWS::Serverless::Function' : 'AWS::Lambda::Function',
      ...(condition !== undefined ? { Condition: condition } : {}),
      ...(options !== undefined ? { Metadata: { SysdigImageFix: options } } : {}),
      Properties: {
        ...extra,
        ...(sam ? { ImageUri: image } : { Code: { ImageUri: image } }),
        ...(architectures !== undefined ? { Architectures: architectures } : {}),
      },
    }),
  );

const otherResource = fc.oneof(
  fc.constantFrom<Json>(
    { Type: 'AWS::ECS::TaskDefinition', Properties: { ContainerDefinitions: [{ Image: 'quay.io/sysdig/agent:1' }] } },
    { Type: 'AWS::Lambda::Function', Properties: { Code: { ZipFile: 'x' } } },
    { Type: 'AWS::Lambda::Function', Properties: { Code: ifThen('Later', { ImageUri: 'nginx' }, { ImageUri: 'quay.io/a/b' }) } },
    { Type: 'AWS::Lambda::Function', Properties: 'broken' },
    { Type: 'Custom::ImageMirror', Properties: { SourceImage: 'nginx' } },
    'not a resource',
    null,
  ),
  fc.jsonValue({ maxDepth: 3 }) as fc.Arbitrary<Json>,
);

const logicalId = fc.oneof(fc.constantFrom('Fn', 'Other', 'ImageMirrorabcd1234', '__proto__', 'constructor'), fc.stringMatching(/^[A-Za-z][A-Za-z0-9]{0,12}$/));

const templateArb: fc.Arbitrary<unknown> = fc.oneof(
  {
    weight: 15,
    arbitrary: fc
      .record({
        resources: fc.array(fc.tuple(logicalId, fc.oneof({ weight: 3, arbitrary: functionResource }, { weight: 1, arbitrary: otherResource })), {
          maxLength: 6,
        }),
        globals: mostly(
          fc.constantFrom<Json | undefined>(undefined, { Function: { Architectures: ['arm64'] } }, 'junk'),
          fc.constant<Json | undefined>({ Function: { Architectures: ['ppc'] } }),
        ),
        templateOptions,
        extra: fc.dictionary(fc.constantFrom('Outputs', 'Description', 'Transform', 'Rules'), fc.jsonValue({ maxDepth: 2 }) as fc.Arbitrary<Json>, {
          maxKeys: 2,
        }),
      })
      .map(
        ({ resources, globals, templateOptions, extra }): Json => ({
          ...extra,
          Parameters: {
            Image: { Type: 'String', Default: 'quay.io/org/app:1' },
            NoDefault: { Type: 'String' },
            Archs: { Type: 'CommaDelimitedList', Default: 'arm64' },
            FromSsm: { Type: 'AWS::SSM::Parameter::Value<String>', Default: '/x' },
            Bad: { Type: 'String', Default: 'UPPER/case' },
          },
          Mappings: { Images: { 'ap-northeast-1': { App: 'quay.io/org/tokyo:1' } } },
          Conditions: {
            IsTokyo: equals(ref('AWS::Region'), 'ap-northeast-1'),
            Later: equals(ref('AWS::StackName'), 'prod'),
            NotTokyo: { 'Fn::Not': [{ Condition: 'IsTokyo' }] },
            LoopA: { 'Fn::Not': [{ Condition: 'LoopB' }] },
            LoopB: { 'Fn::Not': [{ Condition: 'LoopA' }] },
          },
          ...(globals !== undefined ? { Globals: globals } : {}),
          ...(templateOptions !== undefined ? { Metadata: { SysdigImageFix: templateOptions } } : {}),
          // fromEntries keeps "__proto__" as an own key, as JSON.parse would.
          Resources: Object.fromEntries(resources) as JsonObject,
        }),
      ),
  },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 4 }) },
);

const contextArb: fc.Arbitrary<TransformContext> = fc.record({
  region: fc.constantFrom('ap-northeast-1', 'us-east-1', 'cn-north-1', ''),
  accountId: fc.constantFrom('123456789012', ''),
  templateParameterValues: fc.dictionary(
    fc.constantFrom('Image', 'NoDefault', 'Archs', 'FromSsm'),
    mostly(literalImage, fc.constantFrom<Json>('arm64', ['x86_64'], 'x86_64,arm64')),
    { maxKeys: 3 },
  ) as fc.Arbitrary<Record<string, unknown>>,
});

const defaultsArb: fc.Arbitrary<TransformDefaults> = fc.record(
  {
    mirrorFunctionArn: mostly(fc.constantFrom<Json>('arn:aws:lambda:us-east-1:123456789012:function:m', { 'Fn::ImportValue': 'Mirror' }), fc.constant<Json>('')),
    repositoryPrefix: mostly(fc.constantFrom('sysdig-image-fix', 'team/mirror'), fc.constant('Bad')),
    serviceTimeout: mostly(fc.constantFrom(3600, 60), fc.constant(0)),
  },
  { requiredKeys: ['mirrorFunctionArn'] },
);

const inputs = fc.tuple(templateArb, contextArb, defaultsArb);

function checkWellFormed(input: unknown, result: TransformResult): void {
  expect(typeof result.ok).toBe('boolean');
  expect(Array.isArray(result.sites)).toBe(true);
  const inputResources = isObject(input) && isObject(input.Resources) ? input.Resources : {};
  for (const site of result.sites) {
    expect(Object.hasOwn(inputResources, site.logicalId)).toBe(true);
    expect(['keep', 'mirror', 'deploy-time', 'skip', 'failed']).toContain(site.verdict);
    // A site fails exactly when a problem names it.
    expect(site.verdict === 'failed').toBe(!result.ok && result.errors.some((problem) => problem.logicalId === site.logicalId));
    expect(typeof site.image).toBe('string');
    if (site.mirrorLogicalId !== undefined) {
      expect(site.mirrorLogicalId).toMatch(ID);
      expect(['mirror', 'deploy-time']).toContain(site.verdict);
    }
    if (site.architecture !== undefined) expect(['x86_64', 'arm64']).toContain(site.architecture);
  }
  if (!result.ok) {
    expect(result.errors.length).toBeGreaterThan(0);
    for (const problem of result.errors) {
      expect(typeof problem.message).toBe('string');
      expect(problem.message.length).toBeGreaterThan(0);
      if (problem.logicalId !== undefined) expect(problem.message).toContain(problem.logicalId);
      // Every problem is a diagnosis; none comes from an exception the code did not anticipate.
      expect(problem.message).not.toMatch(/internal error/);
    }
    return;
  }
  const fragment = result.fragment;
  expect(withoutTransformChanges(fragment, input as JsonObject)).toBe(JSON.stringify(input));
  const resources = (fragment.Resources ?? {}) as JsonObject;
  for (const site of result.sites) {
    const resource = resources[site.logicalId] as JsonObject;
    const properties = resource.Properties as JsonObject;
    const value = resource.Type === 'AWS::Serverless::Function' ? properties.ImageUri : (properties.Code as JsonObject).ImageUri;
    if (site.verdict === 'mirror' || site.verdict === 'deploy-time') {
      expect(readsMirrorWhereItHadAnImage(value as Json, imageOf(input as JsonObject, site.logicalId)!, site.mirrorLogicalId!)).toBe(true);
      const mirror = resources[site.mirrorLogicalId!] as JsonObject;
      expect(mirror.Type).toBe('Custom::ImageMirror');
      const p = mirror.Properties as JsonObject;
      expect(p.ServiceTimeout).toSatisfy((t: unknown) => Number.isInteger(t) && (t as number) >= 1 && (t as number) <= 3600);
      expect(p).toHaveProperty('ServiceToken');
      expect(p).toHaveProperty('SourceImage');
      expect(p).toHaveProperty('Architecture');
      expect(Object.hasOwn(p, 'RepositoryName') !== Object.hasOwn(p, 'RepositoryPrefix')).toBe(true);
    }
  }
  // A mirror's SourceImage comes from the first site (in template order) reading from it: that site's
  // own expression (without the Fn::If branches it cannot take while the mirror exists), or its normalised image
  // when the site holds a literal string.
  const firstSites = new Map<string, SiteReport>();
  for (const site of result.sites) {
    if (site.mirrorLogicalId !== undefined && !firstSites.has(site.mirrorLogicalId)) firstSites.set(site.mirrorLogicalId, site);
  }
  for (const [id, site] of firstSites) {
    const written = imageOf(input as JsonObject, site.logicalId);
    const properties = (resources[id] as JsonObject).Properties as JsonObject;
    if (typeof written === 'string') expect(properties.SourceImage).toEqual(site.image);
    else expect(isBranchChoiceOf(properties.SourceImage as Json, written!)).toBe(true);
  }
}

describe('Function: transform (properties over random templates)', () => {
  it('never throws and returns a well-formed result', () => {
    fc.assert(
      fc.property(inputs, ([input, ctx, d]) => {
        checkWellFormed(input, transform(input, ctx, d));
      }),
      { numRuns: RUNS },
    );
  });

  it('is deterministic', () => {
    fc.assert(
      fc.property(inputs, ([input, ctx, d]) => {
        expect(transform(input, ctx, d)).toEqual(transform(input, ctx, d));
      }),
      { numRuns: RUNS },
    );
  });

  it('is idempotent on success', () => {
    fc.assert(
      fc.property(inputs, ([input, ctx, d]) => {
        const once = transform(input, ctx, d);
        if (!once.ok) return;
        const twice = transform(once.fragment, ctx, d);
        expect(twice.ok).toBe(true);
        expect(JSON.stringify(twice.ok && twice.fragment)).toBe(JSON.stringify(once.fragment));
      }),
      { numRuns: RUNS },
    );
  });

  it('does not mutate its input', () => {
    fc.assert(
      fc.property(inputs, ([input, ctx, d]) => {
        const before = JSON.stringify([input, ctx, d]);
        transform(input, ctx, d);
        expect(JSON.stringify([input, ctx, d])).toBe(before);
      }),
      { numRuns: RUNS },
    );
  });

  it('reaches every verdict and both outcomes (the generator is not degenerate)', () => {
    const seen = new Set<string>();
    fc.assert(
      fc.property(inputs, ([input, ctx, d]) => {
        const result = transform(input, ctx, d);
        seen.add(result.ok ? 'ok' : 'failed');
        for (const site of result.sites) seen.add(site.verdict);
      }),
      // A fixed seed: whether every verdict is reached must not depend on the run.
      { numRuns: FULL_RUNS, seed: 20261205 },
    );
    expect([...seen].sort()).toEqual(['deploy-time', 'failed', 'keep', 'mirror', 'ok', 'skip']);
  });
});
