import { describe, expect, it } from 'vitest';
import { findImageSites, readsFromMirror } from '../../../src/template/sites.js';
import type { Json, JsonObject } from '../../../src/template/types.js';
import { transform } from '../../../src/template/transform.js';
import { context, defaults, expectSuccess, ifThen, lambdaFunction, QUAY_IMAGE, samFunction, template } from './fixtures.js';

describe('Function: findImageSites', () => {
  it('finds Lambda Code.ImageUri and SAM ImageUri, in resource order', () => {
    const t = template({ Sam: samFunction('a'), Plain: lambdaFunction('b') });
    expect(findImageSites(t).map((s) => [s.logicalId, s.resourceType, s.path, s.expression, s.opaque])).toEqual([
      ['Sam', 'AWS::Serverless::Function', ['Properties', 'ImageUri'], 'a', false],
      ['Plain', 'AWS::Lambda::Function', ['Properties', 'Code', 'ImageUri'], 'b', false],
    ]);
  });

  it('ignores zip functions, ECS task definitions, odd shapes and other resources', () => {
    const t = template({
      Zip: { Type: 'AWS::Lambda::Function', Properties: { Code: { ZipFile: 'x' } } },
      S3: { Type: 'AWS::Lambda::Function', Properties: { Code: { S3Bucket: 'b', S3Key: 'k' } } },
      TopLevel: { Type: 'AWS::Lambda::Function', Properties: { ImageUri: QUAY_IMAGE } },
      SamZip: { Type: 'AWS::Serverless::Function', Properties: { CodeUri: '.' } },
      Task: {
        Type: 'AWS::ECS::TaskDefinition',
        Properties: { ContainerDefinitions: [{ Name: 'a', Image: QUAY_IMAGE }] },
      },
      NoProperties: { Type: 'AWS::Lambda::Function' },
      StringProperties: { Type: 'AWS::Lambda::Function', Properties: 'nope' },
      NotAnObject: 'AWS::Lambda::Function',
      NullResource: null,
      CodeString: { Type: 'AWS::Lambda::Function', Properties: { Code: 'x' } },
      // Another resource type with a Lambda-like Code.ImageUri is not a function.
      Deployer: { Type: 'Custom::Deployer', Properties: { PackageType: 'Image', Code: { ImageUri: QUAY_IMAGE } } },
      // `sam build` fills ImageUri from the Dockerfile Metadata: no image to mirror yet.
      SamBuilt: { Type: 'AWS::Serverless::Function', Metadata: { Dockerfile: 'Dockerfile' }, Properties: { PackageType: 'Image' } },
    } as JsonObject);
    expect(findImageSites(t)).toEqual([]);
  });

  it('ignores a stray ImageUri of a Zip function: PackageType Zip, or a SAM function without PackageType (SAM defaults to Zip)', () => {
    const t = template({
      LambdaZip: lambdaFunction(QUAY_IMAGE, { properties: { PackageType: 'Zip' } }),
      SamZip: samFunction(QUAY_IMAGE, { properties: { PackageType: 'Zip', CodeUri: 's3://bucket/key' } }),
      SamDefault: { Type: 'AWS::Serverless::Function', Properties: { CodeUri: 's3://bucket/key', ImageUri: QUAY_IMAGE } },
      // Lambda itself needs PackageType Image for an image; without one the site stays (CloudFormation judges it).
      LambdaDefault: { Type: 'AWS::Lambda::Function', Properties: { Code: { ImageUri: QUAY_IMAGE } } },
    });
    expect(findImageSites(t).map((site) => site.logicalId)).toEqual(['LambdaDefault']);
  });

  it('carries an intrinsic PackageType for the transform to resolve', () => {
    const packageType = ifThen('UseZip', 'Zip', 'Image');
    const [site] = findImageSites(template({ F: lambdaFunction(QUAY_IMAGE, { properties: { PackageType: packageType } }) }));
    expect(site!.packageType).toEqual(packageType);
  });

  it('reports an intrinsic Code as an opaque site', () => {
    const code = ifThen('C', { ImageUri: 'a' }, { ImageUri: 'b' });
    const [site] = findImageSites(template({ F: { Type: 'AWS::Lambda::Function', Properties: { Code: code } } }));
    expect(site).toMatchObject({ logicalId: 'F', opaque: true, expression: code });
  });

  it("carries the function's Condition", () => {
    const [site] = findImageSites(template({ F: lambdaFunction('a', { condition: 'IsProd' }) }));
    expect(site!.condition).toBe('IsProd');
  });

  it('carries no Condition that is not a condition name', () => {
    const resource = { ...lambdaFunction('a'), Condition: ['IsProd'] } as JsonObject;
    expect(findImageSites(template({ F: resource }))[0]).not.toHaveProperty('condition');
  });

  it('returns nothing without a Resources object', () => {
    expect(findImageSites({})).toEqual([]);
    expect(findImageSites({ Resources: [] as Json } as JsonObject)).toEqual([]);
  });
});

