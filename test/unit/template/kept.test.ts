// Which parameters of a site kept in private ECR of the region could, with another value, name an image elsewhere
// (the CLI's note on kept sites): the values tried are a parameter's AllowedValues, else two twelve-digit probes.
import { describe, expect, it } from 'vitest';
import { DEFAULT_REPOSITORY_PREFIX } from '../../../src/reference/index.js';
import { createImageClassifier } from '../../../src/template/images.js';
import { registryParameters } from '../../../src/template/kept.js';
import type { Json, JsonObject } from '../../../src/template/types.js';
import { context, ref, REGION, sub, template } from './fixtures.js';

const ECR = `123456789012.dkr.ecr.${REGION}.amazonaws.com`;
const OTHER_ECR = `210987654321.dkr.ecr.${REGION}.amazonaws.com`;

function movable(expression: Json, parameters: JsonObject, values: JsonObject = {}): string[] {
  const t = template({}, { Parameters: parameters });
  const ctx = context({ templateParameterValues: values });
  return registryParameters(expression, Object.keys(parameters), { template: t, context: ctx, classifyImage: createImageClassifier(ctx) }, DEFAULT_REPOSITORY_PREFIX);
}

describe('Function: registryParameters', () => {
  it('names the parameter that is the registry, not the one that is only the tag', () => {
    const parameters = { Registry: { Type: 'String', Default: ECR }, Tag: { Type: 'String', Default: '1.0' } };
    expect(movable(sub('${Registry}/api:${Tag}'), parameters)).toEqual(['Registry']);
  });
  it('does not name an account id parameter: any account in the region is private ECR of the region', () => {
    const parameters = { Account: { Type: 'String', Default: '123456789012' } };
    expect(movable(sub(`\${Account}.dkr.ecr.${REGION}.amazonaws.com/api:1`), parameters)).toEqual([]);
  });
  it('tries the AllowedValues when a parameter declares them', () => {
    const only = (values: Json[]) => ({ Registry: { Type: 'String', Default: ECR, AllowedValues: values } });
    expect(movable(sub('${Registry}/api:1'), only([ECR, OTHER_ECR]))).toEqual([]);
    expect(movable(sub('${Registry}/api:1'), only([ECR, 'quay.io']))).toEqual(['Registry']);
    // Numbers are values too (YAML reads an unquoted account id as one).
    const accounts = (values: Json[]) => ({ Account: { Type: 'String', Default: '123456789012', AllowedValues: values } });
    const image = sub(`\${Account}.dkr.ecr.${REGION}.amazonaws.com/api:1`);
    expect(movable(image, accounts([123456789012, 210987654321]))).toEqual([]);
    expect(movable(image, accounts([123456789012, 5]))).toEqual(['Account']);
  });
  it('falls back to the probes when AllowedValues is empty or not a list of scalars', () => {
    const withAllowed = (allowed: Json) => ({ Registry: { Type: 'String', Default: ECR, AllowedValues: allowed } });
    for (const allowed of [[], [ECR, { a: 1 }], ECR]) expect(movable(sub('${Registry}/api:1'), withAllowed(allowed))).toEqual(['Registry']);
    // An account id parameter stays in the region with the probes; its object among AllowedValues is not tried.
    const account = { Account: { Type: 'String', Default: '123456789012', AllowedValues: ['123456789012', { a: 1 }] } };
    expect(movable(sub(`\${Account}.dkr.ecr.${REGION}.amazonaws.com/api:1`), account)).toEqual([]);
  });
  it('names a list parameter: no other value is tried for it', () => {
    const parameters = { Tags: { Type: 'CommaDelimitedList', Default: '1.0' }, More: { Type: 'List<String>', Default: '1.0' } };
    const image = { 'Fn::Join': ['', [`${ECR}/api:`, { 'Fn::Select': [0, ref('Tags')] }, { 'Fn::Select': [0, ref('More')] }]] };
    expect(movable(image, parameters)).toEqual(['Tags', 'More']);
  });
  it('names a parameter whose other values leave the image unresolved or not a string', () => {
    const parameters = { Key: { Type: 'String', Default: 'a' } };
    const mappings = { Images: { a: { Image: `${ECR}/api:1` } } };
    const t = template({}, { Parameters: parameters, Mappings: mappings });
    const ctx = context();
    const env = { template: t, context: ctx, classifyImage: createImageClassifier(ctx) };
    expect(registryParameters({ 'Fn::FindInMap': ['Images', ref('Key'), 'Image'] }, ['Key'], env, DEFAULT_REPOSITORY_PREFIX)).toEqual(['Key']);
    expect(registryParameters({ 'Fn::Split': [',', sub(`${ECR}/api:\${Key}`)] }, ['Key'], env, DEFAULT_REPOSITORY_PREFIX)).toEqual(['Key']);
  });
  it('tries a parameter declared without a Type as the String it is', () => {
    expect(movable(sub('${Registry}/api:1'), { Registry: { Default: ECR } })).toEqual(['Registry']);
    expect(movable(sub('${Registry}/api:1'), { Registry: { Default: ECR, AllowedValues: [ECR, OTHER_ECR] } })).toEqual([]);
  });
  it('keeps the other parameters at their values while it tries one', () => {
    const parameters = { Registry: { Type: 'String' }, Tag: { Type: 'String' } };
    expect(movable(sub('${Registry}/api:${Tag}'), parameters, { Registry: ECR, Tag: '2' })).toEqual(['Registry']);
  });
});
