import { describe, expect, it, vi } from 'vitest';
import { parse } from 'yaml';
import type { Json, JsonObject } from '../../../src/template/types.js';
import {
  StackSetPackagingError,
  TEMPLATE_BODY_MAX_BYTES,
  TEMPLATE_URL_MAX_BYTES,
  parseTemplate,
  renderTemplateYaml,
  templateSize,
  toStackSetTemplate,
  withBuildSpec,
} from '../../../scripts/package-stackset.js';

const MACRO_SOURCE = 'exports.handler=async e=>({requestId:e.requestId,status:"success",fragment:e.fragment});\n';

/** A small SAM template shaped like template.yaml: one converted function, one plain resource. */
function samTemplate(functionChanges: JsonObject = {}, templateChanges: JsonObject = {}): JsonObject {
  return {
    AWSTemplateFormatVersion: '2010-09-09',
    Transform: 'AWS::Serverless-2016-10-31',
    Description: 'fixture',
    Parameters: { MacroName: { Type: 'String', Default: 'SysdigImageFix' } },
    Resources: {
      MacroRole: {
        Type: 'AWS::IAM::Role',
        Properties: { AssumeRolePolicyDocument: { Statement: [] } },
      },
      MacroFunction: {
        Type: 'AWS::Serverless::Function',
        Metadata: { SkipBuild: true },
        Properties: {
          FunctionName: { 'Fn::Sub': '${MacroName}-macro' },
          CodeUri: 'dist/macro/',
          Handler: 'index.handler',
          Runtime: 'nodejs24.x',
          Architectures: ['arm64'],
          Timeout: 60,
          Role: { 'Fn::GetAtt': ['MacroRole', 'Arn'] },
          Environment: { Variables: { REPOSITORY_PREFIX: 'sysdig-image-fix' } },
        },
        ...functionChanges,
      },
    },
    Outputs: { MacroName: { Value: { Ref: 'MacroName' } } },
    ...templateChanges,
  };
}

function withProperties(extra: JsonObject, remove: string[] = []): JsonObject {
  const base = (samTemplate().Resources as JsonObject).MacroFunction as JsonObject;
  const properties = { ...(base.Properties as JsonObject), ...extra };
  for (const key of remove) delete properties[key];
  return samTemplate({ Properties: properties });
}

const bundles = (source = MACRO_SOURCE) => vi.fn((_codeUri: string, _logicalId: string) => source);

function convertedFunction(template: JsonObject): JsonObject {
  return (template.Resources as JsonObject).MacroFunction as JsonObject;
}

describe('Function: parseTemplate', () => {
  it('reads template.yaml-style short-form intrinsics as their long forms', () => {
    expect(parseTemplate("A: !Sub '${MacroName}-mirror'\nB: !GetAtt MirrorFunction.Arn\n")).toEqual({
      A: { 'Fn::Sub': '${MacroName}-mirror' },
      B: { 'Fn::GetAtt': ['MirrorFunction', 'Arn'] },
    });
  });

  it('refuses a document that is not a mapping', () => {
    expect(() => parseTemplate('- a\n- b\n')).toThrow('the template is not a YAML mapping');
  });

  it('reports invalid YAML as a packaging error', () => {
    expect(() => parseTemplate('A: [\n')).toThrow(StackSetPackagingError);
  });
});

