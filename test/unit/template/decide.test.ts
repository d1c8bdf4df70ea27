// One site's decision as its report shows it: each report carries only the fields that apply to the site, and a
// value that only matters in other deployments is not judged by its value now.
import { describe, expect, it } from 'vitest';
import { transform } from '../../../src/template/transform.js';
import type { JsonObject } from '../../../src/template/types.js';
import {
  context,
  defaults,
  equals,
  expectedMirrorId,
  expectFailure,
  expectSuccess,
  ifThen,
  lambdaFunction,
  NO_VALUE,
  PRIVATE_ECR_IMAGE,
  QUAY_IMAGE,
  ref,
  stringParameter,
  template,
} from './fixtures.js';

const run = (input: JsonObject) => expectSuccess(transform(input, context(), defaults()));

describe('Site reports', () => {
  it('carry only the fields that apply (no key left holding undefined)', () => {
    const input = template(
      {
        Kept: lambdaFunction(PRIVATE_ECR_IMAGE),
        Mirrored: lambdaFunction(QUAY_IMAGE),
        Skipped: lambdaFunction(QUAY_IMAGE, { options: { Skip: true } }),
        Chosen: lambdaFunction(QUAY_IMAGE, { architectures: [ref('Arch')] }),
      },
      { Parameters: { Arch: { Type: 'String' } } },
    );
    const { sites } = run(input);
    const common = { resourceType: 'AWS::Lambda::Function' };
    expect(sites).toStrictEqual([
      { ...common, logicalId: 'Kept', image: PRIVATE_ECR_IMAGE, verdict: 'keep', architecture: 'x86_64' },
      { ...common, logicalId: 'Mirrored', image: QUAY_IMAGE, verdict: 'mirror', architecture: 'x86_64', mirrorLogicalId: expectedMirrorId(QUAY_IMAGE, 'x86_64') },
      { ...common, logicalId: 'Skipped', image: QUAY_IMAGE, verdict: 'skip', architecture: 'x86_64' },
      { ...common, logicalId: 'Chosen', image: QUAY_IMAGE, verdict: 'mirror', mirrorLogicalId: expectedMirrorId(QUAY_IMAGE, ref('Arch')) },
    ]);
  });
});

describe('A function that is a Zip function under the values known now', () => {
  it('is no site when its image is removed in every deployment, though it may run an image in another', () => {
    const input = template(
      { Fn: lambdaFunction(NO_VALUE, { properties: { PackageType: ifThen('UseImage', 'Image', 'Zip') } }) },
      { Parameters: { Mode: stringParameter('zip') }, Conditions: { UseImage: equals(ref('Mode'), 'image') } },
    );
    const { sites, fragment } = run(input);
    expect(sites).toEqual([]);
    expect(fragment).toEqual(input);
  });
  it('mirrors an image expression at deploy time, without judging the value it has now', () => {
    const input = template(
      { Fn: lambdaFunction(ref('Image'), { properties: { PackageType: ifThen('UseImage', 'Image', 'Zip') } }) },
      {
        Parameters: { Mode: stringParameter('zip'), Image: stringParameter('not an image') },
        Conditions: { UseImage: equals(ref('Mode'), 'image') },
      },
    );
    const { sites } = run(input);
    expect(sites).toStrictEqual([
      {
        logicalId: 'Fn',
        resourceType: 'AWS::Lambda::Function',
        image: '{"Ref":"Image"}',
        verdict: 'deploy-time',
        architecture: 'x86_64',
        mirrorLogicalId: expectedMirrorId(ref('Image'), 'x86_64'),
        parameters: ['Image'],
      },
    ]);
  });
});

describe('A site whose value is wrong', () => {
  it('says what the value resolves to, with its article', () => {
    expect(expectFailure(transform(template({ F: lambdaFunction(42), G: lambdaFunction({ a: 1 }) }), context(), defaults())).map((p) => p.message)).toEqual([
      'Resource F: image 42 is not a valid image reference: it resolves to a number, not a string',
      'Resource G: image {"a":1} is not a valid image reference: it resolves to an object, not a string',
    ]);
  });

  it('names where an image too long to mirror came from', () => {
    const long = `quay.io/${'a'.repeat(240)}/b:1`;
    const input = template({ F: lambdaFunction(ref('Image')) }, { Parameters: { Image: stringParameter(long) } });
    const [problem] = expectFailure(transform(input, context({ parameterOrigins: { Image: 'Parameters.Image.Default' } }), defaults()));
    expect(problem!.message).toMatch(/^Resource F: cannot mirror image ".*" \(from Parameters\.Image\.Default\)/);
  });
});

describe('A function that is a Zip function now under nested conditions', () => {
  it('is mirrored when any condition that decides it can change with the parameter values', () => {
    const packageType = ifThen('Never', 'Zip', ifThen('UseImage', 'Image', 'Zip'));
    const input = template(
      { Fn: lambdaFunction(QUAY_IMAGE, { properties: { PackageType: packageType } }) },
      { Parameters: { Mode: stringParameter('zip') }, Conditions: { Never: equals('a', 'b'), UseImage: equals(ref('Mode'), 'image') } },
    );
    expect(run(input).sites.map((site) => site.verdict)).toEqual(['mirror']);
  });
});
