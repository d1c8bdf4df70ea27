// The notes and warnings of explainTransform (printed by the CLI) at their edges: each is given exactly when its
// reason holds, and says what it saw. test/unit/cli/hints.test.ts shows them through the CLI.
import { describe, expect, it } from 'vitest';
import { explainTransform, type HintInput } from '../../../src/template/hints.js';
import { transform } from '../../../src/template/transform.js';
import type { Json, JsonObject } from '../../../src/template/types.js';
import { context, defaults, lambdaFunction, NO_VALUE, ref, REGION, samFunction, stringParameter, template } from './fixtures.js';

const task = (images: readonly Json[], metadata?: JsonObject): JsonObject => ({
  Type: 'AWS::ECS::TaskDefinition',
  ...(metadata !== undefined ? { Metadata: metadata } : {}),
  Properties: { ContainerDefinitions: images.map((image, index) => ({ Name: `c${index}`, Image: image })) },
});

function hints(input: JsonObject, extra: Partial<HintInput> = {}) {
  const ctx = context(extra.context ?? {});
  const result = transform(input, ctx, defaults());
  return explainTransform({ template: input, context: ctx, sites: result.sites, ...extra });
}

const ecsNote = (id: string, images: string) =>
  `${id} (AWS::ECS::TaskDefinition) runs ${images}, outside private ECR of ${REGION}: task definitions are left as they are unless ` +
  "Metadata.SysdigImageFix.Ecs is true (ECS pulls from other registries itself; set Ecs: true in the template's or the task definition's " +
  'Metadata.SysdigImageFix when its tasks have no route to them, e.g. in private subnets)';

describe('hints: task definitions without Ecs', () => {
  it('names every image outside private ECR and those known at deploy time, not a value that is no image', () => {
    const images = ['quay.io/a/b:1', ref('Image'), NO_VALUE, ref('Names'), 'not an image', 'quay.io/c/d:2'];
    const input = template({ T: task(images) }, { Parameters: { Image: stringParameter(), Names: { Type: 'CommaDelimitedList', Default: 'a,b' } } });
    const [hint, ...rest] = hints(input);
    expect(rest).toEqual([]);
    expect(hint).toEqual({
      level: 'note',
      logicalId: 'T',
      message: ecsNote('T', 'quay.io/a/b:1, T.ContainerDefinitions[1].Image (known at deploy time), quay.io/c/d:2'),
    });
  });

  it('says nothing when the template chose Ecs in the Transform parameters, or every image stays', () => {
    const input = template({ T: task(['quay.io/a/b:1']) });
    expect(hints(input, { context: context({ transformParameters: { Ecs: false } }) })).toEqual([]);
    expect(hints(template({ T: task([NO_VALUE, `210987654321.dkr.ecr.${REGION}.amazonaws.com/a:1`]) }))).toEqual([]);
  });

  it('one note for each task definition that is not a site', () => {
    const input = template({ A: task(['quay.io/a/b:1']), B: task(['quay.io/c/d:1'], { SysdigImageFix: { Ecs: true } }), C: task(['quay.io/e/f:1']) });
    expect(hints(input).map((hint) => hint.logicalId)).toEqual(['A', 'C']);
  });
});

describe('hints: SAM functions without PackageType', () => {
  it('only for a SAM function that has ImageUri', () => {
    const withoutPackageType = (resource: JsonObject) => {
      const { PackageType: _removed, ...properties } = resource.Properties as JsonObject;
      return { ...resource, Properties: properties };
    };
    const input = template({
      Sam: withoutPackageType(samFunction('quay.io/a/b:1')),
      Zip: { Type: 'AWS::Serverless::Function', Properties: { CodeUri: 's3://bucket/code.zip', Handler: 'index.handler', Runtime: 'nodejs20.x' } },
      Plain: { Type: 'AWS::Lambda::Function', Properties: { ImageUri: 'quay.io/a/b:1' } },
    });
    expect(hints(input).map((hint) => [hint.level, hint.logicalId])).toEqual([['warning', 'Sam']]);
  });
});

describe('hints: Fn::ForEach loops', () => {
  const loop = (body: Json): Json => ['Name', ['A', 'B'], body];
  const run = (resources: JsonObject, languageExtensionsFirst?: boolean) =>
    explainTransform({ template: { Resources: resources }, context: context(), sites: [], ...(languageExtensionsFirst === undefined ? {} : { languageExtensionsFirst }) });

  it('sees an image resource in a loop nested in a loop', () => {
    const resources = { 'Fn::ForEach::Outer': loop({ 'Fn::ForEach::Inner': loop({ '${Name}Task': task(['quay.io/a/b:1']) }) }) };
    expect(run(resources).map((hint) => [hint.level, hint.message.slice(0, 66)])).toEqual([
      ['warning', 'Resources.Fn::ForEach::Outer is an AWS::LanguageExtensions loop, w'],
    ]);
    expect(run(resources, true).map((hint) => hint.level)).toEqual(['note']);
  });

  it('sees an image resource beside other resources in the loop body', () => {
    const resources = { 'Fn::ForEach::Mixed': loop({ '${Name}Bucket': { Type: 'AWS::S3::Bucket' }, '${Name}Fn': lambdaFunction('quay.io/a/b:1') }) };
    expect(run(resources).map((hint) => hint.message.slice(0, 29))).toEqual(['Resources.Fn::ForEach::Mixed ']);
  });

  it('reads only a list as a loop, not an object that has the key a list would have at its body', () => {
    expect(run({ 'Fn::ForEach::Object': { 2: { X: lambdaFunction('quay.io/a/b:1') } } as unknown as JsonObject })).toEqual([]);
  });

  it('says nothing for a loop of another shape, a loop of other resources, or Resources that are not an object', () => {
    expect(run({ 'Fn::ForEach::Short': ['Name', { X: lambdaFunction('quay.io/a/b:1') }] })).toEqual([]);
    expect(run({ 'Fn::ForEach::List': loop([lambdaFunction('quay.io/a/b:1')]) })).toEqual([]);
    expect(run({ 'Fn::ForEach::Other': loop({ X: { Type: 'AWS::S3::Bucket' }, 'Fn::ForEach::Inner': loop({ Y: { Type: 'AWS::SNS::Topic' } }) }) })).toEqual([]);
    expect(run({ NotALoop: loop({ X: lambdaFunction('quay.io/a/b:1') }) as unknown as JsonObject })).toEqual([]);
    expect(explainTransform({ template: { Resources: [] as unknown as JsonObject }, context: context(), sites: [] })).toEqual([]);
  });

  it('gives the hints in a stable order: SAM, then task definitions, then loops', () => {
    const { PackageType: _removed, ...samProperties } = samFunction('quay.io/a/b:1').Properties as JsonObject;
    const resources = {
      'Fn::ForEach::Loop': loop({ '${Name}': lambdaFunction('quay.io/a/b:1') }),
      T: task(['quay.io/a/b:1']),
      Sam: { Type: 'AWS::Serverless::Function', Properties: samProperties },
    };
    expect(run(resources).map((hint) => hint.logicalId ?? hint.message.slice(0, 28))).toEqual(['Sam', 'T', 'Resources.Fn::ForEach::Loop ']);
  });
});
