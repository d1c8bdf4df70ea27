// The macro must work on either side of the SAM transform. This runs the real SAM translator in both orders on
// examples/sam-function.yaml (Globals.Function.Architectures) and on a template shaped like SAM's own test input
// function_with_ignore_globals (IgnoreGlobals as '*' and as a list, stray ImageUri on Zip functions), and checks
// where every image function ends up.
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseCfnYaml } from '../../src/cli/cfn-yaml.js';
import { splitTransforms, stackParameterValues } from '../../src/cli/emulate.js';
import { createMacroHandler } from '../../src/macro/handler.js';
import type { JsonObject } from '../../src/template/types.js';
import { samTranslate } from '../support/sam.js';
import { haveTools, TOOLS } from '../support/tools.js';

const REGION = 'eu-west-1';
const ACCOUNT = '123456789012';
const SAM_TRANSFORM = 'AWS::Serverless-2016-10-31';
const MIRROR_ARN = `arn:aws:lambda:${REGION}:${ACCOUNT}:function:sysdig-image-fix-mirror`;

/** What examples/sam-function.yaml must turn into, whatever the order. */
const MIRRORED = { ThumbnailFunction: 'arm64', WorkerFunction: 'arm64', ReportFunction: 'x86_64' } as const;
const KEPT = {
  ApiFunction: { 'Fn::Sub': '${AWS::AccountId}.dkr.ecr.${AWS::Region}.${AWS::URLSuffix}/orders-api:${ApiImageTag}' },
} as const;

const example = parseCfnYaml(readFileSync(new URL('../../examples/sam-function.yaml', import.meta.url), 'utf8')) as JsonObject;
const { fragment, otherTransforms } = splitTransforms(example);
const parameterValues = stackParameterValues(example, new Map()).values;

async function runMacro(input: JsonObject): Promise<JsonObject> {
  const handler = createMacroHandler({ env: () => ({ MIRROR_FUNCTION_ARN: MIRROR_ARN }), log: { info: () => {}, warn: () => {}, error: () => {} } });
  const response = await handler({
    region: REGION,
    accountId: ACCOUNT,
    fragment: input,
    transformId: `${ACCOUNT}::SysdigImageFix`,
    params: {},
    requestId: 'sam-order',
    templateParameterValues: parameterValues,
  });
  if (response.status !== 'success') throw new Error(`macro failed: ${response.errorMessage}`);
  return response.fragment;
}

function resourcesOf(template: JsonObject): Record<string, JsonObject> {
  return template.Resources as Record<string, JsonObject>;
}

function mirrorsOf(template: JsonObject): Record<string, JsonObject> {
  return Object.fromEntries(Object.entries(resourcesOf(template)).filter(([, resource]) => resource.Type === 'Custom::ImageMirror'));
}

describe.skipIf(!haveTools(TOOLS.samTranslator))('SAM ordering with the real SAM translator (examples/sam-function.yaml)', () => {
  const results: Record<'macroThenSam' | 'samThenMacro', JsonObject> = { macroThenSam: {}, samThenMacro: {} };

  beforeAll(async () => {
    expect(otherTransforms).toEqual([SAM_TRANSFORM]);
    // (a) Transform: [SysdigImageFix, AWS::Serverless-2016-10-31]
    const afterMacro = await runMacro(fragment);
    results.macroThenSam = (await samTranslate({ ...afterMacro, Transform: SAM_TRANSFORM }, { region: REGION, parameterValues })) as JsonObject;
    // (b) Transform: [AWS::Serverless-2016-10-31, SysdigImageFix]
    const afterSam = await samTranslate({ ...fragment, Transform: SAM_TRANSFORM }, { region: REGION, parameterValues });
    const { Transform: _samDone, ...samFragment } = afterSam;
    results.samThenMacro = await runMacro(samFragment as JsonObject);
  });

  describe.each(['macroThenSam', 'samThenMacro'] as const)('order %s', (order) => {
    it('leaves no SAM resource behind', () => {
      const types = Object.values(resourcesOf(results[order])).map((resource) => resource.Type);
      expect(types.filter((type) => typeof type === 'string' && type.startsWith('AWS::Serverless::'))).toEqual([]);
    });

    it.each(Object.entries(MIRRORED))('%s is an AWS::Lambda::Function reading an ImageMirror for %s', (logicalId, architecture) => {
      const resources = resourcesOf(results[order]);
      const fn = resources[logicalId]!;
      expect(fn.Type).toBe('AWS::Lambda::Function');
      const properties = fn.Properties as JsonObject;
      const imageUri = (properties.Code as JsonObject).ImageUri as JsonObject;
      expect(Object.keys(imageUri)).toEqual(['Fn::GetAtt']);
      const [mirrorId, attribute] = imageUri['Fn::GetAtt'] as [string, string];
      expect(attribute).toBe('ImageUri');
      expect(mirrorId).toMatch(/^ImageMirror[0-9a-f]{8}$/);
      const mirror = resources[mirrorId]!;
      expect(mirror.Type).toBe('Custom::ImageMirror');
      expect((mirror.Properties as JsonObject).Architecture).toBe(architecture);
      expect((mirror.Properties as JsonObject).ServiceToken).toBe(MIRROR_ARN);
      // The function runs on the architecture the image was mirrored for.
      if (properties.Architectures !== undefined) expect(properties.Architectures).toEqual([architecture]);
      else expect(architecture).toBe('x86_64');
    });

    it.each(Object.entries(KEPT))('%s (private ECR of the stack region) keeps its image expression', (logicalId, expression) => {
      const fn = resourcesOf(results[order])[logicalId]!;
      expect(fn.Type).toBe('AWS::Lambda::Function');
      expect(((fn.Properties as JsonObject).Code as JsonObject).ImageUri).toEqual(expression);
    });

    it('injects one mirror per mirrored function and nothing else', () => {
      expect(Object.keys(mirrorsOf(results[order]))).toHaveLength(Object.keys(MIRRORED).length);
    });
  });

  it('injects the same mirrors in both orders', () => {
    expect(mirrorsOf(results.samThenMacro)).toEqual(mirrorsOf(results.macroThenSam));
  });
});