describe('Function: toStackSetTemplate', () => {
  it('turns a SAM function into AWS::Lambda::Function with its bundle inline', () => {
    const bundleFor = bundles();
    const out = toStackSetTemplate(samTemplate(), bundleFor);
    expect(bundleFor).toHaveBeenCalledWith('dist/macro/', 'MacroFunction');
    expect(convertedFunction(out)).toEqual({
      Type: 'AWS::Lambda::Function',
      Properties: {
        Code: { ZipFile: MACRO_SOURCE },
        FunctionName: { 'Fn::Sub': '${MacroName}-macro' },
        Handler: 'index.handler',
        Runtime: 'nodejs24.x',
        Architectures: ['arm64'],
        Timeout: 60,
        Role: { 'Fn::GetAtt': ['MacroRole', 'Arn'] },
        Environment: { Variables: { REPOSITORY_PREFIX: 'sysdig-image-fix' } },
      },
    });
  });

  it('drops the Transform and copies everything else unchanged', () => {
    const input = samTemplate();
    const out = toStackSetTemplate(input, bundles());
    expect(out.Transform).toBeUndefined();
    const { Transform: _, Resources: inputResources, ...rest } = input;
    const { Resources: outResources, ...outRest } = out;
    expect(outRest).toEqual(rest);
    expect((outResources as JsonObject).MacroRole).toEqual((inputResources as JsonObject).MacroRole);
  });

  it('does not mutate its input', () => {
    const input = samTemplate();
    const before = structuredClone(input);
    toStackSetTemplate(input, bundles());
    expect(input).toEqual(before);
  });

  it('keeps resource attributes and Metadata other than SAM CLI build hints', () => {
    const out = toStackSetTemplate(samTemplate({ Condition: 'Enabled', DependsOn: ['MacroRole'], Metadata: { SkipBuild: true, Owner: 'platform' } }), bundles());
    expect(convertedFunction(out)).toMatchObject({ Condition: 'Enabled', DependsOn: ['MacroRole'], Metadata: { Owner: 'platform' } });
    expect((convertedFunction(out).Metadata as JsonObject).SkipBuild).toBeUndefined();
  });

  it('accepts the SAM transform written as a one-element list', () => {
    expect(toStackSetTemplate(samTemplate({}, { Transform: ['AWS::Serverless-2016-10-31'] }), bundles()).Transform).toBeUndefined();
  });

  it.each<[string, JsonObject, string]>([
    ['another transform', samTemplate({}, { Transform: ['SysdigImageFix', 'AWS::Serverless-2016-10-31'] }), 'Transform must be exactly'],
    ['no transform', samTemplate({}, { Transform: null }), 'Transform must be exactly'],
    ['Globals', samTemplate({}, { Globals: { Function: { Timeout: 3 } } }), 'Globals is not supported'],
    ['an unknown SAM property', withProperties({ Events: {} }), 'property Events is a SAM feature'],
    ['SAM map-style Tags', withProperties({ Tags: { team: 'a' } }), 'property Tags is a SAM feature'],
    ['a function without Role', withProperties({}, ['Role']), 'needs an explicit Role'],
    ['a handler outside index.js', withProperties({ Handler: 'main.handler' }), 'Handler must be index.<export>'],
    ['a non-Node.js runtime', withProperties({ Runtime: 'java21' }), 'Runtime must be a literal nodejs runtime'],
    ['an S3 CodeUri', withProperties({ CodeUri: 's3://bucket/key.zip' }), 'CodeUri must be a local folder path'],
    ['an unknown resource attribute', samTemplate({ CreationPolicy: {} }), 'resource attribute CreationPolicy'],
  ])('refuses %s', (_, template, message) => {
    expect(() => toStackSetTemplate(template, bundles())).toThrow(message);
  });

  it('refuses other SAM resource types', () => {
    const template = samTemplate();
    (template.Resources as JsonObject).Api = { Type: 'AWS::Serverless::Api', Properties: {} };
    expect(() => toStackSetTemplate(template, bundles())).toThrow('Api: AWS::Serverless::Api is not supported');
  });

  it('refuses Fn::Transform anywhere in the template', () => {
    const template = samTemplate();
    (template.Resources as JsonObject).MacroRole = {
      Type: 'AWS::IAM::Role',
      Properties: { 'Fn::Transform': { Name: 'AWS::Include', Parameters: { Location: 's3://b/k' } } },
    };
    expect(() => toStackSetTemplate(template, bundles())).toThrow('/Resources/MacroRole/Properties uses Fn::Transform');
  });

  it('lets inline code mention transforms (only template keys count)', () => {
    const out = toStackSetTemplate(samTemplate(), bundles('const t={"Fn::Transform":1,n:"AWS::Serverless-2016-10-31"};'));
    expect((convertedFunction(out).Properties as JsonObject).Code).toEqual({ ZipFile: 'const t={"Fn::Transform":1,n:"AWS::Serverless-2016-10-31"};' });
  });
});

