// MirrorParameters and the templates this transform cannot see: a nested stack or SAM application that receives the
// parameter gets the whole-image mirror (an image index), which a Lambda function there refuses. The transform says
// so, naming the resource and the parameter; `{Name, Architecture}` mirrors one platform instead.
import { describe, expect, it } from 'vitest';
import { transform } from '../../../src/template/transform.js';
import type { Json, JsonObject } from '../../../src/template/types.js';
import { context, defaults, expectedMirrorId, expectFailure, expectSuccess, mirrorRef, mirrorsOf, ref, siteOf, stringParameter, sub, template, AGENT } from './fixtures.js';

function run(resources: JsonObject, mirrorParameters: Json = ['Agent']) {
  const input = template(resources, { Parameters: { Agent: stringParameter(AGENT) }, Metadata: { SysdigImageFix: { MirrorParameters: mirrorParameters } } });
  return transform(input, context(), defaults());
}

const nested = (parameters: JsonObject): JsonObject => ({
  Type: 'AWS::CloudFormation::Stack',
  Properties: { TemplateURL: 'https://s3.amazonaws.com/bucket/child.yaml', Parameters: parameters },
});
const application = (parameters: JsonObject): JsonObject => ({
  Type: 'AWS::Serverless::Application',
  Properties: { Location: { ApplicationId: 'arn:aws:serverlessrepo:us-east-1:123456789012:applications/child', SemanticVersion: '1.0.0' }, Parameters: parameters },
});

describe('Options: MirrorParameters passed to child templates', () => {
  it.each([
    ['nested stack', nested],
    ['SAM application', application],
  ])('warns when the parameter is passed to a %s, naming the resource and the parameter (before: no warning)', (kind, child) => {
    const result = expectSuccess(run({ Child: child({ PatcherImage: ref('Agent') }) }));
    expect(result.warnings).toEqual([
      {
        logicalId: 'Child',
        message:
          `Resource Child passes parameter Agent (MirrorParameters) to its ${kind} as Parameters.PatcherImage: the ${kind} now receives the ` +
          'whole-image mirror (an image index of every platform), which ECS runs but a Lambda function refuses; if the child template uses it as ' +
          'a Lambda image, list it as {Name: Agent, Architecture: x86_64 or arm64} in MirrorParameters, or leave it out and add Transform: ' +
          'SysdigImageFix to the child template',
      },
    ]);
  });

  it('warns for a use inside Fn::Sub too, and not for other resources', () => {
    const result = expectSuccess(
      run({ Child: nested({ Image: sub('${Agent}') }), Other: { Type: 'AWS::SSM::Parameter', Properties: { Type: 'String', Value: ref('Agent') } } }),
    );
    expect(result.warnings.map((w) => w.logicalId)).toEqual(['Child']);
  });

  it('warns only for a use in the child template’s Parameters, not elsewhere in the resource, nor for another type with Parameters', () => {
    const stack = {
      Type: 'AWS::CloudFormation::Stack',
      Metadata: { Parameters: { Image: ref('Agent') } },
      Properties: { TemplateURL: 'https://s3.amazonaws.com/bucket/child.yaml', Tags: [{ Key: 'image', Value: ref('Agent') }] },
    };
    const custom = { Type: 'Custom::Thing', Properties: { ServiceToken: 'arn:aws:lambda:us-east-1:123456789012:function:f', Parameters: { Image: ref('Agent') } } };
    const result = expectSuccess(run({ Stack: stack, Custom: custom }));
    expect(result.warnings).toEqual([]);
    expect(((result.fragment.Resources as JsonObject).Custom as JsonObject).Properties).toMatchObject({
      Parameters: { Image: mirrorRef(expectedMirrorId(ref('Agent'), 'all')) },
    });
  });

  it('mirrors one platform for {Name, Architecture}, with no warning', () => {
    const result = expectSuccess(run({ Child: nested({ PatcherImage: ref('Agent') }) }, [{ Name: 'Agent', Architecture: 'arm64' }]));
    const id = expectedMirrorId(ref('Agent'), 'arm64');
    expect(result.warnings).toEqual([]);
    expect(mirrorsOf(result.fragment)[id]!.Properties).toMatchObject({ SourceImage: ref('Agent'), Architecture: 'arm64' });
    expect(((result.fragment.Resources as JsonObject).Child as JsonObject).Properties).toMatchObject({ Parameters: { PatcherImage: mirrorRef(id) } });
    expect(siteOf(result.sites, 'Agent')).toMatchObject({ verdict: 'mirror', architecture: 'arm64', mirrorLogicalId: id });
  });

  it.each<[Json, string]>([
    [[{ Name: 'Agent', Architecture: 'ppc' }], '{"Name":"Agent","Architecture":"ppc"} has Architecture "ppc", not one of x86_64, arm64'],
    [[{ Architecture: 'arm64' }], '{"Architecture":"arm64"} has no Name'],
    [[{ Name: 'Agent', Platforms: 'all' }], 'has unknown key "Platforms" (keys: Name, Architecture)'],
    [['Agent', { Name: 'Agent', Architecture: 'arm64' }], 'parameter "Agent" is listed twice with different Architecture'],
  ])('validates the per-parameter choice %j like every other option', (value, detail) => {
    const [problem] = expectFailure(run({ Child: nested({ PatcherImage: ref('Agent') }) }, value));
    expect(problem!.message).toMatch(/^template Metadata: option Metadata\.SysdigImageFix\.MirrorParameters .* is not valid: /);
    expect(problem!.message).toContain(detail);
  });
});