describe('Function: readsFromMirror', () => {
  const t = template({ ImageMirrorabcdef01: { Type: 'Custom::ImageMirror', Properties: {} }, Other: { Type: 'Custom::Other' } });
  it('recognises both GetAtt forms naming a Custom::ImageMirror of the template', () => {
    expect(readsFromMirror({ 'Fn::GetAtt': ['ImageMirrorabcdef01', 'ImageUri'] }, t)).toBe(true);
    expect(readsFromMirror({ 'Fn::GetAtt': 'ImageMirrorabcdef01.ImageUri' }, t)).toBe(true);
  });
  it('rejects other attributes, other resource types and missing resources', () => {
    expect(readsFromMirror({ 'Fn::GetAtt': ['ImageMirrorabcdef01', 'ImageDigest'] }, t)).toBe(false);
    expect(readsFromMirror({ 'Fn::GetAtt': ['Other', 'ImageUri'] }, t)).toBe(false);
    expect(readsFromMirror({ 'Fn::GetAtt': ['ImageMirror00000000', 'ImageUri'] }, t)).toBe(false);
    expect(readsFromMirror('ImageMirrorabcdef01.ImageUri', t)).toBe(false);
  });
  it('rejects GetAtt shapes that name no mirror attribute', () => {
    const named = template({ ImageMirrorabcdef01: { Type: 'Custom::ImageMirror', Properties: {} }, ImageUr: { Type: 'Custom::ImageMirror', Properties: {} } });
    expect(readsFromMirror({ 'Fn::GetAtt': ['ImageMirrorabcdef01', 'ImageUri', 'x'] }, named)).toBe(false);
    expect(readsFromMirror({ 'Fn::GetAtt': [['ImageMirrorabcdef01'], 'ImageUri'] }, named)).toBe(false);
    // A string without a dot names no attribute (not resource "ImageUr" and attribute "ImageUri").
    expect(readsFromMirror({ 'Fn::GetAtt': 'ImageUri' }, named)).toBe(false);
    // Neither a list nor a string: no attribute is named, and the shape trips nothing.
    expect(readsFromMirror({ 'Fn::GetAtt': { ImageMirrorabcdef01: 'ImageUri' } }, named)).toBe(false);
    expect(readsFromMirror({ 'Fn::GetAtt': 5 }, named)).toBe(false);
  });
  it('leaves a GetAtt of another shape to CloudFormation: the site is an expression mirrored at deploy time, no internal error', () => {
    for (const arg of [{ ImageMirrorabcdef01: 'ImageUri' }, 5]) {
      const result = expectSuccess(transform(template({ Fn: lambdaFunction({ 'Fn::GetAtt': arg }) }), context(), defaults()));
      expect(result.sites.map((site) => [site.image, site.verdict])).toEqual([[JSON.stringify({ 'Fn::GetAtt': arg }), 'deploy-time']]);
    }
  });
});