describe('Function: withBuildSpec', () => {
  const projectTemplate = (buildSpec: Json): JsonObject => ({
    Resources: { MirrorBuildProject: { Type: 'AWS::CodeBuild::Project', Properties: { Source: { Type: 'NO_SOURCE', BuildSpec: buildSpec } } } },
  });

  it('replaces the CodeBuild project buildspec in a copy', () => {
    const input = projectTemplate('old');
    expect(withBuildSpec(input, 'version: 0.2\n')).toEqual(projectTemplate('version: 0.2\n'));
    expect(input).toEqual(projectTemplate('old'));
  });

  it('refuses a template without the project buildspec', () => {
    expect(() => withBuildSpec({ Resources: {} }, 'x')).toThrow('MirrorBuildProject.Properties.Source.BuildSpec is missing');
  });
});

describe('Function: renderTemplateYaml', () => {
  const trickySource = [
    '"use strict";var a={b:"x: y #z",c:\'it\\\'s\'};',
    'function f(){return `',
    '  keep\tthese   ',
    '`}',
    `var long="${'x'.repeat(20_000)}";`,
    'exports.handler=async()=>"é ✓"',
  ].join('\n');

  function templateWithCode(source: string): JsonObject {
    return { Resources: { Fn: { Type: 'AWS::Lambda::Function', Properties: { Code: { ZipFile: source }, Handler: 'index.handler' } } } };
  }

  it('writes inline code as a literal block that parses back unchanged', () => {
    const text = renderTemplateYaml(templateWithCode(trickySource));
    expect(text).toMatch(/ZipFile: \|/);
    const reparsed = parse(text) as { Resources: { Fn: { Properties: { Code: { ZipFile: string } } } } };
    expect(reparsed.Resources.Fn.Properties.Code.ZipFile).toBe(trickySource);
  });

  it('never folds long lines', () => {
    const text = renderTemplateYaml(templateWithCode(trickySource));
    expect(text.split('\n').some((line) => line.includes('x'.repeat(20_000)))).toBe(true);
  });

  it('puts the header comment first', () => {
    expect(renderTemplateYaml(templateWithCode('x'), ' Generated; do not edit.').startsWith('# Generated; do not edit.\n')).toBe(true);
  });

  it('keeps intrinsics in long form', () => {
    const template: JsonObject = { Outputs: { A: { Value: { 'Fn::GetAtt': ['Fn', 'Arn'] } } } };
    expect(parseTemplate(renderTemplateYaml(template))).toEqual(template);
  });
});

describe('Function: templateSize', () => {
  const ofBytes = (bytes: number) => 'a'.repeat(bytes);

  it.each<[number, string]>([
    [1, 'template-body'],
    [TEMPLATE_BODY_MAX_BYTES, 'template-body'],
    [TEMPLATE_BODY_MAX_BYTES + 1, 'template-url'],
    [TEMPLATE_URL_MAX_BYTES - 1, 'template-url'],
  ])('sends %i bytes with --%s', (bytes, delivery) => {
    expect(templateSize(ofBytes(bytes))).toEqual({ bytes, delivery });
  });

  it('refuses a template of 1 MB or more', () => {
    expect(() => templateSize(ofBytes(TEMPLATE_URL_MAX_BYTES))).toThrow(StackSetPackagingError);
  });

  it('counts UTF-8 bytes, not characters', () => {
    const text: Json = 'é'.repeat(TEMPLATE_BODY_MAX_BYTES / 2 + 1);
    expect(templateSize(text)).toEqual({ bytes: TEMPLATE_BODY_MAX_BYTES + 2, delivery: 'template-url' });
  });
});