/** SAM's `function_with_ignore_globals` test input with Architectures in Globals, images and stray ImageUris. */
const IGNORE_GLOBALS = `
Globals:
  Function:
    Runtime: python3.11
    Handler: index.lambda_handler
    MemorySize: 128
    Architectures: [arm64]
Resources:
  ZipFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: s3://bucket/key
  ImageFunction:
    Type: AWS::Serverless::Function
    IgnoreGlobals: '*'
    Properties:
      PackageType: Image
      ImageUri: quay.io/example-org/image-function:1.0
  ImageFunction2:
    Type: AWS::Serverless::Function
    IgnoreGlobals:
    - Runtime
    - Handler
    Properties:
      PackageType: Image
      ImageUri: quay.io/example-org/image-function:1.0
  ImageFunction3:
    Type: AWS::Serverless::Function
    IgnoreGlobals: [Runtime, Handler, Architectures]
    Properties:
      PackageType: Image
      ImageUri: quay.io/example-org/image-function:1.0
  StrayImageUri:
    Type: AWS::Serverless::Function
    Properties:
      PackageType: Zip
      CodeUri: s3://bucket/key
      ImageUri: quay.io/example-org/never-used:1
  NoPackageType:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: s3://bucket/key
      ImageUri: quay.io/example-org/never-used:1
`;

describe.skipIf(!haveTools(TOOLS.samTranslator))('SAM ordering with IgnoreGlobals (function_with_ignore_globals, real SAM translator)', () => {
  const template = parseCfnYaml(IGNORE_GLOBALS) as JsonObject;
  const results: Record<'macroThenSam' | 'samThenMacro', JsonObject> = { macroThenSam: {}, samThenMacro: {} };

  beforeAll(async () => {
    const afterMacro = await runMacro(template);
    results.macroThenSam = (await samTranslate({ ...afterMacro, Transform: SAM_TRANSFORM }, { region: REGION })) as JsonObject;
    const { Transform: _samDone, ...samFragment } = await samTranslate({ ...template, Transform: SAM_TRANSFORM }, { region: REGION });
    results.samThenMacro = await runMacro(samFragment as JsonObject);
  });

  /** The architecture each function runs on, and the architecture of the mirror its image comes from (if any). */
  function placement(order: 'macroThenSam' | 'samThenMacro'): Record<string, { runsOn: string; mirroredFor?: unknown }> {
    const resources = resourcesOf(results[order]);
    const out: Record<string, { runsOn: string; mirroredFor?: unknown }> = {};
    for (const [id, resource] of Object.entries(resources)) {
      if (resource.Type !== 'AWS::Lambda::Function') continue;
      const properties = resource.Properties as JsonObject;
      const architectures = (properties.Architectures as string[] | undefined) ?? ['x86_64'];
      const imageUri = (properties.Code as JsonObject).ImageUri as JsonObject | undefined;
      const mirrorId = imageUri?.['Fn::GetAtt'] ? (imageUri['Fn::GetAtt'] as string[])[0]! : undefined;
      out[id] = { runsOn: architectures.join('+'), ...(mirrorId ? { mirroredFor: (resources[mirrorId]!.Properties as JsonObject).Architecture } : {}) };
    }
    return out;
  }

  it.each(['macroThenSam', 'samThenMacro'] as const)('order %s: every image is mirrored for the architecture its function runs on', (order) => {
    expect(placement(order)).toEqual({
      ZipFunction: { runsOn: 'arm64' },
      ImageFunction: { runsOn: 'x86_64', mirroredFor: 'x86_64' },
      ImageFunction2: { runsOn: 'arm64', mirroredFor: 'arm64' },
      ImageFunction3: { runsOn: 'x86_64', mirroredFor: 'x86_64' },
      StrayImageUri: { runsOn: 'arm64' },
      NoPackageType: { runsOn: 'arm64' },
    });
  });

  it('injects the same mirrors in both orders: one per architecture, none for the Zip functions', () => {
    expect(Object.keys(mirrorsOf(results.macroThenSam))).toHaveLength(2);
    expect(mirrorsOf(results.samThenMacro)).toEqual(mirrorsOf(results.macroThenSam));
    const sources = Object.values(mirrorsOf(results.macroThenSam)).map((mirror) => (mirror.Properties as JsonObject).SourceImage);
    expect(sources).not.toContain('quay.io/example-org/never-used:1');
  });
});
