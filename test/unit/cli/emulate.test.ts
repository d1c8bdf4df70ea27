import { describe, expect, it } from 'vitest';
import { reassembleTemplate, splitTransforms, stackParameterValues } from '../../../src/cli/emulate.js';
import { UsageError } from '../../../src/cli/errors.js';
import type { JsonObject } from '../../../src/template/types.js';

const SAM = 'AWS::Serverless-2016-10-31';
const resources = { Resources: { Bucket: { Type: 'AWS::S3::Bucket' } } };

describe('Function: splitTransforms', () => {
  it.each([
    ['our name as a string', 'SysdigImageFix', undefined, true],
    ['a list with ours first', ['SysdigImageFix', SAM], [SAM], true],
    ['a list with ours last', [SAM, 'SysdigImageFix'], [SAM], true],
    ['a list with ours only', ['SysdigImageFix'], undefined, true],
    ['a list with the long form of ours', [{ Name: 'SysdigImageFix' }, SAM], [SAM], true],
    ['another transform as a string', SAM, SAM, false],
    [
      'a list without ours',
      [SAM, { Name: 'AWS::Include', Parameters: { Location: 's3://b/k' } }],
      [SAM, { Name: 'AWS::Include', Parameters: { Location: 's3://b/k' } }],
      false,
    ],
  ])('Transform as %s', (_case, transforms, remaining, ours) => {
    const template: JsonObject = { AWSTemplateFormatVersion: '2010-09-09', Transform: transforms, ...resources };
    const split = splitTransforms(template);
    expect(split.fragment).toEqual({ AWSTemplateFormatVersion: '2010-09-09', ...resources });
    expect(split.otherTransforms).toEqual(remaining);
    expect(split.hasOurTransform).toBe(ours);
    expect(template.Transform).toEqual(transforms);
  });

  it('handles a template without a Transform section', () => {
    expect(splitTransforms({ ...resources })).toEqual({ fragment: resources, otherTransforms: undefined, hasOurTransform: false });
  });
});

describe('Function: reassembleTemplate', () => {
  const original: JsonObject = { AWSTemplateFormatVersion: '2010-09-09', Transform: ['SysdigImageFix', SAM], Parameters: {}, ...resources, Outputs: {} };
  const transformed: JsonObject = { AWSTemplateFormatVersion: '2010-09-09', Parameters: {}, Resources: { New: { Type: 'Custom::ImageMirror' } }, Outputs: {} };

  it('puts the remaining transforms back where the Transform section was, keeping key order', () => {
    const result = reassembleTemplate(original, transformed, [SAM]);
    expect(Object.keys(result)).toEqual(['AWSTemplateFormatVersion', 'Transform', 'Parameters', 'Resources', 'Outputs']);
    expect(result.Transform).toEqual([SAM]);
    expect(result.Resources).toEqual(transformed.Resources);
  });

  it('deletes the Transform section when no transform remains', () => {
    expect(Object.keys(reassembleTemplate(original, transformed, undefined))).toEqual(['AWSTemplateFormatVersion', 'Parameters', 'Resources', 'Outputs']);
  });

  it('appends sections the transform added', () => {
    expect(Object.keys(reassembleTemplate({ ...resources }, { ...resources, Conditions: {} }, undefined))).toEqual(['Resources', 'Conditions']);
  });
});

describe('Function: stackParameterValues', () => {
  const template: JsonObject = {
    Parameters: {
      Image: { Type: 'String', Default: 'quay.io/org/app:1' },
      Tag: { Type: 'String' },
      Memory: { Type: 'Number', Default: 128 },
      Subnets: { Type: 'CommaDelimitedList', Default: 'subnet-1,subnet-2' },
      Azs: { Type: 'List<AWS::EC2::AvailabilityZone::Name>', Default: 'a,b' },
      Latest: { Type: 'AWS::SSM::Parameter::Value<String>', Default: '/images/latest' },
    },
    ...resources,
  };

  it('uses Defaults as CloudFormation passes them: strings, lists split on commas; no value means unresolved', () => {
    const result = stackParameterValues(template, new Map());
    expect(result.values).toEqual({ Image: 'quay.io/org/app:1', Memory: '128', Subnets: ['subnet-1', 'subnet-2'], Azs: ['a', 'b'] });
    expect(result.unresolved).toEqual(['Tag']);
    expect(result.resolvedAtDeployTime).toEqual(['Latest']);
  });

  it('lets --parameter values override Defaults and fill parameters without one', () => {
    const result = stackParameterValues(
      template,
      new Map([
        ['Image', 'ghcr.io/org/app:2'],
        ['Tag', 'v2'],
        ['Subnets', 'subnet-9'],
      ]),
    );
    expect(result.values).toMatchObject({ Image: 'ghcr.io/org/app:2', Tag: 'v2', Subnets: ['subnet-9'] });
    expect(result.unresolved).toEqual([]);
  });

  it('rejects a value for a parameter the template does not declare, naming it and the declared ones', () => {
    expect(() => stackParameterValues(template, new Map([['Imag', 'x']]))).toThrow(UsageError);
    expect(() => stackParameterValues(template, new Map([['Imag', 'x']]))).toThrow(/"Imag".*declares: Image, Tag/);
    expect(() => stackParameterValues({ ...resources }, new Map([['Any', 'x']]))).toThrow(/declares none/);
  });
});
