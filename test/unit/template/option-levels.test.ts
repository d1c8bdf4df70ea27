// How the option levels lay over each other, seen in the mirrors CloudFormation gets: Architecture and Platforms
// replace each other on a resource (never both on one mirror), Refresh and Ecs follow the nearest level that says
// them, and the template's two places (Transform parameters, Metadata) warn when they disagree.
import { describe, expect, it } from 'vitest';
import { REFRESH_TOKEN_PARAMETER } from '../../../src/contract.js';
import { REFRESH_PARAMETER } from '../../../src/template/refresh.js';
import { transform } from '../../../src/template/transform.js';
import type { Json, JsonObject, TransformContext } from '../../../src/template/types.js';
import { context, defaults, expectFailure, expectSuccess, lambdaFunction, mirrorsOf, onlyMirror, QUAY_IMAGE, ref, stringParameter, template } from './fixtures.js';

const ORCHESTRATOR = 'quay.io/sysdig/orchestrator-agent:5.0.1';
const task = (options?: Json, image: Json = ORCHESTRATOR): JsonObject => ({
  Type: 'AWS::ECS::TaskDefinition',
  ...(options !== undefined ? { Metadata: { SysdigImageFix: options } } : {}),
  Properties: { ExecutionRoleArn: 'arn:aws:iam::123456789012:role/exec', ContainerDefinitions: [{ Name: 'c', Image: image }] },
});
const withTemplateOptions = (resources: JsonObject, options: JsonObject) => template(resources, { Metadata: { SysdigImageFix: options } });
const mirrorFor = (fragment: JsonObject, id: string): JsonObject => {
  const resource = (fragment.Resources as JsonObject)[id] as JsonObject;
  const properties = resource.Properties as JsonObject;
  const image = resource.Type === 'AWS::ECS::TaskDefinition' ? (properties.ContainerDefinitions as JsonObject[])[0]!.Image : (properties.Code as JsonObject).ImageUri;
  const [mirror] = (image as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'];
  return (mirrorsOf(fragment)[mirror] as JsonObject).Properties as JsonObject;
};
const platformOf = (properties: JsonObject) => ({ Architecture: properties.Architecture, Platforms: properties.Platforms });

describe('Architecture and Platforms', () => {
  it('on a task definition, each replaces the template’s other one', () => {
    const input = withTemplateOptions(
      { ArmTask: task({ Architecture: 'arm64' }), AllTask: task({ Platforms: 'all' }, 'nginx:1'), Plain: task(undefined, 'redis:7'), F: lambdaFunction(QUAY_IMAGE) },
      { Ecs: true, Architecture: 'arm64', Platforms: 'all' },
    );
    const { fragment } = expectSuccess(transform(input, context(), defaults()));
    expect(platformOf(mirrorFor(fragment, 'ArmTask'))).toEqual({ Architecture: 'arm64', Platforms: undefined });
    expect(platformOf(mirrorFor(fragment, 'AllTask'))).toEqual({ Architecture: undefined, Platforms: 'all' });
    // Without a block of its own, a task definition takes the template's Platforms, a function its Architecture.
    expect(platformOf(mirrorFor(fragment, 'Plain'))).toEqual({ Architecture: undefined, Platforms: 'all' });
    expect(platformOf(mirrorFor(fragment, 'F'))).toEqual({ Architecture: 'arm64', Platforms: undefined });
  });

  it('a resource block without either keeps the template’s', () => {
    const input = withTemplateOptions({ T: task({ ServiceTimeout: 60 }) }, { Ecs: true, Platforms: 'all' });
    const properties = mirrorFor(expectSuccess(transform(input, context(), defaults())).fragment, 'T');
    expect(properties).toMatchObject({ Platforms: 'all', ServiceTimeout: 60 });
  });

  it('both on one resource is refused, naming the resource', () => {
    expect(expectFailure(transform(withTemplateOptions({ T: task({ Architecture: 'arm64', Platforms: 'all' }) }, { Ecs: true }), context(), defaults()))).toEqual([
      { logicalId: 'T', message: 'Resource T: options Metadata.SysdigImageFix.Architecture and .Platforms exclude each other; give one of them' },
    ]);
  });
});

describe('Refresh and Ecs follow the nearest level that says them', () => {
  const tokenOf = (fragment: JsonObject, id: string) => mirrorFor(fragment, id).RefreshToken;

  it('a resource block that does not say Refresh keeps the template’s', () => {
    const input = withTemplateOptions(
      { Own: lambdaFunction('quay.io/org/a:1', { options: { ServiceTimeout: 60 } }), Off: lambdaFunction('quay.io/org/b:1', { options: { Refresh: 'false' } }) },
      { Refresh: true },
    );
    const { fragment } = expectSuccess(transform(input, context({ refreshToken: 'r' }), defaults()));
    expect(tokenOf(fragment, 'Own')).toBe('r');
    expect(tokenOf(fragment, 'Off')).toBeUndefined();
  });

  it('a task definition’s Ecs: true under no template Ecs, and a block without Ecs under Ecs: true, are mirrored', () => {
    const own = expectSuccess(transform(template({ T: task({ Ecs: 'true' }) }), context(), defaults()));
    expect(Object.keys(mirrorsOf(own.fragment))).toHaveLength(1);
    const inherited = expectSuccess(transform(withTemplateOptions({ T: task({ ServiceTimeout: 60 }) }, { Ecs: true }), context(), defaults()));
    expect(mirrorFor(inherited.fragment, 'T').ServiceTimeout).toBe(60);
  });
});

describe('Transform parameters and template Metadata', () => {
  const run = (params: Json, metadata: JsonObject, ctx: Partial<TransformContext> = {}) =>
    transform(withTemplateOptions({ F: lambdaFunction(QUAY_IMAGE) }, metadata), context({ transformParameters: params, ...ctx }), defaults());

  it('warns once for each key both give differently, in the Transform’s order, and not for a key only one gives', () => {
    const result = expectSuccess(
      run({ ServiceTimeout: 60, Architecture: 'x86_64', RepositoryPrefix: 'team' }, { Architecture: 'arm64', ServiceTimeout: '900', Refresh: true }, { refreshToken: 'r' }),
    );
    expect(result.warnings).toEqual([
      {
        message:
          'Template: Metadata.SysdigImageFix.ServiceTimeout "900" overrides the Transform parameter ServiceTimeout 60 (template Metadata wins over Transform parameters); give it in one place',
      },
      {
        message:
          'Template: Metadata.SysdigImageFix.Architecture "arm64" overrides the Transform parameter Architecture "x86_64" (template Metadata wins over Transform parameters); give it in one place',
      },
    ]);
    expect(onlyMirror(result.fragment)[1].Properties).toMatchObject({ Architecture: 'arm64', ServiceTimeout: 900, RepositoryName: 'team/quay.io/sysdig/serverless-patcher' });
  });

  it('takes each from the Transform when the Metadata block is not an object (refused), and warns about none', () => {
    const result = transform(
      { ...template({ F: lambdaFunction(QUAY_IMAGE) }), Metadata: { SysdigImageFix: 'x' } },
      context({ transformParameters: { ServiceTimeout: 60 } }),
      defaults(),
    );
    expect(result.warnings).toEqual([]);
    expect(expectFailure(result).map((problem) => problem.message)).toEqual([expect.stringMatching(/^template Metadata: Metadata\.SysdigImageFix must be an object/)]);
  });

  it('a template Metadata without SysdigImageFix gives no options', () => {
    const input = { ...template({ F: lambdaFunction(QUAY_IMAGE) }), Metadata: { Other: { Ecs: 'yes' } } };
    expect(onlyMirror(expectSuccess(transform(input, context(), defaults())).fragment)[1].Properties).toMatchObject({ ServiceTimeout: 3600 });
  });
});

describe('Refresh without a token from the macro (the CLI): the generated parameter', () => {
  const refreshing = (resources: JsonObject, sections: JsonObject = {}) => template(resources, { Metadata: { SysdigImageFix: { Refresh: true } }, ...sections });

  it('names every refreshing mirror in one warning', () => {
    const result = transform(refreshing({ A: lambdaFunction('quay.io/org/a:1'), B: lambdaFunction('quay.io/org/b:1') }), context(), defaults());
    const ids = Object.keys(mirrorsOf(expectSuccess(result).fragment));
    expect(result.warnings).toEqual([
      {
        message:
          `${ids.join(', ')} (Refresh) read their source tags again only when parameter ${REFRESH_TOKEN_PARAMETER} changes: give it a new value on every ` +
          `deployment, e.g. --parameter-overrides ${REFRESH_TOKEN_PARAMETER}=$(date +%s) (deployed with the macro instead, every deployment refreshes)`,
      },
    ]);
  });

  it('adds the Parameters section when the template has none, and no parameter when no mirror refreshes', () => {
    const added = expectSuccess(transform(refreshing({ A: lambdaFunction(QUAY_IMAGE) }), context(), defaults()));
    expect(added.fragment.Parameters).toEqual({ [REFRESH_TOKEN_PARAMETER]: REFRESH_PARAMETER });
    // What the deployer reads: a String that must be given (no Default), saying when to change it.
    expect(added.fragment.Parameters).toStrictEqual({
      [REFRESH_TOKEN_PARAMETER]: {
        Type: 'String',
        MinLength: 1,
        Description:
          "Any value that differs from the previous deployment's (e.g. the time): mirrors with SysdigImageFix Refresh re-read their source tags " +
          'when it changes. The same value as last time re-reads nothing.',
      },
    });
    const pinned = `quay.io/org/a@sha256:${'ab'.repeat(32)}`;
    const none = transform(refreshing({ A: lambdaFunction(pinned) }), context(), defaults());
    expect(expectSuccess(none).fragment.Parameters).toBeUndefined();
    expect(none.warnings).toEqual([]);
  });

  it('says which mirrors read the taken name', () => {
    const input = refreshing(
      { A: lambdaFunction(ref('Image')) },
      { Parameters: { Image: stringParameter(), [REFRESH_TOKEN_PARAMETER]: { ...REFRESH_PARAMETER, MinLength: 2 } } },
    );
    const result = transform(input, context(), defaults());
    const [id] = Object.keys(mirrorsOf(expectSuccess(transform(input, context({ refreshToken: 't' }), defaults())).fragment));
    expect(expectFailure(result)).toEqual([
      {
        message:
          `Template: ${REFRESH_TOKEN_PARAMETER} is taken by another parameter or resource, but mirrors with Refresh (${id}) read their refresh token from ` +
          'a parameter of that name; rename yours',
      },
    ]);
  });
});
